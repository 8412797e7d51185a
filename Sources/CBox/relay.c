/* The relay and the attach client: poll loops that move a container's stdio. See cbox_relay.h. */
#define _GNU_SOURCE
#include "cbox_relay.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 32768
/* how long output may keep coming after the container's process exited */
#define DRAIN_MS 2000

static int write_all(int fd, const void *buf, size_t n) {
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN) {
            struct pollfd pf = { fd, POLLOUT, 0 };
            poll(&pf, 1, -1);
            continue;
        }
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* 1 when n bytes were read, 0 on EOF before any, -1 on error or a short stream. */
static int read_full(int fd, void *buf, size_t n) {
    char *p = buf;
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) return got == 0 ? 0 : -1;
        got += (size_t)r;
    }
    return 1;
}

static uint32_t be32(const unsigned char *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void put_be32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16); p[2] = (unsigned char)(v >> 8); p[3] = (unsigned char)v;
}

int box_frame_send(int fd, int type, const void *data, uint32_t len) {
    unsigned char h[5];
    h[0] = (unsigned char)type;
    put_be32(h + 1, len);
    if (write_all(fd, h, sizeof h) < 0) return -1;
    return len ? write_all(fd, data, len) : 0;
}

/* Reads one frame into buf (at most cap bytes); returns 1, 0 on EOF, -1 on error or an oversized frame. */
static int frame_recv(int fd, int *type, unsigned char *buf, uint32_t cap, uint32_t *len) {
    unsigned char h[5];
    int r = read_full(fd, h, sizeof h);
    if (r <= 0) return r;
    *type = h[0];
    *len = be32(h + 1);
    if (*len > cap) return -1;
    return *len == 0 ? 1 : (read_full(fd, buf, *len) == 1 ? 1 : -1);
}

int box_tty_get_size(int fd, uint16_t *rows, uint16_t *cols) {
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) < 0) return -1;
    *rows = ws.ws_row;
    *cols = ws.ws_col;
    return 0;
}

int box_tty_set_size(int fd, uint16_t rows, uint16_t cols) {
    struct winsize ws;
    memset(&ws, 0, sizeof ws);
    ws.ws_row = rows;
    ws.ws_col = cols;
    return ioctl(fd, TIOCSWINSZ, &ws);
}

int box_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int box_recv_fd(int sock) {
    char byte;
    struct iovec iov = { &byte, 1 };
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = u.buf;
    msg.msg_controllen = sizeof u.buf;
    ssize_t n;
    do { n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC); } while (n < 0 && errno == EINTR);
    if (n <= 0) { if (n == 0) errno = 0; return -1; }
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) { errno = EPROTO; return -1; }
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return fd;
}

void box_relay_init(struct box_relay *r) {
    memset(r, 0, sizeof *r);
    r->pidfd = r->out_fd = r->err_fd = r->in_fd = r->master_fd = -1;
    r->local_in = r->local_out = r->local_err = r->signal_fd = r->local_tty = r->listen_fd = -1;
}

int box_relay_add_client(struct box_relay *r, int fd) {
    if (r->n_clients >= BOX_RELAY_MAX_CLIENTS) return -1;
    r->clients[r->n_clients++] = fd;
    return 0;
}

static void drop_client(struct box_relay *r, int i) {
    close(r->clients[i]);
    r->clients[i] = r->clients[--r->n_clients];
}

/* One chunk of the container's output: to the log, the local terminal and every client. */
static void broadcast(struct box_relay *r, int stream, const char *buf, size_t n) {
    if (r->log && r->log_fn) r->log_fn(r->log, stream, buf, n);
    int *local = stream == 1 ? &r->local_out : &r->local_err;
    /* a caller that stopped reading does not stop the container or its log */
    if (*local >= 0 && write_all(*local, buf, n) < 0) *local = -1;
    for (int i = r->n_clients - 1; i >= 0; i--)
        if (box_frame_send(r->clients[i], stream, buf, (uint32_t)n) < 0) drop_client(r, i);
}

