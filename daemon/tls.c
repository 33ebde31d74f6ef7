/* SPDX-License-Identifier: ISC */
/*
 * tls.c: GnuTLS sessions (see tls.h): client sessions for forward outputs
 * (forwarder threads) and server sessions for the tls input (loop thread).
 *
 * Every GnuTLS call here is non-blocking (GNUTLS_NONBLOCK): GNUTLS_E_AGAIN
 * becomes "wait for this direction and call again", so a peer that stalls
 * a handshake costs its caller's deadline, never a stuck thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "tls.h"

/* TLS 1.2 and 1.3 only, on top of the system's default priorities. */
#define TLS_PRIORITY_APPEND	"-VERS-TLS1.0:-VERS-TLS1.1"

struct tls_creds {
	gnutls_certificate_credentials_t x509;
};

struct tls_conn {
	gnutls_session_t session;
	char		 peer_name[256];
	bool		 verify_shown;	/* server, client_certs "optional":
					 * verify a certificate if one came */
};

struct tls_creds *
tls_creds_load(const struct config_output *conf, char *err, size_t errlen)
{
	struct tls_creds *c;
	int r;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    gnutls_certificate_allocate_credentials(&c->x509) < 0) {
		free(c);
		snprintf(err, errlen, "output %s: out of memory", conf->name);
		return NULL;
	}
	r = gnutls_certificate_set_x509_trust_file(c->x509, conf->tls_ca_file,
	    GNUTLS_X509_FMT_PEM);
	if (r <= 0) {
		snprintf(err, errlen, "output %s: tls.ca_file %s: %s",
		    conf->name, conf->tls_ca_file, r == 0 ?
		    "no certificate in it" : gnutls_strerror(r));
		goto fail;
	}
	if (conf->tls_cert_file != NULL &&
	    (r = gnutls_certificate_set_x509_key_file(c->x509,
	    conf->tls_cert_file, conf->tls_key_file,
	    GNUTLS_X509_FMT_PEM)) < 0) {
		snprintf(err, errlen, "output %s: tls.cert_file %s with "
		    "tls.key_file %s: %s", conf->name, conf->tls_cert_file,
		    conf->tls_key_file, gnutls_strerror(r));
		goto fail;
	}
	return c;
fail:
	tls_creds_free(c);
	return NULL;
}

void
tls_creds_free(struct tls_creds *c)
{
	if (c == NULL)
		return;
	gnutls_certificate_free_credentials(c->x509);
	free(c);
}

/* SNI carries names only: RFC 6066 forbids address literals in it. */
static bool
tls_is_address(const char *name)
{
	struct in6_addr a6;
	struct in_addr a4;

	return inet_pton(AF_INET, name, &a4) == 1 ||
	    inet_pton(AF_INET6, name, &a6) == 1;
}

/*
 * A session of either side (flags GNUTLS_CLIENT or GNUTLS_SERVER) over the
 * non-blocking socket fd, with creds and our priorities; peer names the
 * other side in messages (and for a client, the name to verify).
 */
static struct tls_conn *
tls_session_new(struct tls_creds *creds, int fd, unsigned flags,
    const char *peer, char *err, size_t errlen)
{
	struct tls_conn *t;
	const char *where = NULL;
	int r;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(t->peer_name, sizeof(t->peer_name), "%s", peer);
	if ((r = gnutls_init(&t->session, flags | GNUTLS_NONBLOCK |
	    GNUTLS_NO_SIGNAL)) < 0) {
		free(t);
		snprintf(err, errlen, "TLS: %s", gnutls_strerror(r));
		return NULL;
	}
	if ((r = gnutls_set_default_priority_append(t->session,
	    TLS_PRIORITY_APPEND, &where, 0)) < 0 ||
	    (r = gnutls_credentials_set(t->session, GNUTLS_CRD_CERTIFICATE,
	    creds->x509)) < 0) {
		snprintf(err, errlen, "TLS: %s", gnutls_strerror(r));
		tls_conn_free(t);
		return NULL;
	}
	gnutls_transport_set_int(t->session, fd);
	return t;
}

