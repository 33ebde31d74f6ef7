/* SPDX-License-Identifier: ISC */
/*
 * config.h: asynclogd's configuration, read with libconfig and validated
 * completely before the daemon uses any of it.
 *
 * All defaults live in config.c. Every error names the file and line it comes
 * from ("conf/x.conf:12: output 'main': unknown key 'sise' in rotate"),
 * because an administrator who has to guess which line is wrong will get it
 * wrong. Only a required setting that is absent altogether has no line to
 * point at; its message names the file alone ("x.conf: no outputs ...").
 */
#ifndef ASYNCLOG_CONFIG_H
#define ASYNCLOG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "filter.h"
#include "format.h"
#include "match.h"
#include "template.h"

enum config_overflow {
	OVERFLOW_BACKPRESSURE,	/* stop reading from clients until there is room */
	OVERFLOW_DROP,		/* keep reading, count dropped.overflow */
};

enum config_sync {
	SYNC_NEVER,		/* leave it to the kernel */
	SYNC_INTERVAL,		/* fdatasync at most every sync_interval_ms */
	SYNC_ALWAYS,		/* fdatasync after every chunk, before acking */
};

enum config_output_type {
	CONFIG_OUTPUT_FILE,	/* append to a file (writer.c) */
	CONFIG_OUTPUT_FORWARD,	/* send to a collector over the network (forward.c) */
	CONFIG_OUTPUT_KAFKA,	/* produce to a Kafka topic (kafka.c) */
};

enum config_protocol {
	CONFIG_PROTOCOL_TCP,	/* RFC 6587 octet counting */
	CONFIG_PROTOCOL_TLS,	/* the same inside TLS (RFC 5425) */
	CONFIG_PROTOCOL_RELP,	/* RELP (librelp): acknowledged; TLS when
				 * tls = { ... } is set */
};

/* type = "kafka": what a message's key is (its partition follows it). */
enum config_kafka_key {
	CONFIG_KAFKA_KEY_NONE,	/* no key: librdkafka spreads the records */
	CONFIG_KAFKA_KEY_HOST,	/* the record's host member */
	CONFIG_KAFKA_KEY_TAG,	/* its tag member */
};

/* One librdkafka property, as rd_kafka_conf_set() takes it. */
struct config_kafka_prop {
	char		*name;
	char		*value;
};

/* type = "kafka" only (kafka.c). */
struct config_kafka {
	char		*brokers;	/* bootstrap.servers */
	char		*topic;
	enum config_kafka_key key;
	/* Every librdkafka property in the order it is set: brokers, acks
	 * and compression first, then the properties group in file order.
	 * Each was accepted by rd_kafka_conf_set() at load time. */
	size_t		 nprops;
	struct config_kafka_prop *props;
};

/* A network input (listen.tcp, listen.tls, listen.udp). */
enum config_netin_kind {
	CONFIG_NETIN_TCP,	/* RFC 6587: octet counting or LF, per connection */
	CONFIG_NETIN_TLS,	/* the same inside TLS (RFC 5425) */
	CONFIG_NETIN_UDP,	/* RFC 5426: one message per datagram */
	CONFIG_NETIN_RELP,	/* RELP: acknowledged once written */
};

enum config_client_certs {
	CLIENT_CERTS_REQUIRED,	/* a verified client certificate or no session */
	CLIENT_CERTS_OPTIONAL,	/* verified when one is shown */
	CLIENT_CERTS_NONE,	/* not asked for */
};

struct config_netin {
	enum config_netin_kind kind;
	char		*address;	/* numeric, without brackets */
	unsigned	 port;
	int		 line;		/* where it was defined, for messages */
};

struct config_output {
	char		*name;
	enum config_output_type type;
	char		*path;		/* the file; for a forward output its
					 * identity "PROTOCOL://HOST:PORT", for
					 * a kafka one "kafka://BROKERS/TOPIC", so
					 * that reload matches outputs by path
					 * whatever their type */
	enum format_kind format;
	struct template	*template;	/* the line template; NULL = format */
	/* A path whose file name holds fields ("/var/log/apps/${tag}.log"):
	 * the writer keeps at most max_open_files of its files open, and
	 * records whose name is unusable go to fallback (a path). */
	struct template	*name_template;	/* NULL = path is one file */
	char		*fallback;
	unsigned	 max_open_files;
	char		*match;		/* selector text, "*.*" when not set */
	struct match	 selector;	/* compiled from match */
	struct filter	*filter;	/* NULL = none; compiled from the
					 * filter key, owned here (each copy
					 * compiles its own) */
	bool		 final;		/* a record this output takes goes to
					 * no output after it */
	enum config_sync sync;
	unsigned	 sync_interval_ms;
	uint64_t	 keep_free_bytes;	/* 0 = none */
	unsigned	 keep_free_percent;	/* 0 = none; percent of the filesystem */
	uint64_t	 rotate_size;	/* 0 = no size limit */
	uint64_t	 rotate_age_s;	/* 0 = no age limit */
	unsigned	 rotate_keep;
	bool		 rotate_compress;	/* zstd */
	mode_t		 file_mode;
	char		*owner;		/* NULL = do not chown */
	char		*group;
	bool		 allow_shared_dir;	/* as root, accept a log directory
					 * others can write (logdir.h) */
	char		 sd_id[FORMAT_SD_ID_MAX + 1];	/* format.sd_id, copied
					 * here for the output's own threads */
	/* type = "forward" only. */
	char		*host;		/* of target: a name or an address */
	unsigned	 port;
	enum config_protocol protocol;
	char		*tls_ca_file;	/* required with protocol "tls"; with
					 * "relp", set means RELP over TLS */
	char		*tls_cert_file;	/* our client certificate, or NULL */
	char		*tls_key_file;	/* its key; both or neither */
	char		*tls_peer_name;	/* the name the collector's certificate
					 * must carry; host when not set */
	char		*spool_path;	/* a directory, or NULL: no spool */
	uint64_t	 spool_max_size;	/* bytes its segments may hold */
	enum config_sync spool_sync;	/* after each append: never, at most
					 * once a second, always */
	struct config_kafka *kafka;	/* type = "kafka" only, else NULL */
	char		*file;		/* where it was defined (a file of */
	int		 line;		/* include_dir, or the main one) */
};

