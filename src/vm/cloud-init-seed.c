/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cloud-init-seed.h"
#include "conf-files.h"
#include "log.h"
#include "util.h"
#include "vm-paths.h"

extern char **environ;

/* What cloud-init's NoCloud datasource reads from the root of a volume labelled cidata.
 * Both user-data and meta-data must be there or it ignores the volume. */
static const struct {
        const char *name;
        bool required;
} seed_files[] = {
        { "user-data", true },
        { "meta-data", true },
        { "network-config", false },
};

/* The tool's own messages are kept for the journal, up to this much. */
#define TOOL_OUTPUT_MAX (64u * 1024)

static void unlink_and_freep(char **p) {
        if (*p) {
                (void) unlink(*p);
                free(*p);
        }
}

/* Root copies what the seed's inputs name into the guest: whoever could change them (or plant a
 * link to /etc/shadow among them) must be root, by the config files' policy. */
static const ConfPolicy seed_input_policy = { .check_ownership = true };

/* Opened as genisoimage will open it (links followed), and only a regular file will do: a
 * FIFO would hang the build, a directory would become a directory inside the seed. */
static int check_input(const Setting *s, const char *where, const char *dir, size_t i, bool *ret_present) {
        _cleanup_(freep) char *path = strjoin(dir, "/", seed_files[i].name);
        if (!path)
                return log_oom();

        _cleanup_(closep) int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                if (errno == ENOENT && !seed_files[i].required) {
                        *ret_present = false;
                        return 0;
                }
                if (errno == ENOENT)
                        return log_error_errno(errno,
                                               "%sCloudInit=%s has no %s (%s): a NoCloud seed needs user-data and "
                                               "meta-data; create it, or remove CloudInit=",
                                               where, s->value, seed_files[i].name, path);
                return log_error_errno(errno, "%sCloudInit=%s: cannot read %s: %m; make it readable by root",
                                       where, s->value, path);
        }
        struct stat st;
        if (fstat(fd, &st) < 0)
                return log_error_errno(errno, "%sCloudInit=%s: cannot stat %s: %m", where, s->value, path);
        if (!S_ISREG(st.st_mode))
                return log_error_errno(EINVAL,
                                       "%sCloudInit=%s: %s is not a regular file; the seed takes the file's contents, "
                                       "put a file there",
                                       where, s->value, path);
        _cleanup_(freep) char *why = NULL;
        struct stat link;
        int r = conf_unsafe_owner(&seed_input_policy, &st, path, &why);
        if (r < 0)
                return log_oom();
        if (r > 0)
                return log_error_errno(EPERM, "%sCloudInit=%s: refusing to copy %s into the guest's seed: %s%s",
                                       where, s->value, path,
                                       lstat(path, &link) >= 0 && S_ISLNK(link.st_mode) ? "it is a link to a file " : "",
                                       why);
        *ret_present = true;
        return 0;
}

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\r';
}

/* Whether meta-data (YAML, or JSON, which is YAML too) names an instance-id with a value. A
 * heuristic that reads no structure: it only decides whether to warn. */
static bool meta_data_has_instance_id(const char *data) {
        static const char key[] = "instance-id";
        const size_t k = sizeof key - 1;

        for (const char *line = data; *line;) {
                size_t len = strcspn(line, "\n");
                /* A YAML comment: from a '#' at the start or after a blank to the end of the line. */
                size_t end = 0;
                while (end < len && !(line[end] == '#' && (end == 0 || is_blank(line[end - 1]))))
                        end++;

                for (size_t i = 0; i + k <= end; i++) {
                        /* The whole key, as YAML or JSON writes it: not "x-instance-id". */
                        if (strncmp(line + i, key, k) != 0 || (i > 0 && !strchr(" \t\"'{,", line[i - 1])))
                                continue;
                        size_t j = i + k;
                        if (j < end && (line[j] == '"' || line[j] == '\''))
                                j++;
                        while (j < end && is_blank(line[j]))
                                j++;
                        if (j >= end || line[j] != ':')
                                continue;
                        for (j++; j < end && is_blank(line[j]); j++)
                                ;
                        if (j < end)   /* and a value on the same line */
                                return true;
                }
                line += len;
                line += *line == '\n';
        }
        return false;
}

/* cloud-init falls back to the instance-id "nocloud" for every such seed. It compares the id with
 * the one it cached on the disk, so on a disk that booted before, per-instance steps (users, SSH
 * keys) do not run again and edits to user-data are silently ignored. Worth a warning, not a refusal:
 * the first boot of a fresh disk works. */
static void warn_without_instance_id(const VmConfig *vm, const char *where, const char *dir) {
        _cleanup_(freep) char *path = strjoin(dir, "/meta-data");
        _cleanup_(freep) char *data = NULL;
        if (!path || read_full_file(path, &data, NULL) < 0 || meta_data_has_instance_id(data))
                return;
        log_warning("%sCloudInit=%s: meta-data sets no instance-id, so cloud-init uses \"nocloud\" and, on a disk "
                    "that booted before, ignores changed user-data; add a line 'instance-id: %s-1' and change it "
                    "whenever user-data changes",
                    where, vm->cloud_init.value, vm->name);
}

