/* The container's start path: clone3 into new namespaces, wait for the parent, set up, exec.
 * The child runs only this file's code and system calls: no malloc, no stdio, no Swift, because
 * the parent may be multi-threaded and only async-signal-safe work is sound after the clone. */
#define _GNU_SOURCE
#include "cbox.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <linux/openat2.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <grp.h>
#include "child.h"

/* paths inside the root (open_in_root, make_in_root, …) are in root.c, shared with cp's mount helper */

/* Remounts the mount at target read-only, keeping the flags it has (needed in a user namespace). */
static int remount_ro(int rootfd, const char *target, unsigned long extra) {
    int fd = open_in_root(rootfd, target, O_PATH);
    if (fd < 0) return -1;
    char p[64];
    fd_path(p, sizeof p, fd);
    int r = mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | mount_flags_of(p) | extra, NULL);
    close(fd);
    return r;
}

/* ---- the steps ---- */

static void do_mount(struct child *c, int rootfd, const struct box_mount *m) {
    int errfd = c->errfd;
    char p[64];
    int fd;
    struct stat st;
    switch (m->kind) {
    case BOX_MOUNT_FS:
        fd = make_in_root(rootfd, m->target, 1);
        if (fd < 0) fail(errfd, 125, errno, "create mount point ", m->target, NULL);
        fd_path(p, sizeof p, fd);
        if (mount(m->source, p, m->fstype, m->flags, m->data) < 0)
            fail(errfd, 125, errno, "mount on ", m->target, NULL);
        close(fd);
        break;
    case BOX_MOUNT_BIND:
        if (stat(m->source, &st) < 0) fail(errfd, 125, errno, "bind mount source ", m->source, NULL);
        fd = make_in_root(rootfd, m->target, S_ISDIR(st.st_mode));
        if (fd < 0) fail(errfd, 125, errno, "create mount point ", m->target, NULL);
        fd_path(p, sizeof p, fd);
        if (mount(m->source, p, NULL, MS_BIND | MS_REC, NULL) < 0)
            fail(errfd, 125, errno, "bind mount ", m->source, NULL);
        close(fd);
        if ((m->flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)) != 0) {
            if (m->flags & MS_RDONLY) {
                if (remount_ro(rootfd, m->target, m->flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC)) < 0)
                    fail(errfd, 125, errno, "remount read-only ", m->target, NULL);
            }
        }
        break;
    case BOX_MOUNT_MASK:
        fd = open_in_root(rootfd, m->target, O_PATH);
        if (fd < 0) { if (errno == ENOENT) break; fail(errfd, 125, errno, "mask ", m->target, NULL); }
        if (fstat(fd, &st) < 0) fail(errfd, 125, errno, "mask ", m->target, NULL);
        fd_path(p, sizeof p, fd);
        if (S_ISDIR(st.st_mode)) {
            if (mount("tmpfs", p, "tmpfs", MS_RDONLY, "size=0") < 0) fail(errfd, 125, errno, "mask ", m->target, NULL);
        } else if (mount("/dev/null", p, NULL, MS_BIND, NULL) < 0) {
            fail(errfd, 125, errno, "mask ", m->target, NULL);
        }
        close(fd);
        break;
    case BOX_MOUNT_READONLY:
        fd = open_in_root(rootfd, m->target, O_PATH);
        if (fd < 0) { if (errno == ENOENT) break; fail(errfd, 125, errno, "read-only path ", m->target, NULL); }
        fd_path(p, sizeof p, fd);
        if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0) fail(errfd, 125, errno, "read-only path ", m->target, NULL);
        close(fd);
        if (remount_ro(rootfd, m->target, MS_NOSUID | MS_NODEV | MS_NOEXEC) < 0)
            fail(errfd, 125, errno, "read-only path ", m->target, NULL);
        break;
    case BOX_MOUNT_DEVICE: {
        char scratch[4096];
        const char *name;
        int real = writable_parent(rootfd, m->target, scratch, sizeof scratch, &name);
        if (real < 0) fail(errfd, 125, errno, "create device ", m->target, NULL);
        if (mknodat(real, name, m->mode, makedev(m->dev_major, m->dev_minor)) == 0) {
            fchmodat(real, name, m->mode & 07777, 0);
            close(real);
            break;
        }
        if (errno != EPERM) fail(errfd, 125, errno, "create device ", m->target, NULL);
        /* without CAP_MKNOD (a user namespace) bind the host's node instead */
        close(real);
        fd = make_in_root(rootfd, m->target, 0);
        if (fd < 0) fail(errfd, 125, errno, "create device ", m->target, NULL);
        fd_path(p, sizeof p, fd);
        if (mount(m->source, p, NULL, MS_BIND, NULL) < 0) fail(errfd, 125, errno, "bind device ", m->source, NULL);
        close(fd);
        break;
    }
    case BOX_MOUNT_SYSCTL: {
        fd = open_in_root(rootfd, m->target, O_WRONLY | O_TRUNC);
        if (fd < 0) fail(errfd, 125, errno, "set sysctl ", m->target, NULL);
        size_t len = m->data ? strlen(m->data) : 0;
        ssize_t n = write(fd, m->data ? m->data : "", len);
        if (n < 0 || (size_t)n != len) fail(errfd, 125, n < 0 ? errno : EIO, "set sysctl ", m->target, NULL);
        close(fd);
        break;
    }
    case BOX_MOUNT_SYMLINK: {
        char scratch[4096];
        const char *name;
        int real = writable_parent(rootfd, m->target, scratch, sizeof scratch, &name);
        if (real < 0 || (symlinkat(m->source, real, name) < 0 && errno != EEXIST))
            fail(errfd, 125, errno, "create symlink ", m->target, NULL);
        close(real);
        break;
    }
    }
}

