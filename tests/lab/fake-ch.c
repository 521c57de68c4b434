/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fake-ch: a stand-in for Cloud Hypervisor in the boot lab (scenario 10-vm-lifecycle),
 * installed as the VM's Hypervisor=. Cloud Hypervisor cannot run here (no KVM under TCG),
 * so this does, system call for system call, what it does with the command line nestvirt
 * generates, up to the point where it would enter the guest; whatever the unit's sandbox
 * refuses, this is refused too:
 *   - parses the options like CH (comma-separated key=value, brackets and quotes kept
 *     together, unknown options and keys refused) and logs the argv it got;
 *   - binds the API socket first (CH's HTTP thread starts before the VM is built);
 *   - opens /dev/kvm, the kernel/initramfs/firmware, each --disk (read-write unless
 *     readonly=on, with CH's OFD lock), the serial file;
 *   - per --memory-zone: memfd_create(MFD_HUGETLB | page size), ftruncate, mmap shared,
 *     mbind(MPOL_BIND) to host_numa_node, touches every page and checks its node;
 *   - sched_setaffinity to the CPUs of --cpus affinity=;
 *   - VFIO: container, each device's group, VFIO_SET_IOMMU(TYPE1v2), VFIO_IOMMU_MAP_DMA
 *     of the guest memory (pins it: RLIMIT_MEMLOCK or CAP_IPC_LOCK), the device fd, a BAR
 *     mapped;
 *   - a seccomp filter (CH installs its own), then serves CH's API (HTTP/1.1 on the Unix
 *     socket, keep-alive like CH's micro_http): GET /api/v1/vm.info, GET /api/v1/vmm.ping,
 *     PUT /api/v1/vm.power-button (204, then exits 0 after a short delay: the guest shut down).
 * Every step logs "fake-ch: STEP ok: ..." on stdout (the journal); the first refused one logs
 * "fake-ch: STEP FAILED: ...: MESSAGE (ERRNO)" and exits 1. SIGTERM (a hard power-off for CH)
 * is logged, then ends the process as the signal would.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <linux/filter.h>
#include <asm-generic/hugetlb_encode.h>
#include <linux/mempolicy.h>
#include <linux/seccomp.h>
#include <linux/vfio.h>

#define MAX_ITEMS 16
#define MAX_CLIENTS 8
#define SHUTDOWN_DELAY_MS 1500   /* power button to exit: a guest shutting down */

typedef struct Disk { char *path; bool readonly; int fd; } Disk;
typedef struct Device { char *path, *id; } Device;
typedef struct Zone { char *id; uint64_t size, page_size; int node; void *mem; } Zone;

static struct {
        char *api_socket, *kernel, *initramfs, *firmware, *cmdline, *serial, *console;
        unsigned boot_vcpus;
        cpu_set_t affinity;
        bool has_affinity, has_memory;
        uint64_t memory_size;
        Disk disks[MAX_ITEMS];
        Device devices[MAX_ITEMS];
        Zone zones[MAX_ITEMS];
        size_t n_disks, n_devices, n_zones;
} o;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...) {
        va_list ap;
        fputs("fake-ch: ", stdout);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        fflush(stdout);
}

/* The step that failed, what it was doing, the errno (0: none) and its name; exits 1. */
static _Noreturn void fail(const char *step, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static _Noreturn void fail(const char *step, int err, const char *fmt, ...) {
        va_list ap;
        printf("fake-ch: %s FAILED: ", step);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        if (err)
                printf(": %s (%s)", strerror(err), strerrorname_np(err) ?: "?");
        printf("\nfake-ch: exiting 1 at step %s\n", step);
        fflush(stdout);
        exit(1);
}

/* ------------------------------------------------------------ option values */

/* Splits "a=1,b=[2,3],c=\"x,y\"" at the commas outside brackets and quotes, as CH's option
 * parser does; quotes are dropped from the values. Returns the number of items. */
static size_t split_items(const char *opt, const char *s, char *items[], size_t max) {
        size_t n = 0, len = 0;
        int depth = 0;
        bool quoted = false;
        char *cur = calloc(strlen(s) + 1, 1);
        if (!cur)
                fail("argv", ENOMEM, "%s", opt);
        for (const char *p = s;; p++) {
                if (*p == '"') {
                        quoted = !quoted;
                        continue;
                }
                if (!quoted && *p == '[')
                        depth++;
                if (!quoted && *p == ']' && --depth < 0)
                        fail("argv", 0, "%s %s: unbalanced ]", opt, s);
                if (*p == 0 || (*p == ',' && depth == 0 && !quoted)) {
                        if (n == max)
                                fail("argv", 0, "%s %s: too many items", opt, s);
                        cur[len] = 0;
                        items[n++] = strdup(cur);
                        len = 0;
                        if (*p == 0)
                                break;
                        continue;
                }
                cur[len++] = *p;
        }
        free(cur);
        if (quoted || depth != 0)
                fail("argv", 0, "%s %s: unbalanced quotes or brackets", opt, s);
        return n;
}

/* "key=value" of an option that knows only the keys in KNOWN (space-separated); a bare word
 * comes back as key with value NULL. Unknown keys are refused, as CH refuses them. */
static void key_value(const char *opt, char *item, const char *known, char **key, char **value) {
        char *eq = strchr(item, '=');
        if (eq)
                *eq = 0;
        *key = item;
        *value = eq ? eq + 1 : NULL;
        size_t l = strlen(item);
        if (l == 0)
                fail("argv", 0, "%s: an empty item (two commas in a row?)", opt);
        for (const char *k = known; (k = strstr(k, item)); k += l)
                if ((k == known || k[-1] == ' ') && (k[l] == ' ' || k[l] == 0))
                        return;
        fail("argv", 0, "%s: unknown key '%s' (Cloud Hypervisor would refuse it too)", opt, item);
}

/* Sizes take K, M or G (uppercase only) or nothing, as CH's ByteSized. */
static uint64_t parse_size(const char *opt, const char *s) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s ?: "", &end, 10);
        unsigned shift = *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 0;
        if (errno || end == s || (shift && end[1]) || (!shift && *end))
                fail("argv", 0, "%s: size '%s' is not a number with K, M or G", opt, s ?: "");
        return (uint64_t) v << shift;
}

