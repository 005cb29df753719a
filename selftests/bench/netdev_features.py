"""Offload settings of network devices in named namespaces, as the
benchmark records them (there is no ethtool in the guest):

    netdev_features.py NS:DEV...

prints one line per device, "NS:DEV sg=1 tso=1 gso=1 gro=0 mtu=1500",
using the legacy SIOCETHTOOL get commands."""
import ctypes
import fcntl
import os
import socket
import struct
import sys

SIOCETHTOOL, SIOCGIFMTU = 0x8946, 0x8921
CLONE_NEWNET = 0x40000000
GET = {"sg": 0x18, "tso": 0x1E, "gso": 0x23, "gro": 0x2B}
libc = ctypes.CDLL(None, use_errno=True)


def enter(ns):
    fd = os.open("/run/netns/" + ns, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns " + ns)
    finally:
        os.close(fd)


def feature(sock, dev, cmd):
    value = ctypes.create_string_buffer(struct.pack("=II", cmd, 0), 8)
    ifreq = struct.pack("16sQ16x", dev.encode(), ctypes.addressof(value))
    try:
        fcntl.ioctl(sock, SIOCETHTOOL, ifreq)
    except OSError:
        return "?"
    return str(struct.unpack("=II", value.raw)[1])


def main():
    for spec in sys.argv[1:]:
        ns, dev = spec.split(":", 1)
        enter(ns)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            got = ["%s=%s" % (name, feature(sock, dev, cmd)) for name, cmd in GET.items()]
            ifreq = fcntl.ioctl(sock, SIOCGIFMTU, struct.pack("16si20x", dev.encode(), 0))
            got.append("mtu=%d" % struct.unpack_from("i", ifreq, 16)[0])
        print(spec, " ".join(got))


if __name__ == "__main__":
    main()