struct tls_conn *
tls_conn_new(struct tls_creds *creds, int fd, const char *peer_name,
    char *err, size_t errlen)
{
	struct tls_conn *t;
	int r;

	if ((t = tls_session_new(creds, fd, GNUTLS_CLIENT, peer_name, err,
	    errlen)) == NULL)
		return NULL;
	if (!tls_is_address(t->peer_name) &&
	    (r = gnutls_server_name_set(t->session, GNUTLS_NAME_DNS,
	    t->peer_name, strlen(t->peer_name))) < 0) {
		snprintf(err, errlen, "TLS: %s", gnutls_strerror(r));
		tls_conn_free(t);
		return NULL;
	}
	/* The chain against ca_file and the name in the certificate, both
	 * during the handshake: nothing is sent to an unverified peer. */
	gnutls_session_set_verify_cert(t->session, t->peer_name, 0);
	return t;
}

void
tls_conn_free(struct tls_conn *t)
{
	if (t == NULL)
		return;
	gnutls_deinit(t->session);
	free(t);
}

static short
tls_direction(const struct tls_conn *t)
{
	return gnutls_record_get_direction(t->session) == 1 ? POLLOUT : POLLIN;
}

int
tls_handshake(struct tls_conn *t, short *events, char *err, size_t errlen)
{
	gnutls_datum_t out;
	unsigned status;
	int r;

	do
		r = gnutls_handshake(t->session);
	while (r == GNUTLS_E_INTERRUPTED);
	if (r == GNUTLS_E_SUCCESS && t->verify_shown &&
	    gnutls_certificate_get_peers(t->session, &status) != NULL &&
	    (gnutls_certificate_verify_peers2(t->session, &status) < 0 ||
	    status != 0)) {
		snprintf(err, errlen, "TLS: the certificate of %s is not "
		    "signed by listen.tls_server.ca_file or not valid",
		    t->peer_name);
		return -1;
	}
	if (r == GNUTLS_E_SUCCESS)
		return 0;
	if (r == GNUTLS_E_AGAIN) {
		*events = tls_direction(t);
		return 1;
	}
	if (r == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
		status = gnutls_session_get_verify_cert_status(t->session);
		if (gnutls_certificate_verification_status_print(status,
		    GNUTLS_CRT_X509, &out, 0) == 0) {
			while (out.size > 0 && out.data[out.size - 1] == ' ')
				out.size--;	/* it ends in a space */
			snprintf(err, errlen, "TLS: certificate of '%s' "
			    "rejected: %.*s", t->peer_name, (int)out.size,
			    out.data);
			gnutls_free(out.data);
			return -1;
		}
	}
	snprintf(err, errlen, "TLS handshake: %s", gnutls_strerror(r));
	return -1;
}

ssize_t
tls_send(struct tls_conn *t, const void *buf, size_t len, short *events,
    char *err, size_t errlen)
{
	ssize_t n;

	do
		n = gnutls_record_send(t->session, buf, len);
	while (n == GNUTLS_E_INTERRUPTED);
	if (n > 0)
		return n;
	if (n == GNUTLS_E_AGAIN) {
		*events = tls_direction(t);
		return 0;
	}
	snprintf(err, errlen, "TLS: %s", gnutls_strerror((int)n));
	return -1;
}

int
tls_check(struct tls_conn *t, char *err, size_t errlen)
{
	char buf[4096];
	ssize_t n;
	int i;

	/* Bounded: a peer that keeps talking does not keep us here. */
	for (i = 0; i < 64; i++) {
		n = gnutls_record_recv(t->session, buf, sizeof(buf));
		if (n > 0)
			continue;	/* a collector has nothing to say */
		if (n == GNUTLS_E_AGAIN)
			return 0;
		if (n == GNUTLS_E_INTERRUPTED || (n < 0 &&
		    !gnutls_error_is_fatal((int)n)))
			continue;
		if (n == 0)
			snprintf(err, errlen, "closed by the collector");
		else
			snprintf(err, errlen, "TLS: %s",
			    gnutls_strerror((int)n));
		return -1;
	}
	return 0;
}

void
tls_bye(struct tls_conn *t)
{
	(void)gnutls_bye(t->session, GNUTLS_SHUT_WR);
}

