/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <inttypes.h>

#include "parse-values.h"
#include "util.h"

static __thread char reason_buf[256];

int parse_memory_gib(const char *s, uint64_t *ret, const char **reason) {
        const char *p = s;
        while (isdigit((unsigned char) *p))
                p++;
        size_t digits = p - s;
        if (digits == 0) {
                *reason = "not a size; write a whole number of GiB such as 16G";
                return -EINVAL;
        }
        _cleanup_(freep) char *num = strndup(s, digits);
        if (!num)
                return -ENOMEM;
        uint64_t v;
        if (safe_atou64(num, &v) < 0) {
                *reason = "number too large";
                return -ERANGE;
        }

        unsigned shift;
        if (streq(p, "K"))
                shift = 10;
        else if (streq(p, "M"))
                shift = 20;
        else if (streq(p, "G"))
                shift = 30;
        else if (streq(p, "T"))
                shift = 40;
        else {
                if (*p == 0)
                        snprintf(reason_buf, sizeof reason_buf,
                                 "a size needs a unit (K, M, G or T); did you mean %sG?", num);
                else if (strchr("kmgtKMGT", p[0]))
                        snprintf(reason_buf, sizeof reason_buf,
                                 "sizes take the units K, M, G, T (uppercase, no B or iB); write %s%c",
                                 num, toupper((unsigned char) p[0]));
                else
                        snprintf(reason_buf, sizeof reason_buf,
                                 "unknown unit '%s'; sizes take K, M, G or T, e.g. 16G", p);
                *reason = reason_buf;
                return -EINVAL;
        }

        if (v > (UINT64_MAX >> shift)) {
                *reason = "size too large";
                return -ERANGE;
        }
        uint64_t bytes = v << shift;
        if (bytes == 0) {
                *reason = "a VM needs memory; give at least 1G";
                return -EINVAL;
        }
        if (bytes % (UINT64_C(1) << 30) != 0) {
                uint64_t lo = bytes >> 30;
                if (lo == 0)
                        snprintf(reason_buf, sizeof reason_buf,
                                 "not a whole number of GiB; VMs are backed by 1 GiB pages: write 1G");
                else
                        snprintf(reason_buf, sizeof reason_buf,
                                 "not a whole number of GiB; VMs are backed by 1 GiB pages: write %" PRIu64
                                 "G or %" PRIu64 "G", lo, lo + 1);
                *reason = reason_buf;
                return -EINVAL;
        }
        if ((bytes >> 30) > MEMORY_GIB_MAX) {
                snprintf(reason_buf, sizeof reason_buf, "more than %" PRIu64 "G (1 PiB), more than any host has",
                         MEMORY_GIB_MAX);
                *reason = reason_buf;
                return -ERANGE;
        }
        *ret = bytes >> 30;
        return 0;
}

static int cmp_node_count(const void *a, const void *b) {
        const NodeCount *x = a, *y = b;
        return x->node < y->node ? -1 : x->node > y->node;
}

int parse_hugepages(const char *s, HostConfig *h, const char **reason) {
        if (streq(s, "auto")) {
                h->hugepages_mode = HUGEPAGES_AUTO;
                return 0;
        }
        uint64_t total;
        if (safe_atou64(s, &total) >= 0) {
                if (total > PAGES_MAX) {
                        snprintf(reason_buf, sizeof reason_buf,
                                 "more than %" PRIu64 " pages (1 PiB), more than any host has", PAGES_MAX);
                        *reason = reason_buf;
                        return -EINVAL;
                }
                h->hugepages_mode = HUGEPAGES_TOTAL;
                h->hugepages_total = total;
                return 0;
        }

        _cleanup_(freep) NodeCount *nodes = NULL;
        size_t n = 0;
        _cleanup_(freep) char *copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        char *save = NULL;
        for (char *item = strtok_r(copy, ", ", &save); item; item = strtok_r(NULL, ", ", &save)) {
                char *colon = strchr(item, ':');
                unsigned node;
                uint64_t count;
                if (!colon) {
                        *reason = "write auto, a total count (8), or NODE:COUNT pairs (0:4,1:4)";
                        return -EINVAL;
                }
                *colon = 0;
                if (safe_atou(item, &node) < 0 || safe_atou64(colon + 1, &count) < 0) {
                        *reason = "NODE:COUNT needs two numbers, e.g. 0:4,1:4";
                        return -EINVAL;
                }
                if (node >= NODE_MAX || count > PAGES_MAX) {
                        snprintf(reason_buf, sizeof reason_buf,
                                 "%s %s: nodes are numbered below %u, and a node holds at most %" PRIu64
                                 " pages (1 PiB)", node >= NODE_MAX ? "node" : "count", node >= NODE_MAX ? item : colon + 1,
                                 NODE_MAX, PAGES_MAX);
                        *reason = reason_buf;
                        return -EINVAL;
                }
                for (size_t i = 0; i < n; i++)
                        if (nodes[i].node == node) {
                                snprintf(reason_buf, sizeof reason_buf,
                                         "node %u is given twice; give each node once", node);
                                *reason = reason_buf;
                                return -EINVAL;
                        }
                NodeCount *x = ARRAY_APPEND(nodes, n);
                if (!x)
                        return -ENOMEM;
                *x = (NodeCount) { node, count };
        }
        if (n == 0) {
                *reason = "write auto, a total count (8), or NODE:COUNT pairs (0:4,1:4)";
                return -EINVAL;
        }
        qsort(nodes, n, sizeof(NodeCount), cmp_node_count);
        free(h->hugepages_nodes);
        h->hugepages_nodes = TAKE_PTR(nodes);
        h->n_hugepages_nodes = n;
        h->hugepages_mode = HUGEPAGES_PER_NODE;
        return 0;
}

