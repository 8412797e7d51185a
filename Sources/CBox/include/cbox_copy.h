#ifndef CBOX_COPY_H
#define CBOX_COPY_H
/* `box cp` with a stopped container: its root, mounted for as long as the copy lasts and never on the host.
 *
 * A helper process, cloned with CLONE_NEWNS, makes its mounts private, mounts the container's overlay and then
 * its bind and tmpfs mounts (each target resolved inside the root with openat2 RESOLVE_IN_ROOT, created when
 * missing, as the start path does), and sends an O_PATH fd of the root back over a socket (SCM_RIGHTS). It
 * then blocks until the caller closes that socket, and exits: its mount namespace, and every mount in it, goes
 * with it. The caller does the copy through the fd, whose lookups see the helper's mounts while it lives.
 * The helper runs only this code and system calls (it is a copy of a possibly multi-threaded process). */
#include "cbox.h"

struct box_copy_mount {
    const char *source;   /* bind: the host path; otherwise the filesystem's source name ("tmpfs") */
    const char *target;   /* absolute path inside the container */
    const char *fstype;   /* NULL for a bind mount, else the filesystem type ("tmpfs") */
    unsigned long flags;  /* MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC; a read-only bind is remounted so */
    const char *data;     /* filesystem options (tmpfs: "size=…,mode=…"), or NULL */
};

struct box_copy_root {
    const char *rootfs;        /* the container's mount point, containers/<id>/rootfs */
    const char *overlay_data;  /* the overlay's options, lowerdir relative to overlay_cwd */
    const char *overlay_cwd;   /* the layers directory */
    int readonly;              /* mount the overlay read-only (a --read-only container) */
    const struct box_copy_mount *mounts;
    int n_mounts;
};

/* Starts the helper and waits for its root. Returns the helper's pid with *root_fd (O_PATH, close-on-exec)
 * and *hold_fd (the socket whose closing lets the helper exit); 0 with *out filled when a step failed (the
 * helper is then reaped); -1 with errno when the helper could not be started or answered nonsense. */
pid_t box_copy_mount_root(const struct box_copy_root *cfg, int *root_fd, int *hold_fd, struct box_child_error *out);

/* Ends the helper: closes hold_fd and reaps pid. Every mount of the helper is gone when this returns. */
void box_copy_release(pid_t pid, int hold_fd);

/* renameat2 with RENAME_NOREPLACE: fails with EEXIST rather than replace what is at the new name. */
int box_rename_noreplace(int olddirfd, const char *oldname, int newdirfd, const char *newname);

/* The filesystem type (statfs f_type) of an open fd, or -1 with errno. */
long box_fs_type(int fd);

#endif
