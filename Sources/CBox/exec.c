/* `box exec`'s processes: the helper that joins a running container and the command's process that it
 * clones. See cbox_exec.h. Both run between clone and execve in a copy of a multi-threaded parent:
 * only this code and system calls, no malloc, no stdio. */
#define _GNU_SOURCE
#include "cbox_exec.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "child.h"

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* A new process with fork semantics; with CLONE_PARENT it is the caller's sibling (and exit_signal must be 0:
 * it inherits the caller's). cgroup_fd >= 0 starts it in that cgroup v2 directory. */
static pid_t clone_process(uint64_t flags, int cgroup_fd) {
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = flags;
    args.exit_signal = (flags & CLONE_PARENT) ? 0 : SIGCHLD;
    if (cgroup_fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = (uint64_t)cgroup_fd;
    }
    return (pid_t)syscall(SYS_clone3, &args, sizeof args);
}

/* 1 when n bytes were read, 0 on EOF before any, -1 on error or a short read. */
static int read_full(int fd, void *buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) return got == 0 ? 0 : -1;
        got += (size_t)r;
    }
    return 1;
}

static void reap(pid_t pid) {
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
}

/* -d: the command becomes a grandchild in a new session, and this process exits, so the command is reparented
 * to the container's init (the reaper of this process's pid namespace), not to box's. This process waits only
 * for the exec: a failure is passed on to the caller after the grandchild is reaped, so it leaves no zombie. */
static void detach(int *errfd) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) fail(*errfd, 125, errno, "pipe for detached command", NULL, NULL);
    pid_t g = clone_process(0, -1);
    if (g < 0) fail(*errfd, 125, errno, "fork detached command", NULL, NULL);
    if (g == 0) {
        close(p[0]);
        *errfd = p[1];
        if (setsid() < 0) fail(*errfd, 125, errno, "setsid", NULL, NULL);
        return;
    }
    close(p[1]);
    struct box_child_error e;
    int r = read_full(p[0], &e, sizeof e);
    if (r == 1) {
        reap(g);
        ssize_t unused = write(*errfd, &e, sizeof e);
        (void)unused;
        _exit(e.exit_code);
    }
    _exit(0);
}

/* The command's process: in the container's namespaces but its cgroup namespace, with box's identity still. */
static void __attribute__((noreturn)) command_main(const struct box_exec_config *cfg, int errfd) {
    const struct box_spawn_config *p = &cfg->process;

    /* the parent blocked signals for its signalfd; ignored ones would survive exec */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);

    /* here, not in the helper: CLONE_INTO_CGROUP is checked against the cloning process's cgroup namespace */
    if ((cfg->ns_flags & BOX_CLONE_NEWCGROUP) && setns(cfg->pidfd, CLONE_NEWCGROUP) < 0)
        fail(errfd, 125, errno, "join the container's cgroup namespace", NULL, NULL);
    if (cfg->detach) detach(&errfd);
    struct child c = { p, -1, errfd };

    /* the working directory as root first, as runc does (a directory only root may enter still works);
     * if root was refused (root squashed on NFS), again as the user */
    int in_cwd = p->cwd == NULL || chdir(p->cwd) == 0;
    if (!in_cwd && errno != EACCES && errno != EPERM) fail(errfd, 126, errno, "chdir to ", p->cwd, NULL);
    set_limits(&c);
    install_seccomp(&c);
    set_capabilities(&c);
    set_identity(&c);
    if (!in_cwd && chdir(p->cwd) < 0) fail(errfd, 126, errno, "chdir to ", p->cwd, NULL);

    setup_stdio(&c, p->console_fd >= 0 && !cfg->detach);
    exec_command(&c);
}

/* The helper: joins the cgroup, then the namespaces, clones the command's process, reports its pid, exits. */
static void __attribute__((noreturn)) helper_main(const struct box_exec_config *cfg, int pid_w, int errfd) {
    /* non-dumpable before anything of the container is joined: the command's process inherits it until its exec,
     * so nothing in the container can open its /proc/PID/exe (box's binary) or memory (CVE-2019-5736). The flag
     * is the memory's, which vfork shares: box_exec restores box's own when the helper is gone. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) fail(errfd, 125, errno, "make process non-dumpable", NULL, NULL);
    /* cgroup first, while /sys/fs/cgroup is still the host's; the command's process inherits it */
    for (int i = 0; i < cfg->n_cgroup_task_fds; i++) {
        if (cfg->cgroup_task_fds[i] >= 0 && write(cfg->cgroup_task_fds[i], "0", 1) != 1)
            fail(errfd, 125, errno, "join the container's cgroup", NULL, NULL);
    }
    /* one call joins them all, the user namespace first; the pid namespace applies to our children */
    int join = cfg->ns_flags & ~BOX_CLONE_NEWCGROUP;
    if (join && setns(cfg->pidfd, join) < 0) fail(errfd, 125, errno, "join the container's namespaces", NULL, NULL);
    /* CLONE_PARENT: the caller's child, so it waits for the command; ours would go to the host's init */
    pid_t pid = clone_process(CLONE_PARENT, cfg->cgroup_dir_fd);
    if (pid < 0) fail(errfd, 125, errno, "clone the command's process", NULL, NULL);
    if (pid == 0) {
        close(pid_w);
        command_main(cfg, errfd);
    }
    ssize_t unused = write(pid_w, &pid, sizeof pid);
    (void)unused;
    _exit(0);
}

int box_exec(const struct box_exec_config *cfg, pid_t *pid, struct box_child_error *out) {
    int pidp[2], errp[2];
    if (pipe2(pidp, O_CLOEXEC) < 0) return -1;
    if (pipe2(errp, O_CLOEXEC) < 0) {
        int e = errno;
        close(pidp[0]);
        close(pidp[1]);
        errno = e;
        return -1;
    }
    /* vfork: the helper borrows this process's memory (no copy of it) and this thread waits until the helper
     * exits, which it does right after cloning the command's process (a copy, with fork semantics) */
    int dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
    pid_t helper = vfork();
    if (helper == 0) {
        close(pidp[0]);
        close(errp[0]);
        helper_main(cfg, pidp[1], errp[1]);
    }
    int saved = errno;
    if (dumpable > 0) prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0);
    close(pidp[1]);
    close(errp[1]);
    if (helper < 0) {
        close(pidp[0]);
        close(errp[0]);
        errno = saved;
        return -1;
    }
    /* the pid, or EOF when the helper failed before the clone */
    pid_t command = 0;
    int got = read_full(pidp[0], &command, sizeof command);
    close(pidp[0]);
    if (got != 1) command = 0;
    /* a report, or EOF once the command exec'd (close-on-exec) and the helper exited */
    memset(out, 0, sizeof *out);
    int report = box_spawn_result(errp[0], out);
    close(errp[0]);
    reap(helper);
    if (report != 0) {
        if (command > 0) reap(command);
        if (report < 0) {
            out->err = EPROTO;
            out->exit_code = 125;
            memcpy(out->step, "read the exec's report", sizeof "read the exec's report");
        }
        return 1;
    }
    if (command <= 0) {
        out->err = ECHILD;
        out->exit_code = 125;
        memcpy(out->step, "start the command's process", sizeof "start the command's process");
        return 1;
    }
    if (cfg->detach) {
        reap(command);
        command = 0;
    }
    *pid = command;
    return 0;
}

int box_open_in_root(int rootfd, const char *path, int flags) { return open_in_root(rootfd, path, flags); }
