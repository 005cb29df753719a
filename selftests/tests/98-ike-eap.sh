#!/bin/sh
# EAP-MSCHAPv2 in IKE_AUTH (RFC 7296 §2.16), ikehelper (kesp.ko) <-> charon,
# each as EAP client and as EAP server. The gateway authenticates itself
# with an ECDSA certificate (a CA made here with certtool), the road
# warrior with a user name and password; charon's eap-identity and
# eap-mschapv2 plugins. Each direction establishes and carries ping; a wrong
# password fails on both sides (AUTHENTICATION_FAILED, no SA), and the EAP
# server's log names the method, the user and the cause.
. "$KESP_SRC/selftests/tests/lib.sh"
. "$KESP_SRC/selftests/tests/ike_peers.sh"
. "$KESP_SRC/selftests/tests/ike_lib.sh"
CHARON_LOG=$(ike_log charon east)
pki_dirs

t0=$(date +%s)
pki_key ca "--key-type ecdsa --curve secp256r1"
pki_cert ca ca self "$(pki_ca_tmpl 'kesp EAP test CA')"
for gw in kesp-gw charon-gw; do
	pki_key $gw "--key-type ecdsa --curve secp256r1"
	pki_cert $gw $gw ca "$(pki_ee_tmpl $gw.example)"
done
if [ ! -s "$PKI/kesp-gw.pem" ] || [ ! -s "$PKI/charon-gw.pem" ]; then
	fail "certtool made the test PKI"
	finish
fi
pass "certtool made a CA and the two gateways' certificates in $(($(date +%s) - t0)) s"
cp "$PKI/kesp-gw.pem" "$KDIR/x509/"
cp "$PKI/kesp-gw.key" "$KDIR/private/"
cp "$PKI/ca.pem" "$KDIR/x509ca/"
cp "$PKI/charon-gw.pem" east/x509/
cp "$PKI/charon-gw.key" east/private/
cp "$PKI/ca.pem" east/x509ca/

# conn NAME LOCAL-ADDR REMOTE-ADDR|"" LOCAL-AUTH REMOTE-AUTH LOCAL-TS REMOTE-TS:
# one connection of either side's swanctl.conf (the same syntax for both);
# an AUTH argument is "key=value key=value", each key a line of its own.
conn() {
	cat <<EOF
  $1 {
    local_addrs = $2
    ${3:+remote_addrs = $3}
    proposals = aes256gcm16-prfsha256-x25519
    local { $(echo "$4" | tr ' =' '\n ' | sed 's/ / = /; 1!s/^/      /')
    }
    remote { $(echo "$5" | tr ' =' '\n ' | sed 's/ / = /; 1!s/^/      /')
    }
    children { $1 { local_ts = $6
      remote_ts = $7
      esp_proposals = aes128gcm16 } }
  }
EOF
}
eap_secret() { printf '  eap-%s { id = %s\n    secret = "%s" }\n' "$1" "$2" "$3"; }
K=10.11.0.0/24 C=10.12.0.0/24

# ikehelper: EAP client of charon as carol (.51; and as dave with a wrong
# password, .52), EAP gateway (.53) for charon's erin and frank.
kesp_conf() {
	echo "connections {"
	conn carol 192.168.200.51 192.168.200.2 "auth=eap-mschapv2 id=carol@kesp.example" \
		"auth=pubkey id=charon-gw.example" $K $C
	conn dave 192.168.200.52 192.168.200.2 "auth=eap id=dave@kesp.example eap_id=dave" \
		"auth=pubkey id=charon-gw.example" $K $C
	conn gw 192.168.200.53 "" "auth=pubkey certs=kesp-gw.pem id=kesp-gw.example" \
		"auth=eap-mschapv2 eap_id=%any" $K $C
	echo "}"
	echo "secrets {"
	eap_secret carol carol@kesp.example "carol's Pa55word"
	eap_secret dave dave "not dave's password"
	eap_secret erin erin erin-Secret-42
	eap_secret frank frank frank-Secret-17
	printf '}\nikehelper {\n  retransmit_timeout = 2s\n  retransmit_tries = 3\n}\n'
}

# charon: the gateway for carol and dave; the EAP clients erin and frank
# (a wrong password) of ikehelper's gateway.
charon_conf() {
	echo "connections {"
	conn gw 192.168.200.2 "" "auth=pubkey certs=charon-gw.pem id=charon-gw.example" \
		"auth=eap-mschapv2 eap_id=%any" $C $K
	for u in erin frank; do
		conn $u 192.168.200.2 192.168.200.53 "auth=eap-mschapv2 id=$u@kesp.example eap_id=$u" \
			"auth=pubkey id=kesp-gw.example" $C $K
	done
	echo "}"
	echo "secrets {"
	eap_secret carol carol@kesp.example "carol's Pa55word"
	eap_secret dave dave "dave's real password"
	eap_secret erin erin erin-Secret-42
	eap_secret frank frank "frank's wrong guess"
	echo "}"
}
charon_conf >east/swanctl.conf