/* Like execvp()'s search, but only absolute PATH entries: the tool runs as root. */
static int find_executable(const char *name, char **ret) {
        const char *path = getenv("PATH");
        if (isempty(path))
                path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

        for (const char *p = path; *p;) {
                size_t n = strcspn(p, ":");
                if (n > 0 && p[0] == '/') {
                        _cleanup_(freep) char *f = NULL;
                        if (asprintf_safe(&f, "%.*s/%s", (int) n, p, name) < 0)
                                return -ENOMEM;
                        struct stat st;
                        if (stat(f, &st) == 0 && S_ISREG(st.st_mode) && access(f, X_OK) == 0) {
                                *ret = TAKE_PTR(f);
                                return 0;
                        }
                }
                p += n;
                p += *p == ':';
        }
        return -ENOENT;
}

/* Runs PATH (absolute) with ARGV, no shell, stdin and stdout on /dev/null, and collects its
 * stderr: that is where genisoimage explains a failure. Returns the wait status. */
static int spawn_and_wait(const char *path, char **argv, char **ret_output, int *ret_status) {
        int pipefd[2];
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        _cleanup_(closep) int output_fd = pipefd[0];
        _cleanup_(closep) int write_fd = pipefd[1];

        posix_spawn_file_actions_t actions;
        int r = posix_spawn_file_actions_init(&actions);
        if (r != 0)
                return -r;
        r = posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        if (r == 0)
                r = posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        if (r == 0)
                r = posix_spawn_file_actions_adddup2(&actions, write_fd, STDERR_FILENO);
        pid_t pid;
        if (r == 0)
                r = posix_spawn(&pid, path, &actions, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&actions);
        if (r != 0)
                return -r;
        /* Only the child may hold the write end now, or the read below never sees the end. */
        close(write_fd);
        write_fd = -1;

        StringBuffer output = {};
        char buf[4096];
        for (;;) {
                ssize_t k = read(output_fd, buf, sizeof buf);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                if (output.length < TOOL_OUTPUT_MAX)
                        sb_append_n(&output, buf, MIN((size_t) k, TOOL_OUTPUT_MAX - output.length));
        }

        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        sb_done(&output);
                        return -errno;
                }
        *ret_output = sb_steal(&output);
        if (!*ret_output)
                return -ENOMEM;
        *ret_status = status;
        return 0;
}

static void log_tool_output(int level, const char *output) {
        _cleanup_(freep) char *copy = strdup(output);
        if (!copy)
                return;
        char *save = NULL;
        /* Its own messages start with its name (argv[0]); the rest get it, so each line says whose it is. */
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                log_full_errno(level, 0, "%s%s", startswith(line, SEED_TOOL ":") ? "" : SEED_TOOL ": ", line);
}

/* NAME=PATH; in a graft point '=' divides and '\' escapes, so both are escaped in PATH
 * (genisoimage(1), -graft-points). The name inside the seed is then exactly NAME. */
static char *graft_point(const char *name, const char *dir) {
        StringBuffer b = {};
        sb_append(&b, name);
        sb_append_char(&b, '=');
        for (const char *p = dir; *p; p++) {
                if (*p == '\\' || *p == '=')
                        sb_append_char(&b, '\\');
                sb_append_char(&b, *p);
        }
        sb_append_char(&b, '/');
        sb_append(&b, name);
        return sb_steal(&b);
}

