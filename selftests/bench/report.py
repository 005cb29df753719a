"""The benchmark's figures, from the raw runs to JSON and a table.

    report.py guest DIR [--stopped]
        in the guest: reads DIR/manifest, DIR/meta, DIR/features and the
        raw outputs they name, writes DIR/result.json, prints the table;
        on the host with --stopped, for what a guest left that did not
        finish;
    report.py combine JSON TABLE WALL-SECONDS RESULT.json...
        on the host: one JSON for every kernel, with the date and the
        machine, and the table of all of them (also written to TABLE);
    report.py check RESULT.json
        TAP lines: every line of the profile has a figure for both stacks,
        and both data planes carried the traffic of every run.

Every line gives the median of each stack's runs and the ratio
kesp/XFRM; "better" says which way is good for kesp."""
import datetime
import json
import os
import platform
import re
import statistics
import sys

# (section, case) -> (label, unit, better); the order of the table.
UNITS = {
    "tcp": ("Mbit/s", "higher"),
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
    """(packets the outbound SA sent, errors counted) from a counters
    file: kespctl --json sa get (one document per SA), or ip -s xfrm
    state get."""
    text = read(path)
    if stack == "kesp":
        sas, pos, dec = [], 0, json.JSONDecoder()
        try:
            while text[pos:].strip():
                doc, end = dec.raw_decode(text[pos:].lstrip())
                pos += len(text[pos:]) - len(text[pos:].lstrip()) + end
                sas += doc if isinstance(doc, list) else [doc]
        except ValueError:
            return None, None
        out = sum(s["counters"]["packets"] for s in sas if s["dir"] == "out")
        errors = sum(v for s in sas for k, v in s["counters"].items() if k.endswith("errors"))
        return out, errors
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
    return packets, errors


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
    if os.path.basename(path).startswith("install-kesp-netlink"):
        return (float(last[0]), None) if last[1] == "0" else (None, " ".join(last[1:]))
    if last[0] != "0":
        return None, " ".join(lines[-3:])
    return float(last[1]), None


def line(section, case, unit, better, runs):
    """One table line from {stack: [values or None]}."""
    out = {"section": section, "case": case, "unit": unit, "better": better}
    for stack in ("kesp", "xfrm"):
        vals = [v for v in runs.get(stack, []) if v is not None]
        out[stack] = {"runs": runs.get(stack, []), "median": statistics.median(vals) if vals else None,
                      "failed": sum(v is None for v in runs.get(stack, []))}
    k, x = out["kesp"]["median"], out["xfrm"]["median"]
    out["ratio"] = k / x if k is not None and x else None
    return out


def guest(dirname, stopped=False):
    meta = dict(l.split("=", 1) for l in read(os.path.join(dirname, "meta")).splitlines() if "=" in l)
    features = dict(l.split(" ", 1) for l in read(os.path.join(dirname, "features")).splitlines()
                    if " " in l)
    runs = {}		# (metric, case) -> stack -> [value]
    extra = {}		# (metric, case) -> stack -> {name: [value]}
    counted = {}	# (section, case) -> stack -> (packets, errors)
    mem, slabs, order_seen, result_notes = {}, {}, [], []
    policies_seconds, netlink_seconds, profiles = {}, {}, {}
    not_measured = []

    def add(key, stack, value, **more):
        runs.setdefault(key, {}).setdefault(stack, []).append(value)
        for name, v in more.items():
            extra.setdefault(key, {}).setdefault(stack, {}).setdefault(name, []).append(v)

    for entry in read(os.path.join(dirname, "manifest")).splitlines():
        kind, section, case, stack, _run, value = entry.split(" ", 5)
        if kind not in ("na", "seconds", "value"):
            value = os.path.join(dirname, value)
        if kind == "na":
            not_measured.append({"section": section, "case": case, "stack": stack, "why": value})
        elif kind == "profile":
            profiles.setdefault(case, {})[stack] = {
                "top": read(value + ".top").splitlines(),
                "esp": read(value + ".esp").splitlines(),
                "mbit": iperf_value(value, "tcp")[0]}
        elif kind == "counters":
            counted.setdefault((section, case), {})[stack] = sa_counters(value, stack)
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
            tool = stack
            if stack == "xfrm-policies":
                policies_seconds[case] = seconds
                continue
            if stack == "kesp-netlink":
                netlink_seconds[case] = seconds
                continue
            add((kind, "%s SAs" % case), tool, seconds)
            if why:
                add((kind, "%s SAs" % case), tool + "_error", why)

    lines = []
    for (metric, case), by_stack in runs.items():
        if metric.endswith("_error") or "kesp" not in by_stack and "xfrm" not in by_stack:
            continue
        unit, better = UNITS[metric]
        l = line(metric, case, unit, better, by_stack)
        for stack, more in extra.get((metric, case), {}).items():
            l[stack].update(more)
        section, sa_case = {"rtt": ("latency", "rtt"), "rr": ("latency", "rtt")}.get(
            metric, (metric, case))
        for stack, (packets, errors) in counted.get((section, sa_case), {}).items():
            l[stack]["sa_packets"] = packets
            l[stack]["sa_errors"] = errors
        for stack in ("kesp", "xfrm"):
            errs = by_stack.get(stack + "_error")
            if errs:
                l[stack]["error"] = errs[0]
        lines.append(l)

    # XFRM also needs a policy per SA before it uses it; kesp's SAs carry
    # their selectors. A second line compares with states and policies.
    for n, seconds in policies_seconds.items():
        inst = runs.get(("install", "%s SAs" % n), {})
        xs = [x + seconds if x is not None and seconds is not None else None
              for x in inst.get("xfrm", [])]
        lines.append(line("install", "%s SAs, XFRM states + policies" % n, *UNITS["install"],
                          {"kesp": inst.get("kesp", []), "xfrm": xs}))
    # kespctl -batch sends one request at a time, as ip -batch does; raw
    # netlink with 128 requests per send shows what the tool costs.
    for n, seconds in netlink_seconds.items():
        inst = runs.get(("install", "%s SAs" % n), {})
        lines.append(line("install", "%s SAs, kesp raw netlink, 128 per send" % n, *UNITS["install"],
                          {"kesp": [seconds], "xfrm": inst.get("xfrm", [])}))

    # Memory per SA: the kernel memory that grew while the SAs went in,
    # over their number: all slab (xarray and radix-tree nodes are
    # "reclaimable" slab, though an SA table's never are), per-CPU memory
    # (kesp's SA counters) and vmalloc (large hash tables, both stacks');
    # and which slab caches grew, from /proc/slabinfo.
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

    for n in sorted({int(k.split("-")[1]) for k in mem}):
        l = line("memory", "%d SAs" % n, *UNITS["memory"],
                 {"kesp": [per_sa("kesp-%d-before" % n, "kesp-%d-sas" % n, n)],
                  "xfrm": [per_sa("xfrm-%d-before" % n, "xfrm-%d-sas" % n, n)]})
        l["kesp"]["slab_caches"] = slab_growth("kesp-%d-before" % n, "kesp-%d-sas" % n, n)
        l["xfrm"]["slab_caches"] = slab_growth("xfrm-%d-before" % n, "xfrm-%d-sas" % n, n)
        # XFRM needs a policy per SA too to use it; kesp's SAs carry theirs.
        l["xfrm"]["policy"] = per_sa("xfrm-%d-sas" % n, "xfrm-%d-policies" % n, n)
        l["xfrm"]["policy_slab_caches"] = slab_growth("xfrm-%d-sas" % n, "xfrm-%d-policies" % n, n)
        lines.append(l)
        lines.append(line("memory", "%d SAs, XFRM states + policies" % n, *UNITS["memory"],
                          {"kesp": l["kesp"]["runs"],
                           "xfrm": [per_sa("xfrm-%d-before" % n, "xfrm-%d-policies" % n, n)]}))
        # Everything back once both stacks removed their SAs?
        firsts = [k for k in mem if k.endswith("-%d-before" % n)]
        lasts = [k for k in mem if k.endswith("-%d-after" % n)]
        if firsts and lasts:
            first = min(firsts, key=lambda k: order_seen.index(k))
            last = max(lasts, key=lambda k: order_seen.index(k))
            result_notes.append("%d SAs: unreclaimable slab %+d kB after both stacks removed theirs" % (
                n, mem[last]["SUnreclaim"] - mem[first]["SUnreclaim"]))

    order = ["tcp", "udp", "rtt", "rr", "scale", "install", "flush", "memory", "handshake", "hsrate"]
    lines.sort(key=lambda l: (order.index(l["section"]), sort_key(l["case"])))
    result = {"kernel": meta.get("kernel"), "profile": meta.get("profile"), "meta": meta,
              "features": features, "lines": lines, "not_measured": not_measured,
              "notes": result_notes, "profiles": profiles}
    if stopped:
        result["not_measured"].append({"section": "all", "case": "after %s" % (
            lines[-1]["section"] + " " + lines[-1]["case"] if lines else "the start"),
            "stack": "-", "why": "the guest was stopped (QEMU timeout) before it finished"})
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


LABELS = {"tcp": "TCP one flow", "udp": "UDP rx rate", "rtt": "ping RTT median",
          "rr": "flood ping", "scale": "TCP tunnel with", "install": "install",
          "flush": "flush", "memory": "memory, installing",
          # the IKE daemons: ikehelper in the kesp column, charon in XFRM's
          "handshake": "IKE vs charon:", "hsrate": "IKE vs charon:"}


def table(results):
    head = "%-52s %-13s" % ("line", "unit")
    for r in results:
        head += " | %-30s" % ("%s (%s)" % (r["kernel"], r["profile"]))
    sub = "%-52s %-13s" % ("", "")
    for _ in results:
        sub += " | %9s %9s %8s  " % ("kesp", "XFRM", "ratio")
    rows = [head, sub, "-" * len(sub)]
    keys = []
    for r in results:
        for l in r["lines"]:
            if (l["section"], l["case"]) not in keys:
                keys.append((l["section"], l["case"]))
    for section, case in keys:
        unit = UNITS[section][0]
        row = "%-52s %-13s" % (LABELS[section] + " " + case.replace("/", " "), unit)
        for r in results:
            l = next((l for l in r["lines"] if (l["section"], l["case"]) == (section, case)), None)
            if l is None:
                row += " | %9s %9s %8s  " % ("", "", "")
                continue
            mark = ""
            if l["ratio"] is not None:
                worse = l["ratio"] < 0.97 if l["better"] == "higher" else l["ratio"] > 1.03
                mark = " <" if worse else ""
            row += " | %9s %9s %8s%-2s" % (fmt(l["kesp"]["median"]), fmt(l["xfrm"]["median"]),
                                           fmt(l["ratio"]), mark)
        rows.append(row)
    for r in results:
        for n in r["not_measured"]:
            rows.append("not measured on %s: %s %s%s: %s" % (
                r["kernel"], n["section"], n["case"],
                "" if n.get("stack", "-") == "-" else " (%s)" % n["stack"], n["why"]))
    rows.append("ratio = kesp/XFRM of the medians; \"<\" marks a line where kesp is worse by more "
                "than 3%. Lower is better for us in s, ms and bytes/SA; the IKE lines set ikehelper against charon.")
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


def check(path):
    """TAP for the smoke run: the guest produced a result, every line has
    a median for both stacks, and both carried every run's traffic."""
    n = 0
    failed = False

    def tap(ok, what, why=""):
        nonlocal n, failed
        n += 1
        print("%s %d - %s" % ("ok" if ok else "not ok", n, what))
        if not ok:
            failed = True
            if why:
                print("# " + why)

    try:
        with open(path) as f:
            r = json.load(f)
    except (OSError, ValueError) as e:
        tap(False, "bench smoke: the guest wrote its result", str(e))
        print("1..%d" % n)
        return 1
    k = r.get("kernel")
    want = ["tcp", "udp", "rtt", "rr", "scale", "install", "flush", "memory"]
    have = {l["section"] for l in r["lines"]}
    tap(set(want) <= have, "[%s] bench smoke: every section has figures" % k,
        "missing: %s" % " ".join(s for s in want if s not in have))
    empty = ["%s %s %s" % (l["section"], l["case"], s) for l in r["lines"]
             for s in ("kesp", "xfrm") if not l[s]["median"] or l[s]["failed"]]
    tap(not empty, "[%s] bench smoke: every line has a figure for kesp and for XFRM" % k,
        "missing or failed: " + "; ".join(empty))
    idle = ["%s %s %s" % (l["section"], l["case"], s) for l in r["lines"] for s in ("kesp", "xfrm")
            if "sa_packets" in l[s] and not l[s]["sa_packets"]]
    tap(not idle and any("sa_packets" in l["kesp"] for l in r["lines"]),
        "[%s] bench smoke: kesp's and XFRM's SAs each carried the traffic of their runs" % k,
        "no packets on the outbound SA: " + "; ".join(idle))
    print("1..%d" % n)
    return 1 if failed else 0


def main():
    if sys.argv[1:2] == ["guest"]:
        guest(sys.argv[2], stopped=sys.argv[3:4] == ["--stopped"])
    elif sys.argv[1:2] == ["combine"]:
        combine(sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5:])
    elif sys.argv[1:2] == ["check"]:
        sys.exit(check(sys.argv[2]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
