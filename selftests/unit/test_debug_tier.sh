#!/bin/sh
# The debug-kernel tier in `make check` where no debug kernel is cached
# (tools/debug-tier.sh check): it must say plainly that it was skipped and
# why, leave the skip marker (the summary then leaves the tier out) and no
# result, exit 0, and build or boot nothing. Runs against an empty cache
# and results directory of its own.
cd "$(dirname "$0")/../.." || exit 1
. selftests/unit/tap.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/cache" "$tmp/results"

skip_run() {	# ENV-ASSIGNMENTS...
	env "$@" KESP_DEBUG_CACHE="$tmp/cache" KESP_RESULTS="$tmp/results" \
		sh tools/debug-tier.sh check >"$tmp/out" 2>&1
}

skip_run KESP_DEBUG_TIER=
rc=$?
t "debug tier by default: exit 0, one line, SKIPPED and why (make check's budget)" \
	sh -c "[ $rc = 0 ] && [ \$(grep -c . '$tmp/out') = 1 ] && grep -q '^# tier debug: SKIPPED, not run: make check leaves it out' '$tmp/out'"
skip_run KESP_DEBUG_TIER=auto
rc=$?
t "debug tier, nothing cached: exit 0" [ "$rc" = 0 ]
t "debug tier, nothing cached: one line, SKIPPED and why" \
	sh -c "[ \$(grep -c . '$tmp/out') = 1 ] && grep -q '^# tier debug: SKIPPED, not run: the debug kernel is not' '$tmp/out'"
t "debug tier, nothing cached: the skip marker, no result" \
	sh -c "[ -s '$tmp/results/debug.skipped' ] && [ ! -e '$tmp/results/debug' ]"
t "debug tier, nothing cached: nothing built in the cache" \
	sh -c "[ -z \"\$(ls -A '$tmp/cache')\" ]"

# A cache entry without its completed marker (a build that was stopped)
# is never used. dpkg-query is a stand-in that calls every package
# installed, linux-source-6.12 at version 9.9-unit, so the checks below
# see the same on a machine without the source package.
mkdir -p "$tmp/bin"
cat >"$tmp/bin/dpkg-query" <<'EOF_DPKG'
#!/bin/sh
case "$*" in
*'${Status}'*) printf 'install ok installed' ;;
*'${Version}'*) printf '9.9-unit' ;;
*) exit 1 ;;
esac
EOF_DPKG
chmod 755 "$tmp/bin/dpkg-query"
PATH=$tmp/bin:$PATH
sv=9.9-unit
half=$tmp/cache/$sv-000000000000
mkdir -p "$half/obj"
# (Naming an installed kernel, whose modules are in place: only the
# missing marker stops it.)
ls /lib/modules/*/modules.dep 2>/dev/null | head -n 1 | cut -d/ -f4 >"$half/kver"
skip_run KESP_DEBUG_TIER=auto
t "debug tier, a half-built cache: skipped" grep -q '^# tier debug: SKIPPED' "$tmp/out"
# Complete, but built before tools/debug-kernel/patches changed.
echo 0.0.0-kesp-unit-test >"$half/kver"
touch "$half/complete"
echo 000000000000 >"$half/patches"
skip_run KESP_DEBUG_TIER=auto
t "debug tier, a cache built with other patches: skipped, saying so" \
	grep -q '^# tier debug: SKIPPED, not run: the debug kernel is not built .* with the current tools/debug-kernel/patches' "$tmp/out"
# Complete, but its modules are not where the guests look for them.
KESP_DEBUG_CACHE="$tmp/cache" sh tools/debug-kernel.sh patches-id >"$half/patches"
skip_run KESP_DEBUG_TIER=auto
t "debug tier, a cache not linked into /lib/modules: skipped, saying so" \
	grep -q '^# tier debug: SKIPPED, not run: the debug kernel is not usable: /lib/modules/0.0.0-kesp-unit-test does not lead' "$tmp/out"

# A build that was killed goes on where it stopped, without the targets its
# log's last lines name: one may be half written (a 0-byte generated file
# once failed a resumed build). What is older, or outside KEY/obj, stays.
key=$tmp/cache/killed
mkdir -p "$key/obj/lib" "$key/obj/kernel"
: >"$key/obj/lib/oid_registry_data.c"
echo done >"$key/obj/kernel/fork.o"
echo done >"$key/obj/kernel/early.o"
echo outside >"$tmp/outside.c"
{
	echo "  CC      kernel/early.o"
	for i in $(seq 25); do echo "  CC      kernel/other$i.o"; done
	echo "  CC      kernel/fork.o"
	echo "  GEN     lib/oid_registry_data.c"
	echo "  GEN     $tmp/outside.c"
} >"$key/build.log"
sh tools/debug-kernel.sh forget-unfinished "$key"
t "a killed build: the targets its log ended with are removed, to be made again" \
	sh -c "[ ! -e '$key/obj/lib/oid_registry_data.c' ] && [ ! -e '$key/obj/kernel/fork.o' ]"
t "a killed build: what it finished before, and anything outside KEY/obj, stays" \
	sh -c "[ -s '$key/obj/kernel/early.o' ] && [ -s '$tmp/outside.c' ]"
rm -rf "$key"

echo "0 0" >"$tmp/results/debug"
skip_run KESP_DEBUG_TIER=skip
rc=$?
t "debug tier, KESP_DEBUG_TIER=skip: exit 0, says so, an old result removed" \
	sh -c "[ $rc = 0 ] && grep -qx '# tier debug: SKIPPED, not run: KESP_DEBUG_TIER=skip' '$tmp/out' &&
		[ -s '$tmp/results/debug.skipped' ] && [ ! -e '$tmp/results/debug' ]"

# The summary leaves a skipped tier out and counts one that left no result.
mkdir -p "$tmp/sum/build/results"
echo "3 0" >"$tmp/sum/build/results/vm"
: >"$tmp/sum/build/results/debug.skipped"
t "summary: a skipped debug tier is left out" sh -c \
	"cd '$tmp/sum' && sh '$PWD/selftests/summary.sh' vm \$(test -f build/results/debug.skipped || echo debug) | tail -n 1 | grep -qx '3 passed, 0 failed'"
rm "$tmp/sum/build/results/debug.skipped"
t "summary: a debug tier that ran and left no result fails" sh -c \
	"cd '$tmp/sum' && ! sh '$PWD/selftests/summary.sh' vm \$(test -f build/results/debug.skipped || echo debug)"
echo "1..$n"
exit "$failed"
