/* Paths inside a container's root, resolved as the container would see them: symlinks and ".." stay inside
 * (openat2 RESOLVE_IN_ROOT), magic links are refused. Shared by the start path (spawn.c) and cp's mount helper
 * (copy.c); system calls only, no allocation, as both run between clone and execve or exit. */
#define _GNU_SOURCE
#include "child.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

int open_in_root(int rootfd, const char *path, int flags) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    while (*path == '/') path++;
    if (!*path) path = ".";
    return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
}

/* Ensures the parent directories of path exist inside the root; returns an fd of the parent
 * and points *name at the last component. */
static int parent_in_root(int rootfd, const char *path, char *scratch, size_t cap, const char **name) {
    scratch[0] = 0;
    sappend(scratch, cap, path);
    size_t n = strlen(scratch);
    while (n > 1 && scratch[n - 1] == '/') scratch[--n] = 0;
    char *slash = strrchr(scratch, '/');
    *name = slash ? slash + 1 : scratch;
    if (slash) *slash = 0;
    /* walk and create each level */
    char prefix[4096];
    prefix[0] = 0;
    char *p = scratch;
    while (*p == '/') p++;
    int fd = open_in_root(rootfd, "/", O_PATH | O_DIRECTORY);
    while (*p && fd >= 0) {
        char *end = strchr(p, '/');
        if (end) *end = 0;
        sappend(prefix, sizeof prefix, "/");
        sappend(prefix, sizeof prefix, p);
        int next = open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY);
        if (next < 0 && errno == ENOENT) {
            if (mkdirat(fd, p, 0755) < 0 && errno != EEXIST) { close(fd); return -1; }
            next = open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY);
        }
        close(fd);
        fd = next;
        if (!end) break;
        *end = '/';
        p = end + 1;
        while (*p == '/') p++;
    }
    return fd;
}

/* A real (not O_PATH) directory fd of target's parent, resolved and created inside the root, to create in. */
int writable_parent(int rootfd, const char *target, char *scratch, size_t cap, const char **name) {
    int dir = parent_in_root(rootfd, target, scratch, cap, name);
    if (dir < 0) return -1;
    char p[64];
    fd_path(p, sizeof p, dir);
    int real = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    close(dir);
    return real;
}

/* Creates target inside the root (a directory, or an empty file) if absent; returns an O_PATH fd. */
int make_in_root(int rootfd, const char *target, int as_dir) {
    int fd = open_in_root(rootfd, target, O_PATH);
    if (fd >= 0 || errno != ENOENT) return fd;
    char scratch[4096];
    const char *name;
    int real = writable_parent(rootfd, target, scratch, sizeof scratch, &name);
    if (real < 0) return -1;
    int r;
    if (as_dir) {
        r = mkdirat(real, name, 0755);
    } else {
        r = openat(real, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (r >= 0) { close(r); r = 0; }
    }
    close(real);
    if (r < 0 && errno != EEXIST) return -1;
    return open_in_root(rootfd, target, O_PATH);
}

unsigned long mount_flags_of(const char *path) {
    struct statvfs sv;
    unsigned long f = 0;
    if (statvfs(path, &sv) != 0) return 0;
    if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
    if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
    if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
    return f;
}
