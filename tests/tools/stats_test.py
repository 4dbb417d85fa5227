#!/usr/bin/env python3
"""The live stats socket (GREEN_STATS=1) and tools/green-stats.

Usage: stats_test.py GREEN_STATS LIBGREEN STATS_TARGET
Runs tests/tools/stats_target (a thread in accept, one in pthread_cond_wait,
sleepers on demand) under libgreen with GREEN_STATS=1 and checks: the socket
and its directory are private (0600 in 0700), the numbers move as threads
are made, --threads names the accept and the condition-variable waits, the
table and --watch print, another user is refused, a planted symlink is not
followed, XDG_RUNTIME_DIR is used when set, the socket is gone at exit, and
GREEN_STATS takes only 0 or 1. Prints TAP.
"""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import check, clean_env, report, skip  # noqa: E402

GREEN_STATS, LIB, TARGET = sys.argv[1:4]
LIB = os.path.realpath(LIB)


def base_env(extra=None):
    e = clean_env('XDG_RUNTIME_DIR')
    e.update({'LD_PRELOAD': LIB, 'GREEN_STATS': '1', 'GREEN_HUBS': '2'})
    e.update(extra or {})
    return e


class Target:
    def __init__(self, env=None, prefix=None):
        e, cmd = base_env(env), [TARGET]
        if prefix:  # only the target preloaded, not the prefix (setpriv)
            cmd = prefix + ['env'] + [f'{k}={e.pop(k)}' for k in ('LD_PRELOAD', 'GREEN_STATS')] + cmd
        self.p = subprocess.Popen(cmd, env=e, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.ready = self.p.stdout.readline().strip() == 'ready'

    def say(self, line):
        self.p.stdin.write(line + '\n')
        self.p.stdin.flush()
        return self.p.stdout.readline().strip()

    def quit(self):
        try:
            out, err = self.p.communicate('quit\n', timeout=30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            out, err = self.p.communicate()
        return self.p.returncode, out, err


def stats(pid, *flags, user=None):
    cmd = [sys.executable, GREEN_STATS] + list(flags) + [str(pid)]
    if user is not None:
        cmd = ['setpriv', f'--reuid={user}', f'--regid={user}', '--clear-groups'] + cmd
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def wait_for(path, present=True, seconds=10):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if os.path.lexists(path) == present:
            return True
        time.sleep(0.05)
    return os.path.lexists(path) == present


uid = os.getuid()
t = Target()
pid = t.p.pid
path = f'/tmp/libgreen-{uid}/{pid}.sock'
check('the target starts under libgreen', t.ready)
check('the socket appears at /tmp/libgreen-UID/PID.sock', wait_for(path), path)
if os.path.lexists(path):
    mode = stat.S_IMODE(os.lstat(path).st_mode)
    dmode = stat.S_IMODE(os.lstat(os.path.dirname(path)).st_mode)
    check('socket mode 0600 in a 0700 directory', mode == 0o600 and dmode == 0o700,
          f'{mode:o} {dmode:o}')
else:
    check('socket mode 0600 in a 0700 directory', False, 'no socket')

rc, out, err = stats(pid, '--json')
try:
    before = json.loads(out)
except ValueError:
    before = None
check('--json is JSON', rc == 0 and before is not None, err)
if before:
    parks = {}
    for h in before['hubs']:
        for k, v in h['parks'].items():
            parks[k] = parks.get(k, 0) + v
    check('--json: 3 live green threads, 2 hubs, a condition-variable park',
          before['green']['live'] == 3 and len(before['hubs']) == 2 and parks.get('condition variable', 0) >= 1,
          json.dumps(before)[:500])

check('spawn 50 sleepers', t.say('spawn 50') == 'spawned 50')
time.sleep(0.3)
rc, out, err = stats(pid, '--json')
after = json.loads(out) if rc == 0 else None
if before and after:
    g0, g1 = before['green'], after['green']
    switches = sum(h['resumes'] for h in after['hubs']) - sum(h['resumes'] for h in before['hubs'])
    check('the numbers move: created +50, live +50, peak >= live, switches grow, stacks mapped',
          g1['created'] - g0['created'] == 50 and g1['live'] - g0['live'] == 50 and g1['peak'] >= g1['live']
          and switches > 50 and after['stacks']['mapped'] >= 50 and all(h['answered'] for h in after['hubs']),
          f'{g0} {g1} switches {switches}')
else:
    check('the numbers move', False, err)

rc, out, err = stats(pid, '--threads')
lines = out.splitlines()
acc = [l for l in lines if 'acceptor' in l]
cw = [l for l in lines if 'cond-waiter' in l]
check('--threads names the thread in accept', rc == 0 and acc and 'accept' in acc[0].split('acceptor', 1)[1]
      and 'listening socket' in acc[0], out[:800])
check('--threads names the thread in pthread_cond_wait', rc == 0 and cw and 'condition variable' in cw[0],
      out[:800])
check('--threads lists the 50 sleepers', sum('sleeper' in l for l in lines) == 50, out[:300])

rc, out, err = stats(pid)
check('the table prints hubs, threads and parks', rc == 0 and 'green threads: 53 live' in out
      and 'parks by reason' in out and 'hub' in out, out + err)
rc, out, err = stats(pid, '--watch', '--interval', '0.2', '--count', '2')
check('--watch prints two tables with rates', rc == 0 and out.count('green threads:') == 2
      and 'switches/s' in out, out[-600:] + err)

# --stacks: each green thread resumed for a moment to unwind itself, its
# frames from the call it waits in; the program goes on unaffected.
rc, out, err = stats(pid, '--stacks')
dumps = [b for b in out.split('\n\n') if b.startswith('green thread ')]
blocks = {b.split('"')[1]: b for b in dumps}
named = shutil.which('addr2line') is not None  # static functions need it
acc, cw = blocks.get('acceptor', ''), blocks.get('cond-waiter', '')
check('--stacks: the acceptor\'s backtrace goes from the accept wait to its function',
      rc == 0 and 'accept' in acc.split('\n')[1] and
      ('acceptor at ' in acc and 'stats_target.c' in acc if named else 'stats_target+' in acc), out[:1500] + err)
check('--stacks: the condition-variable waiter\'s backtrace names cond_wait and its function',
      rc == 0 and 'cond_wait' in cw and ('waiter at ' in cw if named else 'stats_target+' in cw), out[:1500] + err)
check('--stacks: every green thread, each with frames',
      len(dumps) == 53 and all('#0 ' in b for b in dumps), f'{len(dumps)} {out[:600]}')
ok = all(stats(pid, '--stacks')[0] == 0 for _ in range(10))
check('ten more dumps: the program still answers, every thread still there',
      ok and t.say('spawn 2') == 'spawned 2' and sum('sleeper' in l for l in stats(pid, '--threads')[1].splitlines()) == 52)

# Another user: root may enter the 0700 directory, so the server's own
# SO_PEERCRED check is what refuses.
if uid == 0 and shutil.which('setpriv'):
    other = Target(prefix=['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'])
    opath = f'/tmp/libgreen-65534/{other.p.pid}.sock'
    ok = other.ready and wait_for(opath)
    rc, out, err = stats(other.p.pid)
    check('a client of another uid is refused (root, by SO_PEERCRED)', ok and rc == 1 and 'refused' in err,
          f'rc={rc} {err}')
    rc, out, err = stats(pid, user=65534)
    check('a client of another uid is refused (by the 0700 directory)', rc == 1 and out == '',
          f'rc={rc} {out} {err}')
    orc, _, _ = other.quit()
    check('the other user\'s process exits 0 and its socket is gone', orc == 0 and wait_for(opath, False))
else:
    for name in ('refused by SO_PEERCRED', 'refused by the directory', 'other user exits'):
        skip(name, 'needs root and setpriv')

rc, out, err = t.quit()
check('the target exits 0', rc == 0 and out.strip().endswith('bye'), f'rc={rc} {out} {err}')
check('the socket is gone at exit', wait_for(path, False))
check('nothing on stderr', err == '', err)

# A symlink planted at the socket's path is not followed.
work = tempfile.mkdtemp()
victim = os.path.join(work, 'victim')
script = (f'mkdir -p -m 700 /tmp/libgreen-{uid} && ln -s {victim} /tmp/libgreen-{uid}/$$.sock && '
          f'exec env LD_PRELOAD={LIB} GREEN_STATS=1 {TARGET}')
sh_env = base_env()
del sh_env['LD_PRELOAD'], sh_env['GREEN_STATS']
p = subprocess.Popen(['sh', '-c', script], env=sh_env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE, text=True)
planted = f'/tmp/libgreen-{uid}/{p.pid}.sock'
ready = p.stdout.readline().strip() == 'ready'
out, err = p.communicate('quit\n', timeout=30)
check('a planted symlink is not followed: one line, the program runs, the link stays',
      ready and p.returncode == 0 and 'no stats socket' in err and err.count('\n') == 1
      and not os.path.lexists(victim) and os.path.islink(planted), f'rc={p.returncode} {err!r}')
if os.path.islink(planted):
    os.unlink(planted)

# XDG_RUNTIME_DIR
xdg = os.path.join(work, 'xdg')
os.mkdir(xdg, 0o700)
t = Target(env={'XDG_RUNTIME_DIR': xdg})
xpath = f'{xdg}/libgreen/{t.p.pid}.sock'
ok = t.ready and wait_for(xpath)
rc, out, err = stats(t.p.pid)
check('with XDG_RUNTIME_DIR the socket is under it and green-stats finds it', ok and rc == 0, err)
t.quit()
check('... and is gone at exit', wait_for(xpath, False))
shutil.rmtree(work)

# Settings
p = subprocess.run([TARGET], env=base_env({'GREEN_STATS': '2'}), input='quit\n', capture_output=True,
                   text=True, timeout=30)
check('GREEN_STATS=2 is rejected naming the variable and the values',
      p.returncode == 2 and 'GREEN_STATS' in p.stderr and '0 or 1' in p.stderr, p.stderr)
e = base_env()
del e['GREEN_STATS']
p = subprocess.Popen([TARGET], env=e, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
p.stdout.readline()
none = not os.path.lexists(f'/tmp/libgreen-{uid}/{p.pid}.sock')
p.communicate('quit\n', timeout=30)
check('without GREEN_STATS there is no socket', none)
rc, out, err = stats(999999999)
check('green-stats on no such process: exit 1, one line', rc == 1 and err.count('\n') == 1, err)
rc, out, err = stats(os.getpid())
check('green-stats on a process without stats: exit 1, says how', rc == 1 and 'GREEN_STATS=1' in err, err)

report()
