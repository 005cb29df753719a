#!/bin/sh
# SA lifetimes against XFRM: soft and hard limits in packets, bytes and
# seconds, and the end of the sequence number space. Each raises its
# EXPIRE events, seen by `kespctl monitor --json`; a hard limit removes the
# SA and traffic stops there.
. "$KESP_SRC/selftests/tests/lib.sh"

two_sites
site_b_policies
KEY=$(hexkey 20)
ALG="aead rfc4106(gcm(aes)) $KEY 128"

# Bounded, so a monitor that never ends cannot hang the run.
timeout 300 $KESPCTL -n a --json monitor >/tmp/events.json 2>/tmp/monitor.err &
MONITOR=$!
timeout 300 $KESPCTL -n a monitor >/tmp/events.txt 2>&1 &
MONITOR_HUMAN=$!
seen=0
sleep 1

# lifetime_pair OUT-EXTRA -- IN-EXTRA: a fresh pair (SPIs 0x100 out,
# 0x200 in) with extra words for each of kesp's SAs; XFRM's as usual.
lifetime_pair() {
	out_extra="" in_extra=""
	while [ "$1" != "--" ]; do out_extra="$out_extra $1"; shift; done
	shift
	in_extra="$*"
	$KESPCTL -n a sa flush
	sleep 0.5	# events of the SAs flushed here are not this case's
	seen=$(wc -l </tmp/events.json)
	ip -n b xfrm state flush
	# shellcheck disable=SC2086
	$KESPCTL -n a sa add dev kesp0 dir out src 192.168.100.1 dst 192.168.100.2 \
		spi 0x100 mode tunnel reqid 1 $ALG sel src 10.1.0.0/24 dst 10.2.0.0/24 $out_extra >/dev/null &&
	$KESPCTL -n a sa add dev kesp0 dir in src 192.168.100.2 dst 192.168.100.1 \
		spi 0x200 mode tunnel reqid 1 $ALG sel src 10.2.0.0/24 dst 10.1.0.0/24 $in_extra >/dev/null &&
	xfrm_pair $ALG
}

# events SPI: "kind/reason" of each EXPIRE event for SPI since the last
# lifetime_pair. One awk, not python3 (a second each under TCG, and this
# is polled): the monitor writes one event a line, the fields in a fixed
# order, and finish() parses its output with a real JSON parser.
events() {
	awk -v spi="$(($1))" -v seen="$seen" '
	function field(name,   v) {
		if (!match($0, "\"" name "\":(\"[^\"]*\"|[0-9]+)")) return ""
		v = substr($0, RSTART + length(name) + 3, RLENGTH - length(name) - 3)
		sub(/^"/, "", v); sub(/"$/, "", v)
		return v
	}
	NR > seen && /}$/ && field("spi") == spi { printf "%s/%s ", field("kind"), field("reason") }' /tmp/events.json
}

uptime_s() { clock_now; echo "$NOW_S"; }
# await_events SPI WANT DEADLINE: polls until events(SPI) is WANT or the
# guest's uptime reaches DEADLINE; prints what it last saw.
await_events() {
	while got=$(events "$1") && [ "$got" != "$2" ] && clock_now && [ "$NOW_S" -lt "$3" ]; do
		sleep 0.2
	done
	echo "$got"
}
# soon_events SPI WANT: events(SPI) once they are WANT, or after 10 s.
soon_events() { await_events "$1" "$2" $(($(uptime_s) + 10)); }
# not_before T: "in time" if the guest's uptime is at least T.
not_before() { [ "$(uptime_s)" -ge "$1" ] && echo "in time" || echo "too early"; }

# sa_dirs: the directions of kesp's SAs that still exist.
sa_dirs() {
	$KESPCTL -n a --json sa list | json_sorted dir
}

replies() {	# COUNT: echo replies out of COUNT pings at 0.2 s
	ip netns exec a ping -c "$1" -i 0.2 -W 1 -I 10.1.0.1 10.2.0.1 2>/dev/null |
		sed -n 's/.* \([0-9]*\) received.*/\1/p'
}

