#!/bin/sh
# ikehelper (kesp.ko) <-> strongSwan's charon (XFRM), each side initiating:
# the IKE proposals (x25519, ecp256, modp2048), the ESP ones (AES-GCM-128
# and -256, ChaCha20-Poly1305, AES-CBC with HMAC-SHA-256 and -SHA-1),
# tunnel mode with IPv4 and IPv6 selectors in one CHILD_SA, transport mode
# host to host, IPv4 and IPv6 outer. One charon for all of it; each case
# has its own address pair, so charon picks its connection as it would on a
# real gateway. Every tunnel carries ping (iperf3 once), and both daemons
# must show the same SPIs. Then the negatives: no SA on either side, the
# notify in charon's log, ikehelper's log line naming the cause.
# The status views on the first case: kespctl show (and --json) against
# swanctl --list-sas (SPIs, packet counters after a known number of pings),
# kespctl monitor's IKE events (up, IKE and CHILD rekeys, down, a failure
# with its reason).
# Childless IKE SAs (RFC 6023), each side with childless = force: the
# IKE_AUTH carries no CHILD_SA (charon's and ikehelper's logs say), the
# CHILD_SA comes by CREATE_CHILD_SA with its own KE and carries ping;
# kespctl ike up --no-child brings up the IKE SA alone, listed without
# CHILD_SA; ikehelper's IKE_AUTH with a CHILD_SA to charon's force is
# refused with INVALID_SYNTAX.
# ikehelper runs as ikehelper.service runs it: its capability bounding set
# only CAP_NET_ADMIN and CAP_NET_BIND_SERVICE, no new privileges; it must
# keep only CAP_NET_ADMIN once started. A reload that changes one
# connection leaves another's CHILD_SA (its SPIs) alone.
. "$KESP_SRC/selftests/tests/lib.sh"
. "$KESP_SRC/selftests/tests/ike_peers.sh"
. "$KESP_SRC/selftests/tests/ike_lib.sh"
CHARON_LOG=$(ike_log charon east)

# case NAME A-ADDR B-ADDR IKE ESP MODE LOCAL_TS REMOTE_TS: one connection
# on each side. A is ikehelper's address for it, B charon's. The first
# ESP proposal names a DH group (PFS for rekeys; IKE_AUTH skips it).
cat >/tmp/cases <<'EOF'
x25519-gcm128 192.168.200.11 192.168.200.2 aes256gcm16-prfsha256-x25519 aes128gcm16-x25519 tunnel 10.11.0.0/24,fd00:11::/64 10.12.0.0/24,fd00:12::/64
ecp256-gcm256-v6 fd00:200::12 fd00:200::2 aes128-sha256-ecp256 aes256gcm16 tunnel 10.11.0.0/24 10.12.0.0/24
modp2048-chacha 192.168.200.13 192.168.200.2 aes256-sha384-modp2048 chacha20poly1305 tunnel 10.11.0.0/24,10.11.9.0/24 10.12.0.0/24
cbc-sha256-transport 192.168.200.14 192.168.200.2 aes256gcm16-prfsha256-x25519 aes128-sha256 transport dynamic dynamic
cbc-sha1 192.168.200.15 192.168.200.2 aes128-sha256-x25519 aes128-sha1 tunnel 10.11.0.0/24 10.12.0.0/24
EOF

# kesp_id NAME: ikehelper's identity in case NAME, one of each type, as
# both sides write it in swanctl.conf (charon must read it to the same
# bytes: the DN is DER-encoded by each side on its own).
kesp_id() {
	case $1 in
	x25519-gcm128) echo kesp@x25519.example ;;
	ecp256-gcm256-v6) echo fd00:200::12 ;;
	modp2048-chacha) echo '"C=CH, O=kesp, OU=tests, CN=modp2048-chacha"' ;;
	cbc-sha256-transport) echo 192.168.200.14 ;;
	*) echo "$1.kesp" ;;
	esac
}

