#!/bin/sh
# Inside a bench guest (run-vm.sh --bench): kesp against the kernel's XFRM,
# policy-based ("xfrm") and route-based through an xfrm interface
# ("xfrmi"), on the same namespaces, veths, keys and settings (topo.sh).
# Every measurement is repeated RUNS times per stack, the stacks taking
# turns in a rotation (ABC CAB BCA ..., so a drift in the machine's load
# touches all alike). The raw output of
# every run goes to $OUT/runs/ with a line in $OUT/manifest; report.py
# turns them into result.json and the table at the end of log.txt.
#   KESP_BENCH_PROFILE  full (make bench) or smoke (make check)
#   KESP_BENCH_ONLY     sections to run, of: tcp tcp2 udp latency scale handshake
#                       (and install and profile, run only when named;
#                       install may come with base-kespctl=PATH and
#                       install-stacks=LIST, see bench_install; profile
#                       with profile-of=sas profiles installing and
#                       flushing only, not TCP). Two more words
#                       it may hold, for a before/after
#                       comparison (not part of make bench):
#                       tcp-mode=M   the TCP section in mode M only
#                                    (transport or tunnel)
#                       base-ko=PATH a module to compare the tree's with,
#                                    a path in the checkout with %K for
#                                    the kernel release: the bench runs
#                                    twice in the guest, that module's
#                                    pass in $OUT/base, the tree's in
#                                    $OUT/new, each against XFRM
#   KESP_BENCH_SCALE    numbers of SAs for the scale section; run.sh has
#                       written each one's SAs to build/bench/sas/N/
#   KESP_BENCH_DEADLINE seconds this may take: a section (or scale size)
#                       that would end later is not run, and says so
set -u
SRC=/run/kesp/src
OUT=${KESP_BENCH_OUT:-/run/kesp/out/bench}
KVER=$(uname -r)
KO=${KESP_BENCH_KO:-$SRC/build/kmod/$KVER/kmod/kesp.ko}
only_word() { for w in ${KESP_BENCH_ONLY:-}; do case $w in "$1"=*) echo "${w#*=}" ;; esac; done; }
TCP_MODES=$(only_word tcp-mode)
BASE_KO=$(only_word base-ko)
if [ -n "$BASE_KO" ] && [ -z "${KESP_BENCH_OUT:-}" ]; then
	rm -rf "$OUT"
	mkdir -p "$OUT"
	base_ko=$SRC/$(echo "$BASE_KO" | sed "s/%K/$KVER/g")
	KESP_BENCH_OUT=$OUT/base KESP_BENCH_KO=$base_ko sh "$SRC/selftests/bench/guest-bench.sh"
	KESP_BENCH_OUT=$OUT/new sh "$SRC/selftests/bench/guest-bench.sh"
	cat "$OUT/base/log.txt" "$OUT/new/log.txt" >"$OUT/log.txt"
	dmesg >"$OUT/dmesg.txt"
	exit 0
fi
export KESP_SRC=$SRC KESPCTL=$SRC/tools/kespctl
PROFILE=${KESP_BENCH_PROFILE:-full}
ONLY=${KESP_BENCH_ONLY:-}
SCALE=${KESP_BENCH_SCALE:-}
DEADLINE=${KESP_BENCH_DEADLINE:-0}
BENCH=$SRC/selftests/bench
rm -rf "$OUT"
mkdir -p "$OUT/runs"
exec >"$OUT/log.txt" 2>&1
. "$BENCH/topo.sh"
. "$BENCH/handshake.sh"

case $PROFILE in
full)
	# RUNS 3 (5 with two stacks): three stacks in the same time.
	RUNS=3 TCP_SECONDS=2 UDP_SECONDS=2 PINGS=100 FLOOD=500
	ALGS="aes-gcm-128 chacha20-poly1305 null-hmac-sha256" UDP_SIZES="64 512"
	SCALE_RUNS=3 SCALE_REPS=3
	;;
smoke)
	RUNS=1 TCP_SECONDS=1 UDP_SECONDS=1 PINGS=10 FLOOD=50
	ALGS="aes-gcm-128" UDP_SIZES="64" SCALE_RUNS=1 SCALE_REPS=1
	;;
*) echo "bench: unknown profile $PROFILE"; exit 1 ;;
esac

# The same keys for both stacks, new for every boot.
hexkey() { printf '0x%s' "$(od -An -tx1 -N "$1" /dev/urandom | tr -d ' \n')"; }
K20=$(hexkey 20) K32=$(hexkey 32) K36=$(hexkey 36)

