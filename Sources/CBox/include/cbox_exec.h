#ifndef CBOX_EXEC_H
#define CBOX_EXEC_H
/* `box exec`: a command started inside a running container.
 *
 * A helper process, cloned from the caller, joins the container's cgroup and (through a pidfd) its
 * namespaces, then clones the command's process with CLONE_PARENT: that process is in the container's pid
 * namespace and a child of the caller, which waits for it. The helper reports the new pid and exits.
 * Like the start path, the helper and the command's process run only C and system calls. */
#include "cbox.h"

/* O_PATH, which Glibc's Swift module leaves out (it needs _GNU_SOURCE). */
#define BOX_O_PATH 010000000

struct box_exec_config {
    int pidfd;                  /* the container's init: its namespaces are joined */
    int ns_flags;               /* BOX_CLONE_NEW* of the namespaces the container has (only those are joined) */
    const int *cgroup_task_fds; /* cgroup v1: the `tasks` file of each hierarchy, open for writing; the helper
                                   writes "0" (itself, one thread: no RCU grace period, unlike cgroup.procs) */
    int n_cgroup_task_fds;
    int cgroup_dir_fd;          /* cgroup v2: the container's cgroup directory, for CLONE_INTO_CGROUP; -1 for none */
    int detach;                 /* the command runs as a grandchild in a new session: its parent exits at once,
                                   so it is reparented to the container's init, and the caller has nothing to wait for */
    struct box_spawn_config process; /* the command: argv, envp, path, cwd, uid, gid, groups, cap_bounding,
                                        cap_effective, no_new_privs, stdin/stdout/stderr fds (-1 inherits),
                                        console_fd and the tty size; the other fields are unused */
};

/* Starts the command and waits until it has exec'd or a step failed; the helper is reaped.
 * Returns 0 with *pid the command's pid in the caller's namespace (0 with detach: nothing to wait for),
 * 1 with *out filled when a step failed (every process of the exec is then gone and reaped),
 * or -1 with errno when box_exec itself failed. */
int box_exec(const struct box_exec_config *cfg, pid_t *pid, struct box_child_error *out);

/* Opens path under rootfd as if rootfd were "/": symlinks and ".." cannot leave it, magic links are refused
 * (openat2 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS). Returns an fd (close-on-exec) or -1 with errno. */
int box_open_in_root(int rootfd, const char *path, int flags);

#endif
