/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>

#include "cpu-options.h"
#include "plan-mmio.h"
#include "util.h"

#define KIB (UINT64_C(1) << 10)
#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)
#define MEM_32BIT_RESERVED_START UINT64_C(0xc0000000)   /* arch/src/x86_64/layout.rs */
#define RAM_64BIT_START (4 * GIB)
#define MMIO_TOP_GAP (64 * KIB)                          /* memory_manager.rs mmio_address_space_size */
#define PLATFORM_DEVICE_AREA_SIZE MIB
#define MMIO64_SEGMENT_ALIGN (4 * GIB)                   /* device_manager.rs DeviceManager::new */
#define PAGE_SIZE_4K (4 * KIB)
/* A virtio-pci BAR: 512 KiB aligned to 8 MiB (64-bit for all but a virtio-block on segment 0). */
#define VIRTIO_BAR_SIZE (512 * KIB)
#define VIRTIO_BAR_ALIGN (8 * MIB)
/* Weightings tried: BAR demand in 4 GiB units, halved each time. */
#define WEIGHT_SHIFTS_TRIED 24

typedef struct Range {
        uint64_t start, size;
} Range;

/* vm-allocator's AddressAllocator::allocate(None, size, align): from the top of the highest gap
 * that holds it, at a multiple of align. USED is sorted and has room for one more. */
static bool allocate(Range *used, size_t *n_used, uint64_t base, uint64_t end, uint64_t size, uint64_t align) {
        for (size_t i = *n_used + 1; i-- > 0;) {
                uint64_t gap_end = i == *n_used ? end : used[i].start;
                uint64_t below = i == 0 ? base : used[i - 1].start + used[i - 1].size;
                uint64_t low = (below + align - 1) / align * align;
                if (low < below || low > gap_end || gap_end - low < size)
                        continue;
                memmove(used + i + 1, used + i, (*n_used - i) * sizeof(Range));
                used[i] = (Range) { (gap_end - size) / align * align, size };
                (*n_used)++;
                return true;
        }
        return false;
}

/* The 64-bit device area [*start, *end] (memory_manager.rs MemoryManager::new, start_addr), with
 * the zones' 1 GiB pages laid over [0, 3 GiB) and then from 4 GiB. */
static bool device_area(const MmioLayout *l, uint64_t *start, uint64_t *end) {
        uint64_t total = l->memory_gib * GIB;
        if (l->memory_gib == 0 || l->phys_bits < 33 || l->phys_bits > 63)
                return false;
        uint64_t last = total <= MEM_32BIT_RESERVED_START ? total - 1 : RAM_64BIT_START + (total - MEM_32BIT_RESERVED_START) - 1;
        *start = last < MEM_32BIT_RESERVED_START ? RAM_64BIT_START : last + 1;
        *end = (UINT64_C(1) << l->phys_bits) - MMIO_TOP_GAP - PLATFORM_DEVICE_AREA_SIZE - 1;
        return *end >= *start;
}

int mmio64_fits(const MmioLayout *l, const MmioBar *bars, size_t n_bars) {
        uint64_t start, end, w = 0, before = 0;
        if (!device_area(l, &start, &end))
                return 0;
        for (size_t i = 0; i < l->n_segments; i++)
                w += l->weights ? l->weights[i] : 1;
        if (w == 0 || w > UINT32_MAX)
                return 0;
        uint64_t unit = (end - start + 1) / (MMIO64_SEGMENT_ALIGN * w) * MMIO64_SEGMENT_ALIGN;
        _cleanup_(freep) Range *used = calloc(n_bars + 1, sizeof(Range));
        if (!used)
                return -ENOMEM;
        for (size_t s = 0; s < l->n_segments; s++) {
                uint64_t weight = l->weights ? l->weights[s] : 1;
                uint64_t base = start + unit * before;
                /* The last segment takes the rest (device_manager.rs create_mmio_allocators). */
                uint64_t size = s + 1 < l->n_segments ? unit * weight : end - base + 1;
                before += weight;
                if (weight == 0 || size == 0 || base > end)
                        return 0;   /* Cloud Hypervisor panics on an empty window */
                size_t n_used = 0;
                for (size_t b = 0; b < n_bars; b++)
                        if (bars[b].segment == s && !allocate(used, &n_used, base, base + size, bars[b].size,
                                                              bars[b].align))
                                return 0;
        }
        return 1;
}

/* The VM's 64-bit BARs in Cloud Hypervisor's order: virtio devices (only a tap, of those nestvirt
 * adds, has a 64-bit BAR: disks on segment 0 are 32-bit), then --device in command-line order,
 * BAR 0 to 5 of each. Returns how many, or -ENOMEM; 0 also when no device's sizes are known. */
