/* Thin wrappers for calls and macros that Swift's Glibc module does not expose. */
#define _GNU_SOURCE
#include "cbox.h"
#include <errno.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int box_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }
int box_pidfd_send_signal(int pidfd, int sig) { return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0); }

int box_wifexited(int status) { return WIFEXITED(status); }
int box_wexitstatus(int status) { return WEXITSTATUS(status); }
int box_wifsignaled(int status) { return WIFSIGNALED(status); }
int box_wtermsig(int status) { return WTERMSIG(status); }

int box_signalfd(const int *signals, int n) {
    sigset_t set;
    sigemptyset(&set);
    for (int i = 0; i < n; i++) sigaddset(&set, signals[i]);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) return -1;
    return signalfd(-1, &set, SFD_CLOEXEC);
}

int box_signalfd_read(int fd) {
    struct signalfd_siginfo si;
    ssize_t n;
    do { n = read(fd, &si, sizeof si); } while (n < 0 && errno == EINTR);
    return n == (ssize_t)sizeof si ? (int)si.ssi_signo : -1;
}

int box_mknod_whiteout(int dirfd, const char *name) { return mknodat(dirfd, name, S_IFCHR | 0, makedev(0, 0)); }