started=$(date +%s.%N)
started_s=${started%.*}
elapsed() { echo $(($(date +%s) - started_s)); }
log() { echo "[$(echo "$(date +%s.%N) $started" | awk '{printf "%.1f", $1 - $2}')s] $*"; }
wanted() { [ -z "$ONLY" ] || case " $ONLY " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
now() { date +%s.%N; }

# manifest KIND SECTION CASE STACK RUN VALUE-OR-FILE: files relative to
# $OUT, so report.py can also read what a stopped guest left behind.
manifest() {
	m_head="$1 $2 $3 $4 $5"
	shift 5
	m_value=$*
	echo "$m_head ${m_value#"$OUT"/}" >>"$OUT/manifest"
}
meta() { echo "$1=$2" >>"$OUT/meta"; }

run_n=0
# new_run SECTION CASE: a fresh file name for one run's raw output.
new_run() { run_n=$((run_n + 1)); RUN=$OUT/runs/$run_n-$1-$(echo "$2" | tr / -)-$STACK; }

# stack_order I [STACKS]: the stacks (default: those configure left
# working, $ACTIVE) in the order of run I, a rotation: ABC CAB BCA ABC...
# (AB BA AB... for two).
stack_order() {
	set -- "$1" ${2:-$ACTIVE}
	so_i=$1
	shift
	so_k=$(((so_i - 1) * ($# - 1) % $#))
	while [ $so_k -gt 0 ]; do
		so_first=$1
		shift
		set -- "$@" "$so_first"
		so_k=$((so_k - 1))
	done
	echo "$@"
}

# pair_counters STACK NODE LOCAL REMOTE OUT-SPI IN-SPI: the counters of
# NODE's SA pair in STACK (out: LOCAL to REMOTE, in: the other way).
pair_counters() {
	case $1 in
	kesp)
		if [ "$PAIR_TOPO" = pcpu ]; then
			# the fallback pair and one per CPU
			$KESPCTL -n kesp-$2 --json sa list dev kesp0
		else
			$KESPCTL -n kesp-$2 --json sa get dev kesp0 dir out spi $5 dst $4 &&
			$KESPCTL -n kesp-$2 --json sa get dev kesp0 dir in spi $6
		fi
		;;
	xfrm*)
		ip -n $1-$2 -s xfrm state get src $3 dst $4 proto esp spi $5 &&
		ip -n $1-$2 -s xfrm state get src $4 dst $3 proto esp spi $6
		;;
	esac
}

# counters SECTION CASE TOPOLOGY: the counters of each stack's SA pair on
# the first node (ha or gw1) after a case, to show which data plane
# carried the traffic and what it dropped, and for XFRM the growth of
# /proc/net/xfrm_stat in both nodes since stat_mark. Only the pair:
# listing 100,000 SAs takes minutes here.
PAIR_TOPO=""
counters() {
	PAIR_TOPO=$3
	if [ "$3" = transport ]; then
		set -- "$1" "$2" ha 192.168.50.1 192.168.50.2 0x1001 0x1002 hb
	else
		set -- "$1" "$2" gw1 192.168.60.1 192.168.60.2 0x2001 0x2002 gw2
	fi
	for STACK in $ACTIVE; do
		co_file=$OUT/runs/counters-$1-$(echo "$2" | tr / -)-$STACK
		pair_counters $STACK $3 $4 $5 $6 $7 >"$co_file" 2>&1
		manifest counters "$1" "$2" $STACK - "$co_file"
		# The other node's pair too, for its errors (it decrypts what the
		# first sends): as the xfrm_stat growth below, both nodes count.
		pair_counters $STACK $8 $5 $4 $7 $6 >"$co_file-$8" 2>&1
		manifest peercounters "$1" "$2" $STACK - "$co_file-$8"
		case $STACK in
		xfrm*)
			for co_node in $3 $8; do
				cp "$OUT/runs/stat-$STACK-$co_node.before" "$co_file-$co_node.before"
				ip netns exec $STACK-$co_node cat /proc/net/xfrm_stat >"$co_file-$co_node.after" 2>&1
				manifest xfrmstat "$1" "$2" $STACK - "$co_file-$co_node"
			done
			;;
		esac
	done
}

# stat_mark TOPOLOGY: /proc/net/xfrm_stat of both nodes of each XFRM
# stack, as counters' starting point (xfrm_stat counts for the namespace).
stat_mark() {
	case $1 in transport) set -- ha hb ;; *) set -- gw1 gw2 ;; esac
	for sm_stack in $ACTIVE; do
		case $sm_stack in xfrm*) ;; *) continue ;; esac
		for sm_node in "$@"; do
			ip netns exec $sm_stack-$sm_node cat /proc/net/xfrm_stat \
				>"$OUT/runs/stat-$sm_stack-$sm_node.before" 2>&1
		done
	done
}

# (Shell functions share one set of variables: each helper's own start
# with its initials.)
wait_listen() {	# NS PORT
	wl_n=0
	while [ $wl_n -lt 100 ]; do
		ip netns exec "$1" ss -Hltn "sport = :$2" 2>/dev/null | grep -q . && return 0
		sleep 0.05
		wl_n=$((wl_n + 1))
	done
	return 1
}

