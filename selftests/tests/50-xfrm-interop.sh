#!/bin/sh
# Wire interoperability with the kernel's own XFRM: namespace a runs kesp
# (configured with kespctl), namespace b runs XFRM (ip xfrm) with the same
# keys. Every algorithm kesp claims, every outer/inner family combination;
# traffic must flow both ways and the counters on both sides agree.
. "$KESP_SRC/selftests/tests/lib.sh"

two_sites

# xfrm_case NAME OUTER(4|6) INNER(4|6) ALG-ARGS...
# ALG-ARGS are the same words for kespctl and ip xfrm state.
case_n=0
xfrm_case() {
	name=$1 outer=$2 inner=$3
	shift 3
	case_n=$((case_n + 1))
	out_spi=$((0x1000 + case_n)) in_spi=$((0x2000 + case_n))
	if [ "$outer" = 4 ]; then ea=192.168.100.1 eb=192.168.100.2; else ea=fd00:100::1 eb=fd00:100::2; fi
	if [ "$inner" = 4 ]; then
		na=10.1.0.0/24 nb=10.2.0.0/24 ha=10.1.0.1 hb=10.2.0.1 ping=ping
	else
		na=fd00:1::/64 nb=fd00:2::/64 ha=fd00:1::1 hb=fd00:2::1 ping="ping -6"
	fi
	what="tunnel $name, IPv$inner in IPv$outer"
	# XFRM needs to be told that an SA may carry another family inside.
	xfrm_more=""
	[ "$inner" = "$outer" ] || xfrm_more="flag af-unspec"
	if ! interop_sas "$@"; then
		fail "$what: configure" "$out"
		return
	fi
	if ip netns exec a $ping -c 4 -i 0.05 -w 10 -I $ha $hb >/tmp/ping.out 2>&1; then
		pass "$what: ping from kesp through XFRM and back"
	else
		fail "$what: ping from kesp through XFRM and back" "$(cat /tmp/ping.out)" \
			"$($KESPCTL -n a sa list 2>&1)" "$(ip -n b -s xfrm state 2>&1)" \
			"$(ip -n a -s link show kesp0 2>&1)"
		return
	fi
	# kesp sent 4 echo requests and received 4 replies; XFRM the reverse.
	same "$what: kesp sent 4 and received 4, XFRM received 4 and sent 4" \
		"$(counters)" "4 4 / 4 4"
	# A bulk TCP transfer once per algorithm (IPv4 in IPv4) and once per
	# family combination (AES-GCM-128): what it adds to the pings (GSO,
	# segments of every size, the counters agreeing under load) does not
	# depend on both at once, and each costs seconds under TCG.
	[ -z "$IPERF" ] || iperf_agrees "$what" $hb $ha "$IPERF"
	# Payload that survives retransmission (the pages TCP keeps are only
	# read) and in-place decryption of a packet's pages, with CBC's
	# padding in the trailer's own page slice: once, in the 4/4 case, each
	# way.
	if [ -n "${INTACT:-}" ]; then
		tcp_intact "$what, kesp to XFRM" a $ha b $hb
		tcp_intact "$what, XFRM to kesp" b $hb a $ha
	fi
}

K16=$(hexkey 16) K20=$(hexkey 20) K24=$(hexkey 24) K28=$(hexkey 28) K32=$(hexkey 32)
K36=$(hexkey 36) K48=$(hexkey 48) K64=$(hexkey 64)
for fam in "4 4" "6 6" "4 6" "6 4"; do
	set -- $fam
	o=$1 i=$2
	IPERF="-t 2"
	xfrm_case "AES-GCM-128" $o $i aead 'rfc4106(gcm(aes))' $K20 128
	IPERF=""
	[ "$o$i" = 44 ] && IPERF="-t 1"
	xfrm_case "AES-GCM-256" $o $i aead 'rfc4106(gcm(aes))' $K36 128
	xfrm_case "ChaCha20-Poly1305" $o $i aead 'rfc7539esp(chacha20,poly1305)' $K36 128
	INTACT=""
	[ "$o$i" = 44 ] && INTACT=1
	xfrm_case "AES-CBC-128/HMAC-SHA-256" $o $i enc 'cbc(aes)' $K16 auth-trunc 'hmac(sha256)' $K32 128
	INTACT=""
	xfrm_case "AES-CBC-256/HMAC-SHA-512" $o $i enc 'cbc(aes)' $K32 auth-trunc 'hmac(sha512)' $K64 256
	xfrm_case "NULL/HMAC-SHA-256" $o $i enc 'ecb(cipher_null)' "" auth-trunc 'hmac(sha256)' $K32 128
