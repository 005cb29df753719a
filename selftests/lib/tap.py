"""The selftests' result lines, for Python test bodies: "ok - WHAT" or
"not ok - WHAT" plus indented diagnostics, as the guest harness reads them."""
import sys

failed = False


def report(ok, what, why=""):
    global failed
    print(("ok - " if ok else "not ok - ") + what)
    if not ok:
        failed = True
        if why:
            print("  " + why)


def finish():
    sys.exit(1 if failed else 0)