static bool parse_on_off(const char *opt, const char *key, const char *v) {
        if (v && strcmp(v, "on") == 0)
                return true;
        if (v && strcmp(v, "off") == 0)
                return false;
        fail("argv", 0, "%s: %s=%s is neither on nor off", opt, key, v ?: "");
}

/* "[0-3,6]" into SET. */
static void parse_cpu_list(const char *s, cpu_set_t *set) {
        char *end;
        if (*s++ != '[')
                fail("argv", 0, "--cpus: CPU list %s has no brackets", s - 1);
        for (;;) {
                long a = strtol(s, &end, 10), b = a;
                if (end == s)
                        fail("argv", 0, "--cpus: bad CPU list at '%s'", s);
                if (*end == '-')
                        b = strtol(s = end + 1, &end, 10);
                if (a < 0 || b < a || b >= CPU_SETSIZE)
                        fail("argv", 0, "--cpus: bad CPU range at '%s'", s);
                for (long c = a; c <= b; c++)
                        CPU_SET(c, set);
                if (*end == ']' && end[1] == 0)
                        return;
                if (*end != ',')
                        fail("argv", 0, "--cpus: bad CPU list at '%s'", end);
                s = end + 1;
        }
}

static void parse_cpus(const char *opt, const char *arg) {
        char *items[MAX_ITEMS], *k, *v;
        size_t n = split_items(opt, arg, items, MAX_ITEMS);
        for (size_t i = 0; i < n; i++) {
                key_value(opt, items[i], "boot max topology kvm_hyperv max_phys_bits affinity features nested "
                          "core_scheduling", &k, &v);
                if (strcmp(k, "boot") == 0)
                        o.boot_vcpus = (unsigned) parse_size(opt, v);
                else if (strcmp(k, "affinity") == 0) {
                        /* [VCPU@[CPUS],...]: the union is where this process may run. */
                        size_t l = v ? strlen(v) : 0;
                        if (l < 2 || v[0] != '[' || v[l - 1] != ']')
                                fail("argv", 0, "%s: affinity=%s needs outer brackets", opt, v ?: "");
                        v[l - 1] = 0;
                        char *entries[256];
                        size_t m = split_items(opt, v + 1, entries, 256);
                        for (size_t j = 0; j < m; j++) {
                                char *at = strchr(entries[j], '@');
                                if (!at)
                                        fail("argv", 0, "%s: affinity entry '%s' is not VCPU@[CPUS]", opt, entries[j]);
                                parse_cpu_list(at + 1, &o.affinity);
                                free(entries[j]);
                        }
                        o.has_affinity = true;
                }
        }
}

