#!/bin/sh
# Asynchronous crypto drivers: with cryptd (every request completes later,
# from a worker thread) or pcrypt (requests spread over the CPUs)
# instantiated in front of the algorithms, kesp's
# SAs get those implementations and traffic still flows both ways,
# interoperating with XFRM.
. "$KESP_SRC/selftests/tests/lib.sh"

# Debian's 6.1 cannot make these instances: the kernel's own self-test
# of them fails ("alg: self-tests for rfc7539esp(chacha20,poly1305) using
# cryptd(rfc7539esp(chacha20-simd,poly1305-simd)) failed (rc=-22)", with a
# testmgr WARNING), so there is nothing asynchronous to test kesp with.
case "$(uname -r)" in
6.1.*)
	echo "SKIP: the 6.1 kernel fails its own self-test of cryptd AEAD instances"
	finish
	;;
esac
modprobe crypto_user && modprobe cryptd || fail "crypto_user and cryptd modules load"
cu() { python3 "$KESP_SRC/selftests/lib/crypto_user.py" "$@"; }

# refcount of the /proc/crypto entry whose driver starts with $1
refcnt() {
	awk -v d="$1" '/^name/ {n=$3} /^driver/ {dr=$3} /^refcnt/ {if (index(dr, d) == 1) {print $3; exit}}' /proc/crypto
}

two_sites
site_b_policies

async_case() {	# TEMPLATE-INSTANCE DRIVER-PREFIX ALG-ARGS...
	instance=$1 prefix=$2
	shift 2
	if ! out=$(cu add "$instance" 2>&1); then
		fail "instantiate $instance" "$out"
		return
	fi
	ip netns exec a $KESPCTL sa flush
	ip -n b xfrm state flush
	sleep 1	# transforms of earlier SAs are freed after a grace period
	before=$(refcnt "$prefix")
	kesp_pair "$@" || { fail "$instance: configure kesp's SAs"; return; }
	# Counted before XFRM's states exist: only kesp's two transforms.
	users=$(( $(refcnt "$prefix") - ${before:-0} ))
	xfrm_pair "$@" || { fail "$instance: configure XFRM's SAs"; return; }
	same "$instance: both of kesp's SAs use the asynchronous implementation" "$users" 2
	check "$instance: 50 pings through the tunnel" \
		ip netns exec a ping -c 50 -i 0.02 -W 2 -I 10.1.0.1 10.2.0.1
	ip netns exec b iperf3 -s -1 -B 10.2.0.1 >/dev/null 2>&1 &
	sleep 1
	check "$instance: iperf3 through the tunnel" ip netns exec a iperf3 -c 10.2.0.1 -B 10.1.0.1 -t 2
	wait
	ip netns exec a $KESPCTL sa flush
	ip -n b xfrm state flush
}

# pcrypt spreads requests over the CPUs and completes them in order. Its
# instance keeps the inner algorithm's name, so it must be asked for by
# driver name (as crconf does), or the lookup would wrap pcrypt around
# itself until the name is too long. crypto_user's names stop at 64 bytes,
# which AES-GCM's driver fits and the two below do not.
modprobe pcrypt || fail "the pcrypt module loads"
cu add 'rfc4106(gcm(aes))' 2>/dev/null
gcm_driver=$(awk '/^name/ {n=$3} /^driver/ && n == "rfc4106(gcm(aes))" && $3 !~ /^(pcrypt|cryptd)/ {print $3; exit}' /proc/crypto)
echo "AES-GCM's driver here: $gcm_driver"
async_case "pcrypt($gcm_driver)" "pcrypt(rfc4106" \
	aead 'rfc4106(gcm(aes))' $(hexkey 20) 128
async_case "cryptd(rfc7539esp(chacha20,poly1305))" "cryptd(rfc7539esp" \
	aead 'rfc7539esp(chacha20,poly1305)' $(hexkey 36) 128
async_case "cryptd(authenc(hmac(sha256),cbc(aes)))" "cryptd(authenc" \
	enc 'cbc(aes)' $(hexkey 16) auth-trunc 'hmac(sha256)' $(hexkey 32) 128
finish
