#!/bin/sh
# Inbound ESP, packet by packet: the replay window (RFC 4303 3.4.3) for
# small and large windows and with ESN across 2^32, and every way a
# packet can be wrong (ICV, padding, next header, selectors, length, SPI):
# dropped, counted, never delivered, no splat; with NULL encryption and
# HMAC, then with AES-GCM over IPv6 (tunnel) and IPv4 and IPv6 (transport,
# where a valid packet from another source than the SA's is refused).
. "$KESP_SRC/selftests/tests/lib.sh"

two_sites

# One python3 for the runs of each script (pyruns.py: a start costs about
# a second under TCG), each after a shell command of its own that replaces
# a's SAs with the run's inbound SA and, if that fails, says so.
# sa_setup WHAT ADD-ARGS...: that command, in $setup.
sa_setup() {
	what=$1
	shift
	setup="$KESPCTL -n a sa flush
		if ! out=\$($KESPCTL -n a sa add dev kesp0 dir in $* 2>&1); then
			echo 'not ok - $what'; echo \"  \$out\"; exit 1
		fi"
}

# Runs: WINDOW ESN TOP.
set --
for r in "32 0 0" "4096 0 0" "0 0 0" "64 1 $((0xfffffffd))" \
	"4096 1 $((0x1fffffff0))" "0 1 $((0xfffffffe))"; do
	window=${r%% *} esn=${r#* } top=${r##* }
	esn=${esn%% *}
	flag=""
	[ "$esn" = 1 ] && flag="flag esn"
	sa_setup "window $window esn $esn: add the SA" src 192.168.100.2 dst 192.168.100.1 \
		proto esp spi 0x3000 mode tunnel reqid 1 replay-window "$window" $flag seq "$top" \
		enc cipher_null "''" auth-trunc "'hmac(sha256)'" \
		0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20 128 \
		sel src 10.2.0.0/24 dst 10.1.0.0/24
	[ $# = 0 ] || set -- "$@" --
	set -- "$@" "$setup" "$window" "$esn" "$top"
done
ip netns exec a python3 "$KESP_SRC/selftests/lib/pyruns.py" \
	"$KESP_SRC/selftests/tests/esp_input.py" "$@" || FAILED=1

# The same kinds of damage through AES-GCM (the AEAD path), over IPv6 in
# tunnel mode and over IPv4 in transport mode.
# A second address in b: a source a transport-mode SA must refuse.
ip -n b addr add 192.168.100.3/24 dev veth-b
ip -n b addr add fd00:100::3/64 dev veth-b nodad
set --
for run in tunnel6 transport4 transport6; do
	key=$(hexkey 20)
	case $run in
	tunnel6) ends="src fd00:100::2 dst fd00:100::1" mode="tunnel sel src fd00:2::/64 dst fd00:1::/64" ;;
	transport4) ends="src 192.168.100.2 dst 192.168.100.1" mode=transport ;;
	transport6) ends="src fd00:100::2 dst fd00:100::1" mode=transport ;;
	esac
	# shellcheck disable=SC2086
	sa_setup "$run: add the SA" $ends proto esp spi 0x3100 \
		reqid 1 aead "'rfc4106(gcm(aes))'" $key 128 mode $mode
	[ $# = 0 ] || set -- "$@" --
	set -- "$@" "$setup" "$run" "${key#0x}"
done
ip netns exec a python3 "$KESP_SRC/selftests/lib/pyruns.py" \
	"$KESP_SRC/selftests/tests/esp_aead_input.py" "$@" || FAILED=1
finish
