/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The config parser on arbitrary bytes: nestvirt.conf is written by people and baked into
 * images; a typo must give a diagnostic, never a crash. Beyond crashes, one property: a
 * comment line appended to a file changes nothing, neither a setting nor a diagnostic.
 * Then the input is read once more as a drop-in, so sections merge across files. */

#include <inttypes.h>
#include <stdint.h>

#include "config.h"
#include "fuzz-util.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void describe_setting(StringBuffer *b, const char *key, const Setting *s) {
        if (s->value)
                sb_appendf(b, " %s=%s@%u", key, s->value, s->where.line);
}

static void describe_matches(StringBuffer *b, const char *key, const DeviceMatch *m, size_t n) {
        for (size_t i = 0; i < n; i++) {
                char buf[64];
                device_match_format(&m[i], buf, sizeof buf);
                sb_appendf(b, " %s=%s@%u", key, buf, m[i].where.line);
        }
}

/* Everything the parser decided, as text: two configs are the same when these are. */
static char *describe(const Config *c) {
        StringBuffer b = {};
        const HostConfig *h = &c->host;

        sb_appendf(&b, "host %d %" PRIu64 " %" PRIu64 " %d", h->hugepages_mode, h->hugepages_total,
                   h->hugepages_extra, h->unsafe_interrupts);
        for (size_t i = 0; i < h->n_hugepages_nodes; i++)
                sb_appendf(&b, " %u:%" PRIu64, h->hugepages_nodes[i].node, h->hugepages_nodes[i].count);
        describe_matches(&b, "Passthrough", h->passthrough, h->n_passthrough);
        describe_setting(&b, "Hypervisor", &h->hypervisor);

        for (size_t i = 0; i < c->n_vms; i++) {
                const VmConfig *vm = &c->vms[i];
                sb_appendf(&b, "\nvm %s@%u invalid=%d cpus=%u mem=%" PRIu64 " node=%d affinity=%d", vm->name,
                           vm->where.line, vm->invalid, vm->cpus, vm->memory_gib, vm->numa_node, vm->affinity_mode);
                char *cpus = cpu_set_format(&vm->affinity);
                sb_appendf(&b, " [%s] net=%d serial=%d autostart=%d restart=%d", strempty(cpus), vm->network,
                           vm->serial, vm->autostart, vm->restart);
                free(cpus);
                describe_matches(&b, "Device", vm->devices, vm->n_devices);
                describe_setting(&b, "Kernel", &vm->kernel);
                describe_setting(&b, "Firmware", &vm->firmware);
                describe_setting(&b, "Initramfs", &vm->initramfs);
                describe_setting(&b, "Cmdline", &vm->cmdline);
                describe_setting(&b, "CloudInit", &vm->cloud_init);
                describe_setting(&b, "TapName", &vm->tap_name);
                describe_setting(&b, "MAC", &vm->mac);
                describe_setting(&b, "HostAddress", &vm->host_address);
                describe_setting(&b, "ExtraArguments", &vm->extra_arguments);
                for (size_t j = 0; j < vm->n_disks; j++)
                        sb_appendf(&b, " Disk=%s%s", vm->disks[j].path, vm->disks[j].readonly ? ",readonly" : "");
        }

        for (size_t i = 0; i < c->diagnostics.n; i++) {
                const Diagnostic *d = &c->diagnostics.items[i];
                char where[256];
                diag_format_location(d, where, sizeof where);
                sb_appendf(&b, "\n%s%s [%s] %s", where, diag_level_to_string(d->level), strempty(d->vm), d->message);
        }
        return sb_steal(&b);
}

static int parse(Config *c, const char *file, const char *text, bool strict) {
        int r = config_parse_buffer(c, file, text, strict);
        if (r >= 0)
                config_finish(c);
        return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(freep) char *text = fuzz_string(data, size);
        _cleanup_(freep) char *commented = text ? strjoin(text, "\n# appended by the fuzzer\n") : NULL;
        if (!commented)
                return 0;

        Config c, d;
        config_init(&c);
        config_init(&d);
        if (parse(&c, "/etc/nestvirt.conf", text, false) >= 0 &&
            parse(&d, "/etc/nestvirt.conf", commented, false) >= 0 &&
            !c.diagnostics.oom && !d.diagnostics.oom) {
                _cleanup_(freep) char *x = describe(&c), *y = describe(&d);
                if (x && y && !streq(x, y)) {
                        fprintf(stderr, "without the comment:\n%s\n\nwith it:\n%s\n", x, y);
                        abort();
                }
        }
        config_done(&d);

        /* The same again as a drop-in, strictly: each [VM NAME] extends the one of the main file. */
        if (parse(&c, "/etc/nestvirt.conf.d/50-fuzz.conf", text, true) >= 0)
                for (size_t i = 0; i < c.n_vms; i++)
                        if (config_find_vm(&c, c.vms[i].name) != &c.vms[i])
                                abort();   /* names stay unique */
        free(describe(&c));
        config_done(&c);
        return 0;
}
