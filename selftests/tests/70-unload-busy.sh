#!/bin/sh
# Unloading the module with SAs installed and traffic in flight in both
# directions: no splat, no leak (the harness checks the kernel log and
# SLUB's cache teardown), and the module loads again afterwards.
. "$KESP_SRC/selftests/tests/lib.sh"

hexkey() { printf '0x%s' "$(od -An -tx1 -N "$1" /dev/urandom | tr -d ' \n')"; }
netns_add a b
ip link add veth-a netns a type veth peer name veth-b netns b
ip -n a link set veth-a up
ip -n b link set veth-b up
ip -n a addr add 192.168.100.1/24 dev veth-a
ip -n b addr add 192.168.100.2/24 dev veth-b
ip -n a link add kesp0 type kesp
ip -n a link set kesp0 up
ip -n a addr add 10.1.0.1/32 dev kesp0
ip -n a route add 10.2.0.0/24 dev kesp0
ip -n b link add inner type dummy
ip -n b link set inner up
ip -n b addr add 10.2.0.1/24 dev inner
ip -n b route add 10.1.0.0/24 via 192.168.100.1
K=$(hexkey 36)
ip netns exec a $KESPCTL sa add dev kesp0 dir out src 192.168.100.1 dst 192.168.100.2 proto esp spi 0x100 \
	mode tunnel reqid 1 aead 'rfc7539esp(chacha20,poly1305)' $K 128 sel src 10.1.0.0/24 dst 10.2.0.0/24 >/dev/null
ip netns exec a $KESPCTL sa add dev kesp0 dir in src 192.168.100.2 dst 192.168.100.1 proto esp spi 0x200 \
	mode tunnel reqid 1 aead 'rfc7539esp(chacha20,poly1305)' $K 128 sel src 10.2.0.0/24 dst 10.1.0.0/24 >/dev/null
ip -n b xfrm state add src 192.168.100.1 dst 192.168.100.2 proto esp spi 0x100 reqid 1 mode tunnel \
	aead 'rfc7539esp(chacha20,poly1305)' $K 128
ip -n b xfrm state add src 192.168.100.2 dst 192.168.100.1 proto esp spi 0x200 reqid 1 mode tunnel \
	aead 'rfc7539esp(chacha20,poly1305)' $K 128
ip -n b xfrm policy add src 10.2.0.0/24 dst 10.1.0.0/24 dir out tmpl src 192.168.100.2 dst 192.168.100.1 \
	proto esp reqid 1 mode tunnel
ip -n b xfrm policy add src 10.1.0.0/24 dst 10.2.0.0/24 dir in tmpl src 192.168.100.1 dst 192.168.100.2 \
	proto esp reqid 1 mode tunnel
check "the tunnel carries traffic" ip netns exec a ping -c 2 -W 2 -I 10.1.0.1 10.2.0.1

# Floods both ways: a sends through kesp, b sends through XFRM to a.
ip netns exec a ping -f -w 4 -I 10.1.0.1 10.2.0.1 >/dev/null 2>&1 &
ip netns exec b ping -f -w 4 -I 10.2.0.1 10.1.0.1 >/dev/null 2>&1 &
sleep 1.5
check "rmmod kesp succeeds with SAs installed and packets in flight" rmmod kesp
wait
check "the device went with the module" sh -c "! ip -n a link show kesp0 2>/dev/null"
check "the module loads again" insmod "$KESP_KO"
check "and unloads again" rmmod kesp
finish
