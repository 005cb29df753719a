#!/bin/sh
# Outbound SA choice with real packets: several outbound SAs on one kesp
# device, each packet routed into it leaves with the most specific SA whose
# selectors match (address prefixes and ranges, protocol, port ranges; ties
# to the lower priority value), or is dropped and counted when none does.
# XFRM in namespace b decrypts every SA's packets, and per-SA counters on
# both sides say which SA carried each one. SA_UPDATE of selectors takes
# effect at once, outbound and inbound. Per-CPU SAs (RFC 9611): the sending
# CPU picks its own SA, and a fallback SA with flag pcpu-acquire carries
# the packets of a CPU without one and raises an ACQUIRE for that CPU,
# once a second at most. The checks are in sel_choice.py.
. "$KESP_SRC/selftests/tests/lib.sh"

two_sites
# Nothing but the test's packets may reach kesp0's drop counter.
ip netns exec a sysctl -qw net.ipv6.conf.kesp0.router_solicitations=0
# Beyond the /24 that two_sites routes into kesp0: the rest of 10.2.0.0/16,
# and a second source address for packets no selector covers.
ip -n a route add 10.2.0.0/16 dev kesp0
ip -n a addr add 10.1.1.1/32 dev kesp0

K=$(hexkey 20)
# b decrypts every SPI a sends on and delivers what comes out ("level use":
# plain packets pass too) ...
for spi in 0x1601 0x1624 0x1609 0x2000 0x2001 0x2002 0x3010 0x3020 0x4001 \
	0x7000 0x7100 0x7101; do
	ip -n b xfrm state add src 192.168.100.1 dst 192.168.100.2 proto esp spi $spi \
		mode tunnel aead 'rfc4106(gcm(aes))' "$K" 128
done
for spi in 0x6064 0x6120; do
	ip -n b xfrm state add src fd00:100::1 dst fd00:100::2 proto esp spi $spi \
		mode tunnel aead 'rfc4106(gcm(aes))' "$K" 128
done
ip -n b xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 dir in \
	tmpl src 192.168.100.1 dst 192.168.100.2 proto esp mode tunnel level use
ip -n b xfrm policy add src fd00:1::/64 dst fd00:2::/64 dir in \
	tmpl src fd00:100::1 dst fd00:100::2 proto esp mode tunnel level use
# ... and sends to a's inbound SA 0x5200 what the test sends from UDP port
# 40000 (b's answers to a, echo replies and ICMP errors, stay plain).
ip -n b xfrm state add src 192.168.100.2 dst 192.168.100.1 proto esp spi 0x5200 \
	mode tunnel aead 'rfc4106(gcm(aes))' "$K" 128
ip -n b xfrm policy add src 10.2.0.0/24 dst 10.1.0.0/24 proto udp sport 40000 dir out \
	tmpl src 192.168.100.2 dst 192.168.100.1 proto esp mode tunnel

ip netns exec a python3 "$KESP_SRC/selftests/tests/sel_choice.py" "$K" || FAILED=1
finish
