/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The seed's recipe converts a cloud image to raw and boots it with root=/dev/vda1: whether
 * partition 1 exists and holds the root file system is only found out when the guest kernel
 * panics. This answers it before the start, from the images. */

#include <stdarg.h>
#include <strings.h>

#include "root-device.h"
#include "util.h"

void root_spec_done(RootSpec *s) {
        free(s->value);
        *s = (RootSpec) {};
}

void vd_disk_name(unsigned index, char buf[static 8]) {
        char letters[4];
        size_t n = 0;
        long i = index;
        do {
                letters[n++] = (char) ('a' + i % 26);
                i = i / 26 - 1;
        } while (i >= 0 && n < 3);
        size_t k = 0;
        buf[k++] = 'v';
        buf[k++] = 'd';
        while (n > 0)
                buf[k++] = letters[--n];
        buf[k] = 0;
}

/* /dev/vdX[N]: letters as for sd (a..z, aa..zz, aaa..zzz), N from 1, no leading zero. */
static bool parse_vd(const char *s, RootSpec *spec) {
        const char *p = startswith(s, "/dev/vd");
        if (!p)
                return false;
        unsigned index = 0;
        size_t letters = 0;
        for (; *p >= 'a' && *p <= 'z'; p++, letters++)
                index = index * 26 + (unsigned) (*p - 'a' + 1);
        if (letters == 0 || letters > 3)
                return false;
        spec->disk = index - 1;
        if (!*p) {
                spec->kind = ROOT_VD_DISK;
                return true;
        }
        if (*p < '1' || *p > '9' || strlen(p) > 4)
                return false;
        unsigned n = 0;
        for (; *p >= '0' && *p <= '9'; p++)
                n = n * 10 + (unsigned) (*p - '0');
        if (*p)
                return false;
        spec->kind = ROOT_VD_PARTITION;
        spec->partition = n;
        return true;
}

static void classify(RootSpec *spec) {
        static const struct {
                const char *prefix;
                RootKind kind;
        } keys[] = {
                { "UUID=", ROOT_UUID },
                { "LABEL=", ROOT_LABEL },
                { "PARTUUID=", ROOT_PARTUUID },
                { "PARTLABEL=", ROOT_PARTLABEL },
        };
        spec->kind = ROOT_OTHER;
        if (parse_vd(spec->value, spec))
                return;
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                const char *k = startswith(spec->value, keys[i].prefix);
                /* PARTUUID=.../PARTNROFF=n counts from another partition: not resolved here. */
                if (!k || !*k || (keys[i].kind == ROOT_PARTUUID && strchr(k, '/')))
                        continue;
                spec->kind = keys[i].kind;
                spec->key = k;
                return;
        }
}

int root_spec_parse(const char *cmdline, RootSpec *ret) {
        _cleanup_(freep) char *last = NULL;
        const char *p = strempty(cmdline);

        for (;;) {
                while (*p == ' ' || *p == '\t' || *p == '\n')
                        p++;
                if (!*p)
                        break;
                /* One word: spaces inside double quotes belong to it; the quotes go. */
                StringBuffer w = {};
                bool quoted = false;
                for (; *p && (quoted || (*p != ' ' && *p != '\t' && *p != '\n')); p++) {
                        if (*p == '"')
                                quoted = !quoted;
                        else
                                sb_append_char(&w, *p);
                }
                _cleanup_(freep) char *word = sb_steal(&w);
                if (!word)
                        return -ENOMEM;
                if (streq(word, "--"))
                        break;   /* the rest is for init */
                const char *v = startswith(word, "root=");
                if (v) {
                        free(last);
                        if (!(last = strdup(v)))
                                return -ENOMEM;
                }
        }

        *ret = (RootSpec) {};
        if (isempty(last))
                return 0;
        ret->value = TAKE_PTR(last);
        classify(ret);
        return 0;
}

static RootVerdict verdict(char **ret, RootVerdict v, const char *fmt, ...) _printf_(3, 4);
static RootVerdict verdict(char **ret, RootVerdict v, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(ret, fmt, ap) < 0)
                *ret = NULL;
        va_end(ap);
        return v;
}

static const char *content_what(const DiskContent *c) {
        if (c->ambivalent)
                return "more than one signature (clean it up with wipefs)";
        return c->type ?: "no file system";
}

static const DiskPartition *find_partition(const DiskProbe *d, unsigned number) {
        for (size_t i = 0; i < d->n_partitions; i++)
                if (d->partitions[i].number == number)
                        return &d->partitions[i];
        return NULL;
}