static void parse_memory_zone(const char *opt, const char *arg) {
        char *items[MAX_ITEMS], *k, *v;
        Zone *z = &o.zones[o.n_zones];
        bool hugepages = false;
        if (o.n_zones == MAX_ITEMS)
                fail("argv", 0, "too many %s", opt);
        *z = (Zone) { .node = -1 };
        size_t n = split_items(opt, arg, items, MAX_ITEMS);
        for (size_t i = 0; i < n; i++) {
                key_value(opt, items[i], "id size file shared hugepages hugepage_size host_numa_node hotplug_size "
                          "hotplugged_size prefault reserve mergeable", &k, &v);
                if (strcmp(k, "id") == 0)
                        z->id = v;
                else if (strcmp(k, "size") == 0)
                        z->size = parse_size(opt, v);
                else if (strcmp(k, "hugepages") == 0)
                        hugepages = parse_on_off(opt, k, v);
                else if (strcmp(k, "hugepage_size") == 0)
                        z->page_size = parse_size(opt, v);
                else if (strcmp(k, "host_numa_node") == 0)
                        z->node = (int) parse_size(opt, v);
        }
        /* The lab checks what nestvirt generates: hugepage-backed zones with an explicit size. */
        if (!z->id || !z->size || !hugepages || !z->page_size || (z->page_size & (z->page_size - 1)) ||
            z->size % z->page_size)
                fail("argv", 0, "%s %s: want id=, size= (a multiple of hugepage_size), hugepages=on and "
                     "hugepage_size= a power of two", opt, arg);
        o.n_zones++;
}

static void parse_disk(const char *opt, const char *arg) {
        char *items[MAX_ITEMS], *k, *v;
        Disk *d = &o.disks[o.n_disks];
        if (o.n_disks == MAX_ITEMS)
                fail("argv", 0, "too many %s", opt);
        *d = (Disk) { .fd = -1 };
        size_t n = split_items(opt, arg, items, MAX_ITEMS);
        for (size_t i = 0; i < n; i++) {
                key_value(opt, items[i], "path readonly direct iommu queue_size num_queues vhost_user socket "
                          "bw_size bw_one_time_burst bw_refill_time ops_size ops_one_time_burst ops_refill_time id "
                          "pci_segment serial rate_limit_group queue_affinity backing_files sparse image_type "
                          "lock_granularity", &k, &v);
                if (strcmp(k, "path") == 0)
                        d->path = v;
                else if (strcmp(k, "readonly") == 0)
                        d->readonly = parse_on_off(opt, k, v);
                else if (strcmp(k, "image_type") == 0 && (!v || (strcmp(v, "raw") && strcmp(v, "qcow2"))))
                        fail("argv", 0, "%s: image_type=%s", opt, v ?: "");
        }
        if (!d->path)
                fail("argv", 0, "%s %s: no path=", opt, arg);
        o.n_disks++;
}

static void parse_device(const char *opt, const char *arg) {
        char *items[MAX_ITEMS], *k, *v;
        Device *d = &o.devices[o.n_devices];
        if (o.n_devices == MAX_ITEMS)
                fail("argv", 0, "too many %s", opt);
        *d = (Device) {};
        size_t n = split_items(opt, arg, items, MAX_ITEMS);
        for (size_t i = 0; i < n; i++) {
                key_value(opt, items[i], "path fd iommu id pci_segment pci_device_id x_nv_gpudirect_clique "
                          "x_exclude_mmap_bars", &k, &v);
                if (strcmp(k, "path") == 0)
                        d->path = v;
                else if (strcmp(k, "id") == 0)
                        d->id = v;
        }
        if (!d->path)
                fail("argv", 0, "%s %s: no path=", opt, arg);
        for (size_t i = 0; i < o.n_devices; i++)
                if (d->id && o.devices[i].id && strcmp(d->id, o.devices[i].id) == 0)
                        fail("argv", 0, "%s: id=%s used twice", opt, d->id);
        o.n_devices++;
}

/* --serial and --console: off, null, pty, tty, file=PATH, socket=PATH. */
static char *parse_console(const char *opt, const char *arg) {
        char *items[4], *k, *v, *mode = NULL;
        size_t n = split_items(opt, arg, items, 4);
        for (size_t i = 0; i < n; i++) {
                key_value(opt, items[i], "off null pty tty file socket iommu", &k, &v);
                if (strcmp(k, "iommu") != 0)
                        mode = items[i];
                if (v)
                        k[strlen(k)] = '=';   /* keep "file=PATH" whole */
        }
        if (!mode)
                fail("argv", 0, "%s %s: no mode", opt, arg);
        return mode;
}

