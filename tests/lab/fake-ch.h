/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fake-ch, the boot lab's Cloud Hypervisor stand-in (fake-ch.c): what its parts share. */
#pragma once

/* Built with _GNU_SOURCE (meson's project arguments; lib.sh passes it too): cpu_set_t,
 * memfd_create, F_OFD_SETLK, strerrorname_np. */
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_ITEMS 16

typedef struct Disk { char *path; bool readonly; int fd; } Disk;
typedef struct Device { char *path, *id; } Device;
typedef struct Zone { char *id; uint64_t size, page_size; int node; void *mem; } Zone;

typedef struct Options {
        char *api_socket, *kernel, *initramfs, *firmware, *cmdline, *serial, *console;
        unsigned boot_vcpus;
        cpu_set_t affinity;
        bool has_affinity, has_memory;
        uint64_t memory_size;
        Disk disks[MAX_ITEMS];
        Device devices[MAX_ITEMS];
        Zone zones[MAX_ITEMS];
        size_t n_disks, n_devices, n_zones;
} Options;

/* The command line, as parse_argv() understood it. */
extern Options options;

/* "fake-ch: ..." on stdout (the journal), one line. */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "fake-ch: STEP FAILED: ...: MESSAGE (ERRNO)" (ERR 0: no errno), then exit 1. */
_Noreturn void fail(const char *step, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* fake-ch-options.c: CH's options into `options`; what CH would refuse is refused. */
void parse_argv(int argc, char **argv);

/* fake-ch-api.c: CH's API on the listening socket LFD; exits 0 after the power button. */
_Noreturn void serve(int lfd);