/* Reads what the container wrote on fd; returns 0 at its end (EOF, or EIO from a pty whose other side is gone). */
static int pump(struct box_relay *r, int fd, int stream) {
    char buf[CHUNK];
    ssize_t n;
    do { n = read(fd, buf, sizeof buf); } while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EAGAIN) return 1;
    if (n <= 0) return 0;
    broadcast(r, stream, buf, (size_t)n);
    return 1;
}

static void close_stdin(struct box_relay *r) {
    /* a pipe is closed so the container reads EOF; a pty stays, as other clients may still type */
    if (r->in_fd >= 0 && r->master_fd < 0) {
        close(r->in_fd);
        r->in_fd = -1;
    }
}

static void send_signal(struct box_relay *r, int sig) {
    if (sig > 0 && sig < 65 && sig != SIGCHLD && sig != SIGWINCH) syscall(SYS_pidfd_send_signal, r->pidfd, sig, NULL, 0);
}

/* One frame from client i; drops the client when it is gone or misbehaves. */
static void client_input(struct box_relay *r, int i) {
    unsigned char buf[CHUNK];
    int type;
    uint32_t len;
    if (frame_recv(r->clients[i], &type, buf, sizeof buf, &len) != 1) {
        drop_client(r, i);
        return;
    }
    switch (type) {
    case BOX_FRAME_STDIN:
        if (r->in_fd >= 0 && !r->exited && write_all(r->in_fd, buf, len) < 0) close_stdin(r);
        break;
    case BOX_FRAME_STDIN_EOF:
        close_stdin(r);
        break;
    case BOX_FRAME_RESIZE:
        if (len == 4 && r->master_fd >= 0)
            box_tty_set_size(r->master_fd, (uint16_t)(buf[0] << 8 | buf[1]), (uint16_t)(buf[2] << 8 | buf[3]));
        break;
    case BOX_FRAME_SIGNAL:
        if (len == 4) send_signal(r, (int)be32(buf));
        break;
    }
}

static void local_input(struct box_relay *r) {
    char buf[CHUNK];
    ssize_t n;
    do { n = read(r->local_in, buf, sizeof buf); } while (n < 0 && errno == EINTR);
    if (n > 0 && r->in_fd >= 0 && write_all(r->in_fd, buf, (size_t)n) == 0) return;
    if (n < 0 && errno == EAGAIN) return;
    r->local_in = -1;
    close_stdin(r);
}

