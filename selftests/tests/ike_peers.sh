# Real IKE peers for guest tests (sourced after lib.sh): strongSwan's charon
# and Libreswan's pluto, each in a network namespace of the test and a
# private mount namespace of its own, and the topologies they talk over.
# shellcheck shell=sh
#
# Topologies (their namespaces are removed on exit, as lib.sh's are)
#   ike_sites            west and east on one veth "wire", IPv4 and IPv6 (no
#                        kesp device: ikehelper makes its own):
#                        $WEST4 $EAST4 (192.168.200.1 and .2), $WEST6 $EAST6
#                        (fd00:200::1 and ::2). Behind each, on a dummy
#                        device "site": west's $WEST_NET4 $WEST_NET6 (own
#                        addresses $WEST_HOST4 $WEST_HOST6), east's $EAST_*.
#                        No routes between the sites: the daemons install
#                        them (charon does; pluto only with leftsourceip=).
#   ike_nat_sites FAM    lib.sh's nat_topology FAM (x -- n -- y, FAM 4 or 6)
#                        plus a site behind x ($XIN in $XNET) and one behind
#                        y ($YIN in $YNET), and n translating all UDP from x
#                        to its own address $N and a port in 40000-40999 (so
#                        both IKE ports move). Other traffic from x passes
#                        untranslated and y has no route back to it: ESP
#                        must go in UDP.
#
# strongSwan's charon (one per namespace)
#   charon_start NS DIR [SETTINGS]
#                        charon in NS with DIR as its /etc/swanctl (holding
#                        swanctl.conf, and x509/, private/ ... as swanctl
#                        expects) and a private tmpfs on /run. SETTINGS is
#                        strongswan.conf text for the charon section (e.g.
#                        "retransmit_tries = 2"); $CHARON_PLUGINS_EXTRA adds
#                        plugins (e.g. "eap-identity eap-mschapv2"). Returns
#                        when `swanctl --stats` answers, listing every plugin
#                        asked for; fails after 60 s, at once if charon died,
#                        or if a plugin is missing. Loads nothing: call
#                        charon_swanctl NS --load-all.
#   charon_spawn NS DIR [SETTINGS], charon_wait NS
#                        the two halves of charon_start, so that several
#                        charons start side by side.
#   charon_swanctl NS ARGS...
#                        swanctl ARGS against that charon, run inside its
#                        mount namespace: /etc/swanctl is DIR there, and
#                        /run its own (files under /run/kesp are hidden).
#   charon_up NS CHILD [SECONDS]
#                        initiates CHILD, waiting for the result (60 s: the
#                        first SA a guest installs waits for the kernel to
#                        load and self-test its crypto, once 12 s on a
#                        loaded host, and the peer retransmits meanwhile);
#                        swanctl's account of the exchange goes to the log.
#   charon_get NS ike|child NAME KEY...
#                        for each IKE SA of connection NAME (or each CHILD_SA
#                        named NAME; "" for every one), one line with the
#                        values of the KEYs, in swanctl's names: e.g. for an
#                        IKE SA state local-port remote-host remote-port
#                        initiator-spi responder-spi encr-alg encr-keysize
#                        prf-alg dh-group; for a CHILD_SA state mode encap
#                        spi-in spi-out encr-alg integ-alg packets-in
#                        local-ts remote-ts; in a CHILD_SA's line "ike.KEY"
#                        is KEY of its IKE SA. A list's items are joined by
#                        ",", a key swanctl does not show is "-" (encap, for
#                        one, is shown only when it is "yes").
#   charon_child_spis NS [CHILD]
#                        "SPI_IN SPI_OUT" (8 hex digits, as ip xfrm writes
#                        them) per INSTALLED CHILD_SA (named CHILD).
#   charon_stop NS...    SIGTERM, on which charon deletes its SAs and tells
#                        the peers; waits for it (SIGKILL after 10 s).
#                        Several stop side by side.
#
# Libreswan's pluto (one per namespace), run from $LIBRESWAN_DIR
#   pluto_start NS DIR   pluto in NS with DIR/ipsec.conf ("config setup" and
#                        the conns) and DIR/ipsec.secrets, a fresh NSS
#                        database, its control socket in a state directory,
#                        and /usr/libexec/ipsec bind-mounted from
#                        $LIBRESWAN_DIR in a private mount namespace. Returns
#                        when it answers and listens on NS's addresses.
#                        Loads no conn: call pluto_add.
#   pluto_spawn NS DIR, pluto_wait NS
#                        its two halves, as for charon.
#   pluto_whack NS ARGS...
#                        whack ARGS against that pluto.
#   pluto_add NS CONN... loads CONNs from DIR/ipsec.conf (addconn).
#   pluto_up NS CONN [SECONDS]
#                        initiates CONN; succeeds when a Child SA of CONN is
#                        established (60 s). whack's output goes to the log.
#   pluto_child_spis NS [CONN]
#                        "SPI_IN SPI_OUT" per established Child SA (of CONN).
#                        Pluto shows no IKE SPIs; read them on the other side.
#   pluto_stop NS...     the same for pluto, whose shutdown takes 5 to 8 s.
#
# Shared
#   ike_log charon|pluto NS
#                        the path of that daemon's log, in the guest output
#                        directory (build/vm/KVER/out/ike/TEST/ on the host),
#                        where it stays after the test.
#   ike_tail_logs [N]    the last N lines (30) of every log, for a failing
#                        check's diagnostics.
#   ike_stop_all         stops every daemon started, side by side.
#   ike_cleanup          stops every daemon started, then removes the
#                        namespaces: the EXIT trap (a test with a trap of its
#                        own calls it from there).
#
# Why it is done so:
# - Under TCG every program start costs (python3 2 s, swanctl 0.5 to 1.5 s
#   with a load on the host), so the parsers are awk and the checks few.
# - charon: Debian's logs to syslog only; its default plugin set (75) took
#   130 s to start in a guest, and swanctl with its defaults 40 to 70 s. So
#   the strongswan.conf written here names the plugins and logs to stderr.
#   It does not include the stock /etc/strongswan.d files: they hold nothing
#   but "load = yes" lines, which an explicit list overrides, and reading
#   them costs 3 s a start. charon's pid file and vici socket have fixed
#   paths in /run, hence a private /run for each charon.
# - pluto 4.10 runs helpers from the fixed /usr/libexec/ipsec and its updown
#   as "ipsec _updown" through PATH; Libreswan conflicts with strongSwan's
#   packages, so tools/install-deps.sh unpacks it into $LIBRESWAN_DIR.

