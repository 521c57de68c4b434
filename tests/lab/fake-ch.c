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
 * The options are parsed in fake-ch-options.c, the API served in fake-ch-api.c.
 * Every step logs "fake-ch: STEP ok: ..." on stdout (the journal); the first refused one logs
 * "fake-ch: STEP FAILED: ...: MESSAGE (ERRNO)" and exits 1. SIGTERM (a hard power-off for CH)
 * is logged, then ends the process as the signal would.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>
#include <asm-generic/hugetlb_encode.h>
#include <linux/filter.h>
#include <linux/mempolicy.h>
#include <linux/seccomp.h>
#include <linux/vfio.h>

#include "fake-ch.h"

void say(const char *fmt, ...) {
        va_list ap;
        fputs("fake-ch: ", stdout);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        fflush(stdout);
}

_Noreturn void fail(const char *step, int err, const char *fmt, ...) {
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
        if (strlen(options.api_socket) >= sizeof sa.sun_path)
                fail("api-socket", ENAMETOOLONG, "%s", options.api_socket);
        strcpy(sa.sun_path, options.api_socket);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                fail("api-socket", errno, "socket(AF_UNIX)");
        /* Like CH: an existing socket file is an error (EADDRINUSE), not replaced. */
        if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                fail("api-socket", errno, "bind %s", options.api_socket);
        if (listen(fd, 16) < 0)
                fail("api-socket", errno, "listen %s", options.api_socket);
        say("api-socket ok: listening on %s", options.api_socket);
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
        for (size_t i = 0; i < options.n_disks; i++) {
                Disk *d = &options.disks[i];
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
        if (!options.serial || strncmp(options.serial, "file=", 5) != 0) {
                say("serial ok: %s", options.serial ?: "(default)");
                return;
        }
        const char *path = options.serial + 5;
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
        for (size_t i = 0; i < options.n_zones; i++) {
                Zone *z = &options.zones[i];
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
        if (!options.has_affinity) {
                say("affinity ok: none asked");
                return;
        }
        for (int c = 0, n = 0; c < CPU_SETSIZE && n < 60; c++)
                if (CPU_ISSET(c, &options.affinity))
                        n += snprintf(list + strlen(list), sizeof list - strlen(list), "%s%d", *list ? "," : "", c) > 0;
        if (sched_setaffinity(0, sizeof options.affinity, &options.affinity) < 0)
                fail("affinity", errno, "sched_setaffinity to CPUs %s", list);
        say("affinity ok: %u vCPUs on host CPUs %s", options.boot_vcpus, list);
}

/* The IOMMU model comes with the first group; then all guest memory is mapped for DMA, which
 * pins it: charged to RLIMIT_MEMLOCK unless the process has CAP_IPC_LOCK. */
static void map_guest_memory(int container) {
        uint64_t iova = 0;
        if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0)
                fail("vfio", errno, "VFIO_SET_IOMMU(VFIO_TYPE1v2_IOMMU)%s",
                     errno == EPERM ? " (no interrupt remapping and allow_unsafe_interrupts=0?)" : "");
        for (size_t z = 0; z < options.n_zones; z++) {
                const Zone *zone = &options.zones[z];
                struct vfio_iommu_type1_dma_map map = {
                        .argsz = sizeof map,
                        .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
                        .vaddr = (uintptr_t) zone->mem,
                        .iova = iova,
                        .size = zone->size,
                };
                if (ioctl(container, VFIO_IOMMU_MAP_DMA, &map) < 0)
                        fail("vfio", errno, "VFIO_IOMMU_MAP_DMA zone %s, %llu MiB at IOVA 0x%llx%s", zone->id,
                             (unsigned long long) (map.size >> 20), (unsigned long long) iova,
                             errno == ENOMEM ? " (RLIMIT_MEMLOCK too low? the unit needs LimitMEMLOCK=infinity)" : "");
                say("vfio ok: VFIO_SET_IOMMU(TYPE1v2), zone %s mapped for DMA: %llu MiB pinned at IOVA 0x%llx",
                    zone->id, (unsigned long long) (map.size >> 20), (unsigned long long) iova);
                iova += zone->size;
        }
}

/* /dev/vfio/GROUP of device NAME, viable, in CONTAINER. */
static int open_group(int container, int group, const char *name) {
        char path[64];
        snprintf(path, sizeof path, "/dev/vfio/%d", group);
        int fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0)
                fail("vfio", errno, "device %s: open %s", name, path);
        struct vfio_group_status st = { .argsz = sizeof st };
        if (ioctl(fd, VFIO_GROUP_GET_STATUS, &st) < 0 || !(st.flags & VFIO_GROUP_FLAGS_VIABLE))
                fail("vfio", errno, "device %s: group %d not viable (flags 0x%x)", name, group, st.flags);
        if (ioctl(fd, VFIO_GROUP_SET_CONTAINER, &container) < 0)
                fail("vfio", errno, "device %s: VFIO_GROUP_SET_CONTAINER group %d", name, group);
        say("vfio ok: device %s: group %d opened, viable, in the container", name, group);
        return fd;
}

