/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "conf-accepted.h"
#include "conf-files.h"
#include "util.h"

/* Reads FILE under the policy; appends it to C when accepted. -ENOMEM only. */
static int accept_one(const char *root, const ConfPolicy *policy, ConfFile *file, AcceptedConfig *c) {
        if (strv_extend(&c->paths, file->logical) < 0)
                return -ENOMEM;
        Location where = { c->paths[strv_length(c->paths) - 1], 0 };
        _cleanup_(freep) char *data = NULL;
        size_t size = 0;
        int r = conf_file_read(root, file, policy, where, &c->diagnostics, &data, &size);
        if (r <= 0) {
                c->refused += r == 0;
                return r;
        }
        AcceptedFile *a = ARRAY_APPEND(c->files, c->n);
        if (!a)
                return -ENOMEM;
        *a = (AcceptedFile) { .logical = TAKE_PTR(file->logical), .target = TAKE_PTR(file->target),
                              .data = TAKE_PTR(data), .size = size };
        return 0;
}

int conf_accepted_load(const char *root, uid_t allow_owner, AcceptedConfig *ret) {
        ConfPolicy policy = { .check_ownership = true, .allow_owner = allow_owner };
        AcceptedConfig c = {};
        ConfFile *files = NULL;
        size_t n = 0;

        int r = conf_files_list(root, &policy, &c.diagnostics, &files, &n);
        /* A drop-in directory refused whole leaves one error and none of its files. */
        c.refused = diag_count(&c.diagnostics, DIAG_ERROR);
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = accept_one(root, &policy, &files[i], &c);
        conf_files_free(files, n);
        if (r >= 0 && c.diagnostics.oom)
                r = -ENOMEM;
        if (r < 0) {
                conf_accepted_done(&c);
                return r;
        }
        *ret = c;
        return 0;
}

void conf_accepted_done(AcceptedConfig *c) {
        for (size_t i = 0; i < c->n; i++) {
                free(c->files[i].logical);
                free(c->files[i].target);
                free(c->files[i].data);
        }
        free(c->files);
        strv_free(c->paths);
        diag_done(&c->diagnostics);
        *c = (AcceptedConfig) {};
}

static const char *const config_dirs[] = { "etc/nestvirt.conf.d/", "run/nestvirt.conf.d/", "usr/lib/nestvirt.conf.d/" };

bool conf_is_config_path(const char *name) {
        if (streq(name, "etc/nestvirt.conf"))
                return true;
        for (size_t i = 0; i < ELEMENTSOF(config_dirs); i++) {
                const char *rest = startswith(name, config_dirs[i]);
                if (rest && *rest && !strchr(rest, '/') && strlen(rest) > 5 && streq(rest + strlen(rest) - 5, ".conf"))
                        return true;
        }
        return false;
}

bool conf_accepted_matches(const AcceptedConfig *c, const char *name, const char *data, size_t size) {
        for (size_t i = 0; i < c->n; i++)
                if (streq(c->files[i].logical + 1, name))
                        return data && c->files[i].size == size && memcmp(c->files[i].data, data, size) == 0;
        return false;
}