static void parse_argv(int argc, char **argv) {
        for (int i = 1; i < argc; i++) {
                char *opt = argv[i], *eq = strchr(opt, '=');
                if (strncmp(opt, "--", 2) != 0)
                        fail("argv", 0, "unexpected argument '%s'", opt);
                if (eq)
                        *eq = 0;
                bool multi = !strcmp(opt, "--disk") || !strcmp(opt, "--device") || !strcmp(opt, "--memory-zone");
                /* A value: after '=', else the next argument; repeated options take more. */
                int first = eq ? i : i + 1, last = first;
                if (!eq && i + 1 >= argc)
                        fail("argv", 0, "%s needs a value", opt);
                while (multi && last + 1 < argc && strncmp(argv[last + 1], "--", 2) != 0)
                        last++;
                for (int j = first; j <= last; j++) {
                        char *val = j == i ? eq + 1 : argv[j];
                        if (!strcmp(opt, "--api-socket"))
                                o.api_socket = strncmp(val, "path=", 5) == 0 ? val + 5 : val;
                        else if (!strcmp(opt, "--cpus"))
                                parse_cpus(opt, val);
                        else if (!strcmp(opt, "--memory")) {
                                char *items[MAX_ITEMS], *k, *v;
                                size_t n = split_items(opt, val, items, MAX_ITEMS);
                                for (size_t m = 0; m < n; m++) {
                                        key_value(opt, items[m], "size file mergeable hotplug_method hotplug_size "
                                                  "hotplugged_size shared hugepages hugepage_size prefault reserve thp", &k, &v);
                                        if (strcmp(k, "size") == 0)
                                                o.memory_size = parse_size(opt, v);
                                }
                                o.has_memory = true;
                        } else if (!strcmp(opt, "--memory-zone"))
                                parse_memory_zone(opt, val);
                        else if (!strcmp(opt, "--kernel"))
                                o.kernel = val;
                        else if (!strcmp(opt, "--initramfs"))
                                o.initramfs = val;
                        else if (!strcmp(opt, "--firmware"))
                                o.firmware = val;
                        else if (!strcmp(opt, "--cmdline"))
                                o.cmdline = val;
                        else if (!strcmp(opt, "--disk"))
                                parse_disk(opt, val);
                        else if (!strcmp(opt, "--device"))
                                parse_device(opt, val);
                        else if (!strcmp(opt, "--serial"))
                                o.serial = parse_console(opt, val);
                        else if (!strcmp(opt, "--console"))
                                o.console = parse_console(opt, val);
                        else
                                fail("argv", 0, "option %s is not known to this stand-in (the lab's VM config does "
                                     "not use it)", opt);
                }
                i = last;
        }
        if (!o.api_socket)
                fail("argv", 0, "no --api-socket: nestvirt's stop and readiness need it");
        if (!!o.kernel == !!o.firmware)
                fail("argv", 0, "exactly one of --kernel and --firmware is needed");
        if (o.n_zones && (!o.has_memory || o.memory_size != 0))
                fail("argv", 0, "--memory-zone needs --memory size=0 (CH adds the zones to it)");
}

/* ------------------------------------------------------------ the steps */

static void log_credentials(void) {
        FILE *f = fopen("/proc/self/status", "re");
        char line[256], caps[64] = "?", nnp[16] = "?", seccomp[16] = "?";
        struct rlimit rl;
        while (f && fgets(line, sizeof line, f)) {
                line[strcspn(line, "\n")] = 0;
                if (!strncmp(line, "CapEff:", 7))
                        snprintf(caps, sizeof caps, "%s", line + 7 + strspn(line + 7, "\t "));
                else if (!strncmp(line, "NoNewPrivs:", 11))
                        snprintf(nnp, sizeof nnp, "%s", line + 11 + strspn(line + 11, "\t "));
                else if (!strncmp(line, "Seccomp:", 8))
                        snprintf(seccomp, sizeof seccomp, "%s", line + 8 + strspn(line + 8, "\t "));
        }
        if (f)
                fclose(f);
        unsigned long long eff = strtoull(caps, NULL, 16);
        getrlimit(RLIMIT_MEMLOCK, &rl);
        char lim[32];
        if (rl.rlim_cur == RLIM_INFINITY)
                snprintf(lim, sizeof lim, "infinity");
        else
                snprintf(lim, sizeof lim, "%llu", (unsigned long long) rl.rlim_cur);
        say("credentials ok: uid %u, CapEff %s (CAP_IPC_LOCK %s), RLIMIT_MEMLOCK %s, NoNewPrivs %s, Seccomp %s",
            (unsigned) getuid(), caps, eff & (1ULL << 14) ? "yes" : "no", lim, nnp, seccomp);
}

static int api_listen(void) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(o.api_socket) >= sizeof sa.sun_path)
                fail("api-socket", ENAMETOOLONG, "%s", o.api_socket);
        strcpy(sa.sun_path, o.api_socket);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                fail("api-socket", errno, "socket(AF_UNIX)");
        /* Like CH: an existing socket file is an error (EADDRINUSE), not replaced. */
        if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                fail("api-socket", errno, "bind %s", o.api_socket);
        if (listen(fd, 16) < 0)
                fail("api-socket", errno, "listen %s", o.api_socket);
        say("api-socket ok: listening on %s", o.api_socket);
        return fd;
}

