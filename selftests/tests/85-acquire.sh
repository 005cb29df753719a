#!/bin/sh
# Trap selectors and ACQUIRE events: packets routed into the device that
# best match a trap are dropped and ask for an SA, once a second per trap
# however many packets arrive; an SA with the same selector takes over.
. "$KESP_SRC/selftests/tests/lib.sh"

two_sites
site_b_policies
timeout 300 $KESPCTL -n a --json monitor >/tmp/acq.json 2>/tmp/acq.err &
MONITOR=$!
timeout 300 $KESPCTL -n a monitor >/tmp/acq.txt 2>&1 &
MONITOR_HUMAN=$!
sleep 1

# ctl_json EXPR ARGS...: EXPR over kespctl --json ARGS's output (as d), or
# how kespctl failed: an output check that sees the exit status too.
ctl_json() {
	cj_expr=$1
	shift
	if cj_out=$($KESPCTL --json "$@" 2>&1); then
		json_get "$cj_out" "$cj_expr"
	else
		echo "kespctl $* failed with exit status $?: $cj_out"
	fi
}

acquires() {	# the number of ACQUIRE events so far
	python3 -c '
import json
print(sum(1 for l in open("/tmp/acq.json") if json.loads(l)["event"] == "acquire"))'
}

if out=$($KESPCTL -n a --json trap add dev kesp0 sel src 10.1.0.0/24 dst 10.2.0.0/24 reqid 5 2>&1) &&
	[ -n "$out" ]; then
	pass "a trap for 10.1.0.0/24 -> 10.2.0.0/24 is added"
else
	fail "a trap for 10.1.0.0/24 -> 10.2.0.0/24 is added" "exit status $?, output: $out"
fi
trap_id=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')

# 31 pings over 3 s: three or four events (one per second), not 31.
start=$(date +%s%N)
ip netns exec a ping -c 31 -i 0.1 -W 1 -I 10.1.0.1 10.2.0.1 >/dev/null 2>&1
ms=$((($(date +%s%N) - start) / 1000000))
sleep 0.5
n=$(acquires)
echo "$n ACQUIRE events in $ms ms of pinging"
# An event at the start of each second the flood lasted, no more.
same "a flood into the trap raises one event per second, not one per packet" \
	"$([ "$n" -ge 3 ] && [ "$n" -le $((ms / 1000 + 1)) ] && echo ok)" ok
same "the event names the trap, its reqid and the packet" \
	"$(python3 -c '
import json
e = [json.loads(l) for l in open("/tmp/acq.json")][0]
p = e["packet"]
print(e["dev"], e["trap"], e["reqid"], p["src"], p["dst"], p["proto"], p["sport"], p["dport"])')" \
	"kesp0 $trap_id 5 10.1.0.1/32 10.2.0.1/32 1 [8, 8] [0, 0]"
same "the trap counted every packet and every event" \
	"$(ctl_json '"%d %d" % (d[0]["hits"], d[0]["acquires"])' -n a trap list dev kesp0)" \
	"31 $n"
same "the device counts the acquires too" \
	"$(ctl_json 'd["counters"]["acquires"]' -n a dev show kesp0)" "$n"
# trap get, human and --json, each with its exit status.
if out=$($KESPCTL -n a trap get dev kesp0 id "$trap_id" 2>&1); then
	same "trap get shows the trap by id: reqid, default priority (after SAs), counts, selector" \
		"$(printf '%s\n' "$out" | head -1) |$(printf '%s\n' "$out" | grep -o ' src 10.1.0.0/24 dst 10.2.0.0/24')" \
		"trap $trap_id dev kesp0 reqid 5 priority 4294967295 hits 31 acquires $n | src 10.1.0.0/24 dst 10.2.0.0/24"
else
	fail "trap get shows the trap by id: reqid, default priority (after SAs), counts, selector" "exit status $?, output: $out"
fi
if out=$($KESPCTL -n a --json trap get dev kesp0 id "$trap_id" 2>&1); then
	same "trap get --json: one trap, the one asked for" \
		"$(json_get "$out" '" ".join(map(str, (len(d), d[0]["id"], d[0]["reqid"], d[0]["hits"])))')" "1 $trap_id 5 31"
else
	fail "trap get --json: one trap, the one asked for" "exit status $?, output: $out"
fi
refuse "trap get of an id that does not exist is refused with the kernel's reason" 1 \
	"no trap with this id on the device" $KESPCTL -n a trap get dev kesp0 id 999
refuse "trap get on a device that is not kesp" 1 "not a kesp device" \
	$KESPCTL -n a trap get dev veth-a id "$trap_id"
refuse "trap get needs an id" 2 "get needs id N" $KESPCTL -n a trap get dev kesp0
check "the human monitor shows the acquire" grep -q "^acquire trap $trap_id dev kesp0 reqid 5" /tmp/acq.txt

# Two traps flooded at once, IPv4 ICMP and IPv6 UDP to a port range: the
# limit is each trap's own, and the IPv6 event names the ports.
acquires_of() {	# REQID [SKIP]: events for REQID after the first SKIP lines
	python3 -c '
import json, sys
ev = [json.loads(l) for l in open("/tmp/acq.json")][int(sys.argv[2]):]
print(sum(1 for e in ev if e["event"] == "acquire" and e["reqid"] == int(sys.argv[1])))' "$@"
}
seen=$(grep -c . /tmp/acq.json)
out=$($KESPCTL -n a --json trap add dev kesp0 \
	sel src fd00:1::/64 dst fd00:2::/64 proto udp dport 5000-5010 reqid 7 2>&1) ||
	fail "the IPv6 trap is added" "exit status $?, output: $out"
