#include "ccurl.h"
#include <curl/curl.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>

struct call {
    const struct box_http_request *req;
    int aborted;
};

static size_t header_cb(char *buf, size_t size, size_t n, void *p) {
    struct call *c = p;
    size_t len = size * n;
    if (c->req->on_header && c->req->on_header(c->req->ctx, buf, len) != 0) {
        c->aborted = 1;
        return 0;
    }
    return len;
}

static size_t write_cb(char *buf, size_t size, size_t n, void *p) {
    struct call *c = p;
    size_t len = size * n;
    if (c->req->on_data && c->req->on_data(c->req->ctx, buf, len) != 0) {
        c->aborted = 1;
        return CURL_WRITEFUNC_ERROR;
    }
    return len;
}

static size_t read_fd_cb(char *buf, size_t size, size_t n, void *p) {
    struct call *c = p;
    for (;;) {
        ssize_t got = read(c->req->body_fd, buf, size * n);
        if (got >= 0) return (size_t)got;
        if (errno != EINTR) return CURL_READFUNC_ABORT;
    }
}

int box_http_global_init(void) { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1; }

void *box_http_new(void) { return curl_easy_init(); }

void box_http_free(void *handle) {
    if (handle) curl_easy_cleanup(handle);
}

const char *box_http_version(void) { return curl_version(); }

int box_http_perform(void *handle, const struct box_http_request *req, struct box_http_result *res) {
    CURL *h = handle;
    struct call c = {.req = req, .aborted = 0};
    struct curl_slist *hdrs = NULL;
    char errbuf[CURL_ERROR_SIZE] = {0};

    memset(res, 0, sizeof *res);
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, req->url);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "box");
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &c);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &c);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, req->follow_redirects ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
    if (req->connect_timeout_ms > 0) curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms);
    if (req->low_speed_time_s > 0) {
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, req->low_speed_time_s);
    }
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, req->verify_tls ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, req->verify_tls ? 2L : 0L);
    if (req->ca_blob) {
        struct curl_blob blob = {.data = (void *)req->ca_blob, .len = req->ca_blob_len, .flags = CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
    } else if (req->ca_file) {
        curl_easy_setopt(h, CURLOPT_CAINFO, req->ca_file);
    }
    if (req->client_cert) curl_easy_setopt(h, CURLOPT_SSLCERT, req->client_cert);
    if (req->client_key) curl_easy_setopt(h, CURLOPT_SSLKEY, req->client_key);

    if (req->headers)
        for (const char *const *p = req->headers; *p; p++) hdrs = curl_slist_append(hdrs, *p);
    /* no "Expect: 100-continue" round trip on uploads */
    hdrs = curl_slist_append(hdrs, "Expect:");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);

    const char *m = req->method ? req->method : "GET";
    if (strcmp(m, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (strcmp(m, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
        if (req->body_fd >= 0) {
            curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
            curl_easy_setopt(h, CURLOPT_READFUNCTION, read_fd_cb);
            curl_easy_setopt(h, CURLOPT_READDATA, &c);
            curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->body_fd_len);
        } else {
            curl_easy_setopt(h, CURLOPT_POST, 1L);
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
        }
    }

    CURLcode rc = curl_easy_perform(h);
    curl_slist_free_all(hdrs);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->status);
    res->code = (int)rc;
    res->aborted = c.aborted;
    if (rc != CURLE_OK) {
        const char *msg = errbuf[0] ? errbuf : curl_easy_strerror(rc);
        strncpy(res->error, msg, sizeof res->error - 1);
    }
    return rc == CURLE_OK ? 0 : -1;
}
