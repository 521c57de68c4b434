/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "net-plan.h"
#include "unit-escape.h"
#include "vm-sandbox.h"

static bool path_is_under(const char *path, const char *dir) {
        size_t n = strlen(dir);
        return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == 0);
}

static bool path_in_home(const char *p) {
        return p && (path_is_under(p, "/home") || path_is_under(p, "/root") || path_is_under(p, "/run/user"));
}

static bool vm_uses_home(const VmConfig *c) {
        const Setting *files[] = { &c->kernel, &c->firmware, &c->initramfs, &c->cloud_init };
        for (size_t i = 0; i < ELEMENTSOF(files); i++)
                if (path_in_home(files[i]->value))
                        return true;
        for (size_t i = 0; i < c->n_disks; i++)
                if (path_in_home(c->disks[i].path))
                        return true;
        return false;
}

static bool disk_is_block_device(const DiskConfig *d) {
        return path_is_under(d->path, "/dev");
}

static void append_device_allow(StringBuffer *b, const char *path, bool writable) {
        sb_append(b, "DeviceAllow=");
        unit_append_path_word(b, path);
        sb_append(b, writable ? " rw\n" : " r\n");
}

/* Only the devices a VMM uses: KVM, the VFIO container and groups, tap, and block devices
 * named by Disk=. PrivateDevices= would hide /dev/kvm and /dev/vfio. */
static void append_devices(StringBuffer *b, const VmConfig *c) {
        sb_append(b, "DevicePolicy=closed\n"
                     "DeviceAllow=/dev/kvm rw\n"
                     "DeviceAllow=/dev/vfio/vfio rw\n"
                     "DeviceAllow=char-vfio rw\n");
        if (vm_has_tap(c))
                sb_append(b, "DeviceAllow=/dev/net/tun rw\n");
        for (size_t i = 0; i < c->n_disks; i++)
                if (disk_is_block_device(&c->disks[i]))
                        append_device_allow(b, c->disks[i].path, !c->disks[i].readonly);
}

/* The whole file system read-only, except the writable disk images ("-": a missing image is
 * the preflight's to report, not a namespace setup failure). */
static void append_file_system(StringBuffer *b, const VmConfig *c) {
        sb_append(b, "ProtectSystem=strict\n");
        for (size_t i = 0; i < c->n_disks; i++) {
                if (c->disks[i].readonly || disk_is_block_device(&c->disks[i]))
                        continue;
                _cleanup_(freep) char *word = strjoin("-", c->disks[i].path);
                if (!word) {
                        b->oom = true;
                        return;
                }
                sb_append(b, "ReadWritePaths=");
                unit_append_path_word(b, word);
                sb_append_char(b, '\n');
        }
        sb_append(b, vm_uses_home(c) ? "ProtectHome=read-only\n" : "ProtectHome=yes\n");
}

/* What no VM needs, whatever its config. */
static void append_fixed(StringBuffer *b) {
        sb_append(b, "PrivateTmp=yes\n"
                     "PrivateMounts=yes\n"
                     "ProtectKernelTunables=yes\n"
                     "ProtectKernelModules=yes\n"
                     "ProtectKernelLogs=yes\n"
                     "ProtectControlGroups=yes\n"
                     "ProtectClock=yes\n"
                     "ProtectHostname=yes\n"
                     "ProtectProc=invisible\n"
                     "RestrictNamespaces=yes\n"
                     "RestrictRealtime=yes\n"
                     "RestrictSUIDSGID=yes\n"
                     "LockPersonality=yes\n"
                     /* Guest memory and device BARs are mapped read-write, never executable. */
                     "MemoryDenyWriteExecute=yes\n"
                     "NoNewPrivileges=yes\n"
                     "UMask=0077\n"
                     "KeyringMode=private\n"
                     "SystemCallArchitectures=native\n"
                     /* Cloud Hypervisor's own seccomp filters allow a subset of @system-service
                      * plus seccomp and landlock (tests/sandbox checks it against their list). */
                     "SystemCallFilter=@system-service seccomp landlock_create_ruleset landlock_add_rule landlock_restrict_self\n");
}

/* Capabilities and sockets: a tap, or ExtraArguments=, needs the network. */
static void append_network(StringBuffer *b, const VmConfig *c) {
        /* Network=nat is a tap to Cloud Hypervisor: the forwarding and masquerading are set up
         * by 'nestvirt vm net-up', which the unit runs outside this sandbox (vm-unit.c). */
        bool tap = vm_has_tap(c);
        /* ExtraArguments= may add anything (--net, --vsock, vhost-user sockets): keep the
         * network open for it rather than break it silently. */
        bool extra = c->extra_arguments.value != NULL;

        /* Root, but only with the capabilities a VMM uses: pinning guest memory for VFIO
         * and, with a tap, creating and configuring it. */
        sb_appendf(b, "CapabilityBoundingSet=CAP_IPC_LOCK%s\n", tap || extra ? " CAP_NET_ADMIN" : "");
        /* A tap carries the guest's traffic through a file descriptor, not a socket of this
         * unit, so the host side needs no IP sockets except to configure it. */
        if (tap || extra)
                sb_appendf(b, "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6%s\n", extra ? " AF_NETLINK" : "");
        else
                sb_append(b, "RestrictAddressFamilies=AF_UNIX\n"
                             "PrivateNetwork=yes\n");
        if (!extra)
                sb_append(b, "IPAddressDeny=any\n");
}

void vm_sandbox_append(StringBuffer *b, const VmConfig *c) {
        sb_append(b, "\n# Sandboxing: what Cloud Hypervisor needs and no more (README \"Hardening\").\n");
        append_devices(b, c);
        append_file_system(b, c);
        append_fixed(b);
        append_network(b, c);
}