# One iperf3 server per stack and topology for the whole benchmark, on
# CPU 1 (clients run on CPU 0): starting one per run costs seconds here.
# A one-vCPU guest (KESP_VM_SMP=1) has only CPU 0. The two-flow section's
# flow from CPU 0 goes to a server on CPU 0 (dst, port 5202), so that each
# of its flows stays on one CPU (its client's and server's, see bench_tcp2).
SERVERS="hb:192.168.50.2:5201 dst:10.10.2.2:5201"
SERVER_CPU=$(($(nproc) > 1 ? 1 : 0))
[ "$SERVER_CPU" = 1 ] && SERVERS="$SERVERS dst:10.10.2.2:5202"
server_start() {	# NS ADDR PORT
	ip netns exec "$1" iperf3 -s -B "$2" -p "$3" -A $((SERVER_CPU - ($3 - 5201))) \
		>/dev/null 2>&1 &
	echo $! >"$OUT/server-$1-$3.pid"
}
servers_start() {
	for STACK in $STACKS; do
		for ss_node in $SERVERS; do
			IFS=: read -r ss_ns ss_addr ss_port <<-EOF
				$ss_node
			EOF
			server_start $STACK-$ss_ns $ss_addr $ss_port
		done
	done
	for STACK in $STACKS; do
		for ss_node in $SERVERS; do
			wait_listen $STACK-${ss_node%%:*} ${ss_node##*:} || return 1
		done
	done
}
servers_stop() {
	for ss_pid in "$OUT"/server-*.pid; do kill "$(cat "$ss_pid")" 2>/dev/null; done
	wait
}

# iperf_on PORT CPU CLIENT SERVER SERVER-ADDR ARGS...: one iperf3 test
# between the current stack's nodes, the client on CPU, to the server on
# PORT, its JSON in $RUN.json. A server that saw a failed test is
# restarted, so the next run finds it idle.
iperf_on() {
	ip_port=$1 ip_cpu=$2 ip_client=$STACK-$3 ip_server=$STACK-$4 ip_addr=$5
	shift 5
	# iperf3's own timeouts instead of timeout(1): one program less to
	# start per run.
	if ! ip netns exec "$ip_client" iperf3 -c "$ip_addr" -p "$ip_port" -A "$ip_cpu" -J \
			--connect-timeout 5000 "$@" >"$RUN.json" 2>&1; then
		kill "$(cat "$OUT/server-$ip_server-$ip_port.pid")" 2>/dev/null
		server_start "$ip_server" "$ip_addr" "$ip_port"
		wait_listen "$ip_server" "$ip_port"
	fi
}
# iperf CLIENT SERVER SERVER-ADDR ARGS...: the sections' flow, the client
# on CPU 0 and the server (port 5201) on CPU 1.
iperf() { iperf_on 5201 0 "$@"; }

# configure SECTION CASE TOPOLOGY ALG [STACKS]: the stacks' SAs for a
# case (default: all of $STACKS), then pings through each (neighbours,
# routes) that must be answered. ACTIVE is left naming the stacks that
# work; one that does not gets a manifest line with the reason: "na" (a
# failure: report.py check fails the bench) or, for xfrmi in transport
# mode where the kernel refuses it, "unsupported" with the kernel's words.
# Sections that use the same SAs keep them (SA counters are then
# cumulative; xfrm_stat is read from the start of each case).
CONFIGURED=""
ACTIVE=""
configure() {
	cf_want=${5:-$STACKS}
	if [ "$CONFIGURED" = "$3 $4 $cf_want" ]; then
		stat_mark "$3"
		return 0
	fi
	CONFIGURED="" ACTIVE=""
	for STACK in $cf_want; do
		if ! cf_out=$(sas_up $STACK "$3" "$4" 2>&1); then
			manifest na "$1" "$2" $STACK - "configuring $STACK failed: $(echo "$cf_out" | head -n 3 | tr '\n' ' ')"
			log "configuring $STACK for $3 $4 failed: $cf_out"
			continue
		fi
		if [ "$3" = transport ]; then
			set -- "$1" "$2" "$3" "$4" ha 192.168.50.2
		else
			set -- "$1" "$2" "$3" "$4" src 10.10.2.2
		fi
		cf_lines=$(dmesg | wc -l)
		if cf_out=$(ip netns exec $STACK-$5 ping -c 3 -i 0.1 -W 2 $6 2>&1); then
			ACTIVE="$ACTIVE $STACK"
		elif [ $STACK = xfrmi ] && [ "$3" = transport ]; then
			cf_why=$(dmesg | tail -n +$((cf_lines + 1)) | grep -i -m 1 'ipsec0\|xfrm\|loop' | sed 's/^\[[^]]*\] //')
			manifest unsupported "$1" "$2" $STACK - "xfrmi in transport mode carries nothing on $KVER: ping says $(echo "$cf_out" | grep -m 1 -i 'loss\|error\|unreach' | tr -s ' ')${cf_why:+; the kernel says: $cf_why}"
			log "xfrmi transport: $cf_out $cf_why"
		else
			manifest na "$1" "$2" $STACK - "no ping answered through $STACK: $(echo "$cf_out" | tail -n 2 | tr '\n' ' ')"
			log "ping through $STACK for $3 $4 failed: $cf_out"
		fi
	done
	CONFIGURED="$3 $4 $cf_want"
	stat_mark "$3"
	[ -n "$ACTIVE" ]
}

# rounds SECTION CASE MEASURE...: RUNS rounds of a case, the stacks taking
# turns in each (stack_order); before each measurement a fresh $RUN, and
# $i is the round, for MEASURE's manifest lines.
rounds() {
	ro_section=$1 ro_case=$2
	shift 2
	i=1
	while [ $i -le "$RUNS" ]; do
		for STACK in $(stack_order $i); do
			new_run "$ro_section" "$ro_case"
			"$@"
		done
		i=$((i + 1))
	done
}

# ---- 1. TCP bulk, one flow ---------------------------------------------
tcp_one() {	# CLIENT SERVER SERVER-ADDR
	iperf "$@" -t "$TCP_SECONDS" --snd-timeout 10000
	manifest iperf tcp "$case_" $STACK $i "$RUN"
}
bench_tcp() {
	for topo in ${TCP_MODES:-transport tunnel}; do
		if [ $topo = transport ]; then
			client=ha server=hb addr=192.168.50.2
		else
			client=src server=dst addr=10.10.2.2
		fi
		for alg in $ALGS; do
			case_=$topo/$alg
			if [ $topo = transport ] && [ "$TRANSPORT" != yes ]; then
				manifest na tcp "$case_" - - "$TRANSPORT"
				continue
			fi
			log "tcp $case_"
			configure tcp "$case_" $topo "$alg" || continue
			rounds tcp "$case_" tcp_one $client $server $addr
			counters tcp "$case_" $topo
		done
	done
}

# ---- 1b. TCP bulk, two flows, one sent from each vCPU -------------------
# Tunnel mode: src sends one flow from CPU 0 to a server on CPU 0 and one
# from CPU 1 to a server on CPU 1, at once. Nothing here moves a packet to
# another CPU (veths, no RPS), so each flow's data, forwarding, encryption
# and decryption, and its ACKs, stay on one CPU, as a NIC's receive hashing
# would keep them: with the server on the other CPU, TCP sent much of a
# flow from the ACKs' CPU, and one flow's packets took both CPUs' SAs and
# arrived out of order. kesp gets a
# per-CPU SA pair for each CPU (RFC 9611) besides the fallback pair
# ("pcpu" in sas_up); XFRM on these kernels has one SA pair that both CPUs
# share (per-CPU SAs came to XFRM in Linux 6.13). A run is the two flows'
# throughput added up; they start together (within the time one iperf3
# takes to start) and each runs TCP_SECONDS.
tcp_two() {
	tcp2_run=$RUN
	RUN=$tcp2_run-cpu1
	iperf_on 5201 1 src dst 10.10.2.2 -t "$TCP_SECONDS" --snd-timeout 10000 &
	RUN=$tcp2_run-cpu0
	iperf_on 5202 0 src dst 10.10.2.2 -t "$TCP_SECONDS" --snd-timeout 10000
	wait $!
	manifest iperf2 tcp2 "$case_" $STACK $i "$tcp2_run"
}
bench_tcp2() {
	if [ "$SERVER_CPU" != 1 ]; then
		manifest skipped tcp2 all - - "not run: the guest has one vCPU"
		return
	fi
	for alg in $ALGS; do
		case_=tunnel/$alg
		log "tcp2 $case_"
		configure tcp2 "$case_" pcpu "$alg" || continue
		rounds tcp2 "$case_" tcp_two
		counters tcp2 "$case_" pcpu
	done
}

# ---- 2. UDP datagrams per second through the tunnel --------------------
udp_one() {
	iperf src dst 10.10.2.2 -u -b 0 -l "$size" -t "$UDP_SECONDS"
	manifest iperf udp "$size" $STACK $i "$RUN"
}
bench_udp() {
	for size in $UDP_SIZES; do
		log "udp $size"
		configure udp "$size" tunnel aes-gcm-128 || continue
		rounds udp "$size" udp_one
		counters udp "$size" tunnel
	done
}

# ---- 3. latency: ping RTT, and round trips per second of a flood ping --
pings() {
	ip netns exec $STACK-src ping -c "$PINGS" -i 0.005 -W 2 10.10.2.2 >"$RUN.ping" 2>&1
	manifest ping latency rtt $STACK $i "$RUN"
	ip netns exec $STACK-src ping -f -c "$FLOOD" -W 2 -q 10.10.2.2 >"$RUN.flood" 2>&1
	manifest flood latency rr $STACK $i "$RUN"
}
bench_latency() {
	log "latency"
	configure latency rtt tunnel aes-gcm-128 || return
	rounds latency rtt pings
	counters latency rtt tunnel
}

# ---- 4. and 5. scale and memory ----------------------------------------
# meminfo NAME: snapshots of /proc/meminfo and /proc/slabinfo once the
# kernel's deferred frees have settled (unreclaimable slab steady for a
# second). meminfo_again NAME: the last ones again, nothing having changed.
MEM_LAST=""
meminfo_again() {
	cp "$OUT/runs/mem-$MEM_LAST" "$OUT/runs/mem-$1"
	cp "$OUT/runs/mem-$MEM_LAST.slab" "$OUT/runs/mem-$1.slab"
	manifest mem scale "$1" - - "$OUT/runs/mem-$1"
}
meminfo() {
	mi_prev=0 mi_steady=0 mi_n=0
	while [ $mi_n -lt 120 ] && [ $mi_steady -lt 2 ]; do
		sleep 0.5
		mi_cur=$(awk '/^SUnreclaim:/ {print $2}' /proc/meminfo)
		if [ $((mi_cur - mi_prev)) -lt 256 ] && [ $((mi_prev - mi_cur)) -lt 256 ]; then
			mi_steady=$((mi_steady + 1))
		else
			mi_steady=0
		fi
		mi_prev=$mi_cur mi_n=$((mi_n + 1))
	done
	cat /proc/meminfo >"$OUT/runs/mem-$1"
	cat /proc/slabinfo >"$OUT/runs/mem-$1.slab"
	MEM_LAST=$1
	manifest mem scale "$1" - - "$OUT/runs/mem-$1"
}

# timed FILE CMD...: runs CMD, its standard output discarded, then
# "STATUS SECONDS" in FILE (after its standard error). Every install and
# flush of every stack goes through here, each one process: kespctl -n NS
# or ip -n NS, with -batch FILE.
timed() {
	ti_file=$1
	shift
	ti_start=$(now)
	"$@" >/dev/null 2>"$ti_file"
	echo "$? $(echo "$(now) $ti_start" | awk '{printf "%.3f", $1 - $2}')" >>"$ti_file"
}

# secs_add FILE: adds the seconds a timed install or flush took (the last
# line of FILE) to SCALE_SECS.
SCALE_SECS=0
secs_add() {
	SCALE_SECS=$(tail -n 1 "$1" | awk -v s="$SCALE_SECS" '{printf "%.3f", s + $2}')
}

# scale_install N REP: N random SAs (N/2 pairs, out and in) for $STACK on
# its gw1, besides the tunnel's own pair: timed, with memory snapshots
# around. XFRM's states and then its policies, each timed.
scale_install() {
	si_dir=$SRC/build/bench/sas/$1 si_file=$OUT/runs/install-$STACK-$1-$2 si_m=$STACK-$1-$2
	if [ -n "$MEM_LAST" ]; then meminfo_again "$si_m-before"; else meminfo "$si_m-before"; fi
	case $STACK in
	kesp)
		timed "$si_file" $KESPCTL -n kesp-gw1 -batch "$si_dir/kesp.batch"
		manifest install scale "$1" kesp "$2" "$si_file"
		meminfo "$si_m-sas"
		;;
	xfrm)
		timed "$si_file" ip -n xfrm-gw1 -batch "$si_dir/xfrm-states.batch"
		manifest install scale "$1" xfrm "$2" "$si_file"
		meminfo "$si_m-sas"
		timed "$si_file-policies" ip -n xfrm-gw1 -batch "$si_dir/xfrm-policies.batch"
		manifest install scale "$1" xfrm-policies "$2" "$si_file-policies"
		meminfo "$si_m-policies"
		secs_add "$si_file-policies"
		;;
	esac
	secs_add "$si_file"
	log "scale: $1 SAs for $STACK installed ($2): $(tail -n 1 "$si_file")"
}

