/* SPDX-License-Identifier: ISC */
/*
 * route.c: admission, stamping, selection and delivery of records, and the
 * table of outputs (see route.h). The one place where an input's record
 * meets the outputs, so that every input behaves the same at the limits:
 * the same rate limit, the same backpressure, the same counted drops.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "output.h"
#include "ratelimit.h"
#include "report.h"
#include "route.h"

struct route {
	const struct config *conf;
	struct output	*live[ROUTE_MAX_OUTPUTS];	/* configuration order */
	uint64_t	 live_bit[ROUTE_MAX_OUTPUTS];	/* each one's route bit */
	unsigned	 nlive;
	bool		 plain;		/* no live output has a filter or is
					 * final: route_select's short loop */
	struct output	*retiring[ROUTE_MAX_OUTPUTS];	/* removed, still writing */
	unsigned	 nretiring;
};

#define ROUTE_BIT(o)	((uint64_t)1 << output_index(o))

struct route *
route_new(const struct config *conf)
{
	struct route *r;

	if ((r = calloc(1, sizeof(*r))) != NULL) {
		r->conf = conf;
		r->plain = true;
	}
	return r;
}

void
route_set_config(struct route *r, const struct config *conf)
{
	r->conf = conf;
}

const struct config *
route_config(const struct route *r)
{
	return r->conf;
}

static void
route_report_ratelimit(struct route *r, const struct ratelimit_report *rep,
    const char *who)
{
	struct report rp;

	if (rep->n == 0)
		return;
	report_rate_limited(&rp, who, rep, r->conf->ratelimit_burst,
	    r->conf->ratelimit_interval_ms);
	route_self(r, &rp.rec);
}

bool
route_admit(struct route *r, struct ratelimit *rl, const char *who,
    int64_t now_ns)
{
	struct ratelimit_report rep;
	bool ok;

	if (r->conf->ratelimit_burst == 0)
		return true;
	ok = ratelimit_check(rl, r->conf->ratelimit_interval_ms,
	    r->conf->ratelimit_burst, now_ns, &rep);
	route_report_ratelimit(r, &rep, who);
	if (!ok)
		counters_input_drop(DROP_RATE_LIMITED, 1);
	return ok;
}

void
route_admit_flush(struct route *r, struct ratelimit *rl, const char *who)
{
	struct ratelimit_report rep;

	ratelimit_flush(rl, &rep);
	route_report_ratelimit(r, &rep, who);
}

void
route_stamp(struct record *rec, const struct ucred *cred, int64_t now_ns)
{
	rec->time_ns = now_ns;
	rec->pid = cred->pid;
	rec->uid = cred->uid;
	rec->gid = cred->gid;
	if (rec->claimed_pid == cred->pid)
		rec->claimed_pid = 0;
}

/*
 * Outputs are asked in configuration order: the selector first (one array
 * lookup), then the filter; the first final output that takes the record
 * ends the walk, so later outputs never see it (not received there, and
 * not a drop: it was not theirs). A table without filters and final
 * outputs keeps the short loop, so routing costs what it did before.
 */
uint64_t
route_select(struct route *r, const struct record *rec)
{
	struct output *o;
	uint64_t mask = 0;
	unsigned i;

	if (r->plain) {
		for (i = 0; i < r->nlive; i++)
			if (output_takes(r->live[i], rec))
				mask |= r->live_bit[i];
	} else {
		for (i = 0; i < r->nlive; i++) {
			o = r->live[i];
			if (!output_takes(o, rec) ||
			    (output_filtered(o) && !output_passes(o, rec)))
				continue;
			mask |= r->live_bit[i];
			if (output_final(o))
				break;
		}
	}
	if (mask == 0)
		counters_input_drop(DROP_NO_OUTPUT, 1);
	else
		counters_routed++;
	return mask;
}

struct output *
route_deliver(struct route *r, const struct record *rec, uint64_t *pending)
{
	return route_deliver_outcome(r, rec, pending, NULL);
}

/* The first drop of a record is the one its sender is told of. */
static void
route_note_drop(struct route_outcome *out, enum drop_reason reason)
{
	if (out != NULL && out->dropped < 0)
		out->dropped = (int)reason;
}

/*
 * Bits still pending once the live outputs had their turn belong to outputs
 * a reload removed while the record waited (for room at one of them, or at
 * another output). A removed output takes no more records, so the record is
 * a drop there for reason: counted at the output while it retires, with the
 * retired outputs' counters once it is gone, never just forgotten.
 */
static void
route_drop_removed(struct route *r, uint64_t *pending,
    enum drop_reason reason, struct route_outcome *out)
{
	unsigned i;

	for (i = 0; i < r->nretiring && *pending != 0; i++) {
		if ((*pending & ROUTE_BIT(r->retiring[i])) == 0)
			continue;
		output_count_drop(r->retiring[i], reason);
		route_note_drop(out, reason);
		*pending &= ~ROUTE_BIT(r->retiring[i]);
	}
	for (; *pending != 0; *pending &= *pending - 1) {
		counters_retired.received++;
		counters_retired.dropped[reason]++;
		route_note_drop(out, reason);
	}
}

