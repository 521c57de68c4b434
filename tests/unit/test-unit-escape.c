/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Escaping of values written into unit files and into Cloud Hypervisor option lists
 * (DESIGN.md "Behaviour that must hold": "values escaped for unit files (%, $, quotes, spaces,
 * newlines)"). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>

#include "config.h"
#include "inventory.h"
#include "parse-values.h"
#include "plan.h"
#include "unit-escape.h"
#include "util.h"
#include "vm-command.h"

/* ---- a reference decoder: what systemd makes of one ExecStart= line ----
 *
 * systemd (config_parse_exec) splits the line with extract_first_word(EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE),
 * treats an unquoted lone ";" as a command separator, resolves specifiers ("%%" -> "%") and, at
 * exec time, environment variables ("$$" -> "$", "$X"/"${X}" substituted). This decoder implements
 * exactly that and fails on anything the escaper must never produce: a lone '%' or '$', an unquoted
 * ';' word, an unknown backslash escape, an unterminated quote, a raw control character. */

static int unhex(char c) {
        return isdigit((unsigned char) c) ? c - '0' : tolower((unsigned char) c) - 'a' + 10;
}

/* Returns the next word (malloc'ed) or NULL at the end; fails the test on bad input. */
static char *next_exec_word(const char **p) {
        const char *s = *p;
        StringBuffer raw = {};   /* after unquoting and unescaping */
        char quote = 0;
        bool any = false, quoted_any = false;

        while (*s == ' ' || *s == '\t')
                s++;
        if (!*s) {
                *p = s;
                return NULL;
        }
        const char *start = s;
        for (; *s; s++) {
                unsigned char c = *s;
                if (c < ' ' || c == 127)
                        fail_msg("raw control character 0x%02x in ExecStart= line", c);
                if (!quote && (c == ' ' || c == '\t'))
                        break;
                if (!quote && (c == '"' || c == '\'')) {
                        quote = c;
                        quoted_any = true;
                        continue;
                }
                if (quote && c == (unsigned char) quote) {
                        quote = 0;
                        continue;
                }
                if (c == '\\') {
                        s++;
                        switch (*s) {
                        case 'n': sb_append_char(&raw, '\n'); break;
                        case 't': sb_append_char(&raw, '\t'); break;
                        case 'r': sb_append_char(&raw, '\r'); break;
                        case '\\': sb_append_char(&raw, '\\'); break;
                        case '"': sb_append_char(&raw, '"'); break;
                        case '\'': sb_append_char(&raw, '\''); break;
                        case 's': sb_append_char(&raw, ' '); break;
                        case 'x':
                                if (!isxdigit((unsigned char) s[1]) || !isxdigit((unsigned char) s[2]))
                                        fail_msg("bad \\x escape in ExecStart= line");
                                if (unhex(s[1]) == 0 && unhex(s[2]) == 0)
                                        fail_msg("\\x00 is refused by systemd");
                                sb_append_char(&raw, (char) (unhex(s[1]) << 4 | unhex(s[2])));
                                s += 2;
                                break;
                        default:
                                fail_msg("unknown escape '\\%c' in ExecStart= line", *s ? *s : '0');
                        }
                        any = true;
                        continue;
                }
                sb_append_char(&raw, (char) c);
                any = true;
        }
        if (quote)
                fail_msg("unterminated quote in ExecStart= line");
        if (!quoted_any && s - start == 1 && *start == ';')
                fail_msg("unquoted ';' word: systemd takes it as a command separator");
        (void) any;
        *p = s;

        /* Specifiers, then environment variables. */
        _cleanup_(freep) char *word = sb_steal(&raw);
        assert_non_null(word);
        StringBuffer out = {};
        for (const char *w = word; *w; w++) {
                if (*w == '%' || *w == '$') {
                        if (w[1] != *w)
                                fail_msg("lone '%c' in word \"%s\": systemd would expand it", *w, word);
                        w++;
                }
                sb_append_char(&out, *w);
        }
        char *r = sb_steal(&out);
        assert_non_null(r);
        return r;
}

