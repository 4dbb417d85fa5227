#!/usr/bin/env python3
"""difftest.py's own test: which runs it reruns, and which it judges at once.

Each case is a small shell program that counts its runs in a file; its
output depends on the run number and on whether LD_PRELOAD is set. TAP out.
Usage: difftest_selftest.py DIFFTEST LIB
"""
import os
import subprocess
import sys
import tempfile

CASES = [
    # (name, shell body, expected difftest exit status, expected number of runs)
    ('timing once natively: rerun, passes',
     '[ "$n" = 1 ] && echo "FAIL: timing: x.c:1: stalled"; echo ok', 0, 3),
    ('timing always: 3 runs each, fails',
     'echo "FAIL: timing: x.c:1: stalled"', 1, 6),
    ('timing and a real FAIL: never rerun',
     'echo "FAIL: timing: x.c:1: stalled"; echo "FAIL: x.c:2: wrong"', 1, 2),
    ('a real FAIL once: never rerun',
     '[ "$n" = 1 ] && echo "FAIL: x.c:2: wrong"; echo ok', 1, 2),
    ('stdout differs without FAIL lines: never rerun',
     'if [ -n "$LD_PRELOAD" ]; then echo green; else echo native; fi', 1, 2),
    ('exit status differs: never rerun',
     '[ -n "$LD_PRELOAD" ] && exit 3; exit 0', 1, 2),
]


def main():
    difftest, lib = sys.argv[1], sys.argv[2]
    print(f'1..{len(CASES)}')
    bad = 0
    with tempfile.TemporaryDirectory() as d:
        for i, (name, body, want_rc, want_runs) in enumerate(CASES, 1):
            counter = os.path.join(d, f'runs{i}')
            script = os.path.join(d, f'case{i}.sh')
            with open(script, 'w') as f:
                f.write(f'n=$(( $(cat {counter} 2>/dev/null || echo 0) + 1 ))\n'
                        f'echo $n > {counter}\n{body}\n')
            p = subprocess.run([sys.executable, difftest, '--lib', lib, '--name', f'case{i}',
                                '--', '/bin/sh', script], capture_output=True, text=True)
            with open(counter) as f:
                runs = int(f.read())
            ok = p.returncode == want_rc and runs == want_runs
            print(f'{"ok" if ok else "not ok"} {i} - {name}')
            if not ok:
                bad += 1
                print(f'# exit {p.returncode} (want {want_rc}), runs {runs} (want {want_runs})')
                for line in p.stdout.splitlines():
                    print('# ' + line)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
