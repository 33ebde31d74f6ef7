/* SPDX-License-Identifier: ISC */
/*
 * netin.c: sockets for the network inputs (see netin.h). Addresses are
 * numeric (config.c checks), so nothing here resolves a name. An IPv6
 * socket is IPv6 only (IPV6_V6ONLY): "[::]:514" and "0.0.0.0:514" are two
 * inputs, as written, and neither takes the other's peers by surprise.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "netin.h"

static const char *const netin_names[] = {
	[CONFIG_NETIN_TCP] = "tcp",
	[CONFIG_NETIN_TLS] = "tls",
	[CONFIG_NETIN_UDP] = "udp",
	[CONFIG_NETIN_RELP] = "relp",
};

const char *
netin_kind_name(enum config_netin_kind k)
{
	return (size_t)k < sizeof(netin_names) / sizeof(netin_names[0]) ?
	    netin_names[k] : "?";
}

int
netin_kind_of(int fd, const char *name, const struct config *conf)
{
	socklen_t len = sizeof(int);
	size_t k;
	int type;

	for (k = 0; k < sizeof(netin_names) / sizeof(netin_names[0]); k++)
		if (strcmp(name, netin_names[k]) == 0)
			return (int)k;
	if (strcmp(name, "network") != 0)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1)
		return -1;
	if (type == SOCK_DGRAM)
		return CONFIG_NETIN_UDP;
	for (k = 0; k < conf->nnetin; k++)
		if (conf->netin[k].kind != CONFIG_NETIN_UDP &&
		    netin_bound_to(fd, &conf->netin[k]))
			return conf->netin[k].kind;
	return CONFIG_NETIN_TCP;
}

/* n's address as a sockaddr; its length, 0 if it does not parse. */
static socklen_t
netin_sockaddr(const struct config_netin *n, struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, n->address, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(n->port);
		return sizeof(*s4);
	}
	if (inet_pton(AF_INET6, n->address, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(n->port);
		return sizeof(*s6);
	}
	return 0;
}

int
netin_bind(const struct config_netin *n, const char *file, char *err,
    size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, on = 1, type;

	type = n->kind == CONFIG_NETIN_UDP ? SOCK_DGRAM : SOCK_STREAM;
	if ((len = netin_sockaddr(n, &ss)) == 0) {
		errno = EINVAL;
		goto fail;
	}
	if ((fd = socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		goto fail;
	/* A restart binds again at once, whatever TIME_WAIT is left. */
	if ((type == SOCK_STREAM && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR,
	    &on, sizeof(on)) == -1) ||
	    (ss.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof(on)) == -1) ||
	    bind(fd, (struct sockaddr *)&ss, len) == -1 ||
	    (type == SOCK_STREAM && listen(fd, SOMAXCONN) == -1)) {
		close(fd);
		goto fail;
	}
	return fd;
fail:
	snprintf(err, errlen, strchr(n->address, ':') != NULL ?
	    "%s:%d: listen.%s [%s]:%u: %s" : "%s:%d: listen.%s %s:%u: %s",
	    file, n->line, netin_kind_name(n->kind), n->address, n->port,
	    strerror(errno));
	return -1;
}

bool
netin_bound_to(int fd, const struct config_netin *n)
{
	struct sockaddr_storage want, have;
	socklen_t wlen, hlen = sizeof(have);
	int type;
	socklen_t tlen = sizeof(type);

	if ((wlen = netin_sockaddr(n, &want)) == 0 ||
	    getsockname(fd, (struct sockaddr *)&have, &hlen) == -1 ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == -1)
		return false;
	return hlen == wlen && memcmp(&have, &want, wlen) == 0 &&
	    type == (n->kind == CONFIG_NETIN_UDP ? SOCK_DGRAM : SOCK_STREAM);
}
