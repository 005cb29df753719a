#!/bin/sh
# Who may use the family, and how it says no.
. "$KESP_SRC/selftests/tests/lib.sh"

# The unprivileged user must be able to run the tool: copy it to tmpfs.
ctl=$(mktemp /tmp/kespctl.XXXXXX)
cp "$KESPCTL" "$ctl"
chmod 755 "$ctl"
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all "$@"; }

ip link add kesp9 type kesp
refuse "a process without CAP_NET_ADMIN is refused" 1 "Operation not permitted" nobody "$ctl" dev list
refuse "and cannot look up a device either" 1 "Operation not permitted" nobody "$ctl" dev show kesp9
check "the family's version is public (controller lookup)" nobody "$ctl" version
if nobody unshare -Urn true 2>/dev/null; then
	check "root of its own user+network namespace may use the family there" \
		nobody unshare -Urn sh -c "ip link add kesp0 type kesp && $ctl dev list | grep -q '^kesp0:' && ! $ctl dev list | grep -q kesp9"
else
	fail "unprivileged user namespaces are available for the test"
fi
ip link del kesp9

refuse "an unknown device is refused with the kernel's reason" 1 \
	"dev nosuch0: no such device in this network namespace" $KESPCTL dev show nosuch0
refuse "a device that is not kesp is refused with the kernel's reason" 1 \
	"dev lo: device is not a kesp device" $KESPCTL dev show lo
refuse "kespctl rejects an unknown verb with exit status 2" 2 'unknown dev verb "frobnicate"' \
	$KESPCTL dev frobnicate
refuse "kespctl -n names a namespace that does not exist" 1 \
	'kespctl: netns: cannot open /run/netns/nosuch: No such file or directory' $KESPCTL -n nosuch dev list
refuse "kespctl -n is refused an empty name" 2 'bad network namespace name ""' $KESPCTL -n "" dev list

# A dump larger than one netlink message must resume where it stopped.
netns_add many
for i in $(seq 1 300); do echo "link add k$i type kesp"; done >/tmp/batch
check "300 devices are created" ip -n many -batch /tmp/batch
# A device moved in keeps a free low ifindex but joins the end of the
# namespace's list: a dump must still find it after resuming.
netns_add other
ip -n other link add kmoved type kesp
ip -n many link del k1
check "a device moves in with ifindex $(ip -n other -j link show kmoved | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["ifindex"])')" \
	ip -n other link set kmoved netns many
count=$($KESPCTL -n many --json dev list | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d), len({x["ifindex"] for x in d}), "kmoved" in {x["ifname"] for x in d})')
same "a dump lists all 300, each once, the moved one included" "$count" "300 300 True"
rm -f "$ctl" /tmp/batch
finish
