# SPDX-License-Identifier: LGPL-2.1-or-later
"""Where Cloud Hypervisor (x86_64, the revision in ch_options.py) puts PCI BARs, so that a
test can tell whether a VM's BARs fit the MMIO apertures of its PCI segments.
README-mmio.md explains every step with its source; this is a model of the behaviour,
written for nestvirt's tests, not a copy of Cloud Hypervisor's code.

  guest physical bits  P = min(host bits (CPUID 0x80000008 EAX[7:0]), max_phys_bits (46))
                       (vmm/src/vm.rs physical_bits, arch/src/x86_64/mod.rs get_host_cpu_phys_bits)
  64-bit device area   [start, end]: start = first address above guest RAM, at least 4 GiB
                       (memory_manager.rs MemoryManager::start_addr); end = 2^P - 64 KiB - 1 MiB - 1
                       (mmio_address_space_size, PLATFORM_DEVICE_AREA_SIZE)
  32-bit device area   [0xc000_0000, 0xe7ff_ffff] (640 MiB, arch/src/x86_64/layout.rs)
  per segment          device_manager.rs create_mmio_allocators: unit = (end - start + 1) //
                       (A * sum(weights)) * A, A = 4 GiB (64-bit) or 4 KiB (32-bit); segment i
                       starts at start + unit * sum(weights[:i]) and is unit * weights[i] long,
                       the last one reaches to end
  BAR placement        vm-allocator/src/address.rs AddressAllocator: top down, first gap that
                       fits, at an address that is a multiple of the alignment (absolute, not
                       relative to the window); VFIO BARs are aligned to max(4 KiB, size)
                       (pci/src/vfio.rs allocate_bars), virtio BARs are 512 KiB aligned to 8 MiB
                       (virtio-devices/src/transport/pci_device.rs)
"""

import dataclasses

KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30
PAGE_SIZE = 4 * KIB
DEFAULT_MAX_PHYS_BITS = 46                    # vmm/src/vm_config.rs
MEM_32BIT_RESERVED_START = 0xc000_0000        # arch/src/x86_64/layout.rs
MEM_32BIT_DEVICES_START = MEM_32BIT_RESERVED_START
MEM_32BIT_DEVICES_SIZE = 640 * MIB
RAM_64BIT_START = 4 * GIB
PLATFORM_DEVICE_AREA_SIZE = 1 * MIB          # vmm/src/memory_manager.rs
MMIO_TOP_GAP = 64 * KIB                       # memory_manager.rs mmio_address_space_size
MMIO64_SEGMENT_ALIGN = 4 * GIB                # device_manager.rs DeviceManager::new
MMIO32_SEGMENT_ALIGN = 4 * KIB
# The BAR of a virtio-pci device: (size, alignment); 64-bit for every virtio device except
# a block device on segment 0 (device_manager.rs use_64bit_bar_for_virtio_device).
VIRTIO_BAR = (512 * KIB, 8 * MIB)
U64 = (1 << 64) - 1


