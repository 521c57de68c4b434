/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "cloud-init-seed.h"
#include "disk-image.h"
#include "log.h"
#include "seed-network.h"
#include "util.h"
#include "vm-command.h"
#include "vm-paths.h"
#include "vm-prepare.h"

/* systemd creates the runtime directory (RuntimeDirectory=nestvirt/vm/NAME, mode 0700) before
 * ExecStartPre=; an admin running prepare by hand, or a test under --root, may not have it. */
static int ensure_runtime_dir(const char *dir) {
        _cleanup_(freep) char *p = strdup(dir);
        if (!p)
                return log_oom();
        for (char *slash = strchr(p + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
                *slash = 0;
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        return log_error_errno(errno, "Cannot create %s: %m", p);
                *slash = '/';
        }
        if (mkdir(p, 0700) < 0 && errno != EEXIST)
                return log_error_errno(errno, "Cannot create the runtime directory %s: %m", p);

        struct stat st;
        if (stat(p, &st) < 0)
                return log_error_errno(errno, "Cannot stat %s: %m", p);
        if (!S_ISDIR(st.st_mode))
                return log_error_errno(ENOTDIR, "%s is not a directory; remove it so the VM gets its runtime directory", p);
        return 0;
}

/* 1 when something accepts connections on the socket at PATH, 0 when nobody listens. */
static int socket_has_listener(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_(closep) int path_fd = -1;

        /* Under a long --root the path does not fit sun_path: reach the inode through /proc instead. */
        if (strlen(path) < sizeof sa.sun_path)
                strcpy(sa.sun_path, path);
        else {
                path_fd = open(path, O_PATH | O_CLOEXEC | O_NOFOLLOW);
                if (path_fd < 0)
                        return -errno;
                snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d", path_fd);
        }

        _cleanup_(closep) int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (const struct sockaddr *) &sa, sizeof sa) == 0)
                return 1;
        /* A listener whose backlog is full is still a listener. */
        if (errno == EAGAIN || errno == EINPROGRESS)
                return 1;
        if (errno == ECONNREFUSED)
                return 0;
        return -errno;
}

/* A Cloud Hypervisor that was killed leaves its API socket behind; older releases then fail to
 * bind it ("Address in use"). Remove it, but only when it is a socket nobody serves: a live one
 * means this VM already runs, and any other file is not ours to delete. */
static int remove_stale_api_socket(const char *root, const char *name) {
        _cleanup_(freep) char *path = vm_api_socket_path(root, name);
        if (!path)
                return log_oom();

        struct stat st;
        if (lstat(path, &st) < 0) {
                if (errno == ENOENT)
                        return 0;
                return log_error_errno(errno, "Cannot check the API socket path %s: %m", path);
        }
        if (!S_ISSOCK(st.st_mode))
                return log_error_errno(EEXIST,
                                       "%s exists and is not a socket; Cloud Hypervisor needs this path for the API "
                                       "socket of VM %s: move that file away",
                                       path, name);

        int r = socket_has_listener(path);
        if (r < 0)
                return log_error_errno(r, "Cannot tell whether anything listens on %s: %m; remove it if no Cloud "
                                       "Hypervisor of VM %s runs", path, name);
        if (r > 0)
                return log_error_errno(EBUSY,
                                       "%s accepts connections: another Cloud Hypervisor still serves VM %s; see "
                                       "'systemctl status nestvirt-vm@%s.service' and stop it before starting VM %s again",
                                       path, name, name, name);

        if (unlink(path) < 0 && errno != ENOENT)
                return log_error_errno(errno, "Cannot remove the stale API socket %s: %m", path);
        log_info("Removed the stale API socket %s: nothing listened on it.", path);
        return 0;
}

/* A seed from an earlier start must never be attached in place of the one built now, nor
 * after CloudInit= was removed. */
static int remove_old_seed(const char *path, bool announce) {
        if (unlink(path) < 0) {
                if (errno == ENOENT)
                        return 0;
                return log_error_errno(errno, "Cannot remove the old cloud-init seed %s: %m", path);
        }
        if (announce)
                log_info("Removed %s: the VM has no CloudInit= any more.", path);
        return 0;
}

