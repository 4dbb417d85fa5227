#!/usr/bin/env python3
"""CPython's own regression tests, natively and under libgreen (issue #16).

As gevent validates itself against CPython's test suite, this runs a set of
modules of Debian's libpython3.X-testsuite with Debian's python3, once
natively and once with LD_PRELOAD=libgreen.so (GREEN_* as the caller set
them), and compares the test cases that fail or error. A case failing only
under libgreen fails its module's point, unless exceptions.txt names it with
the reason (then it is a skipped point, never a passed one); a module that
hangs or crashes only under libgreen fails too. Cases failing natively too
(the machine's environment) are shown, not counted.

Usage: regrtest.py LIBGREEN [MODULE ...]   (default: the MODULES below)
Prints TAP. Needs /usr/bin/python3 and its test package
(tools/install-deps.sh installs libpython3-testsuite).
"""
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tools'))
from tap import check, clean_env, report, skip  # noqa: E402

PYTHON = '/usr/bin/python3'
# The modules that exercise what libgreen interposes: threads, locks,
# signals and EINTR, subprocesses, sockets and multiplexing, sleeps.
# test_socket is left out: natively on this machine it ran past 10 minutes.
MODULES = [
    'test_threading', 'test_threadsignals', 'test_thread', 'test_queue', 'test_sched',
    'test_signal', 'test_eintr', 'test_time',
    'test_subprocess',
    'test_select', 'test_poll', 'test_epoll', 'test_selectors',
    'test_socketserver', 'test_httpservers',
]
TIMEOUT_S = 600

# "FAIL: test_x (test.test_mod.Class.test_x)" in unittest's summary.
CASE = re.compile(r'^(FAIL|ERROR): (\S+) \(([^)]+)\)')


def exceptions():
    """test id -> reason, from exceptions.txt ("ID  reason", # comments)."""
    out = {}
    with open(os.path.join(HERE, 'exceptions.txt')) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            case, _, why = line.partition(' ')
            out[case] = why.strip()
    return out


def run(module, lib):
    """(failing case ids, finished, seconds) of one run of module."""
    env = clean_env()
    if lib:
        env['LD_PRELOAD'] = lib
        env.update({k: v for k, v in os.environ.items() if k.startswith('GREEN_')})
    t0 = time.monotonic()
    try:
        p = subprocess.run([PYTHON, '-m', 'test', '-v', module], env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=TIMEOUT_S)
        text, finished = p.stdout.decode(errors='replace'), True
    except subprocess.TimeoutExpired as e:
        text, finished = (e.stdout or b'').decode(errors='replace'), False
    failing = set()
    for line in text.splitlines():
        m = CASE.match(line)
        if m:
            failing.add(m.group(3) if '.' in m.group(3) else f'{m.group(3)}.{m.group(2)}')
    finished = finished and 'Tests result:' in text
    return failing, finished, time.monotonic() - t0, text


def main():
    lib = os.path.realpath(sys.argv[1])
    modules = sys.argv[2:] or MODULES
    if not os.access(PYTHON, os.X_OK):
        skip('CPython regression tests', f'{PYTHON} is not installed')
        return report()
    probe = subprocess.run([PYTHON, '-c', 'import test.support, test.libregrtest'], capture_output=True)
    if probe.returncode != 0:
        skip('CPython regression tests', 'its test package is not installed (libpython3-testsuite)')
        return report()
    known = exceptions()
    for module in modules:
        n_fail, n_ok, n_secs, n_text = run(module, None)
        g_fail, g_ok, g_secs, g_text = run(module, lib)
        new = sorted(g_fail - n_fail)
        excused = [c for c in new if c in known]
        unexcused = [c for c in new if c not in known]
        detail = []
        if not g_ok and n_ok:
            detail.append(f'under libgreen it did not finish within {TIMEOUT_S} s or crashed; the end of its output:')
            detail += g_text.splitlines()[-12:]
        detail += [f'fails only under libgreen: {c}' for c in unexcused]
        native_note = f'; failing natively too: {", ".join(sorted(n_fail))}' if n_fail else ''
        check(f'{module}: the same results natively ({n_secs:.0f} s) and under libgreen ({g_secs:.0f} s)'
              f'{native_note}', (g_ok or not n_ok) and not unexcused, '\n'.join(detail))
        for c in excused:
            skip(f'{module}: {c} fails under libgreen', known[c])
        for c in sorted(c for c in known if c.startswith(f'test.{module}.') and c not in g_fail):
            print(f'# {c} passes under libgreen now: exceptions.txt can lose it')
    return report()


if __name__ == '__main__':
    main()
