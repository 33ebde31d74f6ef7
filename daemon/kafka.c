/* SPDX-License-Identifier: ISC */
/*
 * kafka.c: one kafka output's thread: owns the librdkafka producer,
 * produces each record of a chunk as one message, counts each delivery
 * report into its chunk, gives chunks back in order once all their
 * messages are reported, and at stop delivers what it can within
 * KAFKA_STOP_MS and counts the rest as undelivered (see kafka.h for what
 * "written" means here).
 *
 * Runs on its own thread and never touches libevent except for
 * event_active() on the completion event. Every librdkafka callback
 * (delivery reports, errors) runs here too, from rd_kafka_poll(): the
 * producer's main queue writes to the same eventfd the loop wakes the
 * thread with, so one poll(2) waits for a chunk, a request and a report.
 */
#include <sys/eventfd.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "chunk.h"
#include "clock.h"
#include "format.h"
#include "handoff.h"
#include "kafka.h"
#include "kafkalib.h"
#include "log.h"
#include "sink.h"

#define MS		1000000LL	/* nanoseconds */
#define KAFKA_WAIT_MS	1000	/* longest sleep without a look at the clock */
#define KAFKA_PURGE_MS	1000	/* at the end, wait this long for the reports
				 * of purged messages */

struct kafka {
	struct sink	 sink;		/* first: a struct sink * is a kafka */
	struct config_output *conf;	/* private copy, kafka thread only */
	pthread_t	 thread;
	int		 wake_fd;	/* eventfd: the loop and librdkafka
					 * wake us */
	struct handoff	 ho;		/* chunks and requests from the loop */

	/* Requests of our own and the last error, guarded by mu. */
	pthread_mutex_t	 mu;
	bool		 stop;
	int64_t		 stop_by_ns;	/* monotonic: give up delivering then */
	bool		 probe_now;	/* SIGHUP: ask the brokers at once */
	char		 error[256];	/* the error now, "" when up */
	char		 last_error[256];	/* the last one, kept after */
	int64_t		 last_error_ns;	/* and when (wall clock), 0: none */

	/* Loop thread only. */
	char		 reason[256];	/* dropping()'s copy of error */
	char		 last_copy[256];	/* last_error()'s copy */

	/* Kafka thread only. */
	const struct kafkalib *kl;	/* librdkafka's functions */
	rd_kafka_t	*rk;
	rd_kafka_topic_t *rkt;
	struct config_output *next;	/* new settings for a new producer,
					 * once nothing is in flight */
	bool		 fatal;		/* librdkafka's producer is unusable */
	bool		 abandoning;	/* purging: failed reports are no
					 * outage */
	struct chunk_list inflight;	/* produced (cur: in part), waiting for
					 * their reports, in submission order */
	struct chunk	*cur;		/* being produced, last of inflight */
	size_t		 cur_off;	/* where its next record begins */
	uint32_t	 cur_produced;	/* its records produced or refused */
	bool		 full;		/* librdkafka's queue had no room */
	bool		 down;		/* no broker, or deliveries failing */
	bool		 announced;	/* this outage was logged */
	bool		 was_up;	/* delivered or reached once */
	int64_t		 down_ns;	/* monotonic, when the outage began */
	int64_t		 next_probe_ns;	/* monotonic */
	uint64_t	 failed;	/* deliveries failed in this outage */
	int64_t		 last_taken;	/* seq of the last chunk taken, or -1 */
	int64_t		 old_upto;	/* chunks up to this seq were taken
					 * before the last outage ended */

	/* Published for stats, read from the loop thread. */
	_Atomic int	 pub_down;
	_Atomic int64_t	 pub_since_ns;
	_Atomic int64_t	 pub_last_write_ns;
};

static void	*kafka_main(void *);
static const struct sink_ops kafka_ops;

static struct kafka *
kafka_of(const struct sink *s)
{
	return (struct kafka *)s;
}

static void
kafka_set_error(struct kafka *k, const char *err)
{
	pthread_mutex_lock(&k->mu);
	snprintf(k->error, sizeof(k->error), "%s", err);
	if (err[0] != '\0') {
		snprintf(k->last_error, sizeof(k->last_error), "%s", err);
		k->last_error_ns = clock_now_ns();
	}
	pthread_mutex_unlock(&k->mu);
}

