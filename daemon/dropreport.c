/* SPDX-License-Identifier: ISC */
/*
 * dropreport.c: DROPPED claims per user, capped, and the daemon's own
 * drops of a sender's input (too_large, malformed) per sender, each
 * reported at a bounded rate (see dropreport.h). A small table of entries
 * (a reason and a user, or a user and pid for input drops), each with the
 * window its claims are capped in and what it has not said yet; one task
 * says what is due. An entry pushed out of a full table has its report
 * said first, so nothing counted goes unsaid.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "counters.h"
#include "dropreport.h"
#include "log.h"
#include "output.h"
#include "report.h"
#include "route.h"
#include "task.h"

#define DROPREPORT_USERS	64

struct dropreport_user {
	bool		 used;
	enum drop_reason reason;	/* client, too_large or malformed */
	struct ucred	 cred;		/* of the last connection that claimed */
	char		 who[64];	/* its name, for the report */
	int64_t		 window_ns;	/* monotonic start of the cap window */
	uint64_t	 window_claimed;
	uint64_t	 unsaid;	/* counted, not yet in the log */
	int64_t		 since_ns;	/* the span those claim */
	int64_t		 until_ns;
	int64_t		 next_ns;	/* monotonic: next report allowed */
	int64_t		 last_ns;	/* monotonic: last claim, for eviction */
};

struct dropreport {
	struct route	*route;
	struct task	 task;
	struct task_cond claimed;	/* something new to say */
	struct report	 report;	/* the one being delivered */
	uint64_t	 pending;	/* outputs still to take it */
	struct output	*waiting;	/* output it waits on for room */
	struct dropreport_user users[DROPREPORT_USERS];
};

static struct log_ratelimit dropreport_rl = LOG_RATELIMIT_INIT(10000, 5);

static int64_t
dropreport_window_ns(const struct dropreport *dr)
{
	return (int64_t)route_config(dr->route)->ratelimit_interval_ms *
	    1000000;
}

/* The record that says what u has not said, as the client's own. */
static void
dropreport_word(struct dropreport *dr, struct dropreport_user *u,
    struct report *r)
{
	if (u->reason == DROP_CLIENT)
		report_client_dropped(r, u->who, u->unsaid, u->since_ns,
		    u->until_ns);
	else
		report_input_dropped(r, u->who, u->unsaid,
		    counters_reason_name(u->reason), u->since_ns, u->until_ns);
	r->rec.pid = u->cred.pid;
	r->rec.uid = u->cred.uid;
	r->rec.gid = u->cred.gid;
	u->unsaid = 0;
	u->next_ns = clock_mono_ns() + dropreport_window_ns(dr);
}

/* Say it now, without waiting for room (a full output counts it). */
static void
dropreport_say(struct dropreport *dr, struct dropreport_user *u)
{
	struct report r;

	if (u->unsaid == 0)
		return;
	dropreport_word(dr, u, &r);
	route_self(dr->route, &r.rec);
}

/*
 * The entry of this reason and sender, or the least recently used one,
 * said and reused. Client claims are capped per user, so their entry is
 * the user's; the daemon's own drops name the sending process.
 */
static struct dropreport_user *
dropreport_user(struct dropreport *dr, enum drop_reason reason,
    const struct ucred *cred)
{
	struct dropreport_user *u, *lru = &dr->users[0];
	int i;

	for (i = 0; i < DROPREPORT_USERS; i++) {
		u = &dr->users[i];
		if (u->used && u->reason == reason &&
		    u->cred.uid == cred->uid &&
		    (reason == DROP_CLIENT || u->cred.pid == cred->pid))
			return u;
		if (!u->used || (lru->used && u->last_ns < lru->last_ns))
			lru = u;
	}
	dropreport_say(dr, lru);
	memset(lru, 0, sizeof(*lru));
	lru->used = true;
	lru->reason = reason;
	lru->cred = *cred;
	return lru;
}

