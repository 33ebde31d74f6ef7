/* SPDX-License-Identifier: ISC */
/*
 * relpserver.c: RELP framing for the server side (see relpserver.h).
 */
#include <stdio.h>
#include <string.h>

#include "relpserver.h"

/* Up to 9 decimal digits at *p (before end) ending at a space or, when
 * lf_ok, at LF; *p moves past them. 0 and the value, or -1 (bad), or 1
 * (the buffer ends first). */
static int
relp_number(const char **p, const char *end, uint32_t *out)
{
	const char *s = *p;
	uint32_t v = 0;
	int n = 0;

	for (; s < end && *s >= '0' && *s <= '9'; s++, n++) {
		if (n == 9)
			return -1;
		v = v * 10 + (uint32_t)(*s - '0');
	}
	if (s == end)
		return n <= 9 ? 1 : -1;
	if (n == 0)
		return -1;
	*p = s;
	*out = v;
	return 0;
}

ssize_t
relp_frame(const char *buf, size_t len, size_t max_data,
    struct relp_frame *f, const char **why)
{
	const char *p = buf, *end = buf + len, *cmd;
	uint32_t dlen;
	size_t n;
	int r;

	if ((r = relp_number(&p, end, &f->txnr)) != 0)
		goto number;
	if (*p++ != ' ') {
		*why = "no space after the transaction number";
		return -1;
	}
	for (cmd = p; p < end && ((*p >= 'a' && *p <= 'z') ||
	    (*p >= 'A' && *p <= 'Z')); p++)
		if (p - cmd == RELP_MAX_COMMAND) {
			*why = "command longer than 32 letters";
			return -1;
		}
	if (p == end)
		return len >= RELP_MAX_HEADER ? (*why = "no header", -1) : 0;
	if (p == cmd || *p != ' ') {
		*why = "bad command";
		return -1;
	}
	n = (size_t)(p - cmd);
	memcpy(f->command, cmd, n);
	f->command[n] = '\0';
	p++;
	if ((r = relp_number(&p, end, &dlen)) != 0)
		goto number;
	f->len = dlen;
	/* DATALEN 0 ends the header with LF; otherwise a space comes
	 * before DATA, and LF after it. */
	if (dlen == 0) {
		if (*p != '\n') {
			*why = "no LF after an empty frame";
			return -1;
		}
		f->header = (size_t)(p - buf);
		f->data = p;
		return (ssize_t)(f->header + 1);
	}
	if (*p++ != ' ') {
		*why = "no space before the data";
		return -1;
	}
	f->header = (size_t)(p - buf);
	if (dlen > max_data)
		return RELP_FRAME_TOO_LARGE;
	if (len < f->header + dlen + 1)
		return 0;
	if (buf[f->header + dlen] != '\n') {
		*why = "no LF after the data";
		return -1;
	}
	f->data = buf + f->header;
	return (ssize_t)(f->header + dlen + 1);
number:
	if (r == 1)
		return 0;
	*why = "bad number";
	return -1;
}

size_t
relp_rsp(char *dst, size_t cap, uint32_t txnr, const char *data,
    size_t dlen)
{
	int n;

	/* An empty frame has no space before its LF. */
	n = snprintf(dst, cap, dlen == 0 ? "%lu rsp %zu" : "%lu rsp %zu ",
	    (unsigned long)txnr, dlen);
	if (n < 0 || (size_t)n + dlen + 1 > cap)
		return 0;
	memcpy(dst + n, data, dlen);
	dst[n + dlen] = '\n';
	return (size_t)n + dlen + 1;
}
