/* The container log writer: Docker's json-file and podman's k8s-file formats, with size rotation.
 * Plain C so that a single-threaded monitor can use it; nothing is buffered between calls. */
#define _GNU_SOURCE
#include "cbox_log.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int box_log_open(struct box_log *log, const char *path, int format, long long max_size, int max_files)
{
    size_t len = strlen(path);
    log->fd = -1;
    if (len >= sizeof log->path || (format != BOX_LOG_JSON && format != BOX_LOG_K8S)) {
        errno = EINVAL;
        return -1;
    }
    memcpy(log->path, path, len + 1);
    log->format = format;
    log->max_size = max_size > 0 ? max_size : 0;
    log->max_files = max_files > 0 ? max_files : 1;
    log->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (log->fd < 0) return -1;
    struct stat st;
    if (fstat(log->fd, &st) < 0) {
        int e = errno;
        close(log->fd);
        log->fd = -1;
        errno = e;
        return -1;
    }
    log->size = st.st_size;
    return 0;
}

void box_log_close(struct box_log *log)
{
    if (log->fd >= 0) close(log->fd);
    log->fd = -1;
}

/* Keeps path.1 … path.(max_files-1): each moves one up, the current file becomes path.1 and a new one is
 * opened. With one file the current one is truncated instead. */
static int rotate(struct box_log *log)
{
    if (log->max_files <= 1) {
        if (ftruncate(log->fd, 0) < 0) return -1;
        log->size = 0;
        return 0;
    }
    char from[sizeof log->path + 16], to[sizeof log->path + 16];
    for (int i = log->max_files - 2; i >= 1; i--) {
        snprintf(from, sizeof from, "%s.%d", log->path, i);
        snprintf(to, sizeof to, "%s.%d", log->path, i + 1);
        if (rename(from, to) < 0 && errno != ENOENT) return -1;
    }
    snprintf(to, sizeof to, "%s.1", log->path);
    if (rename(log->path, to) < 0) return -1;
    int fd = open(log->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    close(log->fd);
    log->fd = fd;
    log->size = 0;
    return 0;
}

/* Writes one entry with one write(2), rotating first if it would pass max_size. A failed rotation keeps
 * appending to the current file: output is never dropped for it. */
static int emit(struct box_log *log, const char *p, size_t len)
{
    if (log->max_size > 0 && log->size > 0 && log->size + (long long)len > log->max_size) (void)rotate(log);
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(log->fd, p + off, len - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        off += (size_t)w;
    }
    log->size += (long long)len;
    return 0;
}

/* RFC 3339 in UTC. json-file: Go's RFC3339Nano (trailing zeros of the fraction trimmed, `Z`), as Docker
 * writes; k8s-file: nine digits and `+00:00`, as conmon writes. */
static size_t format_time(char *out, size_t cap, long long sec, long nsec, int format)
{
    time_t t = (time_t)sec;
    struct tm tm;
    gmtime_r(&t, &tm);
    int n = snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (format == BOX_LOG_K8S) return (size_t)n + (size_t)snprintf(out + n, cap - (size_t)n, ".%09ld+00:00", nsec);
    if (nsec > 0) {
        char frac[16];
        snprintf(frac, sizeof frac, "%09ld", nsec);
        int digits = 9;
        while (digits > 0 && frac[digits - 1] == '0') digits--;
        frac[digits] = 0;
        n += snprintf(out + n, cap - (size_t)n, ".%s", frac);
    }
    out[n++] = 'Z';
    out[n] = 0;
    return (size_t)n;
}

/* The length of the valid UTF-8 sequence at p (Go's utf8.DecodeRune rules: no overlongs, no surrogates,
 * nothing past U+10FFFF), or 0 when the byte at p starts none. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned char b = p[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) len = 2;
    else if (b >= 0xE0 && b <= 0xEF) {
        len = 3;
        if (b == 0xE0) lo = 0xA0;
        if (b == 0xED) hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
        len = 4;
        if (b == 0xF0) lo = 0x90;
        if (b == 0xF4) hi = 0x8F;
    } else return 0;
    if (n < len || p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if (p[i] < 0x80 || p[i] > 0xBF) return 0;
    return len;
}

/* Escapes s as Docker's json-file writer does: Go's encoding/json with HTML escaping (`<`, `>`, `&` as
 * \u003c…), \n and \r short, other control bytes as \u00XX, invalid UTF-8 as \ufffd, U+2028/9 escaped.
 * out needs room for 6 bytes per input byte. */
static size_t json_escape(char *out, const unsigned char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned char b = s[i];
        if (b < 0x80) {
            if (b >= 0x20 && b != '\\' && b != '"' && b != '<' && b != '>' && b != '&') {
                out[o++] = (char)b;
            } else if (b == '\\' || b == '"') {
                out[o++] = '\\';
                out[o++] = (char)b;
            } else if (b == '\n') {
                out[o++] = '\\';
                out[o++] = 'n';
            } else if (b == '\r') {
                out[o++] = '\\';
                out[o++] = 'r';
            } else {
                memcpy(out + o, "\\u00", 4);
                out[o + 4] = hex[b >> 4];
                out[o + 5] = hex[b & 0xF];
                o += 6;
            }
            i++;
            continue;
        }
        size_t len = utf8_len(s + i, n - i);
        if (len == 0) {
            memcpy(out + o, "\\ufffd", 6);
            o += 6;
            i++;
        } else if (len == 3 && b == 0xE2 && s[i + 1] == 0x80 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)) {
            memcpy(out + o, "\\u202", 5);
            out[o + 5] = s[i + 2] == 0xA8 ? '8' : '9';
            o += 6;
            i += 3;
        } else {
            memcpy(out + o, s + i, len);
            o += len;
            i += len;
        }
    }
    return o;
}

