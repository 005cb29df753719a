#!/bin/sh
# The IKE peers that the daemon's interop tests stand on (ike_peers.sh),
# checked against each other. Two strongSwan charons bring up PSK tunnels
# (AES-GCM-16-256, PRF-HMAC-SHA-256, Curve25519) site to site over IPv4
# and IPv6, and a third pair through a NAT; then Libreswan's pluto takes
# west's place and tunnels with east's charon, each side initiating once.
# Every tunnel carries ping through its SAs, and the SPIs the parsers read
# from both daemons agree with each other and with both kernels. At the end
# no daemon and no mount namespace is left.
. "$KESP_SRC/selftests/tests/lib.sh"
. "$KESP_SRC/selftests/tests/ike_peers.sh"

PSK=$(od -An -tx1 -N 24 /dev/urandom | tr -d ' \n')
t0=$(date +%s)
elapsed() { echo "$(($(date +%s) - t0)) s"; }
mount_namespaces() { readlink /proc/[0-9]*/ns/mnt 2>/dev/null | sort -u | wc -l; }
mnt_before=$(mount_namespaces)

ike_sites
ike_nat_sites 4
echo "topologies ready after $(elapsed)"
mkdir -p west east x y pluto

# conn NAME LOCAL REMOTE LOCAL-ID REMOTE-ID LOCAL-TS REMOTE-TS: a swanctl.conf
# connection with one tunnel-mode child of the same name.
conn() {
	cat <<EOF
	$1 {
		version = 2
		local_addrs = $2
		remote_addrs = $3
		proposals = aes256gcm16-prfsha256-curve25519
		local {
			auth = psk
			id = $4
		}
		remote {
			auth = psk
			id = $5
		}
		children {
			$1 {
				local_ts = $6
				remote_ts = $7
				esp_proposals = aes256gcm16
				mode = tunnel
			}
		}
	}
EOF
}
secret() {
	printf 'secrets {\n\tike-1 {\n\t\tid-1 = %s\n\t\tid-2 = %s\n\t\tsecret = %s\n\t}\n}\n' "$1" "$2" "$PSK"
}
# site_conf ID PEER-ID ADDR4 PEER4 NET4 PEER-NET4 ADDR6 PEER6 NET6 PEER-NET6:
# one site's swanctl.conf, a tunnel over each family to the other site.
site_conf() {
	echo "connections {"
	conn v4 $3 $4 $1 $2 $5 $6
	conn v6 $7 $8 $1 $2 $9 ${10}
	echo "}"
	secret $1 $2
}
site_conf west east $WEST4 $EAST4 $WEST_NET4 $EAST_NET4 $WEST6 $EAST6 $WEST_NET6 $EAST_NET6 >west/swanctl.conf
site_conf east west $EAST4 $WEST4 $EAST_NET4 $WEST_NET4 $EAST6 $WEST6 $EAST_NET6 $WEST_NET6 >east/swanctl.conf
# y answers whoever comes: behind the NAT, x appears as the NAT's address.
{ echo "connections {"; conn nat $X $Y x y $XNET $YNET; echo "}"; secret x y; } >x/swanctl.conf
{ echo "connections {"; conn nat $Y %any y x $YNET $XNET; echo "}"; secret y x; } >y/swanctl.conf

# Started side by side: each needs seconds of the guest's CPUs. y loads
# the EAP plugins too, as a later test's responder will.
EAP_PLUGINS="eap-identity eap-mschapv2 eap-tls eap-md5"
for ns in west east x; do charon_spawn $ns $ns; done
CHARON_PLUGINS_EXTRA=$EAP_PLUGINS charon_spawn y y
for ns in west east x y; do
	if out=$(charon_wait $ns); then
		pass "charon starts in $ns and answers swanctl"
	else
		fail "charon starts in $ns and answers swanctl" "$out"
	fi
	check "swanctl loads $ns's connections and secret" charon_swanctl $ns --load-all --noprompt
done
echo "four charons up and loaded after $(elapsed)"
same "CHARON_PLUGINS_EXTRA adds plugins: y has the EAP ones" \
	"$(charon_swanctl y --stats | grep -o 'eap-[a-z0-9]*' | tr '\n' ' ')" "$EAP_PLUGINS "
same "before anything is initiated, the parsers find no SA" \
	"$(charon_child_spis west)$(charon_ike_spis west)$(charon_child_spis east)" ""