# scale_flush N REP: removes every SA (and policy) of $STACK's gw1, timed.
FLUSH_BATCH=$OUT/flush.batch
printf 'xfrm policy flush\nxfrm state flush\n' >"$FLUSH_BATCH"
scale_flush() {
	sf_file=$OUT/runs/flush-$STACK-$1-$2
	case $STACK in
	kesp) timed "$sf_file" $KESPCTL -n kesp-gw1 sa flush ;;
	xfrm) timed "$sf_file" ip -n xfrm-gw1 -batch "$FLUSH_BATCH" ;;
	esac
	manifest flush scale "$1" $STACK "$2" "$sf_file"
	secs_add "$sf_file"
	meminfo "$STACK-$1-$2-after"
}

# Each stack's SAs sit in its own gw1, so with both installed the runs
# alternate as everywhere else. The 1-SA figure is tcp's tunnel/aes-gcm-128.
# kesp against policy-based XFRM only: xfrmi's states and policies are
# XFRM's tables with an if_id, and a third install of 100,000 SAs would
# not fit the time. Installs, flushes and memory are repeated REPS times
# (SCALE_REPS, 2 at most from 100,000 SAs), the stacks alternating; the
# traffic runs happen in the first repetition.
bench_scale() {
	prev_n=0 prev_secs=0 prev_reps=1
	manifest skipped scale all xfrmi - "kesp against policy-based XFRM only (the time budget); xfrmi uses the same XFRM state and policy tables"
	for n in $SCALE; do
		if [ ! -s "$SRC/build/bench/sas/$n/kesp.batch" ]; then
			manifest na scale "$n" - - "no SAs generated (selftests/bench/run.sh does that)"
			continue
		fi
		reps=$SCALE_REPS
		[ "$n" -ge 100000 ] && [ "$reps" -gt 2 ] && reps=2
		# What the last size took: the runs and the settling of memory
		# take as long again (the settling once per repetition); the
		# installs and flushes grow with the number of SAs, XFRM's faster
		# than linearly (8.7x for 10x on 6.12, 12.3x on 6.1, 2026-12-02),
		# hence 1.3 times as much again; and with the repetitions.
		if [ "$DEADLINE" -gt 0 ] && [ $prev_n -gt 0 ]; then
			need=$(echo "$block_took $prev_secs $n $prev_n $reps $prev_reps" |
				awk '{printf "%d", ($1 - $2) * $5 / $6 + 1.3 * $2 * $3 / $4 * $5 / $6}')
			left=$((DEADLINE - $(elapsed)))
			if [ $need -gt $left ]; then
				manifest skipped scale "$n" - - "not run: about $need s needed (the $prev_n-SA block x $reps/$prev_reps repetitions, its installs and flushes x $n/$prev_n x 1.3 too), $left s of the time budget left"
				log "scale: $n SAs skipped: about $need s needed, $left s left"
				continue
			fi
		fi
		block_start=$(elapsed) SCALE_SECS=0
		configure scale "$n" tunnel aes-gcm-128 "kesp xfrm" || continue
		r=1
		while [ $r -le "$reps" ]; do
			MEM_LAST=""
			for STACK in $(stack_order $r); do
				scale_install "$n" $r
			done
			if [ $r -eq 1 ]; then
				i=1
				while [ $i -le "$SCALE_RUNS" ]; do
					for STACK in $(stack_order $i); do
						new_run scale "$n"
						iperf src dst 10.10.2.2 -t "$TCP_SECONDS" --snd-timeout 10000
						manifest iperf scale "$n" $STACK $i "$RUN"
					done
					i=$((i + 1))
				done
				counters scale "$n" tunnel
				log "scale: $n SAs: runs done"
			fi
			for STACK in $(stack_order $r); do
				scale_flush "$n" $r
			done
			# The tunnel's own pair again, for the next repetition.
			[ $r -lt "$reps" ] && { CONFIGURED=""; configure scale "$n" tunnel aes-gcm-128 "kesp xfrm" || break; }
			r=$((r + 1))
		done
		log "scale: $n SAs: removed"
		block_took=$(($(elapsed) - block_start)) prev_n=$n prev_secs=$SCALE_SECS prev_reps=$reps
		log "scale: $n SAs: block took $block_took s, $prev_secs s of it installing and flushing"
		CONFIGURED=""
	done
}

