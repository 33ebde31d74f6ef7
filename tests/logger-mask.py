# logger-mask.py DIR...: mask DIR/out, DIR/err and DIR/socketin (what a
# logger(1)-like program printed and sent) into DIR/NAME.masked, as
# util-linux pins these fields for its test build of logger
# (tests/util-linux/README): the time becomes 2009-02-13 23:31:30.123456
# GMT, this machine's host name "test-hostname", the pids listed in
# DIR/pids 98765, an NTP-synchronised timeQuality isSynced="0", DIR itself
# /tmp/ultest, and the program name in messages "test_logger". An octet
# count that was right is recomputed for the masked line; a wrong one is
# left wrong. Used by tests/test_logger.c and tests/test_remote.c.
import re
import socket
import sys

host = socket.gethostname()
short = host.split('.')[0]


def mask(s, d, pids):
    s = re.sub(r'^(logger|asynclog): ', 'test_logger: ', s)
    s = re.sub(r'(<\d+>)[A-Z][a-z][a-z] [ 123]\d \d\d:\d\d:\d\d'
               r'( ' + re.escape(short) + r')?(?= )',
               lambda m: m.group(1) + 'Feb 13 23:31:30' +
               (' test-hostname' if m.group(2) else ''), s)
    s = re.sub(r'(<\d+>1 )(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}'
               r'[+-]\d\d:\d\d|-) (' + re.escape(host) + r'|-) ',
               lambda m: m.group(1) + ('-' if m.group(2) == '-' else
               '2009-02-13T23:31:30.123456+00:00') + ' ' +
               ('-' if m.group(3) == '-' else 'test-hostname') + ' ', s)
    s = re.sub(r'isSynced="1" syncAccuracy="\d+"', 'isSynced="0"', s)
    s = s.replace(d, '/tmp/ultest')
    for p in pids:
        s = s.replace('[' + p + ']', '[98765]')
        s = re.sub(r'(?<= )' + p + r'(?= )', '98765', s)  # RFC 5424 PROCID
    return s


for d in sys.argv[1:]:
    pids = open(d + '/pids').read().split()
    for name in ('out', 'err', 'socketin'):
        out = []
        text = open(d + '/' + name, encoding='latin-1').read()
        for line in text.split('\n'):
            m = re.match(r'^(\d+) (.*)$', line, re.S)
            if m and int(m.group(1)) == len(m.group(2)):
                r = mask(m.group(2), d, pids)
                out.append('%d %s' % (len(r), r))
            else:
                out.append(mask(line, d, pids))
        with open(d + '/' + name + '.masked', 'w', encoding='latin-1') as f:
            f.write('\n'.join(out))
