/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sysfs inventory reader on a small tree the input describes. `check --root` reads an
 * image's /sys as it was captured, so its files can hold anything. One line per entry:
 *
 *   PLACE NAME PATH [VALUE]
 *
 * PLACE is dev (sys/bus/pci/devices), node (sys/devices/system/node), iommu (sys/class/iommu),
 * irq (sys/kernel/irq) or mm (sys/kernel/mm); NAME/PATH is created under it. With a VALUE a
 * file holding it (escapes \n, \\ and \xHH), or, for the links sysfs has (iommu_group, driver),
 * a symbolic link to it; without, a directory. Example:
 *
 *   dev 0000:41:00.0 modalias pci:v000010DEd00002330sv000010DEsd000016C1bc03sc02i00\n
 *   dev 0000:41:00.0 iommu_group ../../../../kernel/iommu_groups/28
 *   node node1 cpulist 8-15\n
 *   mm hugepages hugepages-1048576kB
 *
 * The tree is made in a private directory under $TMPDIR (else /dev/shm, tmpfs, else /tmp) and
 * removed after each input. Nothing is created through a symbolic link, so no input writes
 * outside of it. */

#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <sys/stat.h>

#include "inventory.h"
#include "fuzz-util.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_LINES 64
#define MAX_VALUE 4096

static char base[256];   /* the private directory; each input's root is base/root */
static char root[300];

static const struct {
        const char *place, *dir;
} places[] = {
        { "dev", "sys/bus/pci/devices" },
        { "node", "sys/devices/system/node" },
        { "iommu", "sys/class/iommu" },
        { "irq", "sys/kernel/irq" },
        { "mm", "sys/kernel/mm" },
};

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *f) {
        (void) remove(path);
        return 0;
}