static void on_signal(struct box_relay *r) {
    struct signalfd_siginfo si;
    ssize_t n;
    do { n = read(r->signal_fd, &si, sizeof si); } while (n < 0 && errno == EINTR);
    if (n != (ssize_t)sizeof si) return;
    if ((int)si.ssi_signo == SIGWINCH) {
        uint16_t rows, cols;
        if (r->local_tty >= 0 && r->master_fd >= 0 && box_tty_get_size(r->local_tty, &rows, &cols) == 0)
            box_tty_set_size(r->master_fd, rows, cols);
        return;
    }
    send_signal(r, (int)si.ssi_signo);
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum { W_PID, W_OUT, W_ERR, W_LOCAL, W_SIG, W_LISTEN, W_CLIENT0 };

int box_relay_run(struct box_relay *r) {
    long long deadline = r->timer_ms > 0 ? now_ms() + r->timer_ms : -1;
    long long drain_until = -1;
    /* a tty's master is both the output and the input: output ends when the container does */
    int out_open = r->out_fd >= 0, err_open = r->err_fd >= 0;
    for (;;) {
        if (r->exited && !out_open && !err_open) return BOX_RELAY_EXITED;
        struct pollfd p[W_CLIENT0 + BOX_RELAY_MAX_CLIENTS];
        int n = W_CLIENT0 + r->n_clients;
        for (int i = 0; i < n; i++) { p[i].fd = -1; p[i].events = POLLIN; p[i].revents = 0; }
        if (!r->exited) p[W_PID].fd = r->pidfd;
        if (out_open) p[W_OUT].fd = r->out_fd;
        if (err_open) p[W_ERR].fd = r->err_fd;
        if (!r->exited) {
            p[W_LOCAL].fd = r->local_in;
            p[W_SIG].fd = r->signal_fd;
            p[W_LISTEN].fd = r->listen_fd;
            for (int i = 0; i < r->n_clients; i++) p[W_CLIENT0 + i].fd = r->clients[i];
        }
        long long now = now_ms();
        int timeout = -1;
        if (deadline >= 0 && !r->exited) timeout = deadline > now ? (int)(deadline - now) : 0;
        if (drain_until >= 0) timeout = drain_until > now ? (int)(drain_until - now) : 0;
        int got = poll(p, (nfds_t)n, timeout);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return -1;
        if (got == 0) {
            if (r->exited) return BOX_RELAY_EXITED;  /* something in the container kept its output open */
            if (deadline >= 0 && now_ms() >= deadline) return BOX_RELAY_TIMER;
            continue;
        }
        /* output first, so what the container wrote before it exited is never lost */
        if (out_open && p[W_OUT].revents) out_open = pump(r, r->out_fd, 1);
        if (err_open && p[W_ERR].revents) err_open = pump(r, r->err_fd, 2);
        if (p[W_PID].revents) {
            r->exited = 1;
            drain_until = now_ms() + DRAIN_MS;
            continue;
        }
        if (p[W_LOCAL].revents) local_input(r);
        if (p[W_SIG].revents) on_signal(r);
        if (p[W_LISTEN].revents) {
            int c = accept4(r->listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (c >= 0 && box_relay_add_client(r, c) < 0) close(c);
        }
        for (int i = n - W_CLIENT0 - 1; i >= 0; i--)
            if (i < r->n_clients && p[W_CLIENT0 + i].revents) client_input(r, i);
    }
}

void box_relay_finish(struct box_relay *r, int exit_code) {
    unsigned char code[4];
    put_be32(code, (uint32_t)exit_code);
    while (r->n_clients > 0) {
        box_frame_send(r->clients[0], BOX_FRAME_EXIT, code, sizeof code);
        drop_client(r, 0);
    }
}

/* ---- the client ---- */

static int send_size(int sock, int tty_fd) {
    uint16_t rows, cols;
    if (tty_fd < 0 || box_tty_get_size(tty_fd, &rows, &cols) < 0) return 0;
    unsigned char b[4] = { (unsigned char)(rows >> 8), (unsigned char)rows, (unsigned char)(cols >> 8), (unsigned char)cols };
    return box_frame_send(sock, BOX_FRAME_RESIZE, b, sizeof b);
}

int box_attach_client(int sock, int in_fd, int out_fd, int err_fd, int tty_fd, int signal_fd,
                      const unsigned char *keys, int n_keys) {
    int matched = 0;
    unsigned char buf[CHUNK], out[CHUNK + 64];
    send_size(sock, tty_fd);
    for (;;) {
        struct pollfd p[3] = { { in_fd, POLLIN, 0 }, { sock, POLLIN, 0 }, { signal_fd, POLLIN, 0 } };
        int got = poll(p, 3, -1);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return -1;
        if (p[1].revents) {
            int type;
            uint32_t len;
            int r = frame_recv(sock, &type, buf, sizeof buf, &len);
            if (r != 1) return -1;
            if (type == BOX_FRAME_EXIT && len == 4) return (int)be32(buf);
            int fd = type == BOX_FRAME_STDERR && err_fd >= 0 ? err_fd : out_fd;
            if (fd >= 0 && write_all(fd, buf, len) < 0) { if (fd == out_fd) out_fd = -1; else err_fd = -1; }
        }
        if (p[0].revents) {
            ssize_t n;
            do { n = read(in_fd, buf, CHUNK); } while (n < 0 && errno == EINTR);
            if (n <= 0) {
                box_frame_send(sock, BOX_FRAME_STDIN_EOF, NULL, 0);
                in_fd = -1;
            } else {
                /* the detach keys are held back until they match in full (then detach) or not (then sent) */
                size_t o = 0;
                for (ssize_t i = 0; i < n; i++) {
                    unsigned char b = buf[i];
                    if (n_keys > 0 && b == keys[matched]) {
                        if (++matched == n_keys) {
                            if (o) box_frame_send(sock, BOX_FRAME_STDIN, out, (uint32_t)o);
                            return -2;
                        }
                        continue;
                    }
                    if (matched) {
                        memcpy(out + o, keys, (size_t)matched);
                        o += (size_t)matched;
                        matched = 0;
                        if (n_keys > 0 && b == keys[0]) { matched = 1; continue; }
                    }
                    out[o++] = b;
                    if (o >= CHUNK) { box_frame_send(sock, BOX_FRAME_STDIN, out, (uint32_t)o); o = 0; }
                }
                if (o && box_frame_send(sock, BOX_FRAME_STDIN, out, (uint32_t)o) < 0) return -1;
            }
        }
        if (p[2].revents) {
            struct signalfd_siginfo si;
            if (read(signal_fd, &si, sizeof si) == (ssize_t)sizeof si) {
                if ((int)si.ssi_signo == SIGWINCH) {
                    send_size(sock, tty_fd);
                } else {
                    unsigned char b[4];
                    put_be32(b, si.ssi_signo);
                    box_frame_send(sock, BOX_FRAME_SIGNAL, b, sizeof b);
                }
            }
        }
    }
}

/* ---- sockets and the monitor's start ---- */

static int unix_at(const char *dir, const char *name, struct sockaddr_un *sa, int *dirfd) {
    *dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (*dirfd < 0) return -1;
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    int n = snprintf(sa->sun_path, sizeof sa->sun_path, "/proc/self/fd/%d/%s", *dirfd, name);
    if (n < 0 || (size_t)n >= sizeof sa->sun_path) { close(*dirfd); errno = ENAMETOOLONG; return -1; }
    return 0;
}

int box_unix_listen(const char *dir, const char *name) {
    struct sockaddr_un sa;
    int dirfd;
    if (unix_at(dir, name, &sa, &dirfd) < 0) return -1;
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s >= 0) {
        unlinkat(dirfd, name, 0);
        if (bind(s, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(s, 8) < 0) { close(s); s = -1; }
    }
    int e = errno;
    close(dirfd);
    errno = e;
    return s;
}

int box_unix_connect(const char *dir, const char *name) {
    struct sockaddr_un sa;
    int dirfd;
    if (unix_at(dir, name, &sa, &dirfd) < 0) return -1;
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s >= 0 && connect(s, (struct sockaddr *)&sa, sizeof sa) < 0) { close(s); s = -1; }
    int e = errno;
    close(dirfd);
    errno = e;
    return s;
}

pid_t box_spawn_monitor(char *const argv[], int notify_fd, int client_fd) {
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDWR, 0);
    posix_spawn_file_actions_adddup2(&fa, 0, 1);
    posix_spawn_file_actions_adddup2(&fa, 0, 2);
    if (notify_fd >= 0) posix_spawn_file_actions_adddup2(&fa, notify_fd, 3);
    if (client_fd >= 0) posix_spawn_file_actions_adddup2(&fa, client_fd, 4);
    /* every other fd: closed, whether or not it was close-on-exec */
    posix_spawn_file_actions_addclosefrom_np(&fa, client_fd >= 0 ? 5 : notify_fd >= 0 ? 4 : 3);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    extern char **environ;
    pid_t pid;
    int err = posix_spawn(&pid, argv[0], &fa, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (err != 0) { errno = err; return -1; }
    return pid;
}