/* 0 while not stopping, else the monotonic time to give up by. */
static int64_t
kafka_stop_by(struct kafka *k)
{
	int64_t by;

	pthread_mutex_lock(&k->mu);
	by = k->stop ? k->stop_by_ns : 0;
	pthread_mutex_unlock(&k->mu);
	return by;
}

static bool
kafka_stop_due(struct kafka *k)
{
	int64_t by = kafka_stop_by(k);

	return by != 0 && clock_mono_ns() >= by;
}

/*
 * The brokers cannot be reached or refuse records: say so once per outage.
 * Records wait meanwhile, in librdkafka's queue (which retries them up to
 * message.timeout.ms) and, once that is full, in the output's pool.
 */
static void
kafka_down(struct kafka *k, const char *err)
{
	kafka_set_error(k, err);
	if (!k->down) {
		k->down = true;
		atomic_store(&k->pub_since_ns, clock_now_ns());
		atomic_store(&k->pub_down, 1);
	}
	if (!k->announced) {
		k->down_ns = clock_mono_ns();
		log_warn("output %s: cannot deliver to %s: %s; records wait "
		    "while librdkafka retries, and those it gives up on are "
		    "counted as undelivered", k->conf->name, k->conf->path,
		    err);
		k->announced = true;
	}
	k->next_probe_ns = clock_mono_ns() + KAFKA_PROBE_MS * MS;
}

/*
 * A broker answered a probe (acked false) or acknowledged a record. Either
 * ends the backing off, so that waiting records go again; only an
 * acknowledged record ends the outage in the log, so that brokers that
 * answer but refuse records make one diagnostic, not one per probe.
 */
static void
kafka_up(struct kafka *k, bool acked)
{
	if (k->down) {
		k->down = false;
		kafka_set_error(k, "");
		atomic_store(&k->pub_down, 0);
	}
	if (k->announced && acked) {
		log_info("output %s: delivering to %s again after %lld ms "
		    "(%llu records failed meanwhile)", k->conf->name,
		    k->conf->path, (long long)((clock_mono_ns() - k->down_ns) /
		    MS),
		    (unsigned long long)k->failed);
		k->announced = false;
		k->failed = 0;
		k->old_upto = k->last_taken;
	} else if (!k->announced && !k->was_up)
		log_info("output %s: connected to %s", k->conf->name,
		    k->conf->path);
	k->was_up = true;
}

/* librdkafka, from rd_kafka_poll() on this thread: one message's fate. */
static void
kafka_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct kafka *k = opaque;
	struct chunk *c = m->_private;

	(void)rk;
	if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		c->nwritten++;
		atomic_store(&k->pub_last_write_ns, clock_now_ns());
		if (k->down || k->announced)
			kafka_up(k, true);
	} else {
		c->ndropped++;
		/* Purged at the end, or one the outage just over had already
		 * doomed (it timed out a little after the others): counted,
		 * but no new outage. */
		if (k->abandoning || (!k->announced &&
		    (int64_t)c->seq <= k->old_upto))
			return;
		k->failed++;
		kafka_down(k, k->kl->err2str(m->err));
	}
}

/* librdkafka, from rd_kafka_poll(): an error of the client as a whole. A
 * broker's lost connection is retried by librdkafka; only all of them
 * down makes an outage. */
static void
kafka_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct kafka *k = opaque;
	char buf[256];

	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		k->kl->fatal_error(rk, buf, sizeof(buf));
		k->fatal = true;
		kafka_down(k, buf);
	} else if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
		kafka_down(k, reason);
	else
		kafka_set_error(k, reason);
}

/* librdkafka's own log lines come from its threads, one per failed
 * connection: passed on only when the properties ask for debug output. */
static void
kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac,
    const char *buf)
{
	(void)rk;
	(void)level;
	log_info("librdkafka: %s: %s", fac, buf);
}

/*
 * A producer for conf, its topic, and its main queue waking wake_fd. NULL
 * with librdkafka's message in err.
 */
