/* SPDX-License-Identifier: ISC */
/*
 * test_rsyslog_vectors.c: rsyslog's parser test vectors against our parser.
 *
 * Every input line and every expected field below comes from a test script
 * in rsyslog's testbench (https://github.com/rsyslog/rsyslog, tests/, named
 * in .src; rsyslog's testbench is GPL-3.0 / ASL-2.0): the line its tcpflood
 * sends to imtcp, and what its template prints of the parsed message.
 * These are our own test cases written from those files, not copies of
 * them. imtcp is host-bearing input, so the lines go through
 * syslog_parse_relayed().
 *
 * How rsyslog's printed values map onto our record (asynclogd(8),
 * COMPATIBILITY):
 *   %programname%  our tag; the pid inside %syslogtag% ("tag[123]:") our
 *                  claimed_pid; RFC 5424 APP-NAME and PROCID likewise.
 *   %hostname%     our claimed_host; where rsyslog prints its own name
 *                  (the message carries none) the table says "" (none).
 *   %timestamp%    our client_time, written here in UTC (TZ=UTC); it shows
 *                  no year for RFC 3164, so the year is the one our rule
 *                  gives on NOW (this year, or last year when more than a
 *                  month ahead), all 2026.
 *   %msg%          our message, except that rsyslog keeps the space that
 *                  follows the tag ("tag: x" gives " x") and we drop it,
 *                  as rsyslog itself does with remove.msgFirstSpace="on":
 *                  the comparison drops that one space from rsyslog's value
 *                  when rsyslog found a tag (.rm_space says rsyslog ran
 *                  with remove.msgFirstSpace="on" and has dropped it).
 * A field rsyslog's test does not print is NULL (or -1) and not compared.
 * A vector on which we differ on purpose has .differs, the key of the
 * reason in asynclogd(8), and .ours, what we give instead; the test checks
 * that the manual lists that key.
 */

#include <criterion/criterion.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "syslog.h"

#define SEC(s)		((int64_t)(s) * 1000000000)
#define NOW		SEC(1795608005)		/* 2026-11-25T12:00:05Z */

struct fields {
	const char	*host;	/* "" = none */
	const char	*tag;
	const char	*msg;
};

struct vec {
	const char	*src;	/* rsyslog tests/ file */
	const char	*in;
	int		 pri;	/* -1 = not shown */
	const char	*time;	/* UTC, "YYYY-MM-DDTHH:MM:SS[.frac]" */
	const char	*host;
	const char	*tag;
	int		 pid;	/* -1 = not shown, 0 = none */
	const char	*sd;
	const char	*msg;
	bool		 rm_space;
	const char	*differs;
	struct fields	 ours;
};

/* Fields in order; the rest (rm_space, differs, ours) by name. */
#define V(s, i, p, t, h, g, d, sd_, m, ...)				\
	{ .src = (s), .in = (i), .pri = (p), .time = (t), .host = (h),	\
	  .tag = (g), .pid = (d), .sd = (sd_), .msg = (m), __VA_ARGS__ }

#define P1	"parsertest-parse1.sh"
#define NODATE	"parsertest-parse-nodate.sh"
#define FIRSTSP	"pmrfc3164-msgFirstSpace.sh"
#define ATOFF	"pmrfc3164-AtSignsInHostname_off.sh"
#define SP5424	"rfc5424parser-sp_at_msg_start.sh"
#define LASTMSG	"pmlastmsg.sh"
#define HDRLESS	"pmrfc3164-json.sh"
#define STRUCT	"mmpstrucdata-container-null.sh"

