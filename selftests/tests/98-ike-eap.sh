#!/bin/sh
# EAP-MSCHAPv2 and EAP-TLS in IKE_AUTH (RFC 7296 §2.16, RFC 5216),
# ikehelper (kesp.ko) <-> charon, each as EAP client and as EAP server. The gateway authenticates itself
# with an ECDSA certificate (a CA made here with certtool), the road
# warrior with a user name and password; charon's eap-identity and
# eap-mschapv2 plugins. Each direction establishes and carries ping; a wrong
# password fails on both sides (AUTHENTICATION_FAILED, no SA), and the EAP
# server's log names the method, the user and the cause. EAP-TLS: the
# road warriors' own certificates (charon's eap-tls plugin); a client
# certificate of a CA the gateway does not trust is refused.
# Mixed methods on one gateway address (.53): charon's EAP road warrior and
# charon's PSK site-to-site peer up at once, each on its own connection
# and selectors; the site-to-site one asymmetric (the gateway signs with
# its certificate, the peer uses a PSK); a PSK peer claiming the road
# warrior's identity is refused. EAP-only (RFC 5998) between two
# ikehelpers: west's gateway and a client in namespace eo.
# Secrets: west's ikehelper logs at the highest level (-d 4: payload lists,
# every datagram as hex) through all of it, an IKE and a CHILD rekey included;
# at the end its log must hold none of the passwords and PSKs configured,
# nor any ESP key negotiated (read from charon's side: ip xfrm state).
. "$KESP_SRC/selftests/tests/lib.sh"
. "$KESP_SRC/selftests/tests/ike_peers.sh"
. "$KESP_SRC/selftests/tests/ike_lib.sh"
CHARON_LOG=$(ike_log charon east)
pki_dirs

t0=$(date +%s)
pki_key ca "--key-type ecdsa --curve secp256r1"
pki_cert ca ca self "$(pki_ca_tmpl 'kesp EAP test CA')"
pki_key rogue-ca "--key-type ecdsa --curve secp256r1"
pki_cert rogue-ca rogue-ca self "$(pki_ca_tmpl 'rogue CA')"
# Gateways and EAP-TLS road warriors (one key for the three of them);
# rogue-tls: of a CA nobody trusts.
pki_key tls "--key-type ecdsa --curve secp256r1"
for ee in kesp-gw charon-gw kesp-tls charon-tls rogue-tls; do
	ca=ca key=tls
	[ $ee = rogue-tls ] && ca=rogue-ca
	case $ee in *-gw) key=$ee; pki_key $ee "--key-type ecdsa --curve secp256r1";; esac
	pki_cert $ee $key $ca "$(pki_ee_tmpl $ee.example)"
	if [ ! -s "$PKI/$ee.pem" ]; then
		fail "certtool made the test PKI ($ee)"
		finish
	fi
done
pass "certtool made two CAs, the gateways' and three EAP-TLS certificates in $(($(date +%s) - t0)) s"
cp "$PKI/kesp-gw.pem" "$PKI/kesp-tls.pem" "$KDIR/x509/"
cp "$PKI/kesp-gw.key" "$PKI/tls.key" "$KDIR/private/"
cp "$PKI/ca.pem" "$KDIR/x509ca/"
cp "$PKI/charon-gw.pem" "$PKI/charon-tls.pem" "$PKI/rogue-tls.pem" east/x509/
cp "$PKI/charon-gw.key" "$PKI/tls.key" east/private/
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
K=10.11.0.0/24 C=10.12.0.0/24 K1=10.11.1.0/24 C1=10.12.1.0/24 E=10.13.0.0/24

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
	conn tlsc 192.168.200.54 192.168.200.2 "auth=eap-tls certs=kesp-tls.pem id=kesp-tls.example" \
		"auth=pubkey id=charon-gw.example" $K $C
	conn tlsgw 192.168.200.55 "" "auth=pubkey certs=kesp-gw.pem id=kesp-gw.example" \
		"auth=eap-tls eap_id=%any" $K $C
	conn s2s 192.168.200.53 "" "auth=pubkey certs=kesp-gw.pem id=kesp-gw.example" \
		"auth=psk id=charon-s2s.example" $K1 $C1
	conn eogw 192.168.201.1 "" "auth=eap-mschapv2 id=kesp-gw.example" "auth=eap-mschapv2" $K $E
	echo "}"
	echo "secrets {"
	eap_secret carol carol@kesp.example "carol's Pa55word"
	eap_secret dave dave "not dave's password"
	eap_secret erin erin erin-Secret-42
	eap_secret frank frank frank-Secret-17
	eap_secret gina gina@kesp.example gina-Secret-99
	printf '  ike-s2s { id = charon-s2s.example\n    secret = %s }\n' "$PSK"
	printf '}\nikehelper {\n  retransmit_timeout = 2s\n  retransmit_tries = 3\n}\n'
}

