"""Every --json output a guest test's kespctl produced, read by Python's
json module (one document per line, strict UTF-8); lib.sh's wrapper keeps
them as DIR/out.PID.N with the command line in DIR/out.PID.N.cmd.

  json_check.py DIR          checks DIR: prints "N checked", or the
                             outputs that failed and exits 1
  json_check.py --serve REQ  the guest harness's one checker for all its
                             tests (a python3 start costs about a second
                             under TCG): reads a DIR per line from the FIFO
                             REQ and writes the exit status, then what the
                             check printed, into the FIFO DIR/reply
"""
import glob
import json
import sys


def check(directory):
    """(status, text) for the outputs kept in DIRECTORY."""
    bad, files = [], sorted(glob.glob(directory + "/out.*.cmd"))
    for cmd in files:
        data = open(cmd[:-4], "rb").read()
        try:
            text = data.decode("utf-8")
            if text and not text.endswith("\n"):
                raise ValueError("the output does not end with a newline")
            for line in text.splitlines():
                json.loads(line)
        except ValueError as e:
            bad.append("kespctl %s: %s, in %r" % (open(cmd).read().strip(), e, data[:300]))
    if bad:
        return 1, "%d checked\n%s" % (len(files), "\n".join(bad))
    return 0, "%d checked" % len(files)


def serve(request_fifo):
    while True:
        with open(request_fifo) as requests:
            for line in requests:
                directory = line.rstrip("\n")
                try:
                    status, text = check(directory)
                except Exception as e:  # noqa: BLE001 (reported, not fatal)
                    status, text = 1, "the checker failed: %r" % e
                try:
                    with open(directory + "/reply", "w") as reply:
                        reply.write("%d\n%s\n" % (status, text))
                except OSError:
                    pass


if __name__ == "__main__":
    if sys.argv[1] == "--serve":
        serve(sys.argv[2])
    status, text = check(sys.argv[1])
    print(text)
    sys.exit(status)
