/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The scan for a top-level string member (VmInfo's "state") on any reply body. Input: the key
 * on the first line, the JSON after it. Besides not crashing: a value found is a C string that
 * fits the buffer, a larger buffer finds the same value, and a value too long for a small
 * buffer is reported as such, never cut short. Then the member's value is read as every type
 * and walked as an array, and the whole body summarised as 'vm info' does (vm-info.c): only
 * the documented errors come back. */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "json-scan.h"
#include "util.h"
#include "vm-info.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool known(int r) {
        return r == 0 || r == -ENOENT || r == -EMEDIUMTYPE || r == -ENOBUFS || r == -EBADMSG || r == -ERANGE;
}

/* The value of KEY, read as each type and walked as an array. */
static void read_member(const char *json, const char *key) {
        const char *v, *e;
        char buf[16];
        uint64_t u;
        bool b;

        int r = json_object_member(json, key, &v);
        if (!known(r))
                abort();
        if (r < 0)
                return;
        if (!known(json_value_string(v, buf, sizeof buf)) || !known(json_value_uint(v, &u)) ||
            !known(json_value_bool(v, &b)))
                abort();
        for (size_t i = 0; i < 64; i++) {
                r = json_array_element(v, i, &e);
                if (!known(r))
                        abort();
                if (r < 0)
                        break;
                (void) json_object_member(e, key, &e);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char small[8], large[512];

        if (size > 16384)
                return 0;
        _cleanup_(freep) char *s = fuzz_string(data, size);
        if (!s)
                return 0;
        char *json = strchr(s, '\n');
        if (!json)
                return 0;
        *json++ = 0;
        const char *key = s;

        memset(large, 'x', sizeof large);
        int r = json_top_level_string(json, key, large, sizeof large);
        if (r != 0 && r != -ENOENT && r != -EMEDIUMTYPE && r != -ENOBUFS && r != -EBADMSG)
                abort();
        if (r == 0 && strnlen(large, sizeof large) == sizeof large)
                abort();

        memset(small, 'x', sizeof small);
        int r_small = json_top_level_string(json, key, small, sizeof small);
        if (r == 0 && strlen(large) < sizeof small && (r_small != 0 || strcmp(small, large) != 0))
                abort();
        if (r == 0 && strlen(large) >= sizeof small && r_small != -ENOBUFS)
                abort();
        if (r_small == 0 && (r != 0 || strcmp(small, large) != 0))
                abort();

        read_member(json, key);
        VmInfo info;
        r = vm_info_parse(json, &info);
        if (r == 0)
                vm_info_done(&info);
        else if (r != -EBADMSG && r != -ENOMEM)
                abort();
        return 0;
}
