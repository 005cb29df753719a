#!/bin/sh
# `make demo`, inside the guest: load kesp, create a device in a fresh
# namespace and show what the kernel and kespctl see.
set -u
SRC=/run/kesp/src
KO=$SRC/build/kmod/$(uname -r)/kmod/kesp.ko
KESPCTL=$SRC/tools/kespctl
say() { printf '\n$ %s\n' "$*"; "$@"; }

for dep in $(modinfo -F depends "$KO" | tr ',' ' '); do modprobe "$dep"; done
say uname -r
say insmod "$KO"
say ip netns add demo
say ip -n demo link add kesp0 type kesp
say ip -n demo link set kesp0 up
say ip -n demo -d link show kesp0
say ip netns exec demo "$KESPCTL" version
say ip netns exec demo "$KESPCTL" dev list
say ip netns exec demo "$KESPCTL" --json dev list
say ip netns del demo
say rmmod kesp
echo
echo "demo: kesp loaded, a kesp device was created, listed and removed; ESP tunnels arrive with the data-plane issue"
