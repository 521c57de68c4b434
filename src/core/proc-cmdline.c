/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>

#include "proc-cmdline.h"
#include "util.h"

static void apply(KernelSwitches *s, const char *key, const char *value) {
        /* "nestvirt" alone means on, as systemd treats boolean switches. */
        int b = value ? parse_boolean(value) : 1;
        if (b < 0)
                return;
        if (streq(key, "nestvirt"))
                s->enabled = b;
        else if (streq(key, "nestvirt.autostart"))
                s->autostart = b;
}

int kernel_switches_parse(const char *cmdline, bool in_initrd, KernelSwitches *ret) {
        KernelSwitches s = { .enabled = true, .autostart = true };
        const char *p = cmdline;

        for (;;) {
                while (isspace((unsigned char) *p))
                        p++;
                if (!*p)
                        break;
                /* A word, with "double quotes" allowed anywhere in it as the kernel does. */
                char word[512];
                size_t n = 0;
                bool quoted = false;
                for (; *p && (quoted || !isspace((unsigned char) *p)); p++) {
                        if (*p == '"') {
                                quoted = !quoted;
                                continue;
                        }
                        if (n + 1 < sizeof word)
                                word[n++] = *p;
                }
                word[n] = 0;

                char *value = strchr(word, '=');
                if (value)
                        *value++ = 0;
                const char *key = word;
                const char *stripped = startswith(key, "rd.");
                if (stripped) {
                        if (!in_initrd)
                                continue;
                        key = stripped;
                }
                apply(&s, key, value);
        }
        *ret = s;
        return 0;
}

int kernel_switches_read(const char *root, bool in_initrd, KernelSwitches *ret) {
        const char *e = getenv("SYSTEMD_PROC_CMDLINE");
        if (e)
                return kernel_switches_parse(e, in_initrd, ret);

        _cleanup_(freep) char *path = path_under_root(root, "/proc/cmdline");
        _cleanup_(freep) char *line = NULL;
        if (!path)
                return -ENOMEM;
        int r = read_one_line_file(path, &line);
        if (r == -ENOENT)
                return kernel_switches_parse("", in_initrd, ret);
        if (r < 0)
                return r;
        return kernel_switches_parse(line, in_initrd, ret);
}

bool detect_initrd(const char *root) {
        const char *e = getenv("SYSTEMD_IN_INITRD");
        if (e) {
                int b = parse_boolean(e);
                if (b >= 0)
                        return b;
        }
        _cleanup_(freep) char *p = path_under_root(root, "/etc/initrd-release");
        return p && access(p, F_OK) >= 0;
}
