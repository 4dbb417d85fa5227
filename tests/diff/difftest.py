#!/usr/bin/env python3
"""Differential test runner: one program, run natively and under LD_PRELOAD=libgreen.so.

The program knows nothing of libgreen. The two runs must agree on stdout and on
the exit status (a death by signal counts as -SIGNO). Either run printing a line
that starts with "FAIL:" fails the test, so a program's own checks count too.
stderr is shown on failure but never compared: it is where programs put
timing-dependent detail.

A run whose FAIL lines are all timing lines ("FAIL: timing: ...", check.h's
FAIL_TIMING: an upper bound on a wait, a ticker stall) is run again, up to
TIMING_RETRIES more times, before it is judged: a busy machine makes such
checks fail natively as well as preloaded. Only that: a run with any other FAIL
line, or runs that differ in stdout or exit status without timing FAILs, are
never retried. Each retry is said on stderr and in the TAP diagnostics.

Prints TAP (one test point per program run) so meson counts each comparison.

A program named in pending.txt (beside this file) covers behaviour libgreen
does not have yet; its mismatch is reported as a TAP SKIP with the reason
given there, so it is counted as skipped, never as passed. Once it matches,
it is an ordinary pass (and its line in pending.txt should go).
"""
import argparse
import difflib
import os
import subprocess
import sys


def run(cmd, env, timeout, stdin_path):
    stdin = open(stdin_path, 'rb') if stdin_path else subprocess.DEVNULL
    try:
        p = subprocess.run(cmd, env=env, stdin=stdin, capture_output=True,
                           timeout=timeout)
        return p.returncode, p.stdout.decode(errors='replace'), p.stderr.decode(errors='replace')
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b'').decode(errors='replace')
        err = (e.stderr or b'').decode(errors='replace')
        return 'timeout', out, err
    finally:
        if stdin_path:
            stdin.close()


TIMING_RETRIES = 2


def fail_lines(out):
    return [l for l in out.splitlines() if l.startswith('FAIL:')]


def only_timing_fails(out):
    fails = fail_lines(out)
    return bool(fails) and all(l.startswith('FAIL: timing:') for l in fails)


def run_judged(label, cmd, env, timeout, stdin_path, notes):
    """run(), again while the run failed on timing checks alone."""
    rc, out, err = run(cmd, env, timeout, stdin_path)
    for attempt in range(TIMING_RETRIES):
        if not only_timing_fails(out):
            break
        notes.append(f'{label}: retry {attempt + 1} after timing failures: '
                     + '; '.join(fail_lines(out)))
        rc, out, err = run(cmd, env, timeout, stdin_path)
    return rc, out, err


def parse_env(pairs):
    env = {}
    for kv in pairs:
        k, _, v = kv.partition('=')
        env[k] = v
    return env


def hubs_of(env):
    """The hub count of the preloaded run: GREEN_HUBS, auto (the CPUs of the
    affinity mask; libgreen also caps it by a cgroup CPU limit) when unset."""
    v = env.get('GREEN_HUBS', 'auto')
    if v == 'auto':
        return len(os.sched_getaffinity(0))
    try:
        return int(v)
    except ValueError:
        return 1


def pending_reason(name, hubs):
    """pending.txt: `NAME REASON`, or `NAME@hubs>=N REASON` for a deviation
    seen only when the preloaded run has N or more hubs."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'pending.txt')
    try:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith('#'):
                    test, _, reason = line.partition(' ')
                    test, _, cond = test.partition('@hubs>=')
                    if test == name and (not cond or hubs >= int(cond)):
                        return reason.strip() or 'pending'
    except OSError:
        pass
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--lib', required=True, help='path to libgreen.so')
    ap.add_argument('--name', help='test name (default: program name)')
    ap.add_argument('--timeout', type=float, default=60.0)
    ap.add_argument('--env', action='append', default=[], help='K=V for both runs')
    ap.add_argument('--green-env', action='append', default=[], help='K=V for the preloaded run only')
    ap.add_argument('--stdin', help='file to feed on stdin (default /dev/null)')
    ap.add_argument('cmd', nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == '--' else a.cmd
    name = a.name or os.path.basename(cmd[0])

    base = dict(os.environ)
    base.pop('LD_PRELOAD', None)
    base.update(parse_env(a.env))
    green = dict(base)
    green.update(parse_env(a.green_env))
    green['LD_PRELOAD'] = os.path.abspath(a.lib)

    notes = []
    n_rc, n_out, n_err = run_judged('native', cmd, base, a.timeout, a.stdin, notes)
    g_rc, g_out, g_err = run_judged('libgreen', cmd, green, a.timeout, a.stdin, notes)
    for line in notes:
        print(line, file=sys.stderr)

    problems = []
    if n_rc != g_rc:
        problems.append(f'exit status differs: native {n_rc}, libgreen {g_rc}')
    if n_out != g_out:
        problems.append('stdout differs (native vs libgreen):')
        problems += list(difflib.unified_diff(n_out.splitlines(), g_out.splitlines(),
                                              'native', 'libgreen', lineterm=''))
    for label, out in (('native', n_out), ('libgreen', g_out)):
        problems += [f'{label}: {l}' for l in fail_lines(out)]

    print('1..1')
    for line in notes:
        print('# ' + line)
    pending = pending_reason(name, hubs_of(green))
    if problems and pending:
        print(f'ok 1 - {name} # SKIP pending: {pending}')
        for line in problems[:20]:
            print('# ' + line)
        return 0
    if problems:
        print(f'not ok 1 - {name}')
        for line in problems:
            print('# ' + line)
        for label, err in (('native', n_err), ('libgreen', g_err)):
            for line in err.splitlines()[-30:]:
                print(f'# {label} stderr: {line}')
        return 1
    print(f'ok 1 - {name}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