static int vm_bars(const Planner *p, size_t vm, MmioBar **ret) {
        const VmPlan *vp = &p->plan->vms[vm];
        MmioBar *bars = NULL;
        size_t n = 0;
        bool known = false;

        if (p->config->vms[vm].network == NETWORK_TAP) {
                if (!(bars = calloc(1, sizeof(MmioBar))))
                        return -ENOMEM;
                bars[n++] = (MmioBar) { 0, VIRTIO_BAR_SIZE, VIRTIO_BAR_ALIGN };
        }
        for (size_t i = 0; i < vp->n_devices; i++) {
                const PciDevice *d = &p->inv->devices[vp->devices[i]];
                known = known || d->bars_known;
                for (size_t b = 0; b < PCI_STD_NUM_BARS; b++) {
                        if (d->bar64[b] == 0)
                                continue;
                        MmioBar *x = ARRAY_APPEND(bars, n);
                        if (!x) {
                                free(bars);
                                return -ENOMEM;
                        }
                        *x = (MmioBar) { vm_plan_spans_nodes(vp) ? vp->segments[i] : 0, d->bar64[b],
                                         MAX(d->bar64[b], PAGE_SIZE_4K) };
                }
        }
        if (!known) {
                free(bars);
                n = 0;
                bars = NULL;
        }
        *ret = bars;
        return (int) n;
}

/* Weights in proportion to each segment's BARs, in 4 GiB units shifted right by SHIFT, at least 1. */
static void demand_weights(const MmioBar *bars, size_t n, size_t n_segments, unsigned shift, uint64_t *w) {
        for (size_t s = 0; s < n_segments; s++)
                w[s] = 0;
        for (size_t b = 0; b < n; b++)
                w[bars[b].segment] += (bars[b].size + MMIO64_SEGMENT_ALIGN - 1) / MMIO64_SEGMENT_ALIGN;
        for (size_t s = 0; s < n_segments; s++)
                w[s] = MAX(w[s] >> shift, (uint64_t) 1);
}

/* Whether the BARs fit at BITS: evenly (weights all 1), else with demand weights into W. */
static int fits_at(MmioLayout *l, const MmioBar *bars, size_t n, uint64_t *w, bool *weighted) {
        l->weights = NULL;
        *weighted = false;
        int r = mmio64_fits(l, bars, n);
        for (unsigned shift = 0; r == 0 && l->n_segments > 1 && shift < WEIGHT_SHIFTS_TRIED; shift++) {
                demand_weights(bars, n, l->n_segments, shift, w);
                l->weights = w;
                r = mmio64_fits(l, bars, n);
                *weighted = r > 0;
        }
        return r;
}

static uint64_t bars_gib(const MmioBar *bars, size_t n) {
        uint64_t t = 0;
        for (size_t b = 0; b < n; b++)
                t += bars[b].size;
        return (t + GIB - 1) / GIB;
}

void plan_mmio(Planner *p, size_t vm) {
        const VmConfig *c = &p->config->vms[vm];
        VmPlan *vp = &p->plan->vms[vm];
        _cleanup_(freep) MmioBar *bars = NULL;
        int n = vm_bars(p, vm, &bars);
        if (n <= 0) {
                p->plan->diagnostics.oom = p->plan->diagnostics.oom || n < 0;
                return;
        }
        unsigned asked = c->max_phys_bits ? c->max_phys_bits : MMIO_DEFAULT_MAX_PHYS_BITS;
        unsigned host = p->inv->phys_bits ? p->inv->phys_bits : MAX_PHYS_BITS_MAX;
        MmioLayout l = { .phys_bits = MIN(asked, host), .memory_gib = c->memory_gib,
                         .n_segments = vm_plan_spans_nodes(vp) ? vp->n_nodes : 1 };
        _cleanup_(freep) uint64_t *w = calloc(l.n_segments, sizeof(uint64_t));
        bool weighted;
        if (!w) {
                p->plan->diagnostics.oom = true;
                return;
        }
        int r = fits_at(&l, bars, (size_t) n, w, &weighted);
        if (r > 0) {
                for (size_t s = 0; weighted && s < l.n_segments; s++)
                        vp->nodes[s].mmio64_weight = w[s];
                return;
        }
        if (r < 0) {
                p->plan->diagnostics.oom = true;
                return;
        }
        unsigned bits = l.phys_bits;
        for (l.phys_bits = bits + 1; l.phys_bits <= MIN(host, (unsigned) MAX_PHYS_BITS_MAX); l.phys_bits++)
                if (fits_at(&l, bars, (size_t) n, w, &weighted) > 0)
                        break;
        Location where = c->cpu_options.value ? c->cpu_options.where : c->where;
        if (l.phys_bits <= MIN(host, (unsigned) MAX_PHYS_BITS_MAX))
                VM_ERROR(p, vm, where, NULL, "the devices' 64-bit BARs (%" PRIu64 " GiB over %zu PCI segment%s) do "
                         "not fit the MMIO space Cloud Hypervisor leaves beside %" PRIu64 "G of memory at %u physical "
                         "address bits; set CPUOptions=max_phys_bits=%u", bars_gib(bars, (size_t) n), l.n_segments,
                         l.n_segments == 1 ? "" : "s", c->memory_gib, bits, l.phys_bits);
        else
                VM_ERROR(p, vm, where, NULL, "the devices' 64-bit BARs (%" PRIu64 " GiB over %zu PCI segment%s) do "
                         "not fit the MMIO space Cloud Hypervisor leaves beside %" PRIu64 "G of memory even at the "
                         "host's %u physical address bits; give the VM fewer devices or less memory",
                         bars_gib(bars, (size_t) n), l.n_segments, l.n_segments == 1 ? "" : "s", c->memory_gib,
                         MIN(host, (unsigned) MAX_PHYS_BITS_MAX));
}
