#!/bin/sh
# IKE fragmentation (RFC 7383) over a path that does not carry IP fragments:
# the wire's MTU is 1000 and both ends drop every IP fragment before
# reassembly (as a middlebox that filters them would), so an IKE_AUTH with
# an RSA certificate and its intermediate (about 2 KB) crosses only in
# IKE fragments. ikehelper <-> charon (fragment_size 1000 on both), each
# side initiating: established, ping through, both logs show fragments
# split and reassembled. The negative: a connection with fragmentation = no
# on ikehelper's side (nothing announced, so charon sends its IKE_AUTH
# whole) never completes. Then ikehelper <-> ikehelper with the same
# certificates.
. "$KESP_SRC/selftests/tests/lib.sh"
. "$KESP_SRC/selftests/tests/ike_peers.sh"
. "$KESP_SRC/selftests/tests/ike_lib.sh"
CHARON_LOG=$(ike_log charon east)
KDIR=$IKE_STATE/ikehelper-kesp	# ikehelper_start writes its config here
EDIR=$IKE_STATE/ikehelper-peer
PKI=$IKE_STATE/pki
mkdir -p "$PKI" east/x509 east/x509ca east/private
for d in "$KDIR" "$EDIR"; do mkdir -p "$d/x509" "$d/x509ca" "$d/private"; done

# conn NAME LOCAL-ADDR REMOTE-ADDR CERT ID REMOTE-ID LOCAL-TS REMOTE-TS [EXTRA]:
# one connection, the same syntax for all three daemons; each trusts the CA
# only (its CERTREQ names no intermediate), so each sends its end entity and
# the intermediate above it (from x509ca/): two certificates per IKE_AUTH.
conn() {
	cat <<EOF
  $1 {
    local_addrs = $2
    ${3:+remote_addrs = $3}
    proposals = aes256gcm16-prfsha256-x25519
    send_cert = always
    ${9:-}
    local { auth = pubkey
      certs = $4.pem
      id = $5 }
    remote { auth = pubkey
      cacerts = ca.pem
      id = $6 }
    children { $1 { local_ts = $7
      remote_ts = $8
      esp_proposals = aes128gcm16 } }
  }
EOF
}
SETTINGS='ikehelper {
  fragment_size = 1000
  retransmit_timeout = 2s
  retransmit_tries = 3
}'

ike_sites
ip -n west addr add 192.168.200.41/24 dev wire
for ns in west east; do
	ip -n "$ns" link set wire mtu 1000
	# Before defragmentation (priority -400): no IP fragment gets through.
	ip netns exec "$ns" nft -f - <<'EOF'
table ip nofrag {
	chain pre {
		type filter hook prerouting priority -450; policy accept;
		ip frag-off & 0x3fff != 0 counter drop
	}
}
EOF
done
ip_frags_dropped() {	# NS
	ip netns exec "$1" nft list table ip nofrag | sed -n 's/.*counter packets \([0-9]*\).*/\1/p'
}

{
	echo "connections {"
	conn frag 192.168.200.2 192.168.200.1 charon charon.example kesp.example \
		10.12.0.0/24 10.11.0.0/24
	conn nofrag 192.168.200.2 192.168.200.41 charon charon.example kesp.example \
		10.12.0.0/24 10.11.0.0/24
	echo "}"
} >east/swanctl.conf
# charon starts while certtool works (each takes seconds under TCG).
charon_spawn east east "fragment_size = 1000
	retransmit_tries = 2"