static const struct vec vecs[] = {
	V(P1, "<167>Mar  6 16:57:54 127.20.245.8 %PIX-7-710005: UDP request "
	    "discarded from SERVER1/2741 to test_app:127.255.255.255/61601",
	    167, "2026-03-06T16:57:54", "127.20.245.8", "%PIX-7-710005", 0,
	    NULL, " UDP request discarded from SERVER1/2741 to "
	    "test_app:127.255.255.255/61601"),
	V(P1, "<167>Mar 27 19:06:53 source_server sshd(pam_unix)[12750]: "
	    "session opened for user foo by (uid=0)",
	    167, "2026-03-27T19:06:53", "source_server", "sshd(pam_unix)",
	    12750, NULL, " session opened for user foo by (uid=0)"),
	V(P1, "<167>Apr  6 15:07:10 lxcvs07 sshd(pam_unix)[31738]: session "
	    "closed for user cvsadmin",
	    167, "2026-04-06T15:07:10", "lxcvs07", "sshd(pam_unix)", 31738,
	    NULL, " session closed for user cvsadmin"),
	V(P1, "<167>Jul 31 21:39:21 example-b example-gw[10538]: disconnect "
	    "host=/127.0.2.1 destination=127.0.2.2/11282 in=3274 out=1448 "
	    "duration=0",
	    167, "2026-07-31T21:39:21", "example-b", "example-gw", 10538,
	    NULL, " disconnect host=/127.0.2.1 destination=127.0.2.2/11282 "
	    "in=3274 out=1448 duration=0"),
	V(P1, "<167>AUG 10 22:18:24 host tag This msg contains 8-bit European "
	    "chars: \xc3\xa4\xc3\xb6\xc3\xbc",
	    167, "2026-08-10T22:18:24", "host", "tag", 0, NULL,
	    " This msg contains 8-bit European chars: "
	    "\xc3\xa4\xc3\xb6\xc3\xbc"),
	V(P1, "<167> Mar  7 19:06:53 example tag: testmessage (only date "
	    "actually tested)",
	    167, "2026-03-07T19:06:53", "example", "tag", 0, NULL,
	    " testmessage (only date actually tested)"),
	V(P1, "<167>Mar 7 2008 19:06:53: example tag: testmessage (only date "
	    "actually tested)",
	    167, "2008-03-07T19:06:53", "example", "tag", 0, NULL,
	    " testmessage (only date actually tested)"),
	V(P1, "<167>Mar 7 2008 19:06:53 example tag: testmessage (only date "
	    "actually tested)",
	    167, "2008-03-07T19:06:53", "example", "tag", 0, NULL,
	    " testmessage (only date actually tested)"),
	V(P1, "<167>Mar 7 19:06:53: example tag: testmessage (only date "
	    "actually tested)",
	    167, "2026-03-07T19:06:53", "example", "tag", 0, NULL,
	    " testmessage (only date actually tested)"),
	V(P1, "<14>Jan  6 2009 15:22:26 localhost",
	    14, "2009-01-06T15:22:26", "localhost", "", 0, NULL, ""),
	V(P1, "<167>Oct  8 23:05:06 127.321.1.123 05\",result_code=200,b",
	    167, "2026-10-08T23:05:06", "127.321.1.123",
	    "05\",result_code=200,b", 0, NULL, ""),
	V(P1, "<167>Feb 18 16:01:59 serverX -- MARK --",
	    167, "2026-02-18T16:01:59", "serverX", "--", 0, NULL, " MARK --"),
	V(P1, "Feb 18 16:01:59 serverX -- MARK --",
	    13, "2026-02-18T16:01:59", "serverX", "--", 0, NULL, " MARK --"),
	V(P1, "<38>Mar 27 19:06:53 source_server "
	    "0123456789012345678901234567890123456789: MSG part",
	    38, "2026-03-27T19:06:53", "source_server",
	    "0123456789012345678901234567890123456789", 0, NULL, " MSG part"),
	V(P1, "<29>Oct 16 20:47:24 example-p exam-pl[12345]: connect host= "
	    "/127.0.2.1",
	    29, "2026-10-16T20:47:24", "example-p", "exam-pl", 12345, NULL,
	    " connect host= /127.0.2.1"),
	V(P1, "<34>Oct 11 22:14:15 mymachine su: su root failed for lonvick "
	    "on /dev/pts/8",
	    34, "2026-10-11T22:14:15", "mymachine", "su", 0, NULL,
	    " su root failed for lonvick on /dev/pts/8"),
	V(P1, "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 "
	    "- BOMsu root failed for lonvick on /dev/pts/8",
	    34, "2003-10-11T22:14:15.003", "mymachine.example.com", "su", 0,
	    NULL, "BOMsu root failed for lonvick on /dev/pts/8"),
	V(P1, "<165>1 2003-08-24T05:14:15.000003-07:00 127.0.2.1 myproc 8710 "
	    "- - %% Its time to make the do-nuts.",
	    165, "2003-08-24T12:14:15.000003", "127.0.2.1", "myproc", 8710,
	    NULL, "%% Its time to make the do-nuts."),
	V(P1, "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog "
	    "- ID47 [exampleSDID@32473 iut=\"3\" eventSource= \"Application\" "
	    "eventID=\"1011\"][examplePriority@32473 class=\"high\"]",
	    165, "2003-10-11T22:14:15.003", "mymachine.example.com",
	    "evntslog", 0, NULL, ""),
	V(P1, "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog "
	    "- ID47 [exampleSDID@32473 iut=\"3\" eventSource= \"Application\" "
	    "eventID=\"1011\"] BOMAn application event log entry...",
	    165, "2003-10-11T22:14:15.003", "mymachine.example.com",
	    "evntslog", 0, NULL, "BOMAn application event log entry..."),
	V(P1, "<6>AUG 10 22:18:24 2009  netips-warden2-p [audit] user=[*SMS] "
	    "src=127.168.11.11 iface=5 access=9 Update State Reset",
	    6, "2026-08-10T22:18:24", "2009", "", 0, NULL,
	    " netips-warden2-p [audit] user=[*SMS] src=127.168.11.11 iface=5 "
	    "access=9 Update State Reset"),
	V(P1, "<14>Aug 30 23:00:05 X4711 "
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    14, "2026-08-30T23:00:05", "X4711",
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 0, NULL, ""),
	V(P1, "<14>Aug 30 23:00:05 X4711 ",
	    14, "2026-08-30T23:00:05", "X4711", "", 0, NULL, ""),
	V(P1, "<14>Aug 30 23:00:05 X4711",
	    14, "2026-08-30T23:00:05", "X4711", "", 0, NULL, ""),
	V(P1, "<14>Aug 30 23:00:05 ",
	    14, "2026-08-30T23:00:05", "", "", 0, NULL, ""),
	V(P1, "<14>Aug 30 23:00:05",
	    14, "2026-08-30T23:00:05", "", "", 0, NULL, ""),
	V(P1, "<14>2010-08-30T23:00:05Z X4711 "
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    14, "2010-08-30T23:00:05", "X4711",
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 0, NULL, ""),
	V(P1, "<14>2010-08-30T23:00:05Z X4711 ",
	    14, "2010-08-30T23:00:05", "X4711", "", 0, NULL, ""),
	V(P1, "<14>2010-08-30T23:00:05Z X4711",
	    14, "2010-08-30T23:00:05", "X4711", "", 0, NULL, ""),

	V("parsertest-parse2.sh", "<175>Oct 16 23:47:31 #001 MSWinEventLog "
	    "0#011Security#01119023582#011Fri Oct 16 16:30:44 2009#011592"
	    "#011Security#011rgabcde#011User#011Success Audit#011XSXSXSN01"
	    "#011Detailed Tracking#011#0112572#01119013885",
	    175, "2026-10-16T23:47:31", NULL, "#001", 0, NULL,
	    " MSWinEventLog 0#011Security#01119023582#011Fri Oct 16 16:30:44 "
	    "2009#011592#011Security#011rgabcde#011User#011Success Audit#011"
	    "XSXSXSN01#011Detailed Tracking#011#0112572#01119013885"),

	V("parsertest-parse3.sh",
	    "<175>Oct 16 2009 23:47:31 hostname tag This is a message",
	    7 + 8 * 21, "2009-10-16T23:47:31", "hostname", "tag", 0, NULL,
	    " This is a message"),
	V("parsertest-parse3.sh",
	    "<175>Oct 16 2009 23:47:31 hostname tag[1234] This is a message",
	    7 + 8 * 21, "2009-10-16T23:47:31", "hostname", "tag", 1234, NULL,
	    " This is a message"),

	V("parsertest-parse-3164-buggyday.sh", "<38> Mar  7 19:06:53 example "
	    "tag: testmessage (only date actually tested)",
	    38, "2026-03-07T19:06:53", "example", "tag", 0, NULL,
	    " testmessage (only date actually tested)"),
	V("parsertest-parse-3164-buggyday.sh", "<38> Mar 17 19:06:53 example "
	    "tag: testmessage (only date actually tested)",
	    38, "2026-03-17T19:06:53", "example", "tag", 0, NULL,
	    " testmessage (only date actually tested)"),

	V(NODATE, "<27>xapi: [error|xen3|15|Guest liveness monitor "
	    "D:bca30ab3f1c1|master_connection] Connection to master died. I "
	    "will continue to retry indefinitely (suppressing future logging "
	    "of this message)",
	    27, NULL, "", "xapi", 0, NULL,
	    " [error|xen3|15|Guest liveness monitor D:bca30ab3f1c1|"
	    "master_connection] Connection to master died. I will continue to "
	    "retry indefinitely (suppressing future logging of this message)"),
	V(NODATE, "This is a message!",
	    13, NULL, "This", "is", 0, NULL, " a message!",
	    .differs = "no-header",
	    .ours = { "", "", "This is a message!" }),

	/* Run with $Escape8BitCharactersOnReceive on. */
	V("parsertest-parse_8bit_escape.sh", "<6>AUG 10 22:18:24 host tag "
	    "This msg contains 8-bit European chars: \xc3\xa4\xc3\xb6\xc3\xbc",
	    6, "2026-08-10T22:18:24", "host", "tag", 0, NULL,
	    " This msg contains 8-bit European chars: #303#244#303#266#303#274",
	    .differs = "escape-on-receive",
	    .ours = { "host", "tag", "This msg contains 8-bit European "
	    "chars: \xc3\xa4\xc3\xb6\xc3\xbc" }),

	/* rsyslog prints only records whose tag contains "tag": the other
	 * two show that "Hostn@me2" and "Hos@name4" are no host names. */
	V(ATOFF, "<129>Mar 10 01:00:00 Hostname1 tag: msgnum:1",
	    129, NULL, "Hostname1", "tag", 0, NULL, " msgnum:1"),
	V(ATOFF, "<129>Mar 10 01:00:00 Hostn@me2 tag:  msgnum:2",
	    129, NULL, "", "Hostn@me2", 0, NULL, NULL),
	V(ATOFF, "<129>Mar 10 01:00:00 Hostname3 tag:msgnum:3",
	    129, NULL, "Hostname3", "tag", 0, NULL, "msgnum:3"),
	V(ATOFF, "<129>Mar 10 01:00:00 Hos@name4 tag4:",
	    129, NULL, "", "Hos@name4", 0, NULL, NULL),

	V(FIRSTSP, "<129>Mar 10 01:00:00 127.20.245.8 tag: msgnum:1",
	    -1, NULL, NULL, "tag", -1, NULL, "msgnum:1", .rm_space = true),
	V(FIRSTSP, "<129>Mar 10 01:00:00 127.20.245.8 tag:  msgnum:2",
	    -1, NULL, NULL, "tag", -1, NULL, " msgnum:2", .rm_space = true),
	V(FIRSTSP, "<129>Mar 10 01:00:00 127.20.245.8 tag:msgnum:3",
	    -1, NULL, NULL, "tag", -1, NULL, "msgnum:3", .rm_space = true),
	V(FIRSTSP, "<129>Mar 10 01:00:00 127.20.245.8 tag4:",
	    -1, NULL, NULL, "tag4", -1, NULL, "", .rm_space = true),

	V(SP5424, "<13>1 2019-05-15T11:21:57+03:00 domain.tld tag - - - "
	    "nosd-nosp",
	    -1, "2019-05-15T08:21:57", NULL, "tag", -1, NULL, "nosd-nosp"),
	V(SP5424, "<13>1 2019-05-15T11:21:57+03:00 domain.tld tag - - "
	    "[abc@123 a=\"b\"] sd-nosp",
	    -1, "2019-05-15T08:21:57", NULL, "tag", -1, NULL, "sd-nosp"),
	V(SP5424, "<13>1 2019-05-15T11:21:57+03:00 domain.tld tag - - -  "
	    "nosd-sp",
	    -1, "2019-05-15T08:21:57", NULL, "tag", -1, NULL, " nosd-sp"),
	V(SP5424, "<13>1 2019-05-15T11:21:57+03:00 domain.tld tag - - "
	    "[abc@123 a=\"b\"]  sd-sp",
	    -1, "2019-05-15T08:21:57", NULL, "tag", -1, NULL, " sd-sp"),

	V("hostname-with-slash-pmrfc5424.sh", "<167>1 2003-03-01T01:00:00.000Z "
	    "hostname1/hostname2 tcpflood - tag [tcpflood@32473 MSGNUM=\"0\"] "
	    "data",
	    167, NULL, "hostname1/hostname2", NULL, -1, NULL, NULL),
	V("hostname-with-slash-dflt-invld.sh",
	    "<167>Mar  6 16:57:54 hostname1/hostname2 test: msgnum:0",
	    167, NULL, "", NULL, -1, NULL, NULL),
	/* Run with parser.PermitSlashInProgramname="off". */
	V("empty-app-name.sh",
	    "<133>Aug  6 16:57:54 host /no-app-name msgh ...x",
	    -1, NULL, NULL, "", -1, NULL, NULL,
	    .differs = "programname",
	    .ours = { NULL, "/no-app-name", "msgh ...x" }),

	V(HDRLESS, "{ \"c1\":1 }", -1, NULL, NULL, "", -1, NULL,
	    "{ \"c1\":1 }"),
	V(HDRLESS, "   { \"c2\":2 }", -1, NULL, NULL, "", -1, NULL,
	    "   { \"c2\":2 }"),
	V(HDRLESS, "   [{ \"c3\":3 }]", -1, NULL, NULL, "", -1, NULL,
	    "   [{ \"c3\":3 }]"),

	V(STRUCT, "<85>1 2026-05-22T08:00:00.000+00:00 host app proc msgid "
	    "[test@32473 key=\"value\"] MMPSTRUCDATA with sd",
	    85, "2026-05-22T08:00:00", "host", "app", -1,
	    "[test@32473 key=\"value\"]", "MMPSTRUCDATA with sd"),
	V(STRUCT, "<85>1 2026-05-22T08:00:00.000+00:00 host app proc msgid - "
	    "MMPSTRUCDATA without sd",
	    85, "2026-05-22T08:00:00", "host", "app", -1, "",
	    "MMPSTRUCDATA without sd"),

	/* The lines pmlastmsg.sh leaves to the RFC 3164 / 5424 parsers. */
	V(LASTMSG, "<167>Mar  6 16:57:54 127.20.245.8 TAG: Rest of message...",
	    -1, NULL, NULL, "TAG", -1, NULL, " Rest of message..."),
	V(LASTMSG, "<167>Mar  6 16:57:54 127.20.245.8 TAG long message "
	    "========================================================"
	    "========================",
	    -1, NULL, NULL, "TAG", -1, NULL, " long message "
	    "========================================================"
	    "========================"),
	V(LASTMSG, "<34>1 2003-11-11T22:14:15.003Z mymachine.example.com su - "
	    "ID47 last message repeated 5 times",
	    -1, NULL, NULL, NULL, -1, NULL, "last message repeated 5 times"),
};

