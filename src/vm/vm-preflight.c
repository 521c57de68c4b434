/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vm preflight (ExecStartPre= of nestvirt-vm@NAME.service): everything Cloud Hypervisor
 * would otherwise fail on halfway, or the guest kernel panic on, checked before the start.
 * Every check runs, each problem is one line that names the VM and what to do. Reads only. */

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "chase.h"
#include "conf-files.h"
#include "config-keys.h"
#include "disk-image.h"
#include "disk-probe.h"
#include "log.h"
#include "root-device.h"
#include "pci-device.h"
#include "util.h"
#include "vm-preflight.h"

#define GIGANTIC_DIR "hugepages/hugepages-1048576kB"

typedef struct Preflight {
        const Plan *plan;
        const Inventory *inventory;
        const char *root;       /* where to look: --root, NULL for / */
        ConfPolicy policy;      /* who may own what root runs: as for the configuration */
        const VmPlan *vp;
        const char *name;
        unsigned failures;
        StringBuffer summary;   /* what passed, for the closing line */
} Preflight;

static void report(Preflight *p, int level, Location where, const char *fmt, ...) _printf_(4, 5);
static void report(Preflight *p, int level, Location where, const char *fmt, ...) {
        char message[1536];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(message, sizeof message, fmt, ap);
        va_end(ap);
        _cleanup_(freep) char *line = diag_format(&(Diagnostic) { .where = where, .message = message }, false);
        log_full_errno(level, 0, "VM %s: %s", p->name, line ?: message);
        if (level <= LOG_ERR)
                p->failures++;
}

#define fail(p, where, ...) report(p, LOG_ERR, where, __VA_ARGS__)
#define notice(p, where, ...) report(p, LOG_NOTICE, where, __VA_ARGS__)

