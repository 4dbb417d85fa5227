"""tap.py: the check list and TAP report shared by the tools tests.

Owned by one test process: check() and skip() append to a module-level list
from the test's main thread; report() prints it as TAP (one point per check,
the detail of a failed one as comment lines) and is called once, at the end.
"""
import os

_results = []


def check(name, ok, detail=''):
    """One TAP point: name, passed or not, what to show when it did not."""
    _results.append((name, bool(ok), detail))


def skip(name, reason):
    """A point that could not be checked here, counted as skipped."""
    _results.append((f'{name} # SKIP {reason}', True, ''))


def clean_env(*drop):
    """The environment without libgreen's own settings (GREEN_*, LD_PRELOAD)
    and the names in drop, so a test starts from what it sets itself."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith('GREEN_') and k != 'LD_PRELOAD' and k not in drop}


def preloaded_env(lib, extra=None):
    """clean_env() with lib preloaded on one hub, plus the settings in extra."""
    e = clean_env()
    e.update({'LD_PRELOAD': lib, 'GREEN_HUBS': '1'})
    e.update(extra or {})
    return e


def report():
    print(f'1..{len(_results)}')
    for i, (name, ok, detail) in enumerate(_results, 1):
        print(f"{'ok' if ok else 'not ok'} {i} - {name}")
        if not ok and detail:
            for line in str(detail).splitlines()[:20]:
                print(f'#   {line}')