/* "; use root=/dev/vda1 (ext4)" when some partition of the disk holds a file system. */
static void append_hint(StringBuffer *b, const DiskProbe *d, unsigned disk) {
        char name[8];
        vd_disk_name(disk, name);
        for (size_t i = 0; i < d->n_partitions; i++)
                if (disk_content_is_file_system(&d->partitions[i].content)) {
                        sb_appendf(b, "; use root=/dev/%s%u (%s) or fix the image", name, d->partitions[i].number,
                                   d->partitions[i].content.type);
                        return;
                }
        sb_append(b, "; none of its partitions holds a file system: is it the right image?");
}

/* "only partition 1", "only partitions 1, 2 and 5", "no partitions" */
static void append_partition_numbers(StringBuffer *b, const DiskProbe *d) {
        if (d->n_partitions == 0) {
                sb_append(b, "no partitions");
                return;
        }
        sb_appendf(b, "only partition%s ", d->n_partitions > 1 ? "s" : "");
        for (size_t i = 0; i < d->n_partitions; i++)
                sb_appendf(b, "%s%u", i == 0 ? "" : i + 1 == d->n_partitions ? " and " : ", ", d->partitions[i].number);
}

static RootVerdict steal(StringBuffer *b, RootVerdict v, char **ret) {
        *ret = sb_steal(b);
        return v;
}

/* root=/dev/vdX names a disk past the VM's last one: perhaps the seed, which follows them. */
static RootVerdict vd_missing_disk(const RootSpec *spec, size_t n_disks, bool seed, char **ret) {
        char name[8], first[8], last[8], seed_name[8];
        vd_disk_name(spec->disk, name);
        vd_disk_name(0, first);
        vd_disk_name(n_disks > 0 ? (unsigned) n_disks - 1 : 0, last);
        vd_disk_name((unsigned) n_disks, seed_name);
        if (seed && spec->disk == n_disks)
                return verdict(ret, ROOT_UNRESOLVED,
                               "root=%s is the cloud-init seed (%s, attached after the Disk= images), not a "
                               "root file system; point root= at one of the Disk= images", spec->value,
                               seed_name);
        StringBuffer b = {};
        sb_appendf(&b, "root=%s names disk %u (%s), but the VM has ", spec->value, spec->disk + 1, name);
        if (n_disks == 0)
                sb_append(&b, "no Disk=");
        else if (n_disks == 1)
                sb_appendf(&b, "only 1 disk (%s)", first);
        else
                sb_appendf(&b, "only %zu disks (%s..%s)", n_disks, first, last);
        if (seed)
                sb_appendf(&b, " and the cloud-init seed (%s)", seed_name);
        sb_append(&b, "; fix root= or add the disk with Disk=");
        return steal(&b, ROOT_UNRESOLVED, ret);
}

/* root=/dev/vdX: the whole disk must hold the file system. */
static RootVerdict vd_whole_disk(const RootSpec *spec, const DiskProbe *d, char **ret) {
        unsigned disk = spec->disk;
        if (disk_content_is_file_system(&d->content))
                return verdict(ret, ROOT_RESOLVED, "root=%s is %s on disk %u", spec->value, d->content.type, disk + 1);

        StringBuffer b = {};
        sb_appendf(&b, "root=%s names the whole of disk %u (%s), which holds ", spec->value, disk + 1, d->path);
        if (d->table) {
                sb_appendf(&b, "a %s partition table, not a file system", d->table);
                append_hint(&b, d, disk);
        } else if (d->content.type || d->content.ambivalent)
                sb_appendf(&b, "%s, not a file system; point root= at the disk with the root file system",
                           content_what(&d->content));
        else
                sb_append(&b, "neither a file system nor a partition table: is it the right image?");
        return steal(&b, ROOT_UNRESOLVED, ret);
}