static char **decode_exec_line(const char *line) {
        char **l = NULL;
        const char *p = line;
        char *w;
        while ((w = next_exec_word(&p)))
                assert_int_equal(strv_push(&l, w), 0);
        return l;
}

/* ---- unit_append_exec_word ---- */

static char *exec_word(const char *s) {
        StringBuffer b = {};
        unit_append_exec_word(&b, s);
        char *r = sb_steal(&b);
        assert_non_null(r);
        return r;
}

static void check_word(const char *in, const char *expected) {
        _cleanup_(freep) char *out = exec_word(in);
        if (!streq(out, expected))
                fail_msg("unit_append_exec_word(\"%s\") = [%s], expected [%s]", in, out, expected);

        /* And systemd's reading of it gives back the input, as one word. */
        _cleanup_(strv_freep) char **back = decode_exec_line(out);
        assert_int_equal(strv_length(back), 1);
        assert_string_equal(back[0], in);
}

static void test_exec_word(void **state) {
        check_word("plain", "plain");
        check_word("/usr/local/bin/cloud-hypervisor", "/usr/local/bin/cloud-hypervisor");
        check_word("--memory-zone", "--memory-zone");
        check_word("size=0", "size=0");
        check_word("a b", "\"a b\"");
        check_word(" ", "\" \"");
        check_word("50%", "50%%");
        check_word("%n", "%%n");
        check_word("100%% done", "\"100%%%% done\"");
        check_word("$HOME", "$$HOME");
        check_word("${HOME}", "$${HOME}");
        check_word("a$b$", "a$$b$$");
        check_word("say \"hi\"", "\"say \\\"hi\\\"\"");
        check_word("\"", "\"\\\"\"");
        check_word("it's", "\"it's\"");
        check_word("'", "\"'\"");
        check_word("a\\b", "\"a\\\\b\"");
        check_word("\\", "\"\\\\\"");
        check_word("line1\nline2", "\"line1\\nline2\"");
        check_word("a\tb", "\"a\\tb\"");
        check_word("a\x01z", "\"a\\x01z\"");
        check_word("\x1f", "\"\\x1f\"");
        check_word("\x7f", "\"\\x7f\"");
        check_word("", "\"\"");
        check_word(";", "\";\"");
        check_word("a;b", "a;b");            /* only a lone ';' separates commands */
        check_word("path=\"/x y\",image_type=raw", "\"path=\\\"/x y\\\",image_type=raw\"");
        check_word("%$\"'\\ \n", "\"%%$$\\\"'\\\\ \\n\"");
}

static void test_exec_argv(void **state) {
        char *argv[] = { (char *) "/usr/bin/ch", (char *) "--cmdline", (char *) "console=ttyS0 root=/dev/vda1",
                         (char *) "", (char *) ";", (char *) "50%", NULL };
        StringBuffer b = {};
        unit_append_exec_argv(&b, argv);
        _cleanup_(freep) char *line = sb_steal(&b);
        assert_string_equal(line, "/usr/bin/ch --cmdline \"console=ttyS0 root=/dev/vda1\" \"\" \";\" 50%%");

        _cleanup_(strv_freep) char **back = decode_exec_line(line);
        assert_int_equal(strv_length(back), 6);
        for (size_t i = 0; i < 6; i++)
                assert_string_equal(back[i], argv[i]);

        /* The program's path gets no "$$": systemd does not expand variables there. */
        char *dollar[] = { (char *) "/opt/ch$1/ch", (char *) "$1", NULL };
        StringBuffer d = {};
        unit_append_exec_argv(&d, dollar);
        _cleanup_(freep) char *dline = sb_steal(&d);
        assert_string_equal(dline, "/opt/ch$1/ch $$1");

        /* An empty argv writes nothing. */
        StringBuffer e = {};
        unit_append_exec_argv(&e, NULL);
        _cleanup_(freep) char *empty = sb_steal(&e);
        assert_string_equal(empty, "");
}