LIBRESWAN_DIR=${LIBRESWAN_DIR:-/opt/kesp/libreswan}
IKE_BIN=$LIBRESWAN_DIR/usr/libexec/ipsec
CHARON=${CHARON:-/usr/lib/ipsec/charon}
# PSK and certificate authentication, the IKE algorithms of the tests
# (openssl brings the ECP groups), XFRM, vici. charon starts without a
# plugin it cannot load (and with "name!", critical, it refuses to start
# for the sake of a feature no test needs, such as DSA keys in pem), so
# charon_wait checks that every one is loaded.
CHARON_PLUGINS="random nonce openssl pem pkcs1 pkcs8 x509 revocation constraints pubkey
curve25519 gmp aes sha1 sha2 hmac kdf gcm chapoly kernel-netlink socket-default vici updown"
# swanctl needs plugins only to parse credentials; for anything else one
# cheap plugin (an empty list would mean the slow defaults).
SWANCTL_LOAD_PLUGINS="random nonce openssl pem pkcs1 pkcs8 x509 pubkey"
SWANCTL_QUERY_PLUGINS="random"
# Per-daemon configs, pids and sockets, outside /run so that a daemon's
# private /run does not hide them from the test.
IKE_STATE=$(mktemp -d /tmp/ike-state.XXXXXX)
IKE_LOGDIR=${KESP_OUT:-/run/kesp/out}/ike/$(basename "$0" .sh)
mkdir -p "$IKE_LOGDIR" 2>/dev/null || IKE_LOGDIR=$IKE_STATE/logs
mkdir -p "$IKE_LOGDIR"

