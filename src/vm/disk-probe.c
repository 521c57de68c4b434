/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <blkid.h>
#include <fcntl.h>

#include "disk-image.h"
#include "disk-probe.h"
#include "util.h"

static void blkid_free_probep(blkid_probe *p) {
        if (*p)
                blkid_free_probe(*p);
}

static int lookup(blkid_probe pr, const char *name, char **ret) {
        const char *v = NULL;
        if (blkid_probe_lookup_value(pr, name, &v, NULL) < 0 || !v)
                return 0;
        *ret = strdup(v);
        return *ret ? 0 : -ENOMEM;
}

static void content_done(DiskContent *c) {
        free(c->type);
        free(c->usage);
        free(c->uuid);
        free(c->label);
        *c = (DiskContent) {};
}

/* The file system (or other signature) in SIZE bytes at OFFSET of FD; SIZE 0 means to the end. */
static int probe_content(int fd, uint64_t offset, uint64_t size, bool with_table, char **ret_table,
                         DiskContent *ret) {
        _cleanup_(blkid_free_probep) blkid_probe pr = blkid_new_probe();
        if (!pr)
                return -ENOMEM;
        if (blkid_probe_set_device(pr, fd, (blkid_loff_t) offset, (blkid_loff_t) size) < 0)
                return 0;   /* too small to hold anything: nothing there */
        blkid_probe_enable_superblocks(pr, 1);
        blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE | BLKID_SUBLKS_UUID |
                                                      BLKID_SUBLKS_LABEL);
        /* With the table probed in the same pass, blkid ignores file systems that lie inside a
         * partition: what remains is a file system on the whole disk. */
        blkid_probe_enable_partitions(pr, with_table);

        int r = blkid_do_safeprobe(pr);
        if (r == -2) {
                ret->ambivalent = true;
                return 0;
        }
        if (r != 0)
                return 0;
        if (lookup(pr, "TYPE", &ret->type) < 0 || lookup(pr, "USAGE", &ret->usage) < 0 ||
            lookup(pr, "UUID", &ret->uuid) < 0 || lookup(pr, "LABEL", &ret->label) < 0)
                return -ENOMEM;
        if (with_table && lookup(pr, "PTTYPE", ret_table) < 0)
                return -ENOMEM;
        return 0;
}

static int probe_partitions(int fd, DiskProbe *p) {
        _cleanup_(blkid_free_probep) blkid_probe pr = blkid_new_probe();
        if (!pr)
                return -ENOMEM;
        if (blkid_probe_set_device(pr, fd, 0, 0) < 0)
                return 0;
        blkid_partlist list = blkid_probe_get_partitions(pr);
        int n = list ? blkid_partlist_numof_partitions(list) : 0;
        if (n <= 0)
                return 0;
        p->partitions = calloc((size_t) n, sizeof(DiskPartition));
        if (!p->partitions)
                return -ENOMEM;
        for (int i = 0; i < n; i++) {
                blkid_partition par = blkid_partlist_get_partition(list, i);
                if (!par)
                        continue;
                DiskPartition *d = &p->partitions[p->n_partitions++];
                const char *uuid = blkid_partition_get_uuid(par), *name = blkid_partition_get_name(par);
                d->number = (unsigned) MAX(blkid_partition_get_partno(par), 0);
                d->extended = blkid_partition_is_extended(par);
                if ((uuid && !(d->uuid = strdup(uuid))) || (name && !(d->name = strdup(name))))
                        return -ENOMEM;
                if (d->extended)
                        continue;
                /* libblkid counts partitions in 512-byte sectors whatever the device's sector size. */
                uint64_t start = (uint64_t) blkid_partition_get_start(par) * 512;
                uint64_t size = (uint64_t) blkid_partition_get_size(par) * 512;
                int r = probe_content(fd, start, size, false, NULL, &d->content);
                if (r < 0)
                        return r;
        }
        return 0;
}

int disk_probe(const char *path, const char *real_path, DiskProbe *ret) {
        *ret = (DiskProbe) { .path = path };
        _cleanup_(closep) int fd = open(real_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                ret->state = DISK_UNREADABLE;
                ret->error = errno;
                return 0;
        }
        DiskImageType type;
        if (disk_image_type_read_fd(fd, &type, NULL) >= 0 && type == DISK_IMAGE_QCOW2) {
                ret->state = DISK_QCOW2;
                return 0;
        }
        int r = probe_content(fd, 0, 0, true, &ret->table, &ret->content);
        if (r >= 0 && ret->table)
                r = probe_partitions(fd, ret);
        if (r < 0)
                disk_probe_done(ret);
        return r;
}

void disk_probe_done(DiskProbe *p) {
        for (size_t i = 0; i < p->n_partitions; i++) {
                free(p->partitions[i].uuid);
                free(p->partitions[i].name);
                content_done(&p->partitions[i].content);
        }
        free(p->partitions);
        free(p->table);
        content_done(&p->content);
        *p = (DiskProbe) { .path = p->path };
}