# charon: the gateway for carol and dave; the EAP clients erin and frank
# (a wrong password) of ikehelper's gateway.
charon_conf() {
	echo "connections {"
	conn gw 192.168.200.2 "" "auth=pubkey certs=charon-gw.pem id=charon-gw.example" \
		"auth=eap-mschapv2 eap_id=%any" $C $K
	conn gwtls 192.168.200.2 "" "auth=pubkey certs=charon-gw.pem id=charon-gw.example" \
		"auth=eap-tls id=kesp-tls.example eap_id=%any" $C $K
	for u in erin frank; do
		conn $u 192.168.200.2 192.168.200.53 "auth=eap-mschapv2 id=$u@kesp.example eap_id=$u" \
			"auth=pubkey id=kesp-gw.example" $C $K
	done
	# Asymmetric: our PSK, the gateway's certificate; liar: the same with
	# the road warrior erin's identity.
	conn s2s 192.168.200.2 192.168.200.53 "auth=psk id=charon-s2s.example" \
		"auth=pubkey id=kesp-gw.example" $C1 $K1
	conn liar 192.168.200.2 192.168.200.53 "auth=psk id=erin@kesp.example" \
		"auth=pubkey id=kesp-gw.example" $C $K
	for u in charon-tls rogue-tls; do
		conn $u 192.168.200.2 192.168.200.55 "auth=eap-tls certs=$u.pem id=$u.example" \
			"auth=pubkey id=kesp-gw.example" $C $K
	done
	echo "}"
	echo "secrets {"
	eap_secret carol carol@kesp.example "carol's Pa55word"
	eap_secret dave dave "dave's real password"
	eap_secret erin erin erin-Secret-42
	eap_secret frank frank "frank's wrong guess"
	printf '  ike-s2s { id = charon-s2s.example\n    secret = %s }\n' "$PSK"
	printf '  ike-liar { id = erin@kesp.example\n    secret = %s }\n' "$PSK"
	echo "}"
}
charon_conf >east/swanctl.conf

ike_sites
# eo: the EAP-only client, on its own veth to west (192.168.201.0/24).
netns_add eo
ip link add eo netns west type veth peer name wire netns eo
{
	for a in 51 52 53 54 55; do echo "addr add 192.168.200.$a/24 dev wire"; done
	printf 'addr add 10.11.1.1/24 dev site\naddr add 192.168.201.1/24 dev eo\nlink set eo up\n'
} | ip -n west -batch -
ip -n east addr add 10.12.1.1/24 dev site
printf 'addr add 192.168.201.2/24 dev wire\nlink set wire up\nlink add site type dummy\nlink set site up\naddr add 10.13.0.1/24 dev site\n' |
	ip -n eo -batch -
export CHARON_PLUGINS_EXTRA="eap-identity eap-mschapv2 eap-tls"
t=$(date +%s)
if ! charon_start east east || ! charon_swanctl east --load-all >/tmp/load.out 2>&1; then
	fail "charon starts in east with eap-identity, eap-mschapv2 and eap-tls" "$(cat /tmp/load.out)"
	finish
