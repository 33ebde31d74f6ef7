/* SPDX-License-Identifier: ISC */
/*
 * server.c: the running daemon as a whole: brings the outputs (in the route
 * table), the connections, the listeners and the kernel log input up in
 * order, switches to a new configuration on SIGHUP without ever opening a
 * file on the loop thread, and drains in order on SIGTERM (stop accepting,
 * let clients finish what they sent, hand every chunk to the sinks, leave
 * the loop). A hand-off (SIGUSR2) drains the same way but keeps the
 * listening sockets for the next image of the daemon (server_exec).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "budget.h"
#include "clock.h"
#include "conn.h"
#include "kmsg.h"
#include "listen.h"
#include "log.h"
#include "output.h"
#include "route.h"
#include "server.h"
#include "statsfile.h"

/* How long a reload waits for the files it adds to open. */
#define SERVER_OPEN_TIMEOUT_MS	10000

static struct output *
server_output_new(struct server *srv, const struct config *conf,
    const struct config_output *oc, unsigned index, char *err, size_t errlen)
{
	unsigned nchunks;

	/* The whole memory budget is split into fixed pools up front. */
	nchunks = conf->max_memory / conf->chunk_size / conf->noutputs;
	if (nchunks < 2)
		nchunks = 2;
	return output_new(srv->base, oc, index, conf->chunk_size, nchunks,
	    conf->flush_interval_ms, err, errlen);
}

static int
server_check_outputs(const struct config *conf, char *err, size_t errlen)
{
	if (conf->noutputs <= ROUTE_MAX_OUTPUTS)
		return 0;
	snprintf(err, errlen, "%s: at most %d outputs", conf->file,
	    ROUTE_MAX_OUTPUTS);
	return -1;
}

