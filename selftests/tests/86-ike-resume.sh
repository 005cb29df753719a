#!/bin/sh
# IKEv2 session resumption (RFC 5723) between two ikehelpers (strongSwan
# has none): client c, gateway g, both resumption = yes; g's ticket key in
# a ticket_key_file outside its state directory (as two gateways would
# share it).
#   1. c comes up and holds a ticket (kespctl ike list: ticket_in).
#   2. g is killed (-9) and everything it had is lost: its restart state
#      and its kernel SAs; it starts again. `kespctl ike resume` on c gives
#      its IKE SA up and resumes: g logs an IKE_SESSION_RESUME and no
#      IKE_SA_INIT, both list the IKE SA as resumed, traffic flows, one
#      pair of SAs on each side. (The DPD path to a resumption is the unit
#      test's, test_ikehelper_resume.) The restarted g issues tickets of 1 s.
#   3. once that ticket has expired c drops it, and `kespctl ike resume`
#      does a full IKE_SA_INIT, sending no ticket; traffic.
#   4. childless IKE SAs (RFC 6023) between the two: c's cl (childless =
#      force) brings its CHILD_SA up by CREATE_CHILD_SA after an IKE_AUTH
#      without one (both logs say so), traffic; `kespctl ike up --no-child`
#      to g's cln (childless = never) is refused.
# Judged by log lines, counts and kespctl's answers; waits end as soon as
# they hold.
. "$KESP_SRC/selftests/tests/lib.sh"
. "$KESP_SRC/selftests/tests/ike_peers.sh"
. "$KESP_SRC/selftests/tests/ike_lib.sh"

netns_add g c
ike_bridge g 192.168.100.1 c:2
ike_site g 10.0.0.1/24 10.2.0.1/24
ike_site c 10.1.0.1/24 10.3.0.1/24
KEYFILE=$IKE_STATE/ticket.key

# cl_conn NAME ADDR LOCAL_ID REMOTE_ID LOCAL_NET REMOTE_NET CHILDLESS:
# a connection of step 4 (ADDR: local_addrs on g, remote_addrs on c).
cl_conn() {
	if [ "$3" = gw ]; then printf '    %s { local_addrs = %s\n' "$1" "$2"
	else printf '    %s { remote_addrs = %s\n' "$1" "$2"; fi
	printf '        childless = %s\n' "$7"
	printf '        local { auth = psk\n            id = %s }\n' "$3"
	printf '        remote { auth = psk\n            id = %s }\n' "$4"
	printf '        children { %s { local_ts = %s\n            remote_ts = %s } } }\n' "$1" "$5" "$6"
}

# gw_conf LIFETIME: g's config.
gw_conf() {
	cat <<EOC
connections {
    rw {
        local_addrs = 192.168.100.1
        resumption = yes
        local { auth = psk
            id = gw }
        remote { auth = psk
            id = c.kesp }
        children { rw { local_ts = 10.0.0.0/24
            remote_ts = 10.1.0.0/24 } }
    }
$(cl_conn cl 192.168.100.1 gw cl.kesp 10.2.0.0/24 10.3.0.0/24 allow)
$(cl_conn cln 192.168.100.1 gw cln.kesp 10.2.0.0/24 10.3.0.0/24 never)
}
secrets { ike { secret = $PSK } }
ikehelper { ticket_key_file = $KEYFILE
    ticket_lifetime = $1
    ticket_key_rotate = 1h }
EOC
}

# gw_lost LIFETIME: g killed, its state and kernel SAs gone, started again.
gw_lost() {
	gl_pid=$(cat "$IKE_STATE/ikehelper-g/pid")
	kill -9 "$gl_pid"
	while ike_alive "$gl_pid"; do sleep 0.1; done
	rm -rf "$IKE_STATE/ikehelper-g/run"
	$KESPCTL -n g sa flush
	ikehelper_start g g "$(gw_conf "$1")"
}

