/*
 * syslog.h: parse RFC 3164 and RFC 5424 messages (and RFC 6587 framing) into
 * records. Pure functions, no I/O and no allocation: the record points into
 * the caller's buffer.
 *
 * Nothing is ever rejected: input that is not valid syslog becomes a record
 * whose message is the raw text (facility user, severity notice), because a
 * logger that throws away what it cannot parse loses exactly the records
 * someone will want later.
 */
#ifndef ASYNCLOG_SYSLOG_H
#define ASYNCLOG_SYSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "record.h"

/*
 * Parse one message (no framing, trailing '\n' / NUL already removed or
 * present: a single trailing '\n' and trailing NULs are ignored). Fills the
 * syslog fields of rec, all of them claims: facility, severity,
 * client_time_ns, claimed_host (the HOSTNAME, NULL when none), tag,
 * claimed_pid (the pid in "tag[pid]:" or PROCID, 0 when none), msgid, sd, msg.
 * Leaves time_ns, pid, uid, gid and the trusted host untouched (the caller
 * stamps those from the kernel or the network, never from the message).
 * now_ns is used for RFC 3164 timestamps, which carry no year.
 *
 * Which parser is a property of the input, not of the text: nothing in an
 * RFC 3164 message says whether a HOSTNAME follows the timestamp.
 *
 * syslog_parse_local()    /dev/log-style input from this machine: glibc
 *     syslog(3) and logger(1) send no HOSTNAME there, so an RFC 3164
 *     message never has one and its first word after the timestamp is the
 *     tag ("<13>Nov 25 12:00:00 web1 nginx: x" is tag "web1"). An RFC 5424
 *     HOSTNAME, a field of its own, is still kept as the claim.
 * syslog_parse_relayed()  host-bearing input (relays, network senders): after
 *     an RFC 3164 timestamp comes the HOSTNAME when the next word is one
 *     (letters, digits, '.', '_', '-', ending in a letter or digit, then a
 *     space or the end), as rsyslog's pmrfc3164 reads it.
 */
void	syslog_parse_local(const char *buf, size_t len, int64_t now_ns,
	    struct record *rec);
void	syslog_parse_relayed(const char *buf, size_t len, int64_t now_ns,
	    struct record *rec);

/*
 * How a stream connection ends the messages that are not octet-counted,
 * decided once per connection from its first message and kept in the
 * caller's connection state (start with SYSLOG_FRAMING_UNKNOWN):
 *
 *   LF   a message ends at '\n'; a NUL inside it is data (escaped in every
 *        output), so a NUL in what a program logs cannot split a record.
 *   NUL  the peer frames with NUL, as Python's SysLogHandler does on a
 *        stream ("<14>msg\0", no newline): a message ends at NUL or '\n'.
 *
 * The rule, applied to the bytes received when the first message that is
 * not octet-counted is framed: NUL when they end with a NUL (a peer that
 * frames with NUL ends each write with one: "<14>a\0", or a multi-line
 * "<11>Traceback\n  ...\0"); LF when they end with '\n', or more than
 * max_len bytes have arrived, or there is no NUL and a '\n' has arrived.
 * Bytes that end inside a message and hold a NUL decide nothing: the next
 * read does, so where a sender's writes happen to split never chooses the
 * framing. Until then the first message is not complete anyway, and
 * nothing is framed.
 */
enum syslog_framing {
	SYSLOG_FRAMING_UNKNOWN,
	SYSLOG_FRAMING_LF,
	SYSLOG_FRAMING_NUL,
};

/*
 * RFC 6587 framing on a stream: find the next message in buf[0..len).
 * Octet counting ("123 <34>1 ...") is detected per message by a leading digit;
 * otherwise the message ends as *framing says (above; decided here, from
 * buf, when it is still SYSLOG_FRAMING_UNKNOWN), and its terminator is not
 * part of it. Either way a message of up to max_len bytes, framing excluded,
 * is accepted.
 * Returns:
 *   > 0  bytes consumed, with *msg and *msg_len set (*msg_len may be 0 for an
 *        empty line: skip it);
 *   0    more bytes are needed;
 *   SYSLOG_FRAME_TOO_LARGE (-1)
 *        the frame can never fit in max_len and its size is known (an octet
 *        count larger than max_len, or a line whose '\n' is buffered):
 *        count one too_large drop and discard *msg_len bytes, which may be
 *        more than len (discard the rest as it arrives);
 *   SYSLOG_FRAME_LONG_LINE (-2)
 *        a line with no '\n' within max_len and none buffered yet: count one
 *        too_large drop, discard *msg_len (== len) bytes now, then keep
 *        discarding with syslog_frame_skip_line() until the line ends, so the
 *        rest of the line never becomes a record of its own.
 * The caller's buffer must hold at least max_len + 10 bytes (octet count,
 * space, message; or message and terminator).
 */
#define SYSLOG_FRAME_TOO_LARGE	(-1)
#define SYSLOG_FRAME_LONG_LINE	(-2)
ssize_t	syslog_frame(const char *buf, size_t len, size_t max_len,
	    enum syslog_framing *framing, const char **msg, size_t *msg_len);

/*
 * The rest of a line being discarded after SYSLOG_FRAME_LONG_LINE: returns
 * how many bytes of buf[0..len) belong to it, its terminator included ('\n',
 * or NUL too under SYSLOG_FRAMING_NUL), and sets *more to whether the line
 * goes on past them (no terminator seen yet).
 */
size_t	syslog_frame_skip_line(const char *buf, size_t len,
	    enum syslog_framing framing, bool *more);

/*
 * Is the start of a syslog stream plainly not syslog? A syslog stream
 * starts with '<' (PRI), a digit (octet count) or text; one that starts
 * with a control byte (a binary protocol: a length prefix, TLS) or with a
 * native asynclog frame (a HELLO sent to the wrong socket) is not, and
 * turning its bytes into records would only make garbage. Returns 1 with
 * *why set (a constant string), 0 when it may be syslog, -1 when more bytes
 * are needed to tell (at end of stream, take it as 0).
 */
int	syslog_stream_alien(const char *buf, size_t len, const char **why);

/*
 * The size of the message in a datagram, to hold against max_record: the
 * datagram without the trailing NULs and the one '\n' that syslog_parse_*()
 * ignores (they are its framing). A receive buffer of max_record +
 * SYSLOG_DGRAM_SLACK bytes takes every datagram whose message fits plus a
 * "\n\0" ending; one that is truncated (MSG_TRUNC) or whose
 * syslog_dgram_len() is above max_record is too large.
 */
#define SYSLOG_DGRAM_SLACK	2	/* room for a "\n\0" ending */
size_t	syslog_dgram_len(const char *buf, size_t len);

#endif