ike_log() { echo "$IKE_LOGDIR/$1-$2.log"; }

ike_tail_logs() {
	for log in "$IKE_LOGDIR"/*.log; do
		[ -f "$log" ] || continue
		echo "--- $(basename "$log"), last ${1:-30} lines"
		tail -n "${1:-30}" "$log"
	done
}

# ---- topologies ----

ike_sites() {
	WEST4=192.168.200.1 EAST4=192.168.200.2 WEST6=fd00:200::1 EAST6=fd00:200::2
	WEST_NET4=10.11.0.0/24 WEST_HOST4=10.11.0.1 WEST_NET6=fd00:11::/64 WEST_HOST6=fd00:11::1
	EAST_NET4=10.12.0.0/24 EAST_HOST4=10.12.0.1 EAST_NET6=fd00:12::/64 EAST_HOST6=fd00:12::1
	netns_add west east
	ip link add wire netns west type veth peer name wire netns east
	printf 'addr add %s/24 dev wire\naddr add %s/64 dev wire nodad\nlink set wire up\n' $WEST4 $WEST6 |
		ip -n west -batch -
	printf 'addr add %s/24 dev wire\naddr add %s/64 dev wire nodad\nlink set wire up\n' $EAST4 $EAST6 |
		ip -n east -batch -
	ike_site west $WEST_HOST4/24 $WEST_HOST6/64
	ike_site east $EAST_HOST4/24 $EAST_HOST6/64
}

# ike_bridge NS ADDRESS NS2:HOST...: a bridge gwbr in NS with ADDRESS/24 (e.g.
# 192.168.100.1), and each NS2 on it by a veth "veth" with the address
# ADDRESS's /24 with HOST as the last byte.
ike_bridge() {
	br_ns=$1 br_net=${2%.*}
	ip -n "$br_ns" link add name gwbr type bridge
	ip -n "$br_ns" link set gwbr up
	ip -n "$br_ns" addr add "$2/24" dev gwbr
	shift 2
	for p in "$@"; do
		ip link add veth netns "${p%:*}" type veth peer name "to-${p%:*}" netns "$br_ns"
		ip -n "$br_ns" link set "to-${p%:*}" master gwbr up
		printf 'link set veth up\naddr add %s.%s/24 dev veth\n' "$br_net" "${p#*:}" |
			ip -n "${p%:*}" -batch -
	done
}

# ike_site NS ADDRESS/LEN...: the network behind NS, on a dummy device.
# (One ip process per namespace: under TCG each costs a fifth of a second.)
ike_site() {
	site_ns=$1
	shift
	{
		echo "link add site type dummy"
		echo "link set site up"
		for a in "$@"; do
			case $a in
			*:*) echo "addr add $a dev site nodad" ;;
			*) echo "addr add $a dev site" ;;
			esac
		done
	} | ip -n "$site_ns" -batch -
}

ike_nat_sites() {
	nat_topology "$1"
	ike_site x "$XIN/${XNET#*/}"
	ike_site y "$YIN/${YNET#*/}"
	nat_to :40000-40999 "meta l4proto udp"
}

# ---- charon ----

charon_spawn() {
	ns=$1 dir=$(cd "$2" && pwd) || return 1
	state=$IKE_STATE/charon-$ns log=$(ike_log charon "$1")
	mkdir -p "$state"
	echo $CHARON_PLUGINS ${CHARON_PLUGINS_EXTRA:-} >"$state/plugins"
	cat >"$state/strongswan.conf" <<EOF
charon {
	load = $(cat "$state/plugins")
	filelog {
		stderr {
			default = 1
			ike_name = yes
			time_format = %T
			flush_line = yes
		}
	}
	${3:-}
}
swanctl {
	load = $SWANCTL_LOAD_PLUGINS
}
EOF
	printf 'swanctl {\n\tload = %s\n}\n' "$SWANCTL_QUERY_PLUGINS" >"$state/swanctl-query.conf"
	echo "=== charon_start $ns $dir $(date +%T)" >>"$log"
	STRONGSWAN_CONF=$state/strongswan.conf ip netns exec "$ns" unshare -m --propagation private \
		sh -c 'mount --bind "$1" /etc/swanctl && mount -t tmpfs -o mode=755 tmpfs /run &&
			exec "$2"' charon "$dir" "$CHARON" >>"$log" 2>&1 &
	echo $! >"$state/pid"
}

