"""Whom an SA's memory is charged to: the memory cgroup of the process that
asked for it. Adds COUNT inbound SAs with 8 selectors each to DEV, then
flushes them, and prints the slab memory its cgroup was charged each time
(bytes, from memory.stat): "BEFORE ADDED FLUSHED".

Usage: sa_charge.py DEV COUNT   (run inside the cgroup, with memory on)
"""
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.environ["KESP_SRC"], "selftests/lib"))
from kespnl import K, Kesp, u8, u16, u32, string, nest, attr, addr  # noqa: E402

dev, count = socket.if_nametoindex(sys.argv[1]), int(sys.argv[2])
group = open("/proc/self/cgroup").read().strip().split("::", 1)[1]
# "ip netns exec" gave us a sysfs of our own, without the cgroup mount.
root = "/sys/fs/cgroup"
if not os.path.exists(root + group + "/memory.stat"):
    root = tempfile.mkdtemp()
    subprocess.run(["mount", "-t", "cgroup2", "none", root], check=True)
stat = root + group + "/memory.stat"


def slab():
    for line in open(stat):
        name, value = line.split()
        if name == "slab":
            return int(value)


sel = nest(K["KESP_SELECTORS_A_SELECTOR"], u16(K["KESP_SEL_A_FAMILY"], socket.AF_INET),
           attr(K["KESP_SEL_A_SRC_START"], bytes(4)), attr(K["KESP_SEL_A_SRC_END"], b"\xff" * 4))
template = bytearray(b"".join((
    u32(K["KESP_SA_A_IFINDEX"], dev), u8(K["KESP_SA_A_DIR"], K["KESP_DIR_IN"]),
    u32(K["KESP_SA_A_SPI"], 0x100000), u8(K["KESP_SA_A_MODE"], K["KESP_MODE_TUNNEL"]),
    addr(K["KESP_SA_A_SRC"], "192.0.2.2"), addr(K["KESP_SA_A_DST"], "192.0.2.1"),
    nest(K["KESP_SA_A_AEAD"], string(K["KESP_ALG_A_NAME"], "rfc4106(gcm(aes))"),
         attr(K["KESP_ALG_A_KEY"], bytes(20)), u32(K["KESP_ALG_A_ICV_BITS"], 128)),
    nest(K["KESP_SA_A_SELECTORS"], *[sel] * 8))))
spi_at = bytes(template).index(u32(K["KESP_SA_A_SPI"], 0x100000)) + 4


def requests():
    for i in range(count):
        struct.pack_into("=I", template, spi_at, 0x100000 + i)
        yield bytes(template)


nl = Kesp()
before = slab()
nl.pipeline("KESP_CMD_SA_NEW", requests())
added = slab()
nl.call("KESP_CMD_SA_FLUSH", u32(K["KESP_SA_A_IFINDEX"], dev))
time.sleep(2)	# SAs are freed after a grace period, by a work item
print(before, added, slab())
