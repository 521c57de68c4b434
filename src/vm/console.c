/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The serial console relay. The terminating signals are blocked and read from a signalfd, so
 * that they end the relay loop like any other event, and the one place that restores the
 * terminal runs for them too: a handler that restores it would race the loop's own writes. */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "console.h"
#include "log.h"
#include "util.h"

#define RELAY_BUFFER 4096

int console_connect(const char *socket_path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        size_t l = strlen(socket_path);

        if (l >= sizeof sa.sun_path)
                return -ENAMETOOLONG;
        memcpy(sa.sun_path, socket_path, l + 1);
        _cleanup_(closep) int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, (socklen_t) (offsetof(struct sockaddr_un, sun_path) + l + 1)) < 0)
                return -errno;
        /* Non-blocking from here: a guest that stops reading must not make us deaf to signals. */
        if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
                return -errno;
        int r = fd;
        fd = -1;
        return r;
}

/* ---- the terminal and the signals, and their restoration ---- */

typedef struct Saved {
        bool raw;                       /* standard input was a terminal, now in raw mode */
        struct termios modes;
        sigset_t mask;
        struct sigaction sigpipe;
        int signal_fd;
} Saved;

static int enter(Saved *s) {
        sigset_t terminating;

        *s = (Saved) { .signal_fd = -1 };
        sigemptyset(&terminating);
        sigaddset(&terminating, SIGINT);
        sigaddset(&terminating, SIGTERM);
        sigaddset(&terminating, SIGHUP);
        sigaddset(&terminating, SIGQUIT);
        if (sigprocmask(SIG_BLOCK, &terminating, &s->mask) < 0)
                return log_error_errno(errno, "Cannot block signals: %m");
        s->signal_fd = signalfd(-1, &terminating, SFD_CLOEXEC | SFD_NONBLOCK);
        if (s->signal_fd < 0)
                return log_error_errno(errno, "Cannot create a signalfd: %m");
        /* A closed terminal or socket is reported by write(), not by a fatal SIGPIPE. */
        (void) sigaction(SIGPIPE, &(struct sigaction) { .sa_handler = SIG_IGN }, &s->sigpipe);

        if (!isatty(STDIN_FILENO))
                return 0;
        if (tcgetattr(STDIN_FILENO, &s->modes) < 0)
                return log_error_errno(errno, "Cannot read the terminal's modes: %m");
        struct termios raw = s->modes;
        cfmakeraw(&raw);
        if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0)
                return log_error_errno(errno, "Cannot put the terminal in raw mode: %m");
        s->raw = true;
        return 0;
}

/* Undoes whatever enter() did, in reverse; safe after a partial enter(). */
static void leave(Saved *s) {
        if (s->raw)
                (void) tcsetattr(STDIN_FILENO, TCSADRAIN, &s->modes);
        s->raw = false;
        if (s->signal_fd < 0)
                return;
        (void) sigaction(SIGPIPE, &s->sigpipe, NULL);
        /* Consume a signal that came after the loop ended: unblocked, it would kill us now. */
        struct signalfd_siginfo si;
        while (read(s->signal_fd, &si, sizeof si) == (ssize_t) sizeof si)
                ;
        close(s->signal_fd);
        s->signal_fd = -1;
        (void) sigprocmask(SIG_SETMASK, &s->mask, NULL);
}

/* ---- the relay ---- */

/* Writes all of P to FD, waiting while it would block, unless a signal comes first (-EINTR). */
static int write_all(int fd, const char *p, size_t n, int signal_fd) {
        while (n > 0) {
                ssize_t k = write(fd, p, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0 && errno == EAGAIN) {
                        struct pollfd w[] = { { .fd = fd, .events = POLLOUT }, { .fd = signal_fd, .events = POLLIN } };
                        if (poll(w, ELEMENTSOF(w), -1) < 0 && errno != EINTR)
                                return -errno;
                        if (w[1].revents)
                                return -EINTR;
                        continue;
                }
                if (k < 0)
                        return -errno;
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

/* What came from the VM, to standard output. Returns 1 when the VM closed the socket. */
static int from_vm(int sock, int signal_fd) {
        char buf[RELAY_BUFFER];
        ssize_t k = read(sock, buf, sizeof buf);
        if (k < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (k == 0 || (k < 0 && errno == ECONNRESET))
                return 1;
        if (k < 0)
                return log_error_errno(errno, "Reading the serial socket failed: %m");
        int r = write_all(STDOUT_FILENO, buf, (size_t) k, signal_fd);
        if (r < 0 && r != -EINTR)
                return log_error_errno(r, "Writing to the terminal failed: %m");
        return 0;
}

/* What was typed, to the VM, up to the detach key. Returns 1 on the detach key or end of input. */
static int to_vm(int sock, int signal_fd) {
        char buf[RELAY_BUFFER];
        ssize_t k = read(STDIN_FILENO, buf, sizeof buf);
        if (k < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (k < 0)
                return log_error_errno(errno, "Reading the terminal failed: %m");
        if (k == 0)
                return 1;
        const char *detach = memchr(buf, CONSOLE_DETACH_KEY, (size_t) k);
        size_t n = detach ? (size_t) (detach - buf) : (size_t) k;
        int r = write_all(sock, buf, n, signal_fd);
        if (r == -EPIPE || r == -ECONNRESET)
                return 0;   /* the socket's end is reported by the read side */
        if (r < 0 && r != -EINTR)
                return log_error_errno(r, "Writing to the serial socket failed: %m");
        return detach ? 1 : 0;
}

static int relay(int sock, int signal_fd, ConsoleResult *ret) {
        struct pollfd p[] = {
                { .fd = signal_fd, .events = POLLIN },
                { .fd = sock, .events = POLLIN },
                { .fd = STDIN_FILENO, .events = POLLIN },
        };
        int r;

        for (;;) {
                if (poll(p, ELEMENTSOF(p), -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return log_error_errno(errno, "poll() failed: %m");
                }
                struct signalfd_siginfo si;
                if (p[0].revents && read(signal_fd, &si, sizeof si) == (ssize_t) sizeof si) {
                        *ret = (ConsoleResult) { .end = CONSOLE_SIGNALLED, .signal = (int) si.ssi_signo };
                        return 0;
                }
                if (p[1].revents && (r = from_vm(sock, signal_fd)) != 0) {
                        *ret = (ConsoleResult) { .end = CONSOLE_CLOSED };
                        return MIN(r, 0);
                }
                if (p[2].revents && (r = to_vm(sock, signal_fd)) != 0) {
                        *ret = (ConsoleResult) { .end = CONSOLE_DETACHED };
                        return MIN(r, 0);
                }
        }
}

int console_attach(int sock, ConsoleResult *ret) {
        _cleanup_(closep) int fd = sock;
        Saved saved;

        int r = enter(&saved);
        if (r >= 0)
                r = relay(fd, saved.signal_fd, ret);
        leave(&saved);
        return r;
}