struct tls_creds *
tls_server_creds_load(const struct config *conf, char *err, size_t errlen)
{
	struct tls_creds *c;
	int r;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    gnutls_certificate_allocate_credentials(&c->x509) < 0) {
		free(c);
		snprintf(err, errlen, "listen.tls_server: out of memory");
		return NULL;
	}
	if ((r = gnutls_certificate_set_x509_key_file(c->x509,
	    conf->tls_cert_file, conf->tls_key_file,
	    GNUTLS_X509_FMT_PEM)) < 0) {
		snprintf(err, errlen, "listen.tls_server.cert_file %s with "
		    "key_file %s: %s", conf->tls_cert_file, conf->tls_key_file,
		    gnutls_strerror(r));
		goto fail;
	}
	if (conf->tls_ca_file != NULL && (r =
	    gnutls_certificate_set_x509_trust_file(c->x509, conf->tls_ca_file,
	    GNUTLS_X509_FMT_PEM)) <= 0) {
		snprintf(err, errlen, "listen.tls_server.ca_file %s: %s",
		    conf->tls_ca_file, r == 0 ? "no certificate in it" :
		    gnutls_strerror(r));
		goto fail;
	}
	return c;
fail:
	tls_creds_free(c);
	return NULL;
}

struct tls_conn *
tls_server_new(struct tls_creds *creds, int fd, enum config_client_certs mode,
    const char *peer, char *err, size_t errlen)
{
	struct tls_conn *t;

	if ((t = tls_session_new(creds, fd, GNUTLS_SERVER, peer, err,
	    errlen)) == NULL)
		return NULL;
	/* "required": the chain is verified against ca_file during the
	 * handshake, which fails a client that shows none. "optional": a
	 * certificate the client shows is verified when the handshake ends
	 * (gnutls' own check would fail a client that shows none). No name
	 * is checked: any client the CA vouches for may log, and its name
	 * is recorded (tls_peer_cert_name). */
	gnutls_certificate_server_set_request(t->session,
	    mode == CLIENT_CERTS_REQUIRED ? GNUTLS_CERT_REQUIRE :
	    mode == CLIENT_CERTS_OPTIONAL ? GNUTLS_CERT_REQUEST :
	    GNUTLS_CERT_IGNORE);
	if (mode == CLIENT_CERTS_REQUIRED)
		gnutls_session_set_verify_cert(t->session, NULL, 0);
	t->verify_shown = mode == CLIENT_CERTS_OPTIONAL;
	return t;
}

ssize_t
tls_recv(struct tls_conn *t, void *buf, size_t len, short *events, char *err,
    size_t errlen)
{
	ssize_t n;

	do
		n = gnutls_record_recv(t->session, buf, len);
	while (n == GNUTLS_E_INTERRUPTED || n == GNUTLS_E_REHANDSHAKE);
	if (n >= 0)
		return n;
	if (n == GNUTLS_E_AGAIN) {
		*events = tls_direction(t);
		errno = EAGAIN;
		return -1;
	}
	/* A peer that closes TCP without close_notify (many senders do)
	 * ends its stream like one that says goodbye. */
	if (n == GNUTLS_E_PREMATURE_TERMINATION)
		return 0;
	snprintf(err, errlen, "TLS: %s", gnutls_strerror((int)n));
	errno = EPROTO;
	return -1;
}

size_t
tls_pending(struct tls_conn *t)
{
	return gnutls_record_check_pending(t->session);
}

size_t
tls_peer_cert_name(struct tls_conn *t, char *buf, size_t cap)
{
	const gnutls_datum_t *certs;
	gnutls_x509_crt_t crt;
	unsigned n = 0;
	size_t len;
	int r;

	buf[0] = '\0';
	if (cap < 2 || gnutls_certificate_verify_peers2(t->session, &n) < 0 ||
	    n != 0 || (certs = gnutls_certificate_get_peers(t->session,
	    &n)) == NULL || n == 0 || gnutls_x509_crt_init(&crt) < 0)
		return 0;
	if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(crt);
		return 0;
	}
	len = cap - 1;
	r = gnutls_x509_crt_get_subject_alt_name(crt, 0, buf, &len, NULL);
	if (r != GNUTLS_SAN_DNSNAME) {
		len = cap - 1;
		if (gnutls_x509_crt_get_dn_by_oid(crt,
		    GNUTLS_OID_X520_COMMON_NAME, 0, 0, buf, &len) < 0)
			len = 0;
	}
	gnutls_x509_crt_deinit(crt);
	len = len < cap ? len : cap - 1;
	buf[len] = '\0';
	return strnlen(buf, len);
}
