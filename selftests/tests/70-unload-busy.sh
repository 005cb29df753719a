#!/bin/sh
# Unloading the module with SAs installed and traffic in flight in both
# directions: no splat, no leak (the harness checks the kernel log and
# SLUB's cache teardown), and the module loads again afterwards.
. "$KESP_SRC/selftests/tests/lib.sh"

two_sites
kesp_xfrm_pair aead 'rfc7539esp(chacha20,poly1305)' $(hexkey 36) 128
site_b_policies
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
