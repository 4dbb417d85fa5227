#!/usr/bin/env python3
"""Counts individual test cases from meson's testlog.json: each TAP test
point (each Catch2 case, each differential program run), or the whole test
when it printed no TAP. Prints one line: `N passed, N failed, N skipped`.
--extra-failures N adds N failures that left no log (tools/test.sh: a Debian
root that could not be made or built). Exit status 1 when anything failed."""
import json
import re
import sys

TAP = re.compile(r'^(not ok|ok)\b(.*)$')


def count(path):
    passed = failed = skipped = 0
    with open(path) as f:
        for line in f:
            t = json.loads(line)
            points = [m for m in map(TAP.match, t.get('stdout', '').splitlines()) if m]
            p = sum(1 for m in points if m.group(1) == 'ok' and '# SKIP' not in m.group(2).upper())
            s = sum(1 for m in points if m.group(1) == 'ok' and '# SKIP' in m.group(2).upper())
            f_ = sum(1 for m in points if m.group(1) == 'not ok')
            if not points:
                p, s = int(t['result'] == 'OK'), int(t['result'] == 'SKIP')
            if t['result'] not in ('OK', 'SKIP', 'EXPECTEDFAIL') and f_ == 0:
                f_ = 1  # crashed, timed out or failed without saying which case
            passed, failed, skipped = passed + p, failed + f_, skipped + s
    return passed, failed, skipped


def main():
    total = [0, 0, 0]
    args = sys.argv[1:]
    if args[:1] == ['--extra-failures']:
        total[1] += int(args[1])
        args = args[2:]
    for path in args:
        for i, n in enumerate(count(path)):
            total[i] += n
    print(f'{total[0]} passed, {total[1]} failed, {total[2]} skipped')
    return 1 if total[1] else 0


if __name__ == '__main__':
    sys.exit(main())