# Packets, outbound: soft at 3, hard at 6; the 7th ping finds no SA.
lifetime_pair limit packet-soft 3 packet-hard 6 --
echo "# packet limits"
same "packet limits: 6 of 10 pings pass an outbound SA with a hard limit of 6" "$(replies 10)" 6
same "packet limits: a soft then a hard event, once each" \
	"$(soon_events 0x100 "soft/packets hard/packets ")" "soft/packets hard/packets "
same "packet limits: the outbound SA is gone, the inbound one stays" "$(sa_dirs)" "in"

# Bytes, inbound: replies are 84-byte inner packets. Soft at 300 (the
# 4th), hard at 600: the 8th would pass it, so it is dropped.
lifetime_pair -- limit byte-soft 300 byte-hard 600
same "byte limits: 7 of 10 replies fit an inbound SA with a hard limit of 600 bytes" "$(replies 10)" 7
same "byte limits: a soft then a hard event" \
	"$(soon_events 0x200 "soft/bytes hard/bytes ")" "soft/bytes hard/bytes "
same "byte limits: the inbound SA is gone" "$(sa_dirs)" "out"

# Seconds: soft after 3, hard after 12, against the guest's own clock.
# The SA is added somewhere between T_BEFORE and T_AFTER (TCG makes every
# command slow, and under load that span is seconds), so each event is
# awaited up to a deadline after T_AFTER, and must not come before the
# limit counted from T_BEFORE.
t_before=$(uptime_s)
lifetime_pair limit time-soft 3 time-hard 12 --
t_after=$(uptime_s)
# Meanwhile the events about an SA with 64 IPv6 selectors (sa_events.py:
# SPIs of its own, its lifetimes within these 12 s); reported where they
# used to run, after the far time limits.
ip netns exec a python3 "$KESP_SRC/selftests/tests/sa_events.py" >/tmp/sa_events.out 2>&1 &
sa_events_pid=$!
same "time limits: the tunnel works at first" "$(replies 2)" 2
got=$(await_events 0x100 "soft/seconds " $((t_after + 10)))
same "time limits: a soft event after 3 s, no hard one yet" \
	"$got, $(not_before $((t_before + 3)))" "soft/seconds , in time"
got=$(await_events 0x100 "soft/seconds hard/seconds " $((t_after + 25)))
same "time limits: then a hard event after 12 s" \
	"$got, $(not_before $((t_before + 12)))" "soft/seconds hard/seconds , in time"
# Its SAs are gone when it ends.
wait $sa_events_pid
sa_events_status=$?
same "time limits: the outbound SA is gone and traffic stops" "$(sa_dirs) $(replies 2)" "in 0"

# The end of the 32-bit sequence space: the last two numbers are sent,
# then the SA expires hard (sequence numbers never wrap, RFC 4303 3.3.3).
lifetime_pair seq 0xfffffffd --
same "sequence numbers: 2 of 4 pings use the last two numbers" "$(replies 4)" 2
same "sequence numbers: one hard event" \
	"$(soon_events 0x100 "hard/sequence numbers spent ")" "hard/sequence numbers spent "
same "sequence numbers: the SA is gone" "$(sa_dirs)" "in"

# With ESN the space is 64 bits, and its end is handled the same way.
# XFRM's inbound state expects the high half 0xffffffff.
$KESPCTL -n a sa flush
sleep 0.5
seen=$(wc -l </tmp/events.json)
ip -n b xfrm state flush
# shellcheck disable=SC2086
if out=$($KESPCTL -n a sa add dev kesp0 dir out src 192.168.100.1 dst 192.168.100.2 \
		spi 0x100 mode tunnel reqid 1 flag esn seq 0xfffffffffffffffd $ALG \
		sel src 10.1.0.0/24 dst 10.2.0.0/24 2>&1) &&
	out=$($KESPCTL -n a sa add dev kesp0 dir in src 192.168.100.2 dst 192.168.100.1 \
		spi 0x200 mode tunnel reqid 1 flag esn $ALG sel src 10.2.0.0/24 dst 10.1.0.0/24 2>&1) &&
	out=$(ip -n b xfrm state add src 192.168.100.1 dst 192.168.100.2 proto esp spi 0x100 reqid 1 \
		mode tunnel flag esn replay-window 32 replay-seq-hi 0xffffffff replay-seq 0xfffffffd \
		$ALG 2>&1) &&
	out=$(ip -n b xfrm state add src 192.168.100.2 dst 192.168.100.1 proto esp spi 0x200 reqid 1 \
		mode tunnel flag esn replay-window 32 $ALG 2>&1); then
	same "64-bit sequence numbers: 2 of 4 pings use the last two numbers below 2^64" "$(replies 4)" 2
	same "64-bit sequence numbers: one hard event" \
		"$(soon_events 0x100 "hard/sequence numbers spent ")" "hard/sequence numbers spent "
	same "64-bit sequence numbers: the SA is gone" "$(sa_dirs)" "in"
