# The benchmark's topologies and how each stack is put on them (sourced).
# Each stack gets its own identical copy: the same namespaces (prefixed
# "kesp-" or "xfrm-"), veths, addresses, routes, keys, replay window (64,
# no ESN) and offload settings, so a kesp run and an XFRM run differ only
# in the data plane, and alternating between them costs nothing. (Putting
# both in one namespace would make each pay for the other, e.g. XFRM's
# policy lookup runs for every packet of a namespace that has policies;
# re-configuring one namespace between runs takes seconds under TCG.)
#
#   host to host, transport mode:     ha 192.168.50.1 --- hb 192.168.50.2
#
#   gateway to gateway, tunnel mode:
#     src 10.10.1.2 --- 10.10.1.1 gw1 192.168.60.1 === 192.168.60.2 gw2
#         10.10.2.1 --- 10.10.2.2 dst
#
# Three stacks: kesp (its kesp0 devices, routes into them), "xfrm"
# (policy-based XFRM: states and policies, the plain routes) and "xfrmi"
# (route-based XFRM, the closest thing XFRM has to kesp0: an xfrm
# interface ipsec0 with if_id $IF_ID, routes into it, states and
# any-to-any policies carrying the same if_id, so the route selects them).
# kesp0's and ipsec0's MTU is set to the inner MTU XFRM computes for the
# SA (xfrm_state_mtu()), so TCP segments are the same size on all stacks.
# shellcheck shell=sh

KESPCTL=${KESPCTL:?run inside the bench guest}
REPLAY=64
MARK=0x51
STACKS="kesp xfrm xfrmi"
IF_ID=0x33
# Words kesp's traffic SAs carry besides the algorithm, none by default:
# KESP_BENCH_SA_FLAGS="flag parallel" measures its parallel crypto
# (kespctl(8)), which XFRM has only system-wide (a pcrypt instance
# registered through crypto_user outranks the plain algorithm for all).
KESP_SA_FLAGS=${KESP_BENCH_SA_FLAGS:-}
NODES="ha hb src gw1 gw2 dst"

# alg_words ALG: sets ALG_N and ALG_1..ALG_7, the words of ALG shared by
# kespctl and ip xfrm state (one of them may be an empty key), and
# ALG_IV/ALG_ICV, the byte sizes the MTU depends on.
alg_words() {
	case $1 in
	aes-gcm-128)
		set -- aead 'rfc4106(gcm(aes))' "$K20" 128
		ALG_IV=8 ALG_ICV=16 ;;
	chacha20-poly1305)
		set -- aead 'rfc7539esp(chacha20,poly1305)' "$K36" 128
		ALG_IV=8 ALG_ICV=16 ;;
	null-hmac-sha256)
		set -- enc 'ecb(cipher_null)' "" auth-trunc 'hmac(sha256)' "$K32" 128
		ALG_IV=0 ALG_ICV=16 ;;
	*) echo "bench: unknown algorithm $1" >&2; return 1 ;;
	esac
	ALG_N=$# ALG_1=${1:-} ALG_2=${2:-} ALG_3=${3:-} ALG_4=${4:-} ALG_5=${5:-} ALG_6=${6:-} ALG_7=${7:-}
}

# with_alg CMD...: runs CMD followed by the words alg_words set;
# alg_line: the same words quoted for ip -batch.
with_alg() {
	case $ALG_N in
	4) "$@" "$ALG_1" "$ALG_2" "$ALG_3" "$ALG_4" ;;
	7) "$@" "$ALG_1" "$ALG_2" "$ALG_3" "$ALG_4" "$ALG_5" "$ALG_6" "$ALG_7" ;;
	esac
}
alg_line() {
	with_alg printf "'%s' "
}

# inner_mtu MODE: XFRM's MTU for an IPv4 SA of the current algorithm over
# a 1500-byte path. Every algorithm here pads to 4 bytes.
inner_mtu() {
	if [ "$1" != transport ]; then
		echo $(((1500 - 20 - 8 - ALG_IV - ALG_ICV) / 4 * 4 - 2))
	else
		echo $(((1500 - 8 - ALG_IV - ALG_ICV - 20) / 4 * 4 + 20 - 2))
	fi
}

