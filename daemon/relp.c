/* SPDX-License-Identifier: ISC */
/*
 * relp.c: a RELP client session through librelp (see relp.h for how
 * acknowledgements are inferred). One librelp engine per session, so that
 * two forward outputs on two threads share nothing of librelp's.
 *
 * Runs on a forwarder's thread; every call may block up to RELP_TIMEOUT_S
 * (RELP_CONNECT_S to connect). librelp reports failures through callbacks;
 * the first message is kept for the caller's err, and any report during a
 * close means the close was not clean.
 */
#include <sys/socket.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librelp.h>

#include "relp.h"

struct relp {
	relpEngine_t	*engine;
	relpClt_t	*clt;
	bool		 broken;	/* a send failed, or librelp said so */
	bool		 tls_failed;	/* librelp reported a TLS or auth error */
	unsigned	 nerrors;	/* reports from librelp */
	char		 error[256];	/* the first one */
};

/* librelp's generic errors carry no pointer of ours: the session this
 * thread is in is the one they are about. */
static _Thread_local struct relp *relp_current;

/* librelp's messages seldom say why; its codes do, in its own terms. */
static const char *
relp_code_name(relpRetVal code)
{
	switch (code) {
	case RELP_RET_IO_ERR:
		return "refused or broken";
	case RELP_RET_TIMED_OUT:
		return "no answer in time";
	case RELP_RET_SESSION_BROKEN:
		return "session broken";
	case RELP_RET_ADDR_UNKNOWN:
		return "unknown address";
	case RELP_RET_ERR_TLS_SETUP:
	case RELP_RET_ERR_TLS:
		return "TLS error";
	case RELP_RET_ERR_TLS_HANDS:
		return "TLS handshake failed";
	case RELP_RET_AUTH_ERR_NAME:
		return "certificate name does not match";
	case RELP_RET_AUTH_NO_CERT:
		return "no certificate";
	case RELP_RET_AUTH_CERT_INVL:
		return "certificate not valid";
	default:
		return "librelp error";
	}
}

static bool
relp_tls_code(relpRetVal code)
{
	switch (code) {
	case RELP_RET_ERR_TLS_SETUP:
	case RELP_RET_ERR_TLS:
	case RELP_RET_ERR_TLS_HANDS:
	case RELP_RET_AUTH_ERR_NAME:
	case RELP_RET_AUTH_ERR_FP:
	case RELP_RET_AUTH_NO_CERT:
	case RELP_RET_AUTH_CERT_INVL:
		return true;
	default:
		return false;
	}
}

static void
relp_note(struct relp *r, const char *what, const char *msg, relpRetVal code)
{
	if (r != NULL && relp_tls_code(code))
		r->tls_failed = true;
	if (r == NULL || r->nerrors++ > 0)
		return;		/* the first says most: later ones are its
				 * consequences */
	snprintf(r->error, sizeof(r->error), "%s%s%s (%s, librelp %d)",
	    what != NULL ? what : "", what != NULL ? ": " : "",
	    msg != NULL ? msg : "failed", relp_code_name(code), (int)code);
}

static void
relp_on_err(void *usr, char *objinfo, char *msg, relpRetVal code)
{
	(void)objinfo;
	relp_note(usr, NULL, msg, code);
}

static void
relp_on_auth_err(void *usr, char *authinfo, char *msg, relpRetVal code)
{
	char what[160];

	snprintf(what, sizeof(what), "TLS: peer %s", authinfo != NULL ?
	    authinfo : "?");
	relp_note(usr, what, msg, code);
}

static void
relp_on_generic_err(char *objinfo, char *msg, relpRetVal code)
{
	(void)objinfo;
	relp_note(relp_current, NULL, msg, code);
}

/* The reason for err: librelp's first report, else what failed. */
static void
relp_error(struct relp *r, const char *call, relpRetVal code, char *err,
    size_t errlen)
{
	if (r->error[0] != '\0')
		snprintf(err, errlen, "%s", r->error);
	else
		snprintf(err, errlen, "%s: %s (librelp %d)", call,
		    relp_code_name(code), (int)code);
}

/* librelp calls its debug hook unconditionally: it must be set. */
static void
relp_dbg(char *fmt, ...)
{
	(void)fmt;
}

