#!/bin/sh
# A line written for ip xfrm means the same SA in kespctl. Each case puts
# the same words (ID, algorithms, selector, encapsulation) into both tools:
# kespctl in a (after "dev kesp0 dir in|out"), ip xfrm in b. Both must
# show the same algorithms and selector, and ping must cross; where kesp
# cannot take what the line means (auth sha256 is a 96-bit ICV there),
# kespctl must refuse it rather than install another SA.
. "$KESP_SRC/selftests/tests/lib.sh"

T=$KESP_SRC/selftests/tests
two_sites
site_b_policies
out_spi=0x100 in_spi=0x200
OUT_ID="src 192.168.100.1 dst 192.168.100.2 proto esp spi $out_spi reqid 1 mode tunnel"
IN_ID="src 192.168.100.2 dst 192.168.100.1 proto esp spi $in_spi reqid 1 mode tunnel"
SEL_OUT="sel src 10.1.0.0/24 dst 10.2.0.0/24"
SEL_IN="sel src 10.2.0.0/24 dst 10.1.0.0/24"

# The algorithm and selector lines of the SA from a to b as a tool shows
# it, keys left out: "aead NAME BITS", "enc NAME", "auth-trunc NAME BITS",
# "sel ...", sorted.
alg_lines() {
	awk '/^[[:space:]]*(aead|enc|auth-trunc|sel) / {
		sub(/^[[:space:]]+/, ""); sub(/ 0x[0-9a-f]+/, ""); sub(/[[:space:]]+$/, ""); print }' | sort
}
kesp_view() {
	$KESPCTL -n a sa get dev kesp0 dir out spi $out_spi dst 192.168.100.2 | alg_lines
}
xfrm_view() {
	ip -n b xfrm state get src 192.168.100.1 dst 192.168.100.2 proto esp spi $out_spi | alg_lines
}

# add_pair WORDS...: the SA pair in both tools, WORDS after each SA's ID
# and before its selector ($SEL_OUT, $SEL_IN). kesp first; on failure
# $out holds the error and $status the exit status.
add_pair() {
	$KESPCTL -n a sa flush
	ip -n b xfrm state flush
	# shellcheck disable=SC2086
	out=$($KESPCTL -n a sa add dev kesp0 dir out $OUT_ID "$@" $SEL_OUT 2>&1) &&
	out=$($KESPCTL -n a sa add dev kesp0 dir in $IN_ID "$@" $SEL_IN 2>&1) &&
	out=$(ip -n b xfrm state add $OUT_ID "$@" $SEL_OUT 2>&1) &&
	out=$(ip -n b xfrm state add $IN_ID "$@" $SEL_IN 2>&1)
	status=$?
	return $status
}

# traffic WHAT: both tools show the same SA, and pings cross it.
traffic() {
	same "$1: kespctl shows what ip xfrm shows" "$(kesp_view)" "$(xfrm_view)"
	if ip netns exec a ping -c 3 -i 0.05 -w 10 -I 10.1.0.1 10.2.0.1 >/tmp/ping.out 2>&1; then
		pass "$1: ping from kesp through XFRM and back"
	else
		fail "$1: ping from kesp through XFRM and back" "$(cat /tmp/ping.out)"
	fi
	same "$1: kesp sent 3 and received 3, XFRM received 3 and sent 3" "$(counters)" "3 3 / 3 3"
}

# line_case WHAT WORDS...: the line works in both tools and carries traffic.
line_case() {
	what=$1
	shift
	if add_pair "$@"; then
		pass "$what: both tools take the line"
		traffic "$what"
	else
		fail "$what: both tools take the line" "$out"
	fi
}

K16=$(hexkey 16) K20=$(hexkey 20) K24=$(hexkey 24) K32=$(hexkey 32)
K36=$(hexkey 36) K48=$(hexkey 48) K64=$(hexkey 64)

# ---- item: auth NAME means XFRM's truncation for the name ----
line_case "auth hmac(sha384)" enc aes "$K24" auth 'hmac(sha384)' "$K48"
same "auth hmac(sha384): 192 bits in both" "$(kesp_view | grep auth)" "auth-trunc hmac(sha384) 192"
line_case "auth hmac(sha512)" enc aes "$K32" auth 'hmac(sha512)' "$K64"
same "auth hmac(sha512): 256 bits in both" "$(kesp_view | grep auth)" "auth-trunc hmac(sha512) 256"
line_case "enc cipher_null, auth hmac(sha512)" enc cipher_null "" auth 'hmac(sha512)' "$K64"
line_case "auth-trunc sha256 128" enc aes "$K16" auth-trunc sha256 "$K32" 128
line_case "aead rfc4106(gcm(aes)) 96" aead 'rfc4106(gcm(aes))' "$K20" 96
line_case "aead rfc7539esp(chacha20,poly1305)" aead 'rfc7539esp(chacha20,poly1305)' "$K36" 128

# sha1: HMAC-SHA1-96 (RFC 2404) in both.
line_case "auth sha1" enc aes "$K16" auth sha1 "$K20"
same "auth sha1: 96 bits in both" "$(kesp_view | grep auth)" "auth-trunc hmac(sha1) 96"

