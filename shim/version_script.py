#!/usr/bin/env python3
"""version_script.py INTERPOSE_DEF OUT: the linker version script of libgreen.so.

Exports exactly the interposers named in interpose.def (the one list of
them) and hides everything else, including template code the C++ library's
headers mark default-visible. tests/diff/exports.py checks the result."""
import re
import sys

names = sorted(set(re.findall(r'^GREEN_SYM(?:_V)?\((\w+)', open(sys.argv[1]).read(), re.M)))
with open(sys.argv[2], 'w') as out:
    out.write('{\n  global:\n')
    for n in names:
        out.write(f'    {n};\n')
    out.write('  local: *;\n};\n')
