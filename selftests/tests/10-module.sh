#!/bin/sh
# The module loads, says who it is, registers its netlink family and link
# type, and takes both away again when it is unloaded (where kesp.ko is
# installed, as on a test farm, the family's first use loads it back).
. "$KESP_SRC/selftests/tests/lib.sh"

want_version=$(cat "$KESP_SRC/VERSION")
same "module reports its version in sysfs" "$(cat /sys/module/kesp/version 2>&1)" "$want_version"
check "kernel log announces the load" sh -c "dmesg | grep -q 'kesp $want_version loaded (genl family kesp v2)'"

json=$($KESPCTL --json version 2>&1)
same "genl family kesp is registered with version 2" \
	"$(json_get "$json" 'd["family"], d["family_version"]' 2>&1)" "kesp 2"
check "kespctl version prints tool and family versions" \
	sh -c "$KESPCTL version | grep -q 'genl family kesp version 2'"
check "the kesp link type exists" ip link add ktest0 type kesp
ip link del ktest0 2>/dev/null

ip link add ktest1 type kesp
check "unload succeeds with a device present" rmmod kesp
refuse "devices go with the module" 1 "does not exist" ip link show ktest1
if modprobe -n -q kesp 2>/dev/null; then
	# An installed kesp.ko (kesp-dkms, as on a test farm): the family's
	# first use loads it again (MODULE_ALIAS_GENL_FAMILY).
	check "the family's first use loads the installed module again" $KESPCTL version
	rmmod kesp
else
	refuse "the family goes with the module" 1 'family "kesp" not found' $KESPCTL version
fi
check "the module loads again" insmod "$KESP_KO"
check "and works after reloading" ip link add ktest2 type kesp
ip link del ktest2 2>/dev/null
finish