struct config {
	char		*file;		/* where it came from, "(built-in)" for the default */
	char		*socket;	/* native stream socket path */
	char		*syslog_stream;	/* NULL = none */
	char		*syslog_dgram;	/* NULL = none */
	char		*journal;	/* journald's ForwardToSyslog datagram
					 * socket; NULL = none */
	char		*kmsg;		/* the kernel log device; NULL = none */
	char		*kmsg_state;	/* where kmsg keeps the last sequence
					 * number written (kmsg.h) */
	mode_t		 socket_mode;
	size_t		 chunk_size;
	size_t		 max_memory;
	unsigned	 flush_interval_ms;
	enum config_overflow overflow;
	unsigned	 stall_timeout_ms;	/* backpressure: longest wait for one output */
	size_t		 max_record;	/* largest message accepted, bytes, framing
					 * excluded; fits a chunk in every format */
	unsigned	 max_clients;
	unsigned	 max_clients_per_user;	/* 0 = a quarter of max_clients */
	unsigned	 frame_timeout_ms;	/* HELLO and a started frame must
						 * come whole within this */
	unsigned	 max_clients_per_peer;	/* network: per address; 0 = a
						 * quarter of max_clients */
	size_t		 nnetin;
	struct config_netin *netin;	/* listen.tcp, listen.tls, listen.udp */
	char		*tls_cert_file;	/* listen.tls_server: ours */
	char		*tls_key_file;
	char		*tls_ca_file;	/* verifies clients; NULL with "none" */
	enum config_client_certs tls_client_certs;
	size_t		 client_memory;	/* all connections' read buffers */
	unsigned	 drain_timeout_ms;	/* SIGTERM: how long to drain */
	unsigned	 ratelimit_interval_ms;	/* per-sender window */
	unsigned	 ratelimit_burst;	/* records per window; 0 = no limit */
	char		 sd_id[FORMAT_SD_ID_MAX + 1];	/* our RFC 5424 SD-ID */
	uint64_t	 budget_max_use;	/* disk_budget: 0 = none */
	unsigned	 budget_interval_ms;	/* how often it is checked */
	char		*stats_file;	/* Prometheus text, rewritten; NULL = none */
	unsigned	 stats_interval_s;	/* how often: the file, the record */
	bool		 stats_log;	/* a stats record in the log, too */
	size_t		 noutputs;
	struct config_output *outputs;
};

/* The configuration used when asynclogd is started without -c. */
extern const char config_builtin[];

/*
 * Load and validate. Returns NULL on error with a message in err
 * ("file:line: what is wrong"). The caller owns the result (config_free).
 */
struct config *config_load_file(const char *path, char *err, size_t errlen);
struct config *config_load_string(const char *text, const char *name,
	    char *err, size_t errlen);
void	config_free(struct config *);

/*
 * The checks of asynclogd -t beyond the file's own text, against the
 * system as it is now: unknown owner or group, a directory that is
 * missing or that we cannot write, a path that is a directory. Every
 * problem is a line "file:line: output 'x': ..." in err; returns their
 * number (0: all is well).
 */
int	config_check_system(const struct config *, char *err, size_t errlen);

/* A private deep copy of one output's settings (outputs and writer threads
 * keep their own, so a reload can free the old config at once). */
struct config_output *config_output_dup(const struct config_output *);
void	config_output_free(struct config_output *);

/*
 * "64K", "256k", "10M", "1G", "123" -> bytes. Returns 0 or -1 on a bad value
 * or overflow.
 */
int	config_parse_size(const char *s, uint64_t *out);
/* "30s", "5m", "1h", "1d", "90" (seconds) -> seconds. */
int	config_parse_duration(const char *s, uint64_t *out);

#endif
