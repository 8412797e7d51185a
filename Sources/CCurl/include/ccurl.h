#ifndef CCURL_H
#define CCURL_H
/* A small C face over libcurl's easy interface for box's registry client: curl_easy_setopt is variadic,
 * which Swift cannot call, so one request is described by a struct and run by box_http_perform. */
#include <stddef.h>
#include <stdint.h>

struct box_http_request {
    const char *method;            /* GET, HEAD, PUT, POST, PATCH, DELETE */
    const char *url;
    const char *const *headers;    /* "Name: value" lines, NULL-terminated; may be NULL */
    const void *body;              /* an in-memory body, or NULL */
    size_t body_len;
    int body_fd;                   /* or a body read from this fd (-1: none) */
    int64_t body_fd_len;
    int verify_tls;                /* 0 turns off certificate and host name checks */
    const char *ca_file;           /* the CA bundle; NULL: libcurl's default */
    const void *ca_blob;           /* or PEM CAs in memory (the system bundle plus a registry's own) */
    size_t ca_blob_len;
    const char *client_cert;       /* PEM client certificate and key (Docker's certs.d *.cert / *.key) */
    const char *client_key;
    long connect_timeout_ms;
    long low_speed_time_s;         /* give up when less than one byte a second arrives for this long */
    int follow_redirects;
    /* Called for every response header line (status lines too); nonzero aborts. */
    int (*on_header)(void *ctx, const char *line, size_t len);
    /* Called with body bytes; nonzero aborts the transfer. */
    int (*on_data)(void *ctx, const void *data, size_t len);
    void *ctx;
};

struct box_http_result {
    long status;
    int code;                      /* CURLcode; 0 is success */
    int aborted;                   /* a callback asked to stop */
    char error[256];
};

/* Once per process, before threads start. Returns 0 on success. */
int box_http_global_init(void);
/* A handle keeps its connections alive between requests; use one per thread. */
void *box_http_new(void);
void box_http_free(void *handle);
int box_http_perform(void *handle, const struct box_http_request *req, struct box_http_result *res);
/* The version string of the linked libcurl. */
const char *box_http_version(void);

#endif