static rd_kafka_t *
kafka_producer(struct kafka *k, const struct config_output *conf,
    rd_kafka_topic_t **rkt, char *err, size_t errlen)
{
	static const uint64_t one = 1;	/* what an eventfd takes */
	const struct config_kafka *kc = conf->kafka;
	rd_kafka_conf_t *rc;
	rd_kafka_queue_t *q;
	rd_kafka_t *rk;
	bool debug = false;
	char e[256];
	size_t i;

	if ((rc = k->kl->conf_new()) == NULL) {
		snprintf(err, errlen, "output %s: out of memory", conf->name);
		return NULL;
	}
	for (i = 0; i < kc->nprops; i++) {
		if (k->kl->conf_set(rc, kc->props[i].name, kc->props[i].value,
		    e, sizeof(e)) != RD_KAFKA_CONF_OK) {
			snprintf(err, errlen, "output %s: %s", conf->name, e);
			k->kl->conf_destroy(rc);
			return NULL;
		}
		if (strcmp(kc->props[i].name, "debug") == 0)
			debug = true;
	}
	k->kl->conf_set_opaque(rc, k);
	k->kl->conf_set_dr_msg_cb(rc, kafka_dr_cb);
	k->kl->conf_set_error_cb(rc, kafka_error_cb);
	k->kl->conf_set_log_cb(rc, debug ? kafka_log_cb : NULL);
	if (!debug)
		(void)k->kl->conf_set(rc, "log_level", "0", e, sizeof(e));
	if ((rk = k->kl->new(RD_KAFKA_PRODUCER, rc, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "output %s: %s", conf->name, e);
		k->kl->conf_destroy(rc);
		return NULL;
	}
	if ((*rkt = k->kl->topic_new(rk, kc->topic, NULL)) == NULL) {
		snprintf(err, errlen, "output %s: topic %s: %s", conf->name,
		    kc->topic, k->kl->err2str(k->kl->last_error()));
		k->kl->destroy(rk);
		return NULL;
	}
	q = k->kl->queue_get_main(rk);
	k->kl->queue_io_event_enable(q, k->wake_fd, &one, sizeof(one));
	k->kl->queue_destroy(q);
	return rk;
}

/* Serve every delivery report and error waiting; 1 if there was any. */
static int
kafka_serve(struct kafka *k)
{
	int n = 0;

	while (k->rk != NULL && k->kl->poll(k->rk, 0) > 0)
		n = 1;
	return n;
}

/* Give back, in order, the chunks whose every record is reported. */
static void
kafka_return_done(struct kafka *k)
{
	struct chunk *c;

	while ((c = TAILQ_FIRST(&k->inflight)) != NULL && c != k->cur &&
	    c->nwritten + c->ndropped >= c->nrecords) {
		TAILQ_REMOVE(&k->inflight, c, entry);
		handoff_return(&k->ho, c);
	}
}

/*
 * Produce the rest of cur, one message per line, keyed as configured,
 * borrowing the chunk's bytes. Stops when librdkafka's queue is full
 * (full is set; the same record is tried again after reports freed room).
 * A record librdkafka refuses outright is dropped at once.
 */
static void
kafka_produce(struct kafka *k)
{
	struct chunk *c = k->cur;
	const char *line, *nl, *key;
	size_t llen, next, klen;
	rd_kafka_resp_err_t err;
	const char *member = NULL;

	if (k->conf->kafka->key == CONFIG_KAFKA_KEY_HOST)
		member = "host";
	else if (k->conf->kafka->key == CONFIG_KAFKA_KEY_TAG)
		member = "tag";
	while (k->cur_off < c->len) {
		line = c->buf + k->cur_off;
		nl = memchr(line, '\n', c->len - k->cur_off);
		llen = nl != NULL ? (size_t)(nl - line) : c->len - k->cur_off;
		next = k->cur_off + llen + (nl != NULL);
		key = NULL;
		klen = 0;
		if (member != NULL &&
		    format_json_member(line, llen, member, &key, &klen) == -1)
			key = NULL;
		if (k->kl->produce(k->rkt, RD_KAFKA_PARTITION_UA, 0,
		    (void *)line, llen, key, klen, c) == -1) {
			err = k->kl->last_error();
			if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
				k->full = true;
				return;
			}
			c->ndropped++;
			k->failed++;
			kafka_down(k, k->kl->err2str(err));
		}
		k->cur_produced++;
		k->cur_off = next;
	}
	/* A chunk holds one line per record; should it not, what has no
	 * line of its own is not lost silently. */
	if (k->cur_produced < c->nrecords)
		c->ndropped += c->nrecords - k->cur_produced;
	k->cur = NULL;
}

