/* SPDX-License-Identifier: ISC */
/*
 * server.h: the running daemon as a whole: brings the route table (with its
 * outputs), the connections and the listeners up in order, switches to a
 * new configuration on SIGHUP, and drains in order on SIGTERM. Loop thread
 * only.
 */
#ifndef ASYNCLOG_SERVER_H
#define ASYNCLOG_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "listen.h"
#include "route.h"
#include "task.h"

struct conn_set;
struct event_base;
struct kmsg;
struct listen_set;
struct route;
struct server;
struct statsfile;

/* Called when a reload finished: err is NULL when conf now runs (the
 * caller frees the old one), else why not (the caller frees conf). */
typedef void (*server_reload_cb)(struct server *, struct config *conf,
    const char *err);

struct server {
	struct event_base *base;
	struct config	*conf;
	struct route	*route;
	struct conn_set	*conns;
	struct listen_set *listeners;
	struct kmsg	*kmsg;		/* the kernel log input; NULL = none */
	struct statsfile *stats;	/* stats.file and stats.log */
	bool		 draining;	/* SIGTERM seen: no new clients */
	bool		 handoff;	/* draining for a re-exec: keep the sockets */
	struct listen_kept kept;	/* those sockets (listen.h) */
	struct task	 drain;
	int64_t		 drain_deadline_ns;	/* monotonic */
	struct task	 reload;	/* waits for new outputs to open */
	struct config	*next_conf;	/* what the reload switches to */
	struct output	*fresh[ROUTE_MAX_OUTPUTS];	/* its new outputs, by position */
	unsigned	 reload_i;	/* the reload task waits on fresh[i] */
	int64_t		 reload_deadline_ns;	/* monotonic */
	char		 reload_err[1024];
	server_reload_cb reload_cb;
};

/* Open outputs and listeners for conf (waiting for every output to open).
 * Returns 0, or -1 with err set. */
int	server_start(struct server *, struct event_base *, struct config *,
	    char *err, size_t errlen);

/* SIGTERM: stop accepting, let connections finish what they sent, drain
 * outputs, then leave the loop (within conf->drain_timeout_ms). */
void	server_drain(struct server *);

/*
 * SIGUSR2: as server_drain, but the listening sockets stay open (clients
 * connecting meanwhile wait in the kernel's backlog) for server_exec.
 */
void	server_handoff(struct server *);
/* A SIGTERM during the handoff: drain and exit instead. */
void	server_cancel_handoff(struct server *);
bool	server_handing_off(const struct server *);

/* After server_stop of a hand-off: exec this program again with argv and
 * the kept sockets. Returns only on failure, with errno set. */
int	server_exec(struct server *, char *const argv[]);

/*
 * SIGHUP with a valid new config: start outputs it adds (their sinks open
 * on their own threads), and once every one is open switch to it; cb says
 * how it ended. Returns -1 with err set when it cannot even start (then cb
 * is not called and nothing changed), and SERVER_RELOAD_BUSY when that is
 * only because an output the last reload removed is still closing on a
 * path the new config uses again: the same reload can work in a moment.
 */
#define SERVER_RELOAD_BUSY	(-2)
int	server_reload(struct server *, struct config *, server_reload_cb cb,
	    char *err, size_t errlen);
bool	server_reloading(const struct server *);

/* SIGHUP: reopen every output file. */
void	server_reopen(struct server *);

unsigned server_noutputs(const struct server *);
bool	server_draining(const struct server *);
struct route *server_route(const struct server *);
struct event_base *server_base(const struct server *);

/*
 * After the loop ended: close clients and sockets, let every output write
 * what is queued and stop; the counters are final after this. Returns how
 * many outputs are still blocked in a write after the deadline (then
 * nothing may be freed: exit).
 */
int	server_stop(struct server *);
void	server_free(struct server *);	/* stops first if needed */

#endif
