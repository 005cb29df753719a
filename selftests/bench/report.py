"""The benchmark's figures, from the raw runs to JSON and a table.

    report.py guest DIR [--stopped]
        in the guest: reads DIR/manifest, DIR/meta, DIR/features and the
        raw outputs they name, writes DIR/result.json, prints the table;
        on the host with --stopped, for what a guest left that did not
        finish;
    report.py combine JSON TABLE WALL-SECONDS RESULT.json...
        on the host: one JSON for every kernel, with the date and the
        machine, and the table of all of them (also written to TABLE);
    report.py check RESULT.json [--smoke]
        TAP lines with a plan: the guest finished, nothing it was to
        measure failed (a cell with no valid run, a stack it could not
        configure), and each stack's SAs carried its runs' traffic;
        --smoke: and every section has figures. Exits 1 on a failure.

Three stacks: kesp, XFRM with policies ("xfrm") and XFRM through an xfrm
interface ("xfrmi", route-based like kesp0). Every line gives the median
of each stack's runs, how many runs were valid of how many, and the
ratios kesp/xfrm and kesp/xfrmi; "better" says which way is good for
kesp."""
import datetime
import json
import os
import platform
import re
import statistics
import sys

STACKS = ("kesp", "xfrm", "xfrmi")
# the lines every stack's data plane carries; the rest are kesp vs xfrm
TRAFFIC = ("tcp", "tcp2", "udp", "rtt", "rr")
# the lines repeated a few times, whose spread decides a "<"
SPREAD = ("install", "flush", "memory")

# (section, case) -> (label, unit, better); the order of the table.
UNITS = {
    "tcp": ("Mbit/s", "higher"),
    "tcp2": ("Mbit/s", "higher"),
    "udp": ("datagrams/s", "higher"),
    "rtt": ("us", "lower"),
    "rr": ("round trips/s", "higher"),
    "scale": ("Mbit/s", "higher"),
    "install": ("s", "lower"),
    "flush": ("s", "lower"),
    "memory": ("bytes/SA", "lower"),
    "handshake": ("ms", "lower"),
    "hsrate": ("handshakes/s", "higher"),
}


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def iperf_value(path, section):
    """Mbit/s received (TCP) or datagrams/s received (UDP); None if the
    run failed. Also the sender's retransmits for TCP."""
    try:
        d = json.loads(read(path + ".json"))
    except ValueError:
        return None, None
    if "error" in d or "end" not in d:
        return None, None
    end = d["end"]
    if section == "udp":
        s = end.get("sum", {})
        if not s.get("seconds"):
            return None, None
        return (s["packets"] - s["lost_packets"]) / s["seconds"], None
    return end["sum_received"]["bits_per_second"] / 1e6, end.get("sum_sent", {}).get("retransmits")


def ping_rtt(path):
    times = [float(t) for t in re.findall(r"time=([0-9.]+) ms", read(path + ".ping"))]
    return statistics.median(times) * 1000 if times else None


def flood_rate(path):
    m = re.search(r"(\d+) packets transmitted, (\d+) received.*time (\d+)ms", read(path + ".flood"))
    if not m or int(m.group(3)) == 0:
        return None
    return int(m.group(2)) / (int(m.group(3)) / 1000)


def sa_counters(path, stack):
    """(packets the outbound SA sent, errors counted, {CPU: packets} of
    kesp's per-CPU outbound SAs) from a counters file: kespctl --json sa
    get (one document per SA) or sa list, or ip -s xfrm state get."""
    text = read(path)
    if stack == "kesp":
        sas, pos, dec = [], 0, json.JSONDecoder()
        try:
            while text[pos:].strip():
                doc, end = dec.raw_decode(text[pos:].lstrip())
                pos += len(text[pos:]) - len(text[pos:].lstrip()) + end
                sas += doc if isinstance(doc, list) else [doc]
        except ValueError:
            return None, None, {}
        out = sum(s["counters"]["packets"] for s in sas if s["dir"] == "out")
        errors = sum(v for s in sas for k, v in s["counters"].items() if k.endswith("errors"))
        return out, errors, {s["cpu"]: s["counters"]["packets"] for s in sas if "cpu" in s}
    packets = errors = 0
    for block in re.split(r"\n(?=src )", text):
        m = re.search(r"(\d+)\(bytes\), (\d+)\(packets\)", block)
        src = re.match(r"src (\S+)", block)
        # The outbound states are the ones from this node's own address.
        if m and src and src.group(1) in ("192.168.60.1", "192.168.50.1"):
            packets += int(m.group(2))
        st = re.search(r"replay-window \d+ replay (\d+) failed (\d+)", block)
        if st:
            errors += int(st.group(1)) + int(st.group(2))
    return packets, errors, {}