/*
 * Give up on everything the producer holds: purge its queue (librdkafka
 * reports each message as failed), serve those reports, destroy it, and
 * count whatever is still unreported (cur's unproduced records included)
 * as dropped. Every chunk goes back. Returns how many records that was.
 */
static uint64_t
kafka_abandon(struct kafka *k)
{
	int64_t until = clock_mono_ns() + KAFKA_PURGE_MS * MS;
	struct chunk *c;
	uint64_t lost = 0, before = 0;

	TAILQ_FOREACH(c, &k->inflight, entry)
		before += c->ndropped;
	if (k->rk != NULL) {
		k->abandoning = true;
		(void)k->kl->purge(k->rk, RD_KAFKA_PURGE_F_QUEUE |
		    RD_KAFKA_PURGE_F_INFLIGHT);
		while (k->kl->outq_len(k->rk) > 0 && clock_mono_ns() < until)
			(void)k->kl->poll(k->rk, 100);
		kafka_serve(k);
		k->kl->topic_destroy(k->rkt);
		k->kl->destroy(k->rk);
		k->rk = NULL;
		k->rkt = NULL;
		k->abandoning = false;
	}
	k->cur = NULL;
	while ((c = TAILQ_FIRST(&k->inflight)) != NULL) {
		TAILQ_REMOVE(&k->inflight, c, entry);
		c->ndropped = c->nrecords - c->nwritten;
		lost += c->ndropped;
		handoff_return(&k->ho, c);
	}
	return lost - before;
}

/* librdkafka's producer went fatal (an idempotence guarantee broke):
 * count what it held as undelivered and start a new one. */
static void
kafka_restart(struct kafka *k)
{
	char err[512];
	uint64_t lost;

	lost = kafka_abandon(k);
	k->fatal = false;
	log_warn("output %s: librdkafka's producer failed; %llu records were "
	    "not delivered; starting a new one", k->conf->name,
	    (unsigned long long)lost);
	if ((k->rk = kafka_producer(k, k->conf, &k->rkt, err,
	    sizeof(err))) == NULL)
		kafka_down(k, err);
}

/*
 * New settings (SIGHUP). The key and everything outside librdkafka apply
 * at once; new librdkafka properties need a new producer, made once
 * nothing is in flight (no chunk is taken meanwhile). If librdkafka
 * refuses them, the old producer and settings stay.
 */
static bool
kafka_same_props(const struct config_kafka *a, const struct config_kafka *b)
{
	size_t i;

	if (a->nprops != b->nprops)
		return false;
	for (i = 0; i < a->nprops; i++)
		if (strcmp(a->props[i].name, b->props[i].name) != 0 ||
		    strcmp(a->props[i].value, b->props[i].value) != 0)
			return false;
	return true;
}

static void
kafka_apply(struct kafka *k)
{
	rd_kafka_topic_t *rkt;
	rd_kafka_t *rk;
	char err[512];

	if (!kafka_same_props(k->conf->kafka, k->next->kafka)) {
		if (k->cur != NULL || !TAILQ_EMPTY(&k->inflight))
			return;
		if ((rk = kafka_producer(k, k->next, &rkt, err,
		    sizeof(err))) == NULL) {
			log_warn("%s; keeping the settings loaded before", err);
			config_output_free(k->next);
			k->next = NULL;
			return;
		}
		if (k->rk != NULL) {	/* NULL: a restart had failed */
			k->kl->topic_destroy(k->rkt);
			k->kl->destroy(k->rk);
		}
		k->rk = rk;
		k->rkt = rkt;
	}
	config_output_free(k->conf);
	k->conf = k->next;
	k->next = NULL;
}

/* Take what the loop asked for, and the next chunk if there is room for
 * it. Returns whether to stop. */
