#!/bin/sh
# ikehelper (kesp.ko) <-> strongSwan's charon with certificates: a test CA
# and an intermediate made here (certtool), end entities with ECDSA P-256,
# ECDSA P-384, RSA-3072 (RSA-PSS signatures) and Ed25519 keys on both sides, each side
# initiating, traffic through each tunnel. ikehelper reads swanctl's
# directory layout beside its config (x509/, x509ca/, x509crl/, private/);
# charon sends its intermediate, ikehelper its own. Then the negatives,
# charon initiating with a certificate ikehelper must refuse (an untrusted
# CA, an expired one, one revoked by a CRL) and ikehelper claiming an
# identity its certificate does not hold: no SA on either side,
# AUTHENTICATION_FAILED at charon, ikehelper's log line naming the cause.
# Online revocation: an OCSP responder (openssl ocsp, signing with the
# intermediate) and an HTTP server for a CRL of the CA (busybox httpd),
# both in west beside ikehelper: charon with a certificate OCSP says is
# good gets its SA, with one OCSP says is revoked and with one on the CRL
# behind its distribution point it does not.
. "$KESP_SRC/selftests/tests/lib.sh"
. "$KESP_SRC/selftests/tests/ike_peers.sh"
. "$KESP_SRC/selftests/tests/ike_lib.sh"
CHARON_LOG=$(ike_log charon east)
pki_dirs

# ---- the PKI (certtool: one program, quick to start under TCG) ----
t0=$(date +%s)
pki_key ca "--key-type ecdsa --curve secp256r1"
pki_key int "--key-type ecdsa --curve secp384r1"
pki_key other "--key-type ecdsa --curve secp256r1"
pki_cert ca ca self "$(pki_ca_tmpl 'kesp test CA')"
pki_cert int int ca "$(pki_ca_tmpl 'kesp intermediate')"
pki_cert other other self "$(pki_ca_tmpl 'some other CA')"
for side in kesp charon; do
	pki_key $side-p256 "--key-type ecdsa --curve secp256r1"
	pki_key $side-p384 "--key-type ecdsa --curve secp384r1"
	pki_key $side-rsa "--key-type rsa --bits 3072"
	pki_key $side-ed "--key-type ed25519"
	for t in p256 p384 rsa ed; do
		pki_cert $side-$t $side-$t int "$(pki_ee_tmpl $side-$t.example)"
	done
done
# charon's certificates that ikehelper must refuse (charon's P-256 key)
pki_cert charon-expired charon-p256 int "$(pki_ee_tmpl charon-expired.example \
	"$(printf 'activation_date = "2020-01-01 00:00:00"\nexpiration_date = "2020-02-01 00:00:00"')")"
pki_cert charon-revoked charon-p256 int "$(pki_ee_tmpl charon-revoked.example)"
pki_cert charon-stranger charon-p256 other "$(pki_ee_tmpl charon-stranger.example)"
printf 'crl_next_update = 7\ncrl_number = 1\n' >"$PKI/crl.tmpl"
certtool --generate-crl --load-ca-privkey "$PKI/int.key" --load-ca-certificate "$PKI/int.pem" \
	--load-certificate "$PKI/charon-revoked.pem" --template "$PKI/crl.tmpl" \
	--outfile "$PKI/int.crl" >/dev/null 2>&1
# online revocation: the AIA names the responder, the CDP the CRL's URL
OCSP_URL=http://127.0.0.1:8888/ CRL_URL=http://127.0.0.1:8889/ca.crl
pki_cert charon-ocsp-good charon-p256 int "$(pki_ee_tmpl charon-ocsp-good.example \
	"$(printf 'expiration_days = 2\nocsp_uri = "%s"' "$OCSP_URL")")"
pki_cert charon-ocsp-revoked charon-p256 int "$(pki_ee_tmpl charon-ocsp-revoked.example \
	"$(printf 'expiration_days = 2\nocsp_uri = "%s"' "$OCSP_URL")")"
pki_cert charon-cdp-revoked charon-p256 ca "$(pki_ee_tmpl charon-cdp-revoked.example \
	"$(printf 'expiration_days = 2\ncrl_dist_points = "%s"' "$CRL_URL")")"
mkdir -p "$PKI/www"
certtool --generate-crl --load-ca-privkey "$PKI/ca.key" --load-ca-certificate "$PKI/ca.pem" \
	--load-certificate "$PKI/charon-cdp-revoked.pem" --template "$PKI/crl.tmpl" --outder \
	--outfile "$PKI/www/ca.crl" >/dev/null 2>&1