# topo_setup: both copies, with ip -batch wherever it can be used (every
# command started costs a noticeable time under TCG).
topo_setup() {
	for ts_s in $STACKS; do
		for ts_node in $NODES; do echo "netns add $ts_s-$ts_node"; done
		echo "link add eth0 netns $ts_s-ha type veth peer name eth0 netns $ts_s-hb"
		echo "link add eth0 netns $ts_s-src type veth peer name lan netns $ts_s-gw1"
		echo "link add wan netns $ts_s-gw1 type veth peer name wan netns $ts_s-gw2"
		echo "link add lan netns $ts_s-gw2 type veth peer name eth0 netns $ts_s-dst"
	done | ip -batch - || return 1
	for ts_s in $STACKS; do
		node_setup $ts_s ha "addr add 192.168.50.1/24 dev eth0" || return 1
		node_setup $ts_s hb "addr add 192.168.50.2/24 dev eth0" || return 1
		node_setup $ts_s src "addr add 10.10.1.2/24 dev eth0" "route add default via 10.10.1.1" || return 1
		node_setup $ts_s gw1 "addr add 10.10.1.1/24 dev lan" "addr add 192.168.60.1/24 dev wan" || return 1
		node_setup $ts_s gw2 "addr add 10.10.2.1/24 dev lan" "addr add 192.168.60.2/24 dev wan" || return 1
		node_setup $ts_s dst "addr add 10.10.2.2/24 dev eth0" "route add default via 10.10.2.1" || return 1
		for ts_gw in gw1 gw2; do
			ip netns exec $ts_s-$ts_gw sysctl -qw net.ipv4.ip_forward=1 || return 1
		done
	done
	# kesp: the devices, and routes into them. Transport mode routes the
	# peer's own address into kesp0 through a rule that skips kesp0's
	# marked ESP (what wg-quick does).
	for ts_side in "ha 192.168.50.1 192.168.50.2" "hb 192.168.50.2 192.168.50.1"; do
		set -- $ts_side
		ip netns exec kesp-$1 $KESPCTL dev set kesp0 fwmark $MARK >/dev/null &&
		ip -n kesp-$1 -batch - <<-EOF || return 1
			rule add not fwmark $MARK table 51
			route add $3/32 dev kesp0 table 51 src $2
		EOF
	done
	# xfrmi: transport mode routes the peer into ipsec0 as kesp does,
	# through a rule that keeps ESP itself (protocol 50) on eth0.
	for ts_side in "ha 192.168.50.1 192.168.50.2" "hb 192.168.50.2 192.168.50.1"; do
		set -- $ts_side
		ip -n xfrmi-$1 -batch - <<-EOF || return 1
			rule add not ipproto esp table 51
			route add $3/32 dev ipsec0 table 51 src $2
		EOF
	done
	ip -n kesp-gw1 route add 10.10.2.0/24 dev kesp0 &&
	ip -n kesp-gw2 route add 10.10.1.0/24 dev kesp0 &&
	ip -n xfrmi-gw1 route add 10.10.2.0/24 dev ipsec0 &&
	ip -n xfrmi-gw2 route add 10.10.1.0/24 dev ipsec0 &&
	ip -n xfrm-gw1 route add 10.10.2.0/24 via 192.168.60.2 &&
	ip -n xfrm-gw2 route add 10.10.1.0/24 via 192.168.60.1
}

# node_setup STACK NODE IP-COMMAND...: links up (and kesp0 for kesp, or
# ipsec0 on the ESP-carrying link for xfrmi, where the stack needs one),
# then the commands, in one ip -batch.
node_setup() {
	ns_name=$1-$2
	{
		if [ $1 = kesp ] && [ $2 != src ] && [ $2 != dst ]; then
			echo "link add kesp0 type kesp"
			echo "link set kesp0 up"
		fi
		if [ $1 = xfrmi ] && [ $2 != src ] && [ $2 != dst ]; then
			case $2 in h?) ns_link=eth0 ;; *) ns_link=wan ;; esac
			echo "link add ipsec0 type xfrm dev $ns_link if_id $IF_ID"
			echo "link set ipsec0 up"
		fi
		ip -n $ns_name -br link | awk '{sub(/@.*/, "", $1); print "link set " $1 " up"}'
		shift 2
		for ns_cmd in "$@"; do echo "$ns_cmd"; done
	} | ip -n $ns_name -batch -
}

topo_teardown() {
	for td_s in $STACKS; do
		for td_node in $NODES; do ip netns del $td_s-$td_node 2>/dev/null; done
	done
}

# kesp_pair NS OUT-SPI IN-SPI MODE ME PEER HERE THERE [WORD...]: adds an
# SA pair for the current algorithm to NS's kesp0; WORDs go to the
# outbound SA (e.g. "cpu N").
kesp_pair() {
	kp_ns=$1 kp_out=$2 kp_in=$3 kp_mode=$4 kp_me=$5 kp_peer=$6 kp_here=$7 kp_there=$8
	shift 8
	with_alg ip netns exec $kp_ns $KESPCTL sa add dev kesp0 dir out src $kp_me dst $kp_peer \
		proto esp spi $kp_out mode $kp_mode reqid 1 $KESP_SA_FLAGS "$@" \
		sel src $kp_here dst $kp_there >/dev/null &&
	with_alg ip netns exec $kp_ns $KESPCTL sa add dev kesp0 dir in src $kp_peer dst $kp_me \
		proto esp spi $kp_in mode $kp_mode reqid 1 replay-window $REPLAY $KESP_SA_FLAGS \
		sel src $kp_there dst $kp_here >/dev/null
}

# kesp_sas NS OUT-SPI IN-SPI MODE ME PEER HERE THERE: replaces
# the SAs on NS's kesp0 with the pair for the current algorithm.
kesp_sas() {
	ip netns exec $1 $KESPCTL sa flush && kesp_pair "$@"
}

