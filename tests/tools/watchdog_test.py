#!/usr/bin/env python3
"""The watchdog, on by default (GREEN_MONITOR_MS unset).

Usage: watchdog_test.py LIBGREEN WATCHDOG_TARGET ECHO_SERVER LOADGEN
Checks: a green thread computing 1 s is handed off and not reported; with
GREEN_HANDOFF_MS=0 it is reported once, as computing, with a backtrace
naming the program, and a raw read(2) blocked 1 s is reported as blocked in
a system call; two stalls within 10 s give one report; GREEN_MONITOR_MS=0
silences it; a healthy echo server under load, with two CPU hogs beside it,
says nothing. Prints TAP.
"""
import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import check, preloaded_env, report  # noqa: E402

LIB, TARGET, ECHO, LOADGEN = sys.argv[1:5]
LIB = os.path.realpath(LIB)


def env(extra=None):
    return preloaded_env(LIB, extra)


def run(args, extra=None):
    p = subprocess.run([TARGET] + args, env=env(extra), capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def reports(err):
    return err.count('libgreen: watchdog:')


rc, out, err = run(['spin', '1000'])
check('a computing green thread is handed off: no report', rc == 0 and out == 'done\n' and err == '', err)

rc, out, err = run(['spin', '1000'], {'GREEN_HANDOFF_MS': '0'})
check('GREEN_HANDOFF_MS=0: one report, "computing", with a backtrace naming the program',
      rc == 0 and reports(err) == 1 and 'computing' in err and 'watchdog_target' in err
      and 'GREEN_MONITOR_MS=0' in err, err)

rc, out, err = run(['rawread', '1000'], {'GREEN_HANDOFF_MS': '0'})
check('a raw read blocked 1 s: one report, "blocked in a system call"',
      rc == 0 and out == 'done\n' and reports(err) == 1 and 'blocked in a system call' in err, err)

rc, out, err = run(['spin', '600', '3'], {'GREEN_HANDOFF_MS': '0'})
check('three stalls within 10 s: one report', rc == 0 and reports(err) == 1, err)

rc, out, err = run(['spin', '1000'], {'GREEN_HANDOFF_MS': '0', 'GREEN_MONITOR_MS': '0'})
check('GREEN_MONITOR_MS=0 turns it off', rc == 0 and err == '', err)


# A healthy server under load, with the machine busy: nothing to say.
def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


hogs = [subprocess.Popen([sys.executable, '-c', 'while True: pass']) for _ in range(2)]
try:
    port = free_port()
    server = subprocess.Popen([ECHO, str(port)], env=env({'GREEN_HUBS': '2'}), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    for _ in range(100):
        try:
            socket.create_connection(('127.0.0.1', port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    load = subprocess.run([LOADGEN, '--port', str(port), '--conns', '200', '--active', '100%',
                           '--duration', '4', '--warmup', '0'], capture_output=True, text=True, timeout=120)
    server.send_signal(signal.SIGTERM)
    _, serr = server.communicate(timeout=30)
    check('a healthy echo server under load beside two CPU hogs: the watchdog stays silent',
          load.returncode == 0 and reports(serr) == 0, f'loadgen rc={load.returncode} {load.stderr[-300:]} {serr}')
finally:
    for h in hogs:
        h.kill()
        h.wait()

report()