# cl_conn NAME LOCAL REMOTE LOCAL_ID REMOTE_ID LOCAL_NET REMOTE_NET CHILDLESS:
# a connection (either side) of the childless cases, its CHILD_SA with PFS.
cl_conn() {
	cat <<EOF
  $1 {
    local_addrs = $2
    remote_addrs = $3
    proposals = aes256gcm16-prfsha256-x25519
    childless = $8
    local { auth = psk
      id = $4 }
    remote { auth = psk
      id = $5 }
    children { $1 { local_ts = $6.0.0/24
      remote_ts = $7.0.0/24
      esp_proposals = aes128gcm16-x25519 } }
  }
EOF
}

kesp_conf() {
	echo "connections {"
	while read -r name aa ba ike esp mode lts rts; do
		[ -n "$name" ] || continue
		cat <<EOF
  $name {
    local_addrs = $aa
    remote_addrs = $ba
    proposals = $ike
    local { auth = psk
      id = $(kesp_id $name) }
    remote { auth = psk
      id = charon }
    children {
      $name {
        local_ts = $lts
        remote_ts = $rts
        esp_proposals = $esp
        mode = $mode
        replay_window = 1024
      }
    }
  }
EOF
	done </tmp/cases
	cat <<EOF
$(cl_conn cl-force 192.168.200.16 192.168.200.2 cl-force.kesp charon 10.11 10.12 force)
$(cl_conn cl-charon 192.168.200.17 192.168.200.2 cl-charon.kesp charon 10.11 10.12 allow)
  neg-in {
    local_addrs = 192.168.200.24
    local { auth = psk
      id = neg-in.kesp }
    remote { auth = psk
      id = charon-neg }
    children { neg-in { local_ts = 10.11.0.0/24
      remote_ts = 10.12.0.0/24 } }
  }
  bad-psk {
    local_addrs = 192.168.200.21
    remote_addrs = 192.168.200.2
    local { auth = psk
      id = bad-psk.kesp }
    remote { auth = psk
      id = charon }
    children { bad-psk { local_ts = 10.11.0.0/24
      remote_ts = 10.12.0.0/24 } }
  }
  stranger {
    local_addrs = 192.168.200.21
    remote_addrs = 192.168.200.2
    local { auth = psk
      id = stranger.kesp }
    remote { auth = psk
      id = charon }
    children { stranger { local_ts = 10.11.0.0/24
      remote_ts = 10.12.0.0/24 } }
  }
  disjoint-ike {
    local_addrs = 192.168.200.22
    remote_addrs = 192.168.200.2
    proposals = aes128-sha512-modp3072
    local { auth = psk
      id = disjoint-ike.kesp }
    remote { auth = psk
      id = charon }
    children { disjoint-ike { local_ts = 10.11.0.0/24
      remote_ts = 10.12.0.0/24 } }
  }
  disjoint-ts {
    local_addrs = 192.168.200.23
    remote_addrs = 192.168.200.2
    proposals = aes256gcm16-prfsha256-x25519
    local { auth = psk
      id = disjoint-ts.kesp }
    remote { auth = psk
      id = charon }
    children { disjoint-ts { local_ts = 10.11.0.0/24
      remote_ts = 10.7.0.0/24 } }
  }
}
ikehelper {
  # the negatives must fail fast; retransmission itself is unit-tested
  retransmit_timeout = 2s
  retransmit_tries = 3
}
secrets {
  ike-charon { id = charon
    secret = $PSK }
  ike-bad { id-1 = bad-psk.kesp
    id-2 = charon
    secret = "Kq8#z!Lm2@vX9$wB4^nR7&" }
  ike-neg { id = charon-neg
    secret = "Tz3!pQ7#mW1@kY6$hV9^" }
}
EOF
}