def xfrm_stat(path):
    return {k: int(v) for k, v in re.findall(r"^(\w+)\s+(\d+)", read(path), re.M)}


def xfrm_stat_growth(base):
    """The counters of /proc/net/xfrm_stat that grew from BASE.before to
    BASE.after (one XFRM node over one case)."""
    a, b = xfrm_stat(base + ".after"), xfrm_stat(base + ".before")
    if not a:
        return None
    return {k: v - b.get(k, 0) for k, v in a.items() if v - b.get(k, 0)}


def meminfo(path):
    return {k: int(v) for k, v in re.findall(r"^(\w+):\s+(\d+) kB", read(path), re.M)}


def slabinfo(path):
    """Bytes held by each slab cache: objects (active or not) x size."""
    out = {}
    for l in read(path).splitlines()[2:]:
        f = l.split()
        if len(f) > 3:
            out[f[0]] = int(f[2]) * int(f[3])
    return out


def timed_seconds(path):
    """The "STATUS SECONDS" last line of a timed command, or the python
    installer's "SECONDS FAILED FIRST-ERROR" line."""
    lines = read(path).strip().splitlines()
    if not lines:
        return None, "no output"
    last = lines[-1].split(None, 2)
    if last[0] != "0":
        return None, " ".join(lines[-3:])
    return float(last[1]), None


def line(section, case, unit, better, runs):
    """One table line from {stack: [values or None]}: per stack the runs,
    how many were valid ("ok" of "total"), their median and range; the
    ratios kesp/xfrm ("ratio") and kesp/xfrmi ("ratio_xfrmi")."""
    out = {"section": section, "case": case, "unit": unit, "better": better}
    for stack in STACKS:
        if stack not in runs:
            continue
        vals = [v for v in runs[stack] if v is not None]
        out[stack] = {"runs": runs[stack], "median": statistics.median(vals) if vals else None,
                      "ok": len(vals), "total": len(runs[stack]),
                      "failed": len(runs[stack]) - len(vals),
                      "min": min(vals) if vals else None, "max": max(vals) if vals else None}
    k = out.get("kesp", {}).get("median")
    for stack, key in (("xfrm", "ratio"), ("xfrmi", "ratio_xfrmi")):
        x = out.get(stack, {}).get("median")
        out[key] = k / x if k is not None and x else None
    return out


def worse(l, stack):
    """Whether kesp is worse than STACK on line L by more than it can
    tell: for the repeated install, flush and memory lines, when the
    ranges of the two stacks' runs do not overlap; for the rest, by more
    than 3% of the medians."""
    ratio = l.get("ratio" if stack == "xfrm" else "ratio_xfrmi")
    if ratio is None:
        return False
    k, x = l["kesp"], l[stack]
    if l["section"] in SPREAD:
        if k.get("min") is None or x.get("min") is None or k["ok"] < 2 or x["ok"] < 2:
            return False
        return k["min"] > x["max"] if l["better"] == "lower" else k["max"] < x["min"]
    return ratio < 0.97 if l["better"] == "higher" else ratio > 1.03