/* root=/dev/vdXN: partition N must exist and hold the file system. */
static RootVerdict vd_partition(const RootSpec *spec, const DiskProbe *d, char **ret) {
        unsigned disk = spec->disk;
        const DiskPartition *part = d->table ? find_partition(d, spec->partition) : NULL;
        if (part && disk_content_is_file_system(&part->content))
                return verdict(ret, ROOT_RESOLVED, "root=%s is %s on disk %u", spec->value, part->content.type,
                               disk + 1);

        StringBuffer b = {};
        sb_appendf(&b, "root=%s needs partition %u of disk %u (%s), ", spec->value, spec->partition, disk + 1, d->path);
        if (!d->table) {
                char name[8];
                vd_disk_name(disk, name);
                if (disk_content_is_file_system(&d->content))
                        sb_appendf(&b, "but that disk has no partition table: it holds %s directly, so use "
                                   "root=/dev/%s", d->content.type, name);
                else
                        sb_append(&b, "but that disk has neither a partition table nor a file system: is it the "
                                  "right image?");
        } else if (!part) {
                sb_append(&b, "which has ");
                append_partition_numbers(&b, d);
                sb_appendf(&b, " (%s table)", d->table);
                append_hint(&b, d, disk);
        } else {
                if (part->extended)
                        sb_append(&b, "but that is an extended partition (a container for partitions 5 and up)");
                else
                        sb_appendf(&b, "but that partition holds %s%s", content_what(&part->content),
                                   part->content.type && !part->content.ambivalent ? ", not a file system" : "");
                append_hint(&b, d, disk);
        }
        return steal(&b, ROOT_UNRESOLVED, ret);
}

static RootVerdict resolve_vd(const RootSpec *spec, const DiskProbe *disks, size_t n_disks, bool seed, char **ret) {
        if (spec->disk >= n_disks)
                return vd_missing_disk(spec, n_disks, seed, ret);

        const DiskProbe *d = &disks[spec->disk];
        if (d->state == DISK_QCOW2)
                return verdict(ret, ROOT_NOT_CHECKED, "root=%s is not checked: disk %u (%s) is qcow2, whose contents "
                               "cannot be looked into here", spec->value, spec->disk + 1, d->path);
        if (d->state == DISK_UNREADABLE)
                return verdict(ret, ROOT_NOT_CHECKED, "root=%s is not checked: disk %u (%s) cannot be read (%s)",
                               spec->value, spec->disk + 1, d->path, strerror(d->error));
        if (spec->kind == ROOT_VD_DISK)
                return vd_whole_disk(spec, d, ret);
        return vd_partition(spec, d, ret);
}

/* "vda" for the whole disk, "vda1" for a partition. */
static void place_name(unsigned disk, unsigned partition, char buf[static 24]) {
        char name[8];
        vd_disk_name(disk, name);
        if (partition > 0)
                snprintf(buf, 24, "%s%u", name, partition);
        else
                snprintf(buf, 24, "%s", name);
}

/* The identifier root= compares against, at one place of a disk (part NULL: the whole disk). */
static const char *place_id(RootKind kind, const DiskContent *c, const DiskPartition *part) {
        switch (kind) {
        case ROOT_UUID:
                return c->uuid;
        case ROOT_LABEL:
                return c->label;
        case ROOT_PARTUUID:
                return part ? part->uuid : NULL;
        case ROOT_PARTLABEL:
                return part ? part->name : NULL;
        default:
                return NULL;
        }
}

typedef struct Match {
        unsigned disk;
        const DiskPartition *part;
        const DiskContent *content;
} Match;

/* Where a UUID=, LABEL=, PARTUUID= or PARTLABEL= was found, and what the disks carry instead. */
typedef struct KeySearch {
        Match found[2];
        size_t n_found;
        size_t n_seen;          /* identifiers of this kind on the disks */
        size_t unseen;          /* the first disk that could not be looked into, or SIZE_MAX */
        StringBuffer seen;      /* "UUID=... on vda1, ..." (the first four) */
} KeySearch;

static void search_disk(const RootSpec *spec, const DiskProbe *d, unsigned disk, KeySearch *ks) {
        /* UUIDs are hex: the kernel and udev compare them without case; labels are exact. */
        bool ignore_case = spec->kind == ROOT_UUID || spec->kind == ROOT_PARTUUID;
        int key_len = (int) (spec->key - spec->value - 1);

        for (size_t k = 0; k <= d->n_partitions; k++) {
                const DiskPartition *part = k == 0 ? NULL : &d->partitions[k - 1];
                const DiskContent *c = part ? &part->content : &d->content;
                const char *id = place_id(spec->kind, c, part);
                if (!id)
                        continue;
                if (ignore_case ? strcasecmp(id, spec->key) == 0 : streq(id, spec->key)) {
                        if (ks->n_found < ELEMENTSOF(ks->found))
                                ks->found[ks->n_found] = (Match) { disk, part, c };
                        ks->n_found++;
                }
                char where[24];
                place_name(disk, part ? part->number : 0, where);
                if (ks->n_seen < 4)
                        sb_appendf(&ks->seen, "%s%.*s=%s on %s", ks->n_seen ? ", " : "", key_len, spec->value, id,
                                   where);
                else if (ks->n_seen == 4)
                        sb_append(&ks->seen, ", ...");
                ks->n_seen++;
        }
}