charon_conf() {
	echo "connections {"
	while read -r name aa ba ike esp mode lts rts; do
		[ -n "$name" ] || continue
		cat <<EOF
  $name {
    local_addrs = $ba
    remote_addrs = $aa
    proposals = $ike
    local { auth = psk
      id = charon }
    remote { auth = psk
      id = $(kesp_id $name) }
    children {
      $name {
        local_ts = $rts
        remote_ts = $lts
        esp_proposals = $esp
        mode = $mode
      }
    }
  }
EOF
	done </tmp/cases
	cat <<EOF
$(cl_conn cl-force 192.168.200.2 192.168.200.16 charon cl-force.kesp 10.12 10.11 allow)
$(cl_conn cl-charon 192.168.200.2 192.168.200.17 charon cl-charon.kesp 10.12 10.11 force)
  neg-psk {
    local_addrs = 192.168.200.2
    remote_addrs = 192.168.200.24
    local { auth = psk
      id = charon-neg }
    remote { auth = psk }
    children { neg-psk { local_ts = 10.12.0.0/24
      remote_ts = 10.11.0.0/24 } }
  }
  neg-id {
    local_addrs = 192.168.200.2
    remote_addrs = 192.168.200.24
    local { auth = psk
      id = nobody-kesp-knows }
    remote { auth = psk }
    children { neg-id { local_ts = 10.12.0.0/24
      remote_ts = 10.11.0.0/24 } }
  }
  neg-a {
    local_addrs = 192.168.200.2
    remote_addrs = 192.168.200.21
    proposals = aes256gcm16-prfsha256-x25519
    local { auth = psk
      id = charon }
    remote { auth = psk
      id = bad-psk.kesp }
    children { neg-a { local_ts = 10.12.0.0/24
      remote_ts = 10.11.0.0/24 } }
  }
  neg-ike {
    local_addrs = 192.168.200.2
    remote_addrs = 192.168.200.22
    proposals = aes256gcm16-prfsha256-x25519
    local { auth = psk
      id = charon }
    remote { auth = psk
      id = disjoint-ike.kesp }
    children { neg-ike { local_ts = 10.12.0.0/24
      remote_ts = 10.11.0.0/24 } }
  }
  neg-ts {
    local_addrs = 192.168.200.2
    remote_addrs = 192.168.200.23
    proposals = aes256gcm16-prfsha256-x25519
    local { auth = psk
      id = charon }
    remote { auth = psk
      id = disjoint-ts.kesp }
    children { neg-ts { local_ts = 10.12.0.0/24
      remote_ts = 10.11.0.0/24 } }
  }
}
secrets {
  ike-1 { secret = $PSK }
  ike-neg { id = charon-neg
    secret = "Rb5@nG2#xL8!qP4$cZ1^" }
}
EOF
}

ike_sites
{
	for a in 11 13 14 15 16 17 21 22 23 24; do echo "addr add 192.168.200.$a/24 dev wire"; done
	echo "addr add fd00:200::12/64 dev wire nodad"
} | ip -n west -batch -
# charon's host-to-host and site routes come from charon itself (table 220).
mkdir -p east
charon_conf >east/swanctl.conf
if ! charon_start east east || ! charon_swanctl east --load-all >/tmp/load.out 2>&1; then
	fail "charon starts in east" "$(cat /tmp/load.out)"
	finish
fi
# The unit's CapabilityBoundingSet and NoNewPrivileges (dist/ikehelper.service.in).
IKEHELPER_WRAP="setpriv --bounding-set=-all,+net_admin,+net_bind_service --inh-caps=-all --no-new-privs"
if ! ikehelper_start west kesp "$(kesp_conf)"; then
	fail "ikehelper starts in west"
	finish
fi
IKEHELPER_WRAP=
# cap_field FIELD: its hex value in ikehelper's /proc status.
cap_field() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$(cat "$IKE_STATE/ikehelper-kesp/pid")/status"; }
same "ikehelper under the unit's bounding set (CAP_NET_ADMIN, CAP_NET_BIND_SERVICE)" \
	"$(cap_field CapBnd)" 0000000000001400
same "after start-up ikehelper keeps CAP_NET_ADMIN alone (effective, permitted)" \
	"$(cap_field CapEff) $(cap_field CapPrm) $(cap_field CapInh) $(cap_field CapAmb)" \
	"0000000000001000 0000000000001000 0000000000000000 0000000000000000"
same "and runs with no new privileges" "$(cap_field NoNewPrivs)" 1

# Does this kesp.ko know HMAC-SHA-1 (issue 13 item 7)?
ip -n west link add probe type kesp 2>/dev/null
if $KESPCTL -n west sa add dev probe dir out src 1.1.1.1 dst 2.2.2.2 spi 0x1234 \
	mode tunnel enc 'cbc(aes)' 0x00112233445566778899aabbccddeeff \
	auth-trunc 'hmac(sha1)' 0x0011223344556677889900112233445566778899 96 >/dev/null 2>&1; then
	sha1=yes