serial() { openssl x509 -noout -serial -in "$PKI/$1.pem" | sed 's/^serial=//'; }
printf 'V\t391231235959Z\t\t%s\tunknown\t/CN=good\nR\t391231235959Z\t200102030405Z,keyCompromise\t%s\tunknown\t/CN=revoked\n' \
	"$(serial charon-ocsp-good)" "$(serial charon-ocsp-revoked)" >"$PKI/index.txt"
missing=""
for f in ca int other kesp-p256 kesp-rsa kesp-ed charon-p256 charon-rsa charon-ed \
	charon-expired charon-revoked charon-stranger charon-ocsp-good charon-ocsp-revoked \
	charon-cdp-revoked; do
	[ -s "$PKI/$f.pem" ] || missing="$missing $f"
done
[ -s "$PKI/int.crl" ] || missing="$missing int.crl"
[ -s "$PKI/www/ca.crl" ] || missing="$missing www/ca.crl"
if [ -n "$missing" ]; then
	fail "certtool made the test PKI" "missing:$missing"
	finish
fi
pass "certtool made the test PKI (CA, intermediate, 15 end entities, 2 CRLs) in $(($(date +%s) - t0)) s"

# ikehelper: its certificates in x509/, keys in private/ (PEM as certtool
# writes them: SEC1, PKCS#1, PKCS#8), the CA and the intermediate in x509ca/
# (DER, to read both encodings), the CRL in x509crl/.
for t in p256 p384 rsa ed; do
	cp "$PKI/kesp-$t.pem" "$KDIR/x509/"
	cp "$PKI/kesp-$t.key" "$KDIR/private/"
done
certtool --certificate-info --infile "$PKI/ca.pem" --outder --outfile "$KDIR/x509ca/ca.der" >/dev/null 2>&1
cp "$PKI/int.pem" "$KDIR/x509ca/"
cp "$PKI/int.crl" "$KDIR/x509crl/"
# charon: its certificates and keys, the CA and the intermediate.
for f in p256 p384 rsa ed expired revoked stranger ocsp-good ocsp-revoked cdp-revoked; do
	cp "$PKI/charon-$f.pem" east/x509/
done
for t in p256 p384 rsa ed; do cp "$PKI/charon-$t.key" east/private/; done
cp "$PKI/ca.pem" "$PKI/int.pem" east/x509ca/