static bool
kafka_take_requests(struct kafka *k)
{
	struct handoff_take take;
	bool stop, probe;

	handoff_take(&k->ho, k->cur == NULL && k->next == NULL && !k->fatal,
	    false, NULL, &take);
	if (take.chunk != NULL) {
		k->cur = take.chunk;
		k->cur_off = 0;
		k->cur_produced = 0;
		k->cur->nwritten = 0;
		k->cur->ndropped = 0;
		k->last_taken = (int64_t)k->cur->seq;
		TAILQ_INSERT_TAIL(&k->inflight, k->cur, entry);
	}
	if (take.next_conf != NULL) {
		config_output_free(k->next);
		k->next = take.next_conf;
	}
	pthread_mutex_lock(&k->mu);
	probe = k->probe_now || take.reopen;
	k->probe_now = false;
	stop = k->stop;
	pthread_mutex_unlock(&k->mu);
	if (probe)
		k->next_probe_ns = 0;
	return stop;
}

/*
 * Nothing in flight to tell whether the brokers are back: ask them for the
 * topic's metadata (this blocks the thread for KAFKA_PROBE_MS at most).
 */
static void
kafka_probe(struct kafka *k)
{
	const struct rd_kafka_metadata *md;
	rd_kafka_resp_err_t err;

	err = k->kl->metadata(k->rk, 0, k->rkt, &md, KAFKA_PROBE_MS);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		kafka_down(k, k->kl->err2str(err));
		return;
	}
	/* The brokers answer, but the topic may still be missing. */
	if (md->topic_cnt > 0 &&
	    md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR)
		kafka_down(k, k->kl->err2str(md->topics[0].err));
	else
		kafka_up(k, false);
	k->kl->metadata_destroy(md);
}

/* Sleep until woken (a chunk, a request, a report) or deadline_ns
 * (monotonic; 0: KAFKA_WAIT_MS at most). */
static void
kafka_wait(struct kafka *k, int64_t deadline_ns)
{
	struct pollfd p = { .fd = k->wake_fd, .events = POLLIN };
	int64_t now = clock_mono_ns(), stop_by = kafka_stop_by(k), left;
	uint64_t v;

	if (deadline_ns == 0 || deadline_ns > now + KAFKA_WAIT_MS * MS)
		deadline_ns = now + KAFKA_WAIT_MS * MS;
	if (stop_by != 0 && stop_by < deadline_ns)
		deadline_ns = stop_by;
	if ((left = deadline_ns - now) <= 0)
		return;
	if (poll(&p, 1, (int)((left + MS - 1) / MS)) == 1 &&
	    read(k->wake_fd, &v, sizeof(v)) == -1 && errno != EAGAIN &&
	    errno != EINTR)
		log_warn("output %s: eventfd: %s", k->conf->name,
		    strerror(errno));
}

/* Count what is left as undelivered, return every chunk, and end. */
static void
kafka_finish(struct kafka *k)
{
	struct chunk_list rest;
	struct chunk *c;
	uint64_t lost;
	char err[256];

	lost = kafka_abandon(k);
	TAILQ_INIT(&rest);
	handoff_take_rest(&k->ho, &rest);
	TAILQ_FOREACH(c, &rest, entry) {
		c->nwritten = 0;
		c->ndropped = c->nrecords;
		lost += c->nrecords;
	}
	pthread_mutex_lock(&k->mu);
	snprintf(err, sizeof(err), "%s", k->error);
	pthread_mutex_unlock(&k->mu);
	if (lost > 0)
		log_warn("output %s: stopping; %llu records were not delivered "
		    "to %s (%s)", k->conf->name, (unsigned long long)lost,
		    k->conf->path, k->down && err[0] != '\0' ? err :
		    "the brokers did not acknowledge them in time");
	handoff_finish(&k->ho, &rest);
}

/*
 * The thread: serve reports, give back what is done, produce the chunk at
 * hand, else wait for a chunk, a request, a report or the next probe. The
 * order below is the order things happen to a chunk.
 */
