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
#include "format.h"
#include "match.h"
#include "ratelimit.h"
#include "server.h"
#include "stats.h"

static struct log_ratelimit server_rl = LOG_RATELIMIT_INIT(10000, 5);

static struct output *
server_output_new(struct server *srv, const struct config *conf,
    struct config_output *oc, unsigned index, char *err, size_t errlen)
{
	unsigned nchunks;

	/* The whole memory budget is split into fixed pools up front. */
	nchunks = conf->max_memory / conf->chunk_size / conf->noutputs;
	if (nchunks < 2)
		nchunks = 2;
	return output_new(srv->base, oc, index, conf->chunk_size, nchunks,
	    conf->flush_interval_ms, err, errlen);
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
	TAILQ_INIT(&srv->outputs);
	TAILQ_INIT(&srv->retiring);
	LIST_INIT(&srv->conns);
	LIST_INIT(&srv->listeners);
	task_cond_init(&srv->conns_changed);
	if (conf->noutputs > SERVER_MAX_OUTPUTS) {
		snprintf(err, errlen, "%s: at most %d outputs", conf->file,
		    SERVER_MAX_OUTPUTS);
		return -1;
	}
	for (i = 0; i < conf->noutputs; i++) {
		if ((o = server_output_new(srv, conf, &conf->outputs[i], i,
		    err, errlen)) == NULL)
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
server_ratelimit_report(struct server *srv, const struct ratelimit_report *rep,
    const char *who)
{
	char t1[64], t2[64], msg[256];
	struct record rec;
	uint64_t pending;
	ssize_t n1, n2;
	int n;

	if (rep->n == 0)
		return;
	n1 = format_time(rep->first_ns, t1, sizeof(t1));
	n2 = format_time(rep->last_ns, t2, sizeof(t2));
	n = snprintf(msg, sizeof(msg), "%s: %llu records rate-limited from "
	    "%.*s to %.*s (limit %u per %u ms)", who,
	    (unsigned long long)rep->n, (int)(n1 < 0 ? 0 : n1), t1,
	    (int)(n2 < 0 ? 0 : n2), t2, srv->conf->ratelimit_burst,
	    srv->conf->ratelimit_interval_ms);
	log_self_record(&rec, 4, msg, (size_t)n < sizeof(msg) ? (size_t)n :
	    sizeof(msg) - 1);
	pending = server_route(srv, &rec);
	server_deliver_or_drop(srv, &rec, &pending);
}

void
server_skip(struct server *srv, struct output *o, uint64_t *pending)
{
	if (!o->stalled)
		log_limited(&server_rl, "output %s: no room for %u ms; dropping "
		    "its records until it takes a chunk again", o->conf->name,
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

	/* A full pool is not a stalled output: count this record only. */
	while ((o = server_deliver(srv, rec, pending)) != NULL) {
		output_count_drop(o, DROP_OVERFLOW);
		*pending &= ~((uint64_t)1 << o->index);
	}
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

static struct output *
server_find_output(struct server *srv, const struct config_output *oc)
{
	struct output *o;

	/* By path: one file, one writer, whatever the output is called now
	 * (two writers appending to one file could cut each other's records
	 * when undoing a failed write). */
	TAILQ_FOREACH(o, &srv->outputs, entry)
		if (strcmp(o->conf->path, oc->path) == 0)
			return o;
	return NULL;
}

/* The lowest route bit no live or retiring output holds. */
static int
server_free_index(struct server *srv, uint64_t taken)
{
	struct output *o;
	int i;

	TAILQ_FOREACH(o, &srv->outputs, entry)
		taken |= (uint64_t)1 << o->index;
	TAILQ_FOREACH(o, &srv->retiring, entry)
		taken |= (uint64_t)1 << o->index;
	for (i = 0; i < SERVER_MAX_OUTPUTS; i++)
		if ((taken & ((uint64_t)1 << i)) == 0)
			return i;
	return -1;
}

static void
server_output_retired(struct output *o, void *arg)
{
	struct server *srv = arg;

	TAILQ_REMOVE(&srv->retiring, o, entry);
	stats_add(&stats_retired, &o->counters);
	log_info("output %s: closed", o->conf->name);
	output_free(o);
}

static bool
server_same_listen(const struct config *a, const struct config *b)
{
	return strcmp(a->socket, b->socket) == 0 &&
	    (a->syslog_stream == NULL) == (b->syslog_stream == NULL) &&
	    (a->syslog_stream == NULL ||
	    strcmp(a->syslog_stream, b->syslog_stream) == 0) &&
	    (a->syslog_dgram == NULL) == (b->syslog_dgram == NULL) &&
	    (a->syslog_dgram == NULL ||
	    strcmp(a->syslog_dgram, b->syslog_dgram) == 0) &&
	    a->socket_mode == b->socket_mode;
}

/*
 * Apply a new configuration. Outputs are matched by path: kept ones take
 * their new settings (name included) between two chunks, new ones start, removed
 * ones write what they hold and close. Everything that can fail (opening
 * new files) happens before anything changes, so a failed reload leaves the
 * old configuration running untouched.
 */
int
server_reload(struct server *srv, struct config *conf, char *err,
    size_t errlen)
{
	struct output_list fresh, keep;
	struct output *o;
	uint64_t taken = 0;
	size_t i;
	int index = 0;

	if (conf->noutputs > SERVER_MAX_OUTPUTS) {
		snprintf(err, errlen, "%s: at most %d outputs", conf->file,
		    SERVER_MAX_OUTPUTS);
		return -1;
	}
	TAILQ_INIT(&fresh);
	for (i = 0; i < conf->noutputs; i++) {
		if (server_find_output(srv, &conf->outputs[i]) != NULL)
			continue;
		TAILQ_FOREACH(o, &srv->retiring, entry) {
			if (strcmp(o->conf->path, conf->outputs[i].path) != 0)
				continue;
			snprintf(err, errlen, "%s: output %s: %s is still being "
			    "closed after the last reload; reload again in a "
			    "moment", conf->file, conf->outputs[i].name,
			    conf->outputs[i].path);
			index = -2;
		}
		if (index == -2)
			goto undo;
		if ((index = server_free_index(srv, taken)) == -1 ||
		    (o = server_output_new(srv, conf, &conf->outputs[i], index,
		    err, errlen)) == NULL) {
			if (index == -1)
				snprintf(err, errlen, "no free output slot");
			goto undo;
		}
		taken |= (uint64_t)1 << index;
		TAILQ_INSERT_TAIL(&fresh, o, entry);
	}

	/* Commit: the new list in the order of the new config. */
	TAILQ_INIT(&keep);
	for (i = 0; i < conf->noutputs; i++) {
		if ((o = server_find_output(srv, &conf->outputs[i])) != NULL) {
			TAILQ_REMOVE(&srv->outputs, o, entry);
			if (output_reconfigure(o, &conf->outputs[i]) == -1)
				log_warn("output %s: out of memory; keeping its "
				    "old settings", o->conf->name);
			/* Its chunk pool keeps its size until a restart. */
			o->conf_flush_ms = conf->flush_interval_ms;
		} else {
			o = TAILQ_FIRST(&fresh);
			TAILQ_REMOVE(&fresh, o, entry);
			log_info("output %s: opened %s", o->conf->name,
			    o->conf->path);
		}
		TAILQ_INSERT_TAIL(&keep, o, entry);
	}
	while ((o = TAILQ_FIRST(&srv->outputs)) != NULL) {
		TAILQ_REMOVE(&srv->outputs, o, entry);
		TAILQ_INSERT_TAIL(&srv->retiring, o, entry);
		output_retire(o, server_output_retired, srv);
	}
	TAILQ_CONCAT(&srv->outputs, &keep, entry);
	srv->noutputs = conf->noutputs;
	if (!server_same_listen(srv->conf, conf))
		log_warn("listen settings changed; they take effect at the "
		    "next restart");
	srv->conf = conf;
	return 0;
undo:
	while ((o = TAILQ_FIRST(&fresh)) != NULL) {
		TAILQ_REMOVE(&fresh, o, entry);
		output_free(o);
	}
	return -1;
}

int
server_stop(struct server *srv)
{
	struct output *o;
	struct timespec deadline;
	int stuck = 0;

	listen_stop(srv);
	conn_close_all(srv);
	if (srv->drain.ev != NULL)
		task_cancel(&srv->drain);
	/* Writers get one more drain period to write what they hold. */
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += srv->conf->drain_timeout_ms / 1000 + 1;
	TAILQ_FOREACH(o, &srv->outputs, entry)
		stuck += output_stop(o, &deadline) == -1;
	TAILQ_FOREACH(o, &srv->retiring, entry)
		stuck += output_stop(o, &deadline) == -1;
	if (stuck > 0)
		return stuck;
	while ((o = TAILQ_FIRST(&srv->retiring)) != NULL)
		server_output_retired(o, srv);
	return 0;
}

void
server_free(struct server *srv)
{
	struct output *o;

	if (server_stop(srv) > 0)
		return;	/* a writer is stuck; the process is about to exit */
	while ((o = TAILQ_FIRST(&srv->outputs)) != NULL) {
		TAILQ_REMOVE(&srv->outputs, o, entry);
		output_free(o);
	}
}