def guest(dirname, stopped=False):
    meta = dict(l.split("=", 1) for l in read(os.path.join(dirname, "meta")).splitlines() if "=" in l)
    features = dict(l.split(" ", 1) for l in read(os.path.join(dirname, "features")).splitlines()
                    if " " in l)
    runs = {}		# (metric, case) -> stack -> [value]
    extra = {}		# (metric, case) -> stack -> {name: [value]}
    counted = {}	# (section, case) -> stack -> (packets, errors)
    grown = {}		# (section, case) -> stack -> {xfrm_stat counter: growth}
    mem, slabs, order_seen, result_notes = {}, {}, [], []
    policies_seconds, profiles, peer_errors = {}, {}, {}
    not_measured, failures = [], []

    def add(key, stack, value, **more):
        runs.setdefault(key, {}).setdefault(stack, []).append(value)
        for name, v in more.items():
            extra.setdefault(key, {}).setdefault(stack, {}).setdefault(name, []).append(v)

    for entry in read(os.path.join(dirname, "manifest")).splitlines():
        kind, section, case, stack, run, value = entry.split(" ", 5)
        if kind not in ("na", "unsupported", "skipped", "seconds", "value"):
            value = os.path.join(dirname, value)
        if kind in ("na", "unsupported", "skipped"):
            # na: what was to be measured failed (a failure of the bench);
            # unsupported: the kernel cannot do it (xfrmi, transport mode);
            # skipped: left out on purpose (time budget, profile).
            n = {"section": section, "case": case, "stack": stack, "why": value, "kind": kind}
            not_measured.append(n)
            if kind == "na":
                failures.append(n)
        elif kind == "profile":
            profiles.setdefault(case, {})[stack] = {
                "top": read(value + ".top").splitlines(),
                "esp": read(value + ".esp").splitlines(),
                "mbit": iperf_value(value, "tcp")[0]}
        elif kind == "counters":
            counted.setdefault((section, case), {})[stack] = sa_counters(value, stack)
        elif kind == "peercounters":
            # the second node's pair: its errors only ("packets" are the
            # first node's outbound SA's)
            peer_errors.setdefault((section, case), {})[stack] = sa_counters(value, stack)[1]
        elif kind == "xfrmstat":
            g = xfrm_stat_growth(value)
            into = grown.setdefault((section, case), {}).setdefault(stack, {})
            for k, v in ({"no xfrm_stat read": 1} if g is None else g).items():
                into[k] = into.get(k, 0) + v
        elif kind == "iperf2":
            # two flows at once: their sum, valid only if both ran
            flows = [iperf_value(value + "-cpu%d" % cpu, "tcp") for cpu in (0, 1)]
            ok = all(v is not None for v, _ in flows)
            add((section, case), stack, sum(v for v, _ in flows) if ok else None,
                retransmits=sum(rt for _, rt in flows) if ok and None not in
                [rt for _, rt in flows] else None)
        elif kind == "iperf":
            v, retrans = iperf_value(value, section)
            if section == "udp":
                add((section, case), stack, v)
            else:
                add((section, case), stack, v, retransmits=retrans)
        elif kind == "value":
            # a figure the guest computed itself (handshake.sh)
            add((section, case), stack, float(value))
        elif kind == "ping":
            add(("rtt", "ping"), stack, ping_rtt(value))
        elif kind == "flood":
            add(("rr", "flood ping"), stack, flood_rate(value))
        elif kind == "mem":
            mem[case] = meminfo(value)
            slabs[case] = slabinfo(value + ".slab")
            order_seen.append(case)
        elif kind in ("install", "flush"):
            seconds, why = timed_seconds(value)
            if stack == "xfrm-policies":
                policies_seconds.setdefault(case, {})[run] = seconds
                continue
            add((kind, "%s SAs" % case), stack, seconds, rep=run)
            if why:
                add((kind, "%s SAs" % case), stack + "_error", why)

    lines = []
    for (metric, case), by_stack in runs.items():
        if not any(s in by_stack for s in STACKS):
            continue
        unit, better = UNITS[metric]
        l = line(metric, case, unit, better, {s: v for s, v in by_stack.items() if s in STACKS})
        for stack, more in extra.get((metric, case), {}).items():
            if stack in l:
                l[stack].update(more)
        section, sa_case = {"rtt": ("latency", "rtt"), "rr": ("latency", "rtt")}.get(
            metric, (metric, case))
        for stack, (packets, errors, per_cpu) in counted.get((section, sa_case), {}).items():
            if stack in l:
                peer = peer_errors.get((section, sa_case), {}).get(stack, 0)
                l[stack]["sa_packets"] = packets
                if per_cpu:
                    l[stack]["cpu_sa_packets"] = per_cpu
                l[stack]["sa_errors"] = None if errors is None or peer is None else errors + peer
        for stack, g in grown.get((section, sa_case), {}).items():
            if stack in l:
                l[stack]["xfrm_stat"] = g
        for stack in STACKS:
            errs = by_stack.get(stack + "_error")
            if errs and stack in l:
                l[stack]["error"] = errs[0]
        lines.append(l)

    # XFRM also needs a policy per SA before it uses it; kesp's SAs carry
    # their selectors. A second line compares with states and policies,
    # repetition by repetition.
    for n, by_rep in policies_seconds.items():
        key = ("install", "%s SAs" % n)
        inst = runs.get(key, {})
        reps = extra.get(key, {}).get("xfrm", {}).get("rep", [])
        xs = [x + by_rep[r] if x is not None and by_rep.get(r) is not None else None
              for x, r in zip(inst.get("xfrm", []), reps)]
        lines.append(line("install", "%s SAs, XFRM states + policies" % n, *UNITS["install"],
                          {"kesp": inst.get("kesp", []), "xfrm": xs}))

    # Memory per SA: the kernel memory that grew while the SAs went in,
    # over their number: all slab (xarray and radix-tree nodes are
    # "reclaimable" slab, though an SA table's never are), per-CPU memory
    # (kesp's SA counters) and vmalloc (large hash tables, both stacks');
    # and which slab caches grew, from /proc/slabinfo. One figure per
    # repetition (snapshots STACK-N-REP-{before,sas,policies,after}).
    def per_sa(before, after, n):
        a, b = mem.get(after), mem.get(before)
        if not a or not b:
            return None
        return sum(a.get(k, 0) - b.get(k, 0) for k in ("Slab", "Percpu", "VmallocUsed")) * 1024 / n

    def slab_growth(before, after, n):
        a, b = slabs.get(after), slabs.get(before)
        if not a or not b:
            return {}
        grown = {c: (a[c] - b.get(c, 0)) / n for c in a if a[c] - b.get(c, 0) > 0}
        return {c: round(v) for c, v in sorted(grown.items(), key=lambda kv: -kv[1])[:6]}

    snaps = {}	# n -> [rep]
    for k in mem:
        m = re.match(r"(kesp|xfrm)-(\d+)-(\d+)-before$", k)
        if m and m.group(3) not in snaps.setdefault(int(m.group(2)), []):
            snaps[int(m.group(2))].append(m.group(3))
    for n in sorted(snaps):
        reps = sorted(snaps[n], key=int)
        k = ["kesp-%d-%s-" % (n, r) for r in reps]
        x = ["xfrm-%d-%s-" % (n, r) for r in reps]
        l = line("memory", "%d SAs" % n, *UNITS["memory"],
                 {"kesp": [per_sa(p + "before", p + "sas", n) for p in k],
                  "xfrm": [per_sa(p + "before", p + "sas", n) for p in x]})
        l["kesp"]["slab_caches"] = slab_growth(k[0] + "before", k[0] + "sas", n)
        l["xfrm"]["slab_caches"] = slab_growth(x[0] + "before", x[0] + "sas", n)
        # XFRM needs a policy per SA too to use it; kesp's SAs carry theirs.
        l["xfrm"]["policy"] = [per_sa(p + "sas", p + "policies", n) for p in x]
        l["xfrm"]["policy_slab_caches"] = slab_growth(x[0] + "sas", x[0] + "policies", n)
        lines.append(l)
        lines.append(line("memory", "%d SAs, XFRM states + policies" % n, *UNITS["memory"],
                          {"kesp": l["kesp"]["runs"],
                           "xfrm": [per_sa(p + "before", p + "policies", n) for p in x]}))
        # Everything back once both stacks removed their SAs?
        firsts = [s for s in mem if s.endswith("-%d-%s-before" % (n, reps[0]))]
        lasts = [s for s in mem if s.endswith("-%d-%s-after" % (n, reps[-1]))]
        if firsts and lasts:
            first = min(firsts, key=lambda s: order_seen.index(s))
            last = max(lasts, key=lambda s: order_seen.index(s))
            result_notes.append("%d SAs: unreclaimable slab %+d kB after both stacks removed theirs "
                                "%d times" % (n, mem[last]["SUnreclaim"] - mem[first]["SUnreclaim"],
                                              len(reps)))

    order = ["tcp", "tcp2", "udp", "rtt", "rr", "scale", "install", "flush", "memory", "handshake", "hsrate"]
    lines.sort(key=lambda l: (order.index(l["section"]), sort_key(l["case"])))
    result = {"kernel": meta.get("kernel"), "profile": meta.get("profile"), "meta": meta,
              "features": features, "lines": lines, "not_measured": not_measured,
              "failures": failures, "notes": result_notes, "profiles": profiles,
              "stopped": stopped}
    if stopped:
        result["not_measured"].append({"section": "all", "case": "after %s" % (
            lines[-1]["section"] + " " + lines[-1]["case"] if lines else "the start"),
            "stack": "-", "kind": "na",
            "why": "the guest was stopped (QEMU timeout) before it finished"})
    with open(os.path.join(dirname, "result.json"), "w") as f:
        json.dump(result, f, indent=1)
    print(table([result]))