else
	fail "64-bit sequence numbers: configure" "$out"
fi

# A lower limit given later takes effect at once.
lifetime_pair --
same "update: the pair works without limits" "$(replies 3)" 3
id=$($KESPCTL -n a --json sa get dev kesp0 dir in spi 0x200 | json_first id)
check "update: an inbound packet limit below what was used" \
	$KESPCTL -n a sa update dev kesp0 id "$id" limit packet-hard 2
same "update: the SA expires hard at once" "$(soon_events 0x200 "hard/packets ")" "hard/packets "
same "update: it is gone" "$(sa_dirs)" "out"

# 2^64 - 1 is XFRM's "infinite" (ip xfrm and kespctl take it): no limit.
# No time limit, however far away, may make the SA's lifetime work run
# more than once a day: a deadline too far for jiffies once made it run
# every tick.
U64_MAX=18446744073709551615
lifetime_pair limit time-hard $U64_MAX byte-hard $U64_MAX packet-soft $U64_MAX --
same "2^64 - 1 means no limit: the SA shows none" \
	"$($KESPCTL -n a --json sa get dev kesp0 dir out spi 0x100 dst 192.168.100.2 | json_first limits)" "{}"
same "2^64 - 1 means no limit: the pair works" "$(replies 3)" 3
id=$($KESPCTL -n a --json sa get dev kesp0 dir in spi 0x200 | json_first id)
check "far time limits: 2^64 - 2 seconds soft, 2^64 - 2 hard on the inbound SA" \
	$KESPCTL -n a sa update dev kesp0 id "$id" limit time-soft 18446744073709551614 time-hard 18446744073709551614
check "far time limits: 2^62 seconds hard on the outbound SA" $KESPCTL -n a sa update dev kesp0 \
	id "$($KESPCTL -n a --json sa get dev kesp0 dir out spi 0x100 dst 192.168.100.2 | json_first id)" \
	limit time-hard 4611686018427387904
sleep 1	# the updates' own look at the limits
same "far time limits: the lifetime work does not run again within 3 s" "$(calls sa_lifetime_work sleep 3)" 0
same "far time limits: the pair still works" "$(replies 3)" 3
check "the tracer sees the lifetime work run when a limit changes" test "$(calls sa_lifetime_work \
	sh -c "$KESPCTL -n a sa update dev kesp0 id $id limit time-soft 100; sleep 1")" -ge 1

# Events about an SA with 64 IPv6 selectors (more than a page each), run
# during the time limits above.
cat /tmp/sa_events.out
[ "$sa_events_status" = 0 ] || FAILED=1

kill $MONITOR $MONITOR_HUMAN
wait $MONITOR $MONITOR_HUMAN 2>/dev/null
same "the device counts every soft and hard expiry the monitor saw" \
	"$($KESPCTL -n a --json dev show kesp0 >/tmp/dev.json
		echo "$(json_first expires_soft </tmp/dev.json) $(json_first expires_hard </tmp/dev.json)")" \
	"$(grep -c '"kind":"soft"' /tmp/events.json) $(grep -c '"kind":"hard"' /tmp/events.json)"
same "the monitor reported no error" "$(cat /tmp/monitor.err)" ""
check "the human monitor names the event, its kind and reason, and the SA" \
	grep -q '^expire hard (packets): sa [0-9]* dev kesp0 dir in spi 0x00000200' /tmp/events.txt
refuse "monitoring needs CAP_NET_ADMIN" 1 "cannot join group" \
	timeout 10 ip netns exec a setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	--bounding-set=-all $KESPCTL monitor
refuse "monitor takes no arguments" 2 'unexpected argument "x"' $KESPCTL -n a monitor x
rm -f /tmp/events.json /tmp/events.txt /tmp/monitor.err /tmp/dev.json /tmp/sa_events.out
finish