static void *
kafka_main(void *arg)
{
	struct kafka *k = arg;
	char err[512];
	bool stop;

	if ((k->rk = kafka_producer(k, k->conf, &k->rkt, err,
	    sizeof(err))) == NULL) {
		handoff_opened(&k->ho, SINK_FAILED, err);
		return NULL;
	}
	handoff_opened(&k->ho, SINK_OPEN, NULL);

	for (;;) {
		stop = kafka_take_requests(k);
		if (kafka_serve(k))
			k->full = false;
		kafka_return_done(k);
		if (k->fatal)
			kafka_restart(k);
		if (k->next != NULL)
			kafka_apply(k);
		if (stop && ((k->cur == NULL && TAILQ_EMPTY(&k->inflight)) ||
		    kafka_stop_due(k)))
			break;
		if (k->rk == NULL) {
			/* A restart failed: try again at the next probe. */
			if (clock_mono_ns() >= k->next_probe_ns &&
			    (k->rk = kafka_producer(k, k->conf, &k->rkt, err,
			    sizeof(err))) == NULL)
				kafka_down(k, err);
			else if (k->rk == NULL)
				kafka_wait(k, k->next_probe_ns);
			continue;
		}
		if (k->cur != NULL && !k->full) {
			kafka_produce(k);
			continue;
		}
		if (k->down && TAILQ_EMPTY(&k->inflight) && !stop &&
		    clock_mono_ns() >= k->next_probe_ns) {
			kafka_probe(k);
			continue;
		}
		kafka_wait(k, k->down && TAILQ_EMPTY(&k->inflight) ?
		    k->next_probe_ns : 0);
		k->full = false;
	}
	kafka_finish(k);
	return NULL;
}