class Allocator:
    """vm-allocator's AddressAllocator: allocations are taken from the top of the highest
    gap that holds them, at a multiple of their alignment."""

    def __init__(self, base, size):
        if size <= 0 or base + size - 1 > U64:
            raise ValueError(f'no allocator for an area of {size} bytes at {base:#x}')
        self.base = base
        self.ranges = {base + size: 0}          # start -> size; the end marker has size 0

    def allocate(self, size, alignment=None):
        alignment = 4 if alignment is None else alignment
        if size <= 0 or alignment <= 0 or alignment & (alignment - 1):
            return None                          # Cloud Hypervisor refuses these too
        starts = sorted(self.ranges)
        for i in range(len(starts) - 1, -1, -1):
            gap_end = starts[i]
            below = self.base if i == 0 else starts[i - 1] + self.ranges[starts[i - 1]]
            low = -(-below // alignment) * alignment
            if gap_end - low >= size:
                address = (gap_end - size) // alignment * alignment
                self.ranges[address] = size
                return address
        return None


def guest_phys_bits(max_phys_bits=DEFAULT_MAX_PHYS_BITS, host_phys_bits=None):
    """The guest's physical address width: min(host, max_phys_bits) (vm.rs physical_bits)."""
    return max_phys_bits if host_phys_bits is None else min(host_phys_bits, max_phys_bits)


def _zones(memory):
    """[(size, page size)] of MEMORY: an int (--memory size=N, 4 KiB pages) or a list of
    zone sizes or (size, page size) pairs in --memory-zone order."""
    if isinstance(memory, int):
        return [(memory, PAGE_SIZE)]
    return [(z, PAGE_SIZE) if isinstance(z, int) else (z[0], z[1]) for z in memory]


def ram_end(memory):
    """The last guest RAM address, as memory_manager.rs create_memory_regions_from_zones
    lays the zones out: in order over [0, 3 GiB) and then from 4 GiB, each piece a whole
    number of the zone's pages (a page that does not fit below 3 GiB moves up)."""
    regions = [(0, MEM_32BIT_RESERVED_START), (RAM_64BIT_START, U64 - RAM_64BIT_START)]
    zones = [z for z in _zones(memory)]
    for size, page in zones:
        if size % page:
            raise ValueError(f'zone size {size} is not a multiple of its {page} byte pages')
    last, index, offset = None, 0, 0
    for start, length in regions:
        used = 0
        while index < len(zones):
            size, page = zones[index]
            room = (length - used) // page * page
            if room == 0:
                break
            piece = min(size - offset, room)
            last = start + used + piece - 1
            used += piece
            if piece == size - offset:
                index, offset = index + 1, 0
            else:
                offset += piece
                break
        if index == len(zones):
            break
    if last is None:
        raise ValueError('no guest RAM')
    return last


def device_area_64(phys_bits, memory):
    """[start, end] of the 64-bit device area (memory_manager.rs MemoryManager::new and
    start_addr; no memory hotplug)."""
    last = ram_end(memory)
    start = RAM_64BIT_START if last < MEM_32BIT_RESERVED_START else last + 1
    end = (1 << phys_bits) - MMIO_TOP_GAP - PLATFORM_DEVICE_AREA_SIZE - 1
    return start, end


def apertures(start, end, weights, alignment):
    """[(base, size)] per segment (device_manager.rs create_mmio_allocators). Raises
    ValueError where Cloud Hypervisor panics or wraps (an empty window)."""
    if not weights or any(w <= 0 for w in weights):
        raise ValueError('every segment needs a weight of at least 1')
    if end < start:
        raise ValueError(f'the device area is empty: guest RAM ends at {start - 1:#x}, '
                         f'above the top of the address space {end:#x}')
    unit = (end - start + 1) // (alignment * sum(weights)) * alignment
    result, before = [], 0
    for i, weight in enumerate(weights):
        base = start + before * unit
        size = end - base + 1 if i == len(weights) - 1 else unit * weight
        if size <= 0:
            raise ValueError(f'segment {i} gets no {alignment // MIB} MiB-unit of the '
                             f'{end - start + 1} byte area (total weight {sum(weights)} too large)')
        result.append((base, size))
        before += weight
    return result


@dataclasses.dataclass
class Fit:
    fits: bool
    problems: list             # messages for humans, empty when everything fits
    windows: list              # (base, size) per segment
    placements: dict           # segment -> [(address, size)] in allocation order

    def __bool__(self):
        return self.fits


def _bar(bar):
    """(size, alignment) of a VFIO BAR size or an explicit (size, alignment) pair."""
    if isinstance(bar, tuple):
        return bar
    return bar, max(PAGE_SIZE, bar)


def place(windows, bars_by_segment, what):
    problems, placements = [], {}
    for segment, bars in sorted(bars_by_segment.items()):
        if not 0 <= segment < len(windows):
            problems.append(f'segment {segment} does not exist ({len(windows)} segments)')
            continue
        base, size = windows[segment]
        allocator = Allocator(base, size)
        placed = placements.setdefault(segment, [])
        for bar in bars:
            length, alignment = _bar(bar)
            address = allocator.allocate(length, alignment)
            if address is None:
                problems.append(f'segment {segment}: a {_show(length)} {what} BAR (aligned to '
                                f'{_show(alignment)}) does not fit into [{base:#x}, '
                                f'{base + size - 1:#x}] after {len(placed)} BARs')
                break
            placed.append((address, length))
    return problems, placements


def _show(n):
    for unit, name in ((1 << 40, 'TiB'), (GIB, 'GiB'), (MIB, 'MiB'), (KIB, 'KiB')):
        if n >= unit and n % unit == 0:
            return f'{n // unit} {name}'
    return f'{n} bytes'


def mmio64_fits(bars_by_segment, max_phys_bits, weights, *, memory, host_phys_bits=None):
    """Whether the 64-bit BARs fit their segments' 64-bit apertures.

    bars_by_segment: {segment: [BAR, ...]} in Cloud Hypervisor's allocation order (virtio
      devices first, then --device in command-line order, BAR 0 to 5 of each); a BAR is a
      size (a VFIO BAR, aligned to its size) or (size, alignment) (VIRTIO_BAR).
    max_phys_bits: --cpus max_phys_bits (DEFAULT_MAX_PHYS_BITS when not given).
    weights: mmio64_aperture_weight per segment, one per segment of num_pci_segments.
    memory: guest RAM, which sets where the area starts (see _zones).
    host_phys_bits: the physical bits the host CPU reports (L1's /proc/cpuinfo "address
      sizes"), None when max_phys_bits is known to be the smaller.
    Returns a Fit (true when everything fits)."""
    bits = guest_phys_bits(max_phys_bits, host_phys_bits)
    try:
        start, end = device_area_64(bits, memory)
        windows = apertures(start, end, list(weights), MMIO64_SEGMENT_ALIGN)
    except ValueError as e:
        return Fit(False, [str(e)], [], {})
    problems, placements = place(windows, bars_by_segment, '64-bit')
    return Fit(not problems, problems, windows, placements)


def mmio32_fits(bars_by_segment, weights):
    """The same for 32-bit BARs (and virtio-block on segment 0, VFIO ROM BARs) in the
    640 MiB hole below 4 GiB, split by mmio32_aperture_weight."""
    try:
        windows = apertures(MEM_32BIT_DEVICES_START,
                            MEM_32BIT_DEVICES_START + MEM_32BIT_DEVICES_SIZE - 1,
                            list(weights), MMIO32_SEGMENT_ALIGN)
    except ValueError as e:
        return Fit(False, [str(e)], [], {})
    problems, placements = place(windows, bars_by_segment, '32-bit')
    return Fit(not problems, problems, windows, placements)
