/* Internal to CBox (not exported): the last steps of a container's process, which the start path
 * (spawn.c) and exec (exec.c) share; defined in common.c. They run between clone and execve: system
 * calls only, no allocation, no stdio. */
#ifndef CBOX_CHILD_H
#define CBOX_CHILD_H
#include "cbox.h"
#include <stddef.h>

/* Library-internal names, prefixed so that a static link cannot meet another `fail`. */
#define sappend box_child_sappend
#define fail box_child_fail
#define set_capabilities box_child_set_capabilities
#define set_identity box_child_set_identity
#define exec_command box_child_exec_command
#define setup_console box_child_setup_console
#define setup_stdio box_child_setup_stdio
#define fd_path box_child_fd_path
#define send_fd box_child_send_fd
#define install_seccomp box_child_install_seccomp
#define open_in_root box_child_open_in_root
#define writable_parent box_child_writable_parent
#define make_in_root box_child_make_in_root
#define mount_flags_of box_child_mount_flags_of
#define set_limits box_child_set_limits

/* The child's view of its configuration plus its own fds. */
struct child {
    const struct box_spawn_config *cfg;
    int syncfd, errfd;
};

/* Opens path under rootfd as if rootfd were "/" (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), close-on-exec. */
__attribute__((visibility("hidden"))) int open_in_root(int rootfd, const char *path, int flags);

/* A real directory fd of target's parent, resolved and created inside the root; *name points at the last
 * component (in scratch). */
__attribute__((visibility("hidden"))) int writable_parent(int rootfd, const char *target, char *scratch, size_t cap, const char **name);

/* Creates target inside the root (a directory, or an empty file) if absent, with its parents; returns an O_PATH fd. */
__attribute__((visibility("hidden"))) int make_in_root(int rootfd, const char *target, int as_dir);

/* The nosuid/nodev/noexec flags of the mount at path: a remount must keep them (locked in a user namespace). */
__attribute__((visibility("hidden"))) unsigned long mount_flags_of(const char *path);

/* Appends s to the NUL-terminated buf of cap bytes, truncating. */
__attribute__((visibility("hidden"))) void sappend(char *buf, size_t cap, const char *s);

/* "/proc/self/fd/N" into buf: the path through which a mount lands exactly on an fd's inode. */
__attribute__((visibility("hidden"))) void fd_path(char *buf, size_t cap, int fd);

/* Sends fd over the unix socket sock with SCM_RIGHTS (one data byte); returns 0 or -1. */
__attribute__((visibility("hidden"))) int send_fd(int sock, int fd);

/* Reports a failed step to the parent and exits. The step names the object, e.g. "mount proc on /proc". */
__attribute__((visibility("hidden"), noreturn)) void fail(int errfd, int code, int err, const char *a, const char *b, const char *c);

/* Drops from the bounding set what cfg->cap_bounding lacks (before set_identity: it needs CAP_SETPCAP). */
__attribute__((visibility("hidden"))) void set_capabilities(struct child *c);

/* Installs cfg->seccomp_filter, if any (before set_capabilities: without no_new_privs it needs CAP_SYS_ADMIN). */
__attribute__((visibility("hidden"))) void install_seccomp(struct child *c);

/* cfg->rlimits and cfg->oom_score_adj for the process (and what it execs). */
__attribute__((visibility("hidden"))) void set_limits(struct child *c);

/* Groups, gid, uid, then the effective and permitted sets (uid 0 only), ambient cleared, no_new_privs. */
__attribute__((visibility("hidden"))) void set_identity(struct child *c);

/* Opens a pty in the current devpts, makes it the controlling terminal of a new session and the stdio,
 * and sends the master over cfg->console_fd. */
__attribute__((visibility("hidden"))) void setup_console(struct child *c);

/* The command's stdio: the pty (setup_console) when console is set, else a session of its own and
 * cfg->stdin_fd/stdout_fd/stderr_fd on 0, 1, 2; then every fd above 2 is marked close-on-exec. */
__attribute__((visibility("hidden"))) void setup_stdio(struct child *c, int console);

/* execve of cfg->argv, with a $PATH search (cfg->path) for a name without '/'; reports 126 or 127. */
__attribute__((visibility("hidden"), noreturn)) void exec_command(struct child *c);

#endif
