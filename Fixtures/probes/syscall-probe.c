/* A probe for the escape tests: makes one system call from inside a container and prints "ok" or the errno's
 * name. Built static by the tests (cc -static), bind-mounted into the container.
 * usage: syscall-probe add_key|init_module|finit_module|ptrace PID|clone3|clone_newuser|personality N|vsock|unshare_user */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int report(long rc) {
    if (rc >= 0) { puts("ok"); return 0; }
    const char *n = errno == EPERM ? "EPERM" : errno == ENOSYS ? "ENOSYS" : errno == ESRCH ? "ESRCH"
        : errno == EACCES ? "EACCES" : errno == EINVAL ? "EINVAL" : errno == EFAULT ? "EFAULT" : errno == ENOEXEC ? "ENOEXEC"
        : errno == EBADF ? "EBADF" : errno == EAFNOSUPPORT ? "EAFNOSUPPORT" : "other";
    printf("%s %d\n", n, errno);
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    const char *what = argv[1];
    if (!strcmp(what, "add_key")) return report(syscall(SYS_add_key, "user", "box", "x", 1, -2 /* session keyring */));
    if (!strcmp(what, "init_module")) return report(syscall(SYS_init_module, "", 0, ""));
    if (!strcmp(what, "finit_module")) return report(syscall(SYS_finit_module, open("/dev/null", O_RDONLY), "", 0));
    if (!strcmp(what, "ptrace") && argc > 2) return report(ptrace(PTRACE_ATTACH, atoi(argv[2]), 0, 0));
    if (!strcmp(what, "clone3")) {
        struct clone_args a;
        memset(&a, 0, sizeof a);
        a.exit_signal = SIGCHLD;
        long pid = syscall(SYS_clone3, &a, sizeof a);
        if (pid == 0) _exit(0);
        if (pid > 0) waitpid((pid_t)pid, NULL, 0);
        return report(pid);
    }
    if (!strcmp(what, "clone_newuser")) {
        long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
        if (pid == 0) _exit(0);
        if (pid > 0) waitpid((pid_t)pid, NULL, 0);
        return report(pid);
    }
    if (!strcmp(what, "personality") && argc > 2) return report(syscall(SYS_personality, strtoul(argv[2], 0, 0)));
    if (!strcmp(what, "vsock")) return report(socket(40 /* AF_VSOCK */, SOCK_STREAM, 0));
    if (!strcmp(what, "unshare_user")) return report(unshare(CLONE_NEWUSER));
    return 2;
}
