# Shared helpers for guest selftests (sourced). Each check prints one line,
# "ok - WHAT" or "not ok - WHAT"; anything else a test prints is diagnostics
# the harness passes through as TAP comments.
# shellcheck shell=sh

KESPCTL=${KESPCTL:?run inside the guest harness}
FAILED=0

# Every --json output of kespctl is read by a real JSON parser. $KESPCTL
# becomes a wrapper that runs a copy of kespctl and, when --json is given,
# keeps a copy of what it printed; finish() hands them all to Python's
# json module (one document per line, strict UTF-8) and reports them as
# one check. Both live in a directory anyone may read (a test runs
# kespctl as nobody, too). Output to a regular file is written there as
# it comes (stderr, if it went to the same file, is held back and
# appended once the command ends); output to anything else (a pipe, a
# command substitution) is passed on once the command ends.
JSON_CHECK_DIR=$(mktemp -d /tmp/kespctl-json.XXXXXX)
chmod 755 "$JSON_CHECK_DIR"
cp "$KESPCTL" "$JSON_CHECK_DIR/kespctl.bin"
printf '#!/bin/sh\ndir=%s\n' "$JSON_CHECK_DIR" >"$JSON_CHECK_DIR/kespctl"
cat >>"$JSON_CHECK_DIR/kespctl" <<'WRAPPER'
json=0 skip=0
for arg; do
	if [ "$skip" = 1 ]; then skip=0; continue; fi
	case $arg in
	-j | -json | --json) json=1 ;;
	-b | -batch | --batch | -n | -netns | --netns) skip=1 ;;
	-*) ;;
	*) break ;;
	esac
done
[ "$json" = 1 ] || exec "$dir/kespctl.bin" "$@"

# Shell builtins only up to the command: each process started costs
# about 70 ms under TCG, and tests read --json output in loops.
# A record of our own: noclobber makes the creation exclusive.
i=0
set -C
until { : >"$dir/out.$$.$i"; } 2>/dev/null; do i=$((i + 1)); done
set +C
saved=$dir/out.$$.$i
# Keys stay out of the record.
cmd=""
for arg; do
	case $arg in 0x[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]*) arg=0x... ;; esac
	cmd="$cmd $arg"
done
echo "${cmd# }" >"$saved.cmd"
# Standard input stays the caller's although the command runs in the
# background (so that a signal to this script reaches it).
exec 3<&0
err="" start=""
if [ -f /proc/$$/fd/1 ]; then
	# Read back through a descriptor of its own: while a command runs
	# with a redirection, the shell's fd 1 may point elsewhere.
	exec 5</proc/$$/fd/1
	start=$(stat -L -c %s /proc/$$/fd/5)
	if [ /proc/$$/fd/2 -ef /proc/$$/fd/1 ]; then
		err=$(mktemp "$dir/err.XXXXXX")
		exec 2>"$err"
	fi
else
	exec 4>&1 1>"$saved"
fi
"$dir/kespctl.bin" "$@" 0<&3 3<&- &
child=$!
trap 'kill -TERM $child 2>/dev/null' TERM INT HUP
# A wait that a trapped signal cut short reports the job again later;
# dash would say "Terminated" on stderr then, which is not kespctl's.
while :; do
	wait $child 2>/dev/null
	status=$?
	kill -0 $child 2>/dev/null || break
done
trap - TERM INT HUP
if [ -n "$start" ]; then
	tail -c +$((start + 1)) <&5 >"$saved"
	exec 5<&-
else
	exec 1>&4 4>&-
	cat "$saved"
fi
if [ -n "$err" ]; then
	cat "$err" >>/proc/$$/fd/1
	rm -f "$err"
fi
exit $status
WRAPPER
chmod 755 "$JSON_CHECK_DIR/kespctl"
KESPCTL=$JSON_CHECK_DIR/kespctl