struct sink *
kafka_new(const struct config_output *conf, struct event *done, char *err,
    size_t errlen)
{
	const struct kafkalib *kl;
	struct kafka *k;
	char why[384];
	int rc;

	if ((kl = kafkalib_load(why, sizeof(why))) == NULL) {
		snprintf(err, errlen, "output %s: %s", conf->name, why);
		return NULL;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (k->conf = config_output_dup(conf)) == NULL) {
		free(k);
		snprintf(err, errlen, "output %s: out of memory", conf->name);
		return NULL;
	}
	k->kl = kl;
	if ((k->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		snprintf(err, errlen, "output %s: eventfd: %s", conf->name,
		    strerror(errno));
		config_output_free(k->conf);
		free(k);
		return NULL;
	}
	k->sink.ops = &kafka_ops;
	TAILQ_INIT(&k->inflight);
	k->last_taken = k->old_upto = -1;
	/* Down until a broker answers: the first probe is at once. */
	k->down = true;
	k->down_ns = clock_mono_ns();
	snprintf(k->error, sizeof(k->error), "connecting");
	atomic_store(&k->pub_down, 1);
	atomic_store(&k->pub_since_ns, clock_now_ns());
	handoff_init(&k->ho, done, k->wake_fd);
	pthread_mutex_init(&k->mu, NULL);
	if ((rc = pthread_create(&k->thread, NULL, kafka_main, k)) != 0) {
		snprintf(err, errlen, "output %s: cannot start kafka thread: "
		    "%s", conf->name, strerror(rc));
		handoff_destroy(&k->ho);
		pthread_mutex_destroy(&k->mu);
		close(k->wake_fd);
		config_output_free(k->conf);
		free(k);
		return NULL;
	}
	return &k->sink;
}

static enum sink_open
kafka_open_state(struct sink *s, bool wait, char *err, size_t errlen)
{
	return handoff_open_state(&kafka_of(s)->ho, wait, err, errlen);
}

static void
kafka_submit(struct sink *s, struct chunk *c)
{
	handoff_submit(&kafka_of(s)->ho, c);
}

static void
kafka_take_done(struct sink *s, struct chunk_list *out)
{
	handoff_take_done(&kafka_of(s)->ho, out);
}

/* SIGHUP: nothing to reopen, but an outage's next probe is brought
 * forward. */
static void
kafka_reopen(struct sink *s)
{
	handoff_reopen(&kafka_of(s)->ho);
}

static int
kafka_reconfigure(struct sink *s, const struct config_output *conf)
{
	return handoff_reconfigure(&kafka_of(s)->ho, conf);
}

/* Stop by by_ns (monotonic), or sooner if asked so before. */
static void
kafka_request_stop(struct kafka *k, int64_t by_ns)
{
	pthread_mutex_lock(&k->mu);
	if (!k->stop || by_ns < k->stop_by_ns)
		k->stop_by_ns = by_ns;
	k->stop = true;
	pthread_mutex_unlock(&k->mu);
	handoff_wake(&k->ho);
}

static void
kafka_stop(struct sink *s)
{
	kafka_request_stop(kafka_of(s), clock_mono_ns() + KAFKA_STOP_MS * MS);
}

static bool
kafka_finished(struct sink *s)
{
	return handoff_finished(&kafka_of(s)->ho);
}

/* Backing off: "dropping" in the sink's terms, though records wait. The
 * reason is the last error. */
static bool
kafka_dropping(const struct sink *s, int64_t *since_ns, const char **reason)
{
	struct kafka *k = kafka_of(s);
	bool down = atomic_load(&k->pub_down) != 0;

	if (since_ns != NULL)
		*since_ns = atomic_load(&k->pub_since_ns);
	if (reason != NULL) {
		pthread_mutex_lock(&k->mu);
		snprintf(k->reason, sizeof(k->reason), "%s", k->error);
		pthread_mutex_unlock(&k->mu);
		*reason = k->reason;
	}
	return down;
}

/* The last error and when, kept after the outage ended. */
static const char *
kafka_last_error(const struct sink *s, int64_t *when_ns)
{
	struct kafka *k = kafka_of(s);
	const char *e = NULL;

	pthread_mutex_lock(&k->mu);
	if (k->last_error_ns != 0) {
		snprintf(k->last_copy, sizeof(k->last_copy), "%s",
		    k->last_error);
		e = k->last_copy;
	}
	if (when_ns != NULL)
		*when_ns = k->last_error_ns;
	pthread_mutex_unlock(&k->mu);
	return e;
}

static int64_t
kafka_last_write_ns(const struct sink *s)
{
	return atomic_load(&kafka_of(s)->pub_last_write_ns);
}

static int64_t
kafka_free_bytes(const struct sink *s)
{
	(void)s;
	return -1;
}

static int
kafka_close(struct sink *s, struct chunk_list *done,
    struct sink_counts *counts, const struct timespec *deadline)
{
	struct kafka *k = kafka_of(s);
	int64_t by = clock_mono_ns() + KAFKA_STOP_MS * MS, left;
	struct chunk_list rest;
	struct chunk *c;

	(void)counts;		/* no spool: nothing but chunks to count */
	/* Give up delivering early enough for the purge and the join. */
	if (deadline != NULL) {
		left = ((int64_t)deadline->tv_sec * 1000000000 +
		    deadline->tv_nsec) - clock_now_ns() -
		    (KAFKA_PURGE_MS + 250) * MS;
		if (clock_mono_ns() + left < by)
			by = clock_mono_ns() + left;
	}
	kafka_request_stop(k, by);
	if (deadline == NULL)
		pthread_join(k->thread, NULL);
	else if (pthread_timedjoin_np(k->thread, NULL, deadline) != 0) {
		handoff_take_done(&k->ho, done);
		return -1;
	}
	/* Chunks submitted after the thread ended (none, normally). */
	TAILQ_INIT(&rest);
	handoff_take_rest(&k->ho, &rest);
	TAILQ_FOREACH(c, &rest, entry) {
		c->nwritten = 0;
		c->ndropped = c->nrecords;
	}
	handoff_take_done(&k->ho, done);
	TAILQ_CONCAT(done, &rest, entry);
	config_output_free(k->next);
	handoff_destroy(&k->ho);
	close(k->wake_fd);
	pthread_mutex_destroy(&k->mu);
	config_output_free(k->conf);
	free(k);
	return 0;
}

static const struct sink_ops kafka_ops = {
	.kind = "kafka",
	.taking_name = "connected",
	.dropping_name = "backing_off",
	.holds_while_dropping = true,	/* records wait for the brokers */
	.drop_reason = DROP_UNDELIVERED,
	.open_state = kafka_open_state,
	.submit = kafka_submit,
	.take_done = kafka_take_done,
	.reopen = kafka_reopen,
	.reconfigure = kafka_reconfigure,
	.stop = kafka_stop,
	.finished = kafka_finished,
	.dropping = kafka_dropping,
	.last_write_ns = kafka_last_write_ns,
	.free_bytes = kafka_free_bytes,
	.close = kafka_close,
	.last_error = kafka_last_error,
};
