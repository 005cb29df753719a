#!/bin/sh
# The debug kernel of the debug-kernel tier (README "Debug-kernel tier"):
# Debian's linux-source-6.12 built with Debian's 6.12 config, trimmed to the
# modules in tools/debug-kernel/modules, plus tools/debug-kernel/config
# (KASAN, lockdep, kmemleak, UBSAN ...). The build is cached outside the
# checkout, in $KESP_DEBUG_CACHE (default /var/cache/kesp/debug-kernel),
# keyed by the source package's version and a hash of the .config:
#   KEY/vmlinuz       the kernel the guests boot (run-vm.sh KESP_VM_KERNEL)
#   KEY/obj/          the build tree, for kesp.ko's external build
#   KEY/mods/lib/modules/KVER/   its modules (make modules_install)
#   KEY/kver          the kernel's version, KEY/build-seconds its build time
#   KEY/patches       the hash of tools/debug-kernel/patches/ it was built with
#   KEY/complete      written last: a cache without it is never used
# tools/debug-kernel/patches/*.patch are applied to the source before the
# build (each says why; lockdep annotations Debian's kernel does not need).
# When they change, a built entry is rebuilt where make finds the sources
# changed, not from scratch (a patch changed or removed: from a fresh source).
# /lib/modules/KVER on this machine is a symlink into KEY (the guests mount
# this machine's root; nothing is ever loaded into this machine's kernel),
# and /lib/modules/KVER/build points at KEY/obj.
#
#   debug-kernel.sh deps     install the packages the build needs (root)
#   debug-kernel.sh status   print the cached kernel's version and exit 0,
#                            or print why there is none and exit 1
#   debug-kernel.sh build    build (nice -n 10) unless cached; print its KVER
#   debug-kernel.sh kernel   print the cached kernel image's path
#   debug-kernel.sh patches-id   print the hash KEY/patches must hold
#   debug-kernel.sh forget-unfinished KEY   what build does before it goes
#                            on with a stopped build in KEY (unit-tested)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HERE=$ROOT/tools/debug-kernel
CACHE=${KESP_DEBUG_CACHE:-/var/cache/kesp/debug-kernel}
SRCPKG=linux-source-6.12
TARBALL=/usr/src/linux-source-6.12.tar.xz
# What the build needs beyond `make deps` (bc, libssl-dev and gcc are there).
PKGS="$SRCPKG bison flex libelf-dev patch"
SERIES=6.12
JOBS=${KESP_DEBUG_JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)}

say() { echo "debug-kernel: $*"; }
die() { echo "debug-kernel: $*" >&2; exit 1; }

missing_pkgs() {
	m=""
	for p in $PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || m="$m $p"
	done
	echo "${m# }"
}

deps() {
	m=$(missing_pkgs)
	[ -n "$m" ] || return 0
	[ "$(id -u)" = 0 ] || die "must run as root to install $m"
	say "installing $m"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $m
}

srcver() { dpkg-query -W -f='${Version}' "$SRCPKG" 2>/dev/null; }

# Debian's 6.12 kernel of the matrix: its config is the base, its module
# tree says which modules the paths in ./modules cover.
debian_kver() {
	v=$(sh "$ROOT/tools/kernels.sh" matrix "$SERIES" 2>/dev/null)
	case $v in missing-* | "") return 1 ;; esac
	echo "$v"
}

# patch_id FILE: "NAME HASH", as SRC/.kesp-patches records a patch.
patch_id() { echo "$(basename "$1") $(sha256sum <"$1" | cut -c1-12)"; }
# Every patch's id, one a line.
patch_ids() {
	for p in "$HERE"/patches/*.patch; do
		[ -f "$p" ] && patch_id "$p"
	done
}
# The patches' identity: a hash of their names and contents.
patches_id() { patch_ids | sha256sum | cut -c1-12; }

# The newest complete cache entry of the installed source version built
# with the current patches, if any (finding the one of the current config
# would take a config run; after a change to tools/debug-kernel/, `make
# debug-kernel` builds the new one).
cached() {
	sv=$(srcver) || return 1
	[ -n "$sv" ] || return 1
	pid=$(patches_id)
	for c in $(ls -t "$CACHE/$sv"-*/complete 2>/dev/null); do
		d=$(dirname "$c")
		[ "$(cat "$d/patches" 2>/dev/null)" = "$pid" ] && { echo "$d"; return 0; }
	done
	return 1
}

