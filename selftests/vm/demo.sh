#!/bin/sh
# `make demo`, inside the guest: a live IPsec tunnel between kesp and the
# kernel's own XFRM. Namespace "site-a" runs kesp (kespctl), namespace
# "site-b" runs XFRM (ip xfrm); they share an AES-GCM key and ping across.
set -u
SRC=/run/kesp/src
KO=$SRC/build/kmod/$(uname -r)/kmod/kesp.ko
KESPCTL=$SRC/tools/kespctl
say() { printf '\n$ %s\n' "$*"; "$@"; }
KEY=0x$(od -An -tx1 -N 20 /dev/urandom | tr -d ' \n')

for dep in $(modinfo -F depends "$KO" | tr ',' ' '); do modprobe "$dep"; done
say uname -r
say insmod "$KO"
ip netns add site-a
ip netns add site-b
ip link add wan netns site-a type veth peer name wan netns site-b
for ns in site-a site-b; do ip -n $ns link set lo up; ip -n $ns link set wan up; done
ip -n site-a addr add 192.0.2.1/24 dev wan
ip -n site-b addr add 192.0.2.2/24 dev wan
ip -n site-b link add lan type dummy
ip -n site-b link set lan up
ip -n site-b addr add 10.2.0.1/24 dev lan
ip -n site-b route add 10.1.0.0/24 via 192.0.2.1

echo
echo "# site-a: a kesp device and two SAs, keyed by hand"
say ip -n site-a link add kesp0 type kesp
say ip -n site-a link set kesp0 up
say ip -n site-a addr add 10.1.0.1/32 dev kesp0
say ip -n site-a route add 10.2.0.0/24 dev kesp0
say ip netns exec site-a "$KESPCTL" sa add dev kesp0 dir out src 192.0.2.1 dst 192.0.2.2 proto esp \
	spi 0x100 mode tunnel reqid 1 aead 'rfc4106(gcm(aes))' "$KEY" 128 sel src 10.1.0.0/24 dst 10.2.0.0/24
say ip netns exec site-a "$KESPCTL" sa add dev kesp0 dir in src 192.0.2.2 dst 192.0.2.1 proto esp \
	spi 0x200 mode tunnel reqid 1 aead 'rfc4106(gcm(aes))' "$KEY" 128 sel src 10.2.0.0/24 dst 10.1.0.0/24

echo
echo "# site-b: the kernel's XFRM with the same keys"
for spec in "192.0.2.1 192.0.2.2 0x100" "192.0.2.2 192.0.2.1 0x200"; do
	set -- $spec
	ip -n site-b xfrm state add src $1 dst $2 proto esp spi $3 reqid 1 mode tunnel \
		aead 'rfc4106(gcm(aes))' "$KEY" 128
done
ip -n site-b xfrm policy add src 10.2.0.0/24 dst 10.1.0.0/24 dir out \
	tmpl src 192.0.2.2 dst 192.0.2.1 proto esp reqid 1 mode tunnel
ip -n site-b xfrm policy add src 10.1.0.0/24 dst 10.2.0.0/24 dir in \
	tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 1 mode tunnel
say ip -n site-b xfrm policy

echo
echo "# across the tunnel"
say ip netns exec site-a ping -c 3 -I 10.1.0.1 10.2.0.1
say ip netns exec site-a "$KESPCTL" sa list
say ip netns exec site-a "$KESPCTL" --json dev list
say ip netns del site-a
ip netns del site-b
say rmmod kesp
echo
echo "demo: kesp (site-a) and XFRM (site-b) exchanged ESP; the tunnel's SAs were listed and removed with the module"
