/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "initrd-record.h"
#include "log.h"
#include "util.h"

/* Keeps the lines of FILE that neither belong to VERB nor describe the configuration. */
static int keep_others(FILE *f, const char *verb, StringBuffer *out) {
        char *line = NULL;
        size_t size = 0;
        size_t l = strlen(verb);
        while (getline(&line, &size, f) > 0) {
                if (startswith(line, "config.") || (strncmp(line, verb, l) == 0 && line[l] == '.'))
                        continue;
                sb_append(out, line);
        }
        free(line);
        return 0;
}

static void append_config(StringBuffer *b, const Config *c) {
        sb_appendf(b, "config.digest=%016" PRIx64 "\n", c->digest);
        for (size_t i = 0; i < c->n_files; i++)
                if (!c->files[i].refused && !string_has_cc(c->files[i].path))
                        sb_appendf(b, "config.file=%s\n", c->files[i].path);
}

static int write_replacing(const char *path, const char *data) {
        _cleanup_(freep) char *tmp = strjoin(path, ".tmp");
        if (!tmp)
                return -ENOMEM;
        _cleanup_(fclosep) FILE *f = fopen(tmp, "we");
        if (!f)
                return -errno;
        fputs(data, f);
        if (fflush(f) != 0 || ferror(f)) {
                int r = -errno;
                (void) unlink(tmp);
                return r ?: -EIO;
        }
        return rename(tmp, path) < 0 ? -errno : 0;
}

int initrd_record_save(const char *root, const char *verb, const Config *c, int exit_status, char **lines) {
        _cleanup_(freep) char *run = path_under_root(root, "/run"), *dir = path_under_root(root, "/run/nestvirt");
        _cleanup_(freep) char *path = path_under_root(root, INITRD_RECORD);
        if (!run || !dir || !path)
                return log_oom();
        (void) mkdir(run, 0755);   /* there in a real initrd; not in every test root */
        (void) mkdir(dir, 0755);
        /* reserve-hugepages and bind-vfio run side by side: one at a time here. */
        _cleanup_(closep) int lock = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (lock < 0 || flock(lock, LOCK_EX) < 0)
                return log_warning_errno(errno, "Cannot lock %s to record what the initramfs did: %m", dir);

        StringBuffer b = {};
        _cleanup_(fclosep) FILE *old = fopen(path, "re");
        if (old)
                keep_others(old, verb, &b);
        append_config(&b, c);
        sb_appendf(&b, "%s.exit=%d\n", verb, exit_status);
        for (size_t i = 0; lines && lines[i]; i++)
                sb_appendf(&b, "%s.%s\n", verb, lines[i]);
        _cleanup_(freep) char *data = sb_steal(&b);
        if (!data)
                return log_oom();
        int r = write_replacing(path, data);
        if (r < 0)
                return log_warning_errno(r, "Cannot write %s (what the initramfs did, for the main system): %m", path);
        return 0;
}

static int parse_line(InitrdRecord *r, const char *key, const char *value) {
        if (streq(key, "config.digest"))
                return free(r->digest), (r->digest = strdup(value)) ? 0 : -ENOMEM;
        if (streq(key, "config.file"))
                return strv_extend(&r->files, value);
        if (streq(key, "reserve-hugepages.exit"))
                return (void) safe_atoi(value, &r->hugepages_exit), 0;
        if (streq(key, "bind-vfio.exit"))
                return (void) safe_atoi(value, &r->vfio_exit), 0;
        if (streq(key, "reserve-hugepages.node")) {
                RecordNode n;
                if (sscanf(value, "%u %" SCNu64 " %" SCNu64 " %" SCNu64, &n.node, &n.planned, &n.before, &n.after) != 4)
                        return 0;
                RecordNode *x = ARRAY_APPEND(r->nodes, r->n_nodes);
                return x ? (*x = n, 0) : -ENOMEM;
        }
        if (streq(key, "bind-vfio.device")) {
                const char *space = strchr(value, ' ');
                if (!space)
                        return 0;
                RecordDevice *x = ARRAY_APPEND(r->devices, r->n_devices);
                if (!x)
                        return -ENOMEM;
                *x = (RecordDevice) { .address = strndup(value, space - value), .bound = streq(space + 1, "vfio-pci") };
                return x->address ? 0 : -ENOMEM;
        }
        return 0;
}

int initrd_record_load(const char *root, InitrdRecord *ret) {
        _cleanup_(freep) char *path = path_under_root(root, INITRD_RECORD);
        if (!path)
                return -ENOMEM;
        _cleanup_(fclosep) FILE *f = fopen(path, "re");
        if (!f)
                return errno == ENOENT ? 0 : -errno;
        InitrdRecord r = { .hugepages_exit = -1, .vfio_exit = -1 };
        char *line = NULL;
        size_t size = 0;
        ssize_t l;
        int k = 0;
        while (k >= 0 && (l = getline(&line, &size, f)) > 0) {
                if (line[l - 1] == '\n')
                        line[l - 1] = 0;
                char *eq = strchr(line, '=');
                if (!eq)
                        continue;
                *eq = 0;
                k = parse_line(&r, line, eq + 1);
        }
        free(line);
        if (k < 0) {
                initrd_record_done(&r);
                return k;
        }
        *ret = r;
        return 1;
}

void initrd_record_done(InitrdRecord *r) {
        free(r->digest);
        strv_free(r->files);
        free(r->nodes);
        for (size_t i = 0; i < r->n_devices; i++)
                free(r->devices[i].address);
        free(r->devices);
        *r = (InitrdRecord) { .hugepages_exit = -1, .vfio_exit = -1 };
}

static void log_record(const InitrdRecord *r, const char *verb) {
        bool pages = streq(verb, "reserve-hugepages");
        int exit_status = pages ? r->hugepages_exit : r->vfio_exit;
        if (exit_status < 0) {
                log_info("In the initramfs: %s did not run.", verb);
                return;
        }
        if (pages)
                for (size_t i = 0; i < r->n_nodes; i++) {
                        const RecordNode *n = &r->nodes[i];
                        log_info("In the initramfs: node %u: %" PRIu64 " page%s of 1 GiB reserved (%" PRIu64
                                 " before), %" PRIu64 " planned.", n->node, n->after, n->after == 1 ? "" : "s",
                                 n->before, n->planned);
                }
        else
                for (size_t i = 0; i < r->n_devices; i++)
                        log_info("In the initramfs: %s %s.", r->devices[i].address,
                                 r->devices[i].bound ? "bound to vfio-pci" : "NOT bound to vfio-pci");
        if (exit_status != 0)
                log_warning("In the initramfs: %s failed (exit %d); this run tops up and says what still fails.",
                            verb, exit_status);
}

void initrd_record_log_verb(const char *root, const char *verb) {
        InitrdRecord r = {};
        int k = initrd_record_load(root, &r);
        if (k < 0)
                log_warning_errno(k, "Cannot read %s (what nestvirt did in the initramfs): %m", INITRD_RECORD);
        if (k <= 0)
                return;
        log_record(&r, verb);
        initrd_record_done(&r);
}