/* "YYYY-MM-DDTHH:MM:SS[.frac]" in UTC as nanoseconds since the epoch. */
static int64_t
utc_ns(const char *s)
{
	struct tm	tm;
	const char	*f;
	int64_t		frac = 0, scale = 1000000000;

	memset(&tm, 0, sizeof tm);
	f = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	cr_assert(f != NULL, "bad time in the table: %s", s);
	if (*f == '.')
		for (f++; *f >= '0' && *f <= '9'; f++)
			frac += (*f - '0') * (scale /= 10);
	return SEC(timegm(&tm)) + frac;
}

/* Append "name: got X, want Y" to bad when a string field differs. */
static void
cmp_str(char *bad, size_t size, const char *name, const char *got,
    size_t got_len, const char *want)
{
	size_t	n = strlen(bad);

	if (want == NULL)
		return;
	if (got == NULL) {
		got = "";
		got_len = 0;
	}
	if (got_len == strlen(want) && memcmp(got, want, got_len) == 0)
		return;
	snprintf(bad + n, size - n, " %s: got \"%.*s\", want \"%s\";", name,
	    (int)got_len, got, want);
}

/* What we are to give for v: rsyslog's values, mapped as said on top. */
static struct fields
want_of(const struct vec *v)
{
	struct fields	w = { v->host, v->tag, v->msg };

	if (v->differs != NULL) {
		if (v->ours.host != NULL)
			w.host = v->ours.host;
		if (v->ours.tag != NULL)
			w.tag = v->ours.tag;
		if (v->ours.msg != NULL)
			w.msg = v->ours.msg;
		return w;
	}
	/* rsyslog keeps the space after a tag in an RFC 3164 message. */
	if (w.msg != NULL && w.msg[0] == ' ' && !v->rm_space &&
	    v->tag != NULL && v->tag[0] != '\0' && strstr(v->in, ">1 ") ==
	    NULL)
		w.msg++;
	return w;
}

