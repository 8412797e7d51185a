/* The last steps of a container's process, shared by the start path (spawn.c) and exec (exec.c): report a
 * failed step, drop capabilities, take the user's identity, open the terminal, exec after a $PATH search.
 * Only system calls and this file's code: these run between clone and execve in a copy of a
 * multi-threaded parent, so nothing here may allocate or take a lock. */
#define _GNU_SOURCE
#include "child.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>
#include <grp.h>

void sappend(char *buf, size_t cap, const char *s) {
    size_t n = strlen(buf);
    while (*s && n + 1 < cap) buf[n++] = *s++;
    buf[n] = 0;
}

/* Reports a failed step to the parent and exits. The step names the object, e.g. "mount proc on /proc". */
void fail(int errfd, int code, int err, const char *a, const char *b, const char *c) {
    struct box_child_error e;
    memset(&e, 0, sizeof e);
    e.err = err;
    e.exit_code = code;
    sappend(e.step, sizeof e.step, a);
    if (b) sappend(e.step, sizeof e.step, b);
    if (c) sappend(e.step, sizeof e.step, c);
    ssize_t unused = write(errfd, &e, sizeof e);
    (void)unused;
    _exit(code);
}

void install_seccomp(struct child *c) {
    const struct box_spawn_config *cfg = c->cfg;
    if (!cfg->seccomp_filter || cfg->seccomp_len == 0) return;
    struct sock_fprog prog = { (unsigned short)cfg->seccomp_len, (struct sock_filter *)cfg->seccomp_filter };
    if (cfg->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail(c->errfd, 125, errno, "set no_new_privs", NULL, NULL);
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) fail(c->errfd, 125, errno, "install seccomp filter", NULL, NULL);
}

void set_limits(struct child *c) {
    const struct box_spawn_config *cfg = c->cfg;
    for (int i = 0; i < cfg->n_rlimits; i++) {
        struct rlimit rl = { (rlim_t)cfg->rlimits[i].soft, (rlim_t)cfg->rlimits[i].hard };
        if (setrlimit(cfg->rlimits[i].resource, &rl) < 0) fail(c->errfd, 125, errno, "setrlimit", NULL, NULL);
    }
    if (cfg->set_oom_score_adj) {
        char buf[16];
        int n = 0, v = cfg->oom_score_adj;
        unsigned u = v < 0 ? (unsigned)-v : (unsigned)v;
        char tmp[12];
        do { tmp[n++] = (char)('0' + u % 10); u /= 10; } while (u);
        int k = 0;
        if (v < 0) buf[k++] = '-';
        while (n) buf[k++] = tmp[--n];
        int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, buf, (size_t)k) != k) fail(c->errfd, 125, errno, "write oom_score_adj", NULL, NULL);
        close(fd);
    }
}

void set_capabilities(struct child *c) {
    const struct box_spawn_config *cfg = c->cfg;
    /* until exec this process is a copy of box: non-dumpable, so the container's processes cannot open its
     * /proc/PID/exe (box's binary on the host, CVE-2019-5736) or its memory; exec makes the command dumpable
     * again. Before the init's fork, so box's init (which never execs) is never reachable either. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) fail(c->errfd, 125, errno, "make process non-dumpable", NULL, NULL);
    /* the bounding set first: dropping it needs CAP_SETPCAP, which setuid may take away */
    for (int cap = 0; cap < 64; cap++) {
        if (cfg->cap_bounding & (1ULL << cap)) continue;
        if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 1) continue;
        if (cap_drop_bound((cap_value_t)cap) < 0) fail(c->errfd, 125, errno, "drop capability from bounding set", NULL, NULL);
    }
}

