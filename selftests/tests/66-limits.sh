#!/bin/sh
# What one device may cost, and who pays. The family is open to the root
# of any user+network namespace, so every object is charged to the memory
# cgroup of the process that asked for it, each device has limits on what
# it holds (KESP_DEV_A_LIMITS, shown with its usage by DEV_GET and set by
# DEV_SET) with a refusal that names the limit, and SPI reservations are
# freed as they expire, not when the table fills. A device moved into
# another namespace cannot send from IPv6 addresses its underlay lacks.
. "$KESP_SRC/selftests/tests/lib.sh"

# Reservations go when they expire (kesp.ko's spi_reserve_seconds, 60 by
# default; 10 here, loaded so), with no request to sweep them. They are
# made first, in a namespace of their own (reservations belong to the
# underlay namespace, and only requests there sweep them), and looked at
# once the rest of the test is done and 13 s have passed.
param=/sys/module/kesp/parameters/spi_reserve_seconds
same "spi_reserve_seconds is 60 by default" "$(cat $param 2>&1)" 60
rmmod kesp
for bad in 0 3601 x; do
	if insmod "$KESP_KO" spi_reserve_seconds=$bad 2>/dev/null; then
		fail "kesp.ko refuses to load with spi_reserve_seconds=$bad"
		rmmod kesp
	else
		pass "kesp.ko refuses to load with spi_reserve_seconds=$bad"
	fi
done
check "kesp.ko loads with spi_reserve_seconds=10" insmod "$KESP_KO" spi_reserve_seconds=10
same "spi_reserve_seconds reads 10, and cannot be changed once loaded" \
	"$(cat $param 2>&1) $(echo 20 2>/dev/null >$param && echo changed)" "10 "
netns_add resv
ip -n resv link add kesp0 type kesp
usage() {	# NAME [UPTIME]: the usage of the limit NAME by kesp0 in resv, read
	# once the guest's uptime is UPTIME (the python3 starts meanwhile)
	ip netns exec resv python3 -c "
import os, sys, struct, time
sys.path.insert(0, os.environ['KESP_SRC'] + '/selftests/lib')
from kespnl import *
while float(open('/proc/uptime').read().split()[0]) < ${2:-0}:
    time.sleep(0.1)
d = Kesp().call('KESP_CMD_DEV_GET', string(K['KESP_DEV_A_IFNAME'], 'kesp0'))[0]
print(struct.unpack('=I', parse_attrs(d[K['KESP_DEV_A_USAGE']][0])[K['KESP_LIMIT_A_$1']][0])[0])"
}
$KESPCTL -n resv sa flush
for _ in 1 2 3 4 5; do $KESPCTL -n resv spi alloc dev kesp0 >/dev/null; done
read -r resv_up _ </proc/uptime
resv_done=$((${resv_up%.*} + 13))
reserved=$(usage SPI_RESERVATIONS)
echo "reservations held now: $reserved"
netns_add lim other
ip -n lim link add kesp0 type kesp
ip netns exec lim python3 "$KESP_SRC/selftests/tests/limits.py" kesp0 || FAILED=1

# Lowering is for anyone who may configure the device; raising past the
# default only for the host's administrator.
ctl_ok=1
if ! unshare -Urn true 2>/dev/null; then
	fail "unprivileged user namespaces are available for the test"
	ctl_ok=0
fi
if [ $ctl_ok = 1 ]; then
	unshare -Urn sh -c "ip link add kesp0 type kesp && python3 '$KESP_SRC/selftests/tests/limits.py' --raise kesp0" ||
		FAILED=1
fi

# Memory is charged to the asker's cgroup: 2000 SAs with 8 selectors.
cg=/sys/fs/cgroup
if [ ! -e $cg/cgroup.controllers ]; then
	mount -t cgroup2 none $cg
fi
echo +memory >$cg/cgroup.subtree_control 2>/dev/null
mkdir -p $cg/kesp-charge
out=$(sh -c "echo \$\$ >$cg/kesp-charge/cgroup.procs &&
	exec ip netns exec lim python3 '$KESP_SRC/selftests/tests/sa_charge.py' kesp0 2000")
echo "cgroup slab bytes before, with 2000 SAs, after the flush: $out"
rmdir $cg/kesp-charge 2>/dev/null
same "2000 SAs are charged to the cgroup that added them (at least 1 MB of slab), and given back" \
	"$(echo "$out" | awk '{ print ($2 - $1 >= 1000000 && $2 - $3 >= 1000000) ? "charged" : "not charged" }')" charged

# IPv6 sources of a device that lives away from its underlay.
ip -n lim link add kesp1 type kesp
ip -n lim link set kesp1 netns other
K=$(hexkey 20)
refuse "a moved device's outbound SA may not send from an IPv6 address its underlay lacks" 1 \
	"not an address of the device's underlay namespace" \
	$KESPCTL -n other sa add dev kesp1 dir out src fd00:77::1 dst fd00:77::2 spi 0x100 \
	mode tunnel aead 'rfc4106(gcm(aes))' $K 128
ip -n lim addr add fd00:77::1/64 dev lo nodad
check "one of the underlay's own addresses is accepted" \
	$KESPCTL -n other sa add dev kesp1 dir out src fd00:77::1 dst fd00:77::2 spi 0x100 \
	mode tunnel aead 'rfc4106(gcm(aes))' $K 128
refuse "and SA_UPDATE cannot move it to one the underlay lacks" 1 \
	"not an address of the device's underlay namespace" \
	$KESPCTL -n other sa update dev kesp1 id \
	"$($KESPCTL -n other --json sa list | json_first id)" \
	src fd00:77::9 dst fd00:77::2
check "an inbound SA's source is the peer's: any address" \
	$KESPCTL -n other sa add dev kesp1 dir in src fd00:88::2 dst fd00:77::1 spi 0x200 \
	mode tunnel aead 'rfc4106(gcm(aes))' $K 128

# The reservations made first, 13 s on.
same "every reservation is freed once it expires, with no request in between" \
	"$(usage SPI_RESERVATIONS "$resv_done")" 0
test "$reserved" -ge 5 || fail "the reservations were counted ($reserved)"
finish