/* The device fd, its info, and (as CH maps the BARs it can into the guest) its first
 * mappable BAR mapped. */
static void open_device(int group_fd, const Device *d, const char *name) {
        int fd = ioctl(group_fd, VFIO_GROUP_GET_DEVICE_FD, name);
        if (fd < 0)
                fail("vfio", errno, "device %s: VFIO_GROUP_GET_DEVICE_FD", name);
        struct vfio_device_info info = { .argsz = sizeof info };
        if (ioctl(fd, VFIO_DEVICE_GET_INFO, &info) < 0)
                fail("vfio", errno, "device %s: VFIO_DEVICE_GET_INFO", name);
        char bar[96] = "no mappable BAR";
        for (unsigned r = VFIO_PCI_BAR0_REGION_INDEX; r <= VFIO_PCI_BAR5_REGION_INDEX; r++) {
                struct vfio_region_info ri = { .argsz = sizeof ri, .index = r };
                if (ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0 || !ri.size || !(ri.flags & VFIO_REGION_INFO_FLAG_MMAP))
                        continue;
                if (mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t) ri.offset) == MAP_FAILED)
                        fail("vfio", errno, "device %s: mmap BAR%u (%llu KiB)", name, r, (unsigned long long) (ri.size >> 10));
                snprintf(bar, sizeof bar, "BAR%u (%llu KiB) mapped", r, (unsigned long long) (ri.size >> 10));
                break;
        }
        say("vfio ok: device %s (id %s): device fd, %u regions, %u irqs, %s", name, d->id ?: "-", info.num_regions,
            info.num_irqs, bar);
}

static void open_vfio(void) {
        int container, groups[MAX_ITEMS], group_fds[MAX_ITEMS];
        size_t n_groups = 0;

        if (options.n_devices == 0)
                return;
        container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
        if (container < 0)
                fail("vfio", errno, "open /dev/vfio/vfio");
        if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
                fail("vfio", errno, "VFIO_GET_API_VERSION");
        if (ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0)
                fail("vfio", errno, "VFIO_CHECK_EXTENSION(VFIO_TYPE1v2_IOMMU)");
        say("vfio ok: /dev/vfio/vfio, API %d, TYPE1v2", VFIO_API_VERSION);

        for (size_t i = 0; i < options.n_devices; i++) {
                const Device *d = &options.devices[i];
                char link[PATH_MAX], path[PATH_MAX + 32];
                const char *name = strrchr(d->path, '/') ? strrchr(d->path, '/') + 1 : d->path;
                snprintf(path, sizeof path, "%s/iommu_group", d->path);
                ssize_t l = readlink(path, link, sizeof link - 1);
                if (l < 0)
                        fail("vfio", errno, "device %s: read %s", d->id ?: name, path);
                link[l] = 0;
                int group = atoi(strrchr(link, '/') ? strrchr(link, '/') + 1 : link), group_fd = -1;
                for (size_t g = 0; g < n_groups; g++)
                        if (groups[g] == group)
                                group_fd = group_fds[g];
                if (group_fd < 0) {
                        group_fd = open_group(container, group, name);
                        if (n_groups == 0)
                                map_guest_memory(container);
                        groups[n_groups] = group;
                        group_fds[n_groups++] = group_fd;
                }
                open_device(group_fd, d, name);
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
        say("argv ok: %zu memory zone(s), %zu disk(s), %zu device(s), serial %s, console %s", options.n_zones,
            options.n_disks, options.n_devices, options.serial ?: "-", options.console ?: "-");
        log_credentials();
        int lfd = api_listen();
        open_kvm();
        open_boot_file("kernel", options.kernel);
        open_boot_file("initramfs", options.initramfs);
        open_boot_file("firmware", options.firmware);
        open_disks();
        open_serial();
        map_memory();
        set_affinity();
        open_vfio();
        install_seccomp();
        serve(lfd);
}