fi
pass "charon loaded eap-identity, eap-mschapv2 and eap-tls ($(($(date +%s) - t)) s)"
t=$(date +%s)
IH_DEBUG=4
if ! ikehelper_start west kesp "$(kesp_conf)"; then
	fail "ikehelper starts in west with EAP users and its gateway certificate"
	finish
fi
IH_DEBUG=2
echo "# ikehelper started in $(($(date +%s) - t)) s"

# esp_keys: the keys of charon's XFRM SAs now (hex digits, one a line),
# kept for the secrets check at the end.
esp_keys() {
	ip -n east xfrm state | sed -n 's/^[[:space:]]*\(aead\|enc\|auth\|auth-trunc\) [^ ]* 0x\([0-9a-f]\{16,\}\).*/\2/p' >>/tmp/esp-keys
}
: >/tmp/esp-keys

# kesp_up CONN WHAT / charon_up_ok CONN WHAT: one side initiates CONN
# (a check), and ikehelper is still running afterwards.
kesp_up() {
	if ikectl west kesp ike up "$1" >/tmp/up.out 2>&1; then
		pass "$2"
	else
		fail "$2" "$(cat /tmp/up.out; tail -8 "$CHARON_LOG")"
	fi
	ikehelper_alive kesp
}
charon_up_ok() {
	if charon_up east "$1" 30; then
		pass "$2"
	else
		fail "$2" "$(tail -8 "$CHARON_LOG"; tail -5 "$(ike_log ikehelper kesp)")"
	fi
	ikehelper_alive kesp
}

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
kesp_up carol "carol: ikehelper (EAP-MSCHAPv2 client) connects to charon's gateway"
check "carol: charon ran EAP-Identity and EAP-MSCHAPv2 with the MSK" \
	grep -q "EAP method EAP_MSCHAPV2 succeeded, MSK established" "$CHARON_LOG"
check "carol: ikehelper verified charon's certificate and used the MSK" \
	log_has kesp "carol.*EAP-MSCHAPv2 succeeded as 'carol@kesp.example'"
ping_through carol
esp_keys
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
charon_up_ok erin "erin: charon (EAP-MSCHAPv2 client) connects to ikehelper's gateway"
check "erin: ikehelper asked EAP-Identity and authenticated EAP user 'erin'" \
	log_has kesp "gw.*EAP-MSCHAPv2: peer authenticated as EAP user 'erin'"
check "erin: charon verified ikehelper's MSK AUTH" \
	grep -q "authentication of 'kesp-gw.example' with EAP successful" "$CHARON_LOG"
ping_through erin
echo "# erin: $(($(date +%s) - t)) s"

# ---- the same gateway address: a PSK site-to-site peer beside erin ----
t=$(date +%s)
charon_up_ok s2s "s2s: charon (PSK site-to-site) connects to ikehelper's .53 while erin is up"
check "s2s: ikehelper matched connection s2s by identity and method (PSK), beside gw (EAP)" \
	log_has kesp "s2s\[[0-9]+\] IKE SA established: 192\.168\.200\.53:[0-9]+\[kesp-gw\.example\]\.\.\.192\.168\.200\.2:[0-9]+\[charon-s2s\.example\]"
check "s2s: its own CHILD_SA selectors 10.11.1.0/24 === 10.12.1.0/24" \
	log_has kesp "CHILD_SA s2s\{[0-9]+\} established: .*TS 10\.11\.1\.0/24 === 10\.12\.1\.0/24"
check "erin: its CHILD_SA selectors 10.11.0.0/24 === 10.12.0.0/24" \
	log_has kesp "CHILD_SA gw\{[0-9]+\} established: .*TS 10\.11\.0\.0/24 === 10\.12\.0\.0/24"
same "s2s + erin: both CHILD_SAs in west at once (4 kesp SAs)" "$(kernel_sa_count west)" 4
check "s2s (asymmetric): ikehelper signed with its certificate towards the PSK peer" \
	log_has kesp "s2s\[[0-9]+\] authenticating with certificate '[^']*kesp-gw\.pem' \(ECDSA SHA-256, AUTH method 14\)"
