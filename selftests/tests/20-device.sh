#!/bin/sh
# kesp devices: creation, properties, namespaces (moving a device keeps its
# underlay in the namespace it was created in), deletion.
. "$KESP_SRC/selftests/tests/lib.sh"

netns_add a b
check "ip link add kesp0 type kesp (in namespace a)" ip -n a link add kesp0 type kesp
link=$(ip -n a -d link show kesp0)
echo "$link"
check "the device is point-to-point without ARP" sh -c "echo '$link' | grep -q 'POINTOPOINT,NOARP'"
check "link kind is kesp" sh -c "echo '$link' | grep -q '^ *kesp'"
same "MTU leaves room for the largest ESP overhead" \
	"$(ip -n a -j link show kesp0 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["mtu"])')" 1379
refuse "MTU below the IPv6 minimum is refused" 2 "mtu|MTU|Invalid argument" ip -n a link set kesp0 mtu 1200
check "MTU can be set" ip -n a link set kesp0 mtu 1280
# GSO: TCP and UDP through the device are built in large packets and cut
# (and checksummed) in kesp.ko before encryption; test 50's TCP transfers
# to XFRM check the result on the wire. It can be switched off as on any
# device.
features() {
	ip netns exec a ethtool -k kesp0 | awk '/^(tx-checksumming|scatter-gather|tcp-segmentation-offload|generic-segmentation-offload):/ { printf "%s%s %s", sep, $1, $2; sep = ", " }'
}
same "the device takes GSO packets and leaves their checksums to kesp.ko" "$(features)" \
	"tx-checksumming: on, scatter-gather: on, tcp-segmentation-offload: on, generic-segmentation-offload: on"
check "GSO can be switched off" ip netns exec a ethtool -K kesp0 tso off gso off
same "and then is off" "$(features)" \
	"tx-checksumming: on, scatter-gather: on, tcp-segmentation-offload: off, generic-segmentation-offload: off"
check "and on again" ip netns exec a ethtool -K kesp0 tso on gso on

json=$($KESPCTL -n a --json dev list)
same "kespctl dev list shows it" "$(json_get "$json" '[x["ifname"] for x in d]')" "['kesp0']"
same "a device in its own underlay namespace has no underlay netnsid" \
	"$(json_get "$json" '"underlay_netnsid" in d[0]')" "False"

# With no SA, traffic routed into the device is dropped and counted (IPv6
# is off so that its own autoconfiguration traffic cannot blur the count).
ip netns exec a sysctl -qw net.ipv6.conf.kesp0.disable_ipv6=1
ip -n a link set kesp0 up
ip -n a addr add 10.99.0.1/24 dev kesp0
ip netns exec a ping -c 3 -i 0.2 -W 1 10.99.0.2 >/dev/null 2>&1
tx=$(ip -n a -j -s link show kesp0 | python3 -c 'import json,sys; t=json.load(sys.stdin)[0]["stats64"]["tx"]; print(t["dropped"], t["packets"])')
same "packets routed into a device without SAs are dropped and counted, none sent" "$tx" "3 0"

check "the device moves to namespace b" ip -n a link set kesp0 netns b
refuse "it is gone from namespace a" 1 "does not exist" ip -n a link show kesp0
check "it is present in namespace b" ip -n b link show kesp0
json=$($KESPCTL -n b --json dev list)
same "kespctl in b shows the moved device" "$(json_get "$json" '[x["ifname"] for x in d]')" "['kesp0']"
same "and reports its underlay (namespace a) by netnsid" \
	"$(json_get "$json" 'd[0]["underlay_netnsid"] >= 0')" "True"
same "kespctl in a lists nothing" "$($KESPCTL -n a --json dev list)" "[]"
check "the device can be moved back" ip -n b link set kesp0 netns a
check "the device is deleted" ip -n a link del kesp0
same "nothing is left" "$($KESPCTL -n a --json dev list)" "[]"

# Deleting the underlay namespace takes devices created there with it,
# wherever they live now; deleting the namespace a device lives in too.
ip -n a link add kesp1 type kesp
ip -n a link set kesp1 netns b
ip netns del a
NETNS_MADE=b
sleep 1
refuse "a device goes when its underlay namespace is deleted" 1 "does not exist" ip -n b link show kesp1
ip -n b link add kesp2 type kesp
check "a device in namespace b exists" ip -n b link show kesp2
ip netns del b
NETNS_MADE=""
sleep 1
# ip itself must answer (an empty list), so a failing ip cannot pass.
check "deleting namespace b deleted its device (no kesp device anywhere)" \
	sh -c 'out=$(ip link show type kesp) && [ -z "$out" ]'
finish
