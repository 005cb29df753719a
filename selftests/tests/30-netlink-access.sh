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
# Every command of the family, each dump too, from one process that holds
# no capability (root's uid, so only CAP_NET_ADMIN is missing): EPERM from
# the generic netlink core, without a message. The requests are well
# formed, so where one got past the check, it would act: the SA and the
# fwmark below must be as they were.
$KESPCTL sa add dev kesp9 dir out src 192.0.2.1 dst 192.0.2.2 spi 0x3000 mode tunnel \
	aead 'rfc4106(gcm(aes))' $(hexkey 20) 128 >/dev/null
setpriv --inh-caps=-all --bounding-set=-all python3 - kesp9 <<'EOF_PY'
import errno, os, socket, sys
sys.path.insert(0, os.environ["KESP_SRC"] + "/selftests/lib")
from kespnl import K, Kesp, Error, nest, u16, u32, addr
from tap import report, finish

nl = Kesp()
dev = socket.if_nametoindex(sys.argv[1])
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind(("127.0.0.1", 0))
sa = u32(K["KESP_SA_A_IFINDEX"], dev)
trap = u32(K["KESP_TRAP_A_IFINDEX"], dev)
d = u32(K["KESP_DEV_A_IFINDEX"], dev)
requests = [
    ("DEV_GET", (d,), False), ("DEV_GET", (), True),
    ("DEV_SET", (d, u32(K["KESP_DEV_A_FWMARK"], 7)), False),
    ("ENCAP_ATTACH", (d, u32(K["KESP_DEV_A_ENCAP_FD"], udp.fileno())), False),
    ("ENCAP_DETACH", (d,), False),
    ("TRAP_ADD", (trap,), False), ("TRAP_DEL", (trap, u32(K["KESP_TRAP_A_ID"], 1)), False),
    ("TRAP_GET", (trap, u32(K["KESP_TRAP_A_ID"], 1)), False), ("TRAP_GET", (trap,), True),
    ("SPI_ALLOC", (sa, u32(K["KESP_SA_A_SPI_MIN"], 0x4000), u32(K["KESP_SA_A_SPI_MAX"], 0x4fff)), False),
    ("SA_NEW", (sa,), False), ("SA_UPDATE", (sa, u32(K["KESP_SA_A_ID"], 1)), False),
    ("SA_DEL", (sa, u32(K["KESP_SA_A_ID"], 1)), False),
    ("SA_GET", (sa, u32(K["KESP_SA_A_ID"], 1)), False), ("SA_GET", (sa,), True),
    ("SA_FLUSH", (sa,), False),
]
seen = sorted({c for c, _, _ in requests})
report(len(seen) == 13, "the test sends each of the 13 commands (%d)" % len(seen))
for cmd, attrs, dump in requests:
    what = "%s%s without CAP_NET_ADMIN is refused with EPERM and no message" % (
        cmd, " (dump)" if dump else "")
    try:
        nl.call("KESP_CMD_" + cmd, *attrs, dump=dump)
    except Error as e:
        report(e.errno == errno.EPERM and not e.message, what,
               "got %s %r" % (errno.errorcode.get(e.errno), e.message))
        continue
    report(False, what, "the kernel accepted it")
# Events are not requests, whoever asks.
for cmd in ("SA_EXPIRE", "ACQUIRE", "SA_MAPPING"):
    try:
        nl.call("KESP_CMD_" + cmd, sa)
        report(False, "%s is not a request" % cmd, "the kernel accepted it")
    except Error as e:
        report(e.errno == errno.EOPNOTSUPP, "%s is not a request (EOPNOTSUPP)" % cmd,
               "got %s" % errno.errorcode.get(e.errno))
finish()
EOF_PY
[ $? -eq 0 ] || FAILED=1
same "the refused requests changed nothing: the SA, the fwmark and the encapsulation are as they were" \
	"$($KESPCTL --json sa list dev kesp9 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))') $($KESPCTL --json dev show kesp9 | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("fwmark", 0), d.get("encap_port4"))')" \
	"1 0 None"
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