struct output *
route_deliver_outcome(struct route *r, const struct record *rec,
    uint64_t *pending, struct route_outcome *out)
{
	struct output *o;
	unsigned i;

	for (i = 0; i < r->nlive && *pending != 0; i++) {
		if ((*pending & r->live_bit[i]) == 0)
			continue;
		o = r->live[i];
		switch (output_offer(o, rec)) {
		case OUTPUT_TAKEN:
			if (out != NULL)
				out->taken |= r->live_bit[i];
			break;
		case OUTPUT_REFUSED:
			route_note_drop(out, DROP_TOO_LARGE);
			break;
		case OUTPUT_FULL:
			if (r->conf->overflow == OVERFLOW_BACKPRESSURE &&
			    !output_stalled(o))
				return o;
			output_count_drop(o, DROP_OVERFLOW);
			route_note_drop(out, DROP_OVERFLOW);
			break;
		}
		*pending &= ~r->live_bit[i];
	}
	/* Waiting for room at an output the reload removed ends here. */
	route_drop_removed(r, pending, DROP_OVERFLOW, out);
	return NULL;
}

void
route_give_up(struct route *r, struct output *o, uint64_t *pending)
{
	route_give_up_outcome(r, o, pending, NULL);
}

void
route_give_up_outcome(struct route *r, struct output *o, uint64_t *pending,
    struct route_outcome *out)
{
	output_give_up(o, r->conf->stall_timeout_ms);
	route_note_drop(out, DROP_OVERFLOW);
	*pending &= ~ROUTE_BIT(o);
}

void
route_deliver_or_drop(struct route *r, const struct record *rec,
    uint64_t *pending)
{
	struct output *o;

	/* A full pool is not a stalled output: count this record only. */
	while ((o = route_deliver(r, rec, pending)) != NULL) {
		output_count_drop(o, DROP_OVERFLOW);
		*pending &= ~ROUTE_BIT(o);
	}
}

void
route_drop_pending(struct route *r, uint64_t *pending,
    enum drop_reason reason)
{
	unsigned i;

	for (i = 0; i < r->nlive; i++)
		if (*pending & ROUTE_BIT(r->live[i])) {
			output_count_drop(r->live[i], reason);
			*pending &= ~ROUTE_BIT(r->live[i]);
		}
	route_drop_removed(r, pending, reason, NULL);
}

void
route_self(struct route *r, const struct record *rec)
{
	uint64_t pending = route_select(r, rec);

	route_deliver_or_drop(r, rec, &pending);
}

unsigned
route_noutputs(const struct route *r)
{
	return r->nlive;
}

struct output *
route_output(const struct route *r, unsigned i)
{
	return i < r->nlive ? r->live[i] : NULL;
}

struct output *
route_find_path(const struct route *r, const char *path)
{
	unsigned i;

	for (i = 0; i < r->nlive; i++)
		if (strcmp(output_path(r->live[i]), path) == 0)
			return r->live[i];
	return NULL;
}

bool
route_retiring_path(const struct route *r, const char *path)
{
	unsigned i;

	for (i = 0; i < r->nretiring; i++)
		if (strcmp(output_path(r->retiring[i]), path) == 0)
			return true;
	return false;
}

int
route_free_index(const struct route *r, uint64_t taken)
{
	unsigned i;
	int b;

	for (i = 0; i < r->nlive; i++)
		taken |= ROUTE_BIT(r->live[i]);
	for (i = 0; i < r->nretiring; i++)
		taken |= ROUTE_BIT(r->retiring[i]);
	for (b = 0; b < ROUTE_MAX_OUTPUTS; b++)
		if ((taken & ((uint64_t)1 << b)) == 0)
			return b;
	return -1;
}

void
route_add(struct route *r, struct output *o)
{
	r->live_bit[r->nlive] = ROUTE_BIT(o);
	r->live[r->nlive++] = o;
	if (output_filtered(o) || output_final(o))
		r->plain = false;
}

/* A retiring output wrote what it held: keep its counters, free it. */
static void
route_retired(struct output *o, void *arg)
{
	struct route *r = arg;
	unsigned i;

	for (i = 0; i < r->nretiring; i++)
		if (r->retiring[i] == o)
			break;
	if (i == r->nretiring)
		return;
	r->retiring[i] = r->retiring[--r->nretiring];
	counters_add(&counters_retired, output_counters(o));
	log_info("output %s: closed", output_name(o));
	output_free(o);
}

void
route_replace(struct route *r, struct output *const *outputs, unsigned n)
{
	struct output *old[ROUTE_MAX_OUTPUTS];
	unsigned nold = r->nlive, i, j;

	memcpy(old, r->live, nold * sizeof(old[0]));
	r->nlive = 0;
	r->plain = true;
	for (i = 0; i < n; i++)
		route_add(r, outputs[i]);
	for (i = 0; i < nold; i++) {
		for (j = 0; j < n && outputs[j] != old[i]; j++)
			;
		if (j < n)
			continue;	/* kept */
		r->retiring[r->nretiring++] = old[i];
		output_retire(old[i], route_retired, r);
	}
}

void
route_total(const struct route *r, struct counters *sum)
{
	unsigned i;

	for (i = 0; i < r->nlive; i++)
		counters_add(sum, output_counters(r->live[i]));
	for (i = 0; i < r->nretiring; i++)
		counters_add(sum, output_counters(r->retiring[i]));
}

int
route_stop(struct route *r, const struct timespec *deadline)
{
	unsigned i;
	int stuck = 0;

	for (i = 0; i < r->nlive; i++)
		stuck += output_stop(r->live[i], deadline) == -1;
	for (i = 0; i < r->nretiring; i++)
		stuck += output_stop(r->retiring[i], deadline) == -1;
	if (stuck > 0)
		return stuck;
	while (r->nretiring > 0)
		route_retired(r->retiring[0], r);
	return 0;
}

void
route_free(struct route *r)
{
	unsigned i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nlive; i++)
		output_free(r->live[i]);
	while (r->nretiring > 0)
		route_retired(r->retiring[0], r);
	free(r);
}