static void summarize(Preflight *p, const char *fmt, ...) _printf_(2, 3);
static void summarize(Preflight *p, const char *fmt, ...) {
        char buf[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        sb_appendf(&p->summary, "%s%s", p->summary.length ? ", " : "", buf);
}

static bool real_root(const Preflight *p) {
        return isempty(p->root) || streq(p->root, "/");
}

/* " under ROOT" for messages, so a test or image CI run says where it looked. */
static const char *under(const Preflight *p) {
        return real_root(p) ? "" : " under --root";
}

/* ROOT/dev/NAME exists; on the running system it must be the character device itself (an
 * empty file left by a mistake would make Cloud Hypervisor fail obscurely). */
static int dev_node_check(const Preflight *p, const char *path) {
        _cleanup_(freep) char *real = path_under_root(p->root, path);
        struct stat st;
        if (!real)
                return -ENOMEM;
        if (stat(real, &st) < 0)
                return -errno;
        return real_root(p) && !S_ISCHR(st.st_mode) ? -ENOTTY : 0;
}

/* a. The VM's memory comes from free 1 GiB pages of its node (the pool nestvirt-hugepages
 * reserved); other VMs may hold some of them already. A VM on several nodes needs each node's
 * share (its memory zone there) from that node's pool: NODE and NEED per zone. */
static void check_node_pages(Preflight *p, int node, uint64_t need) {
        const VmConfig *c = p->vp->config;
        char rel[160], on[32];
        if (node >= 0) {
                snprintf(rel, sizeof rel, "/sys/devices/system/node/node%d/" GIGANTIC_DIR "/free_hugepages", node);
                snprintf(on, sizeof on, "on node %d", node);
        } else {
                snprintf(rel, sizeof rel, "/sys/kernel/mm/" GIGANTIC_DIR "/free_hugepages");
                snprintf(on, sizeof on, "(the host has no NUMA nodes)");
        }
        char needs[96];
        if (vm_plan_spans_nodes(p->vp))
                snprintf(needs, sizeof needs, "its share of Memory=%" PRIu64 "G there needs %" PRIu64, c->memory_gib, need);
        else
                snprintf(needs, sizeof needs, "Memory=%" PRIu64 "G needs %" PRIu64, c->memory_gib, need);

        _cleanup_(freep) char *path = path_under_root(p->root, rel);
        _cleanup_(freep) char *s = NULL;
        uint64_t n = 0;
        int r = path ? read_one_line_file(path, &s) : -ENOMEM;
        if (r >= 0)
                r = safe_atou64(strstrip(s), &n);
        if (r == -ENOENT) {
                fail(p, c->memory_where, "no 1 GiB pages %s (%s does not exist): the kernel offers none there (the "
                     "CPU needs pdpe1gb), and %s of them", on, rel, needs);
                return;
        }
        if (r < 0) {
                fail(p, c->memory_where, "cannot read the free 1 GiB pages %s (%s: %s); %s of them", on, rel,
                     strerror(-r), needs);
                return;
        }
        if (n < need) {
                fail(p, c->memory_where, "%" PRIu64 " free 1 GiB pages %s, but %s: raise Hugepages= or "
                     "HugepagesExtra= in [Host], or stop the other VMs holding pages there; 'nestvirt status' shows "
                     "the pools", n, on, needs);
                return;
        }
        summarize(p, "%" PRIu64 " free 1 GiB pages %s", n, on);
}

static void check_hugepages(Preflight *p) {
        const VmPlan *vp = p->vp;
        if (!vm_plan_spans_nodes(vp))
                return check_node_pages(p, vp->numa_node, vp->config->memory_gib);
        for (size_t i = 0; i < vp->n_nodes; i++)
                check_node_pages(p, (int) vp->nodes[i].node, vp->nodes[i].memory_gib);
}

/* Since Linux 5.19 vfio claims DMA ownership of the whole IOMMU group when the group is
 * opened: every bound driver must manage DMA itself (driver_managed_dma), which vfio-pci and
 * its variant drivers, pci-stub and pcieport do; an unbound device is fine. Kernels before
 * 5.19 also let bridges keep any driver; this stricter rule holds on both. */
static bool driver_keeps_group_viable(const char *driver) {
        return !driver || strstr(driver, "vfio-pci") || strstr(driver, "vfio_pci") || streq(driver, "pci-stub") ||
               streq(driver, "pcieport");
}

/* The VM's own devices get their own line when they are not on vfio-pci. */
static bool vm_has_device(const Preflight *p, const char *address) {
        for (size_t i = 0; i < p->vp->n_devices; i++)
                if (streq(p->inventory->devices[p->vp->devices[i]].name, address))
                        return true;
        return false;
}

static void check_group(Preflight *p, int group, const char *device, Location where) {
        char rel[64];
        snprintf(rel, sizeof rel, "/sys/kernel/iommu_groups/%d/devices", group);
        _cleanup_(freep) char *dir = path_under_root(p->root, rel);
        DIR *d = dir ? opendir(dir) : NULL;
        if (!d) {
                fail(p, where, "device %s: cannot list its IOMMU group %d (%s: %s); is the IOMMU enabled?", device,
                     group, rel, strerror(errno));
                return;
        }
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_(freep) char *link = strjoin(dir, "/", de->d_name, "/driver");
                _cleanup_(freep) char *driver = NULL;
                if (!link || read_link_basename(link, &driver) == -ENOMEM) {
                        log_oom();
                        p->failures++;
                        break;
                }
                if (!driver_keeps_group_viable(driver) && !vm_has_device(p, de->d_name))
                        fail(p, where, "IOMMU group %d of device %s is not viable: %s in the same group is bound "
                             "to %s; every device of a group must be on vfio-pci (pci-stub, pcieport or no driver "
                             "also do): run 'nestvirt bind-vfio', which claims the whole group, or unbind %s", group,
                             device, de->d_name, driver, de->d_name);
        }
        closedir(d);
}

