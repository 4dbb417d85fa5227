#!/usr/bin/env python3
"""tools/greenrun: flags become GREEN_* variables, errors and exit codes, the preload.

Usage: greenrun_test.py GREENRUN LIBGREEN VERSION LIBDIR
Runs `env`, `cat /proc/self/maps`, `sh -c ...` through the build tree's
greenrun (and through a copy laid out as `meson install` does), and checks
that every value greenrun rejects libgreen rejects too, and the reverse.
Prints TAP.
"""
import os
import shutil
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import check, clean_env, report  # noqa: E402

GREENRUN, LIB, VERSION, LIBDIR = sys.argv[1:5]
LIB = os.path.realpath(LIB)


def run(args, env=None, exe=None):
    e = clean_env()
    e.update(env or {})
    p = subprocess.run([exe or GREENRUN] + args, env=e, capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode(errors='replace'), p.stderr.decode(errors='replace')


def env_of(out):
    return dict(line.split('=', 1) for line in out.splitlines() if '=' in line)


# --help, --version
rc, out, err = run(['--help'])
check('--help exits 0 and names the options', rc == 0 and '--hubs' in out and '--native' in out,
      f'rc={rc}')
rc, out, err = run(['--version'])
check('--version exits 0 with the project version', rc == 0 and VERSION in out, f'rc={rc} {out!r}')

# flags -> variables
rc, out, err = run(['--hubs', '2', '--stack-size', '64K', '--monitor-ms', '100',
                    '--native', 'worker_main,log_main', 'env'])
v = env_of(out)
check('flags set GREEN_HUBS, GREEN_STACK_SIZE, GREEN_MONITOR_MS, GREEN_NATIVE',
      rc == 0 and v.get('GREEN_HUBS') == '2' and v.get('GREEN_STACK_SIZE') == '64K'
      and v.get('GREEN_MONITOR_MS') == '100' and v.get('GREEN_NATIVE') == 'worker_main,log_main',
      f'rc={rc} {v}')
check('LD_PRELOAD is libgreen.so', v.get('LD_PRELOAD') == LIB, v.get('LD_PRELOAD'))
rc, out, err = run(['--stats', 'env'])
check('--stats sets GREEN_STATS=1', rc == 0 and env_of(out).get('GREEN_STATS') == '1', f'rc={rc}')

rc, out, err = run(['--debug', 'env'])
check('--debug sets GREEN_DEBUG=1', rc == 0 and env_of(out).get('GREEN_DEBUG') == '1', f'rc={rc}')
rc, out, err = run(['--hubs=auto', '--stack-size=1M', 'env'])
v = env_of(out)
check('--flag=value form, --hubs auto', rc == 0 and v.get('GREEN_HUBS') == 'auto'
      and v.get('GREEN_STACK_SIZE') == '1M', f'rc={rc} {v}')
rc, out, err = run(['env'])
v = env_of(out)
check('no flags: no GREEN_* variable set',
      rc == 0 and not any(k.startswith('GREEN_') for k in v), f'{v}')
rc, out, err = run(['env'], env={'LD_PRELOAD': 'libc.so.6'})
v = env_of(out)
check('an existing LD_PRELOAD is kept after libgreen.so',
      v.get('LD_PRELOAD') == LIB + ':libc.so.6', v.get('LD_PRELOAD'))

# the preload is real
rc, out, err = run(['cat', '/proc/self/maps'])
check('the command is preloaded (libgreen.so in /proc/self/maps)',
      rc == 0 and LIB in out, f'rc={rc} {err}')
rc, out, err = run(['--hubs', 'auto', 'cat', '/proc/self/maps'])
check('libgreen accepts GREEN_HUBS=auto', rc == 0 and LIB in out, f'rc={rc} {err}')

# values: greenrun and libgreen (config.cc) agree
good = [('--hubs', '1'), ('--hubs', '2'), ('--hubs', 'auto'), ('--hubs', '007'), ('--hubs', '+3'), ('--stack-size', '+64K'),
        ('--stack-size', '16K'), ('--stack-size', '64k'), ('--stack-size', '1M'),
        ('--stack-size', '1G'), ('--stack-size', '262144'), ('--stack-size', '64KiB'),
        ('--monitor-ms', '0'), ('--monitor-ms', '3600000'),
        ('--handoff-ms', '0'), ('--handoff-ms', '3600000'),
        ('--native', 'a'), ('--native', 'a,b'), ('--native', '')]
bad = [('--hubs', '0'), ('--hubs', '257'), ('--hubs', 'x'), ('--hubs', ''), ('--hubs', 'Auto'),
       ('--hubs', '-1'), ('--stack-size', '1K'), ('--stack-size', '2G'),
       ('--stack-size', '12x'), ('--stack-size', 'K'), ('--stack-size', ''),
       ('--monitor-ms', '-5'), ('--monitor-ms', '3600001'), ('--monitor-ms', '1.5'),
       ('--handoff-ms', '-1'), ('--handoff-ms', '3600001'), ('--handoff-ms', 'x'),
       ('--native', 'a,,b'), ('--native', ',a'), ('--native', 'a,')]
var = {'--hubs': 'GREEN_HUBS', '--stack-size': 'GREEN_STACK_SIZE',
       '--monitor-ms': 'GREEN_MONITOR_MS', '--handoff-ms': 'GREEN_HANDOFF_MS',
       '--native': 'GREEN_NATIVE'}
for flag, value in good:
    rc, out, err = run([flag, value, 'true'])
    check(f'{flag} {value!r} accepted, and by libgreen', rc == 0, f'rc={rc} {err}')
for flag, value in bad:
    rc, out, err = run([flag, value, 'true'])
    check(f'{flag} {value!r} rejected: 125 and a message naming the flag',
          rc == 125 and flag in err and 'expected' in err, f'rc={rc} {err!r}')
    rc2, _, err2 = run([], env={var[flag]: value, 'LD_PRELOAD': LIB}, exe='true')
    check(f'libgreen rejects {var[flag]}={value!r} too', rc2 == 2, f'rc={rc2} {err2!r}')

# usage errors
rc, out, err = run(['--bogus', 'true'])
check('unknown flag: 125 and a message', rc == 125 and "unknown option '--bogus'" in err, f'rc={rc} {err!r}')
rc, out, err = run(['-x', 'true'])
check('unknown short flag: 125', rc == 125 and "'-x'" in err, f'rc={rc} {err!r}')
rc, out, err = run(['--hubs'])
check('flag without its value: 125', rc == 125 and '--hubs' in err, f'rc={rc} {err!r}')
rc, out, err = run([])
check('no command: 125', rc == 125 and 'no command' in err, f'rc={rc} {err!r}')
rc, out, err = run(['--'])
check("only '--': 125", rc == 125, f'rc={rc}')

# the command: not found, not executable, its own status
rc, out, err = run(['greenrun-no-such-command'])
check('command not found: 127', rc == 127 and 'greenrun-no-such-command' in err, f'rc={rc} {err!r}')
rc, out, err = run(['/nonexistent/cmd'])
check('path not found: 127', rc == 127, f'rc={rc} {err!r}')
with tempfile.TemporaryDirectory() as d:
    plain = os.path.join(d, 'plain')
    with open(plain, 'w') as f:
        f.write('#!/bin/sh\nexit 0\n')
    os.chmod(plain, 0o644)
    rc, out, err = run([plain])
    check('found but not executable: 126', rc == 126 and 'Permission denied' in err, f'rc={rc} {err!r}')
    rc, out, err = run(['plain'], env={'PATH': d + ':/usr/bin:/bin'})
    check('found in PATH but not executable: 126', rc == 126, f'rc={rc} {err!r}')
    rc, out, err = run([d])
    check('a directory: 126', rc == 126, f'rc={rc} {err!r}')

    # installed layout: bin/greenrun finds ../LIBDIR/libgreen.so (through a symlink too)
    prefix = os.path.join(d, 'prefix')
    os.makedirs(os.path.join(prefix, 'bin'))
    libdir = LIBDIR if os.path.isabs(LIBDIR) else os.path.join(prefix, LIBDIR)
    os.makedirs(libdir, exist_ok=True)
    shutil.copy(GREENRUN, os.path.join(prefix, 'bin', 'greenrun'))
    shutil.copy(LIB, os.path.join(libdir, 'libgreen.so'))
    link = os.path.join(d, 'greenrun-link')
    os.symlink(os.path.join(prefix, 'bin', 'greenrun'), link)
    if not os.path.isabs(LIBDIR):
        want = os.path.realpath(os.path.join(libdir, 'libgreen.so'))
        for exe, how in ((os.path.join(prefix, 'bin', 'greenrun'), 'installed'),
                         (link, 'installed, run through a symlink')):
            rc, out, err = run(['cat', '/proc/self/maps'], exe=exe)
            check(f'{how}: finds ../{LIBDIR}/libgreen.so', rc == 0 and want in out, f'rc={rc} {err!r}')

rc, out, err = run(['sh', '-c', 'exit 7'])
check("the command's exit status is passed through", rc == 7, f'rc={rc}')
rc, out, err = run(['sh', '-c', 'kill -TERM $$'])
check("death by a signal is passed through", rc == -15, f'rc={rc}')
rc, out, err = run(['--', 'sh', '-c', 'echo "$0 $1"', 'x', '--hubs'])
check("'--' ends the options", rc == 0 and out.strip() == 'x --hubs', f'rc={rc} {out!r}')
rc, out, err = run(['--hubs', '2', '--', '--weird'])
check("after '--' a word starting with '-' is the command", rc == 127 and '--weird' in err, f'rc={rc} {err!r}')
rc, out, err = run(['sh', '-c', 'echo "$GREEN_HUBS|$1"', 'sh', '--hubs'])
check("flags after the command are the command's", rc == 0 and out.strip() == '|--hubs', f'rc={rc} {out!r}')
rc, out, err = run(['--native', 'a', '--native', 'b', 'env'])
check('a flag given twice: the last wins', env_of(out).get('GREEN_NATIVE') == 'b', out)

report()