else
	sha1=no
	echo "this kesp.ko has no hmac(sha1): the aes128-sha1 case is left out (kmod branch)"
fi
ip -n west link del probe 2>/dev/null

# traffic NAME MODE LOCAL_TS: ping across the tunnel just made.
traffic() {
	case $2 in
	transport) check "$1: ping 192.168.200.2 in transport mode" \
		ip netns exec west ping -c 2 -i 0.3 -W 2 -I "$4" 192.168.200.2 ;;
	*) check "$1: ping 10.11.0.1 -> 10.12.0.1" ip netns exec west ping -c 2 -i 0.3 -W 2 -I 10.11.0.1 10.12.0.1
	   case $3 in *fd00:11::*) check "$1: ping fd00:11::1 -> fd00:12::1 in the same CHILD_SA" \
		ip netns exec west ping -6 -c 2 -i 0.3 -W 2 -I fd00:11::1 fd00:12::1 ;; esac ;;
	esac
}

spis_agree() {	# WHAT CHILD
	k=$(spis west kesp)
	c=$(charon_child_spis east "$2" | awk '{print $2, $1}')
	same "$1: the same SPIs in kespctl ike list --json and swanctl --list-sas" "$k" "$c"
}

# status_views NAME: kespctl show and --json against charon after the
# 2 + 2 pings of traffic (IPv4 and IPv6 in one CHILD_SA), then rekeys seen
# by kespctl monitor.
status_views() {
	sv_show=$(ikectl west kesp show)
	printf '%s\n' "$sv_show" | sed 's/^/# show: /'
	same "$1: kespctl show has the device, the IKE SA and its CHILD_SA" \
		"$(printf '%s\n' "$sv_show" | grep -c -e "^kesp[0-9]*: ifindex" \
			-e "^$1\[[0-9]*\]: ESTABLISHED .*\.\.\." -e "^  $1{[0-9]*}: INSTALLED, tunnel")" 3
	sv_json=$(ikectl west kesp --json show)
	sv_c=$(charon_get east child "$1" state spi-in spi-out packets-in packets-out |
		awk '$1 == "INSTALLED" {print $2, $3, $4, $5}')
	# the first (only) CHILD_SA's SPIs and packet counters, in one pass
	sv_k=$(printf '%s' "$sv_json" | sed -n 's/.*"spi_in":"\([0-9a-f]*\)","spi_out":"\([0-9a-f]*\)".*"packets_in":\([0-9]*\),.*"packets_out":\([0-9]*\),.*/\1 \2 \3 \4/p')
	set -- "$1" $sv_k $sv_c
	same "$1: kespctl --json show: SPIs in/out as swanctl --list-sas's out/in" "$2 $3" "${7:-} ${6:-}"
	same "$1: kespctl --json show: 4 packets each way (2 + 2 pings), charon's counters the mirror" \
		"$4 $5 ${9:-} ${8:-}" "4 4 4 4"
	case $sv_json in
	*'"devices":[{"ifname":"kesp'*'"ikehelper":"running"'*) pass "$1: kespctl --json show names the device and ikehelper's state" ;;
	*) fail "$1: kespctl --json show names the device and ikehelper's state" "$sv_json" ;;
	esac
	same "$1: monitor: ike-up and child-up" \
		"$(grep -Ec -e "^ike-up $1\[[0-9]+\] .*SPIs [0-9a-f]{16}_i [0-9a-f]{16}_r" \
			-e "^child-up $1\[[0-9]+\] $1\{[0-9]+\} SPIs" /tmp/monitor.out)" 2
	ikectl west kesp ike rekey "$1" >/dev/null
	check "$1: monitor: the IKE SA rekeyed (kespctl ike rekey)" \
		wait_event /tmp/monitor.out "^ike-rekeyed $1\\[[0-9]+\\] .* replace IKE SA \\[[0-9]+\\]"
	ikectl west kesp ike rekey --child "$1" >/dev/null
	check "$1: monitor: the CHILD_SA rekeyed (kespctl ike rekey --child)" \
		wait_event /tmp/monitor.out "^child-rekeyed $1\\[[0-9]+\\] $1\\{[0-9]+\\} SPIs .* replace "
	same "$1: the rekeyed CHILD_SA's SPIs in monitor are charon's INSTALLED ones" \
		"$(sed -n "s/^child-rekeyed $1\[[0-9]*\] $1{[0-9]*} SPIs \([0-9a-f]*\)_i \([0-9a-f]*\)_o .*/\1 \2/p" /tmp/monitor.out | tail -n 1)" \
		"$(charon_child_spis east "$1" | awk '{print $2, $1}')"
}