# ---- installing alone (KESP_BENCH_ONLY=install, not part of make bench)
# The scale sizes' installs without the traffic and memory around them,
# for a before/after of kespctl -batch: kespctl -batch ("kesp") and
# -force -batch ("force"), the same SAs as raw netlink ("raw":
# sa_flood.py install, 128 requests a send, the exchange alone timed, no
# process start or parsing) and ip -batch of the XFRM states ("xfrm"),
# taking turns; with the word base-kespctl=PATH (a path in the checkout)
# that kespctl too ("base"). install-stacks=A,B,... runs only those,
# install-reps=N that many turns. Each install is flushed before the next,
# and the flush is timed too (kespctl sa flush, ip xfrm state flush).
# The seconds go to the log and to $OUT/install (the flushes' to
# $OUT/flush), "N STACK REP STATUS SECONDS" a line, and the medians per
# stack and their ratios to ip's (kespctl/ip, raw/ip) to the log.
bench_install() {
	bi_base=$(only_word base-kespctl)
	bi_stacks=$(only_word install-stacks | tr , ' ')
	bi_stacks=${bi_stacks:-kesp force raw xfrm${bi_base:+ base}}
	for n in $SCALE; do
		bi_dir=$SRC/build/bench/sas/$n
		[ -s "$bi_dir/kesp.batch" ] || { log "install: no SAs generated for $n"; continue; }
		configure install "$n" tunnel aes-gcm-128 "kesp xfrm" || continue
		# Five turns (two from 100,000 SAs): one install is seconds, and
		# a loaded machine spreads them 2-3x.
		reps=$((SCALE_REPS + 2))
		[ "$n" -ge 100000 ] && reps=2
		reps=$(only_word install-reps | grep . || echo $reps)
		r=1
		while [ $r -le "$reps" ]; do
			for bi_stack in $(stack_order $r "$bi_stacks"); do
				bi_file=$OUT/runs/install-only-$bi_stack-$n-$r
				case $bi_stack in
				kesp) timed "$bi_file" $KESPCTL -n kesp-gw1 -batch "$bi_dir/kesp.batch" ;;
				force) timed "$bi_file" $KESPCTL -n kesp-gw1 -force -batch "$bi_dir/kesp.batch" ;;
				base) timed "$bi_file" "$SRC/$bi_base" -n kesp-gw1 -batch "$bi_dir/kesp.batch" ;;
				xfrm) timed "$bi_file" ip -n xfrm-gw1 -batch "$bi_dir/xfrm-states.batch" ;;
				raw)
					# "SECONDS REFUSALS FIRST-ERROR": as timed's "STATUS SECONDS".
					ip netns exec kesp-gw1 python3 "$BENCH/sa_flood.py" install \
						"$bi_dir/kesp.nl" kesp0 >"$bi_file.out" 2>"$bi_file"
					awk -v rc=$? '{print (rc || $2 != 0) ? 1 : 0, $1}' "$bi_file.out" >>"$bi_file"
					;;
				esac
				case $bi_stack in
				xfrm) timed "$bi_file.flush" ip -n xfrm-gw1 xfrm state flush ;;
				*) timed "$bi_file.flush" $KESPCTL -n kesp-gw1 sa flush ;;
				esac
				echo "$n $bi_stack $r $(tail -n 1 "$bi_file")" >>"$OUT/install"
				echo "$n $bi_stack $r $(tail -n 1 "$bi_file.flush")" >>"$OUT/flush"
				log "install: $n SAs, $bi_stack ($r): $(tail -n 1 "$bi_file"), flush $(tail -n 1 "$bi_file.flush")"
			done
			r=$((r + 1))
		done
		install_medians "$n" install "$OUT/install"
		install_medians "$n" flush "$OUT/flush"
		CONFIGURED=""
	done
}

