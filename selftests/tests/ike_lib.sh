# ikehelper in guest tests (sourced after lib.sh and ike_peers.sh, whose
# topologies, charon and pluto helpers, state directory and logs it uses).
# shellcheck shell=sh
#
#   ikehelper_start NS NAME CONFIG-TEXT
#                        ikehelper in NS with CONFIG-TEXT as its config, its
#                        control socket and pid in $IKE_STATE/ikehelper-NAME,
#                        its restart state in run/ there (-S), its log
#                        $(ike_log ikehelper NAME) (level 2, or $IH_DEBUG:
#                        e.g. IH_DEBUG=4 for everything); returns once it
#                        says it started (fails if it dies first). Started
#                        again after a kill -9, it adopts its IKE SAs.
#                        $IKEHELPER_WRAP, if set, is a command ikehelper
#                        runs under (e.g. setpriv with the unit's
#                        capabilities).
#   ikehelper_stop NAME...   SIGTERM (it deletes its SAs), as ike_stop does.
#   ikectl NS NAME ARGS...   kespctl ARGS against ikehelper NAME.
#   ike_get NS NAME KEY      every value of KEY in `kespctl --json ike list`,
#                            in order (IKE SAs' and CHILD SAs' keys differ but
#                            for name and state), one per line.
#   spis NS NAME             "SPI_IN SPI_OUT" of NAME's first CHILD_SA.
#   ike_sa_count NS NAME     how many IKE SAs ikehelper NAME has.
#   conn_spis NS NAME CONN   "SPI_IN SPI_OUT" of connection CONN's CHILD_SA.
# (No python3 here: under TCG each start of it costs about 2 s.)
#   kernel_sa_count NS       the SAs kesp.ko holds in NS.
#   ikehelper_alive NAME     ikehelper NAME still runs; else fails the test
#                            with its last log lines and finishes it.
#   log_has NAME PATTERN     ikehelper NAME's log has a line matching PATTERN.
#   wait_for SECONDS CMD...  until CMD succeeds (every $WF_STEP, 0.5 s), for
#                            SECONDS at most; fails if it never did.
#   ike_monitor NS NAME FILE `kespctl monitor` of ikehelper NAME in the
#                            background, into FILE; returns once it listens.
#   wait_event FILE PATTERN [SECS]   until FILE has a line matching PATTERN
#                            (an extended regex; 40 s by default: events come
#                            when the exchange is done, slowly under load).
#   log_secrets_absent NAME WHAT SECRET...   a check per SECRET (text, or hex
#                            digits) that ikehelper NAME's log does not hold it,
#                            neither as written nor within its hex dumps.
# A test PKI in $PKI (certtool: one program, quick to start under TCG):
#   pki_dirs                 $PKI ($IKE_STATE/pki), $KDIR (ikehelper "kesp"'s
#                            directory, where ikehelper_start writes its config)
#                            with swanctl's x509/ x509ca/ x509crl/ private/,
#                            and east/x509 x509ca private for charon in east
#   pki_key NAME CERTTOOL-KEY-OPTIONS     $PKI/NAME.key (from the host's key
#                            pool when it has one left, see key-pool.sh)
#   pki_cert NAME KEY ISSUER|self TEMPLATE-LINES
#                            $PKI/NAME.pem with $PKI/KEY.key, signed by
#                            $PKI/ISSUER.pem and .key (or self-signed)
#   pki_ca_tmpl CN           a CA's template lines (30 days)
#   pki_ee_tmpl CN [EXTRA]   an end entity's: CN also as DNS name, signing;
#                            EXTRA lines (default expiration_days = 2)
# Variables of these helpers start with ih_, so a caller's survive.

IKEHELPER=${IKEHELPER:-$KESP_SRC/ikehelper/ikehelper}
PSK='"kesp-guest-test-Xq7#pL9!zW2@"'