uint64_t
dropreport_claim(struct dropreport *dr, const struct ucred *cred,
    const char *who, uint64_t *conn_claimed, const struct wire_dropped *d)
{
	struct dropreport_user *u = dropreport_user(dr, DROP_CLIENT, cred);
	int64_t now = clock_mono_ns();
	uint64_t n = d->count;

	if (now - u->window_ns >= dropreport_window_ns(dr)) {
		u->window_ns = now;
		u->window_claimed = 0;
	}
	if (n > DROPREPORT_FRAME_MAX)
		n = DROPREPORT_FRAME_MAX;
	if (n > DROPREPORT_CONN_MAX - *conn_claimed)
		n = DROPREPORT_CONN_MAX - *conn_claimed;
	if (n > DROPREPORT_WINDOW_MAX - u->window_claimed)
		n = DROPREPORT_WINDOW_MAX - u->window_claimed;
	if (n < d->count)
		log_limited(&dropreport_rl, "client %s: claims %llu dropped "
		    "records; counting %llu (see DROPPED in protocol.md)", who,
		    (unsigned long long)d->count, (unsigned long long)n);
	u->last_ns = now;
	if (n == 0)
		return 0;
	counters_input_drop(DROP_CLIENT, n);
	*conn_claimed += n;
	u->window_claimed += n;
	u->cred = *cred;
	snprintf(u->who, sizeof(u->who), "%s", who);
	if (u->unsaid == 0 || d->since_ns < u->since_ns)
		u->since_ns = d->since_ns;
	if (u->unsaid == 0 || d->until_ns > u->until_ns)
		u->until_ns = d->until_ns;
	u->unsaid += n;
	task_cond_signal(&dr->claimed);
	return n;
}

void
dropreport_input(struct dropreport *dr, enum drop_reason reason,
    const struct ucred *cred, const char *who, int64_t now_ns)
{
	struct dropreport_user *u = dropreport_user(dr, reason, cred);

	counters_input_drop(reason, 1);
	u->last_ns = clock_mono_ns();
	snprintf(u->who, sizeof(u->who), "%s", who);
	if (u->unsaid == 0 || now_ns < u->since_ns)
		u->since_ns = now_ns;
	if (u->unsaid == 0 || now_ns > u->until_ns)
		u->until_ns = now_ns;
	u->unsaid++;
	if (task_alive(&dr->task))
		task_cond_signal(&dr->claimed);
	else
		dropreport_say(dr, u);	/* stopping: no task to wait for */
}

/* A user whose report is due, or NULL and *next the monotonic time the
 * next one is (0: none). */
static struct dropreport_user *
dropreport_due(struct dropreport *dr, int64_t *next)
{
	struct dropreport_user *u;
	int64_t now = clock_mono_ns();
	int i;

	*next = 0;
	for (i = 0; i < DROPREPORT_USERS; i++) {
		u = &dr->users[i];
		if (u->unsaid == 0)
			continue;
		if (now >= u->next_ns)
			return u;
		if (*next == 0 || u->next_ns < *next)
			*next = u->next_ns;
	}
	return NULL;
}

/*
 * Say each report when it is due, delivered like a client's record (with
 * backpressure, bounded by stall_timeout_ms), so the loss is written where
 * the records are missing even when the outputs are as full as they were
 * when the client dropped.
 */
static enum task_step
dropreport_task(struct task *t)
{
	struct dropreport *dr = t->arg;
	struct dropreport_user *u;
	int64_t next, ms;

	TASK_BEGIN(t);
	for (;;) {
		if ((u = dropreport_due(dr, &next)) == NULL) {
			if (next == 0) {
				TASK_AWAIT_COND(t, &dr->claimed, -1);
				continue;
			}
			ms = (next - clock_mono_ns()) / 1000000 + 1;
			TASK_SLEEP(t, ms < 1 ? 1 : (int)ms);
			continue;
		}
		dropreport_word(dr, u, &dr->report);
		dr->pending = route_select(dr->route, &dr->report.rec);
		while ((dr->waiting = route_deliver(dr->route, &dr->report.rec,
		    &dr->pending)) != NULL) {
			TASK_AWAIT_COND(t, output_room(dr->waiting), (int)
			    route_config(dr->route)->stall_timeout_ms);
			if (t->result == TASK_TIMEOUT)
				route_give_up(dr->route, dr->waiting,
				    &dr->pending);
		}
	}
	TASK_END(t);
}

struct dropreport *
dropreport_new(struct event_base *base, struct route *route)
{
	struct dropreport *dr;

	if ((dr = calloc(1, sizeof(*dr))) == NULL)
		return NULL;
	dr->route = route;
	task_cond_init(&dr->claimed);
	if (task_spawn(base, &dr->task, "dropreport", dropreport_task, NULL,
	    dr) == -1) {
		free(dr);
		return NULL;
	}
	return dr;
}

void
dropreport_flush(struct dropreport *dr)
{
	int i;

	if (task_alive(&dr->task))
		task_cancel(&dr->task);
	/* The report it was waiting to deliver, then every one not due. */
	if (dr->waiting != NULL) {
		route_deliver_or_drop(dr->route, &dr->report.rec, &dr->pending);
		dr->waiting = NULL;
	}
	for (i = 0; i < DROPREPORT_USERS; i++)
		dropreport_say(dr, &dr->users[i]);
}

void
dropreport_free(struct dropreport *dr)
{
	if (dr == NULL)
		return;
	dropreport_flush(dr);
	free(dr);
}
