/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>

#include "json-scan.h"
#include "util.h"
#include "vm-info.h"

#define PATH(...) ((const char *const[]) { __VA_ARGS__, NULL })

/* A string member as a new string: NULL when absent or not a string (*OOM set on no memory). */
static char *member_string(const char *object, const char *key, bool *oom) {
        char buf[PATH_MAX];
        const char *v;

        if (json_object_member(object, key, &v) < 0 || json_value_string(v, buf, sizeof buf) < 0)
                return NULL;
        char *s = strdup(buf);
        if (!s)
                *oom = true;
        return s;
}

static uint64_t member_uint(const char *object, const char *const *path, uint64_t fallback) {
        const char *v;
        uint64_t u;
        return json_member_path(object, path, &v) >= 0 && json_value_uint(v, &u) >= 0 ? u : fallback;
}

static bool member_bool(const char *object, const char *key) {
        const char *v;
        bool b = false;
        return json_object_member(object, key, &v) >= 0 && json_value_bool(v, &b) >= 0 && b;
}

/* Calls ADD for each element of the array at PATH in CONFIG (none when absent). */
static int for_each_element(const char *config, const char *const *path, VmInfo *info,
                            int (*add)(VmInfo *info, const char *element)) {
        const char *array, *e;
        if (json_member_path(config, path, &array) < 0)
                return 0;
        for (size_t i = 0; json_array_element(array, i, &e) >= 0; i++) {
                int r = add(info, e);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int add_zone(VmInfo *info, const char *e) {
        VmInfoZone *z = reallocarray(info->zones, info->n_zones + 1, sizeof *z);
        bool oom = false;
        if (!z)
                return -ENOMEM;
        info->zones = z;
        uint64_t node = member_uint(e, PATH("host_numa_node"), UINT64_MAX);
        z[info->n_zones++] = (VmInfoZone) {
                .id = member_string(e, "id", &oom),
                .size = member_uint(e, PATH("size"), 0),
                .host_numa_node = node <= INT_MAX ? (int64_t) node : -1,
                .hugepages = member_bool(e, "hugepages"),
        };
        return oom ? -ENOMEM : 0;
}

static int add_device(VmInfo *info, const char *kind, const char *e, char *what) {
        VmInfoDevice *d = reallocarray(info->devices, info->n_devices + 1, sizeof *d);
        bool oom = false;
        if (!d) {
                free(what);
                return -ENOMEM;
        }
        info->devices = d;
        d[info->n_devices++] = (VmInfoDevice) {
                .kind = kind,
                .id = member_string(e, "id", &oom),
                .what = what,
                .readonly = member_bool(e, "readonly"),
        };
        return oom ? -ENOMEM : 0;
}

static int add_disk(VmInfo *info, const char *e) {
        bool oom = false;
        char *path = member_string(e, "path", &oom);
        return oom ? -ENOMEM : add_device(info, "disk", e, path);
}

static int add_vfio(VmInfo *info, const char *e) {
        bool oom = false;
        char *path = member_string(e, "path", &oom);
        return oom ? -ENOMEM : add_device(info, "device", e, path);
}

static int add_net(VmInfo *info, const char *e) {
        bool oom = false;
        _cleanup_(freep) char *tap = member_string(e, "tap", &oom), *mac = member_string(e, "mac", &oom);
        char *what = NULL;
        if (oom || asprintf_safe(&what, "tap=%s mac=%s", tap ?: "-", mac ?: "-") < 0)
                return -ENOMEM;
        return add_device(info, "net", e, what);
}

/* "Socket /run/nestvirt/vm/NAME/serial.sock", "File /var/log/...", "Tty": the mode and its target. */
static int console_mode(const char *config, const char *key, char **ret) {
        const char *object;
        bool oom = false;
        if (json_object_member(config, key, &object) < 0)
                return 0;
        _cleanup_(freep) char *mode = member_string(object, "mode", &oom);
        _cleanup_(freep) char *target = member_string(object, streq_ptr(mode, "Socket") ? "socket" : "file", &oom);
        if (oom)
                return -ENOMEM;
        if (!mode)
                return 0;
        if (!target) {
                *ret = TAKE_PTR(mode);
                return 0;
        }
        return asprintf_safe(ret, "%s %s", mode, target) < 0 ? -ENOMEM : 0;
}

static int parse_config(const char *config, VmInfo *info) {
        int r;

        info->boot_vcpus = member_uint(config, PATH("cpus", "boot_vcpus"), 0);
        info->max_vcpus = member_uint(config, PATH("cpus", "max_vcpus"), info->boot_vcpus);
        info->memory_size = member_uint(config, PATH("memory", "size"), 0);
        if ((r = for_each_element(config, PATH("memory", "zones"), info, add_zone)) < 0 ||
            (r = for_each_element(config, PATH("disks"), info, add_disk)) < 0 ||
            (r = for_each_element(config, PATH("net"), info, add_net)) < 0 ||
            (r = for_each_element(config, PATH("devices"), info, add_vfio)) < 0)
                return r;
        if ((r = console_mode(config, "serial", &info->serial)) < 0)
                return r;
        return console_mode(config, "console", &info->console);
}

int vm_info_parse(const char *body, VmInfo *ret) {
        VmInfo info = {};
        const char *config;

        if (json_top_level_string(body, "state", info.state, sizeof info.state) < 0)
                return -EBADMSG;
        info.memory_actual_size = member_uint(body, PATH("memory_actual_size"), 0);
        if (json_object_member(body, "config", &config) >= 0) {
                int r = parse_config(config, &info);
                if (r < 0) {
                        vm_info_done(&info);
                        return r;
                }
        }
        *ret = info;
        return 0;
}

void vm_info_done(VmInfo *info) {
        for (size_t i = 0; i < info->n_zones; i++)
                free(info->zones[i].id);
        for (size_t i = 0; i < info->n_devices; i++) {
                free(info->devices[i].id);
                free(info->devices[i].what);
        }
        free(info->zones);
        free(info->devices);
        free(info->serial);
        free(info->console);
        *info = (VmInfo) {};
}

uint64_t vm_info_memory_total(const VmInfo *info) {
        uint64_t total = info->memory_size;
        for (size_t i = 0; i < info->n_zones; i++)
                total += info->zones[i].size;
        return total;
}
