/* The monitor's long wait, without Swift: once the container runs, the monitor re-executes box as
 * `box container-monitor-loop …`, which this constructor catches before Swift's main runs. The loop relays the
 * container's stdio (box_relay_run), runs health checks on their interval, reaps the container, and then
 * executes box again (the "resume" command line it was given, plus the exit code and the fds it still holds) to
 * record the exit in Swift. A process that only touches this file's code and libc stays small: the monitor's
 * resident memory is what the kernel maps for it, not what the Swift start-up touched.
 *
 * argv: box container-monitor-loop FDS CLIENTS LOG HEALTH_MS RESUME…
 *   FDS      pidfd,pid,out,err,in,master,signalfd,listen (decimal, -1 for none)
 *   CLIENTS  attached client sockets, comma-separated, or "-"
 *   LOG      format:max_size:max_files:path, or "-"
 *   HEALTH_MS the health check interval in milliseconds, 0 for none
 *   RESUME   the command line that records the exit: EXE --root R --runroot RR container-monitor ID --resume …;
 *            the health check runs EXE --root R --runroot RR healthcheck run ID */
#define _GNU_SOURCE
#include "cbox_log.h"
#include "cbox_relay.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int log_fn(void *log, int stream, const char *buf, size_t n) { return box_log_write(log, stream, buf, n); }

static int parse_list(const char *s, int *out, int max) {
    int n = 0;
    if (strcmp(s, "-") == 0) return 0;
    while (*s && n < max) {
        out[n++] = (int)strtol(s, (char **)&s, 10);
        if (*s == ',') s++;
    }
    return n;
}

static void __attribute__((noreturn)) monitor_loop(int argc, char **argv) {
    if (argc < 12) _exit(125);
    int f[8];
    if (parse_list(argv[2], f, 8) != 8) _exit(125);
    struct box_relay r;
    box_relay_init(&r);
    r.pidfd = f[0];
    pid_t pid = f[1];
    r.out_fd = f[2];
    r.err_fd = f[3];
    r.in_fd = f[4];
    r.master_fd = f[5];
    r.signal_fd = f[6];
    r.listen_fd = f[7];
    int clients[BOX_RELAY_MAX_CLIENTS];
    int nc = parse_list(argv[3], clients, BOX_RELAY_MAX_CLIENTS);
    for (int i = 0; i < nc; i++) box_relay_add_client(&r, clients[i]);
    static struct box_log log;
    if (strcmp(argv[4], "-") != 0) {
        char *p = argv[4];
        int format = (int)strtol(p, &p, 10);
        long long max_size = strtoll(p + 1, &p, 10);
        int max_files = (int)strtol(p + 1, &p, 10);
        if (box_log_open(&log, p + 1, format, max_size, max_files) == 0) {
            r.log = &log;
            r.log_fn = log_fn;
        }
    }
    r.timer_ms = atoi(argv[5]);
    char **resume = argv + 6;
    int nresume = argc - 6;
    /* EXE --root R --runroot RR container-monitor ID …: the health check shares the first five and the ID */
    char *health[] = { resume[0], resume[1], resume[2], resume[3], resume[4], "healthcheck", "run", resume[6], NULL };
    pid_t checker = 0;
    while (box_relay_run(&r) == BOX_RELAY_TIMER) {
        int st;
        if (checker > 0 && waitpid(checker, &st, WNOHANG) == 0) continue;
        checker = box_spawn_monitor(health, -1, -1);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 125;
    if (r.log) box_log_close(&log);
    /* what the Swift side needs: the exit code, and the fds that outlive this run of the container */
    static char codebuf[16], fdbuf[64], clientbuf[16 * BOX_RELAY_MAX_CLIENTS];
    snprintf(codebuf, sizeof codebuf, "%d", code);
    snprintf(fdbuf, sizeof fdbuf, "%d,%d", r.listen_fd, r.signal_fd);
    clientbuf[0] = 0;
    for (int i = 0; i < r.n_clients; i++) {
        fcntl(r.clients[i], F_SETFD, 0);
        size_t len = strlen(clientbuf);
        snprintf(clientbuf + len, sizeof clientbuf - len, "%s%d", i ? "," : "", r.clients[i]);
    }
    if (!r.n_clients) strcpy(clientbuf, "-");
    char *args[64];
    int n = 0;
    for (int i = 0; i < nresume && n < 56; i++) args[n++] = resume[i];
    args[n++] = "--exit-code";
    args[n++] = codebuf;
    args[n++] = "--fds";
    args[n++] = fdbuf;
    args[n++] = "--clients";
    args[n++] = clientbuf;
    args[n] = NULL;
    execv(args[0], args);
    _exit(125);
}

/* Runs before Swift's main: the loop is the whole process. */
__attribute__((constructor)) static void box_monitor_entry(int argc, char **argv) {
    if (argc > 1 && argv && strcmp(argv[1], "container-monitor-loop") == 0) monitor_loop(argc, argv);
}