int
server_start(struct server *srv, struct event_base *base, struct config *conf,
    char *err, size_t errlen)
{
	struct output *o;
	size_t i;

	memset(srv, 0, sizeof(*srv));
	srv->base = base;
	srv->conf = conf;
	/* Before anything is active on the loop: outputs commit in its idle
	 * passes (task.h). */
	if (task_loop_init(base) == -1) {
		snprintf(err, errlen, "cannot set the event loop's priorities");
		return -1;
	}
	if (server_check_outputs(conf, err, errlen) == -1)
		return -1;
	if ((srv->route = route_new(conf)) == NULL ||
	    (srv->conns = conn_set_new(base, srv->route)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < conf->noutputs; i++) {
		if ((o = server_output_new(srv, conf, &conf->outputs[i], i,
		    err, errlen)) == NULL)
			return -1;
		route_add(srv->route, o);
		/* Before the loop runs, waiting for the open costs nobody. */
		if (output_opened(o, true, err, errlen) == -1)
			return -1;
	}
	if (budget_start(conf, err, errlen) == -1)
		return -1;
	if ((srv->stats = statsfile_new(base, srv->route)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	srv->listeners = listen_start(base, conf, srv->route, srv->conns, err,
	    errlen);
	if (srv->listeners == NULL)
		return -1;
	if (conf->kmsg != NULL && (srv->kmsg = kmsg_new(base, srv->route,
	    conf->kmsg, conf->kmsg_state, err, errlen)) == NULL)
		return -1;
	return 0;
}

unsigned
server_noutputs(const struct server *srv)
{
	return route_noutputs(srv->route);
}

bool
server_draining(const struct server *srv)
{
	return srv->draining;
}

struct route *
server_route(const struct server *srv)
{
	return srv->route;
}

struct event_base *
server_base(const struct server *srv)
{
	return srv->base;
}

static int
server_ms_left(int64_t deadline_ns)
{
	int64_t left = deadline_ns - clock_mono_ns();

	return left <= 0 ? 0 : (int)(left / 1000000) + 1;
}

static struct output *
server_busy_output(struct server *srv)
{
	struct output *o;
	unsigned i;

	/* Not one held by an absent peer: its records are counted as
	 * undelivered when it stops, rather than keep the drain waiting. */
	for (i = 0; (o = route_output(srv->route, i)) != NULL; i++)
		if (!output_idle(o) && !output_held(o))
			return o;
	return NULL;
}

static enum task_step
server_drain_task(struct task *t)
{
	struct server *srv = t->arg;
	struct output *o;
	unsigned i;

	TASK_BEGIN(t);
	if (srv->handoff)
		listen_keep(srv->listeners, &srv->kept);
	else
		listen_stop(srv->listeners);
	srv->listeners = NULL;
	kmsg_stop(srv->kmsg);
	budget_stop();
	conn_drain_all(srv->conns);
	while (conn_count(srv->conns) > 0 &&
	    server_ms_left(srv->drain_deadline_ns) > 0)
		TASK_AWAIT_COND(t, conn_ended(srv->conns),
		    server_ms_left(srv->drain_deadline_ns));
	for (i = 0; (o = route_output(srv->route, i)) != NULL; i++)
		output_flush(o);
	while ((o = server_busy_output(srv)) != NULL &&
	    server_ms_left(srv->drain_deadline_ns) > 0)
		TASK_AWAIT_COND(t, output_progress(o),
		    server_ms_left(srv->drain_deadline_ns));
	if ((o = server_busy_output(srv)) != NULL)
		log_warn("drain deadline of %u ms passed; output %s still "
		    "writing", srv->conf->drain_timeout_ms, output_name(o));
	if (conn_count(srv->conns) > 0)
		log_warn("drain deadline of %u ms passed; %u clients still "
		    "connected", srv->conf->drain_timeout_ms,
		    conn_count(srv->conns));
	/* Now that the outputs wrote what the kernel log gave them. */
	kmsg_free(srv->kmsg);
	srv->kmsg = NULL;
	event_base_loopexit(srv->base, NULL);
	TASK_END(t);
}

void
server_drain(struct server *srv)
{
	if (srv->draining)
		return;
	srv->draining = true;
	srv->drain_deadline_ns = clock_mono_ns() +
	    (int64_t)srv->conf->drain_timeout_ms * 1000000;
	if (task_spawn(srv->base, &srv->drain, "drain", server_drain_task,
	    NULL, srv) == -1)
		event_base_loopexit(srv->base, NULL);
}

void
server_handoff(struct server *srv)
{
	if (srv->draining)
		return;
	srv->handoff = true;
	server_drain(srv);
}

void
server_cancel_handoff(struct server *srv)
{
	srv->handoff = false;
}

bool
server_handing_off(const struct server *srv)
{
	return srv->handoff;
}

int
server_exec(struct server *srv, char *const argv[])
{
	return listen_exec(&srv->kept, argv);
}

void
server_reopen(struct server *srv)
{
	struct output *o;
	unsigned i;

	for (i = 0; (o = route_output(srv->route, i)) != NULL; i++)
		output_reopen(o);
}

/* Two optional strings alike (both NULL, or equal): paths, names. */
static bool
server_same_path(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

static bool
server_same_netin(const struct config *a, const struct config *b)
{
	size_t i;

	if (a->nnetin != b->nnetin ||
	    !server_same_path(a->tls_cert_file, b->tls_cert_file) ||
	    !server_same_path(a->tls_key_file, b->tls_key_file) ||
	    !server_same_path(a->tls_ca_file, b->tls_ca_file) ||
	    a->tls_client_certs != b->tls_client_certs)
		return false;
	for (i = 0; i < a->nnetin; i++)
		if (a->netin[i].kind != b->netin[i].kind ||
		    a->netin[i].port != b->netin[i].port ||
		    strcmp(a->netin[i].address, b->netin[i].address) != 0)
			return false;
	return true;
}

static bool
server_same_listen(const struct config *a, const struct config *b)
{
	return server_same_netin(a, b) && strcmp(a->socket, b->socket) == 0 &&
	    server_same_path(a->syslog_stream, b->syslog_stream) &&
	    server_same_path(a->syslog_dgram, b->syslog_dgram) &&
	    server_same_path(a->journal, b->journal) &&
	    server_same_path(a->kmsg, b->kmsg) &&
	    server_same_path(a->kmsg_state, b->kmsg_state) &&
	    a->socket_mode == b->socket_mode;
}

/* Free an output that never went live. One whose sink is stuck opening
 * (a hung network filesystem) cannot be freed: it is left behind. */
static void
server_discard(struct output *o)
{
	struct timespec deadline;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 1;
	if (output_stop(o, &deadline) == -1) {
		log_warn("output %s: still opening %s; left behind",
		    output_name(o), output_path(o));
		return;
	}
	output_free(o);
}

/* Every new output opened: switch the route table to the new config. */
static void
server_reload_commit(struct server *srv)
{
	struct config *conf = srv->next_conf;
	struct output *live[ROUTE_MAX_OUTPUTS], *o;
	size_t i;

	for (i = 0; i < conf->noutputs; i++) {
		if ((o = srv->fresh[i]) != NULL) {
			log_info("output %s: opened %s", output_name(o),
			    output_path(o));
		} else {
			o = route_find_path(srv->route, conf->outputs[i].path);
			if (output_reconfigure(o, &conf->outputs[i],
			    conf->flush_interval_ms) == -1)
				log_warn("output %s: out of memory; keeping its "
				    "old settings", output_name(o));
		}
		live[i] = o;
		srv->fresh[i] = NULL;
	}
	route_replace(srv->route, live, conf->noutputs);
	route_set_config(srv->route, conf);
	budget_update(conf);
	if (!server_same_listen(srv->conf, conf))
		log_warn("listen settings changed; they take effect at the "
		    "next restart");
	srv->conf = conf;
}

/* The reload failed or was cut short: nothing changed but new outputs. */
static void
server_reload_undo(struct server *srv)
{
	size_t i;

	for (i = 0; i < srv->next_conf->noutputs; i++) {
		if (srv->fresh[i] != NULL)
			server_discard(srv->fresh[i]);
		srv->fresh[i] = NULL;
	}
}

static void
server_reload_end(struct server *srv, const char *err)
{
	struct config *conf = srv->next_conf;

	srv->next_conf = NULL;
	srv->reload_cb(srv, conf, err);
}

/*
 * Wait for each added output's sink to open its file on its own thread,
 * then commit; a failure or a timeout leaves the running config untouched.
 */
static enum task_step
server_reload_task(struct task *t)
{
	struct server *srv = t->arg;
	struct output *o;
	int rc = 0;

	TASK_BEGIN(t);
	for (srv->reload_i = 0; srv->reload_i < srv->next_conf->noutputs;
	    srv->reload_i++) {
		while ((o = srv->fresh[srv->reload_i]) != NULL &&
		    (rc = output_opened(o, false, srv->reload_err,
		    sizeof(srv->reload_err))) == 1 &&
		    server_ms_left(srv->reload_deadline_ns) > 0)
			TASK_AWAIT_COND(t, output_progress(o),
			    server_ms_left(srv->reload_deadline_ns));
		if (o != NULL && rc == 1)
			snprintf(srv->reload_err, sizeof(srv->reload_err),
			    "output %s: opening %s did not finish within "
			    "%d ms", output_name(o), output_path(o),
			    SERVER_OPEN_TIMEOUT_MS);
		if (o != NULL && rc != 0) {
			server_reload_undo(srv);
			server_reload_end(srv, srv->reload_err);
			break;
		}
	}
	if (srv->next_conf != NULL) {
		server_reload_commit(srv);
		server_reload_end(srv, NULL);
	}
	TASK_END(t);
}

static void
server_reload_cleanup(struct task *t)
{
	struct server *srv = t->arg;

	if (srv->next_conf == NULL)
		return;
	server_reload_undo(srv);	/* cancelled: the daemon is stopping */
	server_reload_end(srv, "the daemon is stopping");
}

bool
server_reloading(const struct server *srv)
{
	return srv->next_conf != NULL;
}

/*
 * Apply a new configuration. Outputs are matched by path (one file, one
 * sink, whatever the output is called now: two writers appending to one
 * file could cut each other's records when undoing a failed write). Kept
 * ones take their new settings between two chunks, new ones start, removed
 * ones write what they hold and close. Everything that can fail (opening
 * new files) happens before anything changes.
 */
int
server_reload(struct server *srv, struct config *conf, server_reload_cb cb,
    char *err, size_t errlen)
{
	uint64_t taken = 0;
	size_t i;
	int index, rc = -1;

	if (server_reloading(srv)) {
		snprintf(err, errlen, "a reload is still in progress");
		return -1;
	}
	if (server_check_outputs(conf, err, errlen) == -1)
		return -1;
	srv->next_conf = conf;
	srv->reload_cb = cb;
	for (i = 0; i < conf->noutputs; i++) {
		srv->fresh[i] = NULL;
		if (route_find_path(srv->route, conf->outputs[i].path) != NULL)
			continue;
		if (route_retiring_path(srv->route, conf->outputs[i].path)) {
			snprintf(err, errlen, "%s: output %s: %s is still being "
			    "closed after the last reload", conf->file,
			    conf->outputs[i].name, conf->outputs[i].path);
			rc = SERVER_RELOAD_BUSY;
			goto undo;
		}
		if ((index = route_free_index(srv->route, taken)) == -1) {
			snprintf(err, errlen, "no free output slot");
			goto undo;
		}
		if ((srv->fresh[i] = server_output_new(srv, conf,
		    &conf->outputs[i], index, err, errlen)) == NULL)
			goto undo;
		taken |= (uint64_t)1 << index;
	}
	srv->reload_deadline_ns = clock_mono_ns() +
	    (int64_t)SERVER_OPEN_TIMEOUT_MS * 1000000;
	if (task_spawn(srv->base, &srv->reload, "reload", server_reload_task,
	    server_reload_cleanup, srv) == -1) {
		snprintf(err, errlen, "out of memory");
		goto undo;
	}
	return 0;
undo:
	server_reload_undo(srv);
	srv->next_conf = NULL;
	return rc;
}

int
server_stop(struct server *srv)
{
	struct timespec deadline;
	int stuck;

	listen_stop(srv->listeners);
	srv->listeners = NULL;
	kmsg_free(srv->kmsg);
	srv->kmsg = NULL;
	if (srv->conns != NULL)
		conn_close_all(srv->conns);
	if (task_alive(&srv->drain))
		task_cancel(&srv->drain);
	if (task_alive(&srv->reload))
		task_cancel(&srv->reload);
	if (srv->route == NULL)
		return 0;
	/* Outputs get one more drain period to write what they hold. */
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += srv->conf->drain_timeout_ms / 1000 + 1;
	stuck = route_stop(srv->route, &deadline);
	/* The final counters into the stats file. */
	statsfile_free(srv->stats);
	srv->stats = NULL;
	return stuck;
}

void
server_free(struct server *srv)
{
	if (server_stop(srv) > 0)
		return;	/* a sink is stuck; the process is about to exit */
	conn_set_free(srv->conns);
	route_free(srv->route);
	srv->conns = NULL;
	srv->route = NULL;
}