/* One entry: `{"log":"…","stream":"stdout","time":"…"}\n` or `TIME stdout F|P …\n`. */
static size_t build_entry(char *out, int format, const char *stream, const char *ts, const char *line,
                          size_t len, int partial)
{
    size_t o = 0;
    if (format == BOX_LOG_K8S) {
        o = (size_t)sprintf(out, "%s %s %c ", ts, stream, partial ? 'P' : 'F');
        memcpy(out + o, line, len);
        o += len;
        out[o++] = '\n';
        return o;
    }
    memcpy(out, "{\"log\":\"", 8);
    o = 8 + json_escape(out + 8, (const unsigned char *)line, len);
    if (!partial) {
        out[o++] = '\\';
        out[o++] = 'n';
    }
    o += (size_t)sprintf(out + o, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n", stream, ts);
    return o;
}

int box_log_write_at(struct box_log *log, int stream, const char *buf, size_t n, long long sec, long nsec)
{
    if (log->fd < 0) {
        errno = EBADF;
        return -1;
    }
    if (n == 0) return 0;
    char ts[64];
    format_time(ts, sizeof ts, sec, nsec, log->format);
    const char *name = stream == 2 ? "stderr" : "stdout";
    /* the worst case: every byte escaped to six, plus the fixed parts */
    char *entry = malloc(n * 6 + 160);
    if (entry == NULL) return -1;
    int rc = 0;
    size_t start = 0;
    while (start < n) {
        const char *nl = memchr(buf + start, '\n', n - start);
        size_t end = nl ? (size_t)(nl - buf) : n;
        size_t len = build_entry(entry, log->format, name, ts, buf + start, end - start, nl == NULL);
        if (emit(log, entry, len) < 0) {
            rc = -1;
            break;
        }
        start = nl ? end + 1 : n;
    }
    int e = errno;
    free(entry);
    errno = e;
    return rc;
}

int box_log_write(struct box_log *log, int stream, const char *buf, size_t n)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return box_log_write_at(log, stream, buf, n, (long long)now.tv_sec, now.tv_nsec);
}