# install_medians N WHAT FILE: the medians per stack of FILE's runs of N
# SAs that succeeded (status 0), and their ratios to XFRM's, to the log.
install_medians() {
	awk -v n="$1" -v what="$2" '$1 == n && $4 == 0 { t[$2] = t[$2] " " $5 }
		function median(list,   v, k, i, j, x) {
			k = split(list, v, " ")
			for (i = 2; i <= k; i++)
				for (j = i; j > 1 && v[j - 1] > v[j]; j--) { x = v[j]; v[j] = v[j - 1]; v[j - 1] = x }
			return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
		}
		END {
			ip = ("xfrm" in t) ? median(t["xfrm"]) : 0
			for (s in t)
				printf "%s: %s SAs, %s: median %.3f s (%s), %s of ip\n", what, n, s,
					median(t[s]), substr(t[s], 2), ip ? sprintf("%.2f", median(t[s]) / ip) : "n/a"
		}' "$3" | sort | while read -r line; do log "$line"; done
}

# ---- where the time goes (KESP_BENCH_ONLY=profile, not part of make bench)
# perf's data lives in the guest's memory (it maps the file, which the
# shared output directory does not allow); kernel symbols come from
# /proc/kallsyms, which shows root the addresses only without kptr_restrict.
PERF_DATA=/tmp/kesp-bench-perf.data
perf_report() {
	echo 0 >/proc/sys/kernel/kptr_restrict
	perf report -i "$PERF_DATA" --kallsyms=/proc/kallsyms --stdio -g none "$@" 2>/dev/null |
		grep -v '^#' | grep .
}