trap6_id=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
start=$(date +%s%N)
ip netns exec a python3 -c "
import socket, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(('fd00:1::1', 4321))
for _ in range(31):
    s.sendto(b'q', ('fd00:2::1', 5005))
    time.sleep(0.1)
" &
ip netns exec a ping -c 31 -i 0.1 -W 1 -I 10.1.0.1 10.2.0.1 >/dev/null 2>&1
wait $!
ms=$((($(date +%s%N) - start) / 1000000))
sleep 0.5
n4=$(acquires_of 5 "$seen") n6=$(acquires_of 7 "$seen")
echo "$n4 IPv4 and $n6 IPv6 ACQUIRE events in $ms ms of two floods"
same "two traps flooded at once each raise one event per second" \
	"$([ "$n4" -ge 3 ] && [ "$n4" -le $((ms / 1000 + 1)) ] &&
		[ "$n6" -ge 3 ] && [ "$n6" -le $((ms / 1000 + 1)) ] && echo ok)" ok
same "the IPv6 event names its trap and the packet's ports" \
	"$(python3 -c '
import json
e = [json.loads(l) for l in open("/tmp/acq.json") if json.loads(l).get("reqid") == 7][0]
p = e["packet"]
print(e["trap"], p["src"], p["dst"], p["proto"], p["sport"], p["dport"])')" \
	"$trap6_id fd00:1::1/128 fd00:2::1/128 17 [4321, 4321] [5005, 5005]"
check "the IPv6 trap is deleted by id" $KESPCTL -n a trap del dev kesp0 id "$trap6_id"
n=$(acquires)

# The SA that the key manager would now install wins over the trap.
kesp_xfrm_pair aead 'rfc4106(gcm(aes))' "$(hexkey 20)" 128
check "with an SA of the same selector, traffic flows" \
	ip netns exec a ping -c 3 -i 0.05 -w 10 -I 10.1.0.1 10.2.0.1
same "and the trap is not hit any more" "$(acquires)" "$n"

# A trap more specific than the SA wins over it.
check "a /32 trap inside the SA's selector" $KESPCTL -n a trap add dev kesp0 \
	sel src 10.1.0.0/24 dst 10.2.0.1/32 proto icmp reqid 6
ip netns exec a ping -c 2 -i 0.05 -W 1 -I 10.1.0.1 10.2.0.1 >/dev/null 2>&1
sleep 0.5
same "the more specific trap catches the packets and asks for its own SA" \
	"$(python3 -c '
import json
print(sorted(set(json.loads(l)["reqid"] for l in open("/tmp/acq.json"))))')" "[5, 6, 7]"

check "trap flush" $KESPCTL -n a trap flush dev kesp0
same "no trap is left" "$($KESPCTL -n a --json trap list 2>&1; echo "exit $?")" "[]
exit 0"
check "with the traps gone the SA carries the traffic again" \
	ip netns exec a ping -c 2 -i 0.05 -w 10 -I 10.1.0.1 10.2.0.1

refuse "a trap needs a selector" 2 "add needs sel SEL" $KESPCTL -n a trap add dev kesp0
refuse "one selector per trap" 2 "one selector per trap" $KESPCTL -n a trap add dev kesp0 \
	sel src 10.1.0.0/24 dst 10.2.0.0/24 sel src 10.1.0.0/24 dst 10.3.0.0/24
refuse "deleting a trap that does not exist" 1 "no trap with this id on the device" \
	$KESPCTL -n a trap del dev kesp0 id 999
refuse "a trap on a device that is not kesp" 1 "not a kesp device" \
	$KESPCTL -n a trap add dev veth-a sel src 10.1.0.0/24 dst 10.2.0.0/24
refuse "an unknown trap verb" 2 'unknown verb "frob"' $KESPCTL -n a trap frob
# What kespctl never sends, the kernel refuses with its reason (errno and
# the whole extack message), in one process.
ip netns exec a python3 - <<'EOF_PY' || FAILED=1
import errno, os, socket, sys
sys.path.insert(0, os.environ['KESP_SRC'] + '/selftests/lib')
from kespnl import K, Kesp, Error, u32, nest, u8, u16, addr
from tap import report, finish
nl = Kesp()
dev = u32(K['KESP_TRAP_A_IFINDEX'], socket.if_nametoindex('kesp0'))
sel = nest(K['KESP_TRAP_A_SELECTOR'], u16(K['KESP_SEL_A_FAMILY'], socket.AF_INET))
for what, want, cmd, attrs, dump in [
        ("the kernel wants a selector too", "a trap needs a selector", "TRAP_ADD", (dev,), False),
        ("the kernel chooses a trap's id", "the kernel chooses a trap's id", "TRAP_ADD",
         (dev, sel, u32(K['KESP_TRAP_A_ID'], 5)), False),
        ("TRAP_GET without an id (not a dump)", "which trap: give its id, or dump them all",
         "TRAP_GET", (dev,), False)]:
    try:
        nl.call('KESP_CMD_' + cmd, *attrs, dump=dump)
        report(False, what, "the kernel accepted it")
    except Error as e:
        report(e.errno == errno.EINVAL and e.message == want, what,
               "got %s %r" % (errno.errorcode.get(e.errno), e.message))
finish()
EOF_PY

check "both monitors ran to the end" kill $MONITOR $MONITOR_HUMAN
wait $MONITOR $MONITOR_HUMAN 2>/dev/null
same "the monitor reported no error" "$(cat /tmp/acq.err)" ""
# Traps left on a device that goes away go with it.
check "a trap for the device's deletion" $KESPCTL -n a trap add dev kesp0 sel src 10.1.0.0/24 dst 10.2.0.0/24
check "deleting a device with a trap" ip -n a link del kesp0
rm -f /tmp/acq.json /tmp/acq.txt /tmp/acq.err
finish