# One line for the test: every --json output it produced parsed.
json_check_report() {
	# shellcheck disable=SC2086
	set -- "$JSON_CHECK_DIR"/out.*.cmd
	if [ -e "$1" ]; then
		if ck_out=$(json_check "$JSON_CHECK_DIR" 2>&1); then
			pass "every --json output of kespctl is valid JSON ($ck_out)"
		else
			fail "every --json output of kespctl is valid JSON" "$ck_out"
		fi
	fi
	rm -rf "$JSON_CHECK_DIR"
}
# json_check DIR: selftests/lib/json_check.py on DIR, by the guest
# harness's checker when it runs (KESP_JSON_CHECKER, its request FIFO, and
# KESP_JSON_CHECKER_PID): that saves each test a python3 start.
json_check() {
	if [ -n "${KESP_JSON_CHECKER:-}" ] && kill -0 "${KESP_JSON_CHECKER_PID:-0}" 2>/dev/null &&
		mkfifo "$1/reply" 2>/dev/null; then
		echo "$1" >>"$KESP_JSON_CHECKER"
		jc_status="" jc_out=""
		while IFS= read -r jc_line; do
			if [ -z "$jc_status" ]; then
				jc_status=$jc_line
			else
				jc_out="$jc_out${jc_out:+
}$jc_line"
			fi
		done <"$1/reply"
		printf '%s\n' "$jc_out"
		[ "$jc_status" = 0 ]
	else
		python3 "$KESP_SRC/selftests/lib/json_check.py" "$1"
	fi
}

# KESP_VM_EXECPROF=1 (a developer's profile) also stamps each check with
# the guest's uptime, read by a builtin so the profile starts no process.
check_stamp() {
	[ -n "${KESP_VM_EXECPROF:-}" ] || return 0
	read -r cs_up cs_idle </proc/uptime
	echo "# at ${cs_up}s"
}
# KESP_TIME_SCALE (a whole number, 1 by default): how many times slower
# than Debian's kernel the guest runs, so that the tests' time budgets
# (waits, retransmission timers, deadlines) stretch with it; the
# debug-kernel tier sets it (KASAN and lockdep). No check is left out.
TIME_SCALE=${KESP_TIME_SCALE:-1}
scaled() { echo $(($1 * TIME_SCALE)); }	# SECONDS
# clock_now: $NOW_S, the guest's uptime in whole seconds, for the deadlines
# of wait loops: read by a builtin, where $(date +%s) starts a process
# (about 70 ms under TCG) on every turn of the loop.
clock_now() {
	read -r NOW_S cn_idle </proc/uptime
	NOW_S=${NOW_S%.*}
}
pass() { check_stamp; echo "ok - $1"; }
fail() {
	check_stamp
	echo "not ok - $1"
	shift
	for why in "$@"; do echo "  $why"; done
	FAILED=1
}

# check WHAT CMD...: CMD succeeds. (Its variables start with "ck_" so a
# caller's own survive.)
check() {
	ck_what=$1
	shift
	if ck_out=$("$@" 2>&1); then
		pass "$ck_what"
	else
		fail "$ck_what" "command: $*" "exit status $?, output: $ck_out"
	fi
}

# refuse WHAT STATUS PATTERN CMD...: CMD fails with exit STATUS and prints
# something matching the extended regex PATTERN (the error a user reads).
refuse() {
	ck_what=$1 ck_want=$2 ck_pattern=$3
	shift 3
	ck_out=$("$@" 2>&1)
	ck_status=$?
	if [ "$ck_status" -eq "$ck_want" ] && printf '%s\n' "$ck_out" | grep -Eq -- "$ck_pattern"; then
		pass "$ck_what"
	else
		fail "$ck_what" "command: $*" "want exit $ck_want and /$ck_pattern/," \
			"got exit $ck_status: $ck_out"
	fi
}

# same WHAT GOT WANT
same() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "got:  $2" "want: $3"
	fi
}

# Namespaces made by a test are removed on exit, whatever happens.
NETNS_MADE=""
netns_add() {
	for ns in "$@"; do
		ip netns add "$ns" && NETNS_MADE="$NETNS_MADE $ns"
		ip -n "$ns" link set lo up
	done
}
cleanup_netns() {
	for ns in $NETNS_MADE; do ip netns del "$ns" 2>/dev/null; done
	NETNS_MADE=""
}
trap cleanup_netns EXIT