/* Every printable and control ASCII character, in random words, survives the round trip. */
static void test_exec_word_roundtrip_random(void **state) {
        unsigned seed = 12345;
        for (int n = 0; n < 2000; n++) {
                char word[24];
                size_t len = (seed = seed * 1103515245 + 12345) % (sizeof word);
                for (size_t i = 0; i < len; i++) {
                        seed = seed * 1103515245 + 12345;
                        word[i] = (char) (1 + (seed >> 16) % 127);   /* 1..127 */
                }
                word[len] = 0;
                _cleanup_(freep) char *out = exec_word(word);
                _cleanup_(strv_freep) char **back = decode_exec_line(out);
                assert_int_equal(strv_length(back), 1);
                assert_memory_equal(back[0], word, len + 1);
        }
}

/* The same round trip through systemd's own word splitter, when its (private) shared library is
 * installed: extract_first_word() from libsystemd-shared, with the flags found by probing it (their
 * values change between systemd versions). Specifiers and $$ are resolved as above. */
typedef int (*ExtractFirstWord)(const char **p, char **ret, const char *separators, int flags);

static void *systemd_shared;
static ExtractFirstWord efw;
static int flag_unquote = -1, flag_cunescape = -1;

/* Finds extract_first_word() and its flag bits, or skips the test. */
static void load_systemd_splitter(void) {
        static const char *const libs[] = {
                "/usr/lib/x86_64-linux-gnu/systemd/libsystemd-shared-*.so",
                "/usr/lib/aarch64-linux-gnu/systemd/libsystemd-shared-*.so",
                "/usr/lib64/systemd/libsystemd-shared-*.so",
                "/usr/lib/systemd/libsystemd-shared-*.so",
                "/lib/systemd/libsystemd-shared-*.so",
        };
        if (efw)
                return;
        for (size_t i = 0; i < ELEMENTSOF(libs) && !systemd_shared; i++) {
                glob_t g;
                if (glob(libs[i], 0, NULL, &g) == 0 && g.gl_pathc > 0)
                        systemd_shared = dlopen(g.gl_pathv[0], RTLD_NOW | RTLD_LOCAL);
                globfree(&g);
        }
        if (!systemd_shared) {
                print_message("libsystemd-shared not found: skipping the check against systemd itself\n");
                skip();
        }
        ExtractFirstWord f = (ExtractFirstWord) dlsym(systemd_shared, "extract_first_word");
        if (!f)
                skip();

        /* Probe the flag bits: EXTRACT_UNQUOTE removes quotes, EXTRACT_CUNESCAPE decodes \x41. */
        for (int b = 0; b < 16; b++) {
                const char *p = "\"a b\"";
                char *w = NULL;
                if (flag_unquote < 0 && f(&p, &w, NULL, 1 << b) > 0 && streq(w, "a b"))
                        flag_unquote = b;
                free(w);
                w = NULL;
                p = "a\\x41";
                if (flag_cunescape < 0 && f(&p, &w, NULL, 1 << b) > 0 && streq(w, "aA"))
                        flag_cunescape = b;
                free(w);
        }
        if (flag_unquote < 0 || flag_cunescape < 0)
                skip();
        efw = f;
}

