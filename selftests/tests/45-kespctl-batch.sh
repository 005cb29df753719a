#!/bin/sh
# kespctl -batch: a file of commands, one per line as ip -batch reads
# them, configures a tunnel that works against XFRM; the first failing
# line stops the batch and is named, -force goes on; "-" is stdin.
. "$KESP_SRC/selftests/tests/lib.sh"

two_sites
site_b_policies
KEY=$(hexkey 20)
BATCH=/tmp/kesp.batch

# Comments, blank lines, a line continued with a backslash and quoted
# words, as ip -batch takes them.
cat >$BATCH <<END
# the IPv4 tunnel of two_sites, SPIs 0x100 out and 0x200 in

sa add dev kesp0 dir out src 192.168.100.1 dst 192.168.100.2 proto esp spi 0x100 \\
	mode tunnel reqid 1 aead "rfc4106(gcm(aes))" $KEY 128 sel src 10.1.0.0/24 dst 10.2.0.0/24
sa add dev kesp0 dir in src 192.168.100.2 dst 192.168.100.1 proto esp spi 0x200 mode tunnel reqid 1 aead 'rfc4106(gcm(aes))' $KEY 128 sel src 10.2.0.0/24 dst 10.1.0.0/24   # back
trap add dev kesp0 sel src 10.1.0.0/24 dst 10.3.0.0/24 reqid 7
END
check "a batch of two SAs and a trap succeeds" $KESPCTL -n a -batch $BATCH
xfrm_pair aead 'rfc4106(gcm(aes))' "$KEY" 128
check "the tunnel it made carries traffic to XFRM" \
	ip netns exec a ping -c 3 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1
same "every line took effect" \
	"$($KESPCTL -n a --json sa list | python3 -c 'import json,sys; print(" ".join(sorted("%s/%#x" % (s["dir"], s["spi"]) for s in json.load(sys.stdin))))') $($KESPCTL -n a --json trap list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" \
	"in/0x200 out/0x100 1"

# The same file again: its first SA exists, so the kernel refuses it.
out=$($KESPCTL -n a -batch $BATCH 2>&1)
status=$?
same "the first refusal stops the batch, with the kernel's reason and the line" \
	"$status $(echo "$out" | grep -c 'outbound SA with this SPI and destination exists') $(echo "$out" | grep -o 'kesp.batch:[0-9]*: command failed')" \
	"1 1 kesp.batch:3: command failed"
out=$($KESPCTL -n a -force -batch $BATCH 2>&1)
status=$?
same "-force runs every line and names each that failed" \
	"$status $(echo "$out" | grep -o 'kesp.batch:[0-9]*: command failed' | tr '\n' ' ')" \
	"1 kesp.batch:3: command failed kesp.batch:5: command failed "
same "-force: the line that could succeed did (a second trap)" \
	"$($KESPCTL -n a --json trap list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 2

# Refusals in the middle: lines 4 and 20 repeat the SPIs of lines 2 and
# 3 (the SAs of 23 lines after a flush; with -force and nothing printed
# the lines go to the kernel 16 at a time, so these are inside the first
# and the second send). Each error names its line with the kernel's
# reason; the lines before the first are applied, the ones after it only
# with -force.
echo "sa flush dev kesp0 reqid 9" >$BATCH
i=2
while [ $i -le 24 ]; do
	case $i in 4) spi=0x302 ;; 20) spi=0x303 ;; *) spi=$(printf '%#x' $((0x300 + i))) ;; esac
	echo "sa add dev kesp0 dir out src 192.168.100.1 dst 192.168.100.2 spi $spi mode tunnel reqid 9 aead rfc4106(gcm(aes)) $KEY 128"
	i=$((i + 1))
done >>$BATCH
# What was said, a word a line: E for the kernel's refusal, LN for
# "FILE:N: command failed", ? for anything else.
said() {
	echo "$1" | sed -e 's/^kespctl: sa add: an outbound SA with this SPI and destination exists on the device (File exists)$/E/' \
		-e 's/^kespctl: .*kesp\.batch:\([0-9]*\): command failed$/L\1/' \
		-e '/^E$/b' -e '/^L[0-9]*$/b' -e 's/.*/?/' | tr '\n' ' '
}
out=$($KESPCTL -n a -batch $BATCH 2>&1 >/dev/null)
status=$?
same "a refusal in the middle stops the batch there, naming that line and the kernel's reason" \
	"$status $(said "$out")" "1 E L4 "
same "the lines before it were applied, the ones after it not" \
	"$($KESPCTL -n a sa list dev kesp0 dir out reqid 9 | grep -o 'spi 0x000003[0-9a-f]*' | tr '\n' ' ')" \
	"spi 0x00000302 spi 0x00000303 "