def sort_key(case):
    """Cases in a sensible order: transport before tunnel, sizes ascending."""
    nums = [int(x) for x in re.findall(r"\d+", case.split("/")[0])]
    return (not case.startswith("transport"), nums, case)


def fmt(v):
    if v is None:
        return "-"
    if abs(v) >= 100:
        return "%.0f" % v
    if abs(v) >= 10:
        return "%.1f" % v
    return "%.2f" % v


LABELS = {"tcp": "TCP one flow", "tcp2": "TCP two flows, one per vCPU,", "udp": "UDP rx rate", "rtt": "ping RTT median",
          "rr": "flood ping", "scale": "TCP tunnel with", "install": "install",
          "flush": "flush", "memory": "memory, installing",
          # the IKE daemons: ikehelper in the kesp column, charon in XFRM's
          "handshake": "IKE vs charon:", "hsrate": "IKE vs charon:"}


def cell(l, stack, na=()):
    """A stack's median and runs-ok/runs-total, e.g. "58.1 3/3"; "n/a"
    where the kernel does not support it (NA: (section, case, stack))."""
    st = l.get(stack)
    if not st:
        return "%14s" % ("n/a" if (l["section"], l["case"], stack) in na else "")
    return "%9s %4s" % (fmt(st["median"]), "%d/%d" % (st["ok"], st["total"]))