/* b. Each device on vfio-pci, its group viable, and its /dev/vfio/GROUP there to open. */
static void check_devices(Preflight *p) {
        const Inventory *inv = p->inventory;
        const VmPlan *vp = p->vp;
        int checked[64];
        size_t n_checked = 0;
        unsigned good = 0;

        for (size_t i = 0; i < vp->n_devices; i++) {
                const PciDevice *d = &inv->devices[vp->devices[i]];
                const Claim *claim = plan_find_claim(p->plan, vp->devices[i]);
                Location where = claim ? claim->where : vp->config->where;
                unsigned before = p->failures;

                if (!streq_ptr(d->driver, VFIO_DRIVER))
                        fail(p, where, "device %s is on %s, not vfio-pci: run 'nestvirt bind-vfio' (or systemctl "
                             "restart nestvirt-vfio.service) and see 'nestvirt status'", d->name,
                             d->driver ? d->driver : "no driver");
                if (d->iommu_group < 0) {
                        fail(p, where, "device %s has no IOMMU group: the kernel runs without an IOMMU "
                             "(intel_iommu=on, amd_iommu=on or virtio-iommu), and VFIO needs one", d->name);
                        continue;
                }

                bool seen = false;
                for (size_t k = 0; k < n_checked; k++)
                        seen = seen || checked[k] == d->iommu_group;
                if (!seen) {
                        if (n_checked < ELEMENTSOF(checked))
                                checked[n_checked++] = d->iommu_group;
                        check_group(p, d->iommu_group, d->name, where);
                }
                /* Without vfio-pci there is no group node to expect: the line above says what to do. */
                if (!seen && streq_ptr(d->driver, VFIO_DRIVER)) {
                        char node[64];
                        snprintf(node, sizeof node, "/dev/vfio/%d", d->iommu_group);
                        int r = dev_node_check(p, node);
                        if (r == -ENOTTY)
                                fail(p, where, "%s (IOMMU group of device %s) is not a character device; remove it and "
                                     "rebind the device to vfio-pci ('nestvirt bind-vfio')", node, d->name);
                        else if (r < 0)
                                fail(p, where, "%s is missing%s (%s): vfio-pci has not registered the IOMMU group of "
                                     "device %s; bind it with 'nestvirt bind-vfio' and see 'nestvirt status'", node,
                                     under(p), strerror(-r), d->name);
                }
                good += p->failures == before;
        }
        if (vp->n_devices == 0)
                summarize(p, "no devices");
        else if (good == vp->n_devices)
                summarize(p, "%u device%s on vfio-pci", good, good == 1 ? "" : "s");
}

/* PATH (resolved inside the root) and each directory above it, from the top down: whoever
 * could write one could swap the binary root runs. 1: safe, 0: failed (said), -ENOMEM. */
static int check_path_owner(Preflight *p, const Setting *hv, const char *path) {
        _cleanup_(freep) char *bad = NULL, *why = NULL;
        bool directory = false;
        int r = conf_find_unsafe_component(p->root, &p->policy, path, &bad, &why, &directory);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                fail(p, hv->where, "Hypervisor=%s: cannot check %s%s (%s); check the permissions of its directories",
                     hv->value, bad, under(p), strerror(-r));
        else if (r > 0)
                fail(p, hv->where, "Hypervisor=%s: root runs it for every VM, but %s%s is %s", hv->value,
                     directory ? "directory " : "", bad, why);
        return r == 0;
}

/* The binary after its links (TARGET, inside the root), and the directories that hold it and
 * the name Hypervisor= gives (the configuration files' policy: owned by root, not writable by
 * group or others). */
static void check_hypervisor_owner(Preflight *p, const Setting *hv, const char *target) {
        if (check_path_owner(p, hv, target) <= 0 || streq(target, hv->value))
                return;
        /* Who can write the directory holding a link can point it elsewhere. */
        _cleanup_(freep) char *dir = strdup(hv->value), *dir_target = NULL;
        char *slash = dir ? strrchr(dir, '/') : NULL;
        if (!slash)
                return;
        slash[slash == dir] = 0;
        if (chase_in_root(p->root, dir, &dir_target) > 0)
                (void) check_path_owner(p, hv, dir_target);
}

/* c. KVM itself, and the hypervisor binary. */
static void check_kvm_and_hypervisor(Preflight *p) {
        int r = dev_node_check(p, "/dev/kvm");
        if (r == -ENOTTY)
                fail(p, (Location) {}, "/dev/kvm is not a character device; remove it and load kvm_intel or kvm_amd");
        else if (r < 0)
                fail(p, (Location) {}, "/dev/kvm is missing%s (%s): the L1 VM needs nested virtualization enabled by "
                     "its cloud, and the kvm_intel or kvm_amd module loaded", under(p), strerror(-r));

        /* Links resolve inside the root: an image's /usr/bin/x -> /opt/x is the image's /opt/x. */
        const Setting *hv = &p->plan->config->host.hypervisor;
        _cleanup_(freep) char *target = NULL, *path = NULL;
        if (chase_in_root(p->root, hv->value, &target) > 0)
                path = path_under_root(p->root, target);
        struct stat st;
        const char *why = NULL;
        if (!path || stat(path, &st) < 0)
                why = real_root(p) ? "does not exist" : "does not exist under --root";
        else if (!S_ISREG(st.st_mode))
                why = "is not a regular file";
        else if (!(st.st_mode & 0111) || access(path, X_OK) < 0)
                why = "is not executable (chmod 0755 it)";
        if (why)
                fail(p, hv->where, "Hypervisor=%s%s %s; install Cloud Hypervisor there or point Hypervisor= at it",
                     hv->value, hv->where.file ? "" : " (the default)", why);
        else
                check_hypervisor_owner(p, hv, target);
}