static void test_exec_word_systemd_roundtrip(void **state) {
        load_systemd_splitter();
        int flags = 1 << flag_unquote | 1 << flag_cunescape;

        unsigned seed = 4242;
        for (int n = 0; n < 20000; n++) {
                char word[24];
                size_t len = (seed = seed * 1103515245 + 12345) % (sizeof word);
                for (size_t i = 0; i < len; i++) {
                        seed = seed * 1103515245 + 12345;
                        word[i] = (char) (1 + (seed >> 16) % 127);
                }
                word[len] = 0;

                StringBuffer b = {};
                sb_append(&b, "/usr/bin/x ");
                unit_append_exec_word(&b, word);
                sb_append(&b, " tail");
                _cleanup_(freep) char *line = sb_steal(&b);
                assert_non_null(line);

                const char *p = line;
                char *w0 = NULL, *w1 = NULL, *w2 = NULL, *w3 = NULL;
                assert_true(efw(&p, &w0, NULL, flags) > 0);
                /* config_parse_exec() takes an unquoted lone ';' as a command separator */
                const char *q = p + strspn(p, " \t");
                assert_false(q[0] == ';' && (!q[1] || strchr(" \t\n\r", q[1])));
                if (efw(&p, &w1, NULL, flags) <= 0)
                        fail_msg("systemd cannot split [%s]", line);
                assert_true(efw(&p, &w2, NULL, flags) > 0);
                assert_int_equal(efw(&p, &w3, NULL, flags), 0);
                assert_string_equal(w0, "/usr/bin/x");
                assert_string_equal(w2, "tail");

                /* specifiers, then environment variables */
                StringBuffer out = {};
                for (const char *c = w1; *c; c++) {
                        if (*c == '%' || *c == '$') {
                                if (c[1] != *c)
                                        fail_msg("lone '%c' after systemd's split of [%s]", *c, line);
                                c++;
                        }
                        sb_append_char(&out, *c);
                }
                _cleanup_(freep) char *back = sb_steal(&out);
                if (!streq(back, word))
                        fail_msg("[%s] -> [%s] -> [%s]", word, line, back);
                free(w0);
                free(w1);
                free(w2);
                free(w3);
        }
}

/* ReadWritePaths= words: systemd unquotes them (backslash takes the next character as is, with or
 * without C unescaping, for the printable characters a path may hold) and resolves specifiers;
 * "$" stays. */
static void test_path_word_systemd_roundtrip(void **state) {
        load_systemd_splitter();
        unsigned seed = 777;
        for (int n = 0; n < 20000; n++) {
                char word[24] = "-/";
                size_t len = 2 + (seed = seed * 1103515245 + 12345) % (sizeof word - 3);
                for (size_t i = 2; i < len; i++) {
                        seed = seed * 1103515245 + 12345;
                        word[i] = (char) (' ' + (seed >> 16) % 95);   /* printable */
                }
                word[len] = 0;
                for (int with_cunescape = 0; with_cunescape < 2; with_cunescape++) {
                        StringBuffer b = {};
                        unit_append_path_word(&b, word);
                        sb_append(&b, " /tail");
                        _cleanup_(freep) char *line = sb_steal(&b);
                        assert_non_null(line);
                        const char *p = line;
                        char *w1 = NULL, *w2 = NULL;
                        int flags = 1 << flag_unquote | (with_cunescape ? 1 << flag_cunescape : 0);
                        if (efw(&p, &w1, NULL, flags) <= 0)
                                fail_msg("systemd cannot split [%s]", line);
                        assert_true(efw(&p, &w2, NULL, flags) > 0);
                        assert_string_equal(w2, "/tail");
                        StringBuffer out = {};
                        for (const char *c = w1; *c; c++) {
                                if (*c == '%') {
                                        if (c[1] != '%')
                                                fail_msg("lone '%%' after systemd's split of [%s]", line);
                                        c++;
                                }
                                sb_append_char(&out, *c);
                        }
                        _cleanup_(freep) char *back = sb_steal(&out);
                        if (!streq(back, word))
                                fail_msg("[%s] -> [%s] -> [%s]", word, line, back);
                        free(w1);
                        free(w2);
                }
        }
}

static void test_specifier_escaped(void **state) {
        StringBuffer b = {};
        unit_append_specifier_escaped(&b, "/etc/nestvirt.conf.d/50% \"x\" $y");
        _cleanup_(freep) char *s = sb_steal(&b);
        assert_string_equal(s, "/etc/nestvirt.conf.d/50%% \"x\" $y");
}

/* ---- ch_quote_value ---- */

static void check_ch(const char *in, const char *expected) {
        _cleanup_(freep) char *out = ch_quote_value(in);
        assert_non_null(out);
        if (!streq(out, expected))
                fail_msg("ch_quote_value(\"%s\") = [%s], expected [%s]", in, out, expected);
}

