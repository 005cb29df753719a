#!/usr/bin/env python3
"""selftests/bench/report.py on made-up guest output: runs-ok/runs-total
per cell, a cell with no valid run, a stack that could not be configured,
a stopped or silent guest all fail `report.py check` (exit 1); xfrmi's
"unsupported" transport mode does not; "<" on install lines only when
the ranges of the runs are apart. TAP."""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
REPORT = os.path.join(ROOT, "selftests", "bench", "report.py")
RESULTS = []	# (ok, what, why), printed at the end after the plan


def tap(ok, what, why=""):
    RESULTS.append((bool(ok), what, "" if ok else str(why)))


def iperf_json(mbit, retrans=3):
    return {"end": {"sum_received": {"bits_per_second": mbit * 1e6},
                    "sum_sent": {"retransmits": retrans}}}


def udp_json(pps):
    return {"end": {"sum": {"seconds": 1.0, "packets": pps, "lost_packets": 0}}}


def guest_dir(tmp, name, mutate=None):
    """A guest's output with every line of the smoke profile for the
    three stacks; MUTATE(files, manifest) changes it first."""
    d = os.path.join(tmp, name)
    os.makedirs(os.path.join(d, "runs"))
    files, manifest = {}, []
    stacks = ("kesp", "xfrm", "xfrmi")
    run = 0

    def iperf(section, case, stack, i, doc):
        nonlocal run
        run += 1
        f = "runs/%d-%s-%s" % (run, section, stack)
        files[f + ".json"] = json.dumps(doc)
        manifest.append("iperf %s %s %s %d %s" % (section, case, stack, i, f))

    for case in ("transport/aes-gcm-128", "tunnel/aes-gcm-128"):
        for i in (1, 2):
            for s in stacks:
                iperf("tcp", case, s, i, iperf_json(50 + i))
        for s in stacks:
            f = "runs/counters-tcp-%s-%s" % (case.replace("/", "-"), s)
            if s == "kesp":
                files[f] = json.dumps([{"dir": "out", "counters": {"packets": 10, "auth_errors": 0}},
                                       {"dir": "in", "counters": {"packets": 10, "auth_errors": 0}}])
            else:
                files[f] = ("src 192.168.60.1 dst 192.168.60.2\n\tlifetime current:\n"
                            "\t  100(bytes), 10(packets)\n\tstats:\n"
                            "\t  replay-window 0 replay 0 failed 0\n")
                files[f + "-gw1.before"] = "XfrmInError 0\nXfrmOutStateProtoError 1\n"
                files[f + "-gw1.after"] = "XfrmInError 0\nXfrmOutStateProtoError 3\n"
                manifest.append("xfrmstat tcp %s %s - %s" % (case, s, f + "-gw1"))
            manifest.append("counters tcp %s %s - %s" % (case, s, f))
            if s == "kesp" and case.startswith("transport"):
                files[f + "-hb"] = json.dumps({"dir": "in", "counters": {"packets": 10, "replay_errors": 5}})
                manifest.append("peercounters tcp %s %s - %s" % (case, s, f + "-hb"))
    # two flows at once, one from each vCPU: kesp's per-CPU SAs carry them
    for i in (1, 2):
        for s in stacks:
            run += 1
            f = "runs/%d-tcp2-%s" % (run, s)
            files[f + "-cpu0.json"] = json.dumps(iperf_json(30, 1))
            files[f + "-cpu1.json"] = json.dumps(iperf_json(20 + i, 2))
            manifest.append("iperf2 tcp2 tunnel/aes-gcm-128 %s %d %s" % (s, i, f))
    for s in stacks:
        f = "runs/counters-tcp2-tunnel-aes-gcm-128-%s" % s
        if s == "kesp":
            files[f] = json.dumps([{"dir": "out", "counters": {"packets": 0}},
                                   {"dir": "out", "cpu": 0, "counters": {"packets": 70}},
                                   {"dir": "out", "cpu": 1, "counters": {"packets": 50}}])
        else:
            files[f] = "src 192.168.60.1 dst 192.168.60.2\n\t  100(bytes), 120(packets)\n"
        manifest.append("counters tcp2 tunnel/aes-gcm-128 %s - %s" % (s, f))
    for s in stacks:
        iperf("udp", "64", s, 1, udp_json(9000))
        if s != "kesp":	# nothing grew: no errors, not "no xfrm_stat read"
            f = "runs/counters-udp-64-%s-gw1" % s
            files[f + ".before"] = files[f + ".after"] = "XfrmInError 4\n"
            manifest.append("xfrmstat udp 64 %s - %s" % (s, f))
        iperf("scale", "100", s, 1, iperf_json(40))
        for kind, rx in (("ping", "64 bytes: time=0.40 ms\n"),
                         ("flood", "50 packets transmitted, 50 received, 0% packet loss, time 20ms\n")):
            f = "runs/%s-%s" % (kind, s)
            files[f + "." + kind] = rx
            manifest.append("%s latency %s %s 1 %s" % (kind, "rtt" if kind == "ping" else "rr", s, f))
    seconds = {"kesp": (2.0, 2.1, 2.2), "xfrm": (1.9, 2.15, 2.3)}
    for r in (1, 2, 3):
        for s in ("kesp", "xfrm"):
            for kind in ("install", "flush"):
                f = "runs/%s-%s-100-%d" % (kind, s, r)
                files[f] = "0 %.3f\n" % seconds[s][r - 1]
                manifest.append("%s scale 100 %s %d %s" % (kind, s, r, f))
            if s == "xfrm":
                f = "runs/install-xfrm-100-%d-policies" % r
                files[f] = "0 1.000\n"
                manifest.append("install scale 100 xfrm-policies %d %s" % (r, f))
            for snap, kb in (("before", 1000), ("sas", 1250), ("policies", 1400), ("after", 1000)):
                f = "runs/mem-%s-100-%d-%s" % (s, r, snap)
                files[f] = "Slab: %d kB\nSUnreclaim: %d kB\n" % (kb, kb)
                files[f + ".slab"] = "slabinfo\n# name\nkmalloc-64 %d %d 64\n" % (kb, kb)
                manifest.append("mem scale %s-100-%d-%s - - %s" % (s, r, snap, f))
    manifest.append("skipped handshake all - - the handshake lines run in make bench only")
    if mutate:
        mutate(files, manifest)
    for f, text in files.items():
        with open(os.path.join(d, f), "w") as fh:
            fh.write(text)
    with open(os.path.join(d, "manifest"), "w") as fh:
        fh.write("\n".join(manifest) + "\n")
    with open(os.path.join(d, "meta"), "w") as fh:
        fh.write("kernel=6.12-test\nprofile=smoke\n")
    return d


