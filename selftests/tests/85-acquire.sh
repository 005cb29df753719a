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

acquires() {	# the number of ACQUIRE events so far
	python3 -c '
import json
print(sum(1 for l in open("/tmp/acq.json") if json.loads(l)["event"] == "acquire"))'
}

out=$($KESPCTL -n a --json trap add dev kesp0 sel src 10.1.0.0/24 dst 10.2.0.0/24 reqid 5)
check "a trap for 10.1.0.0/24 -> 10.2.0.0/24 is added" test -n "$out"
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
	"$($KESPCTL -n a --json trap list dev kesp0 | python3 -c 'import json,sys; t=json.load(sys.stdin)[0]; print(t["hits"], t["acquires"])')" \
	"31 $n"
same "the device counts the acquires too" \
	"$($KESPCTL -n a --json dev show kesp0 | python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["acquires"])')" "$n"
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
	sel src fd00:1::/64 dst fd00:2::/64 proto udp dport 5000-5010 reqid 7)
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
	ip netns exec a ping -c 3 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1
same "and the trap is not hit any more" "$(acquires)" "$n"

# A trap more specific than the SA wins over it.
check "a /32 trap inside the SA's selector" $KESPCTL -n a trap add dev kesp0 \
	sel src 10.1.0.0/24 dst 10.2.0.1/32 proto icmp reqid 6
ip netns exec a ping -c 2 -i 0.2 -W 1 -I 10.1.0.1 10.2.0.1 >/dev/null 2>&1
sleep 0.5
same "the more specific trap catches the packets and asks for its own SA" \
	"$(python3 -c '
import json
print(sorted(set(json.loads(l)["reqid"] for l in open("/tmp/acq.json"))))')" "[5, 6, 7]"

check "trap flush" $KESPCTL -n a trap flush dev kesp0
same "no trap is left" "$($KESPCTL -n a --json trap list)" "[]"
check "with the traps gone the SA carries the traffic again" \
	ip netns exec a ping -c 2 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1

refuse "a trap needs a selector" 2 "add needs sel SEL" $KESPCTL -n a trap add dev kesp0
refuse "one selector per trap" 2 "one selector per trap" $KESPCTL -n a trap add dev kesp0 \
	sel src 10.1.0.0/24 dst 10.2.0.0/24 sel src 10.1.0.0/24 dst 10.3.0.0/24
refuse "deleting a trap that does not exist" 1 "no trap with this id on the device" \
	$KESPCTL -n a trap del dev kesp0 id 999
refuse "a trap on a device that is not kesp" 1 "not a kesp device" \
	$KESPCTL -n a trap add dev veth-a sel src 10.1.0.0/24 dst 10.2.0.0/24
refuse "an unknown trap verb" 2 'unknown verb "frob"' $KESPCTL -n a trap frob
refuse "the kernel wants a selector too" 1 "a trap needs a selector" \
	ip netns exec a python3 -c "
import sys, os, socket; sys.path.insert(0, os.environ['KESP_SRC'] + '/selftests/lib')
from kespnl import *
try:
    Kesp().call('KESP_CMD_TRAP_ADD', u32(K['KESP_TRAP_A_IFINDEX'], socket.if_nametoindex('kesp0')))
except Error as e:
    print(e.message); sys.exit(1)
"

kill $MONITOR $MONITOR_HUMAN
wait $MONITOR $MONITOR_HUMAN 2>/dev/null
same "the monitor reported no error" "$(cat /tmp/acq.err)" ""
# Traps left on a device that goes away go with it.
$KESPCTL -n a trap add dev kesp0 sel src 10.1.0.0/24 dst 10.2.0.0/24 >/dev/null
check "deleting a device with a trap" ip -n a link del kesp0
rm -f /tmp/acq.json /tmp/acq.txt /tmp/acq.err
finish