done
# esn_case NAME ALG-ARGS...: 64-bit sequence numbers that start just below
# 2^32 in both directions, so 24 pings carry both sides across the
# boundary: kesp sends from 0xfffffff0 on and XFRM expects that; XFRM
# sends from 0xfffffff0 on and kesp expects that.
esn_case() {
	name=$1
	shift
	what="tunnel $name with ESN across 2^32"
	$KESPCTL -n a sa flush
	ip -n b xfrm state flush
	ip -n b xfrm policy flush
	start=$((0xfffffff0))
	if ! out=$($KESPCTL -n a sa add dev kesp0 dir out src 192.168.100.1 dst 192.168.100.2 \
			proto esp spi 0x3100 mode tunnel reqid 1 flag esn seq $start "$@" \
			sel src 10.1.0.0/24 dst 10.2.0.0/24 2>&1) ||
		! out=$($KESPCTL -n a sa add dev kesp0 dir in src 192.168.100.2 dst 192.168.100.1 \
			proto esp spi 0x3200 mode tunnel reqid 1 flag esn seq $start replay-window 64 "$@" \
			sel src 10.2.0.0/24 dst 10.1.0.0/24 2>&1) ||
		! out=$(ip -n b xfrm state add src 192.168.100.1 dst 192.168.100.2 proto esp spi 0x3100 \
			reqid 1 mode tunnel flag esn replay-window 32 replay-seq $start "$@" 2>&1) ||
		! out=$(ip -n b xfrm state add src 192.168.100.2 dst 192.168.100.1 proto esp spi 0x3200 \
			reqid 1 mode tunnel flag esn replay-window 32 replay-oseq $start "$@" 2>&1); then
		fail "$what: configure" "$out"
		return
	fi
	site_b_policies
	if ip netns exec a ping -c 24 -i 0.05 -W 2 -I 10.1.0.1 10.2.0.1 >/tmp/ping.out 2>&1; then
		pass "$what: 24 pings from kesp through XFRM and back"
	else
		fail "$what: 24 pings from kesp through XFRM and back" "$(tail -3 /tmp/ping.out)" \
			"$($KESPCTL -n a sa list 2>&1)" "$(ip -n b -s xfrm state 2>&1)"
		return
	fi
	# "DIR=SEQ" of each SA, sorted, in hex (the shell's printf: awk's
	# numbers are doubles).
	seqs=""
	for ds in $($KESPCTL -n a --json sa list | json_pairs dir seq); do
		seqs="$seqs $(printf '%s=%#x' "${ds%=*}" "${ds#*=}")"
	done
	seqs=${seqs# }
	same "$what: both of kesp's SAs are past 2^32" "$seqs" "in=0x100000008 out=0x100000008"
	out_spi=0x3100 in_spi=0x3200
	same "$what: kesp sent 24 and received 24, XFRM received 24 and sent 24" \
		"$(counters)" "24 24 / 24 24"
}

esn_case "AES-GCM-128" aead 'rfc4106(gcm(aes))' $K20 128
esn_case "AES-CBC-128/HMAC-SHA-256 (authencesn)" enc 'cbc(aes)' $K16 auth-trunc 'hmac(sha256)' $K32 128
# HMAC-SHA-1-96 (RFC 2404).
K20b=$(hexkey 20)
for fam in "4 4" "6 6" "4 6"; do
	set -- $fam
	IPERF=""
	[ "$1$2" = 44 ] && IPERF="-t 1"
	xfrm_case "AES-CBC-128/HMAC-SHA-1-96" $1 $2 enc 'cbc(aes)' $K16 auth-trunc 'hmac(sha1)' $K20b 96
	xfrm_case "NULL/HMAC-SHA-1-96" $1 $2 enc 'ecb(cipher_null)' "" auth-trunc 'hmac(sha1)' $K20b 96
done
IPERF=""
xfrm_case "AES-CBC-256/HMAC-SHA-1-96" 6 4 enc 'cbc(aes)' $K32 auth-trunc 'hmac(sha1)' $K20b 96
xfrm_case "AES-GCM-128 ICV 64" 4 4 aead 'rfc4106(gcm(aes))' $K20 64
xfrm_case "AES-GCM-128 ICV 96" 6 6 aead 'rfc4106(gcm(aes))' $K20 96
IPERF="-t 1"
xfrm_case "AES-GCM-192" 4 4 aead 'rfc4106(gcm(aes))' $K28 128
xfrm_case "AES-CBC-192/HMAC-SHA-384" 4 6 enc 'cbc(aes)' $K24 auth-trunc 'hmac(sha384)' $K48 192
finish
