/* SPDX-License-Identifier: ISC */
/*
 * statsreq.c: one STATS request and its reply (see statsreq.h). Frames are
 * cut by wire_decode, the one place that knows their layout; a reply not
 * ours to care about (none is sent today) is skipped.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "peer.h"
#include "statsreq.h"
#include "wire.h"

#define STATSREQ_MAX	(1024 * 1024)	/* largest STATS_REPLY we read */

static int
statsreq_send(int fd, const unsigned char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = send(fd, p, len, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
statsreq_open(const char *path, const char **why)
{
	struct sockaddr_un sun;
	unsigned char hello[128];
	size_t len;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		*why = strerror(ENAMETOOLONG);
		return -1;
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		*why = strerror(errno);
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		*why = errno == EPROTOTYPE ? "a syslog datagram socket (like "
		    "/dev/log): it takes messages, not requests; --stats and "
		    "--top need asynclogd's native socket (listen.socket)" :
		    strerror(errno);
		close(fd);
		return -1;
	}
	/* Ask the kernel before saying anything: a HELLO would land in a
	 * syslog stream as a garbage line (peer.h). */
	if (peer_kind(fd, path) == PEER_SYSLOG) {
		*why = "a syslog stream socket: it takes messages, not "
		    "requests; --stats and --top need asynclogd's native "
		    "socket (listen.socket)";
		close(fd);
		return -1;
	}
	len = wire_encode_hello(hello, sizeof(hello), 0, "asynclog", 8);
	if (statsreq_send(fd, hello, len) == -1) {
		*why = strerror(errno);
		close(fd);
		return -1;
	}
	return fd;
}

char *
statsreq_get(int fd, uint8_t format, const char **why)
{
	struct wire_frame f;
	struct pollfd pfd = { fd, POLLIN, 0 };
	unsigned char out[64], *in;
	const char *err;
	char *text;
	size_t len, have = 0;
	ssize_t n, used;

	len = wire_encode_stats(out, sizeof(out), format);
	if (statsreq_send(fd, out, len) == -1) {
		*why = strerror(errno);
		return NULL;
	}
	if ((in = malloc(STATSREQ_MAX)) == NULL) {
		*why = strerror(errno);
		return NULL;
	}
	for (;;) {
		used = wire_decode(in, have, STATSREQ_MAX, &f, &err);
		if (used > 0 && f.type == WIRE_STATS_REPLY)
			break;
		if (used > 0) {		/* not ours to care about */
			memmove(in, in + used, have - (size_t)used);
			have -= (size_t)used;
			continue;
		}
		if (used == -1) {
			*why = "not asynclogd's native protocol in the reply";
			goto fail;
		}
		if ((n = poll(&pfd, 1, STATSREQ_TIMEOUT_MS)) == 0) {
			*why = "no answer to the stats request";
			goto fail;
		}
		if (n == -1 || (n = read(fd, in + have,
		    STATSREQ_MAX - have)) == -1) {
			if (errno == EINTR)
				continue;
			*why = strerror(errno);
			goto fail;
		}
		if (n == 0) {
			/* A syslog stream socket closes on a native HELLO. */
			*why = "connection closed before the stats reply (a "
			    "syslog stream socket? --stats needs asynclogd's "
			    "native socket, listen.socket)";
			goto fail;
		}
		have += (size_t)n;
	}
	len = f.u.stats_reply.len;
	if ((text = malloc(len + 1)) == NULL) {
		*why = strerror(errno);
		goto fail;
	}
	memcpy(text, f.u.stats_reply.text, len);
	text[len] = '\0';
	free(in);
	return text;
fail:
	free(in);
	return NULL;
}