ike_monitor west kesp /tmp/monitor.out
first=yes
while read -r name aa ba ike esp mode lts rts; do
	[ -n "$name" ] || continue
	[ "$esp" = aes128-sha1 ] && [ "$sha1" = no ] && continue
	# ikehelper initiates
	if ikectl west kesp ike up "$name" >/tmp/up.out 2>&1; then
		pass "$name: ikehelper initiates, charon accepts ($ike, $esp, $mode, id $(kesp_id $name))"
	else
		fail "$name: ikehelper initiates, charon accepts ($ike, $esp, $mode)" "$(cat /tmp/up.out)"
		continue
	fi
	ikehelper_alive kesp
	spis_agree "$name" "$name"
	traffic "$name" "$mode" "$lts" "$aa"
	if [ $first = yes ]; then
		first=no
		status_views "$name"
		iperf_server east 10.12.0.1
		if ip netns exec west iperf3 -c 10.12.0.1 -B 10.11.0.1 -t 2 >/tmp/iperf.out 2>&1; then
			pass "$name: iperf3 through the tunnel"
		else
			fail "$name: iperf3 through the tunnel" "$(tail -3 /tmp/iperf.out)"
		fi
		wait "$iperf_server_pid" 2>/dev/null
		charon_swanctl east --list-sas | sed 's/^/  /'
	fi
	check "$name: kespctl ike down" ikectl west kesp ike down "$name"
	if [ "$name" = x25519-gcm128 ]; then
		check "$name: monitor: ike-down with its reason" \
			wait_event /tmp/monitor.out "^ike-down $name\\[[0-9]+\\] .*: deleted\$"
	else
		sleep 0.5
	fi
	same "$name: charon deleted its SA pair too" "$(xfrm_count east)" 0
	same "$name: no kesp SA left" "$(kernel_sa_count west)" 0
	# charon initiates
	if charon_up east "$name" 30; then
		pass "$name: charon initiates, ikehelper accepts"
	else
		fail "$name: charon initiates, ikehelper accepts" "$(tail -5 "$CHARON_LOG")"
		continue
	fi
	spis_agree "$name (charon initiated)" "$name"
	traffic "$name (charon initiated)" "$mode" "$lts" "$aa"
	ikehelper_alive kesp
	charon_swanctl east --terminate --ike "$name" --timeout 10 >/dev/null 2>&1
	sleep 0.5
	same "$name: after charon's DELETE no kesp SA is left" "$(kernel_sa_count west)" 0
	same "$name: and ikehelper has no IKE SA" "$(ike_sa_count west kesp)" 0
done </tmp/cases

ikehelper_alive kesp
# ---- childless IKE SAs (RFC 6023), each side forcing ----
# (few processes: under TCG each costs; the logs are read once at the end)
echo "=== childless $(date +%T.%N)" >>"$CHARON_LOG"
if ikectl west kesp ike up cl-force >/tmp/up.out 2>&1; then
	pass "childless: ikehelper (childless = force) initiates, up answers once its CHILD_SA is in"
	check "childless (force): ping 10.11.0.1 -> 10.12.0.1 over the CREATE_CHILD_SA's CHILD_SA" \
		ip netns exec west ping -c 1 -W 3 -I 10.11.0.1 10.12.0.1
	check "childless: kespctl ike down" ikectl west kesp ike down cl-force
else
	fail "childless: ikehelper (childless = force) initiates, charon accepts" "$(cat /tmp/up.out)"
