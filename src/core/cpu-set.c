/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>

#include "cpu-set.h"
#include "util.h"

void cpu_set_done(CpuSet *s) {
        free(s->bits);
        *s = (CpuSet) {};
}

int cpu_set_add(CpuSet *s, unsigned cpu) {
        if (cpu >= CPU_SET_MAX)
                return -ERANGE;
        unsigned w = cpu / 64;
        if (w >= s->n_words) {
                uint64_t *n = realloc(s->bits, sizeof(uint64_t) * (w + 1));
                if (!n)
                        return -ENOMEM;
                memset(n + s->n_words, 0, sizeof(uint64_t) * (w + 1 - s->n_words));
                s->bits = n;
                s->n_words = w + 1;
        }
        s->bits[w] |= UINT64_C(1) << (cpu % 64);
        return 0;
}

bool cpu_set_has(const CpuSet *s, unsigned cpu) {
        return cpu / 64 < s->n_words && (s->bits[cpu / 64] >> (cpu % 64)) & 1;
}

unsigned cpu_set_count(const CpuSet *s) {
        unsigned n = 0;
        for (unsigned i = 0; i < s->n_words; i++)
                n += __builtin_popcountll(s->bits[i]);
        return n;
}

int cpu_set_copy(CpuSet *dst, const CpuSet *src) {
        *dst = (CpuSet) {};
        if (src->n_words == 0)
                return 0;
        dst->bits = malloc(sizeof(uint64_t) * src->n_words);
        if (!dst->bits)
                return -ENOMEM;
        memcpy(dst->bits, src->bits, sizeof(uint64_t) * src->n_words);
        dst->n_words = src->n_words;
        return 0;
}

int cpu_set_parse(const char *s, CpuSet *ret) {
        _cleanup_(cpu_set_done) CpuSet set = {};
        const char *p = s;

        for (;;) {
                while (*p == ',' || isspace((unsigned char) *p))
                        p++;
                if (!*p)
                        break;
                char *end;
                if (!isdigit((unsigned char) *p))
                        return -EINVAL;
                unsigned long a = strtoul(p, &end, 10), b = a;
                p = end;
                if (*p == '-') {
                        p++;
                        if (!isdigit((unsigned char) *p))
                                return -EINVAL;
                        b = strtoul(p, &end, 10);
                        p = end;
                }
                if (*p && *p != ',' && !isspace((unsigned char) *p))
                        return -EINVAL;
                if (b < a || b >= CPU_SET_MAX)
                        return -ERANGE;
                for (unsigned long c = a; c <= b; c++) {
                        int r = cpu_set_add(&set, (unsigned) c);
                        if (r < 0)
                                return r;
                }
        }
        *ret = set;
        set = (CpuSet) {};
        return 0;
}

char *cpu_set_format(const CpuSet *s) {
        StringBuffer b = {};
        unsigned max = s->n_words * 64;
        bool first = true;

        for (unsigned c = 0; c < max; c++) {
                if (!cpu_set_has(s, c))
                        continue;
                unsigned e = c;
                while (e + 1 < max && cpu_set_has(s, e + 1))
                        e++;
                if (!first)
                        sb_append_char(&b, ',');
                first = false;
                if (e == c)
                        sb_appendf(&b, "%u", c);
                else
                        sb_appendf(&b, "%u-%u", c, e);
                c = e;
        }
        return sb_steal(&b);
}
