#ifndef CBOX_LOG_H
#define CBOX_LOG_H
/* A container's log file, written by its monitor (a single-threaded C process) or by a foreground run.
 * Two formats: Docker's json-file (one JSON object a line) and podman's k8s-file (CRI lines).
 * Every entry is written with one write(2) call and nothing is buffered, so a crash loses nothing. */
#include <stddef.h>

enum { BOX_LOG_JSON = 0, BOX_LOG_K8S = 1 };

struct box_log {
    int fd;               /* -1 when closed */
    int format;           /* BOX_LOG_JSON or BOX_LOG_K8S */
    char path[4096];
    long long max_size;   /* rotate before a write would pass this many bytes; 0 = unlimited */
    int max_files;        /* files kept, the current one included (Docker's max-file); 1 = truncate instead */
    long long size;       /* bytes in the current file */
};

/* Opens (creates, mode 0600) path for appending, close-on-exec. Returns 0, or -1 with errno set. */
int box_log_open(struct box_log *log, const char *path, int format, long long max_size, int max_files);

/* Writes a chunk of the container's output: stream 1 is stdout, 2 is stderr. Every complete line is one
 * entry; trailing text without a newline is written at once as a partial entry. Returns 0, or -1 with errno. */
int box_log_write(struct box_log *log, int stream, const char *buf, size_t n);

/* box_log_write with a given time (seconds and nanoseconds since the epoch) instead of the clock's. */
int box_log_write_at(struct box_log *log, int stream, const char *buf, size_t n, long long sec, long nsec);

/* Closes the file; the struct may be opened again. */
void box_log_close(struct box_log *log);

#endif
