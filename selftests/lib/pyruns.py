"""Runs a Python test body (a script that reports through tap.py) several
times in this one interpreter, each time after a shell command of its own
and with arguments of its own: a python3 start costs about a second under
TCG, and a test that started the script once per run paid it each time.

  pyruns.py SCRIPT SETUP ARGS... [-- SETUP ARGS...]...

SETUP runs first (sh -c); when it fails the run is left out (SETUP says
why, as a "not ok" line). Each run starts from fresh module globals, as a
script of its own would. Exits 1 if any run failed.
"""
import gc
import os
import runpy
import subprocess
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap  # noqa: E402

script = sys.argv[1]
runs = [[]]
for arg in sys.argv[2:]:
    if arg == "--":
        runs.append([])
    else:
        runs[-1].append(arg)
failed = False
for setup, *args in runs:
    sys.stdout.flush()
    if subprocess.run(["sh", "-c", setup]).returncode != 0:
        failed = True
        continue
    sys.argv = [script] + args
    tap.failed = False
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as e:
        failed |= e.code not in (0, None)
    except Exception:  # noqa: BLE001 (the next run still runs)
        sys.stdout.flush()
        traceback.print_exc()
        failed = True
    # The run's globals (its sockets among them) go before the next run
    # binds the same ports: its functions and their globals form cycles.
    gc.collect()
    sys.stdout.flush()
sys.exit(1 if failed else 0)
