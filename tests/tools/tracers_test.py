#!/usr/bin/env python3
"""The debugging tools under the preload (issue #15): gdb, ltrace and
valgrind, started with LD_PRELOAD=libgreen.so in their environment, as a
user with it exported in a shell starts them, run a threaded program as
they do without it.

Usage: tracers_test.py LIBGREEN TARGET
For each tool: the program's output and exit status through the tool match
the native run's, and the run ends (each is bounded). valgrind: no error
reported (libgreen steps aside under it, with one line saying so). A tool
that is not installed is a skipped point (tools/install-deps.sh installs
them). strace has its own differential test (daemon_strace). Prints TAP.
"""
import os
import shutil
import subprocess
import tempfile
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import check, clean_env, preloaded_env, report, skip  # noqa: E402

LIB, TARGET = os.path.realpath(sys.argv[1]), os.path.realpath(sys.argv[2])
EXPECTED = ''.join(f'thread {i}: 50 turns, buffer intact\n' for i in range(4))
OUT = os.path.join(tempfile.mkdtemp(prefix='tracers-'), 'out.txt')


def run(cmd, preload):
    env = preloaded_env(LIB) if preload else clean_env()
    if os.path.exists(OUT):
        os.unlink(OUT)
    try:
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return 'timeout', '', ''


def program_output():
    try:
        with open(OUT) as f:
            return f.read()
    except OSError:
        return ''


TOOLS = [
    # name, command, how to read the program's output from what the tool prints
    # gdb's own messages share the terminal with the program's: its output goes to a file
    ('gdb', ['gdb', '-q', '-batch', '-nx', '-ex', f'run > {OUT}', '--args', TARGET], 'gdb'),
    ('ltrace', ['ltrace', '-f', '-o', os.devnull, TARGET], 'plain'),
    ('valgrind', ['valgrind', '-q', '--error-exitcode=99', '--leak-check=no', TARGET], 'plain'),
]

for name, cmd, how in TOOLS:
    if not shutil.which(cmd[0]):
        skip(f'{name}: the program runs under it as natively', f'{name} is not installed')
        continue
    native = run(cmd, False)
    native_out = program_output()
    green = run(cmd, True)
    green_out = program_output()
    if how == 'gdb':
        # gdb prints "[Inferior 1 (process N) exited normally]"
        same = (native_out == green_out == EXPECTED and native[0] == green[0] == 0
                and 'exited normally' in native[1] and 'exited normally' in green[1])
    else:
        same = native == (0, EXPECTED, native[2]) and green[0] == 0 and green[1] == EXPECTED
    check(f'{name}: the program runs under it as natively (output, exit status, it ends)', same,
          f'native: {native[0]!r} {native[1][-400:]!r}\nlibgreen: {green[0]!r} {green[1][-400:]!r} {green[2][-600:]!r}')
    if name == 'valgrind':
        lines = [line for line in green[2].splitlines() if line.strip()]
        check('valgrind: no error reported, one libgreen line saying it steps aside',
              len(lines) == 1 and 'running under valgrind' in lines[0], green[2][-800:])

shutil.rmtree(os.path.dirname(OUT), ignore_errors=True)
report()