static void remove_tree(const char *path) {
        (void) nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void cleanup_base(void) {
        remove_tree(base);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        const char *tmp = getenv("TMPDIR") ?: access("/dev/shm", W_OK) >= 0 ? "/dev/shm" : "/tmp";
        snprintf(base, sizeof base, "%s/fuzz-inventory.XXXXXX", tmp);
        if (!mkdtemp(base)) {
                perror("mkdtemp");
                abort();
        }
        snprintf(root, sizeof root, "%s/root", base);
        atexit(cleanup_base);
        return 0;
}

/* Splits off the next space-separated word; NULL at the end of the line. */
static char *next_word(char **p) {
        while (**p == ' ')
                (*p)++;
        if (!**p)
                return NULL;
        char *w = *p;
        *p += strcspn(*p, " ");
        if (**p)
                *(*p)++ = 0;
        return w;
}

static bool component_is_safe(const char *c, size_t n) {
        return n > 0 && n <= 64 && !(n == 1 && c[0] == '.') && !(n == 2 && c[0] == '.' && c[1] == '.');
}

/* \n, \\ and \xHH; anything else is itself. Returns the decoded length. */
static size_t unescape(const char *s, char *out, size_t size) {
        size_t n = 0;
        for (; *s && n < size; s++) {
                if (*s != '\\' || !s[1])
                        out[n++] = *s;
                else if (s[1] == 'n')
                        out[n++] = '\n', s++;
                else if (s[1] == 'x' && s[2] && s[3]) {
                        char hex[3] = { s[2], s[3], 0 }, *end;
                        unsigned long v = strtoul(hex, &end, 16);
                        if (*end)
                                out[n++] = *s;
                        else
                                out[n++] = (char) v, s += 3;
                } else
                        out[n++] = *++s;
        }
        return n;
}

/* Creates PATH below the directory DIR_FD without following a symbolic link anywhere: a file
 * holding VALUE, a link to it, or without VALUE a directory. Returns the last directory made
 * or entered, open, when WANT_DIR (else -1). */
static int create_entry(int dir_fd, char *path, const char *value, bool want_dir) {
        int fd = dup(dir_fd);
        for (char *p = path; fd >= 0;) {
                size_t n = strcspn(p, "/");
                if (!component_is_safe(p, n))
                        break;
                bool last = !p[n];
                p[n] = 0;
                if (last && value) {
                        char buf[MAX_VALUE];
                        size_t len = unescape(value, buf, sizeof buf - 1);
                        if (streq(p, "iommu_group") || streq(p, "driver")) {
                                buf[len] = 0;
                                (void) symlinkat(buf, fd, p);
                                break;
                        }
                        _cleanup_(closep) int f = openat(fd, p, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                                                         0644);
                        if (f >= 0)
                                (void) !write(f, buf, len);
                        break;
                }
                if (mkdirat(fd, p, 0755) < 0 && errno != EEXIST)
                        break;
                if (last && !want_dir)
                        break;
                int sub = openat(fd, p, O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                close(fd);
                fd = sub;
                if (last)
                        return fd;
                p += n + 1;
        }
        if (fd >= 0)
                close(fd);
        return -1;
}

static void build_tree(const uint8_t *data, size_t size) {
        _cleanup_(freep) char *text = fuzz_string(data, size);
        if (!text)
                return;
        (void) mkdir(root, 0755);
        _cleanup_(closep) int root_fd = open(root, O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (root_fd < 0)
                return;
        /* Each place's directory is made once, when a line first needs it: a place no line
         * names stays absent, as on a machine without PCI or NUMA. */
        int place_fd[ELEMENTSOF(places)];
        for (size_t i = 0; i < ELEMENTSOF(places); i++)
                place_fd[i] = -1;

        unsigned lines = 0;
        for (char *save = NULL, *l = strtok_r(text, "\n", &save); l && lines < MAX_LINES;
             l = strtok_r(NULL, "\n", &save), lines++) {
                char *place = next_word(&l), *name = next_word(&l), *path = next_word(&l);
                if (!place || !name)
                        continue;
                while (*l == ' ')
                        l++;
                for (size_t i = 0; i < ELEMENTSOF(places); i++)
                        if (streq(place, places[i].place)) {
                                if (place_fd[i] < 0) {
                                        char dir[64];
                                        snprintf(dir, sizeof dir, "%s", places[i].dir);
                                        place_fd[i] = create_entry(root_fd, dir, NULL, true);
                                        if (place_fd[i] < 0)
                                                break;
                                }
                                char rel[512];
                                snprintf(rel, sizeof rel, "%s%s%s", name, path ? "/" : "", strempty(path));
                                (void) create_entry(place_fd[i], rel, path && *l ? l : NULL, false);
                                break;
                        }
        }
        for (size_t i = 0; i < ELEMENTSOF(places); i++)
                if (place_fd[i] >= 0)
                        close(place_fd[i]);
}

static void check_inventory(const Inventory *inv) {
        for (size_t i = 0; i < inv->n_devices; i++) {
                const PciDevice *d = &inv->devices[i];
                char name[PCI_ADDRESS_MAX];
                pci_address_format(d->address, name);
                if (!streq(name, d->name) || d->numa_node < -1)
                        abort();
                /* Sorted without duplicates, or the binary search finds the wrong one. */
                if (i > 0 && pci_address_compare(inv->devices[i - 1].address, d->address) >= 0)
                        abort();
                if (inventory_find_device(inv, d->address) != d)
                        abort();
                (void) pci_class_to_string(d->class);
        }
        for (size_t i = 0; i < inv->n_nodes; i++) {
                if (i > 0 && inv->nodes[i - 1].id >= inv->nodes[i].id)
                        abort();
                if (inventory_find_node(inv, inv->nodes[i].id) != &inv->nodes[i])
                        abort();
                free(cpu_set_format(&inv->nodes[i].cpus));
        }
        (void) inventory_needs_unsafe_interrupts(inv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size > 16384)
                return 0;
        build_tree(data, size);

        /* The generator's quick read and the full one of devices, plan and check. */
        const InventoryFlags flags[] = { 0, INVENTORY_DETAILS };
        for (size_t i = 0; i < ELEMENTSOF(flags); i++) {
                Inventory inv;
                if (inventory_load(root, flags[i], &inv) < 0)
                        continue;
                check_inventory(&inv);
                inventory_done(&inv);
        }

        remove_tree(root);
        return 0;
}
