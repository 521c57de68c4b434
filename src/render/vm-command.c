/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>

#include "disk-image.h"
#include "parse-values.h"
#include "unit-escape.h"
#include "vm-command.h"

static uint64_t hash_string(uint64_t h, const char *s) {
        return fnv1a(h, s, strlen(s));
}

char *vm_tap_name(const VmConfig *c) {
        if (c->tap_name.value)
                return strdup(c->tap_name.value);
        char *n;
        /* "nv-NAME" fits IFNAMSIZ for names up to 12 characters; longer ones get a hash suffix. */
        if (strlen(c->name) <= TAP_NAME_MAX - 3)
                return asprintf_safe(&n, "nv-%s", c->name) < 0 ? NULL : n;
        return asprintf_safe(&n, "nv-%.7s-%04x", c->name, (unsigned) (hash_string(FNV1A_INIT, c->name) & 0xffff)) < 0
                       ? NULL : n;
}

void vm_mac_address(const VmConfig *c, const char *root, char buf[static 18]) {
        if (c->mac.value) {
                snprintf(buf, 18, "%s", c->mac.value);
                return;
        }
        /* Stable per machine and VM, locally administered unicast. */
        _cleanup_(freep) char *path = path_under_root(root, "/etc/machine-id");
        _cleanup_(freep) char *id = NULL;
        if (path)
                (void) read_one_line_file(path, &id);
        uint64_t h = hash_string(FNV1A_INIT, strempty(id));
        h = hash_string(h, "/nestvirt/");
        h = hash_string(h, c->name);
        snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", (unsigned) ((h & 0xfc) | 0x02),
                 (unsigned) (h >> 8 & 0xff), (unsigned) (h >> 16 & 0xff), (unsigned) (h >> 24 & 0xff),
                 (unsigned) (h >> 32 & 0xff), (unsigned) (h >> 40 & 0xff));
}

static int push_option(char ***argv, const char *option, StringBuffer *value) {
        char *v = sb_steal(value);
        if (!v)
                return -ENOMEM;
        int r = strv_extend(argv, option);
        if (r < 0) {
                free(v);
                return r;
        }
        return strv_push(argv, v);
}

static void append_quoted(StringBuffer *b, const char *s) {
        _cleanup_(freep) char *q = ch_quote_value(s);
        if (!q)
                b->oom = true;
        else
                sb_append(b, q);
}

/* affinity=[0@[0-7],1@[0-7]]: each vCPU may run on any CPU of the set (the node's, by default). */
static int append_affinity(StringBuffer *b, const VmPlan *vp) {
        _cleanup_(freep) char *cpus = cpu_set_format(&vp->cpus);
        if (!cpus)
                return -ENOMEM;
        sb_append(b, ",affinity=[");
        for (unsigned i = 0; i < vp->config->cpus; i++)
                sb_appendf(b, "%s%u@[%s]", i ? "," : "", i, cpus);
        sb_append_char(b, ']');
        return 0;
}

