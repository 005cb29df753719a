#!/bin/sh
# The service's files, as TAP: the man pages lint clean (mandoc and groff)
# and ikehelper.conf(5) names every key config.c reads or refuses; the
# systemd unit passes systemd-analyze verify and has the hardening issue 17
# asks for; the example config is valid, commented out or not; make install
# and make uninstall with DESTDIR and PREFIX put and remove what they should.
cd "$(dirname "$0")/../.." || exit 1
n=0 failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
t() {	# WHAT CMD...
	what=$1
	shift
	n=$((n + 1))
	if "$@" >"$tmp/out" 2>&1; then
		echo "ok $n - $what"
	else
		echo "not ok $n - $what"
		sed 's/^/# /' "$tmp/out" | head -n 20
		failed=1
	fi
}
quiet() { "$@" >"$tmp/q" 2>&1; rc=$?; cat "$tmp/q"; [ $rc -eq 0 ] && [ ! -s "$tmp/q" ]; }

for page in man/*.[0-9]; do
	t "$page: mandoc -T lint is silent" quiet mandoc -T lint "$page"
	t "$page: groff -ww (man --warnings) is silent" quiet groff -man -Tutf8 -ww -z "$page"
done
# Every key in config.c's tables (supported or refused with a reason).
awk '/^static const struct key [a-z_]*keys\[\] = \{/ { f = 1; next } f && /^};/ { f = 0 } f' \
	ikehelper/config.c | sed -n 's/^[[:space:]]*{ "\([a-z_0-9]*\)".*/\1/p' | sort -u >"$tmp/keys"
mandoc -T utf8 -O width=1000 man/ikehelper.conf.5 2>/dev/null | col -b >"$tmp/conf5.txt"
undocumented() {
	[ -s "$tmp/keys" ] || { echo "no keys found in config.c"; return 1; }
	m=""
	while read -r k; do grep -qw -- "$k" "$tmp/conf5.txt" || m="$m $k"; done <"$tmp/keys"
	[ -z "$m" ] || { echo "not in ikehelper.conf(5):$m"; return 1; }
}
t "ikehelper.conf(5) names all $(wc -l <"$tmp/keys") keys config.c knows" undocumented

# The unit, with this tree's programs standing in for the installed ones.
mkdir -p "$tmp/sbin"
ln -s "$PWD/ikehelper/ikehelper" "$PWD/tools/kespctl" "$tmp/sbin/"
sed -e "s|@SBINDIR@|$tmp/sbin|g" -e 's|@SYSCONFDIR@|/etc|g' dist/ikehelper.service.in \
	>"$tmp/ikehelper.service"
t "ikehelper.service: systemd-analyze verify is silent" \
	quiet systemd-analyze verify --man=no "$tmp/ikehelper.service"
hardened() {
	for d in Type=notify Restart=on-failure \
		'CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_BIND_SERVICE' ProtectSystem=strict \
		ProtectHome=yes PrivateTmp=yes NoNewPrivileges=yes \
		'RestrictAddressFamilies=AF_INET AF_INET6 AF_NETLINK AF_UNIX' \
		SystemCallFilter=@system-service "ExecReload=$tmp/sbin/kespctl ike reload"; do
		grep -qx "$d" "$tmp/ikehelper.service" || { echo "missing: $d"; return 1; }
	done
}
t "ikehelper.service: Type=notify, Restart=on-failure, ExecReload and issue 17's hardening" hardened
echo "Bogus=1" >>"$tmp/ikehelper.service"
t "systemd-analyze verify is not silent about a unit with an unknown key" \
	sh -c "systemd-analyze verify --man=no '$tmp/ikehelper.service' 2>&1 | grep -q ."

t "the example config (all commented out) passes ikehelper --check-config" \
	ikehelper/ikehelper --check-config -c dist/ikehelper.conf
sed 's/^#\([^ ]\)/\1/; s/^#\(    \)/\1/' dist/ikehelper.conf >"$tmp/example.conf"
t "the example config with its example uncommented has one connection and passes" \
	sh -c "ikehelper/ikehelper --check-config -c '$tmp/example.conf' | grep -q ': 1 connection, 1 secret'"
# The test hook's malformed value stops ikehelper before it opens anything.
bad_nonces() {
	out=$(IKEHELPER_TEST_NONCES='co=low cq=middle' ikehelper/ikehelper -f -S none \
		-c "$tmp/example.conf" -s "$tmp/sock" 2>&1)
	[ $? = 1 ] && echo "$out" | grep -q "^ikehelper: IKEHELPER_TEST_NONCES: 'cq=middle' is not"
}
t "IKEHELPER_TEST_NONCES with a malformed word: ikehelper exits 1 and names the word" bad_nonces
t "the bash completion parses" bash -n dist/kespctl.bash-completion

# make install / uninstall, as a packager or a non-Debian user runs them.
d=$tmp/dest
t "make install DESTDIR PREFIX=/usr/local" make -s install DESTDIR="$d" PREFIX=/usr/local
installed() {
	for f in /usr/local/sbin/ikehelper /usr/local/sbin/kespctl \
		/usr/local/lib/systemd/system/ikehelper.service \
		/usr/local/share/man/man4/kesp.4 /usr/local/share/man/man5/ikehelper.conf.5 \
		/usr/local/share/man/man8/ikehelper.8 /usr/local/share/man/man8/kespctl.8 \
		/usr/local/share/bash-completion/completions/kespctl \
		/usr/local/etc/kesp/ikehelper.conf; do
		[ -e "$d$f" ] || { echo "missing $f"; return 1; }
	done
	grep -qx 'ExecStart=/usr/local/sbin/ikehelper -f -c /usr/local/etc/kesp/ikehelper.conf' \
		"$d/usr/local/lib/systemd/system/ikehelper.service" || { echo "unit paths"; return 1; }
	[ "$(stat -c %a "$d/usr/local/etc/kesp")" = 700 ] || { echo "etc/kesp not 0700"; return 1; }
}
t "make install puts programs, unit (with its paths), man pages, completion, config" installed
echo "# mine" >"$d/usr/local/etc/kesp/ikehelper.conf"
make -s install DESTDIR="$d" PREFIX=/usr/local >/dev/null 2>&1
t "make install again keeps an existing ikehelper.conf" grep -qx '# mine' "$d/usr/local/etc/kesp/ikehelper.conf"
make -s uninstall DESTDIR="$d" PREFIX=/usr/local >/dev/null 2>&1
t "make uninstall removes every file but the configuration" \
	sh -c "[ \"\$(cd '$d' && find . -type f)\" = ./usr/local/etc/kesp/ikehelper.conf ]"
echo "1..$n"
exit $failed