/* Opens the file as Cloud Hypervisor will: what the permissions and the sandbox allow is what
 * counts, not the mode bits. Returns NULL, or why not ending in what to do about it. */
static const char *file_problem(const Preflight *p, const char *key, const char *path, bool block_ok,
                                bool writable, char *buf, size_t size) {
        _cleanup_(freep) char *real = path_under_root(p->root, path);
        struct stat st;
        if (!real)
                return "cannot be checked (out of memory)";
        if (stat(real, &st) < 0) {
                if (errno == ENOENT)
                        snprintf(buf, size, "does not exist%s; put it there or fix %s=", under(p), key);
                else
                        snprintf(buf, size, "cannot be looked up%s (%s); check the permissions of its directories",
                                 under(p), strerror(errno));
                return buf;
        }
        if (!S_ISREG(st.st_mode) && !(block_ok && S_ISBLK(st.st_mode))) {
                snprintf(buf, size, "is %s; fix %s=",
                         S_ISDIR(st.st_mode) ? "a directory, not a file" : "not a regular file", key);
                return buf;
        }
        _cleanup_(closep) int fd = open(real, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                snprintf(buf, size, "cannot be %s (%s); make it %s", writable ? "opened for writing" : "read",
                         strerror(errno), writable ? "writable" : "readable");
                return buf;
        }
        return NULL;
}

/* d. Kernel, firmware, initramfs readable; disks readable, and writable unless ,readonly. */
static void check_files(Preflight *p) {
        const VmConfig *c = p->vp->config;
        char buf[256];
        FOREACH_VM_FILE(f, c) {
                const char *why;
                if (f.setting->value && (why = file_problem(p, f.key, f.setting->value, false, false, buf, sizeof buf)))
                        fail(p, f.setting->where, "%s=%s %s", f.key, f.setting->value, why);
        }
        for (size_t i = 0; i < c->n_disks; i++) {
                const DiskConfig *d = &c->disks[i];
                const char *why = file_problem(p, "Disk", d->path, true, false, buf, sizeof buf);
                if (why) {
                        fail(p, d->where, "Disk=%s %s", d->path, why);
                        continue;
                }
                /* 'vm prepare' tells Cloud Hypervisor the image type it reads from the image. */
                _cleanup_(freep) char *real = path_under_root(p->root, d->path);
                DiskImageType type;
                const char *format = NULL;
                if (real && disk_image_type_read(real, &type, &format) >= 0 && type == DISK_IMAGE_UNSUPPORTED)
                        fail(p, d->where, "Disk=%s is a %s image; nestvirt gives Cloud Hypervisor raw or qcow2 only: "
                             "convert it with qemu-img convert -O qcow2", d->path, format);
                /* The guest writes to a disk without ,readonly: Cloud Hypervisor opens it read-write. */
                if (!d->readonly && (why = file_problem(p, "Disk", d->path, true, true, buf, sizeof buf)))
                        fail(p, d->where, "Disk=%s %s, or add ,readonly to Disk= if the guest needs no writes",
                             d->path, why);
        }
}

