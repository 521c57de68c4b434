/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "initramfs-config.h"
#include "log.h"
#include "runtime-paths.h"
#include "sysfs-write.h"
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

InitramfsConfigState initramfs_config_state(const char *root, const char *kver, uint64_t digest) {
        _cleanup_(freep) char *rel = strjoin(INITRAMFS_DIGEST_DIR "/", kver);
        _cleanup_(freep) char *path = rel ? path_under_root(root, rel) : NULL;
        char recorded[64], now[32];
        if (!path || sysfs_read(path, recorded, sizeof recorded) < 0)
                return INITRAMFS_CONFIG_UNRECORDED;
        snprintf(now, sizeof now, "%016" PRIx64, digest);
        return streq(recorded, now) ? INITRAMFS_CONFIG_SAME : INITRAMFS_CONFIG_DIFFERS;
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
