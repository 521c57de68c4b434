/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Escaping of values written into unit files and into Cloud Hypervisor option lists
 * (DESIGN.md "Behaviour that must hold": "values escaped for unit files (%, $, quotes, spaces,
 * newlines)"). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <glob.h>

#include "decode-exec-line.h"
#include "unit-escape.h"
#include "util.h"

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

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_exec_word),
                cmocka_unit_test(test_exec_argv),
                cmocka_unit_test(test_exec_word_roundtrip_random),
                cmocka_unit_test(test_exec_word_systemd_roundtrip),
                cmocka_unit_test(test_path_word_systemd_roundtrip),
                cmocka_unit_test(test_specifier_escaped),
                cmocka_unit_test(test_ch_quote_value),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