/* The guest's address, gateway and DNS for the seed (Network=nat). */
static int nat_network_config(const VmPlan *vp, const char *root, char **ret) {
        _cleanup_(strv_freep) char **nameservers = NULL;
        char mac[MAC_ADDRESS_STRING_MAX];

        if (host_nameservers(root, &nameservers) < 0)
                return log_oom();
        if (!nameservers)
                log_warning("No DNS server for VM %s: /etc/resolv.conf and /run/systemd/resolve/resolv.conf name none "
                            "the guest can reach; it gets an address and a route, and no DNS", vp->config->name);
        vm_mac_address(vp->config, root, mac);
        *ret = seed_network_config(vp->config->name, &vp->net, mac, nameservers);
        return *ret ? 0 : log_oom();
}

/* Each disk's image type, read from the image itself now that it can be: the unit's ExecStart=
 * takes image_type=${NESTVIRT_DISK<i>_TYPE} from this file (EnvironmentFile=). Written anew at
 * each start, whole or not at all; a disk that cannot be read or is neither raw nor qcow2 stops
 * the start here (preflight has said so already). */
static int write_disk_types(const VmConfig *c, const char *root, const char *dir) {
        if (c->n_disks == 0)
                return 0;   /* the unit reads no such file */
        StringBuffer b = {};
        sb_appendf(&b, "# Written by 'nestvirt vm prepare %s' at the VM's start: the image type of each Disk=.\n",
                   c->name);
        for (size_t i = 0; i < c->n_disks; i++) {
                const DiskConfig *d = &c->disks[i];
                _cleanup_(freep) char *real = path_under_root(root, d->path);
                DiskImageType type;
                const char *format = NULL;
                int r = real ? disk_image_type_read(real, &type, &format) : -ENOMEM;
                if (r >= 0 && type == DISK_IMAGE_UNSUPPORTED)
                        r = -EMEDIUMTYPE;
                if (r < 0) {
                        sb_done(&b);
                        if (r == -ENOMEM)
                                return log_oom();
                        if (r == -EMEDIUMTYPE)
                                return log_error_errno(r, "Disk=%s is a %s image; Cloud Hypervisor is given raw or "
                                                       "qcow2 only: convert it with qemu-img convert -O qcow2",
                                                       d->path, format);
                        return log_error_errno(r, "Cannot read Disk=%s to tell its image type: %m", d->path);
                }
                char variable[VM_DISK_TYPE_VARIABLE_MAX];
                vm_disk_type_variable(i, variable);
                sb_appendf(&b, "%s=%s\n", variable, disk_image_type_to_string(type));
        }
        _cleanup_(freep) char *text = sb_steal(&b);
        _cleanup_(freep) char *path = strjoin(dir, "/" VM_DISK_TYPES_FILE);
        _cleanup_(freep) char *temporary = strjoin(dir, "/." VM_DISK_TYPES_FILE ".tmp");
        if (!text || !path || !temporary)
                return log_oom();
        _cleanup_(closep) int fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return log_error_errno(errno, "Cannot create %s: %m", temporary);
        size_t n = strlen(text);
        errno = 0;
        if (write(fd, text, n) != (ssize_t) n || rename(temporary, path) < 0) {
                int e = errno ?: EIO;
                (void) unlink(temporary);
                return log_error_errno(e, "Cannot write %s: %m", path);
        }
        return 0;
}

int vm_prepare(const VmPlan *vp, const char *root) {
        const VmConfig *c = vp->config;
        int r;

        _cleanup_(freep) char *dir = vm_runtime_dir(root, c->name), *seed = vm_seed_path(root, c->name);
        if (!dir || !seed)
                return log_oom();

        r = ensure_runtime_dir(dir);
        if (r < 0)
                return r;
        /* Before anything else: if this VM still runs, nothing here may change under it. */
        r = remove_stale_api_socket(root, c->name);
        if (r < 0)
                return r;

        r = write_disk_types(c, root, dir);
        if (r < 0)
                return r;
        r = remove_old_seed(seed, !c->cloud_init.value);
        if (r < 0 || !c->cloud_init.value)
                return r;
        _cleanup_(freep) char *network_config = NULL;
        if (c->network == NETWORK_NAT && (r = nat_network_config(vp, root, &network_config)) < 0)
                return r;
        return cloud_init_seed_build(c, root, dir, seed, network_config);
}
