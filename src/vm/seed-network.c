/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>

#include "net-plan.h"
#include "seed-network.h"
#include "util.h"

#define RESOLV_CONF "/etc/resolv.conf"
#define RESOLVED_UPSTREAM "/run/systemd/resolve/resolv.conf"

char *seed_network_config(const char *vm, const VmNetwork *net, const char *mac, char *const *nameservers) {
        char host[16], guest[16];
        StringBuffer b = {};

        net_format_ipv4(net->host, host);
        net_format_ipv4(net->guest, guest);
        sb_appendf(&b, "# Written by nestvirt for [VM %s] Network=nat; a network-config in CloudInit= replaces it.\n"
                       "version: 2\n"
                       "ethernets:\n"
                       "  nat0:\n"
                       "    match:\n"
                       "      macaddress: \"%s\"\n"
                       "    addresses:\n"
                       "      - %s/%u\n"
                       /* 0.0.0.0/0 rather than "default": every cloud-init renderer reads it. */
                       "    routes:\n"
                       "      - to: 0.0.0.0/0\n"
                       "        via: %s\n",
                   vm, mac, guest, net->prefix, host);
        if (nameservers && nameservers[0]) {
                sb_append(&b, "    nameservers:\n      addresses:\n");
                for (size_t i = 0; nameservers[i]; i++)
                        sb_appendf(&b, "        - %s\n", nameservers[i]);
        }
        return sb_steal(&b);
}

/* An IPv4 server the guest can reach through the masquerade: not loopback, not IPv6 (the
 * guest has only IPv4). */
static bool reachable_nameserver(const char *s) {
        struct in_addr a;
        return inet_pton(AF_INET, s, &a) == 1 && (ntohl(a.s_addr) >> 24) != 127 && a.s_addr != 0;
}

static int read_nameservers(const char *root, const char *file, char ***list) {
        _cleanup_(freep) char *path = path_under_root(root, file), *data = NULL;
        if (!path)
                return -ENOMEM;
        if (read_full_file(path, &data, NULL) < 0)
                return 0;   /* no such file: no servers from it */
        char *save = NULL;
        for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char server[64];
                if (sscanf(line, " nameserver %63s", server) != 1 || !reachable_nameserver(server) ||
                    strv_contains(*list, server))
                        continue;
                if (strv_extend(list, server) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int host_nameservers(const char *root, char ***ret) {
        _cleanup_(strv_freep) char **list = NULL;
        int r = read_nameservers(root, RESOLV_CONF, &list);
        if (r >= 0 && !list)
                r = read_nameservers(root, RESOLVED_UPSTREAM, &list);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(list);
        return 0;
}
