/* SPDX-License-Identifier: ISC */
/*
 * listen.h: the daemon's sockets. Creates (or takes from systemd) the native
 * stream socket, the syslog stream socket, the syslog datagram socket and
 * journald's forwarding socket (a datagram socket too);
 * accepts on the stream sockets (spawning a connection per client, conn.h)
 * and hands the datagram socket to the datagram input (dgram.h). Loop
 * thread only.
 */
#ifndef ASYNCLOG_LISTEN_H
#define ASYNCLOG_LISTEN_H

#include <stdbool.h>
#include <stddef.h>

struct config;
struct conn_set;
struct event_base;
struct listen_set;
struct route;

/* Open every socket conf names. Returns NULL with err set. */
struct listen_set *listen_start(struct event_base *, const struct config *,
	    struct route *, struct conn_set *, char *err, size_t errlen);

/* Stop accepting and close the sockets (unlinking those we created); frees. */
void	listen_stop(struct listen_set *);

/*
 * The sockets by kind, for handing them on (the service manager's fd store,
 * a re-exec): their names as systemd's FileDescriptorName= spells them.
 */
#define LISTEN_NKINDS	4
extern const char *const listen_names[LISTEN_NKINDS];

/* Each kind's descriptor, -1 where none; still owned by the set. */
void	listen_fds(const struct listen_set *, int fds[LISTEN_NKINDS]);

/* The sockets outlive this process (kept in the service manager's fd
 * store): never unlink their paths at stop. */
void	listen_persist(struct listen_set *);

/* Network sockets systemd may pass, or a re-exec keep, at most. */
#define LISTEN_MAX_NET	64

/* Sockets kept across a re-exec: each with its systemd name. */
struct listen_kept {
	int		 n;
	int		 fds[LISTEN_NKINDS + LISTEN_MAX_NET];
	const char	*names[LISTEN_NKINDS + LISTEN_MAX_NET];	/* static */
};

/*
 * Re-exec hand-off, step 1: stop accepting and reading but keep the sockets
 * open, so clients queue in the kernel meanwhile (network ones too, named
 * tcp, tls, udp). Puts a close-on-exec descriptor of each in kept and frees
 * the set.
 */
void	listen_keep(struct listen_set *, struct listen_kept *kept);

/*
 * Step 2, once the daemon drained: exec /proc/self/exe with argv, passing
 * the kept sockets the way systemd does (LISTEN_FDS, LISTEN_PID,
 * LISTEN_FDNAMES) so the new image takes them in listen_start. Returns only
 * on failure, with errno set.
 */
int	listen_exec(struct listen_kept *kept, char *const argv[]);

/* Note the path of our binary at start-up, for listen_exec. */
void	listen_note_exe(void);
/* Block (or let arrive) the signals the daemon handles: blocked through
 * a re-exec, they wait for the new image instead of killing it. */
void	listen_block_signals(bool block);

#endif
