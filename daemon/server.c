/*
 * server.c: the running daemon as a whole: brings outputs and listeners up
 * in order, routes each record to the outputs whose selectors take it, and
 * drains in order on SIGTERM (stop accepting, let clients finish what they
 * sent, hand every chunk to the writers, leave the loop).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "conn.h"
#include "listen.h"
#include "log.h"
#include "match.h"
#include "server.h"
#include "stats.h"

int
server_start(struct server *srv, struct event_base *base, struct config *conf,
    char *err, size_t errlen)
{
	struct output *o;
	unsigned nchunks;
	size_t i;

	memset(srv, 0, sizeof(*srv));
	srv->base = base;
	srv->conf = conf;
	TAILQ_INIT(&srv->outputs);
	LIST_INIT(&srv->conns);
	LIST_INIT(&srv->listeners);
	task_cond_init(&srv->conns_changed);
	if (conf->noutputs > SERVER_MAX_OUTPUTS) {
		snprintf(err, errlen, "%s: at most %d outputs", conf->file,
		    SERVER_MAX_OUTPUTS);
		return -1;
	}
	/* The whole memory budget is split into fixed pools up front. */
	nchunks = conf->max_memory / conf->chunk_size / conf->noutputs;
	if (nchunks < 2)
		nchunks = 2;
	for (i = 0; i < conf->noutputs; i++) {
		o = output_new(base, &conf->outputs[i], i, conf->chunk_size,
		    nchunks, conf->flush_interval_ms, err, errlen);
		if (o == NULL)
			return -1;
		TAILQ_INSERT_TAIL(&srv->outputs, o, entry);
		srv->noutputs++;
	}
	return listen_start(srv, err, errlen);
}

uint64_t
server_route(struct server *srv, const struct record *rec)
{
	struct output *o;
	uint64_t mask = 0;

	TAILQ_FOREACH(o, &srv->outputs, entry)
		if (match_record(&o->conf->selector, rec->facility,
		    rec->severity))
			mask |= (uint64_t)1 << o->index;
	if (mask == 0)
		stats_input_drop(DROP_NO_OUTPUT, 1);
	return mask;
}

struct output *
server_deliver(struct server *srv, const struct record *rec, uint64_t *pending)
{
	struct output *o;

	TAILQ_FOREACH(o, &srv->outputs, entry) {
		if ((*pending & ((uint64_t)1 << o->index)) == 0)
			continue;
		if (output_append(o, rec) == -1) {
			if (srv->conf->overflow == OVERFLOW_BACKPRESSURE &&
			    !o->stalled)
				return o;
			output_count_drop(o, DROP_OVERFLOW);
		}
		*pending &= ~((uint64_t)1 << o->index);
	}
	return NULL;
}

void
server_skip(struct server *srv, struct output *o, uint64_t *pending)
{
	if (!o->stalled)
		log_warn("output %s: no room for %u ms; dropping its records "
		    "until it takes a chunk again", o->conf->name,
		    srv->conf->stall_timeout_ms);
	o->stalled = true;
	output_count_drop(o, DROP_OVERFLOW);
	*pending &= ~((uint64_t)1 << o->index);
}

void
server_deliver_or_drop(struct server *srv, const struct record *rec,
    uint64_t *pending)
{
	struct output *o;

	while ((o = server_deliver(srv, rec, pending)) != NULL)
		server_skip(srv, o, pending);
}

static int
server_ms_left(const struct server *srv)
{
	int64_t left = srv->drain_deadline_ns - log_mono_ns();

	return left <= 0 ? 0 : (int)(left / 1000000) + 1;
}

static struct output *
server_busy_output(struct server *srv)
{
	struct output *o;

	TAILQ_FOREACH(o, &srv->outputs, entry)
		if (!output_idle(o))
			return o;
	return NULL;
}

static enum task_step
server_drain_task(struct task *t)
{
	struct server *srv = t->arg;
	struct output *o;

	TASK_BEGIN(t);
	listen_stop(srv);
	conn_drain_all(srv);
	while (srv->nconns > 0 && server_ms_left(srv) > 0)
		TASK_AWAIT_COND(t, &srv->conns_changed, server_ms_left(srv));
	TAILQ_FOREACH(o, &srv->outputs, entry)
		output_flush(o);
	while ((o = server_busy_output(srv)) != NULL && server_ms_left(srv) > 0)
		TASK_AWAIT_COND(t, &o->completed, server_ms_left(srv));
	if (srv->nconns > 0 || server_busy_output(srv) != NULL)
		log_warn("drain deadline of %u ms passed; %u clients still "
		    "connected", srv->conf->drain_timeout_ms, srv->nconns);
	event_base_loopexit(srv->base, NULL);
	TASK_END(t);
}

void
server_drain(struct server *srv)
{
	if (srv->draining)
		return;
	srv->draining = true;
	srv->drain_deadline_ns = log_mono_ns() +
	    (int64_t)srv->conf->drain_timeout_ms * 1000000;
	if (task_spawn(srv->base, &srv->drain, "drain", server_drain_task,
	    NULL, srv) == -1)
		event_base_loopexit(srv->base, NULL);
}

void
server_reopen(struct server *srv)
{
	struct output *o;

	TAILQ_FOREACH(o, &srv->outputs, entry)
		output_reopen(o);
}

void
server_stop(struct server *srv)
{
	struct output *o;

	listen_stop(srv);
	conn_close_all(srv);
	if (srv->drain.ev != NULL)
		task_cancel(&srv->drain);
	TAILQ_FOREACH(o, &srv->outputs, entry)
		output_stop(o);
}

void
server_free(struct server *srv)
{
	struct output *o;

	server_stop(srv);
	while ((o = TAILQ_FIRST(&srv->outputs)) != NULL) {
		TAILQ_REMOVE(&srv->outputs, o, entry);
		output_free(o);
	}
}
