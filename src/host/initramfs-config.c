/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "build-config.h"
#include "conf-accepted.h"
#include "initramfs-config.h"
#include "initramfs-read.h"
#include "log.h"
#include "util.h"

char *initramfs_running_kernel(const char *root) {
        if (!root) {
                struct utsname u;
                return uname(&u) < 0 ? NULL : strdup(u.release);
        }
        _cleanup_(freep) char *path = path_under_root(root, "/proc/sys/kernel/osrelease");
        char *release = NULL;
        if (!path || read_one_line_file(path, &release) < 0)
                return NULL;
        return release;
}

/* /boot/initrd.img-KVER (Debian) or /boot/initramfs-KVER.img (dracut) under ROOT; NULL: none. */
static char *initramfs_image(const char *root, const char *kver) {
        _cleanup_(freep) char *debian = strjoin("/boot/initrd.img-", kver), *dracut = strjoin("/boot/initramfs-", kver, ".img");
        _cleanup_(freep) char *p1 = debian ? path_under_root(root, debian) : NULL;
        _cleanup_(freep) char *p2 = dracut ? path_under_root(root, dracut) : NULL;
        struct stat st;
        if (p1 && stat(p1, &st) >= 0)
                return TAKE_PTR(p1);
        if (p2 && stat(p2, &st) >= 0)
                return TAKE_PTR(p2);
        return NULL;
}

InitramfsConfigState initramfs_config_state(const char *root, const char *kver) {
        _cleanup_(freep) char *image = initramfs_image(root, kver);
        if (!image)
                return INITRAMFS_CONFIG_UNRECORDED;
        _cleanup_(initramfs_done) Initramfs archive = {};
        char error[512] = "";
        if (initramfs_read(image, conf_is_config_path, &archive, error, sizeof error) < 0) {
                log_warning("Cannot read %s to tell which configuration it carries: %s", image, error);
                return INITRAMFS_CONFIG_UNRECORDED;
        }
        if (!initramfs_find(&archive, "/usr/bin/nestvirt") && !initramfs_find(&archive, NESTVIRT_BINDIR "/nestvirt"))
                return INITRAMFS_CONFIG_UNRECORDED;   /* not built with nestvirt's module or hook */

        _cleanup_(conf_accepted_done) AcceptedConfig accepted = {};
        if (conf_accepted_load(root, 0, &accepted) < 0)
                return INITRAMFS_CONFIG_UNRECORDED;
        size_t copies = 0;
        for (size_t i = 0; i < archive.n; i++) {
                const InitramfsEntry *e = &archive.entries[i];
                if (!S_ISREG(e->mode) || !conf_is_config_path(e->name))
                        continue;
                if (!conf_accepted_matches(&accepted, e->name, e->data, e->size))
                        return INITRAMFS_CONFIG_DIFFERS;
                copies++;
        }
        return copies == accepted.n ? INITRAMFS_CONFIG_SAME : INITRAMFS_CONFIG_DIFFERS;
}

static bool installed(const char *root, const char *name) {
        const char *dirs[] = { "/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/" };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_(freep) char *rel = strjoin(dirs[i], name);
                _cleanup_(freep) char *p = rel ? path_under_root(root, rel) : NULL;
                struct stat st;
                if (p && stat(p, &st) >= 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111))
                        return true;
        }
        return false;
}

char **initramfs_rebuild_command(const char *root, const char *kver) {
        char **argv = NULL;
        /* Debian and Ubuntu: initramfs-tools and dracut conflict, so whichever is there is the one. */
        const char *const debian[] = { "update-initramfs", "-u", "-k", kver, NULL };
        const char *const dracut[] = { "dracut", "-f", "--kver", kver, NULL };
        const char *const *pick = installed(root, "update-initramfs") ? debian : installed(root, "dracut") ? dracut : NULL;
        for (size_t i = 0; pick && pick[i]; i++)
                if (strv_extend(&argv, pick[i]) < 0)
                        return strv_free(argv);
        return argv;
}

int initramfs_rebuild(char *const *argv) {
        pid_t pid = fork();
        if (pid < 0)
                return log_error_errno(errno, "Cannot run %s: %m", argv[0]);
        if (pid == 0) {
                execvp(argv[0], argv);
                fprintf(stderr, "nestvirt: cannot run %s: %s\n", argv[0], strerror(errno));
                _exit(127);
        }
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return log_error_errno(errno, "Cannot wait for %s: %m", argv[0]);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                log_error("%s failed (%s %d); the initramfs still carries the old configuration.", argv[0],
                          WIFEXITED(status) ? "exit status" : "signal",
                          WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
                return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        return 0;
}
