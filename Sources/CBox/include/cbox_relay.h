#ifndef CBOX_RELAY_H
#define CBOX_RELAY_H
/* Moving a container's stdio: the relay (a foreground `box run`, or a container's monitor) copies the
 * container's output to its log, to the local terminal and to attached clients, and their input to the
 * container; the attach client (`box attach`, `box start -a`, `box run -it`) is the other end of a client.
 *
 * The attach protocol runs over a unix stream socket as frames: one type byte, a 4-byte big-endian
 * length, then the data. */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum {
    /* monitor to client */
    BOX_FRAME_STDOUT = 1,
    BOX_FRAME_STDERR = 2,
    BOX_FRAME_EXIT = 3,      /* 4-byte big-endian exit code; the last frame */
    /* client to monitor */
    BOX_FRAME_STDIN = 10,
    BOX_FRAME_STDIN_EOF = 11,
    BOX_FRAME_RESIZE = 12,   /* rows, cols: 2-byte big-endian each */
    BOX_FRAME_SIGNAL = 13,   /* 4-byte big-endian signal number */
};

#define BOX_RELAY_MAX_CLIENTS 16

/* Writes one chunk of output to the container's log (stream 1 stdout, 2 stderr); returns 0 or -1. */
typedef int (*box_log_fn)(void *log, int stream, const char *buf, size_t n);

struct box_relay {
    int pidfd;            /* the container's process: readable when it exits */
    int out_fd, err_fd;   /* the container's output (read ends); err_fd is -1 with a tty */
    int in_fd;            /* the container's stdin (a pipe's write end or the pty master), -1 for none */
    int master_fd;        /* the pty master, for window sizes; -1 without a tty */
    void *log;            /* passed to log_fn; NULL for no log */
    box_log_fn log_fn;
    int local_in;         /* foreground: the caller's input, copied to in_fd; -1 for none */
    int local_out, local_err; /* foreground: the caller's stdout and stderr; -1 for none */
    int signal_fd;        /* a signalfd: SIGWINCH copies local_tty's size to the pty, others go to the container */
    int local_tty;        /* the caller's terminal, for SIGWINCH; -1 for none */
    int listen_fd;        /* the attach socket (listening, non-blocking); -1 for none */
    int timer_ms;         /* > 0: box_relay_run returns BOX_RELAY_TIMER after this long */
    int clients[BOX_RELAY_MAX_CLIENTS];
    int n_clients;
    int exited;           /* set once the container's process has exited */
};

enum { BOX_RELAY_EXITED = 0, BOX_RELAY_TIMER = 1 };

/* Sets every fd to -1 and the rest to zero. */
void box_relay_init(struct box_relay *r);

/* Adds an attached client (a connected stream socket); returns 0, or -1 when full. */
int box_relay_add_client(struct box_relay *r, int fd);

/* Copies until the container exits (then drains its output and returns BOX_RELAY_EXITED) or the timer fires. */
int box_relay_run(struct box_relay *r);

/* Sends the exit code to every client and closes them. */
void box_relay_finish(struct box_relay *r, int exit_code);

/* The client's side: copies in_fd to the socket (watching for the detach keys), the socket's frames to
 * out_fd and err_fd; SIGWINCH on signal_fd sends tty_fd's size, other signals are proxied. Returns the
 * container's exit code, -2 when the user detached, -1 when the monitor went away without an exit code. */
int box_attach_client(int sock, int in_fd, int out_fd, int err_fd, int tty_fd, int signal_fd,
                      const unsigned char *detach_keys, int n_detach_keys);

/* Sends one frame; returns 0 or -1. */
int box_frame_send(int fd, int type, const void *data, uint32_t len);

/* Terminal window sizes; return 0 or -1. */
int box_tty_get_size(int fd, uint16_t *rows, uint16_t *cols);
int box_tty_set_size(int fd, uint16_t rows, uint16_t cols);

/* pipe2(fds, O_CLOEXEC), which Swift's Glibc module does not show. */
int box_pipe_cloexec(int fds[2]);

/* Receives one fd sent with SCM_RIGHTS; returns it, or -1 (errno 0 on EOF). */
int box_recv_fd(int sock);

/* A unix stream socket at dir/name, listening (non-blocking, close-on-exec); paths go through the directory's
 * fd, so a long run root does not hit sun_path's 108 bytes. Returns the fd or -1. */
int box_unix_listen(const char *dir, const char *name);
/* Connects to the socket at dir/name; returns the fd or -1. */
int box_unix_connect(const char *dir, const char *name);

/* Starts the monitor: argv[0] is the binary to run, in a new session, with no signal blocked or ignored,
 * stdio on /dev/null, notify_fd (if >= 0) as fd 3 and client_fd (if >= 0) as fd 4, and no other fd. Returns the pid or -1. */
pid_t box_spawn_monitor(char *const argv[], int notify_fd, int client_fd);
#endif
