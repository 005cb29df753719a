#!/bin/sh
# Parallel crypto (kespctl "flag parallel", KESP_SA_F_PARALLEL): a TCP
# flow's packets are encrypted and decrypted by workers on the guest's
# CPUs and still reach XFRM, and the stack, whole and in order; single
# packets, small or large, stay on their CPU unless the parallel_burst
# module parameter is 1; a per-CPU SA refuses the flag; SAs
# deleted while packets are with the workers let go of everything (the
# harness's splat and leak checks at unload).
. "$KESP_SRC/selftests/tests/lib.sh"

[ "$(nproc)" -ge 2 ] || fail "the guest has two CPUs for the workers" "nproc: $(nproc)"

two_sites
site_b_policies
GCM="aead rfc4106(gcm(aes)) $(hexkey 20) 128"
out_spi=0x100 in_spi=0x200
# shellcheck disable=SC2086
kesp_pair $GCM flag parallel || fail "kesp's SA pair with flag parallel"
# shellcheck disable=SC2086
xfrm_pair $GCM replay-window 64 || fail "XFRM's SA pair"

flags=$($KESPCTL -n a sa list | grep -c 'flag parallel')
same "kespctl sa list shows flag parallel on both SAs" "$flags" 2

# parallel DIR: the packets of kesp's SA in DIR whose crypto the workers did.
parallel() {
	if [ "$1" = out ]; then
		set -- out spi $out_spi dst 192.168.100.2
	else
		set -- in spi $in_spi
	fi
	$KESPCTL -n a --json sa get dev kesp0 dir "$@" | json_first parallel
}

check "20 pings through the tunnel" \
	ip netns exec a ping -c 20 -i 0.05 -W 2 -I 10.1.0.1 10.2.0.1
same "single small packets stay on their CPU (outbound)" "$(parallel out)" 0
same "single small packets stay on their CPU (inbound)" "$(parallel in)" 0

check "10 pings of 1200 bytes, one at a time" \
	ip netns exec a ping -c 10 -i 0.05 -W 2 -s 1200 -I 10.1.0.1 10.2.0.1
same "a single large packet stays on its CPU too" "$(parallel out) $(parallel in)" "0 0"
# With parallel_burst 1 every large packet goes to the workers.
BURST=/sys/module/kesp/parameters/parallel_burst
echo 1 >$BURST
check "10 pings of 1200 bytes with parallel_burst 1" \
	ip netns exec a ping -c 10 -i 0.05 -W 2 -s 1200 -I 10.1.0.1 10.2.0.1
same "parallel_burst 1: the workers did each ping and each reply" "$(parallel out) $(parallel in)" \
	"10 10"
# A slow kernel (the debug tier) may never see four large packets in a
# jiffy: there the bulk below goes to the workers packet by packet.
[ "$TIME_SCALE" != 1 ] || echo 4 >$BURST

# bulk WHAT DIR WORK [-R]: a 3 s iperf3 TCP transfer (a to b, or with -R
# b to a); the workers must have done WORK for kesp's SA in DIR.
bulk() {
	bulk_was=$(parallel "$2")
	iperf_server b 10.2.0.1
	check "iperf3 TCP $1" ip netns exec a iperf3 -c 10.2.0.1 -B 10.1.0.1 -t 3 ${4:-}
	wait $iperf_server_pid
	bulk_par=$(($(parallel "$2") - bulk_was))
	if [ "$bulk_par" -gt 100 ]; then
		pass "the workers $3 the bulk ($bulk_par packets)"
	else
		fail "the workers $3 the bulk" "parallel: $bulk_par"
	fi
}
bulk "a to b" out encrypted
bulk "b to a" in decrypted -R
echo 4 >$BURST

# Every packet each side sent was received once by the other: none stuck
# in, lost from or repeated by an SA's order. In order: the 64-packet
# windows on both sides dropped nothing.
now=$(counters --settle)
# shellcheck disable=SC2086
if counters_agree $now; then
	pass "each side received all the other sent ($now)"
else
	fail "each side received all the other sent" "$now"
fi
same "kesp's inbound SA: no replay, auth or other errors" \
	"$($KESPCTL -n a --json sa get dev kesp0 dir in spi $in_spi |
		json_first replay_errors auth_errors other_errors)" "0 0 0"
same "XFRM's inbound state: no replay-window, replay or integrity failures" \
	"$(ip -n b -s xfrm state get src 192.168.100.1 dst 192.168.100.2 proto esp spi $out_spi |
		awk '/stats:/ {s = 1; next} s && /replay-window/ {print $2, $4, $6; exit}')" "0 0 0"
# shellcheck disable=SC2016
same "XFRM's counters: no out-of-window or integrity errors in b" \
	"$(ip netns exec b awk '$1 ~ /^XfrmIn(StateSeqError|StateProtoError)$/ {s += $2} END {print s + 0}' /proc/net/xfrm_stat)" 0

# What the workers encrypted and decrypted, retransmissions included, is
# what was sent.
echo 1 >$BURST
tcp_intact "parallel SAs, kesp to XFRM" a 10.1.0.1 b 10.2.0.1
tcp_intact "parallel SAs, XFRM to kesp" b 10.2.0.1 a 10.1.0.1
echo 4 >$BURST

# shellcheck disable=SC2086
refuse "a per-CPU SA refuses flag parallel" 1 "per-CPU SA keeps its crypto on its CPU" \
	$KESPCTL -n a sa add dev kesp0 dir out src 192.168.100.1 dst 192.168.100.2 proto esp \
	spi 0x300 mode tunnel $GCM cpu 0 flag parallel sel src 10.1.0.0/24 dst 10.2.0.0/24

# Deleted under load: the SAs go while packets are with the workers.
iperf_server b 10.2.0.1
timeout 15 ip netns exec a iperf3 -c 10.2.0.1 -B 10.1.0.1 -t 4 >/dev/null 2>&1 &
client=$!
sleep 2
check "the SAs are flushed while packets are with the workers" $KESPCTL -n a sa flush
wait $client
kill $iperf_server_pid 2>/dev/null
wait $iperf_server_pid
same "no SA is left" "$($KESPCTL -n a sa list)" ""
finish