charon_wait() {
	ike_wait_ready charon "$1" charon_stats "$1" || return 1
	cw_loaded=" $(sed -n 's/^loaded plugins: //p' "$IKE_STATE/charon-$1/stats") "
	cw_missing=""
	for cw_p in $(cat "$IKE_STATE/charon-$1/plugins"); do
		case $cw_loaded in
		*" $cw_p "*) ;;
		*) cw_missing="$cw_missing $cw_p" ;;
		esac
	done
	[ -z "$cw_missing" ] && return 0
	echo "charon in $1 could not load:$cw_missing (a package missing? sh tools/install-deps.sh)"
	grep -i "plugin" "$(ike_log charon "$1")" | tail -n 5
	return 1
}

# The answer to --stats, which lists the plugins loaded, is kept.
charon_stats() {
	charon_swanctl "$1" --stats >"$IKE_STATE/charon-$1/stats" 2>&1
}

charon_start() {
	charon_spawn "$@" && charon_wait "$1"
}

# ike_wait_ready KIND NS CMD...: until CMD succeeds (60 s at most), or
# KIND's daemon in NS has died.
ike_wait_ready() {
	clock_now
	wr_kind=$1 wr_ns=$2 wr_deadline=$((NOW_S + 60 * TIME_SCALE))
	shift 2
	while clock_now && [ "$NOW_S" -lt "$wr_deadline" ]; do
		"$@" >/dev/null 2>&1 && return 0
		ike_alive "$(cat "$IKE_STATE/$wr_kind-$wr_ns/pid")" || break
		sleep 0.2
	done
	echo "$wr_kind in $wr_ns did not answer; its log ends:"
	tail -n 20 "$(ike_log "$wr_kind" "$wr_ns")"
	return 1
}

charon_swanctl() {
	sw_state=$IKE_STATE/charon-$1
	sw_conf=$sw_state/swanctl-query.conf
	shift
	case " $* " in
	*" --load-"* | *" -q "* | *" -s "*) sw_conf=$sw_state/strongswan.conf ;;
	esac
	STRONGSWAN_CONF=$sw_conf nsenter -t "$(cat "$sw_state/pid")" -m -n swanctl "$@"
}

charon_up() {
	echo "=== swanctl --initiate --child $2 $(date +%T)" >>"$(ike_log charon "$1")"
	charon_swanctl "$1" --initiate --child "$2" --timeout "$((${3:-60} * TIME_SCALE))" >>"$(ike_log charon "$1")" 2>&1
}