ikehelper_start() {
	ih_state=$IKE_STATE/ikehelper-$2 ih_log=$(ike_log ikehelper "$2")
	mkdir -p "$ih_state"
	printf '%s\n' "$3" >"$ih_state/conf"
	rm -f "$ih_state/sock"
	echo "=== ikehelper_start $1 $2 $(date +%T)" >>"$ih_log"
	ih_lines=$(wc -l <"$ih_log")
	# shellcheck disable=SC2086
	ip netns exec "$1" ${IKEHELPER_WRAP:-} "$IKEHELPER" -f -d "${IH_DEBUG:-2}" -c "$ih_state/conf" \
		-s "$ih_state/sock" -S "$ih_state/run" >>"$ih_log" 2>&1 &
	echo $! >"$ih_state/pid"
	clock_now
	ih_deadline=$((NOW_S + 60 * TIME_SCALE))
	while clock_now && [ "$NOW_S" -lt "$ih_deadline" ]; do
		tail -n +"$ih_lines" "$ih_log" | grep -q 'ikehelper .* started' && return 0
		ike_alive "$(cat "$ih_state/pid")" || break
		sleep 0.2
	done
	echo "ikehelper $2 did not start; its log ends:"
	tail -n 20 "$ih_log"
	return 1
}

# psk_conn NAME LOCAL REMOTE LOCAL-ID REMOTE-ID LOCAL-TS REMOTE-TS [CHILD-KEYS]:
# a connection NAME with a child NAME, by PSK, in the syntax ikehelper and
# swanctl share; CHILD-KEYS: more "key = value" lines of the child.
psk_conn() {
	cat <<EOF
  $1 {
    local_addrs = $2
    remote_addrs = $3
    proposals = aes256gcm16-prfsha256-x25519
    local { auth = psk
      id = $4 }
    remote { auth = psk
      id = $5 }
    children { $1 { local_ts = $6
      remote_ts = $7
      esp_proposals = aes128gcm16
      ${8:-} } }
  }
EOF
}

ikehelper_stop() {
	for ih_n in "$@"; do set -- "$@" "ikehelper-$ih_n"; shift; done
	ike_stop "$@"
}

ikehelper_cleanup() {
	# shellcheck disable=SC2046
	[ -f "$IKE_STATE/monitor.pids" ] && kill $(cat "$IKE_STATE/monitor.pids") 2>/dev/null
	# shellcheck disable=SC2046
	ike_stop $(cd "$IKE_STATE" 2>/dev/null && ls -d ikehelper-* 2>/dev/null)
	ike_cleanup
}
trap ikehelper_cleanup EXIT

# ikectl NS NAME ARGS...: kespctl ARGS for the ikehelper NAME in NS. Its
# socket is a path, so only netlink needs the namespace: kespctl -n enters
# it, where "ip netns exec NS env" started two more processes a call.
ikectl() {
	ih_ns=$1 ih_name=$2
	shift 2
	KESP_IKEHELPER_SOCKET="$IKE_STATE/ikehelper-$ih_name/sock" $KESPCTL -n "$ih_ns" "$@"
}

# json_grep KEY: every value of KEY (a grep alternation, e.g.
# 'nat\|encap') in the JSON on stdin, strings and numbers, in order.
json_grep() {
	grep -o "\"\($1\)\":\(\"[^\"]*\"\|[0-9]*\)" | sed 's/^[^:]*://; s/"//g'
}

ike_get() { ikectl "$1" "$2" --json ike list | json_grep "$3"; }

spis() {
	ih_json=$(ikectl "$1" "$2" --json ike list)
	echo "$(echo "$ih_json" | json_grep spi_in | head -n 1) $(echo "$ih_json" | json_grep spi_out | head -n 1)"
}

ike_sa_count() { ike_get "$1" "$2" role | wc -l; }

# conn_spis NS NAME CONN: "SPI_IN SPI_OUT" of the first CHILD_SA of
# connection CONN's IKE SA (kespctl ike list, read as a person would).
conn_spis() {
	ikectl "$1" "$2" ike list | awk -v conn="$3" '
		index($0, conn "[") == 1 { f = 1; next }
		/^[^ ]/ { f = 0 }
		f && $1 == "in" { i = $2 }
		f && $1 == "out" { o = $2; sub(/,$/, "", i); sub(/,$/, "", o); print i, o; exit }'
}

ikehelper_alive() {
	ike_alive "$(cat "$IKE_STATE/ikehelper-$1/pid")" && return 0
	fail "ikehelper is still running" "$(tail -5 "$(ike_log ikehelper "$1")")"
	finish
}

kernel_sa_count() { $KESPCTL -n "$1" sa list | grep -c '^sa '; }

log_has() { grep -Eq -- "$2" "$(ike_log ikehelper "$1")"; }

