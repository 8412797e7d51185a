#ifndef CBOX_H
#define CBOX_H
/* The C side of box: what must not run as Swift between clone and execve, and the kernel
 * constants and calls that Glibc's Swift module leaves out. Every symbol is prefixed box_. */
#include <stdint.h>
#include <sys/types.h>
#include <sys/xattr.h>

/* Namespace flags, as the kernel defines them. */
#define BOX_CLONE_NEWNS     0x00020000
#define BOX_CLONE_NEWCGROUP 0x02000000
#define BOX_CLONE_NEWUTS    0x04000000
#define BOX_CLONE_NEWIPC    0x08000000
#define BOX_CLONE_NEWUSER   0x10000000
#define BOX_CLONE_NEWPID    0x20000000
#define BOX_CLONE_NEWNET    0x40000000

/* What one entry of the mount list does, in order, inside the new mount namespace. */
enum box_mount_kind {
    BOX_MOUNT_FS = 0,       /* mount fstype at target (created as a directory) */
    BOX_MOUNT_BIND = 1,     /* bind source at target (created as file or dir like source); ro if flags has MS_RDONLY */
    BOX_MOUNT_MASK = 2,     /* hide target: /dev/null over a file, read-only tmpfs over a directory; absent is fine */
    BOX_MOUNT_READONLY = 3, /* remount target read-only; absent is fine */
    BOX_MOUNT_DEVICE = 4,   /* create device node target (mknod, or bind from the host's source when that fails) */
    BOX_MOUNT_SYMLINK = 5,  /* create symlink target -> source */
    BOX_MOUNT_SYSCTL = 6,   /* write data to target, a file under /proc/sys (before /proc/sys is made read-only) */
};

struct box_mount {
    int kind;
    const char *source;
    const char *target;   /* path inside the container, absolute */
    const char *fstype;
    unsigned long flags;
    const char *data;
    uint32_t mode;        /* device: mode with S_IFCHR; */
    uint32_t dev_major, dev_minor;
};

/* One resource limit of a container's process (RLIMIT_*). */
struct box_rlimit {
    int resource;
    uint64_t soft, hard;
};

struct box_spawn_config {
    int clone_flags;            /* BOX_CLONE_NEW* */
    int unshare_cgroupns;       /* unshare the cgroup namespace after the parent placed the child */
    const char *rootfs;         /* host path where the container's root is (or is mounted) */
    const char *overlay_data;   /* overlay options to mount at rootfs, or NULL */
    const char *overlay_cwd;    /* directory to be in while mounting, so lowerdir can be short relative paths */
    const struct box_mount *mounts;
    int n_mounts;
    int readonly_rootfs;
    const char *hostname;       /* or NULL */
    int loopback_up;
    const char *cwd;
    const char *const *argv;
    const char *const *envp;
    const char *path;           /* $PATH of the container, for the command lookup */
    uid_t uid;
    gid_t gid;
    const gid_t *groups;
    int n_groups;
    uint64_t cap_bounding;      /* bit N = capability N */
    uint64_t cap_effective;     /* effective = permitted for uid 0; a non-root uid gets none */
    int no_new_privs;
    int stdin_fd, stdout_fd, stderr_fd;  /* dup'd onto 0, 1, 2; -1 keeps the inherited one */
    int death_signal;           /* delivered to the child if the parent dies; 0 for none */
    int console_fd;             /* -1, or a unix socket: the child opens a pty in its own devpts, makes it its
                                   controlling terminal and stdio, and sends the master back over it */
    uint16_t tty_rows, tty_cols; /* the pty's first window size (0: leave it) */
    int init;                   /* run box's init as PID 1: it forwards signals to the command and reaps zombies */
    const void *seccomp_filter; /* a classic BPF program (struct sock_filter[]), installed just before the
                                   capabilities are dropped; NULL for none */
    uint32_t seccomp_len;       /* its length in instructions */
    const struct box_rlimit *rlimits; /* setrlimit before exec */
    int n_rlimits;
    int set_oom_score_adj;      /* write oom_score_adj to /proc/self/oom_score_adj */
    int oom_score_adj;
};

/* The child's report when a step fails: the errno and the step's name. */
struct box_child_error {
    int32_t err;
    int32_t exit_code;          /* 125, or 126/127 for an exec failure */
    char step[248];
};

/* Starts the child with clone3 in new namespaces. The child waits on a sync pipe until box_spawn_go,
 * sets up its root, waits again until box_spawn_release, then unshares its cgroup namespace and execs. On success returns the pid and
 * fills pidfd, the release fd (write end) and the error fd (read end; EOF means exec happened). */
pid_t box_spawn(const struct box_spawn_config *cfg, int *pidfd, int *release_fd, int *error_fd);

/* Lets the waiting child start its setup (mounts, pivot); it then waits again before exec. */
int box_spawn_go(int release_fd);

/* Lets the child exec (after its cgroup placement). Closes release_fd. */
int box_spawn_release(int release_fd);

/* Reads the child's report: 0 on EOF (exec happened), 1 with *out filled, -1 on error. */
int box_spawn_result(int error_fd, struct box_child_error *out);

int box_pidfd_open(pid_t pid);
int box_pidfd_send_signal(int pidfd, int sig);

/* Signal helpers (macros in C). */
int box_wifexited(int status);
int box_wexitstatus(int status);
int box_wifsignaled(int status);
int box_wtermsig(int status);

/* A signalfd for the given signals, which are blocked in this thread. */
int box_signalfd(const int *signals, int n);
/* Reads one signal from a signalfd: its number, or -1. */
int box_signalfd_read(int fd);

/* Creates a whiteout (0:0 character device) at dirfd/name. */
int box_mknod_whiteout(int dirfd, const char *name);

#endif