# swanctl --pretty puts every element on a line of its own ("key = value",
# "name {", "key = [", list items, "]", "}"), so a value holding spaces (a
# DN) is read whole, which --raw would not allow. Nesting: 1 the event, 2
# the IKE SA, 3 child-sas, 4 a CHILD_SA.
charon_get() {
	g_ns=$1 g_kind=$2 g_name=$3
	shift 3
	charon_swanctl "$g_ns" --list-sas --pretty | awk -v kind="$g_kind" -v name="$g_name" -v keys="$*" '
	BEGIN { nkeys = split(keys, want, " ") }
	function emit(sa, sa_name,   i, k, v, out) {
		if (name != "" && sa_name != name)
			return
		out = ""
		for (i = 1; i <= nkeys; i++) {
			k = want[i]
			v = "-"
			if (k in sa)
				v = sa[k]
			else if (k ~ /^ike\./ && (substr(k, 5) in ike))
				v = ike[substr(k, 5)]
			out = out (i > 1 ? " " : "") v
		}
		print out
	}
	function put(k, v) {
		if (depth == 2) {
			if (inlist && (k in ike))
				v = ike[k] "," v
			ike[k] = v
		} else if (depth == 4) {
			if (inlist && (k in child))
				v = child[k] "," v
			child[k] = v
		}
	}
	{ sub(/^[ \t]+/, ""); sub(/[ \t]+$/, "") }
	inlist && $0 == "]" { inlist = 0; next }
	inlist { put(listkey, $0); next }
	$0 == "}" {
		if (depth == 4 && kind == "child")
			emit(child, child["name"])
		if (depth == 2 && kind == "ike")
			emit(ike, ike_name)
		if (depth == 4)
			split("", child)
		if (depth == 2)
			split("", ike)
		depth--
		next
	}
	/ = / {
		k = $0; sub(/ = .*/, "", k)
		v = substr($0, length(k) + 4)
		if (v == "[") {
			inlist = 1; listkey = k
			delete ike[k]; delete child[k]
		} else
			put(k, v)
		next
	}
	/ \{$/ { depth++; if (depth == 2) ike_name = substr($0, 1, length($0) - 2) }'
}

charon_child_spis() {
	charon_get "$1" child "${2:-}" state spi-in spi-out | awk '$1 == "INSTALLED" {print $2, $3}'
}

charon_stop() {
	for st_ns in "$@"; do set -- "$@" "charon-$st_ns"; shift; done
	ike_stop "$@"
}

# ike_stop KIND-NS...: SIGTERM to each of those daemons (a clean shutdown,
# in which they tell their peers), then waits for all of them, SIGKILL
# after 10 s. A daemon exited but not yet reaped (a zombie child of this
# shell) counts as stopped.
ike_stop() {
	st_pids=""
	for st_d in "$@"; do
		st_pid=$(cat "$IKE_STATE/$st_d/pid" 2>/dev/null) || continue
		rm -f "$IKE_STATE/$st_d/pid"
		kill "$st_pid" 2>/dev/null && st_pids="$st_pids $st_pid"
	done
	clock_now
	st_deadline=$((NOW_S + 10 * TIME_SCALE))
	for st_pid in $st_pids; do
		while ike_alive "$st_pid" && clock_now && [ "$NOW_S" -lt "$st_deadline" ]; do sleep 0.2; done
		kill -9 "$st_pid" 2>/dev/null
		wait "$st_pid" 2>/dev/null
	done
	return 0
}

ike_alive() {
	[ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# ---- pluto ----

pluto_spawn() {
	ns=$1 dir=$(cd "$2" && pwd) || return 1
	state=$IKE_STATE/pluto-$ns log=$(ike_log pluto "$1")
	if [ ! -x "$IKE_BIN/pluto" ]; then
		echo "pluto_start: no Libreswan in $LIBRESWAN_DIR (sh tools/install-deps.sh)"
		return 1
	fi
	mkdir -p "$state/nss" "$state/run" "$state/ipsec.d"
	echo "$dir" >"$state/dir"
	echo "=== pluto_start $ns $dir $(date +%T)" >>"$log"
	certutil -N -d "sql:$state/nss" --empty-password >>"$log" 2>&1 || return 1
	# Pluto runs its updown as "ipsec _updown", found through PATH, where
	# /usr/sbin/ipsec is strongSwan's: that one fails ("unknown interface
	# version") and pluto then tears the Child SA down. Libreswan's first.
	PATH=$LIBRESWAN_DIR/usr/sbin:$PATH ip netns exec "$ns" unshare -m --propagation private sh -c '
		mount -t tmpfs -o mode=755 tmpfs /usr/libexec && mkdir /usr/libexec/ipsec &&
		mount --bind "$1" /usr/libexec/ipsec &&
		exec /usr/libexec/ipsec/pluto --nofork --stderrlog --config "$2/ipsec.conf" \
			--secretsfile "$2/ipsec.secrets" --nssdir "$3/nss" --rundir "$3/run" \
			--ipsecdir "$3/ipsec.d" --dumpdir "$3/run"' pluto "$IKE_BIN" "$dir" "$state" >>"$log" 2>&1 &
	echo $! >"$state/pid"
}

# Pluto finds the addresses to listen on when told to, as "ipsec start"
# tells it after starting it.
pluto_wait() {
	ike_wait_ready pluto "$1" pluto_whack "$1" --status &&
		pluto_whack "$1" --listen >>"$(ike_log pluto "$1")" 2>&1
}

pluto_start() {
	pluto_spawn "$@" && pluto_wait "$1"
}

# Bounded (60 s), as a hung pluto must not hang the test.
pluto_whack() {
	wh_ns=$1
	shift
	timeout 60 ip netns exec "$wh_ns" "$IKE_BIN/whack" \
		--ctlsocket "$IKE_STATE/pluto-$wh_ns/run/pluto.ctl" "$@"
}

pluto_add() {
	ns=$1
	shift
	ip netns exec "$ns" "$IKE_BIN/addconn" --config "$(cat "$IKE_STATE/pluto-$ns/dir")/ipsec.conf" \
		--ctlsocket "$IKE_STATE/pluto-$ns/run/pluto.ctl" "$@" >>"$(ike_log pluto "$ns")" 2>&1
}

# whack --initiate's exit status says nothing of the Child SA (it is 0 when
# pluto established the IKE SA and then failed to install the child), so
# success is a Child SA of CONN in --showstates.
pluto_up() {
	clock_now
	log=$(ike_log pluto "$1") deadline=$((NOW_S + ${3:-60} * TIME_SCALE))
	echo "=== whack --initiate --name $2 $(date +%T)" >>"$log"
	timeout "$((${3:-60} * TIME_SCALE))" ip netns exec "$1" "$IKE_BIN/whack" \
		--ctlsocket "$IKE_STATE/pluto-$1/run/pluto.ctl" --initiate --name "$2" >>"$log" 2>&1
	while clock_now && [ "$NOW_S" -lt "$deadline" ]; do
		[ -n "$(pluto_child_spis "$1" "$2")" ] && return 0
		sleep 0.2
	done
	return 1
}

# --showstates: '000 #2: "v4":500 STATE_V2_ESTABLISHED_CHILD_SA (...); ...'
# and for a Child SA a second line '000 #2: "v4" esp.SPI@PEER esp.SPI@SELF
# tun...' (over IPv6 "esp:SPI@PEER"): the SA sent with first, then the one
# received with. A conn instance is named "v4"[1].
pluto_child_spis() {
	pluto_whack "$1" --showstates | awk -v name="${2:-}" '
	{
		for (i = 1; i <= NF && $i !~ /^#[0-9]+:$/; i++) ;
		if (i >= NF) next
		conn = $(i + 1); sub(/^"/, "", conn); sub(/".*/, "", conn)
		if (name != "" && conn != name) next
		nspi = 0
		for (j = i + 2; j <= NF; j++) {
			if ($j ~ /^(esp|ah)[.:][0-9a-f]+@/) {
				spi[++nspi] = $j; sub(/^(esp|ah)[.:]/, "", spi[nspi]); sub(/@.*/, "", spi[nspi])
			}
		}
		if (nspi == 2) print hex8(spi[2]), hex8(spi[1])
	}
	function hex8(s) { while (length(s) < 8) s = "0" s; return s }'
}
pluto_stop() {
	for st_ns in "$@"; do set -- "$@" "pluto-$st_ns"; shift; done
	ike_stop "$@"
}

# ---- cleanup ----

# By pid file rather than a list in a variable: a daemon started in a
# subshell is stopped too.
ike_stop_all() {
	ike_stop $(cd "$IKE_STATE" 2>/dev/null && ls -d charon-* pluto-* 2>/dev/null)
}

ike_cleanup() {
	ike_stop_all
	cleanup_netns
	rm -rf "$IKE_STATE"
}
trap ike_cleanup EXIT
