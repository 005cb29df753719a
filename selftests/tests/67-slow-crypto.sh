#!/bin/sh
# A slow SA_NEW holds up no other request. Building an SA's crypto
# transform may load modules and run their self-tests; with the kernel's
# module loader made to take 3 s a call, an SA_NEW with an algorithm the
# guest has not instantiated yet takes seconds. Meanwhile requests to
# another kesp device in another namespace, and to the same namespace and
# device, must be answered at once: no global generic-netlink mutex
# (parallel_ops) and no sad_lock around the crypto setup.
. "$KESP_SRC/selftests/tests/lib.sh"

netns_add slow1 slow2
ip -n slow1 link add kesp0 type kesp
ip -n slow2 link add kesp0 type kesp
cat >/tmp/slow-modprobe <<'EOS'
#!/bin/sh
sleep 3
exec /sbin/modprobe "$@"
EOS
chmod 755 /tmp/slow-modprobe
old_modprobe=$(cat /proc/sys/kernel/modprobe)
echo /tmp/slow-modprobe >/proc/sys/kernel/modprobe

# timed CMD...: "MILLISECONDS STATUS END" of CMD, END in ms since the epoch.
timed() {
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1
	st=$?
	t1=$(date +%s%N)
	echo "$(((t1 - t0) / 1000000)) $st $((t1 / 1000000))"
}
# An algorithm combination no other test instantiates: ESN, NULL, SHA-384.
(timed $KESPCTL -n slow1 sa add dev kesp0 dir in src 192.0.2.2 dst 192.0.2.1 spi 0x300 \
	mode tunnel flag esn enc cipher_null "" auth-trunc 'hmac(sha384)' "$(hexkey 48)" 192 >/tmp/slow.t) &
sleep 1
# All three at once, so that none waits for another to be let through.
(timed $KESPCTL -n slow2 sa list >/tmp/slow.other) &
(timed $KESPCTL -n slow1 sa list >/tmp/slow.same) &
(timed $KESPCTL -n slow1 dev show kesp0 >/tmp/slow.dev) &
wait
other=$(cat /tmp/slow.other) same_ns=$(cat /tmp/slow.same) dev=$(cat /tmp/slow.dev)
echo "$old_modprobe" >/proc/sys/kernel/modprobe
slow=$(cat /tmp/slow.t)
echo "ms and status of SA_NEW: $slow; meanwhile: another namespace $other, same namespace $same_ns, DEV_GET $dev"
check "the SA_NEW with a fresh algorithm was slow (over 2.5 s) and succeeded" \
	awk -v t="$slow" 'BEGIN { split(t, a, " "); exit !(a[1] > 2500 && a[2] == 0) }'
# A request that waited for the SA_NEW would end after it. Answered
# without waiting means ended while the SA_NEW still waited for the
# module loader, at least a second before it returned (on a busy host a
# process start alone can take most of 2 s, so no fixed bound).
for r in "SA_GET dump in another namespace:$other" "SA_GET dump in the same namespace:$same_ns" \
	"DEV_GET of the same device:$dev"; do
	check "meanwhile, a ${r%%:*} is answered while the SA_NEW still waits" \
		awk -v t="${r#*:}" -v s="$slow" 'BEGIN { split(t, a, " "); split(s, b, " ")
			exit !(a[2] == 0 && a[3] < b[3] - 1000) }'
done
rm -f /tmp/slow-modprobe /tmp/slow.t /tmp/slow.other /tmp/slow.same /tmp/slow.dev
finish