# A system-wide perf profile of one TCP run per stack through the tunnel,
# per algorithm: the top symbols, and the kesp/esp/xfrm ones.
bench_profile() {
	for alg in $([ "$(only_word profile-of)" = sas ] || echo $ALGS); do
		configure profile "$alg" tunnel "$alg" || continue
		for STACK in $ACTIVE; do
			RUN=$OUT/runs/profile-$alg-$STACK
			perf record -a -e cpu-clock -F 2000 -o "$PERF_DATA" -- \
				ip netns exec $STACK-src iperf3 -c 10.10.2.2 -A 0 -t 4 -J >"$RUN.json" 2>"$RUN.perf-err"
			perf_report --no-children --sort sym | head -n 40 >"$RUN.top"
			perf_report --no-children --sort sym |
				grep -E 'kesp|esp|xfrm|aead|gcm|chacha|poly|sha256|skb_cow|copy|csum' |
				head -n 40 >"$RUN.esp"
			rm -f "$PERF_DATA"
			manifest profile profile "$alg" $STACK 1 "$RUN"
		done
		log "profile $alg"
	done
	profile_flush
}

# profile_flush: where installing the largest scale size's SAs, and then
# removing them, spends its time, for each stack (its SAs in its own gw1,
# as in the scale section; XFRM's install is its states, as the install
# lines' first ratio).
profile_flush() {
	pf_n=$(echo "$SCALE" | awk '{print $NF}')
	pf_dir=$SRC/build/bench/sas/$pf_n
	[ -n "$pf_n" ] && [ -s "$pf_dir/kesp.batch" ] || return 0
	configure profile flush tunnel aes-gcm-128 || return 0
	for STACK in kesp xfrm; do
		case $STACK in
		kesp)
			profile_one install-$pf_n $KESPCTL -n kesp-gw1 -batch "$pf_dir/kesp.batch"
			profile_one flush-$pf_n $KESPCTL -n kesp-gw1 sa flush
			;;
		xfrm)
			profile_one install-$pf_n ip -n xfrm-gw1 -batch "$pf_dir/xfrm-states.batch"
			ip -n xfrm-gw1 -batch "$pf_dir/xfrm-policies.batch"
			profile_one flush-$pf_n ip -n xfrm-gw1 -batch "$FLUSH_BATCH"
			;;
		esac
	done
	CONFIGURED=""
}