check "s2s (asymmetric): charon verified the gateway's certificate signature" \
	grep -Eq "<s2s\|[0-9]+> authentication of 'kesp-gw\.example' with ECDSA_WITH_SHA256_DER successful" "$CHARON_LOG"
check "s2s (asymmetric): charon authenticated itself with the PSK" \
	grep -Eq "<s2s\|[0-9]+> authentication of 'charon-s2s\.example' \(myself\) with pre-shared key" "$CHARON_LOG"
check "s2s: ping 10.11.1.1 -> 10.12.1.1 through its tunnel" \
	ip netns exec west ping -c 2 -i 0.3 -W 2 -I 10.11.1.1 10.12.1.1
ping_through "erin (beside s2s)"

# IKE and CHILD rekeys of the PSK peer's SAs, logged at level 4.
esp_keys
ike_spi=$(ike_get west kesp spi_i | head -n 1)
ikectl west kesp ike rekey s2s >/dev/null
check "s2s: the IKE SA rekeyed at log level 4" \
	wait_event "$(ike_log ikehelper kesp)" "s2s\\[[0-9]+\\] IKE SA rekeyed"
ikectl west kesp ike rekey --child s2s >/dev/null
check "s2s: the CHILD_SA rekeyed at log level 4" \
	wait_event "$(ike_log ikehelper kesp)" "CHILD_SA s2s\\{[0-9]+\\} rekeyed"
esp_keys
charon_swanctl east --terminate --ike erin --timeout 10 >/dev/null 2>&1
charon_swanctl east --terminate --ike s2s --timeout 10 >/dev/null 2>&1
sleep 0.5
same "erin, s2s: after charon's DELETEs no kesp SA is left" "$(kernel_sa_count west)" 0
echo "# s2s: $(($(date +%s) - t)) s"

t=$(date +%s)
charon_up east liar 15
nothing_installed "liar (PSK with erin's identity)"
check "liar (PSK with erin's identity): charon got AUTHENTICATION_FAILED" \
	grep -Eq "<liar\\|[0-9]+> received AUTHENTICATION_FAILED notify error" "$CHARON_LOG"
check "liar (PSK with erin's identity): ikehelper's log names the identity, method and why" \
	log_has kesp "no connection for peer identity 'erin@kesp\.example' \(.*, PSK\): .*gw: remote auth is eap.*s2s: expects peer 'charon-s2s\.example'.*answering AUTHENTICATION_FAILED"
ikehelper_alive kesp
echo "# liar: $(($(date +%s) - t)) s"

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

# ---- EAP-TLS: ikehelper the peer, charon the server ----
t=$(date +%s)
kesp_up tlsc "kesp-tls: ikehelper (EAP-TLS peer) connects to charon's gateway"
check "kesp-tls: charon ran EAP-TLS and has the MSK" \
	grep -q "EAP method EAP_TLS succeeded, MSK established" "$CHARON_LOG"
check "kesp-tls: ikehelper trusted charon's TLS certificate and used the MSK" \
	log_has kesp "tlsc.*EAP-TLS succeeded as 'kesp-tls.example' \\(the server's certificate '[^']*CN=charon-gw.example'"
ping_through kesp-tls
check "kesp-tls: kespctl ike down" ikectl west kesp ike down tlsc
sleep 0.5
same "kesp-tls: no kesp SA left" "$(kernel_sa_count west)" 0
echo "# kesp-tls: $(($(date +%s) - t)) s"

# ---- EAP-TLS: charon the peer, ikehelper the server ----
t=$(date +%s)
charon_up_ok charon-tls "charon-tls: charon (EAP-TLS peer) connects to ikehelper's gateway"
check "charon-tls: ikehelper asked EAP-Identity and trusted charon's certificate" \
	log_has kesp "tlsgw.*EAP-TLS: peer authenticated as EAP user 'charon-tls.example' with certificate '[^']*CN=charon-tls.example'"