static void open_kvm(void) {
        struct stat st;
        int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
        if (fd < 0)
                fail("kvm", errno, "open /dev/kvm read-write");
        fstat(fd, &st);
        /* KVM is misc 10:232; the lab has no KVM and puts a stand-in node there. */
        bool real = S_ISCHR(st.st_mode) && major(st.st_rdev) == 10 && minor(st.st_rdev) == 232;
        say("kvm ok: /dev/kvm opened read-write (char %u:%u%s)", major(st.st_rdev), minor(st.st_rdev),
            real ? "" : ", the lab's stand-in: no KVM ioctl is tried");
}

static void open_boot_file(const char *what, const char *path) {
        struct stat st;
        if (!path)
                return;
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                fail(what, errno, "open %s", path);
        fstat(fd, &st);
        say("%s ok: %s, %lld bytes", what, path, (long long) st.st_size);
        close(fd);
}

static void open_disks(void) {
        for (size_t i = 0; i < o.n_disks; i++) {
                Disk *d = &o.disks[i];
                char label[40] = "";
                struct stat st;
                d->fd = open(d->path, (d->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
                if (d->fd < 0)
                        fail("disk", errno, "open %s %s", d->path, d->readonly ? "read-only" : "read-write");
                /* CH locks its images (OFD locks): shared for read-only, exclusive otherwise. */
                struct flock fl = { .l_type = d->readonly ? F_RDLCK : F_WRLCK, .l_whence = SEEK_SET };
                if (fcntl(d->fd, F_OFD_SETLK, &fl) < 0)
                        fail("disk", errno, "lock %s (another VM uses it?)", d->path);
                fstat(d->fd, &st);
                /* An ISO 9660 seed: its volume identifier, which NoCloud wants to be "cidata". */
                char pvd[72];
                if (pread(d->fd, pvd, sizeof pvd, 0x8000) == (ssize_t) sizeof pvd && memcmp(pvd + 1, "CD001", 5) == 0) {
                        memcpy(label, pvd + 40, 32);
                        for (int k = 31; k >= 0 && label[k] == ' '; k--)
                                label[k] = 0;
                }
                say("disk ok: %s opened %s and locked, %lld bytes%s%s%s", d->path,
                    d->readonly ? "read-only" : "read-write", (long long) st.st_size, *label ? ", ISO 9660 volume '" : "",
                    label, *label ? "'" : "");
        }
}

static void open_serial(void) {
        if (!o.serial || strncmp(o.serial, "file=", 5) != 0) {
                say("serial ok: %s", o.serial ?: "(default)");
                return;
        }
        const char *path = o.serial + 5;
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (fd < 0)
                fail("serial", errno, "create %s", path);
        static const char banner[] = "fake-ch: serial console of the lab's stand-in VM (no guest runs)\n";
        if (write(fd, banner, sizeof banner - 1) < 0)
                fail("serial", errno, "write %s", path);
        close(fd);
        say("serial ok: %s created and written", path);
}

static void map_memory(void) {
        for (size_t i = 0; i < o.n_zones; i++) {
                Zone *z = &o.zones[i];
                unsigned log2 = (unsigned) __builtin_ctzll(z->page_size);
                unsigned flags = MFD_CLOEXEC | MFD_HUGETLB | (log2 << HUGETLB_FLAG_ENCODE_SHIFT);
                int fd = memfd_create("ch_ram", flags);
                if (fd < 0)
                        fail("memory", errno, "zone %s: memfd_create(MFD_HUGETLB, %llu MiB pages)", z->id,
                             (unsigned long long) (z->page_size >> 20));
                if (ftruncate(fd, (off_t) z->size) < 0)
                        fail("memory", errno, "zone %s: ftruncate to %llu MiB", z->id, (unsigned long long) (z->size >> 20));
                z->mem = mmap(NULL, z->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
                if (z->mem == MAP_FAILED)
                        fail("memory", errno, "zone %s: mmap %llu MiB shared (no free huge pages left?)", z->id,
                             (unsigned long long) (z->size >> 20));
                close(fd);
                if (z->node >= 0) {
                        /* Before the first touch, as CH: the pages then come from that node's pool. */
                        unsigned long mask[4] = {};
                        if (z->node >= 256)
                                fail("memory", 0, "zone %s: host_numa_node=%d is too big for this stand-in", z->id, z->node);
                        mask[z->node / 64] |= 1UL << (z->node % 64);
                        if (syscall(SYS_mbind, z->mem, z->size, MPOL_BIND, mask, (unsigned long) z->node + 2,
                                    MPOL_MF_STRICT | MPOL_MF_MOVE) < 0)
                                fail("memory", errno, "zone %s: mbind(MPOL_BIND, node %d)", z->id, z->node);
                }
                for (uint64_t off = 0; off < z->size; off += z->page_size)
                        ((volatile char *) z->mem)[off] = 1;
                int node = -1;
                if (syscall(SYS_get_mempolicy, &node, NULL, 0UL, z->mem, MPOL_F_NODE | MPOL_F_ADDR) < 0)
                        fail("memory", errno, "zone %s: get_mempolicy of the first page", z->id);
                if (z->node >= 0 && node != z->node)
                        fail("memory", 0, "zone %s: the first page is on node %d, not host_numa_node=%d", z->id, node, z->node);
                say("memory ok: zone %s, %llu MiB of %llu MiB pages (hugetlb memfd, shared), bound to node %d, "
                    "touched, first page on node %d", z->id, (unsigned long long) (z->size >> 20),
                    (unsigned long long) (z->page_size >> 20), z->node, node);
        }
}

static void set_affinity(void) {
        char list[256] = "";
        if (!o.has_affinity) {
                say("affinity ok: none asked");
                return;
        }
        for (int c = 0, n = 0; c < CPU_SETSIZE && n < 60; c++)
                if (CPU_ISSET(c, &o.affinity))
                        n += snprintf(list + strlen(list), sizeof list - strlen(list), "%s%d", *list ? "," : "", c) > 0;
        if (sched_setaffinity(0, sizeof o.affinity, &o.affinity) < 0)
                fail("affinity", errno, "sched_setaffinity to CPUs %s", list);
        say("affinity ok: %u vCPUs on host CPUs %s", o.boot_vcpus, list);
}

static void open_vfio(void) {
        int container, groups[MAX_ITEMS], group_fds[MAX_ITEMS];
        size_t n_groups = 0;
        uint64_t iova = 0;

        if (o.n_devices == 0)
                return;
        container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
        if (container < 0)
                fail("vfio", errno, "open /dev/vfio/vfio");
        if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
                fail("vfio", errno, "VFIO_GET_API_VERSION");
        if (ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0)
                fail("vfio", errno, "VFIO_CHECK_EXTENSION(VFIO_TYPE1v2_IOMMU)");
        say("vfio ok: /dev/vfio/vfio, API %d, TYPE1v2", VFIO_API_VERSION);

        for (size_t i = 0; i < o.n_devices; i++) {
                Device *d = &o.devices[i];
                char link[PATH_MAX], path[PATH_MAX + 32], *name = strrchr(d->path, '/');
                name = name ? name + 1 : d->path;
                snprintf(path, sizeof path, "%s/iommu_group", d->path);
                ssize_t l = readlink(path, link, sizeof link - 1);
                if (l < 0)
                        fail("vfio", errno, "device %s: read %s", d->id ?: name, path);
                link[l] = 0;
                int group = atoi(strrchr(link, '/') ? strrchr(link, '/') + 1 : link), gfd = -1;
                for (size_t g = 0; g < n_groups; g++)
                        if (groups[g] == group)
                                gfd = group_fds[g];
                if (gfd < 0) {
                        snprintf(path, sizeof path, "/dev/vfio/%d", group);
                        gfd = open(path, O_RDWR | O_CLOEXEC);
                        if (gfd < 0)
                                fail("vfio", errno, "device %s: open %s", name, path);
                        struct vfio_group_status st = { .argsz = sizeof st };
                        if (ioctl(gfd, VFIO_GROUP_GET_STATUS, &st) < 0 || !(st.flags & VFIO_GROUP_FLAGS_VIABLE))
                                fail("vfio", errno, "device %s: group %d not viable (flags 0x%x)", name, group, st.flags);
                        if (ioctl(gfd, VFIO_GROUP_SET_CONTAINER, &container) < 0)
                                fail("vfio", errno, "device %s: VFIO_GROUP_SET_CONTAINER group %d", name, group);
                        say("vfio ok: device %s: group %d opened, viable, in the container", name, group);
                        if (n_groups == 0) {
                                /* The IOMMU model comes with the first group, then all guest memory is
                                 * mapped for DMA: this pins it, charged to RLIMIT_MEMLOCK without CAP_IPC_LOCK. */
                                if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0)
                                        fail("vfio", errno, "VFIO_SET_IOMMU(VFIO_TYPE1v2_IOMMU)%s",
                                             errno == EPERM ? " (no interrupt remapping and allow_unsafe_interrupts=0?)" : "");
                                for (size_t z = 0; z < o.n_zones; z++) {
                                        struct vfio_iommu_type1_dma_map map = {
                                                .argsz = sizeof map,
                                                .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
                                                .vaddr = (uintptr_t) o.zones[z].mem,
                                                .iova = iova,
                                                .size = o.zones[z].size,
                                        };
                                        if (ioctl(container, VFIO_IOMMU_MAP_DMA, &map) < 0)
                                                fail("vfio", errno, "VFIO_IOMMU_MAP_DMA zone %s, %llu MiB at IOVA 0x%llx%s",
                                                     o.zones[z].id, (unsigned long long) (map.size >> 20),
                                                     (unsigned long long) iova,
                                                     errno == ENOMEM ? " (RLIMIT_MEMLOCK too low? the unit needs LimitMEMLOCK=infinity)" : "");
                                        say("vfio ok: VFIO_SET_IOMMU(TYPE1v2), zone %s mapped for DMA: %llu MiB pinned at IOVA 0x%llx",
                                            o.zones[z].id, (unsigned long long) (map.size >> 20), (unsigned long long) iova);
                                        iova += o.zones[z].size;
                                }
                        }
                        groups[n_groups] = group;
                        group_fds[n_groups++] = gfd;
                }

                int dfd = ioctl(gfd, VFIO_GROUP_GET_DEVICE_FD, name);
                if (dfd < 0)
                        fail("vfio", errno, "device %s: VFIO_GROUP_GET_DEVICE_FD", name);
                struct vfio_device_info info = { .argsz = sizeof info };
                if (ioctl(dfd, VFIO_DEVICE_GET_INFO, &info) < 0)
                        fail("vfio", errno, "device %s: VFIO_DEVICE_GET_INFO", name);
                /* CH maps the BARs it can into the guest: map the first mappable one. */
                char bar[96] = "no mappable BAR";
                for (unsigned r = VFIO_PCI_BAR0_REGION_INDEX; r <= VFIO_PCI_BAR5_REGION_INDEX; r++) {
                        struct vfio_region_info ri = { .argsz = sizeof ri, .index = r };
                        if (ioctl(dfd, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0 || !ri.size ||
                            !(ri.flags & VFIO_REGION_INFO_FLAG_MMAP))
                                continue;
                        void *p = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, dfd, (off_t) ri.offset);
                        if (p == MAP_FAILED)
                                fail("vfio", errno, "device %s: mmap BAR%u (%llu KiB)", name, r,
                                     (unsigned long long) (ri.size >> 10));
                        snprintf(bar, sizeof bar, "BAR%u (%llu KiB) mapped", r, (unsigned long long) (ri.size >> 10));
                        break;
                }
                say("vfio ok: device %s (id %s): device fd, %u regions, %u irqs, %s", name, d->id ?: "-",
                    info.num_regions, info.num_irqs, bar);
        }
}

/* CH confines its threads with seccomp filters; the unit must allow seccomp() for that. */
static void install_seccomp(void) {
        struct sock_filter allow[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
        struct sock_fprog prog = { .len = 1, .filter = allow };
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                fail("seccomp", errno, "PR_SET_NO_NEW_PRIVS");
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
                fail("seccomp", errno, "seccomp(SECCOMP_SET_MODE_FILTER)");
        say("seccomp ok: a filter installed");
}

/* ------------------------------------------------------------ the API */

typedef struct Client { int fd; size_t n; char buf[8192]; } Client;

static int64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* As CH's micro_http writes them: "HTTP/1.1 200 \r\n", its Server, keep-alive, and a
 * Content-Type/Content-Length pair except for 204. */
static void respond(int fd, int status, const char *body) {
        char out[2048];
        int n = snprintf(out, sizeof out, "HTTP/1.1 %d \r\nServer: Cloud Hypervisor API\r\nConnection: keep-alive\r\n", status);
        if (status != 204)
                n += snprintf(out + n, sizeof out - (size_t) n, "Content-Type: application/json\r\nContent-Length: %zu\r\n",
                              strlen(body ?: ""));
        n += snprintf(out + n, sizeof out - (size_t) n, "\r\n%s", status != 204 && body ? body : "");
        if (send(fd, out, (size_t) n, MSG_NOSIGNAL) != n)
                say("api: answer not sent in full: %s", strerror(errno));
}

/* One complete request at the start of C's buffer: answered and removed. Returns false when
 * more bytes are needed. SHUTDOWN_AT is set by the power button. */
static bool serve_one(Client *c, int64_t *shutdown_at) {
        char *end = memmem(c->buf, c->n, "\r\n\r\n", 4), method[16], target[256];
        size_t body = 0;
        if (!end)
                return false;
        *end = 0;
        for (char *h = strstr(c->buf, "\r\n"); h; h = strstr(h + 2, "\r\n"))
                if (!strncasecmp(h + 2, "Content-Length:", 15))
                        body = strtoul(h + 17, NULL, 10);
        size_t total = (size_t) (end + 4 - c->buf) + body;
        if (total > c->n) {
                *end = '\r';
                return false;
        }
        if (sscanf(c->buf, "%15s %255s", method, target) != 2)
                snprintf(method, sizeof method, "?"), snprintf(target, sizeof target, "?");

        int status;
        char info[512];
        if (!strcmp(target, "/api/v1/vm.info") && !strcmp(method, "GET")) {
                snprintf(info, sizeof info, "{\"config\":{\"cpus\":{\"boot_vcpus\":%u,\"max_vcpus\":%u},\"memory\":"
                         "{\"size\":0}},\"state\":\"Running\",\"memory_actual_size\":%llu}", o.boot_vcpus, o.boot_vcpus,
                         (unsigned long long) (o.n_zones ? o.zones[0].size : 0));
                respond(c->fd, status = 200, info);
        } else if (!strcmp(target, "/api/v1/vmm.ping") && !strcmp(method, "GET"))
                respond(c->fd, status = 200, "{\"build_version\":\"fake-ch (nestvirt boot lab)\",\"version\":\"fake\"}");
        else if (!strcmp(target, "/api/v1/vm.power-button") && !strcmp(method, "PUT")) {
                respond(c->fd, status = 204, NULL);
                if (!*shutdown_at)
                        *shutdown_at = now_ms() + SHUTDOWN_DELAY_MS;
        } else if (!strncmp(target, "/api/v1/", 8))
                respond(c->fd, status = 405, "[\"fake-ch: method or endpoint not served by this stand-in\"]");
        else
                respond(c->fd, status = 404, "[\"not found\"]");
        say("api: %s %s -> %d%s", method, target, status,
            status == 204 && !strcmp(target, "/api/v1/vm.power-button") ? " (power button: the guest shuts down)" : "");
        memmove(c->buf, c->buf + total, c->n - total);
        c->n -= total;
        return true;
}

static _Noreturn void serve(int lfd) {
        Client clients[MAX_CLIENTS] = {};
        int64_t shutdown_at = 0;
        for (size_t i = 0; i < MAX_CLIENTS; i++)
                clients[i].fd = -1;
        say("running: the VM is 'Running'; serving the API on %s", o.api_socket);
        for (;;) {
                struct pollfd p[MAX_CLIENTS + 1] = { { .fd = lfd, .events = POLLIN } };
                for (size_t i = 0; i < MAX_CLIENTS; i++)
                        p[i + 1] = (struct pollfd) { .fd = clients[i].fd, .events = POLLIN };
                int timeout = shutdown_at ? (int) (shutdown_at - now_ms() > 0 ? shutdown_at - now_ms() : 0) : -1;
                int r = poll(p, MAX_CLIENTS + 1, timeout);
                if (r < 0 && errno != EINTR)
                        fail("api", errno, "poll");
                if (shutdown_at && now_ms() >= shutdown_at) {
                        say("guest shut down %d ms after the power button: exiting 0", SHUTDOWN_DELAY_MS);
                        exit(0);
                }
                if (r <= 0)
                        continue;
                if (p[0].revents & POLLIN) {
                        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
                        size_t i = 0;
                        while (i < MAX_CLIENTS && clients[i].fd >= 0)
                                i++;
                        if (fd >= 0 && i < MAX_CLIENTS)
                                clients[i] = (Client) { .fd = fd };
                        else if (fd >= 0)
                                close(fd);
                }
                for (size_t i = 0; i < MAX_CLIENTS; i++) {
                        Client *c = &clients[i];
                        if (c->fd < 0 || !(p[i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
                                continue;
                        ssize_t k = c->n < sizeof c->buf ? recv(c->fd, c->buf + c->n, sizeof c->buf - c->n, 0) : 0;
                        if (k <= 0) {   /* the client closed (CH keeps it open until then) */
                                close(c->fd);
                                c->fd = -1;
                                continue;
                        }
                        c->n += (size_t) k;
                        while (serve_one(c, &shutdown_at))
                                ;
                }
        }
}

static void on_sigterm(int sig) {
        static const char m[] = "fake-ch: SIGTERM: a hard power-off (the graceful stop did not happen first)\n";
        (void) !write(STDOUT_FILENO, m, sizeof m - 1);
        signal(sig, SIG_DFL);
        raise(sig);
}

int main(int argc, char **argv) {
        setvbuf(stdout, NULL, _IOLBF, 0);
        signal(SIGTERM, on_sigterm);
        say("started as pid %d: a stand-in for Cloud Hypervisor (nestvirt boot lab), %d arguments", (int) getpid(), argc - 1);
        for (int i = 0; i < argc; i++)
                say("argv[%d] %s", i, argv[i]);
        parse_argv(argc, argv);
        say("argv ok: %zu memory zone(s), %zu disk(s), %zu device(s), serial %s, console %s", o.n_zones, o.n_disks,
            o.n_devices, o.serial ?: "-", o.console ?: "-");
        log_credentials();
        int lfd = api_listen();
        open_kvm();
        open_boot_file("kernel", o.kernel);
        open_boot_file("initramfs", o.initramfs);
        open_boot_file("firmware", o.firmware);
        open_disks();
        open_serial();
        map_memory();
        set_affinity();
        open_vfio();
        install_seccomp();
        serve(lfd);
}
