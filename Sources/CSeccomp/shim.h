#include <seccomp.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

/* libseccomp 2.5 exports a filter only to an fd: this writes it to a memfd and reads it back into a malloc'd
 * buffer (freed by the caller). Returns 0, or a negative errno. */
static inline int box_seccomp_export(scmp_filter_ctx ctx, void **out, size_t *len) {
    int fd = (int)syscall(SYS_memfd_create, "box-seccomp", 1U /* MFD_CLOEXEC */);
    if (fd < 0) return -errno;
    int rc = seccomp_export_bpf(ctx, fd);
    if (rc < 0) { close(fd); return rc; }
    struct stat st;
    if (fstat(fd, &st) < 0) { rc = -errno; close(fd); return rc; }
    size_t n = (size_t)st.st_size;
    char *buf = malloc(n ? n : 1);
    if (!buf) { close(fd); return -ENOMEM; }
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, buf + got, n - got, (off_t)got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) { rc = r < 0 ? -errno : -EIO; free(buf); close(fd); return rc; }
        got += (size_t)r;
    }
    close(fd);
    *out = buf;
    *len = n;
    return 0;
}