static void test_ch_quote_value(void **state) {
        check_ch("/var/lib/nestvirt/root.raw", "/var/lib/nestvirt/root.raw");
        check_ch("/a b/c%d.raw", "/a b/c%d.raw");                /* no CH syntax in it */
        check_ch("/a,b/root.raw", "\"/a,b/root.raw\"");
        check_ch("/x[0]/root.raw", "\"/x[0]/root.raw\"");
        check_ch("/x]", "\"/x]\"");
        check_ch("/say \"hi\".raw", "\"/say \"\"hi\"\".raw\"");
        check_ch("\"", "\"\"\"\"");
        check_ch("", "");
}

/* ---- vm_command_build: the whole Cloud Hypervisor command line of a planned VM ---- */

static void make_file(const char *root, const char *path, const void *data, size_t size) {
        _cleanup_(freep) char *full = strjoin(root, path);
        assert_non_null(full);
        /* mkdir -p */
        for (char *s = full + strlen(root) + 1; (s = strchr(s, '/')); s++) {
                *s = 0;
                if (mkdir(full, 0755) < 0)
                        assert_int_equal(errno, EEXIST);
                *s = '/';
        }
        int fd = open(full, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, size), (ssize_t) size);
        close(fd);
}

static void test_vm_command_build(void **state) {
        static const char conf[] =
                "[VM train0]\n"
                "CPUs=2\n"
                "Memory=4G\n"
                "Kernel=/var/lib/ch/vmlinux\n"
                "Cmdline=console=ttyS0 root=/dev/vda1 rw\n"
                "Disk=/var/lib/nestvirt/a,b c%d/root.raw\n"
                "Disk=/var/lib/nestvirt/seed.img,readonly\n"
                "Disk=/var/lib/nestvirt/disk.img\n"
                "Device=10de:2330\n"
                "ExtraArguments=--rng \"src=/dev/urandom\"\n";
        Config c;
        config_init(&c);
        assert_int_equal(config_parse_buffer(&c, "/etc/nestvirt.conf", conf, true), 0);
        config_finish(&c);
        assert_int_equal(diag_count(&c.diagnostics, DIAG_ERROR), 0);
        assert_int_equal(c.n_vms, 1);
        assert_int_equal(c.vms[0].n_disks, 3);
        assert_string_equal(c.vms[0].disks[0].path, "/var/lib/nestvirt/a,b c%d/root.raw");
        assert_false(c.vms[0].disks[0].readonly);
        assert_true(c.vms[0].disks[1].readonly);

        /* One node with CPUs 0-3, one GPU behind virtio-iommu. */
        Inventory inv = { .has_pci = true, .has_nodes = true, .gigantic_pages = true };
        inv.nodes = calloc(1, sizeof(NumaNode));
        assert_non_null(inv.nodes);
        inv.n_nodes = 1;
        inv.nodes[0] = (NumaNode) { .id = 0, .memory_kib = UINT64_C(64) << 20 };
        assert_int_equal(cpu_set_parse("0-3", &inv.nodes[0].cpus), 0);
        inv.devices = calloc(1, sizeof(PciDevice));
        assert_non_null(inv.devices);
        inv.n_devices = 1;
        inv.devices[0] = (PciDevice) { .vendor = 0x10de, .device = 0x2330, .class = 0x030200, .numa_node = 0,
                                       .iommu_group = 5 };
        assert_int_equal(pci_address_parse("0000:41:00.0", &inv.devices[0].address), 0);
        pci_address_format(inv.devices[0].address, inv.devices[0].name);
        inv.iommus = calloc(1, sizeof(Iommu));
        assert_non_null(inv.iommus);
        inv.n_iommus = 1;
        inv.iommus[0] = (Iommu) { .name = strdup("0000:00:02.0"), .driver = strdup("virtio_iommu") };

        Plan plan;
        assert_int_equal(plan_build(&c, &inv, &plan), 0);
        assert_int_equal(diag_count(&plan.diagnostics, DIAG_ERROR), 0);
        assert_true(plan.vms[0].valid);

        /* A root where disk.img is a qcow2 image (detected by its magic, not its name). */
        char root[] = "/tmp/nestvirt-test-escape-XXXXXX";
        assert_non_null(mkdtemp(root));
        make_file(root, "/var/lib/nestvirt/disk.img", "QFI\xfb\0\0\0\3", 8);

        _cleanup_(strv_freep) char **argv = NULL;
        assert_int_equal(vm_command_build(&plan, 0, root, &argv), 0);

        static const char *const expected[] = {
                "/usr/local/bin/cloud-hypervisor",
                "--api-socket", "path=/run/nestvirt/train0/api.sock",
                "--cpus", "boot=2,affinity=[0@[0-3],1@[0-3]]",
                "--memory", "size=0",
                "--memory-zone", "id=mem0,size=4G,hugepages=on,hugepage_size=1G,host_numa_node=0",
                "--kernel", "/var/lib/ch/vmlinux",
                "--cmdline", "console=ttyS0 root=/dev/vda1 rw",
                "--disk", "path=\"/var/lib/nestvirt/a,b c%d/root.raw\",image_type=raw",
                "--disk", "path=/var/lib/nestvirt/seed.img,image_type=raw,readonly=on",
                "--disk", "path=/var/lib/nestvirt/disk.img,image_type=qcow2",
                "--device", "path=/sys/bus/pci/devices/0000:41:00.0,id=gpu0",
                "--serial", "tty",
                "--console", "off",
                "--rng", "src=/dev/urandom",
        };
        if (strv_length(argv) != ELEMENTSOF(expected))
                for (size_t i = 0; argv[i]; i++)
                        print_message("argv[%zu] = [%s]\n", i, argv[i]);
        assert_int_equal(strv_length(argv), ELEMENTSOF(expected));
        for (size_t i = 0; i < ELEMENTSOF(expected); i++)
                assert_string_equal(argv[i], expected[i]);

        /* Through the unit file: the disk word is quoted for systemd, its '%' doubled, and systemd's
         * reading of the whole line gives back the argv exactly. */
        StringBuffer b = {};
        unit_append_exec_argv(&b, argv);
        _cleanup_(freep) char *line = sb_steal(&b);
        assert_non_null(line);
        assert_non_null(strstr(line, " --disk \"path=\\\"/var/lib/nestvirt/a,b c%%d/root.raw\\\",image_type=raw\" "));
        _cleanup_(strv_freep) char **back = decode_exec_line(line);
        assert_int_equal(strv_length(back), strv_length(argv));
        for (size_t i = 0; argv[i]; i++)
                assert_string_equal(back[i], argv[i]);

        _cleanup_(freep) char *img = strjoin(root, "/var/lib/nestvirt/disk.img");
        _cleanup_(freep) char *d1 = strjoin(root, "/var/lib/nestvirt");
        _cleanup_(freep) char *d2 = strjoin(root, "/var/lib");
        _cleanup_(freep) char *d3 = strjoin(root, "/var");
        assert_int_equal(unlink(img), 0);
        assert_int_equal(rmdir(d1), 0);
        assert_int_equal(rmdir(d2), 0);
        assert_int_equal(rmdir(d3), 0);
        assert_int_equal(rmdir(root), 0);

        plan_done(&plan);
        inventory_done(&inv);
        config_done(&c);
}

