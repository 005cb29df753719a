#!/bin/sh
# Configuration racing the packets it affects (races.py): selectors
# replaced under traffic never let it fall to a trap; SAs and traps that
# fail after transmit could see them, outbound SAs changing their outer
# family, and attached sockets closing are each done hundreds of times
# under a flood, and must leave no splat (the harness looks) and nothing
# behind.
. "$KESP_SRC/selftests/tests/lib.sh"

two_sites
# One python3 for the four cases (it flushes a's SAs and traps before each).
ip netns exec a python3 "$KESP_SRC/selftests/tests/races.py" replace publish family close ||
	FAILED=1
finish
