/* SPDX-License-Identifier: ISC */
/*
 * bench-util.c: the small helpers every part of asynclog-bench uses. It
 * calls nothing else of the bench: asynclog-bench.c calls the server,
 * client and verifier parts, and they call only this.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
}

int
bench_write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		buf += n;
		len -= (size_t)n;
	}
	return (0);
}

void
bench_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Fill a unix address; -1 with ENAMETOOLONG if path does not fit. */
int
bench_sockaddr(struct sockaddr_un *sun, const char *path)
{
	size_t len = strlen(path);

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (len >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	memcpy(sun->sun_path, path, len);
	return (0);
}

/* A connected socket to path: a unix socket of type, or for
 * "tcp:PORT" a TCP connection to 127.0.0.1:PORT. -1 with errno. */
int
bench_connect(const char *path, int type)
{
	struct sockaddr_in	sin;
	struct sockaddr_un	sun;
	struct sockaddr		*sa;
	socklen_t		len;
	int			fd, family = AF_UNIX;

	if (strncmp(path, "tcp:", 4) == 0) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = family = AF_INET;
		sin.sin_port = htons((uint16_t)atoi(path + 4));
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sa = (struct sockaddr *)&sin;
		len = sizeof(sin);
	} else {
		if (bench_sockaddr(&sun, path) == -1)
			return (-1);
		sa = (struct sockaddr *)&sun;
		len = sizeof(sun);
	}
	if ((fd = socket(family, type | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (connect(fd, sa, len) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/* A TCP port on 127.0.0.1 that nobody uses now, or 0. */
unsigned
bench_free_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	unsigned		port = 0;
	int			fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (0);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
		port = ntohs(sin.sin_port);
	close(fd);
	return (port);
}
