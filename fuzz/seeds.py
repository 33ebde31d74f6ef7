#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# fuzz/seeds.py: writes the seed corpus of each fuzz target into
# fuzz/corpus/TARGET/seed-*, from the unit tests' vectors. Regression inputs
# (fuzz/corpus/TARGET/regress-*, leak-*) are kept by hand and not touched.
# Run it from the repository root after changing a target's input layout.
import glob, os, struct

def put(target, name, data):
    d = os.path.join("fuzz", "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)

for old in glob.glob("fuzz/corpus/*/seed-*"):
    os.remove(old)

# wire: a byte choosing max_frame (8 = 64K + overhead), then frames.
def frame(t, body):
    return struct.pack("<IB", len(body) + 1, t) + body
def hello(name, magic=b"ALOG", version=1, flags=0):
    return frame(1, magic + bytes([version, flags, len(name)]) + name)
def record(pri, tag, msg, fields=(), t=1795523696123456789):
    b = struct.pack("<BBHIq", pri, len(fields), len(tag), len(msg), t)
    b += tag + msg
    for k, v in fields:
        b += struct.pack("<HI", len(k), len(v)) + k + v
    return frame(2, b)
W = 8
wire = {
    "hello": hello(b"myapp"),
    "hello-empty-name": hello(b""),
    "hello-bad-magic": hello(b"x", magic=b"ALOX"),
    "hello-version-2": hello(b"x", version=2),
    "record": record(14, b"prog", b"hello"),
    "record-fields": record(134, b"app", b"user logged in",
                            [(b"user", b"alice"), (b"id", b"42")]),
    "record-hostile": record(191, b"t\nx", b"line one\nline two\0\xff\x1b[2J"),
    "record-empty": record(0, b"", b""),
    "record-priority-192": record(192, b"p", b"m"),
    "record-negative-time": record(13, b"p", b"m", t=-1),
    "dropped": frame(3, struct.pack("<Qqq", 7, 1, 2)),
    "stats-text": frame(4, b"\x00"),
    "stats-json": frame(4, b"\x01"),
    "stats-bad-format": frame(4, b"\x02"),
    "stats-reply": frame(5, b"received 1\nwritten 1\n"),
    "sync": frame(6, struct.pack("<Q", 1)),
    "sync-ack": frame(7, struct.pack("<Q", 2**64 - 1)),
    "length-zero": b"\0\0\0\0\x02",
    "length-huge": b"\xff\xff\xff\xff\x02",
    "type-unknown": frame(9, b"x"),
    "truncated": record(14, b"prog", b"hello")[:-2],
    "stream": hello(b"cli") + record(14, b"a", b"1") + frame(6, b"\1" * 8)
              + frame(3, struct.pack("<Qqq", 1, 0, 0)),
}
for name, data in wire.items():
    put("wire", name, bytes([W]) + data)
put("wire", "max-frame-16", bytes([4]) + record(14, b"prog", b"hello"))
put("wire", "trailing-bytes",
    bytes([W]) + frame(2, record(14, b"p", b"m")[5:] + b"x"))

# syslog: max_len, number of read sizes, day, reserved; read sizes; stream.
def syslog(name, stream, max_len=199, steps=b""):
    put("syslog", name, bytes([max_len, len(steps), 3, 0]) + steps + stream)
msgs = [
    b"<14>Nov 25 12:00:00 myprog[123]: hello",
    b"<13>Nov 25 12:00:00 root: hello",
    b"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick",
    b"<13>Nov 25 12:00:00 web1 nginx[77]: GET /",
    b"<13>Nov  5 01:02:03 prog: x",
    b"<13>Dec 31 23:59:59 p: x",
    b"<14>hello world",
    b"<14>myapp[9]: hello",
    b"<14>Nov 25 12:00:00 app[x]: hello",
    b"<13>2026-11-25T12:00:00.5+00:00 host prog: x",
    b"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - "
    b"\xef\xbb\xbf'su root' failed",
    b"<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - "
    b"%% It's time to make the do-nuts.",
    b"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - "
    b"ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\" "
    b"eventID=\"1011\"][examplePriority@32473 class=\"high\"] msg",
    b"<13>1 - h a - - [x@1 k=\"a\\\"b\\]c\"] m",
    b"<13>1 - - - - - -",
    b"<13>1 - h a - - [broken msg",
    b"<999>x", b"<192>x", b"<>x", b"<165>1", b"<13>",
    b"<38>1 2026-11-25T12:00:00Z bastion sshd 4242 - "
    b"[asynclog@32473 uid=\"0\"] forged",
]
for i, m in enumerate(msgs):
    syslog("msg-%02d" % i, m + b"\n")
syslog("lines", b"\n".join(msgs[:6]) + b"\n")
syslog("nul-framed", b"<13>a\n<14>b\0<15>c\n")
syslog("octet-counted", b"".join(b"%d %s" % (len(m), m) for m in msgs[:5]))
syslog("octet-too-large", b"300 " + b"x" * 300 + b"\n<13>after\n")
syslog("long-line", b"<13>" + b"y" * 400 + b"\n<13>after\n", max_len=100)
syslog("long-line-no-end", b"<13>" + b"y" * 400, max_len=100)
syslog("small-reads", b"<13>a\n12 <14>b c d e\n<15>c", steps=b"\1\2\3")
syslog("nine-digits", b"123456789 x\n1234567890 y\n")
syslog("empty-lines", b"\n\n\0\n<13>x\n")

# config: the shipped configs and the tests' shapes.
for f in glob.glob("conf/*.conf"):
    put("config", os.path.basename(f), open(f, "rb").read())
HEAD = (b'listen = { socket = "s.sock"; };\noutputs = (\n'
        b'  { name = "a";\n    path = "a.log";\n')
config = {
    "minimal": HEAD + b"  }\n);\n",
    "every-key": b'listen = { socket = "s.sock"; syslog_stream = "t.sock";\n'
        b'  syslog_dgram = "d.sock"; socket_mode = "0660"; max_clients = 8; };\n'
        b'buffer = { chunk_size = "1M"; max_memory = "8M"; flush_interval_ms = 5;\n'
        b'  overflow = "drop"; stall_timeout_ms = 9; max_record = "100K"; };\n'
        b'shutdown = { drain_timeout_ms = 0; };\n'
        b'ratelimit = { interval_ms = 100; burst = 5; };\n'
        b'format = { sd_id = "ex@1.2.3"; };\n'
        b'outputs = (\n  { name = "a"; path = "a.log"; format = "json";\n'
        b'    match = "*.info;mail.none;auth,authpriv.*"; sync = "always";\n'
        b'    sync_interval_ms = 10; keep_free = "5%"; file_mode = 0640;\n'
        b'    rotate = { size = "10M"; age = "7d"; keep = 3; compress = "zstd"; };\n'
        b'    owner = "root"; group = "adm"; },\n'
        b'  { name = "b"; path = "b.log"; format = "rfc5424"; keep_free = "1G";\n'
        b'    match = "local0.=err;kern.!crit"; }\n);\n',
    "small-chunk": b'listen = { socket = "s"; };\nbuffer = { chunk_size = "64K"; };\n'
        b'outputs = ({ name = "a"; path = "a"; format = "json"; });\n',
    "record-too-big": b'listen = { socket = "s"; };\n'
        b'buffer = { chunk_size = "64K"; max_record = "64K"; };\n'
        b'outputs = ({ name = "a"; path = "a"; });\n',
    "unknown-key": HEAD + b"    sise = 1;\n  }\n);\n",
    "bad-mode": HEAD + b'    file_mode = "0999";\n  }\n);\n',
    "duplicate-name": HEAD + b'  },\n  { name = "a"; path = "b.log"; }\n);\n',
    "no-outputs": b'listen = { socket = "s"; };\noutputs = ();\n',
    "syntax-error": b'listen = { socket = "s" ;\n',
    "int64": HEAD + b'    rotate = { size = 9223372036854775807L; };\n  }\n);\n',
    "hex-mode": HEAD + b"    file_mode = 0x280;\n  }\n);\n",
    "long-socket": b'listen = { socket = "' + b"s" * 120 + b'"; };\n'
        b'outputs = ({ name = "a"; path = "a"; });\n',
    "same-socket": b'listen = { socket = "s"; syslog_dgram = "s"; };\n'
        b'outputs = ({ name = "a"; path = "a"; });\n',
    "memory": b'listen = { socket = "s"; };\nbuffer = { max_memory = 1; };\n'
        b'outputs = ({ name = "a"; path = "a"; });\n',
}
for name, data in config.items():
    put("config", name, data)

# format: flags (2), facility, severity, pid, uid, gid, claimed pid,
# time (8), [client time (8)], then pieces: SD-ID, host, claimed host, tag,
# MSGID, SD, fields; the rest is the message. Flags: 1 host, 2 claimed
# host, 4 MSGID, 8 SD, 0x10 no pid, 0x20 no uid, 0x40 no gid, 0x100 client
# time, 0x200 own SD-ID, nfields in the bits from 10 up.
def piece(b):
    return bytes([len(b)]) + b
def rec(flags, msg, fac=1, sev=6, pid=123, sd_id=b"", host=b"", chost=b"",
        tag=b"prog", msgid=b"", sd=b"", fields=(), ctime=None):
    b = struct.pack(">HbbiIIiq", flags | (len(fields) << 10), fac, sev, pid,
                    1000, 100, 0, 1795523696123456000)
    if flags & 0x100:
        b += struct.pack(">q", ctime or 1795523000000000000)
    b += piece(sd_id) + piece(host) + piece(chost) + piece(tag) + \
        piece(msgid) + piece(sd)
    for k, v in fields:
        b += piece(k) + piece(v)
    return b + msg
hostile = [b"line one\nline two", b"carriage\rreturn",
    b"crlf\r\n2026-01-01T00:00:00.000000+00:00 forged tag: x",
    b"nul\0inside", b"\x1b[31mred\x1b[0m and \x1b]0;title\x07",
    b"bad \xff byte", b"overlong \xc0\xaf slash", b"truncated \xe2\x82",
    b"surrogate \xed\xa0\x80", b"above max \xf4\x90\x80\x80",
    b"c1 csi \xc2\x9b31m", b"quote \" backslash \\ bracket ] equal = space",
    b"\xe2\x80\xa8 line separator", b"", b"\n", b"\xc3", b"\\x41\\udc80",
    b"caf\xc3\xa9 \xf0\x9f\x98\x80"]
for i, m in enumerate(hostile):
    put("format", "msg-%02d" % i, rec(0, m))
put("format", "everything", rec(0x1ff, b"m", host=b"peer", chost=b"forged\nhost",
    msgid=b"ID47", sd=b'[ex@1 a="b"]', fields=[(b"k", b"v")]))
put("format", "fields-hostile", rec(0, b"msg k=v", fields=[
    (b"a b=c", b"d e\nf"), (b"", b""), (b"=", b" ")]))
put("format", "sd-valid", rec(8, b"x", sd=b'[ex@1 k="v\\"q\\]"][b@2]'))
put("format", "sd-invalid", rec(8, b"x", sd=b'[ex@1 k="\xc2\x9b2J"]'))
put("format", "sd-forged", rec(8, b"x", sd=b'[ASYNCLOG@32473 uid="0"]'))
put("format", "sd-id-own", rec(0x208, b"x", sd_id=b"site@9.9",
    sd=b'[site@9.9 uid="0"][x@1]'))
put("format", "unknown-ids", rec(0x70, b"x", fac=-1, sev=9))
put("format", "claimed-host-same", rec(2, b"x", chost=b"myhost"))
put("format", "long-host", rec(1, b"x", host=b"h" * 255, tag=b"t" * 255))
put("format", "client-time-negative", rec(0x100, b"x", ctime=-1))
