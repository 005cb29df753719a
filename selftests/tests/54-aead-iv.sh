#!/bin/sh
# AES-GCM and ChaCha20-Poly1305 nonces (RFC 4106 3.1, RFC 7634 2): unique
# per key. The IV on the wire is the sequence number under a random salt
# of the SA's, so an SA installed again with the same key and sequence
# number (a key manager's retry, or a restart with the uapi's default SEQ
# 0) sends other IVs for the same sequence numbers; XFRM, which only reads
# the IV, decrypts both.
. "$KESP_SRC/selftests/tests/lib.sh"

two_sites
site_b_policies

# first_ivs ALG-ARGS...: both sides' SAs installed afresh with ALG-ARGS,
# then 3 pings; prints the IVs of kesp's first 3 ESP packets, one a line,
# once XFRM answered every ping.
first_ivs() {
	$KESPCTL -n a sa flush
	ip -n b xfrm state flush
	kesp_xfrm_pair "$@" || return 1
	rm -f /tmp/cap.out /tmp/cap.err
	ip netns exec b python3 "$KESP_SRC/selftests/tests/esp_capture.py" veth-b 192.168.100.1 3 8 20 \
		>/tmp/cap.out 2>/tmp/cap.err &
	wait_line /tmp/cap.err listening
	ip netns exec a ping -c 3 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1 >/tmp/ping.out 2>&1 || {
		echo "pings were not answered:"; sed 's/^/  /' /tmp/ping.out; } >&2
	wait
	grep -q ' 0% packet loss' /tmp/ping.out || return 1
	awk '$1 == "00000100" { print $2, $3 }' /tmp/cap.out
}

for alg in "AES-GCM-128:aead rfc4106(gcm(aes)) $(hexkey 20) 128" \
	"ChaCha20-Poly1305:aead rfc7539esp(chacha20,poly1305) $(hexkey 36) 128"; do
	name=${alg%%:*}
	# shellcheck disable=SC2086
	set -- ${alg#*:}
	if ! one=$(first_ivs "$@") || ! two=$(first_ivs "$@"); then
		fail "$name: XFRM decrypts both installs of the same key (3 pings each)"
		continue
	fi
	pass "$name: XFRM decrypts both installs of the same key (3 pings each)"
	echo "first install:  $(echo "$one" | tr '\n' ' ')"
	echo "second install: $(echo "$two" | tr '\n' ' ')"
	same "$name: each install sent sequence numbers 1, 2, 3" \
		"$(echo "$one" | cut -d' ' -f1 | tr '\n' ' ')/$(echo "$two" | cut -d' ' -f1 | tr '\n' ' ')" \
		"00000001 00000002 00000003 /00000001 00000002 00000003 "
	iv1=$(echo "$one" | head -1 | cut -d' ' -f2) iv2=$(echo "$two" | head -1 | cut -d' ' -f2)
	check "$name: sequence number 1 has another IV the second time ($iv1, $iv2)" test "$iv1" != "$iv2"
	check "$name: and neither IV is the bare sequence number" \
		test "$iv1" != 0000000000000001 -a "$iv2" != 0000000000000001
	same "$name: an SA's IVs are distinct" \
		"$(echo "$one" | cut -d' ' -f2 | sort -u | wc -l) $(echo "$two" | cut -d' ' -f2 | sort -u | wc -l)" "3 3"
done
rm -f /tmp/cap.out /tmp/cap.err /tmp/ping.out
finish