/* On none of the disks: maybe on one that could not be looked into. Takes ks->seen. */
static RootVerdict key_not_found(const RootSpec *spec, const DiskProbe *disks, size_t n_disks, KeySearch *ks,
                                 char **ret) {
        _cleanup_(freep) char *seen = sb_steal(&ks->seen);
        int key_len = (int) (spec->key - spec->value - 1);

        if (ks->unseen != SIZE_MAX)
                return verdict(ret, ROOT_NOT_CHECKED,
                               "root=%s is not checked: it is on none of the disks that could be looked into, "
                               "and disk %zu (%s) %s", spec->value, ks->unseen + 1, disks[ks->unseen].path,
                               disks[ks->unseen].state == DISK_QCOW2
                                       ? "is qcow2, whose contents cannot be looked into here"
                                       : "cannot be read");
        StringBuffer b = {};
        if (n_disks == 0)
                sb_appendf(&b, "root=%s, but the VM has no Disk=; add the image with Disk=", spec->value);
        else {
                sb_appendf(&b, "root=%s is on none of the VM's disks (", spec->value);
                if (ks->n_seen > 0)
                        sb_appendf(&b, "they carry %s", strempty(seen));
                else
                        sb_appendf(&b, "none of them carries a %.*s%s", key_len, spec->value,
                                   spec->kind == ROOT_PARTLABEL ? ": only GPT partitions have one" : "");
                sb_append(&b, "); fix root= or the image");
        }
        return steal(&b, ROOT_UNRESOLVED, ret);
}

static RootVerdict resolve_key(const RootSpec *spec, const DiskProbe *disks, size_t n_disks, char **ret) {
        KeySearch ks = { .unseen = SIZE_MAX };

        for (size_t i = 0; i < n_disks; i++) {
                if (disks[i].state == DISK_PROBED)
                        search_disk(spec, &disks[i], (unsigned) i, &ks);
                else if (ks.unseen == SIZE_MAX)
                        ks.unseen = i;
        }
        if (ks.n_found == 0)
                return key_not_found(spec, disks, n_disks, &ks, ret);
        sb_done(&ks.seen);

        const Match *m = &ks.found[0];
        char a[24], b[24];
        place_name(m->disk, m->part ? m->part->number : 0, a);
        if (ks.n_found > 1) {
                place_name(ks.found[1].disk, ks.found[1].part ? ks.found[1].part->number : 0, b);
                return verdict(ret, ROOT_NOT_CHECKED,
                               "root=%s is on %s and on %s%s (copies of one image?): which one the guest mounts is "
                               "undefined; make it unique (for ext4: tune2fs -U random or -L)", spec->value, a, b,
                               ks.n_found > 2 ? " and more" : "");
        }
        if (disk_content_is_file_system(m->content))
                return verdict(ret, ROOT_RESOLVED, "root=%s is %s on disk %u (%s)", spec->value, m->content->type,
                               m->disk + 1, a);
        bool extended = m->part && m->part->extended;
        return verdict(ret, ROOT_UNRESOLVED, "root=%s is on disk %u (%s), which holds %s%s; point root= at the root "
                       "file system", spec->value, m->disk + 1, a,
                       extended ? "an extended partition table" : content_what(m->content),
                       !extended && m->content->type && !m->content->ambivalent ? ", not a file system" : "");
}

RootVerdict root_resolve(const RootSpec *spec, const DiskProbe *disks, size_t n_disks, bool seed, char **ret_message) {
        switch (spec->kind) {
        case ROOT_NONE:
                return verdict(ret_message, ROOT_NOT_CHECKED, "Cmdline= has no root=: not checked");
        case ROOT_VD_DISK:
        case ROOT_VD_PARTITION:
                return resolve_vd(spec, disks, n_disks, seed, ret_message);
        case ROOT_UUID:
        case ROOT_LABEL:
        case ROOT_PARTUUID:
        case ROOT_PARTLABEL:
                return resolve_key(spec, disks, n_disks, ret_message);
        default:
                return verdict(ret_message, ROOT_NOT_CHECKED,
                               "root=%s is not checked: only /dev/vdX[N], UUID=, LABEL=, PARTUUID= and PARTLABEL= are "
                               "looked up on the disks", spec->value);
        }
}