/* Serial and network options, and a VM without affinity or devices. */
static void test_vm_command_options(void **state) {
        static const char conf[] =
                "[VM web-1]\n"
                "Memory=2G\n"
                "Firmware=/usr/share/cloud-hypervisor/hypervisor-fw\n"
                "CPUAffinity=none\n"
                "Serial=file\n"
                "Network=tap\n"
                "MAC=52:54:00:aa:bb:cc\n"
                "HostAddress=192.168.249.1/24\n";
        Config c;
        config_init(&c);
        assert_int_equal(config_parse_buffer(&c, "/etc/nestvirt.conf", conf, true), 0);
        config_finish(&c);
        assert_int_equal(diag_count(&c.diagnostics, DIAG_ERROR), 0);

        Inventory inv = {};
        Plan plan;
        assert_int_equal(plan_build(&c, &inv, &plan), 0);
        assert_true(plan.vms[0].valid);

        _cleanup_(strv_freep) char **argv = NULL;
        assert_int_equal(vm_command_build(&plan, 0, "/nonexistent", &argv), 0);
        assert_true(strv_contains(argv, "boot=1"));   /* CPUs= defaults to 1, no affinity */
        assert_true(strv_contains(argv, "id=mem0,size=2G,hugepages=on,hugepage_size=1G"));
        assert_true(strv_contains(argv, "--firmware"));
        assert_true(strv_contains(argv, "/usr/share/cloud-hypervisor/hypervisor-fw"));
        assert_false(strv_contains(argv, "--kernel"));
        assert_false(strv_contains(argv, "--device"));
        assert_true(strv_contains(argv, "file=/var/log/nestvirt/web-1.serial.log"));
        assert_true(strv_contains(argv, "tap=nv-web-1,mac=52:54:00:aa:bb:cc,ip=192.168.249.1,mask=255.255.255.0"));

        plan_done(&plan);
        config_done(&c);
}