def counts(l, stack):
    """A traffic line's TCP retransmits (all runs) and errors: the SA
    pair's error counters plus, for XFRM, what grew in /proc/net/xfrm_stat."""
    st = l.get(stack)
    if not st:
        return "%14s" % ""
    out = ""
    if st.get("retransmits"):
        out += "r%d " % sum(r or 0 for r in st["retransmits"])
    if st.get("sa_errors", 0) is None:
        out += "e?"	# a counters file that could not be read
    elif "sa_errors" in st or "xfrm_stat" in st:
        out += "e%d" % (st.get("sa_errors", 0) + sum(st.get("xfrm_stat", {}).values()))
    return "%14s" % out.strip()


def spread(l, stack):
    st = l.get(stack)
    if not st or st.get("min") is None:
        return "%14s" % ""
    return "%14s" % ("%s-%s" % (fmt(st["min"]), fmt(st["max"])))


def table(results):
    head = "%-52s %-13s" % ("line", "unit")
    for r in results:
        # icount: guest seconds count instructions (run-vm.sh), not time
        clock = r.get("meta", {}).get("clock", "")
        head += " | %-61s" % ("%s (%s%s)" % (r["kernel"], r["profile"],
                                             ", " + clock if clock else ""))
    sub = "%-52s %-13s" % ("", "")
    for _ in results:
        sub += " | %14s %14s %14s %7s   %7s  " % ("kesp ok/n", "xfrm ok/n", "xfrmi ok/n", "k/xfrm", "k/xfrmi")
    rows = [head, sub, "-" * len(sub)]
    keys = []
    for r in results:
        for l in r["lines"]:
            if (l["section"], l["case"]) not in keys:
                keys.append((l["section"], l["case"]))
    for section, case in keys:
        unit = UNITS[section][0]
        row = "%-52s %-13s" % (LABELS[section] + " " + case.replace("/", " "), unit)
        more = None
        if section in SPREAD:
            more, label = spread, "  min-max"
        elif section in TRAFFIC or section == "scale":
            more, label = counts, "  retransmits r, errors e"
        extra = "%-52s %-13s" % (label, "") if more else ""
        for r in results:
            l = next((l for l in r["lines"] if (l["section"], l["case"]) == (section, case)), None)
            if l is None:
                row += " | %61s" % ""
                extra += " | %61s" % ""
                continue
            na = {(n["section"], n["case"], n["stack"]) for n in r["not_measured"]
                  if n.get("kind") == "unsupported"}
            row += " | %s %s %s %7s%-2s %7s%-2s" % (
                cell(l, "kesp", na), cell(l, "xfrm", na), cell(l, "xfrmi", na),
                fmt(l["ratio"]), " <" if worse(l, "xfrm") else "",
                fmt(l.get("ratio_xfrmi")), " <" if "xfrmi" in l and worse(l, "xfrmi") else "")
            if more:
                extra += " | %s %s %s %19s" % (more(l, "kesp"), more(l, "xfrm"), more(l, "xfrmi"), "")
        rows.append(row)
        if more:
            rows.append(extra.rstrip())
    for r in results:
        for n in r["not_measured"]:
            rows.append("%s on %s: %s %s%s: %s" % (
                {"na": "FAILED", "unsupported": "n/a"}.get(n.get("kind"), "not measured"),
                r["kernel"], n["section"], n["case"],
                "" if n.get("stack", "-") == "-" else " (%s)" % n["stack"], n["why"]))
    rows.append("xfrm = XFRM with policies; xfrmi = XFRM through an xfrm interface (if_id), routed "
                "like kesp0. ok/n = valid runs of all runs; k/xfrm and k/xfrmi = kesp's median over "
                "theirs. \"<\" marks kesp worse: by more than 3% on traffic lines, by more than the "
                "spread (the min-max ranges apart) on install, flush and memory lines. Lower is better "
                "in s, us, ms and bytes/SA; the IKE lines set ikehelper against charon.")
    return "\n".join(rows)