def report(*args):
    p = subprocess.run([sys.executable, REPORT] + list(args), capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def judged(tmp, name, mutate=None, stopped=False):
    """report.py guest then check --smoke: (check's status, its TAP, the table, result)."""
    d = guest_dir(tmp, name, mutate)
    rc, table = report("guest", d, *(["--stopped"] if stopped else []))
    if rc:
        return rc, table, table, {}
    res = os.path.join(d, "result.json")
    rc, out = report("check", res, "--smoke")
    with open(res) as f:
        return rc, out, table, json.load(f)


def row(table, start):
    return next((l for l in table.splitlines() if l.startswith(start)), "")


def main():
    tmp = tempfile.mkdtemp(prefix="kesp-bench-report-")
    rc, out, table, res = judged(tmp, "good")
    tap(rc == 0 and "not ok" not in out and out.startswith("1..5"),
        "a complete run passes check, its plan first", out)
    r = row(table, "TCP one flow tunnel aes-gcm-128")
    tap(r.count("2/2") == 3, "each tunnel TCP cell shows 2/2 valid runs", table)
    tap("1.00" in r and r.count("  <") == 0, "the ratios kesp/xfrm and kesp/xfrmi are printed", r)
    tcp = next(l for l in res["lines"] if l["case"] == "tunnel/aes-gcm-128")
    tap(tcp["kesp"]["retransmits"] == [3, 3] and tcp["xfrmi"]["xfrm_stat"] == {"XfrmOutStateProtoError": 2}
        and next(l for l in res["lines"] if l["section"] == "udp")["xfrm"]["xfrm_stat"] == {},
        "retransmits per run and xfrm_stat growth per case reach result.json", json.dumps(tcp))
    tap("r6 e0" in row(table.split(r, 1)[1], "  retransmits") and
        "e2" in row(table.split(r, 1)[1], "  retransmits"),
        "the table shows retransmits and errors under the line", table)
    tr = row(table, "TCP one flow transport")
    tap("r6 e5" in row(table.split(tr, 1)[1], "  retransmits"),
        "the other node's SA errors count too (kesp: 5 replay errors on hb)", table)
    inst = row(table, "install 100 SAs ")
    tap("3/3" in inst and "<" not in inst,
        "install: 3/3 runs, overlapping ranges (2.0-2.2 vs 1.9-2.3) are not marked", table)
    tap("2.00-2.20" in row(table.split(inst, 1)[1], "  min-max"), "install: the spread is printed", table)
    pol = next(l for l in res["lines"] if l["case"] == "100 SAs, XFRM states + policies"
               and l["section"] == "install")
    tap(pol["xfrm"]["runs"] == [2.9, 3.15, 3.3], "states + policies add up repetition by repetition",
        json.dumps(pol))
    mem = next(l for l in res["lines"] if l["section"] == "memory" and l["case"] == "100 SAs")
    tap(mem["kesp"]["runs"] == [2560.0] * 3, "memory per SA, one figure per repetition", json.dumps(mem))

    two = next(l for l in res["lines"] if l["section"] == "tcp2")
    tap(two["kesp"]["runs"] == [51.0, 52.0] and two["kesp"]["retransmits"] == [3, 3] and
        two["kesp"]["sa_packets"] == 120 and two["kesp"]["cpu_sa_packets"] == {"0": 70, "1": 50},
        "two flows: a run is their sum, retransmits too; each per-CPU SA's packets", json.dumps(two))
    tap("2/2" in row(table, "TCP two flows, one per vCPU, tunnel aes-gcm-128"),
        "two flows: a line of its own in the table", table)

    def slower(files, manifest):
        for r in (1, 2, 3):
            files["runs/install-kesp-100-%d" % r] = "0 %.3f\n" % (2.5 + r / 10)
    rc, out, table, _ = judged(tmp, "slower", slower)
    tap(rc == 0 and row(table, "install 100 SAs ").count("<") == 1,
        "install: ranges apart (2.6-2.8 vs 1.9-2.3) are marked, once (no xfrmi there)", table)

    def failing(run, suffix):
        """A mutation: the iperf3 output of the manifest line starting
        with RUN, file SUFFIX, says the connection failed."""
        def mutate(files, manifest):
            first = next(l for l in manifest if l.startswith(run))
            files[first.split()[-1] + suffix] = json.dumps({"error": "unable to connect"})
        return mutate
    rc, out, table, _ = judged(tmp, "one-failed",
                               failing("iperf tcp tunnel/aes-gcm-128 xfrm 1", ".json"))
    tap(rc == 0 and "1/2" in row(table, "TCP one flow tunnel aes-gcm-128"),
        "one failed run of two: 1/2 shown, the cell still has a valid run", table + out)
    rc, out, table, _ = judged(tmp, "one-flow-failed",
                               failing("iperf2 tcp2 tunnel/aes-gcm-128 kesp 1", "-cpu1.json"))
    tap(rc == 0 and "1/2" in row(table, "TCP two flows, one per vCPU, tunnel aes-gcm-128"),
        "two flows: a run whose second flow failed is not valid (1/2)", table + out)

    def cell_failed(files, manifest):
        for l in manifest:
            if l.startswith("iperf tcp tunnel/aes-gcm-128 xfrmi"):
                files[l.split()[-1] + ".json"] = "iperf3: error - control socket has closed"
    rc, out, table, _ = judged(tmp, "cell-failed", cell_failed)
    tap(rc == 1 and "not ok" in out and "tcp tunnel/aes-gcm-128 xfrmi: 0/2 runs valid" in out
        and "0/2" in row(table, "TCP one flow tunnel aes-gcm-128"),
        "a cell with no valid run (0/2) fails check", table + out)

    def probe_failed(files, manifest):
        manifest[:] = [l for l in manifest if " transport/" not in l]
        manifest.append("na tcp transport/aes-gcm-128 - - not available: kespctl sa add says: no")
    rc, out, table, _ = judged(tmp, "probe-failed", probe_failed)
    tap(rc == 1 and "not available" in out and "FAILED on" in table,
        "a failed transport probe fails check, not \"not measured\"", table + out)

    def unsupported(files, manifest):
        manifest[:] = [l for l in manifest if not (" transport/" in l and " xfrmi " in l)]
        manifest.append("unsupported tcp transport/aes-gcm-128 xfrmi - xfrmi in transport mode: loop")
    rc, out, table, _ = judged(tmp, "unsupported", unsupported)
    tap(rc == 0 and "n/a on 6.12-test: tcp transport/aes-gcm-128 (xfrmi)" in table and
        "n/a" in row(table, "TCP one flow transport"),
        "xfrmi unsupported in transport mode: n/a with its reason, not a failure", table + out)

    def not_configured(files, manifest):
        manifest.append("na udp 64 xfrmi - configuring xfrmi failed: RTNETLINK answers: nope")
    rc, out, _, _ = judged(tmp, "not-configured", not_configured)
    tap(rc == 1 and "configuring xfrmi failed" in out, "a stack that was not configured fails check", out)

    def idle(files, manifest):
        files["runs/counters-tcp-tunnel-aes-gcm-128-kesp"] = json.dumps(
            [{"dir": "out", "counters": {"packets": 0}}])
    rc, out, _, _ = judged(tmp, "idle", idle)
    tap(rc == 1 and "tcp tunnel/aes-gcm-128 kesp" in out,
        "an outbound SA that carried nothing fails check", out)

    def cpu_idle(files, manifest):
        files["runs/counters-tcp2-tunnel-aes-gcm-128-kesp"] = json.dumps(
            [{"dir": "out", "counters": {"packets": 120}},
             {"dir": "out", "cpu": 0, "counters": {"packets": 0}},
             {"dir": "out", "cpu": 1, "counters": {"packets": 0}}])
    rc, out, _, _ = judged(tmp, "cpu-idle", cpu_idle)
    tap(rc == 1 and "tcp2 tunnel/aes-gcm-128 kesp's SA for CPU 0" in out,
        "two flows: the fallback SA carrying them, not the per-CPU SAs, fails check", out)

    rc, out, _, _ = judged(tmp, "stopped", stopped=True)
    tap(rc == 1 and "not ok 1 - [6.12-test] bench: the guest finished" in out,
        "a guest that was stopped fails check", out)

    def no_scale(files, manifest):
        manifest[:] = [l for l in manifest if " scale " not in l]
    rc, out, _, _ = judged(tmp, "no-scale", no_scale)
    tap(rc == 1 and "missing: scale install flush memory" in out,
        "the smoke without a section fails check", out)

    rc, out = report("check", os.path.join(tmp, "absent.json"))
    tap(rc == 1 and out.startswith("1..4") and out.count("not ok") >= 1,
        "no result at all fails check, with its plan", out)
    print("1..%d" % len(RESULTS))
    for i, (ok, what, why) in enumerate(RESULTS, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, what))
        for l in why.splitlines()[:40]:
            print("# " + l)
    return 0 if all(ok for ok, _, _ in RESULTS) else 1


if __name__ == "__main__":
    sys.exit(main())
