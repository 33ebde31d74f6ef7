/* SPDX-License-Identifier: ISC */
/*
 * netaddr.c: network peers' addresses as text (see netaddr.h).
 */
#include <netinet/in.h>

#include <stdio.h>

#include "netaddr.h"

unsigned
netaddr_string(const struct sockaddr_storage *ss, char *buf, size_t cap)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &s4->sin_addr, buf, cap);
		return ntohs(s4->sin_port);
	}
	if (ss->ss_family == AF_INET6) {
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], buf,
			    cap);
		else
			inet_ntop(AF_INET6, &s6->sin6_addr, buf, cap);
		return ntohs(s6->sin6_port);
	}
	snprintf(buf, cap, "?");
	return 0;
}