/* SOURCES: the directory of each seed file, NULL when it has none. */
static int build_argv(const char *output, const char *const *sources, char ***ret) {
        static const char *const options[] = {
                "-quiet",
                "-volid", "cidata",         /* the label NoCloud looks for */
                "-joliet", "-rock",         /* long lowercase names, as NoCloud's own example builds it */
                "-follow-links",            /* a linked user-data goes in as a file, not as a dangling link */
                "-input-charset", "utf-8",  /* the names are ASCII; this only keeps it from guessing */
                "-graft-points",
        };
        _cleanup_(strv_freep) char **argv = NULL;

        if (strv_extend(&argv, SEED_TOOL) < 0 || strv_extend(&argv, "-output") < 0 || strv_extend(&argv, output) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(options); i++)
                if (strv_extend(&argv, options[i]) < 0)
                        return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(seed_files); i++) {
                if (!sources[i])
                        continue;
                char *g = graft_point(seed_files[i].name, sources[i]);
                if (!g || strv_push(&argv, g) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(argv);
        return 0;
}

#define NETWORK_CONFIG (ELEMENTSOF(seed_files) - 1)

static int write_file(const char *path, const char *text) {
        _cleanup_(closep) int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        for (size_t n = strlen(text); n > 0;) {
                ssize_t k = write(fd, text, n);
                if (k < 0)
                        return -errno;
                text += k;
                n -= (size_t) k;
        }
        return 0;
}

/* Network=nat's network-config goes in unless CloudInit= has one: the admin's wins. */
static int add_network_config(const Setting *s, const char *where, const char *runtime_dir, const char *text,
                              const char **sources) {
        if (sources[NETWORK_CONFIG]) {
                log_notice("%sCloudInit=%s has its own network-config; it replaces the one Network=nat writes, so "
                           "the guest's address, gateway and DNS are up to it", where, s->value);
                return 0;
        }
        _cleanup_(freep) char *path = strjoin(runtime_dir, "/", seed_files[NETWORK_CONFIG].name);
        if (!path)
                return log_oom();
        int r = write_file(path, text);
        if (r < 0)
                return log_error_errno(r, "Cannot write %s: %m", path);
        sources[NETWORK_CONFIG] = runtime_dir;
        return 0;
}

/* Where each seed file comes from: DIR, or NULL when an optional one is not there. Reports
 * every missing file at once, so one edit fixes all. */
static int collect_sources(const Setting *s, const char *where, const char *dir, const char **sources) {
        struct stat st;
        _cleanup_(freep) char *why = NULL;
        /* A directory others can write lets them swap the files between this check and the copy. */
        int r = stat(dir, &st) < 0 ? 0 : conf_unsafe_owner(&seed_input_policy, &st, dir, &why);
        if (r < 0)
                return log_oom();
        if (r > 0)
                return log_error_errno(EPERM, "%sCloudInit=%s: refusing to build the seed from %s: the directory is %s",
                                       where, s->value, dir, why);
        int ret = 0;
        for (size_t i = 0; i < ELEMENTSOF(seed_files); i++) {
                bool present = false;
                r = check_input(s, where, dir, i, &present);
                if (r == -ENOMEM)
                        return r;
                if (r < 0 && ret == 0)
                        ret = r;
                sources[i] = present ? dir : NULL;
        }
        return ret;
}

int cloud_init_seed_build(const VmConfig *vm, const char *root, const char *runtime_dir, const char *seed_path,
                          const char *network_config) {
        const Setting *s = &vm->cloud_init;
        char where[512];
        int r;

        /* "FILE:LINE: " of CloudInit=, so every message points at the setting. */
        location_format(s->where, where, sizeof where);
        _cleanup_(freep) char *dir = path_under_root(root, s->value);
        if (!dir)
                return log_oom();

        const char *sources[ELEMENTSOF(seed_files)];
        r = collect_sources(s, where, dir, sources);
        if (r < 0)
                return r;
        if (network_config && (r = add_network_config(s, where, runtime_dir, network_config, sources)) < 0)
                return r;

        warn_without_instance_id(vm, where, dir);

        _cleanup_(freep) char *tool = NULL;
        r = find_executable(SEED_TOOL, &tool);
        if (r == -ENOENT)
                return log_error_errno(r,
                                       "%sCloudInit= needs " SEED_TOOL " to build the seed of VM %s, and it is not in "
                                       "PATH: apt install " SEED_TOOL_PACKAGE,
                                       where, vm->name);
        if (r < 0)
                return log_oom();

        /* Written beside the seed and renamed over it when complete: a half-written seed is never
         * attached. Created 0600 before anything is written: user-data may hold secrets. */
        _cleanup_(unlink_and_freep) char *temp = strjoin(runtime_dir, "/." VM_SEED_FILE ".XXXXXX");
        if (!temp)
                return log_oom();
        _cleanup_(closep) int fd = mkostemp(temp, O_CLOEXEC);
        if (fd < 0) {
                r = log_error_errno(errno, "Cannot create a temporary file in %s for the cloud-init seed of VM %s: %m",
                                    runtime_dir, vm->name);
                free(TAKE_PTR(temp));   /* nothing was created: nothing to unlink */
                return r;
        }
        if (fchmod(fd, 0600) < 0)
                return log_error_errno(errno, "Cannot make %s private: %m", temp);

        _cleanup_(strv_freep) char **argv = NULL;
        if (build_argv(temp, sources, &argv) < 0)
                return log_oom();

        _cleanup_(freep) char *output = NULL;
        int status;
        r = spawn_and_wait(tool, argv, &output, &status);
        if (r < 0)
                return log_error_errno(r, "Cannot run %s to build the cloud-init seed of VM %s: %m", tool, vm->name);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                log_tool_output(LOG_ERR, output);
                if (WIFEXITED(status))
                        return log_error_errno(EIO,
                                               "%sCloudInit=%s: %s failed with exit status %d building the seed of "
                                               "VM %s; its messages are above",
                                               where, s->value, tool, WEXITSTATUS(status), vm->name);
                return log_error_errno(EIO, "%sCloudInit=%s: %s was killed by signal %d building the seed of VM %s",
                                       where, s->value, tool, WTERMSIG(status), vm->name);
        }
        log_tool_output(LOG_DEBUG, output);

        if (rename(temp, seed_path) < 0)
                return log_error_errno(errno, "Cannot move the cloud-init seed of VM %s into place at %s: %m",
                                       vm->name, seed_path);
        free(TAKE_PTR(temp));

        log_info("Built the cloud-init seed %s from %s (user-data, meta-data%s).", seed_path, dir,
                 !sources[NETWORK_CONFIG] ? "" : sources[NETWORK_CONFIG] == dir ? ", network-config" :
                 ", network-config for Network=nat");
        return 0;
}
