"""Packet counters of a kesp SA pair in namespace a and the XFRM SA pair
with the same SPIs in namespace b, printed as
"KESP_OUT KESP_IN / XFRM_IN XFRM_OUT".

    sa_counters.py [--settle] OUT_SPI IN_SPI

OUT_SPI is the SPI of a's outbound SA (b's inbound), IN_SPI the other.
With --settle it samples once a second until two samples agree (at most
six), so segments still in flight after a transfer have landed."""
import json
import os
import re
import shlex
import subprocess
import sys
import time


def sample(out_spi, in_spi):
    kesp = json.loads(subprocess.run(
        ["ip", "netns", "exec", "a"] + shlex.split(os.environ["KESPCTL"]) +
        ["--json", "sa", "list"], check=True, capture_output=True, text=True).stdout)
    by_dir = {s["dir"]: s["counters"]["packets"] for s in kesp}
    # ip -s xfrm state: one block per SA starting "src A dst B", with the
    # current lifetime line "N(bytes), M(packets)".
    text = subprocess.run(["ip", "-n", "b", "-s", "xfrm", "state"], check=True,
                          capture_output=True, text=True).stdout
    xfrm = {}
    for block in re.split(r"\n(?=src )", text):
        spi = re.search(r"spi (0x[0-9a-f]+)", block)
        cur = re.search(r"(\d+)\(bytes\), (\d+)\(packets\)", block)
        if spi and cur:
            xfrm[int(spi.group(1), 16)] = int(cur.group(2))
    return "%s %s / %s %s" % (by_dir.get("out"), by_dir.get("in"),
                              xfrm.get(out_spi), xfrm.get(in_spi))


def main():
    args = sys.argv[1:]
    settle = args[:1] == ["--settle"]
    if settle:
        args = args[1:]
    out_spi, in_spi = (int(a, 0) for a in args)
    now = sample(out_spi, in_spi)
    for _ in range(6 if settle else 0):
        time.sleep(1)
        before, now = now, sample(out_spi, in_spi)
        if now == before:
            break
    print(now)


main()
