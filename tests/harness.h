/* SPDX-License-Identifier: ISC */
/*
 * harness.h: what integration tests share: start the real asynclogd in a
 * temporary directory with a config of the test's own, wait for conditions
 * with deadlines (never a fixed sleep), read its counters through the real
 * STATS frame, and inspect the files it wrote.
 *
 * Failures inside these helpers fail the calling test (criterion asserts).
 */
#ifndef ASYNCLOG_HARNESS_H
#define ASYNCLOG_HARNESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct config;
struct sockaddr;

struct hd {
	pid_t	 pid;
	char	 dir[128];	/* temp dir, removed by hd_stop */
	char	 sock[256];	/* native socket: DIR/asynclog.sock */
	char	 conf[300];
	char	 errlog[300];	/* the daemon's stderr */
	const char *daemon;	/* program to run; NULL: $ASYNCLOG_BUILD/asynclogd */
};

/*
 * A config: listen.socket and every "@DIR@" are filled in by hd_start.
 * HD_CONF_BASIC has one text output "main" at @DIR@/main.log.
 */
#define HD_CONF_BASIC							\
	"listen = { socket = \"@DIR@/asynclog.sock\"; };\n"		\
	"buffer = { flush_interval_ms = 50; };\n"			\
	"outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; } );\n"

/*
 * Load text as a config named "t.conf" (config_load_string, no daemon):
 * it must load (the caller config_free()s it), or fail with an error that
 * begins with expected ("t.conf:LINE: what is wrong").
 */
struct config *hd_conf_load(const char *text);
void	hd_conf_load_fails(const char *text, const char *expected);

/* Make the temp dir, write the config, start the daemon, wait for its socket. */
void	hd_start(struct hd *, const char *conf_template);
/* Only make the temp dir and write the config. */
void	hd_prepare(struct hd *, const char *conf_template);
/* Run the daemon on the prepared config, expecting it to refuse to start:
 * returns its exit status (its words are in errlog), -1 if it ran on. */
int	hd_start_fails(struct hd *);
/* (Re)write the daemon's config file from a template (for SIGHUP tests). */
void	hd_write_conf(struct hd *, const char *conf_template);
/* Start again in the same dir with the same config (after hd_signal). */
void	hd_restart(struct hd *);
/* SIGUSR2: the daemon drains and re-executes itself with its sockets
 * (same pid); wait until the new image says it is ready. */
void	hd_reexec(struct hd *);
/* How much the daemon has said so far (the size of its stderr), and: wait
 * up to timeout_ms until it says what after the first off bytes. */
size_t	hd_log_size(struct hd *);
bool	hd_log_since(struct hd *, size_t off, const char *what, int timeout_ms);
/* Send sig and wait up to timeout_ms for exit; returns the exit status,
 * -1 when it had to be killed, or 128+N when killed by signal N. */
int	hd_signal(struct hd *, int sig, int timeout_ms);
/* SIGTERM (if running) and remove the temp dir. */
void	hd_stop(struct hd *);

/* DIR/name in a rotating static buffer (4 at a time). */
const char *hd_path(struct hd *, const char *name);
/* Path of a built program: $ASYNCLOG_BUILD/name. */
const char *hd_bin(const char *name);
/* Path of a file of the source tree ("tests/util-linux/..."), found from
 * $ASYNCLOG_BUILD (build/ or build/san/) or else the working directory. */
const char *hd_src(const char *name);

/* The daemon's counters as JSON (through a STATS frame); caller frees. */
char	*hd_stats(struct hd *);
/* A number from that JSON: "outputs.main.written", "total.dropped.malformed". */
long long hd_stat(struct hd *, const char *path);
long long json_number(const char *json, const char *path);

/* Poll pred every few ms until it is true or timeout_ms pass. */
bool	hd_wait(bool (*pred)(struct hd *, void *), struct hd *, void *arg,
	    int timeout_ms);