out=$($KESPCTL -n a -force -batch $BATCH 2>&1 >/dev/null)
status=$?
same "-force, the lines sent 16 at a time: each refusal named by its line, in order, status 1" \
	"$status $(said "$out")" "1 E L4 E L20 "
same "-force: every other line was applied" \
	"$($KESPCTL -n a sa list dev kesp0 dir out reqid 9 | grep -c 'spi 0x000003')" 21
$KESPCTL -n a sa flush dev kesp0 reqid 9

printf 'trap flush dev kesp0\nsa add dev kesp0 "unterminated\n' >$BATCH
refuse "a line that does not split stops the batch, naming the line and why" 2 \
	'kesp.batch:2: unterminated " quote' $KESPCTL -n a -batch $BATCH
check "commands from standard input" sh -c \
	"printf 'trap flush dev kesp0\nsa del dev kesp0 dir in spi 0x200\n' | $KESPCTL -n a -batch -"
same "took effect" "$($KESPCTL -n a --json sa list | python3 -c 'import json,sys; print(" ".join(s["dir"] for s in json.load(sys.stdin)))') $($KESPCTL -n a --json trap list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "out 0"

# A thousand SAs from one process and one socket.
python3 -c '
import sys
key = sys.argv[1]
for i in range(500):
    for d, s, t, spi in (("out", "192.168.100.1", "192.168.100.2", 0x10000 + i),
                         ("in", "192.168.100.2", "192.168.100.1", 0x20000 + i)):
        print("sa add dev kesp0 dir %s src %s dst %s spi %#x mode tunnel reqid %d "
              "aead rfc4106(gcm(aes)) %s 128 sel src 100.64.%d.%d/32 dst 100.65.%d.%d/32"
              % (d, s, t, spi, 100 + i, key, i >> 8, i & 255, i >> 8, i & 255))
' "$KEY" >$BATCH
check "a batch of 1000 SAs succeeds" sh -c "$KESPCTL -n a -batch $BATCH >/dev/null"
same "and all 1000 are there" "$($KESPCTL -n a --json sa list dev kesp0 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 1001
# Nothing printed: add and update ask for the brief answer (the SA's id
# only); printed, the whole SA as before.
printf 'sa update dev kesp0 dir in spi 0x20001 limit time-hard 3600\n' >$BATCH.upd
check "sa update with its output discarded (the brief answer)" \
	sh -c "$KESPCTL -n a -batch $BATCH.upd >/dev/null"
same "took effect" "$($KESPCTL -n a --json sa get dev kesp0 dir in spi 0x20001 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["limits"])')" \
	"{'time_hard': 3600}"
same "sa update printed shows the whole SA" \
	"$($KESPCTL -n a sa update dev kesp0 dir in spi 0x20001 limit time-hard 7200 | grep -c 'rfc4106(gcm(aes)).*128\|time-hard 7200')" 2
# Each pair shares its reqid, so the reqid shows a pair together and
# flushes it, as ip xfrm state list|deleteall reqid do.
same "sa list reqid shows one pair, both halves" \
	"$($KESPCTL -n a --json sa list reqid 342 | python3 -c 'import json,sys; print(" ".join(sorted("%s/%#x/%d" % (s["dir"], s["spi"], s["reqid"]) for s in json.load(sys.stdin))))')" \
	"in/0x200f2/342 out/0x100f2/342"
same "and with dir, its one half" \
	"$($KESPCTL -n a --json sa list dev kesp0 dir in reqid 342 | python3 -c 'import json,sys; print(" ".join("%s/%#x" % (s["dir"], s["spi"]) for s in json.load(sys.stdin)))')" \
	"in/0x200f2"
check "sa flush reqid removes that pair" $KESPCTL -n a sa flush dev kesp0 reqid 342
same "and only that pair" "$($KESPCTL -n a --json sa list | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d), sum(1 for s in d if s["reqid"] == 342))')" "999 0"
refuse "-batch takes no command as well" 2 'takes no command' $KESPCTL -n a -batch $BATCH sa list
refuse "a missing file" 2 "-batch /nonexistent: No such file" $KESPCTL -n a -batch /nonexistent
refuse "-force alone" 2 "-force is for -batch" $KESPCTL -n a -force sa list
refuse "an unknown option is named" 2 '^kespctl: unknown option "--bogus" \(see kespctl help\)$' \
	$KESPCTL --bogus sa list
same "on one line" "$($KESPCTL --bogus sa list 2>&1 | wc -l)" 1
refuse "-batch without its file" 2 '^kespctl: -batch needs an argument' $KESPCTL -batch
rm -f $BATCH
finish