status() {
	m=$(missing_pkgs)
	if [ -n "$m" ]; then
		echo "not built: package(s) $m not installed (make debug-kernel installs them and builds it)"
		return 1
	fi
	if d=$(cached); then
		kver=$(cat "$d/kver")
		if [ ! -e "/lib/modules/$kver/modules.dep" ]; then
			echo "not usable: /lib/modules/$kver does not lead to $d (make debug-kernel links it)"
			return 1
		fi
		echo "$kver"
		return 0
	fi
	echo "not built for $SRCPKG $(srcver) with the current tools/debug-kernel/patches (make debug-kernel builds it, $(measured))"
	return 1
}

# The last measured build time, for the skip line.
measured() {
	t=$(cat "$CACHE"/*/build-seconds 2>/dev/null | tail -n 1)
	p=$(cat "$CACHE"/*/build-seconds.partial 2>/dev/null | tail -n 1)
	if [ -n "$t" ]; then
		echo "measured $((t / 60)) min here"
	elif [ -n "$p" ]; then
		echo "a stopped build here ran $((p / 60)) min so far and resumes"
	else
		echo "hours on 2 shared CPUs, see README"
	fi
}

extract() {	# SRCVER -> prints the source dir
	src=$CACHE/src-$1
	if [ ! -f "$src/.extracted" ]; then
		rm -rf "$src" "$src.tmp"
		mkdir -p "$src.tmp"
		say "unpacking $TARBALL" >&2
		nice -n 10 tar -xJf "$TARBALL" -C "$src.tmp" --strip-components=1
		touch "$src.tmp/.extracted"
		mv "$src.tmp" "$src"
	fi
	patch_source "$src"
	echo "$src"
}

# Applies the patches SRC lacks, recorded in SRC/.kesp-patches ("NAME
# HASH"). A recorded one that changed or went away cannot be taken back by
# patch -R reliably: the source is unpacked again (and everything rebuilt).
patch_source() {	# SRC
	want=$(patch_ids)
	stale=$(awk -v want="$want" 'BEGIN { n = split(want, w, "\n"); for (i = 1; i <= n; i++) ok[w[i]] = 1 }
		NF && !($0 in ok)' "$1/.kesp-patches" 2>/dev/null || true)
	if [ -n "$stale" ]; then
		say "patch(es) changed or removed since $1 was patched: unpacking it again" >&2
		rm -rf "$1"
		extract "$sv" >/dev/null
		return 0
	fi
	for p in "$HERE"/patches/*.patch; do
		[ -f "$p" ] || continue
		id=$(patch_id "$p")
		grep -qxF "$id" "$1/.kesp-patches" 2>/dev/null && continue
		say "applying $(basename "$p")" >&2
		patch -d "$1" -p1 -N -s <"$p" || die "$(basename "$p") does not apply to $1"
		echo "$id" >>"$1/.kesp-patches"
	done
}

# An lsmod-style list (what localmodconfig reads) of every Debian module
# under the paths of ./modules, with what each depends on.
module_list() {	# DEBIAN_KVER
	moddir=/lib/modules/$1
	grep -v '^[[:space:]]*\(#\|$\)' "$HERE/modules" | while read -r p; do
		case $p in
		*/) (cd "$moddir/kernel" && find "$p" -name '*.ko*') ;;
		*) (cd "$moddir/kernel" && ls "$p".ko* 2>/dev/null) || echo "debug-kernel: no module $p in $moddir" >&2 ;;
		esac
	done | sed 's|^|kernel/|' >"$work/wanted"
	# modules.dep: "kernel/a.ko.xz: kernel/b.ko.xz kernel/c.ko.xz"
	awk 'NR == FNR { want[$1] = 1; next }
		{ m = $1; sub(/:$/, "", m); if (m in want) for (i = 1; i <= NF; i++) { f = $i; sub(/:$/, "", f); print f } }' \
		"$work/wanted" "$moddir/modules.dep" |
		sed 's|.*/||; s/\.ko.*//; s/-/_/g' | sort -u | awk '{ print $1, 0, 0 }'
}