ike_sites
for a in 51 52 53; do echo "addr add 192.168.200.$a/24 dev wire"; done | ip -n west -batch -
export CHARON_PLUGINS_EXTRA="eap-identity eap-mschapv2"
t=$(date +%s)
if ! charon_start east east || ! charon_swanctl east --load-all >/tmp/load.out 2>&1; then
	fail "charon starts in east with eap-identity and eap-mschapv2" "$(cat /tmp/load.out)"
	finish
fi
pass "charon loaded eap-identity and eap-mschapv2 ($(($(date +%s) - t)) s)"
t=$(date +%s)
if ! ikehelper_start west kesp "$(kesp_conf)"; then
	fail "ikehelper starts in west with EAP users and its gateway certificate"
	finish
fi
echo "# ikehelper started in $(($(date +%s) - t)) s"

ping_through() {	# WHAT
	check "$1: ping 10.11.0.1 -> 10.12.0.1 through the tunnel" \
		ip netns exec west ping -c 2 -i 0.3 -W 2 -I 10.11.0.1 10.12.0.1
}
nothing_installed() {	# WHAT
	same "$1: no kesp SA in west" "$(kernel_sa_count west)" 0
	same "$1: no XFRM SA in east" "$(xfrm_count east)" 0
}

# ---- ikehelper the EAP client, charon the gateway ----
t=$(date +%s)
if ikectl west kesp ike up carol >/tmp/up.out 2>&1; then
	pass "carol: ikehelper (EAP-MSCHAPv2 client) connects to charon's gateway"
else
	fail "carol: ikehelper (EAP-MSCHAPv2 client) connects to charon's gateway" \
		"$(cat /tmp/up.out; tail -8 "$CHARON_LOG")"
fi
ikehelper_alive kesp
check "carol: charon ran EAP-Identity and EAP-MSCHAPv2 with the MSK" \
	grep -q "EAP method EAP_MSCHAPV2 succeeded, MSK established" "$CHARON_LOG"
check "carol: ikehelper verified charon's certificate and used the MSK" \
	log_has kesp "carol.*EAP-MSCHAPv2 succeeded as 'carol@kesp.example'"
ping_through carol
check "carol: kespctl ike down" ikectl west kesp ike down carol
sleep 0.5
same "carol: no kesp SA left" "$(kernel_sa_count west)" 0
echo "# carol: $(($(date +%s) - t)) s"

t=$(date +%s)
refuse "dave (wrong password): ikehelper's up fails with AUTHENTICATION_FAILED" 1 \
	'AUTHENTICATION_FAILED' ikectl west kesp ike up dave
nothing_installed "dave (wrong password)"
check "dave (wrong password): ikehelper's log says EAP-MSCHAPv2 and the server's refusal" \
	log_has kesp "dave.*AUTHENTICATION_FAILED: EAP-MSCHAPv2 failed .*the server refused user 'dave': E=691"
check "dave (wrong password): charon's EAP-MSCHAPv2 failed for dave" \
	grep -Eq "EAP method EAP_MSCHAPV2 failed for peer|EAP-MS-CHAPv2 verification failed" "$CHARON_LOG"
echo "# dave: $(($(date +%s) - t)) s"

# ---- charon the EAP client, ikehelper the gateway ----
t=$(date +%s)
if charon_up east erin 30; then
	pass "erin: charon (EAP-MSCHAPv2 client) connects to ikehelper's gateway"
else
	fail "erin: charon (EAP-MSCHAPv2 client) connects to ikehelper's gateway" \
		"$(tail -8 "$CHARON_LOG"; tail -5 "$(ike_log ikehelper kesp)")"
fi
ikehelper_alive kesp
check "erin: ikehelper asked EAP-Identity and authenticated EAP user 'erin'" \
	log_has kesp "gw.*EAP-MSCHAPv2: peer authenticated as EAP user 'erin'"
check "erin: charon verified ikehelper's MSK AUTH" \
	grep -q "authentication of 'kesp-gw.example' with EAP successful" "$CHARON_LOG"
ping_through erin
charon_swanctl east --terminate --ike erin --timeout 10 >/dev/null 2>&1
sleep 0.5
same "erin: after charon's DELETE no kesp SA is left" "$(kernel_sa_count west)" 0
echo "# erin: $(($(date +%s) - t)) s"

t=$(date +%s)
n0=$(grep -c 'AUTHENTICATION_FAILED\|EAP_FAILURE' "$CHARON_LOG")
charon_up east frank 15
nothing_installed "frank (wrong password)"
same "frank (wrong password): charon got EAP-Failure / AUTHENTICATION_FAILED" \
	"$(($(grep -c 'AUTHENTICATION_FAILED\|EAP_FAILURE' "$CHARON_LOG") > n0))" 1
check "frank (wrong password): ikehelper's log names method, user and cause" \
	log_has kesp "EAP-MSCHAPv2 failed for user 'frank': wrong password .*answering EAP-Failure and AUTHENTICATION_FAILED"
ikehelper_alive kesp
echo "# frank: $(($(date +%s) - t)) s"

[ "$FAILED" != 0 ] && ike_tail_logs 60
finish