static void loopback_up(struct child *c) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) fail(c->errfd, 125, errno, "socket for loopback", NULL, NULL);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) fail(c->errfd, 125, errno, "read flags of lo", NULL, NULL);
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) fail(c->errfd, 125, errno, "bring up lo", NULL, NULL);
    close(s);
}


/* Makes /proc/self/cmdline read "init": init is a copy of box's memory, and its command line (box's, with host
 * paths) must not show inside the container. The argument area is found in /proc/self/stat (fields 48, 49). */
static void hide_cmdline(void) {
    char buf[1024];
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return;
    buf[n] = 0;
    /* fields resume after the command name's last ')'; that is field 2, so field 48 is 46 spaces further */
    char *p = strrchr(buf, ')');
    if (!p) return;
    unsigned long v[2] = { 0, 0 };
    int field = 2;
    for (; *p && field < 49; p++) {
        if (*p != ' ') continue;
        field++;
        if (field == 48 || field == 49) {
            unsigned long x = 0;
            for (char *q = p + 1; *q >= '0' && *q <= '9'; q++) x = x * 10 + (unsigned long)(*q - '0');
            v[field - 48] = x;
        }
    }
    if (v[0] == 0 || v[1] <= v[0] + 5) return;
    memset((void *)v[0], 0, v[1] - v[0]);
    memcpy((void *)v[0], "init", 5);
}

/* box's init, PID 1 of the container (`--init`): the command runs as its child; init forwards every signal
 * to it, reaps every orphan, and exits with the command's code. It never execs, so it cannot be reached
 * through /proc/1/exe: it is made non-dumpable first. */
static void __attribute__((noreturn)) run_init(struct child *c) {
    sigset_t all, old;
    sigfillset(&all);
    /* blocked before the fork, so a signal sent in between waits for sigwaitinfo instead of being lost */
    sigprocmask(SIG_BLOCK, &all, &old);
    pid_t child = fork();
    if (child < 0) fail(c->errfd, 125, errno, "fork command under init", NULL, NULL);
    if (child == 0) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        exec_command(c);
    }
    /* init never execs, so nothing of box's is closed for it: it keeps only stdio. The error pipe goes too:
     * the parent's EOF on it now comes from the command's exec */
    syscall(SYS_close_range, 3U, ~0U, 0);
    prctl(PR_SET_NAME, "init", 0, 0, 0);
    hide_cmdline();
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(&all, &si);
        if (sig < 0) continue;
        if (sig != SIGCHLD) {
            kill(child, sig);
            continue;
        }
        int status;
        pid_t p;
        while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
            if (p != child) continue;
            if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
            _exit(128 + WTERMSIG(status));
        }
    }
}