int parse_mac(const char *s, const char **reason) {
        unsigned b[6];
        char tail;
        if (strlen(s) != 17 ||
            sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6) {
                *reason = "not a MAC address; write six hex pairs, e.g. 52:54:00:12:34:56";
                return -EINVAL;
        }
        for (const char *p = s; *p; p++)
                if (!isxdigit((unsigned char) *p) && *p != ':') {
                        *reason = "not a MAC address; write six hex pairs, e.g. 52:54:00:12:34:56";
                        return -EINVAL;
                }
        if (b[0] & 1) {
                *reason = "a multicast MAC cannot be a NIC's address; clear the lowest bit of the first byte "
                          "(locally administered unicast: x2, x6, xA or xE)";
                return -EINVAL;
        }
        if (!(b[0] | b[1] | b[2] | b[3] | b[4] | b[5])) {
                *reason = "the all-zero MAC is not valid; leave MAC= empty for a stable generated one";
                return -EINVAL;
        }
        return 0;
}

int parse_cidr(const char *s, const char **reason) {
        char buf[INET6_ADDRSTRLEN + 8];
        unsigned char addr[16];
        if (strlen(s) >= sizeof buf) {
                *reason = "too long for an address; write ADDRESS/PREFIX, e.g. 192.168.249.1/24";
                return -EINVAL;
        }
        strcpy(buf, s);
        char *slash = strchr(buf, '/');
        if (!slash) {
                *reason = "missing /PREFIX; write ADDRESS/PREFIX, e.g. 192.168.249.1/24";
                return -EINVAL;
        }
        *slash = 0;
        unsigned prefix, max;
        if (inet_pton(AF_INET, buf, addr) == 1)
                max = 32;
        else if (inet_pton(AF_INET6, buf, addr) == 1) {
                *reason = "Cloud Hypervisor sets only an IPv4 address on the tap; give IPv4/PREFIX and "
                          "configure IPv6 on the tap with systemd-networkd";
                return -EINVAL;
        } else {
                *reason = "not an IPv4 or IPv6 address; write ADDRESS/PREFIX, e.g. 192.168.249.1/24";
                return -EINVAL;
        }
        if (safe_atou(slash + 1, &prefix) < 0 || prefix == 0 || prefix > max - (max == 32 ? 2 : 1)) {
                snprintf(reason_buf, sizeof reason_buf,
                         "prefix length must be 1-%u so the VM has room on the link, e.g. /24", max == 32 ? 30 : 127);
                *reason = reason_buf;
                return -EINVAL;
        }
        return 0;
}

bool tap_name_is_valid(const char *s) {
        size_t l = strlen(s);
        if (l == 0 || l > TAP_NAME_MAX || streq(s, ".") || streq(s, ".."))
                return false;
        for (const char *p = s; *p; p++)
                if (!isalnum((unsigned char) *p) && !strchr("-_.", *p))
                        return false;
        return true;
}

int parse_tristate(const char *s, Tristate *ret) {
        if (streq(s, "auto")) {
                *ret = TRISTATE_AUTO;
                return 0;
        }
        int b = parse_boolean(s);
        if (b < 0)
                return b;
        *ret = b ? TRISTATE_YES : TRISTATE_NO;
        return 0;
}

int split_arguments(const char *s, char ***ret, const char **reason) {
        _cleanup_(strv_freep) char **l = NULL;
        const char *p = s;

        for (;;) {
                while (isspace((unsigned char) *p))
                        p++;
                if (!*p)
                        break;
                StringBuffer w = {};
                char quote = 0;
                for (; *p; p++) {
                        if (quote) {
                                if (*p == quote)
                                        quote = 0;
                                else if (*p == '\\' && quote == '"' && p[1])
                                        sb_append_char(&w, *++p);
                                else
                                        sb_append_char(&w, *p);
                        } else if (isspace((unsigned char) *p))
                                break;
                        else if (*p == '"' || *p == '\'') {
                                quote = *p;
                                if (w.length == 0 && !w.data)
                                        sb_append(&w, "");
                        } else if (*p == '\\' && p[1])
                                sb_append_char(&w, *++p);
                        else
                                sb_append_char(&w, *p);
                }
                if (quote) {
                        sb_done(&w);
                        *reason = "unbalanced quote; close every \" and '";
                        return -EINVAL;
                }
                char *word = sb_steal(&w);
                if (!word || strv_push(&l, word) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        if (!*ret) {
                *ret = calloc(1, sizeof(char *));
                if (!*ret)
                        return -ENOMEM;
        }
        return 0;
}

/* Cloud Hypervisor takes the host side of a tap as ip= and mask= (IPv4 only). */
int cidr_to_ip_mask(const char *cidr, char ip[static 64], char mask[static 64]) {
        struct in_addr a, m;
        unsigned prefix;
        const char *slash = strchr(cidr, '/');
        if (!slash || (size_t) (slash - cidr) >= 64)
                return -EINVAL;
        snprintf(ip, 64, "%.*s", (int) (slash - cidr), cidr);
        if (inet_pton(AF_INET, ip, &a) != 1 || safe_atou(slash + 1, &prefix) < 0 || prefix > 32)
                return -EAFNOSUPPORT;
        m.s_addr = htonl(prefix == 0 ? 0 : UINT32_MAX << (32 - prefix));
        if (!inet_ntop(AF_INET, &m, mask, 64))
                return -EINVAL;
        return 0;
}