int vm_command_build(const Plan *plan, size_t vm, const char *root, char ***ret) {
        const VmPlan *vp = &plan->vms[vm];
        const VmConfig *c = vp->config;
        _cleanup_(strv_freep) char **argv = NULL;
        StringBuffer b = {};
        int r;

        r = strv_extend(&argv, plan->config->host.hypervisor.value);
        if (r < 0)
                return r;

        _cleanup_(freep) char *api_socket = vm_api_socket_path(NULL, c->name);
        if (!api_socket)
                return -ENOMEM;
        sb_appendf(&b, "path=%s", api_socket);
        if ((r = push_option(&argv, "--api-socket", &b)) < 0)
                return r;

        sb_appendf(&b, "boot=%u", c->cpus);
        if (cpu_set_count(&vp->cpus) > 0 && (r = append_affinity(&b, vp)) < 0)
                return r;
        if ((r = push_option(&argv, "--cpus", &b)) < 0)
                return r;

        /* All guest memory comes from one hugepage-backed zone on the VM's node. */
        sb_append(&b, "size=0");
        if ((r = push_option(&argv, "--memory", &b)) < 0)
                return r;
        sb_appendf(&b, "id=mem0,size=%" PRIu64 "G,hugepages=on,hugepage_size=1G", c->memory_gib);
        if (vp->numa_node >= 0)
                sb_appendf(&b, ",host_numa_node=%d", vp->numa_node);
        if ((r = push_option(&argv, "--memory-zone", &b)) < 0)
                return r;

        const struct {
                const char *option;
                const Setting *s;
        } plain[] = {
                { "--kernel", &c->kernel },
                { "--firmware", &c->firmware },
                { "--initramfs", &c->initramfs },
                { "--cmdline", &c->cmdline },
        };
        for (size_t i = 0; i < ELEMENTSOF(plain); i++) {
                const char *v = plain[i].s->value;
                if (!v)
                        continue;
                /* A value starting with '-' would be read as the next option: join it. */
                if (v[0] == '-') {
                        _cleanup_(freep) char *joined = strjoin(plain[i].option, "=", v);
                        if (!joined)
                                return -ENOMEM;
                        if ((r = strv_extend(&argv, joined)) < 0)
                                return r;
                        continue;
                }
                sb_append(&b, v);
                if ((r = push_option(&argv, plain[i].option, &b)) < 0)
                        return r;
        }

        for (size_t i = 0; i < c->n_disks; i++) {
                sb_append(&b, "path=");
                append_quoted(&b, c->disks[i].path);
                sb_appendf(&b, ",image_type=%s", disk_image_type_to_string(disk_image_type(root, c->disks[i].path)));
                if (c->disks[i].readonly)
                        sb_append(&b, ",readonly=on");
                if ((r = push_option(&argv, "--disk", &b)) < 0)
                        return r;
        }

        /* Built by 'nestvirt vm prepare' in the runtime directory before each start. */
        if (c->cloud_init.value) {
                _cleanup_(freep) char *seed = vm_seed_path(NULL, c->name);
                if (!seed)
                        return -ENOMEM;
                sb_appendf(&b, "path=%s,readonly=on,image_type=raw", seed);
                if ((r = push_option(&argv, "--disk", &b)) < 0)
                        return r;
        }

        unsigned n_gpu = 0, n_dev = 0;
        for (size_t i = 0; i < vp->n_devices; i++) {
                const PciDevice *d = &plan->inventory->devices[vp->devices[i]];
                bool gpu = (d->class >> 16) == 0x03;
                sb_appendf(&b, "path=/sys/bus/pci/devices/%s,id=%s%u", d->name, gpu ? "gpu" : "dev",
                           gpu ? n_gpu++ : n_dev++);
                if ((r = push_option(&argv, "--device", &b)) < 0)
                        return r;
        }

        if (c->network == NETWORK_TAP) {
                _cleanup_(freep) char *tap = vm_tap_name(c);
                char mac[18];
                if (!tap)
                        return -ENOMEM;
                vm_mac_address(c, root, mac);
                sb_appendf(&b, "tap=%s,mac=%s", tap, mac);
                if (c->host_address.value) {
                        char ip[64], mask[64];
                        if (cidr_to_ip_mask(c->host_address.value, ip, mask) >= 0)
                                sb_appendf(&b, ",ip=%s,mask=%s", ip, mask);
                }
                if ((r = push_option(&argv, "--net", &b)) < 0)
                        return r;
        }

        switch (c->serial) {
        case SERIAL_JOURNAL:
                sb_append(&b, "tty");
                break;
        case SERIAL_FILE:
                sb_appendf(&b, "file=" VM_LOG_DIR "/%s.serial.log", c->name);
                break;
        case SERIAL_OFF:
                sb_append(&b, "off");
                break;
        }
        if ((r = push_option(&argv, "--serial", &b)) < 0)
                return r;
        sb_append(&b, "off");
        if ((r = push_option(&argv, "--console", &b)) < 0)
                return r;

        if (c->extra_arguments.value) {
                _cleanup_(strv_freep) char **extra = NULL;
                const char *reason;
                r = split_arguments(c->extra_arguments.value, &extra, &reason);
                if (r < 0)
                        return r;
                for (size_t i = 0; extra[i]; i++)
                        if ((r = strv_extend(&argv, extra[i])) < 0)
                                return r;
        }

        *ret = TAKE_PTR(argv);
        return 0;
}