/* A kernel command line starting with '-' must not look like the next option to Cloud Hypervisor. */
static void test_vm_command_dash_cmdline(void **state) {
        static const char conf[] =
                "[VM dash]\n"
                "Memory=1G\n"
                "Kernel=/vmlinux\n"
                "Cmdline=-v console=ttyS0\n";
        Config c;
        config_init(&c);
        assert_int_equal(config_parse_buffer(&c, "/etc/nestvirt.conf", conf, true), 0);
        config_finish(&c);
        Inventory inv = {};
        Plan plan;
        assert_int_equal(plan_build(&c, &inv, &plan), 0);
        _cleanup_(strv_freep) char **argv = NULL;
        assert_int_equal(vm_command_build(&plan, 0, "/nonexistent", &argv), 0);
        assert_true(strv_contains(argv, "--cmdline=-v console=ttyS0"));
        assert_false(strv_contains(argv, "--cmdline"));
        plan_done(&plan);
        config_done(&c);
}

static void test_tap_and_mac(void **state) {
        VmConfig vm = { .name = (char *) "train0" };
        _cleanup_(freep) char *t1 = vm_tap_name(&vm);
        assert_string_equal(t1, "nv-train0");

        VmConfig longer = { .name = (char *) "a-very-long-vm-name-0123456789" };
        _cleanup_(freep) char *t2 = vm_tap_name(&longer);
        assert_non_null(t2);
        assert_true(strlen(t2) <= TAP_NAME_MAX);
        assert_true(tap_name_is_valid(t2));
        VmConfig longer2 = { .name = (char *) "a-very-long-vm-name-0123456788" };
        _cleanup_(freep) char *t3 = vm_tap_name(&longer2);
        assert_string_not_equal(t2, t3);   /* same 7-character prefix, different names */

        char m1[18], m2[18], m3[18];
        vm_mac_address(&vm, "/nonexistent", m1);
        vm_mac_address(&vm, "/nonexistent", m2);
        vm_mac_address(&longer, "/nonexistent", m3);
        assert_string_equal(m1, m2);      /* stable */
        assert_string_not_equal(m1, m3);
        const char *reason;
        assert_int_equal(parse_mac(m1, &reason), 0);   /* unicast, not all-zero */
        assert_int_equal(unhex(m1[1]) & 0x3, 0x2);      /* locally administered unicast */
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_exec_word),
                cmocka_unit_test(test_exec_argv),
                cmocka_unit_test(test_exec_word_roundtrip_random),
                cmocka_unit_test(test_exec_word_systemd_roundtrip),
                cmocka_unit_test(test_path_word_systemd_roundtrip),
                cmocka_unit_test(test_specifier_escaped),
                cmocka_unit_test(test_ch_quote_value),
                cmocka_unit_test(test_vm_command_build),
                cmocka_unit_test(test_vm_command_options),
                cmocka_unit_test(test_vm_command_dash_cmdline),
                cmocka_unit_test(test_tap_and_mac),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
