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

# ctl_first KEY... -- ARGS...: json_first KEY... over kespctl --json
# ARGS's output, or how kespctl failed: an output check that sees the exit
# status too.
ctl_first() {
	cf_keys=""
	while [ "$1" != "--" ]; do cf_keys="$cf_keys $1"; shift; done
	shift
	if cf_out=$($KESPCTL --json "$@" 2>&1); then
		# shellcheck disable=SC2086
		printf '%s\n' "$cf_out" | json_first $cf_keys
	else
		echo "kespctl $* failed with exit status $?: $cf_out"
	fi
}

# acq MODE [REQID [SKIP]]: over the monitor's events in /tmp/acq.json
# after the first SKIP lines, those of REQID if one is given (not empty):
#   count         how many are ACQUIRE events
#   first KEYS    the first one's values of the KEYS (in "KEYS", spaces
#                 between), port ranges written as Python writes a list
#   reqids        the reqids seen, sorted, once each, as a Python list
# One awk, not python3 (a second each under TCG): the monitor writes one
# event a line, and finish() parses all of its output with a real JSON
# parser.
acq() {
	awk -v mode="$1" -v want="${2:-}" -v skip="${3:-0}" -v keys="${4:-}" '
	function field(name,   v) {
		if (!match($0, "\"" name "\":(\"[^\"]*\"|[0-9]+|\\[[0-9,]*\\])")) return ""
		v = substr($0, RSTART + length(name) + 3, RLENGTH - length(name) - 3)
		if (v ~ /^\[/) gsub(/,/, ", ", v)
		sub(/^"/, "", v); sub(/"$/, "", v)
		return v
	}
	NR <= skip || !/}$/ { next }
	want != "" && field("reqid") != want { next }
	mode == "count" && field("event") == "acquire" { n++ }
	mode == "first" && !done {
		nk = split(keys, k, " ")
		for (i = 1; i <= nk; i++) printf "%s%s", (i > 1 ? " " : ""), field(k[i])
		print ""
		done = 1
	}
	mode == "reqids" { r = field("reqid"); if (!(r in seen)) { seen[r] = 1; ids[m++] = r + 0 } }
	END {
		if (mode == "count") print n + 0
		if (mode == "reqids") {
			for (i = 1; i < m; i++)
				for (j = i; j > 0 && ids[j - 1] > ids[j]; j--) { t = ids[j]; ids[j] = ids[j - 1]; ids[j - 1] = t }
			printf "["
			for (i = 0; i < m; i++) printf "%s%d", (i ? ", " : ""), ids[i]
			print "]"
		}
	}' /tmp/acq.json
}
acquires() { acq count; }	# the number of ACQUIRE events so far

if out=$($KESPCTL -n a --json trap add dev kesp0 sel src 10.1.0.0/24 dst 10.2.0.0/24 reqid 5 2>&1) &&
	[ -n "$out" ]; then
	pass "a trap for 10.1.0.0/24 -> 10.2.0.0/24 is added"
else
	fail "a trap for 10.1.0.0/24 -> 10.2.0.0/24 is added" "exit status $?, output: $out"
fi
trap_id=$(printf '%s\n' "$out" | json_first id)

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
	"$(acq first "" 0 "dev trap reqid src dst proto sport dport")" \
	"kesp0 $trap_id 5 10.1.0.1/32 10.2.0.1/32 1 [8, 8] [0, 0]"
same "the trap counted every packet and every event" \
	"$(ctl_first hits acquires -- -n a trap list dev kesp0)" \
	"31 $n"
same "the device counts the acquires too" \
	"$(ctl_first acquires -- -n a dev show kesp0)" "$n"
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
		"$(printf '%s\n' "$out" | awk '{ n += gsub(/\{"id":/, "&") } END { print n + 0 }') $(printf '%s\n' "$out" | json_first id reqid hits)" \
		"1 $trap_id 5 31"
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
acquires_of() { acq count "$1" "${2:-0}"; }	# REQID [SKIP]: events for REQID after the first SKIP lines
seen=$(grep -c . /tmp/acq.json)
out=$($KESPCTL -n a --json trap add dev kesp0 \
	sel src fd00:1::/64 dst fd00:2::/64 proto udp dport 5000-5010 reqid 7 2>&1) ||
	fail "the IPv6 trap is added" "exit status $?, output: $out"
trap6_id=$(printf '%s\n' "$out" | json_first id)
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
	"$(acq first 7 0 "trap src dst proto sport dport")" \
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
	"$(acq reqids)" "[5, 6, 7]"

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