# ---- the PKI: ECDSA CA and intermediate (quick to make), RSA-2048 end
# entities, one per side ----
t0=$(date +%s)
for k in ca int; do pki_key $k "--key-type ecdsa --curve secp256r1"; done
for k in kesp charon; do pki_key $k "--key-type rsa --bits 2048"; done
tmpl() {	# CN [ca]
	if [ "${2:-}" = ca ]; then
		printf 'cn = "%s"\norganization = "kesp"\ncountry = CH\nca\ncert_signing_key\nexpiration_days = 30\n' "$1"
	else
		printf 'cn = "%s"\norganization = "kesp"\ncountry = CH\ndns_name = "%s"\nsigning_key\nexpiration_days = 2\n' "$1" "$1"
	fi
}
tmpl 'kesp frag CA' ca >"$PKI/ca.tmpl"
certtool --generate-self-signed --load-privkey "$PKI/ca.key" --template "$PKI/ca.tmpl" \
	--outfile "$PKI/ca.pem" >/dev/null 2>&1
tmpl 'kesp frag intermediate' ca >"$PKI/int.tmpl"
certtool --generate-certificate --load-privkey "$PKI/int.key" --load-ca-certificate "$PKI/ca.pem" \
	--load-ca-privkey "$PKI/ca.key" --template "$PKI/int.tmpl" --outfile "$PKI/int.pem" \
	>/dev/null 2>&1
for s in kesp charon; do
	tmpl "$s.example" >"$PKI/$s.tmpl"
	certtool --generate-certificate --load-privkey "$PKI/$s.key" \
		--load-ca-certificate "$PKI/int.pem" --load-ca-privkey "$PKI/int.key" \
		--template "$PKI/$s.tmpl" --outfile "$PKI/$s.pem" >/dev/null 2>&1
done
for f in ca int kesp charon; do
	if [ ! -s "$PKI/$f.pem" ]; then
		fail "certtool made the test PKI" "no $f.pem"
		finish
	fi
done
pass "certtool made a CA, an intermediate and two RSA-2048 end entities in $(($(date +%s) - t0)) s"
cp "$PKI/kesp.pem" "$KDIR/x509/"
cp "$PKI/kesp.key" "$KDIR/private/"
cp "$PKI/charon.pem" "$EDIR/x509/"	# the ikehelper peer uses charon's identity
cp "$PKI/charon.key" "$EDIR/private/"
cp "$PKI/ca.pem" "$PKI/int.pem" "$KDIR/x509ca/"
cp "$PKI/ca.pem" "$PKI/int.pem" "$EDIR/x509ca/"
cp "$PKI/charon.pem" east/x509/
cp "$PKI/charon.key" east/private/
cp "$PKI/ca.pem" "$PKI/int.pem" east/x509ca/

if ! charon_wait east || ! charon_swanctl east --load-all >/tmp/load.out 2>&1; then
	fail "charon starts in east and loads its certificates" "$(cat /tmp/load.out)"
	finish
fi
if ! ikehelper_start west kesp "$(
	echo "connections {"
	conn frag 192.168.200.1 192.168.200.2 kesp kesp.example charon.example \
		10.11.0.0/24 10.12.0.0/24
	conn nofrag 192.168.200.41 192.168.200.2 kesp kesp.example charon.example \
		10.11.0.0/24 10.12.0.0/24 "fragmentation = no"
	echo "}"
	echo "$SETTINGS"
)"; then
	fail "ikehelper starts in west with its certificate"
	finish
fi

ping_through() {	# WHAT
	check "$1: ping 10.11.0.1 -> 10.12.0.1 through the tunnel" \
		ip netns exec west ping -c 2 -i 0.3 -W 2 -I 10.11.0.1 10.12.0.1
}
n_split() { grep -c "$1" "$(ike_log ikehelper "$2")"; }

# ikehelper initiates.
if ikectl west kesp ike up frag >/tmp/up.out 2>&1; then
	pass "ikehelper initiates over the 1000-byte path with two certificates, charon accepts"
else
	fail "ikehelper initiates over the 1000-byte path, charon accepts" \
		"$(cat /tmp/up.out; tail -20 "$CHARON_LOG")"
fi
ikehelper_alive kesp
check "ikehelper sent its IKE_AUTH request in fragments" \
	log_has kesp "frag.*splitting IKE_AUTH request 1 \([0-9]+ bytes\) into [2-9] fragments \(fragment_size 1000\)"
