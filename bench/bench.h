/* SPDX-License-Identifier: ISC */
/*
 * bench.h: what the parts of asynclog-bench share.
 *
 * asynclog-bench.c  options, workloads, one run from start to table row
 * bench-server.c    the thing under test: asynclogd, the null sink (the
 *                   ceiling), rsyslog, syslog-ng; configs, start, stop, VmHWM
 * bench-client.c    the client processes: libasynclog, syslog stream,
 *                   syslog dgram; the record bytes they send
 * bench-verify.c    follows the output file while the run goes, counts every
 *                   record once by (client, sequence), finds lost/duplicates
 * bench-idle.c      idle latency: one record from a command-line client
 *                   until its line is in the file
 * bench-collector.c the collector of the forwarding runs: rsyslog on
 *                   127.0.0.1 (imtcp or imrelp) writing what it receives
 * bench-call.c      call latency: one log call in the caller, four ways
 * bench-util.c      clock, sleep, write-all, unix socket address
 *
 * Calls go one way: asynclog-bench.c -> bench-server.c, bench-client.c,
 * bench-verify.c, bench-idle.c, bench-collector.c -> bench-util.c; nothing
 * calls back up.
 *
 * The bench never links daemon code: it drives the real build/asynclogd
 * through its sockets, as any application would.
 */
#ifndef BENCH_H
#define BENCH_H

#include <sys/types.h>
#include <sys/un.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How clients hand records over. */
enum bench_input {
	INPUT_LIB,		/* libasynclog, asynclog_write/asynclog_log */
	INPUT_STREAM,		/* syslog lines on a unix stream socket, big writes */
	INPUT_DGRAM,		/* one datagram per record */
	INPUT_TCP,		/* syslog lines over TCP to 127.0.0.1, big writes */
};

/* What receives them. */
enum bench_server_kind {
	SERVER_ASYNCLOGD,
	SERVER_NULL,		/* socket-to-file copy loop: the ceiling */
	SERVER_RSYSLOG,
	SERVER_SYSLOGNG,
};

struct bench_workload {
	const char	*name;		/* "W1", "custom", ... */
	unsigned	 clients;	/* N */
	uint64_t	 records;	/* M, per client */
	size_t		 size;		/* S, message bytes per record */
};

struct bench_opts {
	const char	*build;		/* directory holding asynclogd */
	const char	*sync;		/* asynclogd output sync policy */
	unsigned	 flush_ms;	/* asynclogd flush_interval_ms, 0: its default */
	const char	*syslogng_root;	/* where install-comparisons.sh unpacked it */
	bool		 use_log;	/* asynclog_log("%s") instead of asynclog_write */
	bool		 use_deferred;	/* ASYNCLOG("%s") instead of asynclog_write */
	bool		 block;		/* open handles with ASYNCLOG_BLOCK */
	bool		 keep;		/* keep the temp dir */
	bool		 verbose;
	unsigned	 timeout_s;	/* per run, all included */
	const char	*forward;	/* "tcp", "relp": forward to the collector
					 * instead of writing a file */
	int		 forward_port;	/* the collector's, on 127.0.0.1 */
};

/* The collector of a forwarding run. */
struct bench_collector {
	pid_t		 pid;
	int		 port;
	char		 dir[300];	/* its own temp dir */
	char		 conf[400];
	char		 out[400];	/* what the verifier follows */
	char		 log[400];
	char		 pidfile[400];
};

/* A running server under test. */
struct bench_server {
	enum bench_server_kind kind;
	pid_t		 pid;
	char		 dir[256];	/* its own temp dir */
	char		 out[300];	/* the file every record must reach */
	char		 native[300];	/* asynclogd native socket */
	char		 stream[300];	/* stream socket (syslog stream / null sink) */
	char		 dgram[300];	/* syslog dgram socket, "" if none */
	char		 tcp[32];	/* "tcp:PORT" on 127.0.0.1, "" if none */
	char		 log[300];	/* the server's stderr */
};

/* Per-client results, in a MAP_SHARED page so children can fill them. */
struct bench_client_result {
	uint64_t	 sent;		/* records the client handed over */
	uint64_t	 dropped;	/* asynclog_dropped() or send errors */
	int		 flush_ok;	/* asynclog_flush() returned 0 */
	int		 error;		/* errno of a fatal error, 0 if none */
};

struct bench_latency {
	bool		 valid;
	uint64_t	 p50, p99, p999, max;	/* ns */
};

/* What the verifier saw. */
struct bench_verify {
	int		 fd;
	char		 path[300];
	unsigned	 clients;
	uint64_t	 records;
	size_t		 size;
	uint8_t		*seen;		/* bitmap, clients * records bits */
	char		*buf;
	size_t		 len;		/* bytes of a partial line kept in buf */
	uint64_t	 unique;	/* distinct (client, seq) lines */
	uint64_t	 dups;
	uint64_t	 corrupt;	/* a bench line whose payload is damaged */
	uint64_t	 other;		/* lines that are not bench records */
	uint64_t	 bytes;		/* file bytes read */
};

/* bench-server.c */
int	 server_start(struct bench_server *, enum bench_server_kind,
	    const char *parent_dir, const char *label,
	    const struct bench_opts *);
long	 server_vmhwm_kib(const struct bench_server *);
uint64_t server_cpu_ns(const struct bench_server *);
int	 server_stop(struct bench_server *, unsigned timeout_s);
void	 server_cleanup(struct bench_server *, bool keep);
const char *server_name(enum bench_server_kind);
bool	 server_available(enum bench_server_kind, const struct bench_opts *);

/* bench-collector.c */
bool	 collector_available(const char *protocol);
int	 collector_start(struct bench_collector *, const char *parent_dir,
	    const char *label, const char *protocol);
void	 collector_stop(struct bench_collector *, bool keep);

/* bench-client.c */
pid_t	 client_spawn(unsigned id, enum bench_input, const char *sock_path,
	    const struct bench_workload *, const struct bench_opts *,
	    const int go[2], struct bench_client_result *,
	    struct bench_latency *);
size_t	 client_record(char *dst, unsigned id, uint64_t seq, size_t size);

/* bench-verify.c */
int	 verify_init(struct bench_verify *, const char *path,
	    const struct bench_workload *);
int	 verify_poll(struct bench_verify *);
void	 verify_free(struct bench_verify *);

/* bench-idle.c: run the command argv (its "%s" replaced by the message)
 * tries times, each on an idle server, and time each record from the
 * command's start to its line in out_path. -1 when no try succeeded. */
int	 idle_latency(const char *out_path, const char *const *argv,
	    unsigned tries, struct bench_latency *, unsigned *failed);

/* bench-call.c: the cost of one log call, four ways, batches of 1000
 * against the daemon at sock; prints the table. */
int	 call_latency(const char *sock, unsigned batches);

/* bench-util.c */
uint64_t bench_now_ns(void);
void	 bench_sleep_ms(unsigned);
/* Write all of buf, retrying after EINTR and short writes; 0 or -1. */
int	 bench_write_all(int fd, const char *buf, size_t len);
/* Fill a unix address; -1 with ENAMETOOLONG if path does not fit. */
int	 bench_sockaddr(struct sockaddr_un *, const char *path);
/* Connect to a unix socket of type, or to "tcp:PORT" on 127.0.0.1. */
int	 bench_connect(const char *path, int type);
/* A free TCP port on 127.0.0.1, 0 if none. */
unsigned bench_free_port(void);

#endif