# Sets each line of ./config in .config, then checks that olddefconfig kept
# every one.
apply_fragment() {	# SRC OBJ
	grep -E '^(CONFIG_|# CONFIG_)' "$HERE/config" | while IFS= read -r line; do
		case $line in
		"# CONFIG_"*) o=${line#"# CONFIG_"}; o=${o%% *}; "$1/scripts/config" --file "$2/.config" -d "$o" ;;
		*=\"*) o=${line%%=*}; v=${line#*=}; v=${v#\"}; v=${v%\"}
			"$1/scripts/config" --file "$2/.config" --set-str "${o#CONFIG_}" "$v" ;;
		*) o=${line%%=*}; "$1/scripts/config" --file "$2/.config" --set-val "${o#CONFIG_}" "${line#*=}" ;;
		esac
	done
}

verify_fragment() {	# OBJ
	bad=""
	while IFS= read -r line; do
		case $line in
		"# CONFIG_"*) o=${line#"# "}; o=${o%% *}
			grep -Eq "^$o=" "$1/.config" && bad="$bad $o(wanted off)" ;;
		CONFIG_*) grep -qxF "$line" "$1/.config" || bad="$bad ${line%%=*}" ;;
		esac
	done <<EOF
$(grep -E '^(CONFIG_|# CONFIG_)' "$HERE/config")
EOF
	[ -z "$bad" ] || die "the .config lacks what tools/debug-kernel/config asks for:$bad"
}