static void __attribute__((noreturn)) child_main(struct child *c) {
    const struct box_spawn_config *cfg = c->cfg;
    int errfd = c->errfd;

    /* the parent blocked signals for its signalfd; ignored ones would survive exec */
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
    if (cfg->death_signal && prctl(PR_SET_PDEATHSIG, cfg->death_signal) < 0)
        fail(errfd, 125, errno, "set parent death signal", NULL, NULL);
    /* until exec this process is a copy of box: from the moment a `box exec` could join its namespaces,
     * nothing in the container may open its /proc/PID/exe or memory (CVE-2019-5736); execve resets it */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) fail(errfd, 125, errno, "make the process non-dumpable", NULL, NULL);

    /* first byte: the parent has done what must precede any setup (later: id maps); EOF means it died */
    char go;
    if (read(c->syncfd, &go, 1) != 1) _exit(125);

    /* nothing we mount may propagate back to the host */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) fail(errfd, 125, errno, "make / private", NULL, NULL);
    if (cfg->overlay_data) {
        if (cfg->overlay_cwd && chdir(cfg->overlay_cwd) < 0) fail(errfd, 125, errno, "chdir to ", cfg->overlay_cwd, NULL);
        if (mount("overlay", cfg->rootfs, "overlay", 0, cfg->overlay_data) < 0)
            fail(errfd, 125, errno, "mount overlay on ", cfg->rootfs, NULL);
    } else if (mount(cfg->rootfs, cfg->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0) {
        /* pivot_root needs the new root to be a mount point */
        fail(errfd, 125, errno, "bind mount rootfs ", cfg->rootfs, NULL);
    }
    int rootfd = open(cfg->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) fail(errfd, 125, errno, "open rootfs ", cfg->rootfs, NULL);

    for (int i = 0; i < cfg->n_mounts; i++) do_mount(c, rootfd, &cfg->mounts[i]);

    if (cfg->cwd) {
        int fd = make_in_root(rootfd, cfg->cwd, 1);
        if (fd < 0) fail(errfd, 125, errno, "create working directory ", cfg->cwd, NULL);
        close(fd);
    }

    /* pivot with both roots at ".", then detach the old one: no directory to create or remove */
    if (fchdir(rootfd) < 0) fail(errfd, 125, errno, "chdir to rootfs", NULL, NULL);
    if (syscall(SYS_pivot_root, ".", ".") < 0) fail(errfd, 125, errno, "pivot_root", NULL, NULL);
    if (umount2(".", MNT_DETACH) < 0) fail(errfd, 125, errno, "detach old root", NULL, NULL);
    if (chdir("/") < 0) fail(errfd, 125, errno, "chdir /", NULL, NULL);
    close(rootfd);
    if (cfg->readonly_rootfs && mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
        fail(errfd, 125, errno, "remount / read-only", NULL, NULL);

    /* second byte: the parent has placed us in our cgroup and recorded our pid. The mounts above ran
     * meanwhile, overlapping the cgroup migration (an RCU grace period, ~10 ms on cgroup v1). */
    if (read(c->syncfd, &go, 1) != 1) _exit(125);
    close(c->syncfd);
    /* after the cgroup placement, so the namespace's root is our own cgroup; before setuid, which drops CAP_SYS_ADMIN */
    if (cfg->unshare_cgroupns && unshare(CLONE_NEWCGROUP) < 0) fail(errfd, 125, errno, "unshare cgroup namespace", NULL, NULL);

    if (cfg->hostname && sethostname(cfg->hostname, strlen(cfg->hostname)) < 0)
        fail(errfd, 125, errno, "sethostname", NULL, NULL);
    if (cfg->loopback_up) loopback_up(c);

    set_limits(c);
    install_seccomp(c);
    set_capabilities(c);
    set_identity(c);
    if (cfg->cwd && chdir(cfg->cwd) < 0) fail(errfd, 125, errno, "chdir to ", cfg->cwd, NULL);

    setup_stdio(c, cfg->console_fd >= 0);

    if (cfg->init) run_init(c);
    exec_command(c);
}

pid_t box_spawn(const struct box_spawn_config *cfg, int *pidfd, int *release_fd, int *error_fd) {
    int syncp[2], errp[2];
    if (pipe2(syncp, O_CLOEXEC) < 0) return -1;
    if (pipe2(errp, O_CLOEXEC) < 0) { close(syncp[0]); close(syncp[1]); return -1; }
    int pfd = -1;
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = (uint64_t)cfg->clone_flags | CLONE_PIDFD;
    args.pidfd = (uint64_t)(uintptr_t)&pfd;
    args.exit_signal = SIGCHLD;
    pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
    if (pid == 0) {
        close(syncp[1]);
        close(errp[0]);
        struct child c = { cfg, syncp[0], errp[1] };
        child_main(&c);
    }
    int saved = errno;
    close(syncp[0]);
    close(errp[1]);
    if (pid < 0) {
        close(syncp[1]);
        close(errp[0]);
        errno = saved;
        return -1;
    }
    *pidfd = pfd;
    *release_fd = syncp[1];
    *error_fd = errp[0];
    return pid;
}

int box_spawn_go(int release_fd) {
    char go = 1;
    ssize_t n;
    do { n = write(release_fd, &go, 1); } while (n < 0 && errno == EINTR);
    return n == 1 ? 0 : -1;
}

int box_spawn_release(int release_fd) {
    char go = 1;
    ssize_t n;
    do { n = write(release_fd, &go, 1); } while (n < 0 && errno == EINTR);
    close(release_fd);
    return n == 1 ? 0 : -1;
}

int box_spawn_result(int error_fd, struct box_child_error *out) {
    size_t got = 0;
    while (got < sizeof *out) {
        ssize_t n = read(error_fd, (char *)out + got, sizeof *out - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        if (n == 0) break;
        got += (size_t)n;
    }
    if (got == 0) return 0;
    out->step[sizeof out->step - 1] = 0;
    return got == sizeof *out ? 1 : -1;
}
