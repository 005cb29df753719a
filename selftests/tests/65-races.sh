#!/bin/sh
# Configuration racing the packets it affects (races.py): selectors
# replaced under traffic never let it fall to a trap; SAs and traps that
# fail after transmit could see them, outbound SAs changing their outer
# family, and attached sockets closing are each done hundreds of times
# under a flood, and must leave no splat (the harness looks) and nothing
# behind.
. "$KESP_SRC/selftests/tests/lib.sh"

two_sites
for case in replace publish family close; do
	$KESPCTL -n a sa flush
	$KESPCTL -n a trap flush dev kesp0 2>/dev/null
	ip netns exec a python3 "$KESP_SRC/selftests/tests/races.py" $case || FAILED=1
done
finish
