#!/bin/sh
# IKEv2 session resumption (RFC 5723) between two ikehelpers (strongSwan
# has none): client c, gateway g, both resumption = yes; g's ticket key in
# a ticket_key_file outside its state directory (as two gateways would
# share it).
#   1. c comes up and holds a ticket (kespctl ike list: ticket_in).
#   2. g is killed (-9) and everything it had is lost: its restart state
#      and its kernel SAs. c's DPD finds it gone, dpd_action = restart
#      resumes: g logs an IKE_SESSION_RESUME and no IKE_SA_INIT, both list
#      the IKE SA as resumed, traffic flows; c's old kernel SAs are gone.
#      The restarted g issues tickets of 1 s (ticket_lifetime).
#   3. c takes the connection down and up once that ticket has expired: it
#      does not send it ("ticket expired, dropped"), a full IKE_SA_INIT
#      follows; traffic.
# c notices g's loss after dpd_delay 1 s and 4.2 s of retransmissions (the
# first IKE_AUTH needs that budget too: kesp.ko's first AES-GCM SA takes
# about 3 s under TCG), and its resume waits one retransmission (2 s)
# more, so the restarted g (about 2.5 s to start under TCG) is up in time.
# Judged by log lines and counts; waits end as soon as they hold.
. "$KESP_SRC/selftests/tests/lib.sh"
. "$KESP_SRC/selftests/tests/ike_peers.sh"
. "$KESP_SRC/selftests/tests/ike_lib.sh"

netns_add g c
ike_bridge g 192.168.100.1 c:2
ike_site g 10.0.0.1/24
ike_site c 10.1.0.1/24
KEYFILE=$IKE_STATE/ticket.key

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
        dpd_delay = 1s
        local { auth = psk
            id = c.kesp }
        remote { auth = psk
            id = gw }
        children { gw { local_ts = 10.1.0.0/24
            remote_ts = 10.0.0.0/24
            dpd_action = restart } }
    }
}
secrets { ike { secret = $PSK } }
ikehelper { retransmit_timeout = 0.7s
    retransmit_tries = 2 }
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
resumed() { log_has c 'IKE SA resumed'; }
check "2. c's DPD restart resumes the IKE SA" wait_for 20 resumed
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
# The ticket of step 2 lived 1 s; c brings the connection down and up.
check "3. c takes its IKE SA down" ikectl c c ike down gw
check "3. and up again" ikectl c c ike up gw
check "3. c dropped its expired ticket, sent none" log_has c 'ticket expired, dropped'
same "3. g answered a full IKE_SA_INIT" "$(inits_since_start g)" 1
same "3. the new IKE SA is not resumed" "$(ike_get c c resumed)" ""
check "3. ping" ip netns exec c ping -c 2 -i 0.3 -W 3 -I 10.1.0.1 10.0.0.1

[ "$FAILED" != 0 ] && ike_tail_logs 40
finish