# xfrm_sas NS OUT-SPI IN-SPI MODE ME PEER HERE THERE [if_id ID] POLICY-DIRS:
# the same for XFRM: both states and a policy for each direction listed
# (out, and in or fwd for what comes back). With an if_id (xfrmi), the
# states and policies carry it and the policies match any to any: the
# route into ipsec0 is what selects them.
xfrm_sas() {
	xs_ns=$1 xs_out=$2 xs_in=$3 xs_mode=$4 xs_me=$5 xs_peer=$6 xs_here=$7 xs_there=$8
	shift 8
	xs_ifid=""
	if [ "$1" = if_id ]; then
		xs_ifid="if_id $2" xs_here=0.0.0.0/0 xs_there=0.0.0.0/0
		shift 2
	fi
	xs_dirs=$* xs_alg=$(alg_line)
	{
		echo "xfrm policy flush"
		echo "xfrm state flush"
		for xs_sa in "$xs_me $xs_peer $xs_out" "$xs_peer $xs_me $xs_in"; do
			set -- $xs_sa
			echo "xfrm state add src $1 dst $2 proto esp spi $3 reqid 1 mode $xs_mode replay-window $REPLAY $xs_ifid $xs_alg"
		done
		for xs_dir in $xs_dirs; do
			if [ $xs_dir = out ]; then
				echo "xfrm policy add src $xs_here dst $xs_there dir out $xs_ifid tmpl src $xs_me dst $xs_peer proto esp reqid 1 mode $xs_mode"
			else
				echo "xfrm policy add src $xs_there dst $xs_here dir $xs_dir $xs_ifid tmpl src $xs_peer dst $xs_me proto esp reqid 1 mode $xs_mode"
			fi
		done
	} | ip -n $xs_ns -batch -
}

# kesp_pcpu_sas NS OUT-SPI IN-SPI MODE ME PEER HERE THERE: besides
# kesp_sas' pair (the fallback), a pair for each CPU of the guest (RFC
# 9611): the outbound SA bound to the CPU, SPIs 0x100 * (CPU + 1) above
# the fallback's. The peer's inbound SAs are its own SAs' peers: any CPU
# may decrypt any of them. Without parallel crypto: kesp refuses it for an
# SA with a CPU, which keeps its work on its CPU (and so do the peers).
kesp_pcpu_sas() {
	kc_cpu=0 kc_flags=$KESP_SA_FLAGS KESP_SA_FLAGS=
	while [ $kc_cpu -lt "$(nproc)" ]; do
		kc_add=$((0x100 * (kc_cpu + 1)))
		kesp_pair "$1" $(($2 + kc_add)) $(($3 + kc_add)) "$4" "$5" "$6" "$7" "$8" \
			cpu $kc_cpu || break
		kc_cpu=$((kc_cpu + 1))
	done
	KESP_SA_FLAGS=$kc_flags
	[ $kc_cpu -eq "$(nproc)" ]
}

# sas_up STACK TOPOLOGY ALG: the SA pairs of STACK for TOPOLOGY
# (transport, tunnel, or pcpu: tunnel mode with kesp's per-CPU SAs) with
# ALG, replacing what was there.
sas_up() {
	alg_words "$3" || return 1
	su_stack=$1 su_topo=$2 su_mtu=$(inner_mtu "$2")
	if [ "$2" = transport ]; then
		set -- "ha 0x1001 0x1002 192.168.50.1 192.168.50.2" \
			"hb 0x1002 0x1001 192.168.50.2 192.168.50.1"
	else
		set -- "gw1 0x2001 0x2002 192.168.60.1 192.168.60.2 10.10.1.0/24 10.10.2.0/24" \
			"gw2 0x2002 0x2001 192.168.60.2 192.168.60.1 10.10.2.0/24 10.10.1.0/24"
	fi
	for su_side in "$@"; do
		# NODE OUT-SPI IN-SPI ME PEER [HERE THERE]
		set -- $su_side
		su_ns=$su_stack-$1
		if [ $# -eq 7 ]; then
			set -- "$su_ns" "$2" "$3" tunnel "$4" "$5" "$6" "$7"
			su_dirs="out fwd in"
		else
			set -- "$su_ns" "$2" "$3" transport "$4" "$5" "$4/32" "$5/32"
			su_dirs="out in"
		fi
		case $su_stack in
		kesp)
			ip -n $su_ns link set kesp0 mtu "$su_mtu" &&
			kesp_sas "$@" || return 1
			if [ "$su_topo" = pcpu ]; then
				kesp_pcpu_sas "$@" || return 1
			fi
			;;
		xfrm)
			# shellcheck disable=SC2086
			xfrm_sas "$@" $su_dirs || return 1
			;;
		xfrmi)
			# shellcheck disable=SC2086
			ip -n $su_ns link set ipsec0 mtu "$su_mtu" &&
			xfrm_sas "$@" if_id $IF_ID $su_dirs || return 1
			;;
		esac
	done
	ip -n $su_stack-src route flush cache
	ip -n $su_stack-ha route flush cache
}