# Both start at once (each takes seconds under TCG).
ikehelper_start g g "$(gw_conf 1h)" & G_START=$!
ikehelper_start c c "$(cat <<EOC
connections {
    gw {
        remote_addrs = 192.168.100.1
        resumption = yes
        local { auth = psk
            id = c.kesp }
        remote { auth = psk
            id = gw }
        children { gw { local_ts = 10.1.0.0/24
            remote_ts = 10.0.0.0/24 } }
    }
$(cl_conn cl 192.168.100.1 cl.kesp gw 10.3.0.0/24 10.2.0.0/24 force)
$(cl_conn cln 192.168.100.1 cln.kesp gw 10.3.0.0/24 10.2.0.0/24 allow)
}
secrets { ike { secret = $PSK } }
EOC
)" || fail "client c starts"
wait "$G_START" || fail "gateway g starts"

# ---- 1. a ticket ----
check "1. c comes up" ikectl c c ike up gw
check "1. g issued a ticket" log_has g 'session resumption ticket issued'
check "1. c lists its ticket" test -n "$(ike_get c c ticket_in)"
same "1. the key file is 0600" "$(stat -c %a "$KEYFILE")" 600

# ---- 2. the gateway loses everything; c resumes ----
check "2. g restarts with its state and kernel SAs lost" gw_lost 1s
check "2. kespctl ike resume on c" ikectl c c ike resume gw
check "2. c resumed the IKE SA" log_has c 'IKE SA resumed'
check "2. g accepted the ticket" log_has g 'IKE_SESSION_RESUME from 192.168.100.2.*accepted'
# inits_since_start NAME: IKE_SA_INIT requests NAME answered since it last started.
inits_since_start() {
	awk "/=== ikehelper_start .* $1 /{n=0} /IKE_SA_INIT from/{n++} END{print n+0}" \
		"$(ike_log ikehelper "$1")"
}
same "2. g saw no IKE_SA_INIT since its restart" "$(inits_since_start g)" 0
same "2. both list the IKE SA as resumed" "$(ike_get c c resumed) $(ike_get g g resumed)" \
	"yes yes"
check "2. ping through the resumed tunnel" \
	ip netns exec c ping -c 2 -i 0.3 -W 3 -I 10.1.0.1 10.0.0.1
same "2. one pair of SAs in each kesp.ko (c's old ones gone)" \
	"$(kernel_sa_count c) $(kernel_sa_count g)" "2 2"

# ---- 3. an expired ticket: a full exchange ----
no_ticket() { [ -z "$(ike_get c c ticket_in)" ]; }
check "3. c's 1 s ticket expires" wait_for 10 no_ticket
check "3. c dropped it" log_has c 'ticket expired, dropped'
check "3. kespctl ike resume on c" ikectl c c ike resume gw
same "3. g answered a full IKE_SA_INIT" "$(inits_since_start g)" 1
same "3. the new IKE SA is not resumed" "$(ike_get c c resumed)" ""
check "3. ping" ip netns exec c ping -c 2 -i 0.3 -W 3 -I 10.1.0.1 10.0.0.1

# ---- 4. childless IKE SAs between the two ----
check "4. c's cl (childless = force) comes up" ikectl c c ike up cl
check "4. c's IKE_AUTH carried no CHILD_SA" \
	log_has c 'cl\[[0-9]+\] childless IKE_AUTH \(childless = force\): no CHILD_SA in it'
check "4. g took the childless IKE SA" \
	log_has g "cl\[[0-9]+\] childless IKE SA \(RFC 6023\): peer 'cl.kesp' proposed no CHILD_SA"
check "4. ping over the CHILD_SA that CREATE_CHILD_SA made" \
	ip netns exec c ping -c 2 -i 0.3 -W 3 -I 10.3.0.1 10.2.0.1
refuse "4. kespctl ike up --no-child to g's childless = never is refused" 1 \
	'INVALID_SYNTAX.*childless = never' ikectl c c ike up --no-child cln
check "4. g logged why" log_has g "peer 'cln.kesp' initiated a childless IKE SA .*childless = never: answering INVALID_SYNTAX"

[ "$FAILED" != 0 ] && ike_tail_logs 40
finish