Test(rsyslog_vectors, parsed_fields_match_rsyslogs_testbench)
{
	struct record	rec;
	struct fields	w;
	char		bad[1024], report[16384] = "";
	size_t		i, n, failed = 0;

	setenv("TZ", "UTC", 1);
	tzset();
	for (i = 0; i < sizeof vecs / sizeof vecs[0]; i++) {
		const struct vec *v = &vecs[i];

		memset(&rec, 0, sizeof rec);
		syslog_parse_relayed(v->in, strlen(v->in), NOW, &rec);
		w = want_of(v);
		bad[0] = '\0';
		if (v->pri >= 0 && rec.facility * 8 + rec.severity != v->pri)
			snprintf(bad, sizeof bad, " pri: got %d, want %d;",
			    rec.facility * 8 + rec.severity, v->pri);
		if (v->time != NULL && rec.client_time_ns != utc_ns(v->time)) {
			n = strlen(bad);
			snprintf(bad + n, sizeof bad - n, " time: got %lld, "
			    "want %s;", (long long)rec.client_time_ns,
			    v->time);
		}
		cmp_str(bad, sizeof bad, "host", rec.claimed_host,
		    rec.claimed_host_len, w.host);
		cmp_str(bad, sizeof bad, "tag", rec.tag, rec.tag_len, w.tag);
		if (v->pid >= 0 && rec.claimed_pid != v->pid) {
			n = strlen(bad);
			snprintf(bad + n, sizeof bad - n, " pid: got %d, want "
			    "%d;", (int)rec.claimed_pid, v->pid);
		}
		cmp_str(bad, sizeof bad, "sd", rec.sd, rec.sd_len, v->sd);
		cmp_str(bad, sizeof bad, "msg", rec.msg, rec.msg_len, w.msg);
		if (bad[0] != '\0') {
			failed++;
			n = strlen(report);
			snprintf(report + n, sizeof report - n, "\n%s: %s\n ->%s",
			    v->src, v->in, bad);
		}
	}
	cr_assert_eq(failed, 0, "%zu of %zu rsyslog vectors differ:%s", failed,
	    i, report);
}

/* Every vector we differ on names a reason that asynclogd(8) gives. */
Test(rsyslog_vectors, every_difference_is_documented)
{
	char	*man = file_read("docs/asynclogd.8", NULL);
	char	 key[64];
	size_t	 i;

	cr_assert_not_null(man, "docs/asynclogd.8 not found (run from the "
	    "repository root)");
	/* want_of() drops rsyslog's space after the tag on every vector. */
	cr_assert_not_null(strstr(man, ".It Sy space-after-tag"),
	    "asynclogd(8) does not list the space after the tag");
	for (i = 0; i < sizeof vecs / sizeof vecs[0]; i++) {
		if (vecs[i].differs == NULL)
			continue;
		snprintf(key, sizeof key, ".It Sy %s", vecs[i].differs);
		cr_assert_not_null(strstr(man, key), "%s: \"%s\" differs for a "
		    "reason (%s) asynclogd(8) does not list", vecs[i].src,
		    vecs[i].in, vecs[i].differs);
	}
	free(man);
}