# case NAME KESP-ADDR KESP-CERT CHARON-CERT KESP-AUTH CHARON-AUTH
cat >/tmp/cases <<'EOF'
p256 192.168.200.31 p256 p256 pubkey pubkey
p384 192.168.200.34 p384 p384 pubkey pubkey
rsa-pss 192.168.200.32 rsa rsa rsa/pss rsa/pss
ed25519 192.168.200.33 ed ed pubkey pubkey
EOF
# negatives: charon initiates with CERT; ikehelper must say CAUSE
cat >/tmp/negs <<'EOF'
untrusted 192.168.200.41 stranger has an unknown issuer '[^']*CN=some other CA' \(no CA certificate of that name is loaded\)
expired 192.168.200.42 expired certificate '[^']*CN=charon-expired.example' expired on 2020-02-01
revoked 192.168.200.43 revoked certificate '[^']*CN=charon-revoked.example' is revoked by the CRL of '[^']*CN=kesp intermediate'
ocsp-revoked 192.168.200.45 ocsp-revoked certificate '[^']*CN=charon-ocsp-revoked.example' is revoked by OCSP responder http://127.0.0.1:8888/ at 2020-01-02 03:04:05 UTC \(keyCompromise\)
cdp-revoked 192.168.200.46 cdp-revoked certificate '[^']*CN=charon-cdp-revoked.example' is revoked by the CRL of '[^']*CN=kesp test CA' fetched from http://127.0.0.1:8889/ca.crl
EOF
# online good: charon initiates with CERT, ikehelper asks the responder, accepts
echo "ocsp-good 192.168.200.47 ocsp-good" >/tmp/goods

# conn NAME LOCAL-ADDR REMOTE-ADDR AUTH CERT ID REMOTE-ID LOCAL-TS REMOTE-TS
#      [EXTRA]: one connection of either side's swanctl.conf (the same
# syntax for both); EXTRA goes into its remote section (cacerts).
conn() {
	cat <<EOF
  $1 {
    local_addrs = $2
    ${3:+remote_addrs = $3}
    proposals = aes256gcm16-prfsha256-x25519
    local { auth = $4
      certs = $5.pem
      id = $6 }
    remote { auth = pubkey
      id = $7
      ${10:-} }
    children { $1 { local_ts = $8
      remote_ts = $9
      esp_proposals = aes128gcm16 } }
  }
EOF
}

kesp_conf() {
	echo "connections {"
	while read -r name ka kc cc kauth cauth; do
		conn "$name" "$ka" 192.168.200.2 "$kauth" "kesp-$kc" "kesp-$kc.example" \
			"charon-$cc.example" 10.11.0.0/24 10.12.0.0/24 "cacerts = ca.der"
	done </tmp/cases
	while read -r name ka cert cause; do
		conn "neg-$name" "$ka" "" pubkey kesp-p256 kesp-p256.example \
			"charon-$cert.example" 10.11.0.0/24 10.12.0.0/24 "cacerts = ca.der"
	done </tmp/negs
	while read -r name ka cert; do
		conn "$name" "$ka" "" pubkey kesp-p256 kesp-p256.example \
			"charon-$cert.example" 10.11.0.0/24 10.12.0.0/24 "cacerts = ca.der"
	done </tmp/goods
	conn liar 192.168.200.44 192.168.200.2 pubkey kesp-p256 liar.example \
		charon-p256.example 10.11.0.0/24 10.12.0.0/24
	printf '}\nikehelper {\n  retransmit_timeout = 2s\n  retransmit_tries = 3\n}\n'
}

charon_conf() {
	echo "connections {"
	while read -r name ka kc cc kauth cauth; do
		conn "$name" 192.168.200.2 "$ka" "$cauth" "charon-$cc" "charon-$cc.example" \
			"kesp-$kc.example" 10.12.0.0/24 10.11.0.0/24
	done </tmp/cases
	while read -r name ka cert cause; do
		conn "neg-$name" 192.168.200.2 "$ka" pubkey "charon-$cert" \
			"charon-$cert.example" kesp-p256.example 10.12.0.0/24 10.11.0.0/24
	done </tmp/negs
	while read -r name ka cert; do
		conn "$name" 192.168.200.2 "$ka" pubkey "charon-$cert" \
			"charon-$cert.example" kesp-p256.example 10.12.0.0/24 10.11.0.0/24
	done </tmp/goods
	conn liar 192.168.200.2 192.168.200.44 pubkey charon-p256 charon-p256.example \
		liar.example 10.12.0.0/24 10.11.0.0/24
	echo "}"
}

ike_sites
{
	for a in 31 32 33 34 41 42 43 44 45 46 47; do echo "addr add 192.168.200.$a/24 dev wire"; done
	echo "link set lo up"
} | ip -n west -batch -
# The OCSP responder and the CRL's HTTP server, in west beside ikehelper.
ip netns exec west openssl ocsp -index "$PKI/index.txt" -port 8888 -CA "$PKI/int.pem" \
	-rsigner "$PKI/int.pem" -rkey "$PKI/int.key" -nmin 5 >"$IKE_STATE/ocsp.log" 2>&1 &
OCSP_PID=$!
ip netns exec west busybox httpd -f -p 127.0.0.1:8889 -h "$PKI/www" &
HTTPD_PID=$!
charon_conf >east/swanctl.conf
if ! charon_start east east || ! charon_swanctl east --load-all >/tmp/load.out 2>&1; then
	fail "charon starts in east and loads its certificates" "$(cat /tmp/load.out)"
	finish
fi
if ! ikehelper_start west kesp "$(kesp_conf)"; then
	fail "ikehelper starts in west with its certificates"
	finish
fi
check "ikehelper warns at start that 'liar.example' is not in its certificate" \
	log_has kesp "our id 'liar.example' is not in our certificate"


ping_through() {	# WHAT
	check "$1: ping 10.11.0.1 -> 10.12.0.1 through the tunnel" \
		ip netns exec west ping -c 2 -i 0.3 -W 2 -I 10.11.0.1 10.12.0.1
}

while read -r name ka kc cc kauth cauth; do
	t=$(date +%s)
	if ikectl west kesp ike up "$name" >/tmp/up.out 2>&1; then
		pass "$name: ikehelper initiates with its $kc certificate ($kauth), charon accepts"
	else
		fail "$name: ikehelper initiates with its $kc certificate ($kauth), charon accepts" \
			"$(cat /tmp/up.out; tail -5 "$CHARON_LOG")"
		continue
	fi
	ikehelper_alive kesp
	check "$name: ikehelper verified charon's chain (end entity + intermediate)" \
		log_has kesp "$name.*certificate '[^']*CN=charon-$cc.example' .* is trusted"
	ping_through "$name"
	check "$name: kespctl ike down" ikectl west kesp ike down "$name"
	sleep 0.5
	same "$name: no kesp SA left" "$(kernel_sa_count west)" 0
	if charon_up east "$name" 30; then
		pass "$name: charon initiates with its $cc certificate ($cauth), ikehelper accepts"
	else
		fail "$name: charon initiates, ikehelper accepts" "$(tail -5 "$CHARON_LOG")"
		continue
	fi
	ping_through "$name (charon initiated)"
	ikehelper_alive kesp
	charon_swanctl east --terminate --ike "$name" --timeout 10 >/dev/null 2>&1
	sleep 0.5
	same "$name: after charon's DELETE no kesp SA is left" "$(kernel_sa_count west)" 0
	echo "# $name: $(($(date +%s) - t)) s"
done </tmp/cases
check "charon verified ikehelper's RSA-PSS signature" \
	grep -q "authentication of 'kesp-rsa.example' with RSA_EMSA_PSS.*successful" "$CHARON_LOG"
check "charon verified ikehelper's ECDSA P-384 signature" \
	grep -q "authentication of 'kesp-p384.example' with .*384.* successful" "$CHARON_LOG"
check "charon verified ikehelper's Ed25519 signature" \
	grep -q "authentication of 'kesp-ed.example' with ED25519 successful" "$CHARON_LOG"

# ---- negatives ----
nothing_installed() {	# WHAT
	same "$1: no kesp SA in west" "$(kernel_sa_count west)" 0
	same "$1: no XFRM SA in east" "$(xfrm_count east)" 0
}

while read -r name ka cert cause; do
	t=$(date +%s)
	n0=$(grep -c 'received AUTHENTICATION_FAILED notify error' "$CHARON_LOG")
	charon_up east "neg-$name" 15
	nothing_installed "$name certificate"
	same "$name certificate: charon got AUTHENTICATION_FAILED" \
		"$(($(grep -c 'received AUTHENTICATION_FAILED notify error' "$CHARON_LOG") > n0))" 1
	check "$name certificate: ikehelper's log names it: $cause" log_has kesp "$cause"
	echo "# $name: $(($(date +%s) - t)) s"
done </tmp/negs
check "ikehelper asked the OCSP responder (the IKE_AUTH waited for the fetch)" \
	log_has kesp "neg-ocsp-revoked.*IKE_AUTH request 1 waits for a revocation fetch"
while read -r name ka cert; do
	t=$(date +%s)
	if charon_up east "$name" 20; then
		pass "$name: charon initiates with a certificate OCSP says is good, ikehelper accepts"
	else
		fail "$name: charon initiates, ikehelper accepts" "$(tail -5 "$CHARON_LOG")"
	fi
	check "$name: ikehelper fetched its status and trusts it" log_has kesp \
		"$name.*certificate '[^']*CN=charon-$cert.example' .* is trusted"
	ping_through "$name"
	charon_swanctl east --terminate --ike "$name" --timeout 10 >/dev/null 2>&1
	sleep 0.5
	same "$name: after charon's DELETE no kesp SA is left" "$(kernel_sa_count west)" 0
	echo "# $name: $(($(date +%s) - t)) s"
done </tmp/goods
kill "$OCSP_PID" "$HTTPD_PID" 2>/dev/null
ikehelper_alive kesp
refuse "an identity not in ikehelper's certificate: charon answers AUTHENTICATION_FAILED" 1 \
	'AUTHENTICATION_FAILED' ikectl west kesp ike up liar
nothing_installed "identity not in the certificate"
check "identity not in the certificate: charon's log says why" \
	grep -q "liar.example" "$CHARON_LOG"
check "identity not in the certificate: ikehelper says the peer refused its certificate" \
	log_has kesp "liar.*rejected our authentication .AUTHENTICATION_FAILED.: we are 'liar.example' with certificate"

[ "$FAILED" != 0 ] && ike_tail_logs 40
finish