fi
# the IKE SA alone: kespctl ike up --no-child (IKE_AUTH without CHILD_SA)
if ikectl west kesp ike up --no-child cl-force >/tmp/up.out 2>&1; then
	same "childless: kespctl ike up --no-child: kespctl ike list shows the IKE SA without CHILD_SA" \
		"$(ikectl west kesp ike list | awk '/^cl-force\[[0-9]*\]: ESTABLISHED/ { i++ }
			/^  cl-force\{/ { c++ } END { print i + 0, c + 0 }')" "1 0"
	check "childless: kespctl ike down of the IKE SA without CHILD_SA" ikectl west kesp ike down cl-force
else
	fail "childless: kespctl ike up --no-child" "$(cat /tmp/up.out)"
fi
refuse "childless: ikehelper's IKE_AUTH with a CHILD_SA to charon's childless = force: INVALID_SYNTAX" \
	1 'INVALID_SYNTAX.*childless = force' ikectl west kesp ike up cl-charon
if charon_up east cl-charon 30; then
	pass "childless: charon (childless = force) initiates, ikehelper accepts"
	check "childless (charon force): ping 10.11.0.1 -> 10.12.0.1 over the CREATE_CHILD_SA's CHILD_SA" \
		ip netns exec west ping -c 1 -W 3 -I 10.11.0.1 10.12.0.1
	charon_swanctl east --terminate --ike cl-charon --timeout 10 >/dev/null 2>&1
else
	fail "childless: charon (childless = force) initiates, ikehelper accepts" "$(tail -5 "$CHARON_LOG")"
fi
echo "=== childless done $(date +%T.%N)" >>"$CHARON_LOG"
# charon's log between the markers: IKE_AUTH requests it parsed without SA, TSi,
# TSr (cl-force's, twice); CREATE_CHILD_SA requests with a KE it parsed (cl-force's)
# and made (cl-charon's); its refusal of cl-charon's IKE_AUTH with a CHILD_SA.
same "childless: charon's log: childless IKE_AUTHs (force, --no-child), CREATE_CHILD_SA [ SA No KE TSi TSr ] each way; the refusal" \
	"$(awk '/^=== childless done/ { exit } /^=== childless/ { on = 1 } !on || !/^[0-9]/ { next }
		/parsed IKE_AUTH request/ && !/ (SA|TSi|TSr) / { a++ }
		/parsed CREATE_CHILD_SA request [0-9]+ \[ SA No KE TSi TSr \]/ { p++ }
		/generating CREATE_CHILD_SA request [0-9]+ \[ SA No KE TSi TSr \]/ { g++ }
		/peer did not initiate a childless IKE_SA/ { r++ }
		END { print a + 0, p + 0, g + 0, r + 0 }' "$CHARON_LOG")" "2 1 1 1"
same "childless: ikehelper's log: its childless IKE_AUTH (cl-force), charon's (cl-charon)" \
	"$(awk '/cl-force\[[0-9]+\] childless IKE_AUTH \(childless = force\): no CHILD_SA in it/ { f++ }
		/cl-charon\[[0-9]+\] childless IKE SA \(RFC 6023\): peer .charon. proposed no CHILD_SA/ { c++ }
		END { print f + 0, c + 0 }' "$(ike_log ikehelper kesp)")" "1 1"
# ---- reload: one connection changed, the other's CHILD_SA stays ----
if ikectl west kesp ike up x25519-gcm128 >/tmp/up.out 2>&1 &&
	ikectl west kesp ike up modp2048-chacha >>/tmp/up.out 2>&1; then
	pass "reload: two connections up before it"
	kept=$(conn_spis west kesp x25519-gcm128)
	conf=$IKE_STATE/ikehelper-kesp/conf
	cp "$conf" /tmp/conf.orig
	# a broken file is refused and changes nothing
	printf 'connections {\n  broken {\n' >>"$conf"
	refuse "reload: a config with errors is refused with FILE:LINE" 1 'conf:[0-9]+: ' \
		ikectl west kesp ike reload
	sed 's/esp_proposals = chacha20poly1305$/esp_proposals = chacha20poly1305, aes256gcm16/' \
		/tmp/conf.orig >"$conf"
	check "reload: modp2048-chacha's ESP proposals changed, kespctl ike reload" \
		ikectl west kesp ike reload
	same "reload: x25519-gcm128 (unchanged) keeps its CHILD_SA's SPIs" \
		"$(conn_spis west kesp x25519-gcm128)" "$kept"
	# its DELETE exchange may still run: wait for the event, not a time
	for _ in $(seq 100); do [ "$(kernel_sa_count west)" = 2 ] && break; sleep 0.2; done
	same "reload: modp2048-chacha (changed) has its SAs deleted: one pair left in kesp.ko" \
		"$(kernel_sa_count west)" 2
	check "reload: the log says one connection unchanged, its SA deleted" \
		log_has kesp 'configuration reloaded: [0-9]+ connections, [0-9]+ unchanged, 1 SAs deleted'
	ikectl west kesp ike down x25519-gcm128 >/dev/null 2>&1
	for _ in $(seq 100); do [ "$(xfrm_count east)" = 0 ] && break; sleep 0.2; done
else
	fail "reload: two connections up before it" "$(cat /tmp/up.out)"
fi
# ---- negatives: nothing installed on either side, each side says why ----
nothing_installed() {	# WHAT
	same "$1: no kesp SA in west" "$(kernel_sa_count west)" 0
	same "$1: no XFRM SA in east" "$(xfrm_count east)" 0
}

refuse "wrong PSK: kespctl ike up fails with the peer's AUTHENTICATION_FAILED" 1 \
	'AUTHENTICATION_FAILED' ikectl west kesp ike up bad-psk
nothing_installed "wrong PSK"
same "wrong PSK: charon logs why" \
	"$(grep -c 'tried [0-9]* shared key.*failed\|verification of AUTH payload.*failed\|MAC mismatch\|AUTH payload.*failed' "$CHARON_LOG" | awk '{print ($1 > 0) ? "yes" : "no"}')" yes

refuse "unknown identity: charon refuses stranger.kesp (AUTHENTICATION_FAILED)" 1 \
	'AUTHENTICATION_FAILED' ikectl west kesp ike up stranger
nothing_installed "unknown identity"
refuse "disjoint IKE proposals: NO_PROPOSAL_CHOSEN from charon" 1 'NO_PROPOSAL_CHOSEN' \
	ikectl west kesp ike up disjoint-ike
nothing_installed "disjoint IKE proposals"
check "disjoint IKE proposals: ikehelper's log names both sides' lists" \
	log_has kesp 'disjoint-ike.*NO_PROPOSAL_CHOSEN.*we offered aes128-sha512'
check "disjoint IKE proposals: monitor: ike-failed with the reason" \
	wait_event /tmp/monitor.out '^ike-failed disjoint-ike\[[0-9]+\] .*: .*NO_PROPOSAL_CHOSEN'
check "disjoint IKE proposals: no ike-up in monitor" sh -c '! grep -q "^ike-up disjoint-ike" /tmp/monitor.out'
refuse "disjoint selectors: TS_UNACCEPTABLE from charon" 1 'TS_UNACCEPTABLE' \
	ikectl west kesp ike up disjoint-ts
nothing_installed "disjoint selectors"
check "disjoint selectors: ikehelper's log names the selectors it proposed" \
	log_has kesp 'disjoint-ts.*TS_UNACCEPTABLE for TSi 10.11.0.0/24, TSr 10.7.0.0/24'

# charon initiating with what ikehelper refuses
charon_up east neg-psk 15
nothing_installed "charon with another PSK"
check "charon with another PSK: charon got AUTHENTICATION_FAILED" \
	grep -q 'received AUTHENTICATION_FAILED notify error' "$CHARON_LOG"
check "charon with another PSK: ikehelper says the PSKs differ" \
	log_has kesp "peer 'charon-neg' .PSK. does not verify with the PSK of secret 'ike-neg'"
charon_up east neg-id 15
nothing_installed "charon as an unknown identity"
check "charon as an unknown identity: ikehelper names it" \
	log_has kesp "no connection for peer identity 'nobody-kesp-knows'"

[ "$FAILED" != 0 ] && ike_tail_logs 40
finish