static relpRetVal
relp_setup(struct relp *r, const struct config_output *conf, int *stop)
{
	relpRetVal rc;

	if ((rc = relpEngineConstruct(&r->engine)) != RELP_RET_OK ||
	    (rc = relpEngineSetDbgprint(r->engine, relp_dbg)) != RELP_RET_OK ||
	    (rc = relpEngineSetOnErr(r->engine, relp_on_err)) != RELP_RET_OK ||
	    (rc = relpEngineSetOnAuthErr(r->engine,
	    relp_on_auth_err)) != RELP_RET_OK ||
	    (rc = relpEngineSetOnGenericErr(r->engine,
	    relp_on_generic_err)) != RELP_RET_OK ||
	    (rc = relpEngineSetEnableCmd(r->engine, (unsigned char *)"syslog",
	    eRelpCmdState_Required)) != RELP_RET_OK ||
	    (rc = relpEngineCltConstruct(r->engine, &r->clt)) != RELP_RET_OK ||
	    (rc = relpCltSetUsrPtr(r->clt, r)) != RELP_RET_OK ||
	    (rc = relpCltSetTimeout(r->clt, RELP_TIMEOUT_S)) != RELP_RET_OK ||
	    (rc = relpCltSetConnTimeout(r->clt, RELP_CONNECT_S)) != RELP_RET_OK ||
	    (rc = relpCltSetWindowSize(r->clt, RELP_WINDOW)) != RELP_RET_OK)
		return rc;
	relpEngineSetShutdownImmdtPtr(r->engine, stop);
	if (conf->tls_ca_file == NULL)
		return RELP_RET_OK;
	/* "name": the chain must verify against the CA and the certificate
	 * carry the peer's name. */
	if ((rc = relpEngineSetTLSLibByName(r->engine,
	    "gnutls")) != RELP_RET_OK ||
	    (rc = relpCltEnableTLS(r->clt)) != RELP_RET_OK ||
	    (rc = relpCltSetAuthMode(r->clt, "name")) != RELP_RET_OK ||
	    (rc = relpCltAddPermittedPeer(r->clt,
	    conf->tls_peer_name)) != RELP_RET_OK ||
	    (rc = relpCltSetCACert(r->clt, conf->tls_ca_file)) != RELP_RET_OK)
		return rc;
	if (conf->tls_cert_file != NULL &&
	    ((rc = relpCltSetOwnCert(r->clt,
	    conf->tls_cert_file)) != RELP_RET_OK ||
	    (rc = relpCltSetPrivKey(r->clt,
	    conf->tls_key_file)) != RELP_RET_OK))
		return rc;
	return RELP_RET_OK;
}

static void
relp_free(struct relp *r)
{
	relp_current = r;
	if (r->clt != NULL)
		relpEngineCltDestruct(r->engine, &r->clt);
	if (r->engine != NULL)
		relpEngineDestruct(&r->engine);
	relp_current = NULL;
	free(r);
}

struct relp *
relp_connect(const struct config_output *conf, int *stop, bool *tls_refused,
    char *err, size_t errlen)
{
	struct relp *r;
	relpRetVal rc;
	char port[8];

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	relp_current = r;
	snprintf(port, sizeof(port), "%u", conf->port);
	if ((rc = relp_setup(r, conf, stop)) != RELP_RET_OK) {
		relp_error(r, "setting up librelp", rc, err, errlen);
		r->broken = true;
		relp_free(r);
		return NULL;
	}
	*tls_refused = false;
	if ((rc = relpCltConnect(r->clt, AF_UNSPEC, (unsigned char *)port,
	    (unsigned char *)conf->host)) != RELP_RET_OK) {
		relp_error(r, "connect", rc, err, errlen);
		*tls_refused = conf->tls_ca_file != NULL && (r->tls_failed ||
		    relp_tls_code(rc));
		r->broken = true;
		relp_free(r);
		return NULL;
	}
	relp_current = NULL;
	r->nerrors = 0;
	r->error[0] = '\0';
	return r;
}

int
relp_send(struct relp *r, const char *msg, size_t len, char *err,
    size_t errlen)
{
	relpRetVal rc;

	relp_current = r;
	/* librelp copies the message; it does not write to it. */
	rc = relpCltSendSyslog(r->clt, (unsigned char *)(uintptr_t)msg, len);
	relp_current = NULL;
	if (rc == RELP_RET_OK && r->nerrors == 0)
		return 0;
	r->broken = true;
	relp_error(r, "send", rc, err, errlen);
	return -1;
}

int
relp_close(struct relp *r, char *err, size_t errlen)
{
	bool clean = !r->broken;

	r->nerrors = 0;
	r->error[0] = '\0';
	relp_current = r;
	if (r->clt != NULL)
		relpEngineCltDestruct(r->engine, &r->clt);
	relp_current = NULL;
	if (clean && r->nerrors > 0) {
		clean = false;
		relp_error(r, "close", RELP_RET_SESSION_BROKEN, err, errlen);
	} else if (!clean)
		snprintf(err, errlen, "the session had broken");
	relp_free(r);
	return clean ? 0 : -1;
}