wait_for() {
	clock_now
	wf_end=$((NOW_S + $1 * TIME_SCALE))
	shift
	while :; do
		"$@" && return 0
		clock_now
		[ "$NOW_S" -lt "$wf_end" ] || return 1
		sleep "${WF_STEP:-0.5}"
	done
}

ike_monitor() {
	: >"$3"
	ikectl "$1" "$2" monitor >>"$3" 2>&1 &
	echo $! >>"$IKE_STATE/monitor.pids"
	# ikehelper's first line to a subscriber, which kespctl shows on stderr.
	wait_event "$3" "monitoring ikehelper's events"
}

wait_event() {
	clock_now
	ih_deadline=$((NOW_S + ${3:-40} * TIME_SCALE))
	while clock_now && [ "$NOW_S" -lt "$ih_deadline" ]; do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}

log_secrets_absent() {
	ih_log=$(ike_log ikehelper "$1") ih_what=$2
	shift 2
	# The hex dumps' digits joined: a key cut by a line end or by the
	# groups of four bytes is still found.
	sed -n 's/^.* [0-9a-f]\{4\}: \([0-9a-f ]*\)$/\1/p' "$ih_log" | tr -d ' \n' >"$ih_log.hex"
	printf '%s\n' "$@" >"$ih_log.secrets"
	# One pass for all of them: each secret found, as written.
	ih_found=$(grep -ohF -f "$ih_log.secrets" "$ih_log" "$ih_log.hex")
	for ih_s in "$@"; do
		case "
$ih_found
" in
		*"
$ih_s
"*)	fail "$ih_what: ikehelper's log does not hold the secret ${ih_s%"${ih_s#????}"}..." \
				"$(grep -F -- "$ih_s" "$ih_log" | head -n 3)" ;;
		*)	pass "$ih_what: ikehelper's log does not hold the secret ${ih_s%"${ih_s#????}"}..." ;;
		esac
	done
}

pki_dirs() {
	PKI=$IKE_STATE/pki KDIR=$IKE_STATE/ikehelper-kesp
	mkdir -p "$PKI" "$KDIR/x509" "$KDIR/x509ca" "$KDIR/x509crl" "$KDIR/private" \
		east/x509 east/x509ca east/private
}

pki_key() {
	# The next key of its type from the host's pool (selftests/vm/key-pool.sh),
	# else a new one: "--key-type ecdsa --curve secp256r1" is ecdsa-secp256r1.
	ih_type=$(echo "$2" | sed 's/--key-type //; s/ --curve /-/; s/ --bits /-/')
	ih_n=$(($(cat "$PKI/.pool-$ih_type" 2>/dev/null || echo 0) + 1))
	echo "$ih_n" >"$PKI/.pool-$ih_type"
	if [ -s "$KESP_SRC/build/vm/keys/$ih_type-$ih_n.key" ]; then
		cp "$KESP_SRC/build/vm/keys/$ih_type-$ih_n.key" "$PKI/$1.key"
		return
	fi
	# shellcheck disable=SC2086
	certtool --generate-privkey --no-text $2 --outfile "$PKI/$1.key" >/dev/null 2>&1
}

pki_cert() {
	printf '%s\n' "$4" >"$PKI/$1.tmpl"
	if [ "$3" = self ]; then
		certtool --generate-self-signed --load-privkey "$PKI/$2.key" \
			--template "$PKI/$1.tmpl" --outfile "$PKI/$1.pem" >/dev/null 2>&1
	else
		certtool --generate-certificate --load-privkey "$PKI/$2.key" \
			--load-ca-certificate "$PKI/$3.pem" --load-ca-privkey "$PKI/$3.key" \
			--template "$PKI/$1.tmpl" --outfile "$PKI/$1.pem" >/dev/null 2>&1
	fi
}

pki_ca_tmpl() { printf 'cn = "%s"\norganization = "kesp"\ncountry = CH\nca\ncert_signing_key\ncrl_signing_key\nexpiration_days = 30\n' "$1"; }
pki_ee_tmpl() { printf 'cn = "%s"\norganization = "kesp"\ncountry = CH\ndns_name = "%s"\nsigning_key\n%s\n' "$1" "$1" "${2:-expiration_days = 2}"; }

# xfrm_count NS: XFRM states in NS (a peer's side of a tunnel).
xfrm_count() { ip -n "$1" xfrm state | grep -c '^src'; }
