#!/bin/sh
# Private keys for the guests' test PKIs (ike_lib.sh pki_key), made on the
# host before the guests boot: certtool makes an RSA-3072 key in a fraction
# of a second here and in seconds under TCG, and both kernels' guests use
# the same pool. A guest takes the keys of a type in order; one that finds
# none (no pool, or too few) makes its own.
#   key-pool.sh DIR     DIR/TYPE-N.key, N from 1; TYPE as pki_key names it
set -eu
dir=$1
tmp=$dir.new
rm -rf "$tmp"
mkdir -p "$tmp"
# TYPE COUNT CERTTOOL-OPTIONS
while read -r type count opts; do
	n=1
	while [ "$n" -le "$count" ]; do
		# shellcheck disable=SC2086
		certtool --generate-privkey --no-text $opts --outfile "$tmp/$type-$n.key" \
			>/dev/null 2>&1
		n=$((n + 1))
	done
done <<'LIST'
ecdsa-secp256r1 10 --key-type ecdsa --curve secp256r1
ecdsa-secp384r1 5 --key-type ecdsa --curve secp384r1
rsa-2048 5 --key-type rsa --bits 2048
rsa-3072 3 --key-type rsa --bits 3072
ed25519 3 --key-type ed25519
LIST
rm -rf "$dir"
mv "$tmp" "$dir"