check "ikehelper reassembled charon's IKE_AUTH response" \
	log_has kesp "frag.*reassembled IKE_AUTH response 1 from [2-9] fragments"
check "charon reassembled ikehelper's fragments" \
	grep -Eq "received fragment #[0-9]+ of [0-9]+, reassembled fragmented IKE message" "$CHARON_LOG"
check "charon split its IKE_AUTH response" \
	grep -Eq "splitting IKE message \([0-9]+ bytes\) into [0-9]+ fragments" "$CHARON_LOG"
check "charon read ikehelper's IKEV2_FRAGMENTATION_SUPPORTED" \
	grep -Eq "parsed IKE_SA_INIT request 0 .*N\(FRAG_SUP\)" "$CHARON_LOG"
check "each side sent two certificates (end entity and intermediate)" \
	grep -Eq "<frag\|[0-9]+> sending issuer cert" "$CHARON_LOG"
ping_through "ikehelper initiated"
check "kespctl ike down" ikectl west kesp ike down frag
sleep 0.5
same "no kesp SA left" "$(kernel_sa_count west)" 0

# charon initiates.
n0=$(n_split "reassembled IKE_AUTH request" kesp)
if charon_up east frag 30; then
	pass "charon initiates over the 1000-byte path, ikehelper accepts"
else
	fail "charon initiates, ikehelper accepts" "$(tail -20 "$CHARON_LOG")"
fi
same "ikehelper reassembled charon's IKE_AUTH request" \
	"$(($(n_split "reassembled IKE_AUTH request 1 from" kesp) > n0))" 1
check "ikehelper sent its IKE_AUTH response in fragments" \
	log_has kesp "frag.*splitting IKE_AUTH response 1 .* into [2-9] fragments"
ping_through "charon initiated"
ikehelper_alive kesp
charon_swanctl east --terminate --ike frag --timeout 10 >/dev/null 2>&1
sleep 0.5
same "after charon's DELETE no kesp SA is left" "$(kernel_sa_count west)" 0

# The negative: ikehelper does not announce fragmentation on "nofrag".
if charon_up east nofrag 4; then
	fail "fragmentation = no: charon's whole IKE_AUTH does not cross, its initiation fails"
else
	pass "fragmentation = no: charon's whole IKE_AUTH does not cross, its initiation fails"
fi
check "fragmentation = no: ikehelper's IKE_SA_INIT response announced nothing" \
	sh -c "grep '<nofrag|[0-9]*> parsed IKE_SA_INIT response 0' '$CHARON_LOG' | grep -vq FRAG_SUP"
same "fragmentation = no: no kesp SA" "$(kernel_sa_count west)" 0
d=$(ip_frags_dropped west)
check "the path dropped IP fragments ($d in west)" test "${d:-0}" -gt 0
charon_stop east

# ikehelper <-> ikehelper: the peer in east has charon's certificate.
if ! ikehelper_start east peer "$(
	echo "connections {"
	conn frag 192.168.200.2 192.168.200.1 charon charon.example kesp.example \
		10.12.0.0/24 10.11.0.0/24
	echo "}"
	echo "$SETTINGS"
)"; then
	fail "a second ikehelper starts in east"
	finish
fi
if ikectl west kesp ike up frag >/tmp/up.out 2>&1; then
	pass "ikehelper <-> ikehelper over the 1000-byte path: established"
else
	fail "ikehelper <-> ikehelper over the 1000-byte path: established" "$(cat /tmp/up.out)"
fi
check "the east ikehelper reassembled the IKE_AUTH request" \
	log_has peer "reassembled IKE_AUTH request 1 from [2-9] fragments"
check "... and answered in fragments" \
	log_has peer "frag.*splitting IKE_AUTH response 1 .* into [2-9] fragments"
ping_through "ikehelper <-> ikehelper"
ikehelper_alive kesp
ikehelper_alive peer

[ "$FAILED" != 0 ] && ike_tail_logs 40
finish