/* CloudInit=: 'vm prepare', which runs next, builds the seed from these with genisoimage. */
static void check_cloud_init(Preflight *p) {
        const Setting *ci = &p->vp->config->cloud_init;
        if (!ci->value)
                return;
        const struct {
                const char *file;
                bool required;
        } inputs[] = { { "user-data", true }, { "meta-data", true }, { "network-config", false } };
        char buf[256];
        for (size_t i = 0; i < ELEMENTSOF(inputs); i++) {
                _cleanup_(freep) char *f = strjoin(ci->value, "/", inputs[i].file);
                _cleanup_(freep) char *real = f ? path_under_root(p->root, f) : NULL;
                if (!real) {
                        fail(p, ci->where, "out of memory");
                        return;
                }
                if (!inputs[i].required && access(real, F_OK) < 0)
                        continue;
                const char *why = file_problem(p, "CloudInit", f, false, false, buf, sizeof buf);
                if (why)
                        fail(p, ci->where, "CloudInit=%s: %s %s (a NoCloud seed needs user-data and meta-data, "
                             "network-config is optional)", ci->value, inputs[i].file, why);
        }

        static const char *const dirs[] = { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
                                            "/usr/bin",        "/sbin",          "/bin" };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_(freep) char *f = strjoin(dirs[i], "/genisoimage");
                _cleanup_(freep) char *real = f ? path_under_root(p->root, f) : NULL;
                struct stat st;
                if (real && stat(real, &st) >= 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111))
                        return;
        }
        fail(p, ci->where, "CloudInit=%s needs genisoimage to build the seed disk, and it is not installed%s; install "
             "the genisoimage package", ci->value, under(p));
}

/* e. root= in Cmdline= names something the disks hold: the mistake the seed's raw-image
 * step makes easy, otherwise found out only when the guest kernel panics. */
static void check_root(Preflight *p) {
        const VmConfig *c = p->vp->config;
        if (!c->kernel.value)
                return;   /* firmware boots the disk's own boot loader, which has its own root= */
        Location where = c->cmdline.value ? c->cmdline.where : c->kernel.where;

        _cleanup_(root_spec_done) RootSpec spec = {};
        if (root_spec_parse(c->cmdline.value, &spec) < 0) {
                fail(p, where, "out of memory");
                return;
        }
        if ((spec.kind == ROOT_UUID || spec.kind == ROOT_LABEL) && !c->initramfs.value)
                notice(p, where, "root=%s is resolved by an initramfs, and Initramfs= is not set: unless the kernel "
                       "has one built in, use root=/dev/vdXN or root=PARTUUID=", spec.value);

        bool probe = spec.kind != ROOT_NONE && spec.kind != ROOT_OTHER;
        _cleanup_(freep) DiskProbe *disks = calloc(MAX(c->n_disks, (size_t) 1), sizeof(DiskProbe));
        if (!disks) {
                fail(p, where, "out of memory");
                return;
        }
        size_t n = 0;
        int r = 0;
        for (; probe && n < c->n_disks && r >= 0; n++) {
                _cleanup_(freep) char *real = path_under_root(p->root, c->disks[n].path);
                r = real ? disk_probe(c->disks[n].path, real, &disks[n]) : -ENOMEM;
        }
        _cleanup_(freep) char *message = NULL;
        RootVerdict v = r < 0 ? ROOT_NOT_CHECKED
                              : root_resolve(&spec, disks, c->n_disks, !!c->cloud_init.value, &message);
        for (size_t i = 0; i < n; i++)
                disk_probe_done(&disks[i]);
        if (!message) {
                fail(p, where, "out of memory");
                return;
        }

        switch (v) {
        case ROOT_RESOLVED:
                summarize(p, "%s", message);
                break;
        case ROOT_NOT_CHECKED:
                notice(p, where, "%s", message);
                break;
        case ROOT_UNRESOLVED:
                fail(p, where, "%s", message);
                break;
        }
}

int vm_preflight(const Plan *plan, const Inventory *inv, size_t vm, const char *root, uid_t allow_owner) {
        Preflight p = {
                .plan = plan,
                .inventory = inv,
                .root = root,
                .policy = { .check_ownership = true, .allow_owner = allow_owner },
                .vp = &plan->vms[vm],
                .name = plan->vms[vm].config->name,
        };

        check_hugepages(&p);
        check_devices(&p);
        check_kvm_and_hypervisor(&p);
        check_files(&p);
        check_cloud_init(&p);
        check_root(&p);

        _cleanup_(freep) char *summary = sb_steal(&p.summary);
        if (p.failures > 0)
                return log_error_errno(EUCLEAN, "VM %s: preflight failed: %u problem%s (above)", p.name, p.failures,
                                       p.failures == 1 ? "" : "s");
        log_info("VM %s: preflight passed: %s", p.name, summary ?: "out of memory while summarizing");
        return 0;
}