# profile_one CASE COMMAND...: a system-wide profile of COMMAND for $STACK,
# with call graphs, in $OUT/runs/profile-CASE-$STACK: .top (symbols),
# .esp (with their callees), .dso (programs and libraries) and .graph
# (COMMAND's hottest symbols with their callers).
profile_one() {
	po_case=$1
	RUN=$OUT/runs/profile-$po_case-$STACK
	shift
	# The frees an RCU grace period or a work item defers count too.
	perf record -a -g -e cpu-clock -F 2000 -o "$PERF_DATA" -- \
		sh -c '"$@" >/dev/null; sleep 2' sh "$@" >"$RUN.out" 2>"$RUN.perf-err"
	perf_report --no-children --sort comm,sym | head -n 40 >"$RUN.top"
	perf_report --children --sort comm,sym | head -n 60 >"$RUN.esp"
	perf_report --no-children --sort comm,dso | head -n 12 >"$RUN.dso"
	perf report -i "$PERF_DATA" --kallsyms=/proc/kallsyms --stdio --no-children \
		--comm "$(basename "$1")" -g caller,0.5,callee,function,percent --percent-limit 0.4 \
		2>/dev/null | grep -v '^#' | grep . | head -n 1500 >"$RUN.graph"
	rm -f "$PERF_DATA"
	manifest profile profile "$po_case" $STACK 1 "$RUN"
	log "profile $po_case $STACK"
}

# ---- the run ------------------------------------------------------------
log "kesp bench, profile $PROFILE, kernel $KVER"
for dep in $(modinfo -F depends "$KO" | tr ',' ' '); do modprobe "$dep"; done
# The CPU's own crypto drivers (AES-NI, CLMUL GHASH, SIMD ChaCha20, Poly1305
# and SHA-2), loaded as udev loads them at boot on a real machine, by the
# CPU's modalias; the guest has no udev, and without them both stacks ran
# the generic C AES (most of the profile) instead of what any deployment has.
modprobe -qa "$(cat /sys/devices/system/cpu/modalias)"
meta crypto_drivers "$(awk '/^driver/ {print $3}' /proc/crypto | grep -E 'aesni|clmul|simd|avx|ssse3|x86_64' | sort -u | tr '\n' ' ')"
insmod "$KO" || { log "insmod $KO failed"; exit 1; }
meta kernel "$KVER"
meta profile "$PROFILE"
meta cmdline "$(cat /proc/cmdline)"
meta cpus "$(nproc)"
meta mem_kib "$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)"
meta cpu_model "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
# Set by run-vm.sh under KESP_BENCH_ICOUNT: figures are instruction costs.
[ -z "${KESP_BENCH_CLOCK:-}" ] || meta clock "$KESP_BENCH_CLOCK"
meta runs "$RUNS"
meta tcp_seconds "$TCP_SECONDS"
meta udp_seconds "$UDP_SECONDS"
meta replay_window "$REPLAY"
meta esn no
meta kesp_sa_flags "$KESP_SA_FLAGS"
topo_setup || { log "topology setup failed"; topo_teardown; rmmod kesp; exit 1; }
log "topology ready"

# Transport mode and kespctl -batch may not exist yet in this tree.
if out=$(ip netns exec kesp-ha $KESPCTL sa add dev kesp0 dir out src 192.168.50.1 \
		dst 192.168.50.2 spi 0x999 mode transport aead 'rfc4106(gcm(aes))' "$K20" 128 2>&1); then
	TRANSPORT=yes
	ip netns exec kesp-ha $KESPCTL sa flush
else
	TRANSPORT="not available: kespctl sa add ... mode transport says: $(echo "$out" | head -n 1)"
fi
meta transport "$TRANSPORT"
meta kesp_install_tool "kespctl -batch"
python3 "$BENCH/netdev_features.py" kesp-ha:eth0 kesp-ha:kesp0 kesp-src:eth0 kesp-gw1:lan \
	kesp-gw1:wan kesp-gw1:kesp0 kesp-gw2:wan kesp-gw2:kesp0 kesp-gw2:lan kesp-dst:eth0 \
	xfrm-ha:eth0 xfrm-src:eth0 xfrm-gw1:lan xfrm-gw1:wan xfrm-gw2:wan xfrm-gw2:lan \
	xfrm-dst:eth0 >"$OUT/features" 2>&1

servers_start || log "an iperf3 server did not start"
for section in tcp tcp2 udp latency scale handshake install profile; do
	# install and profile only when asked for by name.
	case $section in
	install | profile)
		case " $ONLY " in *" $section "*) ;; *) continue ;; esac
		;;
	esac
	wanted $section || continue
	# A section started is not stopped: the handshake one needs about
	# 150 s on a quiet machine (on a loaded one, started with 32 s left,
	# QEMU's timeout ended the guest in it).
	case $section in handshake) min_left=150 ;; *) min_left=0 ;; esac
	if [ "$DEADLINE" -gt 0 ] && [ $((DEADLINE - $(elapsed))) -le $min_left ]; then
		manifest skipped $section all - - "not run: $((DEADLINE - $(elapsed))) s of the time budget of $DEADLINE s left, $section needs about $min_left s"
		continue
	fi
	bench_$section
done
servers_stop
meta modules "$(lsmod | awk 'NR > 1 {print $1}' | sort | tr '\n' ' ')"
meta guest_seconds "$(echo "$(date +%s) $started" | awk '{printf "%d", $1 - $2}')"
topo_teardown
rmmod kesp || log "rmmod kesp failed"
dmesg >"$OUT/dmesg.txt"
log "done"
python3 "$BENCH/report.py" guest "$OUT" || log "report.py failed"