check "charon-tls: charon verified ikehelper's MSK AUTH" \
	grep -q "authentication of 'kesp-gw.example' with EAP successful" "$CHARON_LOG"
ping_through charon-tls
charon_swanctl east --terminate --ike charon-tls --timeout 10 >/dev/null 2>&1
sleep 0.5
same "charon-tls: after charon's DELETE no kesp SA is left" "$(kernel_sa_count west)" 0
echo "# charon-tls: $(($(date +%s) - t)) s"

t=$(date +%s)
n0=$(grep -c 'AUTHENTICATION_FAILED\|EAP_FAILURE' "$CHARON_LOG")
charon_up east rogue-tls 15
nothing_installed "rogue-tls (untrusted CA)"
same "rogue-tls (untrusted CA): charon got EAP-Failure / AUTHENTICATION_FAILED" \
	"$(($(grep -c 'AUTHENTICATION_FAILED\|EAP_FAILURE' "$CHARON_LOG") > n0))" 1
check "rogue-tls (untrusted CA): ikehelper's log names the certificate and its unknown CA" \
	log_has kesp "EAP-TLS: the client's certificate is refused: certificate '[^']*CN=rogue-tls.example' has an unknown issuer '[^']*CN=rogue CA'.*answering EAP-Failure and AUTHENTICATION_FAILED"
ikehelper_alive kesp
echo "# rogue-tls: $(($(date +%s) - t)) s"

# ---- EAP-only (RFC 5998): ikehelper (eo) the client of west's ikehelper ----
t=$(date +%s)
if ikehelper_start eo eo "$(
	echo "connections {"
	conn eo 192.168.201.2 192.168.201.1 "auth=eap-mschapv2 id=gina@kesp.example" \
		"auth=eap-mschapv2 id=kesp-gw.example" $E $K
	echo "}"
	echo "secrets {"
	eap_secret gina gina@kesp.example gina-Secret-99
	echo "}"
)"; then
	check "eo: EAP-only between two ikehelpers establishes" ikectl eo eo ike up eo
	check "eo: the gateway sent no AUTH before EAP (EAP-only, RFC 5998)" \
		log_has eo "EAP-only authentication \(RFC 5998\): server 'kesp-gw\.example' sent no AUTH before EAP"
	check "eo: the gateway was asked for EAP-only and sent no AUTH of its own" \
		log_has kesp "EAP-only authentication \(RFC 5998\) asked by peer 'gina@kesp\.example': no AUTH of ours before EAP \(connection 'eogw'\)"
	check "eo: the gateway proved itself by MSCHAPv2 (client's log)" \
		log_has eo "EAP-MSCHAPv2: the server proved it knows our password"
	check "eo: ping 10.13.0.1 -> 10.11.0.1 through the EAP-only tunnel" \
		ip netns exec eo ping -c 2 -i 0.3 -W 2 -I 10.13.0.1 10.11.0.1
	ikehelper_alive eo
else
	fail "ikehelper starts in eo as an EAP-only client"
fi
ikehelper_alive kesp
echo "# eo: $(($(date +%s) - t)) s"

# ---- no secret in the log of a run at the highest level ----
# shellcheck disable=SC2046
set -- $(sort -u /tmp/esp-keys)
same "secrets: charon's ESP keys read (carol, erin, s2s before and after its rekey)" \
	"$([ $# -ge 8 ] && echo yes || echo "no: $#")" yes
log_secrets_absent kesp "secrets" "carol's Pa55word" "not dave's password" erin-Secret-42 \
	frank-Secret-17 gina-Secret-99 "$(echo "$PSK" | tr -d '"')" "$@"
check "secrets: the log has datagram dumps the search reads (an IKE SPI of s2s/erin is in them)" \
	sh -c 'log=$1.hex; [ -n "$2" ] && grep -qi "$2" "$log"' - "$(ike_log ikehelper kesp)" "$ike_spi"

[ "$FAILED" != 0 ] && ike_tail_logs 60
finish