# forget_unfinished KEY: a build that was killed (its machine stopped, say)
# may have left a target half written, newer than its sources: make would
# take it as done. Objects are safe (kbuild rebuilds any without its .cmd
# record), but not what kbuild generates with a plain command: a truncated
# lib/oid_registry_data.c failed a resumed build. So the targets the log's
# last lines name (make -j runs a few at a time) are removed to be made again.
forget_unfinished() {
	[ -s "$1/build.log" ] || return 0
	tail -n 20 "$1/build.log" | sed -n 's/^  [A-Z0-9_]\{1,8\} \{1,\}\([^ ]\{1,\}\)$/\1/p' |
		while read -r target; do
			case $target in
			/*) ;;
			*) target=$1/obj/$target ;;
			esac
			case $target in "$1"/obj/*) rm -f "$target" ;; esac
		done
}

build() {
	deps
	sv=$(srcver)
	[ -n "$sv" ] || die "$SRCPKG is not installed"
	dk=$(debian_kver) || die "no Debian $SERIES kernel installed (make deps)"
	base=/boot/config-$dk
	[ -f "$base" ] || die "no $base"
	mkdir -p "$CACHE"
	exec 9>"$CACHE/lock"
	flock 9
	src=$(extract "$sv")

	work=$(mktemp -d "$CACHE/config.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	cp "$base" "$work/.config"
	module_list "$dk" >"$work/lsmod"
	say "$(wc -l <"$work/lsmod") modules of $dk kept (tools/debug-kernel/modules)"
	make -s -C "$src" O="$work" olddefconfig >/dev/null
	yes '' | make -s -C "$src" O="$work" LSMOD="$work/lsmod" localmodconfig >/dev/null 2>&1 ||
		die "localmodconfig failed"
	apply_fragment "$src" "$work"
	"$src/scripts/config" --file "$work/.config" --set-str LOCALVERSION ""
	make -s -C "$src" O="$work" olddefconfig >/dev/null
	verify_fragment "$work"
	hash=$(grep -v '^#' "$work/.config" | grep . | sort | sha256sum | cut -c1-12)
	key=$CACHE/$sv-$hash
	pid=$(patches_id)
	full=""
	if [ -f "$key/complete" ]; then
		if [ "$(cat "$key/patches" 2>/dev/null)" = "$pid" ]; then
			link "$key"
			say "cached: $key"
			cat "$key/kver"
			return 0
		fi
		# Built, but with other patches: make rebuilds what they touched.
		full=$(cat "$key/build-seconds" 2>/dev/null || echo 0)
		rm -f "$key/complete" "$key/build-seconds.partial"
		say "tools/debug-kernel/patches changed since $key was built: rebuilding what they touch"
	fi
	# A build that was stopped goes on where it was (KEY holds the config's
	# hash, and make redoes only what is missing); the marker is still
	# written last.
	if [ ! -f "$key/obj/.config" ]; then
		rm -rf "$key"
		mkdir -p "$key/obj"
		cp "$work/.config" "$key/obj/.config"
	fi
	"$src/scripts/config" --file "$key/obj/.config" --set-str LOCALVERSION "-kespdbg-$(echo "$hash" | cut -c1-8)"
	make -s -C "$src" O="$key/obj" olddefconfig >/dev/null
	verify_fragment "$key/obj"
	kver=$(make -s -C "$src" O="$key/obj" kernelrelease)
	echo "$kver" >"$key/kver"
	forget_unfinished "$key"
	say "building $kver in $key (nice -n 10, -j$JOBS; log: $key/build.log)"
	# The build time counts the time of earlier, stopped runs too.
	start=$(date +%s)
	prior=$(cat "$key/build-seconds.partial" 2>/dev/null || echo 0)
	trap 'echo $((prior + $(date +%s) - start)) >"$key/build-seconds.partial"; rm -rf "$work"' EXIT
	trap 'exit 1' INT TERM HUP
	if ! nice -n 10 make -C "$src" O="$key/obj" -j"$JOBS" bzImage modules >>"$key/build.log" 2>&1; then
		tail -n 40 "$key/build.log" >&2
		die "the build failed (whole log: $key/build.log)"
	fi
	nice -n 10 make -s -C "$src" O="$key/obj" INSTALL_MOD_PATH="$key/mods" modules_install \
		>>"$key/build.log" 2>&1 || die "modules_install failed ($key/build.log)"
	secs=$((prior + $(date +%s) - start))
	trap 'rm -rf "$work"' EXIT
	cp "$key/obj/arch/x86/boot/bzImage" "$key/vmlinuz"
	if [ -n "$full" ]; then
		# build-seconds keeps the whole build's time (what a first build costs)
		echo "$full" >"$key/build-seconds"
		rm -f "$key/build-seconds.partial"
		say "rebuilt $kver for the patches in $((secs / 60)) min $((secs % 60)) s (the whole build took $((full / 60)) min)"
	else
		echo "$secs" >"$key/build-seconds"
		say "built $kver in $((secs / 60)) min $((secs % 60)) s"
	fi
	echo "$pid" >"$key/patches"
	link "$key"
	touch "$key/complete"
	echo "$kver"
}

# /lib/modules/KVER -> KEY/mods/lib/modules/KVER, its build -> KEY/obj.
link() {	# KEY
	kver=$(cat "$1/kver" 2>/dev/null || make -s -C "$src" O="$1/obj" kernelrelease)
	mods=$1/mods/lib/modules/$kver
	[ -d "$mods" ] || die "no $mods"
	rm -f "$mods/build" "$mods/source"
	ln -s "$1/obj" "$mods/build"
	if [ -L "/lib/modules/$kver" ] || [ ! -e "/lib/modules/$kver" ]; then
		ln -sfn "$mods" "/lib/modules/$kver"
	else
		die "/lib/modules/$kver exists and is not a link into the cache"
	fi
}

case "${1:-}" in
deps) deps ;;
status) status ;;
build) build ;;
patches-id) patches_id ;;
forget-unfinished) forget_unfinished "${2:?KEY}" ;;
kernel) d=$(cached) || die "no debug kernel built (make debug-kernel)"; echo "$d/vmlinuz" ;;
*) echo "usage: debug-kernel.sh deps | status | build | kernel | patches-id | forget-unfinished KEY" >&2; exit 2 ;;
esac; exit	# (read whole before it runs: a build may outlast an edit of this file)
