#!/usr/bin/env python3
"""GREEN_DEBUG=1: the rate-limited log of what libgreen does with calls.

Usage: debug_test.py LIBGREEN WATCHDOG_TARGET STATS_TARGET SCHED_MIGRATE
Checks: off by default (nothing on stderr); GREEN_DEBUG=2 is refused naming
the variable and the allowed values; parks name the interposer the program
called (accept, pthread_cond_wait, read on stdin, usleep) and what they wait
for; a raw syscall() that blocks 1 s is named with how long it held its OS
thread; a name lookup is offloaded to the pool; a GREEN_NATIVE thread is
reported; on two hubs sched_migrate's green threads are stolen by the idle
hub (and never with GREEN_STEAL=0 or one hub); a thread sleeping every 10 ms (100 parks a second) gives at most
20 lines a second and a line saying how many were not shown, and does not
hide the rarer lines (their own budget); the program's
own output and exit status are unchanged. Prints TAP.
"""
import math
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import check, preloaded_env, report, skip  # noqa: E402

LIB, WATCHDOG, STATS, MIGRATE = sys.argv[1:5]
LIB = os.path.realpath(LIB)


def env(extra=None):
    return preloaded_env(LIB, extra)


def run(cmd, extra=None, stdin=None):
    p = subprocess.run(cmd, env=env(extra), input=stdin, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def debug_lines(err):
    return [line for line in err.splitlines() if line.startswith('libgreen: debug: ')]


rc, out, err = run([WATCHDOG, 'rawread', '300'])
check('off by default: nothing on stderr', rc == 0 and out == 'done\n' and err == '', err)

rc, out, err = run([WATCHDOG, 'rawread', '300'], {'GREEN_DEBUG': '2'})
check('GREEN_DEBUG=2 is refused naming the variable and the allowed values',
      rc != 0 and out == '' and 'GREEN_DEBUG' in err and '0 or 1' in err, f'rc={rc} {err}')

# The raw read of watchdog_target: syscall(SYS_read) on a pipe a child
# writes after 2.5 s, beside a ticker thread that sleeps 10 ms at a time:
# long enough that a second with lines held back is followed by another,
# which says how many, also when a busy machine slows the ticker.
start = time.monotonic()
rc, out, err = run([WATCHDOG, 'rawread', '2500'], {'GREEN_DEBUG': '1'})
elapsed = time.monotonic() - start
lines = debug_lines(err)
check('GREEN_DEBUG=1 leaves the output and exit status alone', rc == 0 and out == 'done\n', f'rc={rc} {out!r}')
held = [int(m.group(1)) for m in (re.search(r'syscall\(0\) passed through and held its OS thread (\d+) ms', x)
                                  for x in lines) if m]
check('a raw syscall(SYS_read) blocked 2.5 s: named, with how long it held its OS thread',
      len(held) == 1 and 2000 <= held[0] <= 10000, err)
check('a sleep parks naming usleep', any(re.search(r'"watchdog_target" \(hub 0\): usleep parks: sleep$', x)
                                        for x in lines), err)
shown = [x for x in lines if 'more lines not shown' in x]
check('100 parks a second are cut to 20 lines a second, and the rest counted',
      # a budget per calendar second: the run touches at most ceil(elapsed) + 1 of them,
      # and the forked writer has its own; unlimited, the ticker alone prints ~100 a second
      len(lines) - len(shown) <= 20 * (math.ceil(elapsed) + 2) and shown
      and all(re.search(r'debug: \d+ more lines not shown \(at most 20 a second\)$', x) for x in shown),
      f'{len(lines)} lines in {elapsed:.1f} s\n{err}')
check('every line is whole (one write each)',
      all(re.match(r'libgreen: debug: (green \d+ "[^"]*" \(hub \d+\)|thread \d+|\d+ more)', x) for x in lines)
      and len(lines) == len(err.splitlines()), err)

# stats_target: threads blocked in accept() and pthread_cond_wait(), the
# main thread reading commands on stdin.
p = subprocess.Popen([STATS], env=env({'GREEN_DEBUG': '1', 'GREEN_HUBS': '2'}), stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
first = p.stdout.readline()
time.sleep(0.5)  # both threads are waiting by now
out, err = p.communicate('quit\n', timeout=60)
rc, out = p.returncode, first + out
lines = debug_lines(err)
check('stats_target runs as without GREEN_DEBUG', rc == 0 and 'ready' in out, f'rc={rc} {out}')
check('accept parks, on its listening fd', any(re.search(r'"acceptor" \(hub \d\): accept parks: IO wait \(read\), fd \d+$',
                                                        x) for x in lines), err)
check('pthread_cond_wait parks, on a condition variable',
      any(re.search(r'"cond-waiter" \(hub \d\): pthread_cond_wait parks: condition variable$', x) for x in lines), err)

# A name lookup goes to libuv's pool.
python = '/usr/bin/python3' if os.access('/usr/bin/python3', os.X_OK) else shutil.which('python3')
if python:
    rc, out, err = run([python, '-c', 'import socket; print(len(socket.getaddrinfo("localhost", 80)) > 0)'],
                       {'GREEN_DEBUG': '1'})
    check('getaddrinfo is offloaded to the pool',
          rc == 0 and out == 'True\n' and any('getaddrinfo is offloaded to the pool' in x for x in debug_lines(err)),
          err)
else:
    skip('getaddrinfo is offloaded to the pool', 'no python3')

rc, out, err = run([WATCHDOG, 'spin', '50'], {'GREEN_DEBUG': '1', 'GREEN_NATIVE': 'ticker'})
check('a GREEN_NATIVE thread is reported',
      rc == 0 and out == 'done\n'
      and any('starts a native OS thread (its start routine is named in GREEN_NATIVE)' in x for x in debug_lines(err)),
      err)

# Steals: sched_migrate's pairs and hogs on two hubs. Whether a hub is idle
# at some moment depends on the machine, so up to five runs may be needed;
# without stealing no run may show one.
def steal_lines(extra):
    rc, out, err = run([MIGRATE], dict({'GREEN_DEBUG': '1', 'GREEN_HUBS': '2', 'GREEN_STEAL': '1'}, **extra))
    took = [x for x in debug_lines(err) if re.search(r'debug: hub \d took \d+ (runnable|waiting) green threads? from hub \d$', x)]
    return rc, out, took


for attempt in range(5):
    rc, out, took = steal_lines({})
    if rc != 0 or took:
        break
check('two hubs: the idle one takes green threads from the busy one, and the program is unchanged',
      rc == 0 and out.endswith('migrate: done\n') and took, f'rc={rc} {out[-200:]}')
rc, out, took = steal_lines({'GREEN_STEAL': '0'})
check('GREEN_STEAL=0: no steal', rc == 0 and not took, '\n'.join(took))
rc, out, took = steal_lines({'GREEN_HUBS': '1'})
check('one hub: no steal', rc == 0 and not took, '\n'.join(took))

report()
