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

static void
log_vprint(const char *level, const char *suffix, const char *fmt, va_list ap)
{
	char line[1024];
	int n, m;

	n = snprintf(line, sizeof(line), "asynclogd: %s", level);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n >= sizeof(line) - 64)
		n = sizeof(line) - 64;
	n += snprintf(line + n, sizeof(line) - n, "%s\n", suffix);
	/* Diagnostics are best effort: there is nowhere to report their failure. */
	if (write(STDERR_FILENO, line, n) < 0)
		errno = 0;
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
