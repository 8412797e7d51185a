/* `box cp` with a stopped container: the mount helper. See cbox_copy.h. After the clone the helper runs
 * only this file's code and system calls: no malloc, no stdio. */
#define _GNU_SOURCE
#include "cbox_copy.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cbox_exec.h"
#include "child.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif


static void mount_one(int rootfd, const struct box_copy_mount *m, int errfd) {
    char p[64];
    int fd;
    if (m->fstype == NULL) {
        struct stat st;
        if (stat(m->source, &st) < 0) fail(errfd, 125, errno, "bind mount source ", m->source, NULL);
        fd = make_in_root(rootfd, m->target, S_ISDIR(st.st_mode));
        if (fd < 0) fail(errfd, 125, errno, "create mount point ", m->target, NULL);
        fd_path(p, sizeof p, fd);
        if (mount(m->source, p, NULL, MS_BIND | MS_REC, NULL) < 0) fail(errfd, 125, errno, "bind mount ", m->source, NULL);
        close(fd);
        if (m->flags & MS_RDONLY) {
            /* reopened: the fd above names the mount point, not the new mount on it */
            fd = box_open_in_root(rootfd, m->target, O_PATH);
            if (fd < 0) fail(errfd, 125, errno, "remount read-only ", m->target, NULL);
            fd_path(p, sizeof p, fd);
            unsigned long keep = mount_flags_of(p) | (m->flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC));
            if (mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | keep, NULL) < 0)
                fail(errfd, 125, errno, "remount read-only ", m->target, NULL);
            close(fd);
        }
        return;
    }
    fd = make_in_root(rootfd, m->target, 1);
    if (fd < 0) fail(errfd, 125, errno, "create mount point ", m->target, NULL);
    fd_path(p, sizeof p, fd);
    if (mount(m->source, p, m->fstype, m->flags, m->data) < 0) fail(errfd, 125, errno, "mount on ", m->target, NULL);
    close(fd);
}

/* Sends fd over the socket as the one message of a successful setup. */
static void __attribute__((noreturn)) helper_main(const struct box_copy_root *cfg, int sock) {
    /* nothing of box's but the socket: a copy of a lock or a pipe end must not outlive box's own */
    if (sock > 3) syscall(SYS_close_range, 3U, (unsigned)sock - 1, 0);
    syscall(SYS_close_range, (unsigned)sock + 1, ~0U, 0);

    /* first: nothing mounted below may propagate back to the host's namespace */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) fail(sock, 125, errno, "make / private", NULL, NULL);
    /* in the layers directory, so lowerdir holds short relative paths (the page-size limit of the options) */
    if (cfg->overlay_cwd && chdir(cfg->overlay_cwd) < 0) fail(sock, 125, errno, "chdir to ", cfg->overlay_cwd, NULL);
    if (mount("overlay", cfg->rootfs, "overlay", cfg->readonly ? MS_RDONLY : 0, cfg->overlay_data) < 0)
        fail(sock, 125, errno, "mount overlay on ", cfg->rootfs, NULL);
    int rootfd = open(cfg->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) fail(sock, 125, errno, "open rootfs ", cfg->rootfs, NULL);
    /* in the spec's order, shallowest first, so a mount inside another lands on top of it */
    for (int i = 0; i < cfg->n_mounts; i++) mount_one(rootfd, &cfg->mounts[i], sock);
    if (send_fd(sock, rootfd) < 0) _exit(125);
    close(rootfd);
    /* the mounts live while this process does: until the caller closes its end (or dies) */
    char byte;
    for (;;) {
        ssize_t r = read(sock, &byte, 1);
        if (r == 0 || (r < 0 && errno != EINTR)) break;
    }
    _exit(0);
}

static void reap(pid_t pid) {
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
}

pid_t box_copy_mount_root(const struct box_copy_root *cfg, int *root_fd, int *hold_fd, struct box_child_error *out) {
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) return -1;
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = CLONE_NEWNS;
    args.exit_signal = SIGCHLD;
    pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
    if (pid == 0) {
        close(sp[0]);
        helper_main(cfg, sp[1]);
    }
    int saved = errno;
    close(sp[1]);
    if (pid < 0) {
        close(sp[0]);
        errno = saved;
        return -1;
    }
    /* one message: a byte with the root fd, or the failed step's report */
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof u);
    memset(out, 0, sizeof *out);
    struct iovec iov = { out, sizeof *out };
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = u.buf;
    msg.msg_controllen = sizeof u.buf;
    ssize_t n;
    do { n = recvmsg(sp[0], &msg, MSG_CMSG_CLOEXEC); } while (n < 0 && errno == EINTR);
    int e = errno;
    struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
    if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && n == 1) {
        memcpy(root_fd, CMSG_DATA(c), sizeof(int));
        *hold_fd = sp[0];
        return pid;
    }
    close(sp[0]);
    reap(pid);
    if (n == (ssize_t)sizeof *out) {
        out->step[sizeof out->step - 1] = 0;
        return 0;
    }
    errno = n < 0 ? e : EPROTO;
    return -1;
}

void box_copy_release(pid_t pid, int hold_fd) {
    close(hold_fd);
    reap(pid);
}

int box_rename_noreplace(int olddirfd, const char *oldname, int newdirfd, const char *newname) {
    return (int)syscall(SYS_renameat2, olddirfd, oldname, newdirfd, newname, RENAME_NOREPLACE);
}

long box_fs_type(int fd) {
    struct statfs sf;
    if (fstatfs(fd, &sf) < 0) return -1;
    return (long)sf.f_type;
}