def combine(out_json, out_table, wall, paths):
    results = []
    for p in paths:
        try:
            with open(p) as f:
                results.append(json.load(f))
        except (OSError, ValueError) as e:
            print("# no result in %s: %s" % (p, e))
    cpu = ""
    for l in read("/proc/cpuinfo").splitlines():
        if l.startswith("model name"):
            cpu = l.split(":", 1)[1].strip()
            break
    doc = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "machine": {"cpu": cpu, "cpus": os.cpu_count(), "host_kernel": platform.release(),
                       "guest": "QEMU TCG, -cpu max,-pcid,-invpcid -smp 2"},
           "wall_seconds": int(wall), "kernels": results}
    with open(out_json, "w") as f:
        json.dump(doc, f, indent=1)
    text = table(results) if results else "no results"
    text = "kesp vs XFRM, %s, %s (%d cpus), make bench took %d s\n%s" % (
        doc["date"], cpu, os.cpu_count(), int(wall), text)
    with open(out_table, "w") as f:
        f.write(text + "\n")
    print(text)


def check(path, smoke=False):
    """TAP for a bench run, its plan first: the guest finished and wrote
    its result; nothing it was to measure failed (no cell without a valid
    run: kesp and xfrm on every line, xfrmi on every traffic line unless
    the kernel does not support it there; no stack it could not
    configure); every stack's SAs carried the traffic of its runs; with
    --smoke, every section has figures. Returns 1 on a failure."""
    want = ["tcp", "tcp2", "udp", "rtt", "rr", "scale", "install", "flush", "memory"]
    plan = 5 if smoke else 4
    print("1..%d" % plan)
    n = 0
    failed = False

    def tap(ok, what, why=""):
        nonlocal n, failed
        n += 1
        print("%s %d - %s" % ("ok" if ok else "not ok", n, what))
        if not ok:
            failed = True
            if why:
                print("# " + why[:2000])

    try:
        with open(path) as f:
            r = json.load(f)
    except (OSError, ValueError) as e:
        r = {"lines": [], "not_measured": [], "stopped": True, "kernel": "?"}
        tap(False, "bench: the guest wrote its result", str(e))
    else:
        tap(not r.get("stopped"), "[%s] bench: the guest finished" % r.get("kernel"),
            "it was stopped before its end")
    k = r.get("kernel")
    unsupported = {(n["section"], n["case"]) for n in r["not_measured"]
                   if n.get("kind") == "unsupported" and n.get("stack") == "xfrmi"}
    empty = []
    for l in r["lines"]:
        stacks = ["kesp", "xfrm"]
        if l["section"] in TRAFFIC and (l["section"], l["case"]) not in unsupported:
            stacks.append("xfrmi")
        empty += ["%s %s %s: %s" % (l["section"], l["case"], s, "no run" if s not in l else
                                    "%d/%d runs valid" % (l[s]["ok"], l[s]["total"]))
                  for s in stacks if s not in l or not l[s]["ok"]]
    empty += ["%s %s %s: %s" % (n["section"], n["case"], n["stack"], n["why"])
              for n in r["not_measured"] if n.get("kind", "na") == "na"]
    tap(bool(r["lines"]) and not empty,
        "[%s] bench: every cell has a valid run and every stack was configured" % k,
        "; ".join(empty))
    idle = ["%s %s %s" % (l["section"], l["case"], s) for l in r["lines"] for s in STACKS
            if s in l and "sa_packets" in l[s] and not l[s]["sa_packets"]]
    # the two-flow line measures kesp's per-CPU SAs only if each carried
    # its CPU's flow (JSON keys: the CPUs as strings)
    idle += ["%s %s kesp's SA for CPU %s" % (l["section"], l["case"], cpu)
             for l in r["lines"] if l["section"] == "tcp2" and "kesp" in l
             for cpu in ("0", "1")
             if not {str(c): p for c, p in l["kesp"].get("cpu_sa_packets", {}).items()}.get(cpu)]
    tap(not idle and all(any("sa_packets" in l.get(s, {}) for l in r["lines"]) for s in STACKS),
        "[%s] bench: each stack's SAs carried the traffic of its runs" % k,
        "no packets on the outbound SA: " + "; ".join(idle))
    tcp = [l for l in r["lines"] if l["section"] in ("tcp", "tcp2", "scale")]
    silent = ["%s %s %s" % (l["section"], l["case"], s) for l in tcp for s in STACKS if s in l
              for v, rt in zip(l[s]["runs"], l[s].get("retransmits", [])) if v is not None and rt is None]
    tap(bool(tcp) and not silent, "[%s] bench: every valid TCP run reports its retransmits" % k,
        "none from: " + "; ".join(silent))
    if smoke:
        have = {l["section"] for l in r["lines"]}
        tap(set(want) <= have, "[%s] bench smoke: every section has figures" % k,
            "missing: %s" % " ".join(s for s in want if s not in have))
    return 1 if failed or n != plan else 0


def main():
    if sys.argv[1:2] == ["guest"]:
        guest(sys.argv[2], stopped=sys.argv[3:4] == ["--stopped"])
    elif sys.argv[1:2] == ["combine"]:
        combine(sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5:])
    elif sys.argv[1:2] == ["check"]:
        sys.exit(check(sys.argv[2], smoke=sys.argv[3:4] == ["--smoke"]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
