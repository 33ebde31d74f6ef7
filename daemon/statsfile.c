/* SPDX-License-Identifier: ISC */
/*
 * statsfile.c: the task that publishes the counters every stats.interval
 * (see statsfile.h). Rendering happens here, on the loop, because the
 * counters are the loop's; only the file write goes to the writer thread,
 * started the first time a file is configured.
 */
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "config.h"
#include "log.h"
#include "report.h"
#include "route.h"
#include "stats.h"
#include "statsfile.h"
#include "statswriter.h"
#include "task.h"

#define STATSFILE_STOP_MS	2000	/* waiting for the last write at exit */

struct statsfile {
	struct task	 task;
	struct route	*route;
	struct statswriter *writer;	/* NULL until a file is configured */
};

static struct log_ratelimit statsfile_rl = LOG_RATELIMIT_INIT(60000, 2);

static void
statsfile_write(struct statsfile *sf)
{
	const struct config *conf = route_config(sf->route);
	char *text;

	if (conf->stats_file == NULL)
		return;
	if (sf->writer == NULL && (sf->writer = statswriter_new()) == NULL) {
		log_limited(&statsfile_rl, "stats file: cannot start its "
		    "writer thread");
		return;
	}
	if ((text = stats_render(sf->route, STATS_PROMETHEUS)) != NULL)
		statswriter_post(sf->writer, conf->stats_file, text);
}

/* One record per line of the text form: grep-able, each within a record. */
static void
statsfile_log(struct statsfile *sf)
{
	struct report r;
	char *text, *line, *nl;

	if (!route_config(sf->route)->stats_log ||
	    (text = stats_render(sf->route, STATS_TEXT)) == NULL)
		return;
	for (line = text; *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			nl = line + strlen(line) - 1;
		else
			*nl = '\0';
		report_stats(&r, line);
		route_self(sf->route, &r.rec);
	}
	free(text);
}

static enum task_step
statsfile_task(struct task *t)
{
	struct statsfile *sf = t->arg;

	TASK_BEGIN(t);
	for (;;) {
		TASK_SLEEP(t, (int)route_config(sf->route)->stats_interval_s *
		    1000);
		statsfile_write(sf);
		statsfile_log(sf);
	}
	TASK_END(t);
}

struct statsfile *
statsfile_new(struct event_base *base, struct route *route)
{
	struct statsfile *sf;

	if ((sf = calloc(1, sizeof(*sf))) == NULL)
		return NULL;
	sf->route = route;
	if (task_spawn(base, &sf->task, "statsfile", statsfile_task, NULL,
	    sf) == -1) {
		free(sf);
		return NULL;
	}
	/* At once, so the file exists from the start. */
	statsfile_write(sf);
	return sf;
}

void
statsfile_free(struct statsfile *sf)
{
	if (sf == NULL)
		return;
	if (task_alive(&sf->task))
		task_cancel(&sf->task);
	statsfile_write(sf);
	statswriter_free(sf->writer, STATSFILE_STOP_MS);
	free(sf);
}