# sa_view NS CONN: what charon in NS shows of CONN's IKE SA and its child:
# the IKE SPIs, then the rest of the IKE SA (algorithms, ports), then the
# child's ESP algorithms, mode and encapsulation. spis_of and rest_of
# split such a view.
sa_view() {
	charon_get "$1" child "$2" ike.initiator-spi ike.responder-spi ike.encr-alg ike.encr-keysize \
		ike.prf-alg ike.dh-group ike.local-port ike.remote-port encr-alg encr-keysize mode encap
}
rest_of() { echo "${1#* * }"; }
spis_of() { echo "${1%" ${1#* * }"}"; }
ALGS="AES_GCM_16 256 PRF_HMAC_SHA2_256 CURVE_25519"
ESP_ALGS="AES_GCM_16 256 TUNNEL"

# kernel_sas NS LOCAL REMOTE: "IN OUT", the SPIs of NS's XFRM SAs between
# the two outer addresses (more words if there are more SAs).
kernel_sas() {
	ks=$(xfrm_spis "$1")
	echo $(echo "$ks" | awk -v l="$2" -v r="$3" '$2 == r && $3 == l {print $1}') \
		$(echo "$ks" | awk -v l="$2" -v r="$3" '$2 == l && $3 == r {print $1}')
}

# agree WHAT A A-SPIS A-LOCAL A-REMOTE B B-SPIS B-LOCAL B-REMOTE: the
# daemons in namespaces A and B report one CHILD_SA each ("IN OUT", as
# their parsers read them), A's inbound SPI is B's outbound and the
# reverse, and each kernel holds exactly those two SAs between the outer
# addresses as that side sees them (behind a NAT they differ).
agree() {
	if [ -z "$3" ] || [ "$(printf '%s\n' "$3" | wc -l)" != 1 ]; then
		fail "$1: $2 reports one CHILD_SA" "got: $3" "$(ike_tail_logs 20)"
		return 1
	fi
	same "$1: $6's SPIs are $2's, in and out swapped" "$7" "${3#* } ${3% *}"
	same "$1: $2's kernel holds exactly those SAs" "$(kernel_sas "$2" "$4" "$5")" "$3"
	same "$1: $6's kernel holds exactly those SAs" "$(kernel_sas "$6" "$8" "$9")" "$7"
}

# ping_through WHAT A A-SPIS FROM B B-SPIS TO: three pings from FROM in A to
# TO in B and back, each counted by the receiving side's inbound SA (the
# SAs are fresh: nothing else went through them).
ping_through() {
	if ip netns exec "$2" ping -c 3 -i 0.2 -W 2 -I "$4" "$7" >ping.out 2>&1; then
		pass "$1: ping from $4 to $7 and back"
	else
		fail "$1: ping from $4 to $7 and back" "$(cat ping.out)" "$(ike_tail_logs 10)"
	fi
	same "$1: the pings went through the SAs (packets in, $2 and $5)" \
		"$(xfrm_packets "$2" "${3% *}") $(xfrm_packets "$5" "${6% *}")" "3 3"
}

# ---- charon <-> charon, site to site ----
for c in v4 v6; do
	if charon_up west $c; then
		pass "charon-west initiates $c to charon-east (PSK)"
	else
		fail "charon-west initiates $c to charon-east (PSK)" "$(ike_tail_logs 20)"
	fi
done
echo "charon <-> charon: both tunnels up after $(elapsed)"
for c in v4 v6; do
	what="charon <-> charon, $c outer"
	if [ $c = v4 ]; then
		ew=$WEST4 ee=$EAST4 hw=$WEST_HOST4 he=$EAST_HOST4
	else
		ew=$WEST6 ee=$EAST6 hw=$WEST_HOST6 he=$EAST_HOST6
	fi
	w=$(charon_child_spis west $c) e=$(charon_child_spis east $c)
	agree "$what" west "$w" $ew $ee east "$e" $ee $ew || continue
	# What the daemon must expect of charon: IKE moves to 4500 in
	# IKE_AUTH though there is no NAT (MOBIKE), and ESP stays raw.
	vw=$(sa_view west $c) ve=$(sa_view east $c)
	same "$what: both sides negotiated $ALGS and ESP $ESP_ALGS; IKE moved to port 4500 without a NAT, ESP not in UDP" \
		"$(rest_of "$vw"), $(rest_of "$ve")" "$ALGS 4500 4500 $ESP_ALGS -, $ALGS 4500 4500 $ESP_ALGS -"
	same "$what: both sides name the same IKE SPIs, one pair" \
		"$(spis_of "$vw" | grep -cE '^[0-9a-f]{16} [0-9a-f]{16}$') $(spis_of "$vw")" "1 $(spis_of "$ve")"
	ping_through "$what" west "$w" $hw east "$e" $he
done

# ---- charon <-> charon through a NAT ----
what="charon <-> charon through a NAT (IPv4)"
if charon_up x nat; then
	pass "$what: x initiates from behind the NAT"
else
	fail "$what: x initiates from behind the NAT" "$(ike_tail_logs 20)"
fi
xs=$(charon_child_spis x nat) ys=$(charon_child_spis y nat)
if agree "$what" x "$xs" $X $Y y "$ys" $Y $N; then
	same "$what: y sees x at the NAT's address and a translated port, and both sides put ESP in UDP" \
		"$(charon_get y child nat ike.remote-host ike.remote-port encap |
			awk '{print $1, ($2 >= 40000 && $2 <= 40999), $3}') $(charon_get x child nat encap)" \
		"$N 1 yes yes"
	ping_through "$what" x "$xs" $XIN y "$ys" $YIN
fi

# ---- pluto <-> charon ----
# charon stops cleanly: it deletes its SAs with the peer on the way out.
charon_stop west
for _ in $(seq 50); do
	[ -z "$(charon_ike_spis east)" ] && break
	sleep 0.2
done
same "when charon-west stops, charon-east is told and drops its SAs" "$(charon_ike_spis east)" ""

# leftsourceip: pluto routes the peer's subnet (through updown) only
# when it has a source address inside its own.
cat >pluto/ipsec.conf <<EOF
config setup
	plutodebug=none

conn common
	ikev2=yes
	authby=secret
	leftid=@west
	rightid=@east
	ike=aes_gcm256-sha2_256-dh31
	esp=aes_gcm256
	type=tunnel

conn v4
	also=common
	left=$WEST4
	leftsubnet=$WEST_NET4
	leftsourceip=$WEST_HOST4
	right=$EAST4
	rightsubnet=$EAST_NET4

conn v6
	also=common
	left=$WEST6
	leftsubnet=$WEST_NET6
	leftsourceip=$WEST_HOST6
	right=$EAST6
	rightsubnet=$EAST_NET6
EOF
printf '@west @east : PSK "%s"\n' "$PSK" >pluto/ipsec.secrets
pluto_spawn west pluto
if out=$(pluto_wait west); then
	pass "pluto starts in west and answers whack"
else
	fail "pluto starts in west and answers whack" "$out"
fi
check "addconn loads pluto's two connections" pluto_add west v4 v6
echo "pluto up and loaded after $(elapsed)"
same "before anything is initiated, the parser finds no Child SA of pluto's" "$(pluto_child_spis west)" ""
if pluto_up west v4; then
	pass "pluto-west initiates v4 to charon-east (PSK)"
else
	fail "pluto-west initiates v4 to charon-east (PSK)" "$(ike_tail_logs 20)"
fi
if charon_up east v6; then
	pass "charon-east initiates v6 to pluto-west (PSK)"
else
	fail "charon-east initiates v6 to pluto-west (PSK)" "$(ike_tail_logs 20)"
fi
echo "pluto <-> charon: both tunnels up after $(elapsed)"
same "pluto shows an IKE SA and a Child SA established for each conn" \
	"$(pluto_states west | awk '{print $2, $3}' | sort | tr '\n' ' ')" \
	"v4 STATE_V2_ESTABLISHED_CHILD_SA v4 STATE_V2_ESTABLISHED_IKE_SA v6 STATE_V2_ESTABLISHED_CHILD_SA v6 STATE_V2_ESTABLISHED_IKE_SA "
for c in v4 v6; do
	if [ $c = v4 ]; then
		what="pluto <-> charon, IPv4 outer, pluto initiating"
		# Unlike charon, pluto stays on port 500 when there is no NAT.
		ports=500
		ew=$WEST4 ee=$EAST4 hw=$WEST_HOST4 he=$EAST_HOST4
	else
		what="pluto <-> charon, IPv6 outer, charon initiating"
		ports=4500
		ew=$WEST6 ee=$EAST6 hw=$WEST_HOST6 he=$EAST_HOST6
	fi
	w=$(pluto_child_spis west $c) e=$(charon_child_spis east $c)
	agree "$what" west "$w" $ew $ee east "$e" $ee $ew || continue
	same "$what: charon negotiated $ALGS and ESP $ESP_ALGS with pluto, IKE on $ports" \
		"$(rest_of "$(sa_view east $c)")" "$ALGS $ports $ports $ESP_ALGS -"
	ping_through "$what" west "$w" $hw east "$e" $he
done

# ---- nothing left behind ----
ike_stop_all
same "after the stops, no charon or pluto runs" "$(pgrep -x charon; pgrep -x pluto)" ""
same "and their mount namespaces are gone" "$(mount_namespaces)" "$mnt_before"
echo "done after $(elapsed)"
finish
