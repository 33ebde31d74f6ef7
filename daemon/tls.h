/* SPDX-License-Identifier: ISC */
/*
 * tls.h: RFC 5425 (syslog over TLS) with GnuTLS, one non-blocking step at a
 * time, both sides: the client side for forward outputs (forward.c) and the
 * server side for the tls network input (conn.c). The caller owns the
 * socket and every wait: each call here either makes progress or says
 * which way the socket must become ready (POLLIN or POLLOUT) before it is
 * called again.
 *
 * Never touches libevent; a session is used by one thread only (a
 * forwarder's, or the loop for the input). A collector's chain is verified
 * against ca_file and its certificate must carry peer_name
 * (gnutls_session_set_verify_cert); a client's certificate, when asked
 * for, against listen.tls_server.ca_file. TLS 1.2 or later.
 */
#ifndef ASYNCLOG_TLS_H
#define ASYNCLOG_TLS_H

#include <stddef.h>
#include <sys/types.h>

#include "config.h"

struct tls_creds;
struct tls_conn;

/*
 * Read conf's tls.ca_file, and cert_file/key_file when set. Returns NULL
 * with a message in err ("tls.ca_file x.pem: ...") when they do not load.
 * The caller owns the result (tls_creds_free).
 */
struct tls_creds *tls_creds_load(const struct config_output *conf,
	    char *err, size_t errlen);
void	tls_creds_free(struct tls_creds *);

/* A session over the connected non-blocking socket fd, which stays the
 * caller's; creds must outlive it. NULL with err on failure. */
struct tls_conn *tls_conn_new(struct tls_creds *, int fd,
	    const char *peer_name, char *err, size_t errlen);
void	tls_conn_free(struct tls_conn *);

/*
 * The handshake: 0 done (and verified), 1 call again once fd is ready for
 * *events, -1 failed with the reason in err (for a certificate, what was
 * wrong with it).
 */
int	tls_handshake(struct tls_conn *, short *events, char *err,
	    size_t errlen);

/* Bytes sent (> 0); 0: call again with the same buf and len once fd is
 * ready for *events; -1: the connection broke, reason in err. */
ssize_t	tls_send(struct tls_conn *, const void *buf, size_t len,
	    short *events, char *err, size_t errlen);

/* The socket is readable: take what the collector sent (session tickets,
 * alerts) and say whether the session is still up: 0, or -1 with err. */
int	tls_check(struct tls_conn *, char *err, size_t errlen);

/* Send close_notify if the socket takes it now; never waits. */
void	tls_bye(struct tls_conn *);

/* ---- The server side (the tls input) ---- */

/* Read conf's listen.tls_server files. NULL with err when they do not
 * load. The caller owns the result (tls_creds_free). */
struct tls_creds *tls_server_creds_load(const struct config *conf,
	    char *err, size_t errlen);

/* A server session over the accepted non-blocking socket fd (the
 * caller's); client certificates asked for as mode says. peer names the
 * client in messages. NULL with err on failure. */
struct tls_conn *tls_server_new(struct tls_creds *, int fd,
	    enum config_client_certs mode, const char *peer, char *err,
	    size_t errlen);

/*
 * Decrypted bytes into buf: > 0 read; 0 the peer closed (close_notify, or
 * the connection ended without one); -1 with errno EAGAIN (call again once
 * fd is ready for *events) or EPROTO (broken, reason in err).
 */
ssize_t	tls_recv(struct tls_conn *, void *buf, size_t len, short *events,
	    char *err, size_t errlen);

/* Bytes decrypted and not yet taken by tls_recv: while there are any, do
 * not wait for the socket (they are not in it any more). */
size_t	tls_pending(struct tls_conn *);

/* The name in the peer's verified certificate (its first DNS name, else
 * its common name) into buf, NUL-terminated; its length, 0 when none. */
size_t	tls_peer_cert_name(struct tls_conn *, char *buf, size_t cap);

#endif
