#!/bin/sh
# Unloading the module with SAs installed and traffic in flight in both
# directions: no splat, no leak (the harness checks the kernel log and
# SLUB's cache teardown), and the module loads again afterwards.
. "$KESP_SRC/selftests/tests/lib.sh"

two_sites
kesp_xfrm_pair aead 'rfc7539esp(chacha20,poly1305)' $(hexkey 36) 128
site_b_policies
check "the tunnel carries traffic" ip netns exec a ping -c 2 -W 2 -I 10.1.0.1 10.2.0.1

# A UDP socket attached for ESP in UDP, held open across the unload: the
# module must hand it back as a plain socket, and closing it afterwards
# must not call into the unloaded module.
ip netns exec a python3 -c '
import socket, sys, time
sys.path.insert(0, "'"$KESP_SRC"'/selftests/lib")
import kespnl
from kespnl import K, string, u32
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.168.100.1", 4500))
kespnl.Kesp().call("KESP_CMD_ENCAP_ATTACH", string(K["KESP_DEV_A_IFNAME"], "kesp0"),
                   u32(K["KESP_DEV_A_ENCAP_FD"], s.fileno()))
print("attached", flush=True)
while not __import__("os").path.exists("/tmp/unloaded"):
    time.sleep(0.1)
s.sendto(b"after", ("192.168.100.1", 4500))
s.settimeout(5)
print("received" if s.recv(16) == b"after" else "lost", flush=True)
s.close()
' >/tmp/holder.out 2>&1 &
holder=$!
rm -f /tmp/unloaded
wait_line /tmp/holder.out attached

# Floods both ways: a sends through kesp, b sends through XFRM to a.
ip netns exec a ping -f -w 4 -I 10.1.0.1 10.2.0.1 >/dev/null 2>&1 &
flood_a=$!
ip netns exec b ping -f -w 4 -I 10.2.0.1 10.1.0.1 >/dev/null 2>&1 &
flood_b=$!
sleep 1.5
check "rmmod kesp succeeds with SAs installed and packets in flight" rmmod kesp
wait $flood_a $flood_b
refuse "the device went with the module" 1 'Device "kesp0" does not exist' ip -n a link show kesp0
touch /tmp/unloaded
wait $holder
same "a socket attached at unload is a working UDP socket afterwards, and closes cleanly" \
	"$(cat /tmp/holder.out | tr '\n' ' ')" "attached received "
rm -f /tmp/unloaded /tmp/holder.out
check "the module loads again" insmod "$KESP_KO"
check "and unloads again" rmmod kesp
finish
