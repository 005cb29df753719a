#!/bin/sh
# Selectors and ESP apply to whole datagrams. A UDP datagram bigger than
# kesp0's MTU is fragmented by the sender's stack before kesp sees it; its
# later fragments carry no ports. With an SA whose selector names the UDP
# port, every fragment must still reach the SA (tunnel mode), and IPv6
# transport mode must not put a fragment header inside ESP (RFC 4303
# 3.1.1): kesp puts the datagram back together, encrypts it once and lets
# the ESP packet be fragmented instead. XFRM in b receives the datagram.
. "$KESP_SRC/selftests/tests/lib.sh"

MARK=0x63
two_sites
# Transport mode: b's own addresses routed into kesp0, kesp0's ESP not.
$KESPCTL -n a dev set kesp0 fwmark $MARK >/dev/null
for v in 4 6; do ip -n a -$v rule add not fwmark $MARK table 63; done
ip -n a route add 192.168.100.2/32 dev kesp0 table 63 src 192.168.100.1
ip -n a -6 route add fd00:100::2/128 dev kesp0 table 63 src fd00:100::1

K=$(hexkey 20)
# Both ends in one python3 in a (a start costs about a second under TCG):
# the receiving socket is made in b, and snmp(NS) reads the IP statistics
# of a namespace (b's from a thread moved there for the read). Sends a
# 3000- and a 300-byte datagram from SRC to DST port 7777 and prints "rx
# LENGTH" for each datagram b received (20 s at most), then "tx-stats"
# and "rx-stats", what changed in a's and b's statistics (ReasmOKs FragOKs
# Ip6ReasmOKs Ip6FragOKs).
WHOLE='
import os, socket, sys, time
sys.path.insert(0, os.environ["KESP_SRC"] + "/selftests/lib")
from netns import libc, socket_in_netns
KEYS = ("ReasmOKs", "FragOKs", "Ip6ReasmOKs", "Ip6FragOKs")
def snmp(ns=None):
    if ns:
        own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        other = os.open("/run/netns/" + ns, os.O_RDONLY)
        if libc.setns(other, 0) != 0:
            raise OSError("setns " + ns)
    try:
        snmp4 = open("/proc/thread-self/net/snmp").read().split("\n")
        snmp6 = open("/proc/thread-self/net/snmp6").read().split("\n")
    finally:
        if ns:
            libc.setns(own, 0)
            os.close(own)
            os.close(other)
    d = {}
    for head, vals in zip(snmp4[::2], snmp4[1::2]):
        if head.startswith("Ip:"):
            d.update(zip(head.split()[1:], map(int, vals.split()[1:])))
    for line in snmp6:
        if line.strip():
            k, v = line.split()
            d[k] = int(v)
    return d
def delta(before, ns=None):
    now = snmp(ns)
    return " ".join(str(now[k] - before[k]) for k in KEYS)
src, dst = sys.argv[1], sys.argv[2]
family = socket.AF_INET6 if ":" in dst else socket.AF_INET
rx = socket_in_netns("b", family, socket.SOCK_DGRAM)
rx.bind((dst, 7777))
rx.settimeout(20)
before_b = snmp("b")
tx = socket.socket(family, socket.SOCK_DGRAM)
tx.bind((src, 0))
before_a = snmp()
for n in (3000, 300):
    tx.sendto(bytes(n), (dst, 7777))
    time.sleep(0.3)
tx_stats = delta(before_a)
for _ in range(2):
    try:
        print("rx", len(rx.recv(65536)), flush=True)
    except socket.timeout:
        break
print("tx-stats", tx_stats)
print("rx-stats", delta(before_b, "b"))
'
# whole MODE FAMILY: 3000- and 300-byte datagrams from a to UDP port 7777
# in b through an SA for that port alone.
whole() {
	mode=$1 fam=$2
	if [ "$mode" = transport ]; then
		if [ "$fam" = 4 ]; then src=192.168.100.1 dst=192.168.100.2; else src=fd00:100::1 dst=fd00:100::2; fi
		ea=$src eb=$dst
	elif [ "$fam" = 4 ]; then
		src=10.1.0.1 dst=10.2.0.1 ea=192.168.100.1 eb=192.168.100.2
	else
		src=fd00:1::1 dst=fd00:2::1 ea=fd00:100::1 eb=fd00:100::2
	fi
	what="$mode, IPv$fam"
	$KESPCTL -n a sa flush
	ip -n b xfrm state flush
	ip -n b xfrm policy flush
	if ! out=$($KESPCTL -n a sa add dev kesp0 dir out src $ea dst $eb spi 0x6300 \
			mode $mode aead 'rfc4106(gcm(aes))' $K 128 sel src $src dst $dst proto udp dport 7777 2>&1) ||
		! out=$(ip -n b xfrm state add src $ea dst $eb proto esp spi 0x6300 mode $mode \
			aead 'rfc4106(gcm(aes))' $K 128 2>&1) ||
		! out=$(ip -n b xfrm policy add src $src dst $dst proto udp dport 7777 dir in \
			tmpl src $ea dst $eb proto esp mode $mode 2>&1); then
		fail "$what: configure" "$out"
		return
	fi
	ip netns exec a python3 -c "$WHOLE" $src $dst >/tmp/whole.out 2>&1
	same "$what: a 3000-byte and a 300-byte datagram to the port-specific SA arrive whole" \
		"$(sed -n 's/^rx //p' /tmp/whole.out | tr '\n' ' ')" "3000 300 "
	# Where the datagram was cut and put back together, from the IP
	# statistics of each namespace (IPv4's ReasmOKs FragOKs, IPv6's):
	# a's stack fragmented the 3000-byte datagram for kesp0 and the ESP
	# packet for the wire (2 fragmentations); kesp put the datagram back
	# together (IPv4 counts that in a; IPv6's queue, netfilter's, counts
	# nothing); b put one ESP packet back together before XFRM decrypted it,
	# and no datagram after (one reassembly, not two).
	if [ "$fam" = 4 ]; then want_a="1 2 0 0" want_b="1 0 0 0"; else want_a="0 0 0 2" want_b="0 0 1 0"; fi
	same "$what: a fragmented the datagram and the ESP packet, kesp reassembled between (a: ReasmOKs FragOKs Ip6ReasmOKs Ip6FragOKs)" \
		"$(sed -n 's/^tx-stats //p' /tmp/whole.out)" "$want_a"
	same "$what: b reassembled the ESP packet once, before ESP, and nothing after" \
		"$(sed -n 's/^rx-stats //p' /tmp/whole.out)" "$want_b"
	same "$what: each went in one ESP packet (kesp sent 2, XFRM decrypted 2)" \
		"$($KESPCTL -n a --json sa list dir out | json_first packets) $(ip -n b -s xfrm state get src $ea dst $eb proto esp spi 0x6300 |
			sed -n 's/^[[:space:]]*\([0-9]*\)(bytes), \([0-9]*\)(packets).*/\2/p' | head -1)" "2 2"
}
for mode in tunnel transport; do
	for fam in 4 6; do
		whole $mode $fam
	done
done
rm -f /tmp/whole.out
finish
