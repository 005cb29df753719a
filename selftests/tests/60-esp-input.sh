#!/bin/sh
# Inbound ESP, packet by packet: the replay window (RFC 4303 3.4.3) for
# small and large windows and with ESN across 2^32, and every way a
# packet can be wrong (ICV, padding, next header, selectors, length, SPI):
# dropped, counted, never delivered, no splat; with NULL encryption and
# HMAC, then with AES-GCM over IPv6 (tunnel) and IPv4 and IPv6 (transport,
# where a valid packet from another source than the SA's is refused).
. "$KESP_SRC/selftests/tests/lib.sh"

two_sites

run() {	# WINDOW ESN TOP
	$KESPCTL -n a sa flush
	flag=""
	[ "$2" = 1 ] && flag="flag esn"
	if ! out=$($KESPCTL -n a sa add dev kesp0 dir in src 192.168.100.2 dst 192.168.100.1 \
		proto esp spi 0x3000 mode tunnel reqid 1 replay-window "$1" $flag seq "$3" \
		enc cipher_null "" auth-trunc 'hmac(sha256)' \
		0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20 128 \
		sel src 10.2.0.0/24 dst 10.1.0.0/24 2>&1); then
		fail "window $1 esn $2: add the SA" "$out"
		return
	fi
	ip netns exec a python3 "$KESP_SRC/selftests/tests/esp_input.py" "$@" || FAILED=1
}

run 32 0 0
run 4096 0 0
run 0 0 0
run 64 1 $((0xfffffffd))
run 4096 1 $((0x1fffffff0))
run 0 1 $((0xfffffffe))

# The same kinds of damage through AES-GCM (the AEAD path), over IPv6 in
# tunnel mode and over IPv4 in transport mode.
aead_run() {	# tunnel6 | transport4 | transport6
	key=$(hexkey 20)
	$KESPCTL -n a sa flush
	case $1 in
	tunnel6) ends="src fd00:100::2 dst fd00:100::1" mode="tunnel sel src fd00:2::/64 dst fd00:1::/64" ;;
	transport4) ends="src 192.168.100.2 dst 192.168.100.1" mode=transport ;;
	transport6) ends="src fd00:100::2 dst fd00:100::1" mode=transport ;;
	esac
	# shellcheck disable=SC2086
	if ! out=$($KESPCTL -n a sa add dev kesp0 dir in $ends proto esp spi 0x3100 \
		reqid 1 aead 'rfc4106(gcm(aes))' $key 128 mode $mode 2>&1); then
		fail "$1: add the SA" "$out"
		return
	fi
	ip netns exec a python3 "$KESP_SRC/selftests/tests/esp_aead_input.py" "$1" "${key#0x}" ||
		FAILED=1
}
# A second address in b: a source a transport-mode SA must refuse.
ip -n b addr add 192.168.100.3/24 dev veth-b
ip -n b addr add fd00:100::3/64 dev veth-b nodad
aead_run tunnel6
aead_run transport4
aead_run transport6
finish
