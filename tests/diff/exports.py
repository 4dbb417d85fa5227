#!/usr/bin/env python3
"""exports.py LIBGREEN INTERPOSE_DEF: what libgreen.so shows the process.

1. It exports exactly the interposers of interpose.def: nothing of its
   runtime, of libuv or of the C++ library leaks into the program's symbol
   namespace, and no row of the table is missing.
2. It does not need libuv.so: its libuv is a private, hidden copy, so a
   program that loads another libuv never shares state with it.
Prints TAP, one point per check."""
import re
import subprocess
import sys

lib, table = sys.argv[1], sys.argv[2]
wanted = set(re.findall(r'^GREEN_SYM(?:_V)?\((\w+)', open(table).read(), re.M))
nm = subprocess.run(['nm', '-D', '--defined-only', lib], capture_output=True, text=True, check=True).stdout
exported = {line.split()[-1].split('@')[0] for line in nm.splitlines() if line.strip()}
dyn = subprocess.run(['readelf', '-d', lib], capture_output=True, text=True, check=True).stdout
needed = re.findall(r'\(NEEDED\).*\[(.*)\]', dyn)

print('1..2')
extra, missing = sorted(exported - wanted), sorted(wanted - exported)
if extra or missing:
    print('not ok 1 - exports are exactly interpose.def')
    print(f'# exported but not in the table: {extra}')
    print(f'# in the table but not exported: {missing}')
else:
    print(f'ok 1 - exports are exactly interpose.def ({len(wanted)} symbols)')
uv = [n for n in needed if 'libuv' in n]
print(('not ok' if uv else 'ok') + f' 2 - no libuv.so dependency (NEEDED: {", ".join(needed)})')
sys.exit(1 if extra or missing or uv else 0)