# A value from the first object of kespctl --json output, via python3.
json_get() {	# JSON-TEXT EXPR  (EXPR applied to the parsed document `d`)
	printf '%s' "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); print($2)"
}

# json_first KEY... / json_sorted KEY: the first value of each "KEY" in
# kespctl's --json output on standard input (one line, with spaces
# between), or all values of KEY sorted, one line. For the flat numbers and
# names of kespctl's output (a string without its quotes, an empty object
# as {}, a missing key as nothing); one awk, where python3 costs a second
# under TCG. The output is still parsed by a real JSON parser: finish()
# checks every --json output of the test.
json_first() { json_values first "$@"; }
json_sorted() { json_values sorted "$1"; }
# json_pairs KEY1 KEY2: "V1=V2" for each KEY1 and the KEY2 that follows it
# before the next KEY1 (of each SA in a list, say), sorted, one line.
json_pairs() { json_values pairs "$1" "$2"; }
json_values() {	# first|sorted|pairs KEY...
	jv_mode=$1
	shift
	awk -v mode="$jv_mode" -v keys="$*" '
	BEGIN { nk = split(keys, key, " ") }
	{ doc = doc $0 "\n" }
	function value(s,   v) {
		if (s ~ /^"/) { v = substr(s, 2); sub(/".*/, "", v) }
		else if (s ~ /^\{\}/) v = "{}"
		else { v = s; sub(/[,}\]\n].*/, "", v) }
		return v
	}
	END {
		if (mode == "pairs") {
			nk = 0
			pat = "\"" key[1] "\":"
			pat2 = "\"" key[2] "\":"
			s = doc
			while ((i = index(s, pat)) > 0) {
				s = substr(s, i + length(pat))
				v = value(s)
				seg = s
				if ((i = index(seg, pat)) > 0) seg = substr(seg, 1, i - 1)
				if ((i = index(seg, pat2)) == 0) continue
				v = v "=" value(substr(seg, i + length(pat2)))
				for (j = n++; j > 0 && vals[j - 1] > v; j--) vals[j] = vals[j - 1]
				vals[j] = v
			}
			mode = "sorted"
		}
		for (k = 1; k <= nk; k++) {
			pat = "\"" key[k] "\":"
			s = doc
			while ((i = index(s, pat)) > 0) {
				s = substr(s, i + length(pat))
				v = value(s)
				if (mode == "first") break
				for (j = n++; j > 0 && vals[j - 1] > v; j--) vals[j] = vals[j - 1]
				vals[j] = v
			}
			if (mode == "first") printf "%s%s", (k > 1 ? " " : ""), (i > 0 ? v : "")
		}
		if (mode == "sorted") for (j = 0; j < n; j++) printf "%s%s", (j ? " " : ""), vals[j]
		print ""
	}'
}

finish() {
	json_check_report
	# The harness counts a test that never printed this as failed: it
	# stopped before its last check.
	echo "kesp-test: complete"
	exit "$FAILED"
}