/* hd_wait predicate: DIR/name accepts a connection ("dgram*" names are
 * datagram sockets, others stream). */
bool	hd_socket_ready(struct hd *, void *name);
long long hd_now_ms(void);	/* CLOCK_MONOTONIC */

/* hd_wait predicate: the daemon's stderr contains the string what. */
bool	hd_log_mentions(struct hd *, void *what);

/* How many times the daemon's stderr says what. */
int	hd_log_count(struct hd *, const char *what);

/*
 * Numbered records, "seq=NNNNNNN " HD_SEQ_PAD " end", from one client with
 * tag, so that a peer's copy can be checked for loss, duplicates and torn
 * lines. hd_send_seq sends seq first .. first+n-1 at once and waits until
 * the daemon has them (with all_taken, also that the client dropped none).
 */
#define HD_SEQ_PAD	"pad-0123456789abcdefghijklmnopqrstuvwxyz-0123456789"
void	hd_send_seq(struct hd *, const char *tag, long first, long n,
	    bool all_taken);
/* The same from a thread, seq 0 .. n-1 at a steady pace (a pause every 50),
 * so that a peer's outage lands mid-stream. */
struct hd_pacer {
	pthread_t	 thread;
	struct hd	*d;
	const char	*tag;
	long		 n;
};
void	hd_pacer_start(struct hd_pacer *, struct hd *, const char *tag,
	    long n);
void	hd_pacer_join(struct hd_pacer *);

/* Wait until `path` has at least n lines. */
bool	hd_wait_lines(const char *path, size_t n, int timeout_ms);

char	*file_read(const char *path, size_t *len);	/* NULL if absent */
size_t	file_lines(const char *path);
/* Run a shell command; returns its exit status (or -1). */
int	run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Send one datagram to a Unix datagram socket (fails the test if it
 * cannot). */
void	hd_send_dgram(const char *path, const void *buf, size_t len);
/* Connect to a Unix stream socket; -1 on failure. */
int	unix_connect(const char *path);
/* A "Vm...:" line of /proc/PID/status in KiB (field "VmRSS:", "VmHWM:"),
 * or -1. */
long	hd_proc_kib(pid_t, const char *field);
/* The test and the daemon it starts (which inherits the test's limits)
 * may open n files: raise the soft limit, or skip the test when the hard
 * limit is lower. */
void	hd_need_files(unsigned long n);

/*
 * A peer that only listens, as socat does in util-linux's logger tests:
 * everything that reaches fd (bound, and listening for a stream), in order,
 * into a file; a stream's connections one at a time, each datagram as a
 * line (a newline added when it has none). hd_capture_end() sends
 * HD_CAPTURE_END to addr, fd's address, and returns once the capture has
 * it: whatever was sent before is in the file, followed by HD_CAPTURE_END.
 */
#define HD_CAPTURE_END	"--capture-end--\n"
struct hd_capture {
	int		 fd;
	bool		 dgram;
	FILE		*out;
	pthread_t	 thread;
};
void	hd_capture_start(struct hd_capture *, int fd, bool dgram,
	    const char *file);
void	hd_capture_end(struct hd_capture *, const struct sockaddr *addr,
	    size_t len);

/* A port on 127.0.0.1 nobody uses now for type (SOCK_STREAM, SOCK_DGRAM):
 * bound to port 0, the kernel's choice. */
int	hd_free_port(int type);
/* Does 127.0.0.1:port accept a TCP connection? */
bool	hd_port_accepts(int port);
/*
 * In dir, with certtool (skip the test first where it is missing): a CA
 * (ca.pem), a server certificate for "localhost" and 127.0.0.1 (srv.pem,
 * srv-key.pem) and two client certificates, "sender.example" (cli.pem,
 * cli-key.pem: a network input's sender) and "asynclogd" (clt.pem,
 * clt-key.pem: the daemon as a RELP collector's client), all signed by
 * the CA.
 */
void	hd_make_certs(const char *dir);

#endif
