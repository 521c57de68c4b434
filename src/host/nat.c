/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <nftables/libnftables.h>
#include <stdio.h>

#include "log.h"
#include "nat.h"
#include "net-plan.h"
#include "sysfs-write.h"
#include "util.h"

#define IP_FORWARD "/proc/sys/net/ipv4/ip_forward"
#define ROUTES "/proc/net/route"

static void nft_ctx_freep(struct nft_ctx **ctx) {
        if (*ctx)
                nft_ctx_free(*ctx);
}

/* Runs COMMANDS as one transaction: all or nothing. *ret_output, when asked, is a copy. */
static int nft_run(const char *commands, char **ret_output) {
        _cleanup_(nft_ctx_freep) struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
        if (!ctx)
                return log_oom();
        if (nft_ctx_buffer_output(ctx) < 0 || nft_ctx_buffer_error(ctx) < 0)
                return log_oom();
        if (nft_run_cmd_from_buffer(ctx, commands) != 0) {
                const char *error = nft_ctx_get_error_buffer(ctx);
                return log_error_errno(EIO, "nftables refused \"%s\": %s", commands,
                                       error && *error ? error : "no reason given (is the nf_tables module available?)");
        }
        if (ret_output) {
                *ret_output = strdup(strempty(nft_ctx_get_output_buffer(ctx)));
                if (!*ret_output)
                        return log_oom();
        }
        return 0;
}

/* A subnet another interface already routes would take the guest's replies, or lose them. */
static int check_routes(const NatLink *l) {
        _cleanup_(fclosep) FILE *f = fopen(ROUTES, "re");
        if (!f)
                return log_warning_errno(errno, "Cannot read %s to check the subnet of VM %s: %m", ROUTES, l->vm), 0;

        char line[256], iface[32];
        unsigned dest, gateway, flags, refcnt, use, metric, mask;
        (void) fgets(line, sizeof line, f);   /* the header */
        while (fgets(line, sizeof line, f)) {
                if (sscanf(line, "%31s %x %x %x %u %u %u %x", iface, &dest, &gateway, &flags, &refcnt, &use, &metric,
                           &mask) != 8)
                        continue;
                /* Printed in network byte order: the bytes as they are in memory. */
                uint32_t d = ntohl(dest), m = ntohl(mask);
                unsigned prefix = (unsigned) __builtin_popcount(m);
                if (prefix == 0 || streq(iface, l->tap) || !net_subnets_overlap(d, prefix, l->host, l->prefix))
                        continue;
                char route[16], ours[16];
                net_format_ipv4(d, route);
                net_format_ipv4(l->host & prefix_to_mask(l->prefix), ours);
                return log_error_errno(EADDRINUSE,
                                       "The subnet %s/%u of VM %s overlaps the route %s/%u on %s: set HostAddress= in "
                                       "[VM %s] to a subnet this host does not use", ours, l->prefix, l->vm, route,
                                       prefix, iface, l->vm);
        }
        return 0;
}

static int enable_forwarding(void) {
        char value[8] = "";
        (void) sysfs_read(IP_FORWARD, value, sizeof value);
        if (streq(value, "1"))
                return 0;
        int r = sysfs_write(IP_FORWARD, "1");
        if (r < 0)
                return log_error_errno(r, "Cannot turn on IPv4 forwarding (%s): %m", IP_FORWARD);
        log_info("Turned on IPv4 forwarding (net.ipv4.ip_forward=1) for Network=nat.");
        return 0;
}

/* Our chain, declared so that adding it again, flushing or deleting it never fails. */
static char *chain_commands(const char *vm, const char *then) {
        char *s;
        return asprintf_safe(&s,
                             "add table ip " NAT_TABLE "\n"
                             "add chain ip " NAT_TABLE " vm-%s { type nat hook postrouting priority srcnat; policy accept; }\n"
                             "flush chain ip " NAT_TABLE " vm-%s\n%s",
                             vm, vm, then) < 0 ? NULL : s;
}

/* In text output a base chain reads "chain NAME {" then "type filter hook forward ... policy drop;". */
static void warn_forward_drop(const NatLink *l) {
        _cleanup_(freep) char *out = NULL;
        if (nft_run("list chains", &out) < 0)
                return;
        char table[128] = "", chain[128] = "";
        char *save = NULL;
        for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                line = strstrip(line);
                if (sscanf(line, "table %127[^{ ]", table) == 1 || sscanf(line, "chain %127[^{ ]", chain) == 1)
                        continue;
                bool ipv4 = startswith(table, "ip ") || startswith(table, "inet ");
                if (!ipv4 || !strstr(line, "hook forward") || !strstr(line, "policy drop"))
                        continue;
                log_warning("Chain %s of table %s drops forwarded packets by default: VM %s reaches nothing until it "
                            "accepts them, e.g. 'nft insert rule %s %s iifname %s accept' and 'nft insert rule %s %s "
                            "oifname %s ct state established,related accept' (nestvirt changes no table but its own).",
                            chain, table, l->vm, table, chain, l->tap, table, chain, l->tap);
        }
}

int nat_up(const NatLink *l) {
        int r = check_routes(l);
        if (r < 0)
                return r;
        r = enable_forwarding();
        if (r < 0)
                return r;

        char subnet[16];
        net_format_ipv4(l->host & prefix_to_mask(l->prefix), subnet);
        _cleanup_(freep) char *rule = NULL, *commands = NULL;
        /* Leaving by any interface but its own tap: guest to guest stays unmasqueraded. */
        if (asprintf_safe(&rule,
                          "add rule ip " NAT_TABLE " vm-%s ip saddr %s/%u oifname != \"%s\" masquerade comment \"nestvirt VM %s\"\n",
                          l->vm, subnet, l->prefix, l->tap, l->vm) < 0 ||
            !(commands = chain_commands(l->vm, rule)))
                return log_oom();
        r = nft_run(commands, NULL);
        if (r < 0)
                return r;
        log_info("VM %s: %s/%u is masqueraded when it leaves by any interface but %s (nft list table ip " NAT_TABLE ").",
                 l->vm, subnet, l->prefix, l->tap);
        warn_forward_drop(l);
        return 0;
}

int nat_down(const char *vm) {
        _cleanup_(freep) char *then = NULL, *commands = NULL;
        if (asprintf_safe(&then, "delete chain ip " NAT_TABLE " vm-%s\n", vm) < 0 || !(commands = chain_commands(vm, then)))
                return log_oom();
        /* The table stays, even empty: deleting it could race with another VM's net-up. */
        int r = nft_run(commands, NULL);
        if (r < 0)
                return r;
        log_info("VM %s: its masquerade rule is gone.", vm);
        return 0;
}