# wait_line FILE PATTERN: until FILE has a line matching PATTERN (10 s),
# e.g. until tcpdump says it is listening or a daemon that it is ready.
wait_line() {
	wl_n=0
	while [ $wl_n -lt 50 ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.2
		wl_n=$((wl_n + 1))
	done
	return 1
}

# Pings that must all be answered are sent as "ping -c N -i 0.05 -w 10":
# with a deadline ping ends as soon as the N replies are in, and waits up
# to 10 s for a late one. Without one (-W), it gives up on what is still
# outstanding twice the largest round trip after its last request, which
# is why such pings used to be 0.2 s apart (0.6 s for 4 pings, each case).

# hexkey N: N random bytes as 0x-hex, the key syntax of kespctl and ip xfrm.
hexkey() { printf '0x%s' "$(od -An -tx1 -N "$1" /dev/urandom | tr -d ' \n')"; }

# two_sites: namespaces a and b on one wire (192.168.100.0/24 and
# fd00:100::/64, .1 in a, .2 in b). a has kesp0 (10.1.0.1, fd00:1::1)
# with b's inner networks (10.2.0.0/24, fd00:2::/64) routed into it; b has
# those networks on a dummy device and routes a's (10.1.0.0/24,
# fd00:1::/64) over the wire, where its XFRM policies can catch them.
two_sites() {
	netns_add a b
	ip link add veth-a netns a type veth peer name veth-b netns b
	{
		echo "link set veth-a up"
		echo "addr add 192.168.100.1/24 dev veth-a"
		echo "addr add fd00:100::1/64 dev veth-a nodad"
		site_kesp_cmds
	} | ip -n a -batch -
	{
		echo "link set veth-b up"
		echo "addr add 192.168.100.2/24 dev veth-b"
		echo "addr add fd00:100::2/64 dev veth-b nodad"
		site_inner_cmds
		echo "route add 10.1.0.0/24 via 192.168.100.1"
		echo "route add fd00:1::/64 via fd00:100::1"
	} | ip -n b -batch -
}

# The sites' ip commands go through one "ip -batch" per namespace: each
# process started costs about 70 ms under TCG, and most tests build them.
# site_kesp NS: kesp0 in NS (10.1.0.1, fd00:1::1), the other site's inner
# networks (10.2.0.0/24, fd00:2::/64) routed into it.
site_kesp() { site_kesp_cmds | ip -n "$1" -batch -; }
site_kesp_cmds() {
	echo "link add kesp0 type kesp"
	echo "link set kesp0 up"
	echo "addr add 10.1.0.1/32 dev kesp0"
	echo "addr add fd00:1::1/128 dev kesp0 nodad"
	echo "route add 10.2.0.0/24 dev kesp0"
	echo "route add fd00:2::/64 dev kesp0"
}

# site_inner NS: the inner networks 10.2.0.0/24 and fd00:2::/64 on a
# dummy device "inner" in NS (.1 and ::1 there).
site_inner() { site_inner_cmds | ip -n "$1" -batch -; }
site_inner_cmds() {
	echo "link add inner type dummy"
	echo "link set inner up"
	echo "addr add 10.2.0.1/24 dev inner"
	echo "addr add fd00:2::1/64 dev inner nodad"
}

# site_b_policies: b's XFRM policies for 10.2.0.0/24 <-> 10.1.0.0/24 over
# IPv4, reqid 1, tunnel mode.
site_b_policies() {
	ip -n b xfrm policy add src 10.2.0.0/24 dst 10.1.0.0/24 dir out \
		tmpl src 192.168.100.2 dst 192.168.100.1 proto esp reqid 1 mode tunnel
	ip -n b xfrm policy add src 10.1.0.0/24 dst 10.2.0.0/24 dir in \
		tmpl src 192.168.100.1 dst 192.168.100.2 proto esp reqid 1 mode tunnel
}

# kesp_pair ALG-ARGS...: kesp's half of the IPv4 tunnel between the two
# sites, in a: SPI 0x100 from a to b, 0x200 back. xfrm_pair: XFRM's half
# with the same keys, in b. kesp_xfrm_pair: both.
kesp_pair() {
	$KESPCTL -n a sa add dev kesp0 dir out src 192.168.100.1 dst 192.168.100.2 \
		proto esp spi 0x100 mode tunnel reqid 1 "$@" sel src 10.1.0.0/24 dst 10.2.0.0/24 >/dev/null &&
	$KESPCTL -n a sa add dev kesp0 dir in src 192.168.100.2 dst 192.168.100.1 \
		proto esp spi 0x200 mode tunnel reqid 1 "$@" sel src 10.2.0.0/24 dst 10.1.0.0/24 >/dev/null
}
xfrm_pair() {
	ip -n b xfrm state add src 192.168.100.1 dst 192.168.100.2 proto esp spi 0x100 reqid 1 \
		mode tunnel "$@" &&
	ip -n b xfrm state add src 192.168.100.2 dst 192.168.100.1 proto esp spi 0x200 reqid 1 \
		mode tunnel "$@"
}
kesp_xfrm_pair() {
	kesp_pair "$@" && xfrm_pair "$@"
}

# interop_sas ALG-ARGS...: replaces the sites' SAs and b's policies with
# one pair for $na <-> $nb between the outer addresses $ea (a) and $eb
# (b): kesp's SA pair in a, XFRM's SAs and policies in b, SPI $out_spi
# from a to b and $in_spi back, mode $sa_mode (tunnel unless set), reqid
# $sa_reqid (1 unless set). The words in $kesp_more are added to kesp's
# SAs, those in $xfrm_more to XFRM's (e.g. "flag af-unspec" for another
# family inside). On failure $out holds the error.
interop_sas() {
	# One batch for each stack (a process costs about 70 ms under TCG).
	# Every argument in double quotes, so an empty key (cipher_null) stays
	# a word in both.
	sa_args=""
	for arg; do sa_args="$sa_args \"$arg\""; done
	out=$(printf '%s\n' "sa flush" \
		"sa add dev kesp0 dir out src $ea dst $eb proto esp spi $out_spi mode ${sa_mode:-tunnel} reqid ${sa_reqid:-1} \
$sa_args ${kesp_more:-} sel src $na dst $nb" \
		"sa add dev kesp0 dir in src $eb dst $ea proto esp spi $in_spi mode ${sa_mode:-tunnel} reqid ${sa_reqid:-1} \
replay-window $INTEROP_REPLAY_WINDOW $sa_args ${kesp_more:-} sel src $nb dst $na" |
		$KESPCTL -n a -batch - 2>&1) &&
	out=$(printf '%s\n' "xfrm state flush" "xfrm policy flush" \
		"xfrm state add src $ea dst $eb proto esp spi $out_spi reqid ${sa_reqid:-1} mode ${sa_mode:-tunnel} $sa_args ${xfrm_more:-}" \
		"xfrm state add src $eb dst $ea proto esp spi $in_spi reqid ${sa_reqid:-1} mode ${sa_mode:-tunnel} $sa_args ${xfrm_more:-}" \
		"xfrm policy add src $nb dst $na dir out tmpl src $eb dst $ea proto esp reqid ${sa_reqid:-1} mode ${sa_mode:-tunnel}" \
		"xfrm policy add src $na dst $nb dir in tmpl src $ea dst $eb proto esp reqid ${sa_reqid:-1} mode ${sa_mode:-tunnel}" |
		ip -n b -batch - 2>&1)
}

# The replay window of kesp's inbound SAs in interop tests. The guest's two
# CPUs take packets from the veth in separate backlogs; under TCG one can
# stall long enough that XFRM's packets arrive more than 64 apart, which a
# 64-packet window rightly drops (60-esp-input tests the window itself).
INTEROP_REPLAY_WINDOW=1024

# counters [--settle]: packet counters of kesp's SA pair in namespace a
# ($out_spi outbound, $in_spi inbound) and of XFRM's SAs with those SPIs
# in namespace b, as "KESP_OUT KESP_IN / XFRM_IN XFRM_OUT" ("None" for an
# SA that is not there). With --settle it samples until each stack has
# received what the other sent (KESP_OUT = XFRM_IN and KESP_IN =
# XFRM_OUT), at most 7 s of the guest's clock: until then something is
# still in flight after a transfer. It prints the last sample, agreeing
# or not; a lost or duplicated packet never agrees.
counters() {
	if [ "${1:-}" = --settle ]; then
		clock_now
		cs_end=$((NOW_S + 7 * TIME_SCALE))
		while :; do
			counters_now=$(counters_sample)
			# shellcheck disable=SC2086
			counters_agree $counters_now && break
			clock_now
			[ "$NOW_S" -lt "$cs_end" ] || break
			sleep 0.25
		done
		echo "$counters_now"
	else
		counters_sample
	fi
}
# counters_agree KESP_OUT KESP_IN / XFRM_IN XFRM_OUT (a sample's words)
counters_agree() { [ "$1" != None ] && [ "$1" = "$4" ] && [ "$2" = "$5" ]; }
# One awk over both listings: the interop tests count after every case,
# and each process started costs about 70 ms under TCG (jq 0.8 s, python3
# 1 s). kespctl's lines: "sa ID dev DEV dir DIR spi ..." then
# "\tstats packets N ..."; ip's: "proto esp spi 0xSPI ...", then after
# "lifetime current:" a line ending in "N(packets)".
counters_sample() {
	{ $KESPCTL -n a sa list; echo "== xfrm"; ip -n b -s xfrm state; } 2>/dev/null |
		awk -v out_spi="$(printf '%08x' "$out_spi")" -v in_spi="$(printf '%08x' "$in_spi")" '
		/^== xfrm$/ {xfrm = 1; next}
		!xfrm && /^sa [0-9]+ / {for (f = 1; f < NF; f++) if ($f == "dir") dir = $(f + 1); next}
		!xfrm && /^\tstats / {for (f = 1; f < NF; f++) if ($f == "packets") kesp[dir] = $(f + 1)}
		xfrm && /proto esp spi/ {spi = $4; sub(/^0x/, "", spi); sub(/\(.*/, "", spi); now = 0}
		xfrm && /lifetime current:/ {now = 1}
		xfrm && now && /\(packets\)/ {n = $NF; sub(/\(packets\)/, "", n); if (!(spi in x)) x[spi] = n; now = 0}
		function get(a, k) { return (k in a) ? a[k] : "None" }
		END {print get(kesp, "out"), get(kesp, "in"), "/", get(x, out_spi), get(x, in_spi)}'
}

# xfrm_packets NS SPI: the packets the XFRM state with SPI (8 hex digits,
# as ip xfrm writes them) has counted; nothing when there is no such state.
# ip xfrm writes "spi 0x0000abcd", and with -s "spi 0x0000abcd(43981)".
xfrm_packets() {
	ip -n "$1" -s xfrm state | awk -v want="$2" '
		/proto esp spi/ {spi = $4; sub(/^0x/, "", spi); sub(/\(.*/, "", spi); this = (spi == want); now = 0}
		/lifetime current:/ {now = this}
		now && /\(packets\)/ {n = $NF; sub(/\(packets\)/, "", n); print n; exit}'
}

# iperf_server NS ADDR: a one-shot iperf3 server on ADDR in NS, once it
# says it listens (a fixed second costs more under TCG); bounded, so a
# server whose client never connected cannot wait forever. Its pid:
# $iperf_server_pid.
iperf_server() {
	: >/tmp/iperf-server.out
	timeout 60 ip netns exec "$1" iperf3 -s -1 -B "$2" --forceflush >/tmp/iperf-server.out 2>&1 &
	iperf_server_pid=$!
	wait_line /tmp/iperf-server.out 'Server listening'
}
# iperf_mbit FILE: end.sum_received.bits_per_second of iperf3 -J's report
# in Mbit/s, nothing if it has none (one awk: jq takes 0.8 s under TCG).
iperf_mbit() {
	awk '/^\t"end":/ { end = 1 } end && /^\t\t"sum_received":/ { sum = 1 }
		sum && /^\t\t\t"bits_per_second":/ {
			v = $0; sub(/^[^:]*:[ \t]*/, "", v); sub(/,$/, "", v)
			if (v ~ /^[0-9.e+-]+$/) printf "%.1f", v / 1e6
			exit }
		sum && /^\t\t}/ { exit }' "$1"
}

# iperf_json_server NS ADDR PORT FILE: a one-shot iperf3 server in NS on
# ADDR:PORT whose -J report, in 0.5 s intervals (the receiver's view),
# goes to FILE; returns once it listens (-J prints nothing before the
# end). Its pid is $iperf_json_pid.
iperf_json_server() {
	rm -f "$4"
	timeout 120 ip netns exec "$1" iperf3 -s -1 -B "$2" -p "$3" -i 0.5 -J --logfile "$4" \
		>/dev/null 2>&1 &
	iperf_json_pid=$!
	for _ in $(seq 50); do
		ip netns exec "$1" ss -Hltn "sport = :$3" | grep -q . && return 0
		sleep 0.2
	done
	return 1
}
# iperf_stalls FILE: "SECONDS LONGEST-STALL MBIT" from the intervals of
# iperf3 -J's report FILE: the seconds its intervals cover, the longest
# run of intervals that moved no byte, and the mean rate of the others.
iperf_stalls() {
	awk '/^\t"end":/ { exit }
		/^\t\t\t\t"seconds":/ { sec = $2 + 0 }
		/^\t\t\t\t"bytes":/ { b = $2 + 0; all += sec
			if (b == 0) { run += sec; if (run > m) m = run; next }
			run = 0; sum += b; t += sec }
		END { printf "%.1f %.2f %.1f\n", all, m, t ? sum * 8 / t / 1e6 : 0 }' "$1" 2>/dev/null
}
# iperf_retransmits FILE: end.sum_sent.retransmits of the client's -J report.
iperf_retransmits() {
	awk '/^\t"end":/ { end = 1 } end && /^\t\t"sum_sent":/ { sum = 1 }
		sum && /^\t\t\t"retransmits":/ { print $2 + 0; exit }' "$1" 2>/dev/null
}

# iperf_agrees WHAT SERVER CLIENT IPERF-ARGS: a short iperf3 TCP transfer
# from CLIENT in a to SERVER in b; then kesp's SA pair in a and XFRM's in b
# (SPIs $out_spi and $in_spi) must each have received exactly what the
# other sent.
iperf_agrees() {
	iperf_server b "$2"
	# shellcheck disable=SC2086
	if ip netns exec a iperf3 -c "$2" -B "$3" $4 -J >/tmp/iperf.json 2>&1 &&
		mbit=$(iperf_mbit /tmp/iperf.json) && [ -n "$mbit" ]; then
		pass "$1: iperf3 TCP ($mbit Mbit/s)"
	else
		fail "$1: iperf3 TCP" "$(tail -5 /tmp/iperf.json)"
	fi
	# Only the server: a test may keep daemons of its own in the background.
	wait $iperf_server_pid
	c=$(counters --settle)
	same "$1: after iperf3, each side received exactly what the other sent" \
		"$(echo "$c" | awk '{print ($1 == $4 && $2 == $5 && $1 > 100) ? "agree" : "differ: " $0}')" agree
	if [ "$(echo "$c" | awk '{print ($1 == $4 && $2 == $5) ? 1 : 0}')" = 0 ]; then
		$KESPCTL -n a sa list | sed 's/^/  /'
	fi
	rm -f /tmp/iperf.json
}

# tcp_intact WHAT FROM FROM_ADDR TO TO_ADDR: 4 MiB of random data over TCP
# from namespace FROM to TO through the tunnel while TO's underlay drops
# one ESP packet in 25, so the sender retransmits: what arrives must hash
# as what was sent (a retransmitted segment's pages are encrypted again),
# and the drops must have happened.
tcp_intact() {
	ip netns exec "$4" nft -f - <<-EOF
		table inet kesp_loss {
			chain in {
				type filter hook input priority 0;
				meta l4proto esp numgen random mod 25 == 0 counter drop
			}
		}
	EOF
	: >/tmp/blob-recv.out
	timeout 60 ip netns exec "$4" python3 "$KESP_SRC/selftests/tests/tcp_blob.py" \
		recv "$5" 5301 >/tmp/blob-recv.out 2>&1 &
	ti_pid=$!
	wait_line /tmp/blob-recv.out ready
	ti_sent=$(timeout 60 ip netns exec "$2" python3 "$KESP_SRC/selftests/tests/tcp_blob.py" \
		send "$5" 5301 "$3" 4194304 2>&1)
	wait $ti_pid
	ti_dropped=$(ip netns exec "$4" nft list table inet kesp_loss |
		awk '/counter packets/ {print $(NF - 3); exit}')
	ip netns exec "$4" nft delete table inet kesp_loss
	same "$1: 4 MiB over TCP with one ESP packet in 25 dropped arrive intact" \
		"$(sed -n 2p /tmp/blob-recv.out)" "$ti_sent"
	if [ "${ti_dropped:-0}" -gt 0 ]; then
		pass "$1: the transfer lost ESP packets and retransmitted ($ti_dropped dropped)"
	else
		fail "$1: the transfer lost ESP packets and retransmitted" "dropped: ${ti_dropped:-none}"
	fi
}

# ---- through a NAT ----
# x (10.9.1.2 / fd00:9:1::2, inner 10.3.0.1 / fd00:3::1) -- n -- y
# (10.9.2.2 / fd00:9:2::2, inner 10.4.0.1 / fd00:4::1). n masquerades what
# leaves towards y from UDP port 4500 as its own address (10.9.2.1 /
# fd00:9:2::1) and a port the test chooses. x starts the traffic: only its
# packets open the NAT's mapping. nat_topology FAMILY (4 or 6) builds it
# and sets the variables named here for the test.
nat_topology() {
	fam=$1
	netns_add x n y
	ip link add veth-x netns x type veth peer name veth-nx netns n
	ip link add veth-y netns y type veth peer name veth-ny netns n
	for l in x/veth-x n/veth-nx n/veth-ny y/veth-y; do ip -n "${l%/*}" link set "${l#*/}" up; done
	if [ "$fam" = 4 ]; then
		X=10.9.1.2 NX=10.9.1.1 N=10.9.2.1 N2=10.9.2.3 Y=10.9.2.2 plen=24
		XIN=10.3.0.1 XNET=10.3.0.0/24 YIN=10.4.0.1 YNET=10.4.0.0/24 ping=ping any=0.0.0.0 nodad=
		nft_family=ip
		ip netns exec n sysctl -qw net.ipv4.ip_forward=1
	else
		X=fd00:9:1::2 NX=fd00:9:1::1 N=fd00:9:2::1 N2=fd00:9:2::3 Y=fd00:9:2::2 plen=64
		XIN=fd00:3::1 XNET=fd00:3::/64 YIN=fd00:4::1 YNET=fd00:4::/64 ping="ping -6" any=:: nodad=nodad
		nft_family=ip6
		ip netns exec n sysctl -qw net.ipv6.conf.all.forwarding=1
	fi
	ip -n x addr add $X/$plen dev veth-x $nodad
	ip -n n addr add $NX/$plen dev veth-nx $nodad
	ip -n n addr add $N/$plen dev veth-ny $nodad
	ip -n y addr add $Y/$plen dev veth-y $nodad
	ip -n x route add default via $NX
}
# nat_to [ADDRESS]:PORT[-PORT] [MATCH]: what n maps x's port 4500 to from
# now on (or, given an nft MATCH such as "meta l4proto udp", what x sends
# that matches); the NAT forgets its mappings. Without an address it
# masquerades as its own. Other tables of n stay.
nat_to() {
	case $1 in
	:*) how="masquerade to $1" ;;
	*) how="snat to $1" ;;
	esac
	ip netns exec n nft -f - <<EOF
table $nft_family nat
delete table $nft_family nat
table $nft_family nat {
	chain post {
		type nat hook postrouting priority srcnat;
		oifname "veth-ny" ${2:-udp sport 4500} $how
	}
}
EOF
	ip netns exec n conntrack -F >/dev/null 2>&1
	ip netns exec n conntrack -f ipv6 -F >/dev/null 2>&1
}
# calls FUNCTION COMMAND...: how often the kernel function FUNCTION
# (kesp's own included) ran while COMMAND ran, counted by the function
# tracer; with CALLER=NAME set, only calls made from NAME count.
calls() {
	tr=/sys/kernel/tracing
	[ -e $tr/trace ] || mount -t tracefs nodev $tr || return 1
	calls_fn=$1
	shift
	echo "$calls_fn" >$tr/set_ftrace_filter || return 1
	echo function >$tr/current_tracer
	echo >$tr/trace
	echo 1 >$tr/tracing_on
	"$@" >/dev/null 2>&1
	echo 0 >$tr/tracing_on
	grep -c " $calls_fn <-${CALLER:-}" $tr/trace
	echo nop >$tr/current_tracer
	echo >$tr/set_ftrace_filter
}