# auth sha256 is 96 bits in ip xfrm; kesp takes RFC 4868's 128 only.
refuse "auth sha256: kespctl refuses the 96-bit ICV ip xfrm gives it, and says how to write it" 2 \
	'auth sha256 is hmac\(sha256\) with a 96-bit ICV in ip xfrm, which kesp does not take: use "auth-trunc hmac\(sha256\) KEY 128"' \
	$KESPCTL -n a sa add dev kesp0 dir out $OUT_ID enc aes "$K16" auth sha256 "$K32" $SEL_OUT
ip -n b xfrm state flush
ip -n b xfrm state add $OUT_ID enc aes "$K16" auth sha256 "$K32" $SEL_OUT
same "auth sha256: ip xfrm indeed makes it 96 bits" "$(xfrm_view | grep auth)" "auth-trunc hmac(sha256) 96"
refuse "auth sha384: ip xfrm knows no such name, neither does kespctl" 2 'unknown auth algorithm "sha384"' \
	$KESPCTL -n a sa add dev kesp0 dir out $OUT_ID enc aes "$K24" auth sha384 "$K48" $SEL_OUT
refuse "  ... as ip xfrm says" 2 'AUTH algorithm not found' \
	ip -n b xfrm state add $OUT_ID enc aes "$K24" auth sha384 "$K48" $SEL_OUT

# ---- item: selectors with a side left out, encap with OADDR ----
SEL_OUT="sel src 10.1.0.0/24" SEL_IN="sel dst 10.1.0.0/24"
line_case "sel src alone (and dst alone)" aead 'rfc4106(gcm(aes))' "$K20" 128
same "sel src alone: the other side is any address in both" \
	"$(kesp_view | grep sel)" "sel src 10.1.0.0/24 dst 0.0.0.0/0"
SEL_OUT="sel proto icmp" SEL_IN="sel proto icmp"
line_case "sel with neither src nor dst" aead 'rfc4106(gcm(aes))' "$K20" 128
same "sel proto icmp: any address of the SA's family in both" \
	"$(kesp_view | grep sel)" "sel src 0.0.0.0/0 dst 0.0.0.0/0 proto icmp"

# ESP in UDP: b holds XFRM's UDP_ENCAP socket, a kespctl's.
ip netns exec b python3 "$T/udp_encap_sock.py" 4500 >/tmp/holder.out 2>&1 &
holder=$!
$KESPCTL -n a encap listen dev kesp0 port 4500 >/tmp/listen.out 2>&1 &
listener=$!
if wait_line /tmp/holder.out ready && wait_line /tmp/listen.out listening; then
	SEL_OUT="$SEL_OUT encap espinudp 4500 4500 0.0.0.0" SEL_IN="$SEL_IN encap espinudp 4500 4500 0.0.0.0"
	line_case "encap espinudp 4500 4500 0.0.0.0" enc aes "$K16" auth-trunc 'hmac(sha256)' "$K32" 128
	same "encap with OADDR: kesp's SA is in UDP" \
		"$($KESPCTL -n a sa get dev kesp0 dir in spi $in_spi | grep -o 'encap espinudp [0-9]* [0-9]*')" \
		"encap espinudp 4500 4500"
else
	fail "encap: the UDP sockets are held" "$(cat /tmp/holder.out /tmp/listen.out)"
fi
kill $holder $listener
wait $holder $listener 2>/dev/null

# ---- --json with a device name made to break JSON ----
# A quote, a backslash and a byte that is not UTF-8 are all allowed in an
# interface name. Every --json output here goes through lib.sh's parser
# check; the name must come out escaped, the stray byte as U+FFFD.
netns_add h
bad=$(printf 'k"\\\377')
ip -n h link add "$bad" type kesp
ip -n h link add kesp0 type kesp
same "--json dev list: the name escaped, the stray byte replaced" \
	"$(json_get "$($KESPCTL -n h --json dev list)" \
		'sorted(x["ifname"] for x in d) == ["k\"\\\ufffd", "kesp0"]' 2>&1)" True
check "--json sa add on that device" $KESPCTL -n h --json sa add dev "$bad" \
	dir in $IN_ID aead 'rfc4106(gcm(aes))' "$K20" 128
check "--json trap add on that device" $KESPCTL -n h --json trap add dev "$bad" \
	sel src 10.1.0.0/24
check "--json sa list and trap list" sh -c "$KESPCTL -n h --json sa list &&
	$KESPCTL -n h --json trap list"
$KESPCTL -n h --json encap listen dev "$bad" port 4501 >/tmp/listen.json 2>&1 &
listener=$!
if wait_line /tmp/listen.json listening; then
	pass "--json encap listen on that device"
else
	fail "--json encap listen on that device" "$(cat /tmp/listen.json)"
fi
kill $listener
wait $listener 2>/dev/null
rm -f /tmp/ping.out /tmp/holder.out /tmp/listen.out /tmp/listen.json
finish
