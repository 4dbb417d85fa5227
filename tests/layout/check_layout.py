#!/usr/bin/env python3
"""check_layout.py SOURCE_ROOT RUNTIME_LIB LIBGREEN: the folders show the layers.

TAP, one point per rule of README "Layout":
1. every row of shim/interpose.def has its interposer in the shim/ folder its
   section comment names;
2. every shim/ source file (but init.cc) holds interposers: it exports a symbol;
3. shim/ includes the runtime's public headers only: never the scheduler's
   or the TLS layer's insides (sched/ other than passthrough.h, tls/);
4. no runtime object refers to a symbol libgreen.so interposes (the runtime
   calls the kernel directly, os/sys.h, or glibc through glibc/real.h), so
   nothing flows back up through the shim;
5. no architecture #if in generic runtime code: per-architecture code lives
   in arch/<cpu>/ folders and *_<cpu>.cc files;
6. every runtime header opens with who owns its data or which threads may
   touch it;
7. libgreen.so builds no global at run time (no _GLOBAL__sub_I_ initializer):
   its constructor (shim/init.cc, priority 101) starts the runtime before
   such initializers run, so one would reset state already in use (g++ 10
   builds a std::vector global at run time: it emptied a hub's signal-mask
   counts on Debian 11), and its destructor would run at exit() under hubs
   still running.
"""
import os
import re
import subprocess
import sys

root, lib, libgreen = sys.argv[1], sys.argv[2], sys.argv[3]
shim = os.path.join(root, 'shim')
runtime = os.path.join(root, 'runtime')


def files(top, exts):
    for d, _, names in os.walk(top):
        for n in sorted(names):
            if n.endswith(exts):
                yield os.path.join(d, n)


def rel(p):
    return os.path.relpath(p, root)


results = []


def point(ok, what, details):
    results.append((ok, what, details))


# 1. rows in their folders
table = open(os.path.join(shim, 'interpose.def')).read().splitlines()
folder, rows = None, []
for line in table:
    m = re.match(r'// (shim/\w+):', line)
    if m:
        folder = m.group(1)
    m = re.match(r'GREEN_SYM(?:_V)?\((\w+)', line)
    if m:
        rows.append((m.group(1), folder))
defined = {}
for f in files(shim, ('.cc',)):
    text = open(f).read()
    for name in re.findall(r'GREEN_EXPORT[^;{]*?\b(\w+)\s*\(', text):
        defined.setdefault(name, set()).add(os.path.dirname(rel(f)))
    for name in re.findall(r'__asm__\("(\w+)"\)', text):
        defined.setdefault(name, set()).add(os.path.dirname(rel(f)))
bad = [f'{n}: section {fo}, defined in {sorted(defined.get(n, []))}'
       for n, fo in rows if fo is None or fo not in defined.get(n, set())]
point(not bad, f'each of the {len(rows)} interpose.def rows lives in its section\'s shim/ folder', bad)

# 2. shim files hold interposers
bad = [rel(f) for f in files(shim, ('.cc',))
       if os.path.basename(f) != 'init.cc' and 'GREEN_EXPORT' not in open(f).read()]
point(not bad, 'every shim/ source file exports interposers', bad)

# 3. shim includes
bad = []
for f in files(shim, ('.cc', '.h')):
    for inc in re.findall(r'#include "([^"]+)"', open(f).read()):
        if inc.startswith('tls/') or (inc.startswith('sched/') and inc != 'sched/passthrough.h'):
            bad.append(f'{rel(f)}: {inc}')
point(not bad, 'shim/ includes no scheduler or TLS internals', bad)

# 4. runtime objects on raw syscalls
names = {n for n, _ in rows}
nm = subprocess.run(['nm', '-u', '-A', lib], capture_output=True, text=True, check=True).stdout
bad = sorted({f'{line.split(":")[1] if line.count(":") > 1 else line.split()[0]}: {line.split()[-1]}'
              for line in nm.splitlines()
              if line.split() and line.split()[-1].split('@')[0] in names})
point(not bad, 'no runtime object refers to an interposed symbol', bad)

# 5. no architecture #if in generic code
arch_if = re.compile(r'#\s*(el)?if.*(__x86_64__|__aarch64__|__i386__)')
bad = []
for f in files(runtime, ('.cc', '.h')):
    r = rel(f)
    if '/arch/' in r or re.search(r'_(x86_64|aarch64)\.cc$', r):
        continue
    for i, line in enumerate(open(f), 1):
        if arch_if.search(line):
            bad.append(f'{r}:{i}: {line.strip()}')
point(not bad, 'no architecture #if in generic runtime code', bad)

# 6. header paragraphs
bad = []
for f in files(runtime, ('.h',)):
    head = []
    for line in open(f):
        if not line.startswith('//'):
            break
        head.append(line)
    if not re.search(r'thread|owner|owns|owned', ''.join(head), re.I):
        bad.append(rel(f))
point(not bad, 'every runtime header opens with its ownership and threading', bad)

# 7. no run-time initializers
syms = subprocess.run(['nm', libgreen], capture_output=True, text=True, check=True).stdout
bad = sorted({line.split()[-1] for line in syms.splitlines() if '_GLOBAL__sub_I_' in line})
point(not bad, 'libgreen.so builds no global at run time (constant-initialized or made at start)', bad)

print(f'1..{len(results)}')
for i, (ok, what, details) in enumerate(results, 1):
    print(f'{"ok" if ok else "not ok"} {i} - {what}')
    for d in details[:40]:
        print(f'# {d}')
sys.exit(0 if all(ok for ok, _, _ in results) else 1)
