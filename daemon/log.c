/* SPDX-License-Identifier: ISC */
/*
 * log.c: asynclogd's own diagnostics (see log.h). Each message is written
 * with one write(2) so lines from the loop and writer threads never mix.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

/*
 * One message, whole: a long one (the counters of many outputs) is
 * formatted on the heap rather than cut. Only when memory is short is it
 * cut, and then it says so.
 */
static void
log_vprint(const char *level, const char *suffix, const char *fmt, va_list ap)
{
	static const char cut[] = " [cut: out of memory]";
	char small[1024], *line = small, *heap = NULL;
	size_t cap = sizeof(small), room;
	va_list again;
	int n, m;

	va_copy(again, ap);
	n = snprintf(small, sizeof(small), "asynclogd: %s", level);
	m = vsnprintf(small + n, sizeof(small) - n, fmt, ap);
	if (m < 0)
		goto out;
	cap = (size_t)n + (size_t)m + strlen(suffix) + 2;
	if (cap > sizeof(small) && (heap = malloc(cap)) != NULL) {
		line = heap;
		memcpy(line, small, n);
		m = vsnprintf(line + n, cap - n, fmt, again);
		if (m < 0)
			goto out;
	} else if (cap > sizeof(small)) {
		/* Keep room for the note and the suffix. */
		room = sizeof(small) - n - sizeof(cut) - strlen(suffix) - 2;
		m = (int)room + snprintf(small + n + room, sizeof(cut), "%s", cut);
		cap = sizeof(small);
	}
	n += m;
	n += snprintf(line + n, cap - n, "%s\n", suffix);
	/* Diagnostics are best effort: there is nowhere to report their failure. */
	if (write(STDERR_FILENO, line, n) < 0)
		errno = 0;
out:
	va_end(again);
	free(heap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprint("", "", fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprint("warning: ", "", fmt, ap);
	va_end(ap);
}

void
log_fatal(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprint("", "", fmt, ap);
	va_end(ap);
	exit(status);
}

void
log_limited(struct log_ratelimit *rl, const char *fmt, ...)
{
	char suffix[64] = "";
	int64_t now = clock_mono_ns();
	va_list ap;

	if (now - rl->window_start_ns > (int64_t)rl->interval_ms * 1000000) {
		rl->window_start_ns = now;
		rl->printed = 0;
	}
	if (rl->printed >= rl->burst) {
		rl->suppressed++;
		return;
	}
	rl->printed++;
	if (rl->suppressed > 0) {
		snprintf(suffix, sizeof(suffix), " (%llu similar suppressed)",
		    (unsigned long long)rl->suppressed);
		rl->suppressed = 0;
	}
	va_start(ap, fmt);
	log_vprint("warning: ", suffix, fmt, ap);
	va_end(ap);
}
