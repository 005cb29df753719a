#!/bin/sh
# Inside the guest (guest-run-tests.sh, full suite only): flips two static
# keys, netstamp_needed_key (SO_TIMESTAMP) and udp_encap_needed_key
# (UDP_ENCAP), in a loop on CPU 0 while iperf3 sends UDP over lo on CPU 1
# through their sites. Every flip live-patches kernel code (text_poke_bp);
# under QEMU 7.2's multi-threaded TCG this kills a 6.12 guest with
# "Oops: int3" within seconds, which is why run-vm.sh uses one TCG thread.
# Prints "ok - ..." when the guest is still alive after SECONDS.
#   guest-codepatch.sh [SECONDS]
set -u
secs=${1:-20}
port=5298
iperf3 -s -1 -p $port -A 1 >/dev/null 2>&1 &
server=$!
i=0
while ! ss -Hltn "sport = :$port" | grep -q .; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "not ok - iperf3 server listens on lo"; kill $server; exit 1; }
	sleep 0.1
done
iperf3 -c 127.0.0.1 -p $port -u -b 0 -l 64 -t "$secs" -A 1 >/dev/null 2>&1 &
client=$!
flips=$(taskset -c 0 python3 - "$secs" <<'PY'
import socket, sys, time
SO_TIMESTAMP, UDP_ENCAP, UDP_ENCAP_ESPINUDP = 29, 100, 2
end = time.time() + int(sys.argv[1])
n = 0
while time.time() < end:
    a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    a.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMP, 1)
    b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    b.setsockopt(socket.IPPROTO_UDP, UDP_ENCAP, UDP_ENCAP_ESPINUDP)
    b.close()
    a.close()
    n += 1
    time.sleep(0.002)
print(n)
PY
)
wait $client
client_rc=$?
wait $server
if [ "${flips:-0}" -gt 0 ] && [ $client_rc -eq 0 ]; then
	echo "ok - the guest survives ${secs} s of static key flips ($flips rounds) under UDP traffic"
else
	echo "not ok - the guest survives ${secs} s of static key flips under UDP traffic (rounds: ${flips:-none}, iperf3 client status $client_rc)"
fi
echo "kesp-test: complete"
