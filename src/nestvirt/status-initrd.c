/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>

#include "log.h"
#include "status-initrd.h"
#include "util.h"

void initrd_status_load(const char *root, uint64_t digest, InitrdStatus *ret) {
        *ret = (InitrdStatus) { .record = { .hugepages_exit = -1, .vfio_exit = -1 } };
        int r = initrd_record_load(root, &ret->record);
        if (r < 0)
                log_warning_errno(r, "Cannot read %s (what nestvirt did in the initramfs): %m", INITRD_RECORD);
        ret->ran = r > 0;
        char now[32];
        snprintf(now, sizeof now, "%016" PRIx64, digest);
        ret->same = ret->ran && streq_ptr(ret->record.digest, now);
}

void initrd_status_done(InitrdStatus *s) {
        initrd_record_done(&s->record);
}

const char *initrd_status_config(const InitrdStatus *s) {
        return !s->ran ? "not-run" : s->same ? "same" : "differs";
}

static const char *exit_text(int status, char *buf, size_t size) {
        if (status < 0)
                return "did not run";
        if (status == 0)
                return "done";
        snprintf(buf, size, "FAILED (exit %d)", status);
        return buf;
}

void initrd_status_print(const InitrdStatus *s) {
        const InitrdRecord *r = &s->record;
        printf("Initramfs configuration: %s\n", !s->ran ? "nestvirt did not run in the initramfs"
                                                : s->same ? "same as /etc" : "DIFFERS");
        if (!s->ran)
                return;
        for (size_t i = 0; r->files && r->files[i]; i++)
                printf("  read %s\n", r->files[i]);
        char buf[32];
        printf("In the initramfs: reserve-hugepages %s", exit_text(r->hugepages_exit, buf, sizeof buf));
        for (size_t i = 0; i < r->n_nodes; i++)
                printf("%s node %u: %" PRIu64 " reserved (%" PRIu64 " before), %" PRIu64 " planned", i ? ";" : ":",
                       r->nodes[i].node, r->nodes[i].after, r->nodes[i].before, r->nodes[i].planned);
        printf("\nIn the initramfs: bind-vfio %s", exit_text(r->vfio_exit, buf, sizeof buf));
        for (size_t i = 0; i < r->n_devices; i++)
                printf("%s %s %s", i ? "," : ":", r->devices[i].address, r->devices[i].bound ? "bound" : "NOT bound");
        printf("\n");
}

static void json_exit(JsonWriter *w, int status) {
        json_key(w, "exit");
        if (status < 0)
                json_null(w);
        else
                json_int(w, status);
}

void initrd_status_json(const InitrdStatus *s, JsonWriter *w) {
        const InitrdRecord *r = &s->record;
        json_begin_object(w);
        json_field_bool(w, "ran", s->ran);
        json_field_string(w, "config", initrd_status_config(s));
        json_key(w, "files");
        json_begin_array(w);
        for (size_t i = 0; r->files && r->files[i]; i++)
                json_string(w, r->files[i]);
        json_end_array(w);
        json_key(w, "reserve_hugepages");
        json_begin_object(w);
        json_exit(w, r->hugepages_exit);
        json_key(w, "nodes");
        json_begin_array(w);
        for (size_t i = 0; i < r->n_nodes; i++) {
                json_begin_object(w);
                json_field_uint(w, "node", r->nodes[i].node);
                json_field_uint(w, "planned", r->nodes[i].planned);
                json_field_uint(w, "before", r->nodes[i].before);
                json_field_uint(w, "after", r->nodes[i].after);
                json_end_object(w);
        }
        json_end_array(w);
        json_end_object(w);
        json_key(w, "bind_vfio");
        json_begin_object(w);
        json_exit(w, r->vfio_exit);
        json_key(w, "devices");
        json_begin_array(w);
        for (size_t i = 0; i < r->n_devices; i++) {
                json_begin_object(w);
                json_field_string(w, "address", r->devices[i].address);
                json_field_bool(w, "bound", r->devices[i].bound);
                json_end_object(w);
        }
        json_end_array(w);
        json_end_object(w);
        json_end_object(w);
}