void set_identity(struct child *c) {
    const struct box_spawn_config *cfg = c->cfg;
    /* groups before the gid, the gid before the uid: each needs the privilege the next drops */
    if (setgroups((size_t)cfg->n_groups, cfg->groups) < 0) fail(c->errfd, 125, errno, "setgroups", NULL, NULL);
    if (setresgid(cfg->gid, cfg->gid, cfg->gid) < 0) fail(c->errfd, 125, errno, "setgid", NULL, NULL);
    if (setresuid(cfg->uid, cfg->uid, cfg->uid) < 0) fail(c->errfd, 125, errno, "setuid", NULL, NULL);
    /* a non-root uid lost its permitted and effective sets in setresuid; root gets the default set */
    struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    if (cfg->uid == 0) {
        data[0].effective = data[0].permitted = (uint32_t)(cfg->cap_effective & cfg->cap_bounding);
        data[1].effective = data[1].permitted = (uint32_t)((cfg->cap_effective & cfg->cap_bounding) >> 32);
    }
    if (syscall(SYS_capset, &hdr, data) < 0) fail(c->errfd, 125, errno, "set capabilities", NULL, NULL);
    /* one call (libcap's cap_reset_ambient asks about each capability first) */
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        fail(c->errfd, 125, errno, "clear ambient capabilities", NULL, NULL);
    if (cfg->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail(c->errfd, 125, errno, "set no_new_privs", NULL, NULL);
}

/* The working directory must be inside the container's root: a `-w /proc/self/fd/N` naming a directory fd of
 * box's that was still open (CVE-2024-21626) would leave it on the host, where the kernel calls it unreachable. */
static void check_cwd(struct child *c) {
    char buf[4096];
    long n = syscall(SYS_getcwd, buf, sizeof buf);
    if ((n < 0 && errno == ENOENT) || (n > 0 && strncmp(buf, "(unreachable)", 13) == 0))
        fail(c->errfd, 125, EPERM, "current working directory is outside of container mount namespace root -- possible container breakout detected", NULL, NULL);
}

void exec_command(struct child *c) {
    const struct box_spawn_config *cfg = c->cfg;
    check_cwd(c);
    const char *file = cfg->argv[0];
    char *const *argv = (char *const *)cfg->argv;
    char *const *envp = (char *const *)cfg->envp;
    if (strchr(file, '/')) {
        execve(file, argv, envp);
        int e = errno;
        if (e == ENOENT) fail(c->errfd, 127, e, "exec: \"", file, "\": stat: no such file or directory");
        fail(c->errfd, 126, e, "exec: \"", file, "\"");
    }
    const char *p = cfg->path ? cfg->path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    int saw_eacces = 0, last = ENOENT;
    while (1) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char buf[4096];
        if (len + strlen(file) + 2 < sizeof buf) {
            memcpy(buf, p, len);
            buf[len] = 0;
            if (len == 0) strcpy(buf, ".");
            sappend(buf, sizeof buf, "/");
            sappend(buf, sizeof buf, file);
            execve(buf, argv, envp);
            if (errno == EACCES) saw_eacces = 1;
            else if (errno != ENOENT && errno != ENOTDIR) last = errno;
        }
        if (!end) break;
        p = end + 1;
    }
    if (saw_eacces) fail(c->errfd, 126, EACCES, "exec: \"", file, "\"");
    if (last != ENOENT) fail(c->errfd, 126, last, "exec: \"", file, "\"");
    fail(c->errfd, 127, ENOENT, "exec: \"", file, "\": executable file not found in $PATH");
}

/* The container's terminal: a pty of the container's own devpts (so `tty` names it inside), made the
 * controlling terminal of a new session and the stdio of the command; its master goes to the parent. */
void fd_path(char *buf, size_t cap, int fd) {
    char digits[16];
    int i = 15;
    digits[i] = 0;
    do { digits[--i] = (char)('0' + fd % 10); fd /= 10; } while (fd > 0 && i > 0);
    buf[0] = 0;
    sappend(buf, cap, "/proc/self/fd/");
    sappend(buf, cap, digits + i);
}

int send_fd(int sock, int fd) {
    char byte = 0;
    struct iovec iov = { &byte, 1 };
    union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
    memset(&u, 0, sizeof u);
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = u.buf;
    msg.msg_controllen = sizeof u.buf;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof fd);
    ssize_t n;
    do { n = sendmsg(sock, &msg, MSG_NOSIGNAL); } while (n < 0 && errno == EINTR);
    return n == 1 ? 0 : -1;
}

void setup_console(struct child *c) {
    const struct box_spawn_config *cfg = c->cfg;
    int master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) fail(c->errfd, 125, errno, "open /dev/pts/ptmx", NULL, NULL);
    int unlock = 0;
    if (ioctl(master, TIOCSPTLCK, &unlock) < 0) fail(c->errfd, 125, errno, "unlock pty", NULL, NULL);
    int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) fail(c->errfd, 125, errno, "open pty peer", NULL, NULL);
    if (cfg->tty_rows && cfg->tty_cols) {
        struct winsize ws;
        memset(&ws, 0, sizeof ws);
        ws.ws_row = cfg->tty_rows;
        ws.ws_col = cfg->tty_cols;
        ioctl(slave, TIOCSWINSZ, &ws);
    }
    if (setsid() < 0) fail(c->errfd, 125, errno, "setsid", NULL, NULL);
    if (ioctl(slave, TIOCSCTTY, 0) < 0) fail(c->errfd, 125, errno, "set controlling terminal", NULL, NULL);
    for (int fd = 0; fd < 3; fd++)
        if (dup2(slave, fd) < 0) fail(c->errfd, 125, errno, "dup pty", NULL, NULL);
    if (slave > 2) close(slave);
    if (send_fd(cfg->console_fd, master) < 0) fail(c->errfd, 125, errno, "send pty master", NULL, NULL);
    close(master);
    close(cfg->console_fd);
}

void setup_stdio(struct child *c, int console) {
    const struct box_spawn_config *cfg = c->cfg;
    if (console) {
        setup_console(c);
    } else {
        /* a session of its own, as under Docker: the caller's terminal signals box, which passes them on once */
        setsid();
        if (cfg->stdin_fd >= 0 && dup2(cfg->stdin_fd, 0) < 0) fail(c->errfd, 125, errno, "dup stdin", NULL, NULL);
        if (cfg->stdout_fd >= 0 && dup2(cfg->stdout_fd, 1) < 0) fail(c->errfd, 125, errno, "dup stdout", NULL, NULL);
        if (cfg->stderr_fd >= 0 && dup2(cfg->stderr_fd, 2) < 0) fail(c->errfd, 125, errno, "dup stderr", NULL, NULL);
    }
    /* no fd of box's may reach the container: all above 2 close at exec (the error pipe included) */
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) fail(c->errfd, 125, errno, "close_range", NULL, NULL);
}
