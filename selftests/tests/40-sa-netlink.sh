#!/bin/sh
# The SA commands of the kesp family over raw netlink (every algorithm,
# every refusal with its reason, keys never returned, big dumps), and who
# may use them.
. "$KESP_SRC/selftests/tests/lib.sh"

netns_add sa
ip netns exec sa python3 "$KESP_SRC/selftests/tests/sa_netlink.py" || FAILED=1
ip -n sa link add kesp5 type kesp
# The generic netlink core refuses before the family sees the request, so
# the answer is EPERM with no extack message of kesp's.
for cmd in KESP_CMD_SA_NEW KESP_CMD_SPI_ALLOC KESP_CMD_SA_FLUSH; do
	refuse "a process without CAP_NET_ADMIN is refused $cmd" 1 "PermissionError|Operation not permitted|EPERM" \
		ip netns exec sa setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
		python3 -c "
import sys, os; sys.path.insert(0, os.environ['KESP_SRC'] + '/selftests/lib')
from kespnl import *
nl = Kesp()
try:
    nl.call('$cmd', u32(K['KESP_SA_A_IFINDEX'], __import__('socket').if_nametoindex('kesp5')))
except Error as e:
    print('EPERM' if e.errno == 1 else e); sys.exit(1)
"
done
finish
