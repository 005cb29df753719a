#!/bin/sh
# `make demo`, inside the guest: an IPsec tunnel negotiated by two
# ikehelpers from their config files. Namespaces "site-a" (192.0.2.1,
# 10.1.0.0/24 behind it) and "site-b" (192.0.2.2, 10.2.0.0/24) each run
# ikehelper; site-a brings the tunnel up with kespctl, traffic crosses it,
# kespctl shows the IKE and CHILD SAs and kesp.ko's ESP SAs, and the tunnel
# comes down again.
set -u
SRC=/run/kesp/src
KO=$SRC/build/kmod/$(uname -r)/kmod/kesp.ko
KESPCTL=$SRC/tools/kespctl
IKEHELPER=$SRC/ikehelper/ikehelper
DIR=$(mktemp -d)
say() { printf '\n$ %s\n' "$*"; "$@"; }
# The PSK both config files share: random for every demo.
PSK=$(od -An -tx1 -N 24 /dev/urandom | tr -d ' \n')

for dep in $(modinfo -F depends "$KO" | tr ',' ' '); do modprobe "$dep"; done
say uname -r
say insmod "$KO"
ip netns add site-a
ip netns add site-b
ip link add wan netns site-a type veth peer name wan netns site-b
for ns in site-a site-b; do
	ip -n $ns link set lo up
	ip -n $ns link set wan up
	ip -n $ns link add lan type dummy
	ip -n $ns link set lan up
done
ip -n site-a addr add 192.0.2.1/24 dev wan
ip -n site-b addr add 192.0.2.2/24 dev wan
ip -n site-a addr add 10.1.0.1/24 dev lan
ip -n site-b addr add 10.2.0.1/24 dev lan

# site ME PEER MY_NET PEER_NET [REMOTE_ADDRS]: a site's config file.
site() {
	cat <<EOF
connections {
    $2 {
        ${5:+remote_addrs = $5}
        proposals = aes256gcm16-prfsha384-x25519
        local { auth = psk
            id = $1.example.org }
        remote { auth = psk
            id = $2.example.org }
        children {
            $2-net {
                local_ts = $3
                remote_ts = $4
                esp_proposals = aes128gcm16
            }
        }
    }
}
secrets { ike { secret = 0x$PSK } }
EOF
}
site site-a site-b 10.1.0.0/24 10.2.0.0/24 192.0.2.2 >"$DIR/site-a.conf"
site site-b site-a 10.2.0.0/24 10.1.0.0/24 >"$DIR/site-b.conf"

echo
echo "# each site's config file, in strongSwan's swanctl.conf syntax"
say cat "$DIR/site-a.conf"
say "$IKEHELPER" --check-config -c "$DIR/site-b.conf"
for ns in site-a site-b; do
	ip netns exec $ns "$IKEHELPER" -f -d 1 -c "$DIR/$ns.conf" -s "$DIR/$ns.sock" \
		>"$DIR/$ns.log" 2>&1 &
	echo $! >"$DIR/$ns.pid"
done
for ns in site-a site-b; do
	for _ in $(seq 50); do grep -q 'started' "$DIR/$ns.log" && break; sleep 0.2; done
done
ike() { ns=$1; shift; ip netns exec "$ns" env KESP_IKEHELPER_SOCKET="$DIR/$ns.sock" "$KESPCTL" "$@"; }

echo
echo "# site-a starts the tunnel; the command returns once it is up"
say ike site-a ike up site-b
echo
echo "# across the tunnel: ikehelper made the device, its routes and the SAs"
say ip netns exec site-a ping -c 3 -I 10.1.0.1 10.2.0.1
say ike site-a ike list
say ike site-b --json ike list
say ip netns exec site-a "$KESPCTL" sa list
say ip -n site-a route show table all dev kesp0
echo
echo "# down: DELETE to the peer, SAs and routes gone on both sides"
say ike site-a ike down site-b
sleep 1
say ip netns exec site-b "$KESPCTL" sa list
for ns in site-a site-b; do kill "$(cat "$DIR/$ns.pid")"; done
wait
echo
echo "# site-a's log"
cat "$DIR/site-a.log"
ip netns del site-a
ip netns del site-b
say rmmod kesp
rm -rf "$DIR"
echo
echo "demo: two ikehelpers negotiated a tunnel from their config files, carried ping over kesp.ko and took it down"
