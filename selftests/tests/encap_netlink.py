#!/usr/bin/env python3
"""KESP_CMD_ENCAP_ATTACH / DETACH as a key manager uses them, and how they
refuse what they must. Runs in a namespace with kesp device DEV (argv[1]);
prints TAP lines ("ok - ..." / "not ok - ...")."""
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.environ["KESP_SRC"], "selftests", "lib"))
import kespnl  # noqa: E402
from kespnl import K, string, u16, u32  # noqa: E402
from netns import socket_in_netns  # noqa: E402

UDP_ENCAP = 100
UDP_ENCAP_ESPINUDP = 2
DEV = sys.argv[1]
failed = 0


def result(ok, what, why=""):
    global failed
    print(("ok - " if ok else "not ok - ") + what)
    if not ok:
        failed = 1
        print("  " + why)


def refused(what, want_errno, want_text, *attrs, cmd="KESP_CMD_ENCAP_ATTACH", exact=False):
    """EXACT: the whole extack message, not a part of it."""
    try:
        nl.call(cmd, *attrs)
    except kespnl.Error as e:
        got = e.message == want_text if exact else want_text in e.message
        result(e.errno == want_errno and got, what,
               "got errno %d %r, want %d %r" % (e.errno, e.message, want_errno, want_text))
        return
    result(False, what, "the kernel accepted it")


def port_of(attrs, name):
    v = attrs.get(K[name])
    return int.from_bytes(v[0][:2], sys.byteorder) if v else None


def dev_ports():
    d = nl.call("KESP_CMD_DEV_GET", string(K["KESP_DEV_A_IFNAME"], DEV))[0]
    return port_of(d, "KESP_DEV_A_ENCAP_PORT4"), port_of(d, "KESP_DEV_A_ENCAP_PORT6")


def udp(family=socket.AF_INET, port=0):
    s = socket.socket(family, socket.SOCK_DGRAM)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    if port is not None:
        s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", port))
    return s


def attach(sock):
    return nl.call("KESP_CMD_ENCAP_ATTACH", string(K["KESP_DEV_A_IFNAME"], DEV),
                   u32(K["KESP_DEV_A_ENCAP_FD"], sock.fileno()))


nl = kespnl.Kesp()
name = string(K["KESP_DEV_A_IFNAME"], DEV)

refused("attach without a file descriptor is refused", 22,
        "the UDP socket's file descriptor is required", name)
with open("/dev/null") as f:
    refused("attach of a file that is not a socket is refused", 88,
            "not a socket", name, u32(K["KESP_DEV_A_ENCAP_FD"], f.fileno()))
tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
refused("attach of a TCP socket is refused", 22, "not a UDP socket",
        name, u32(K["KESP_DEV_A_ENCAP_FD"], tcp.fileno()))
tcp.close()
unbound = udp(port=None)
refused("attach of an unbound UDP socket is refused", 22, "not bound",
        name, u32(K["KESP_DEV_A_ENCAP_FD"], unbound.fileno()))
unbound.close()
# A socket of another namespace (the initial one): it would carry ESP
# that belongs to another namespace's underlay.
foreign = socket_in_netns("/proc/1/ns/net", socket.AF_INET, socket.SOCK_DGRAM)
foreign.bind(("127.0.0.1", 0))
refused("attach of a socket of another network namespace is refused", 22,
        "the socket is in another network namespace than the device's underlay",
        name, u32(K["KESP_DEV_A_ENCAP_FD"], foreign.fileno()), exact=True)
foreign.close()
xfrm = udp()
xfrm.setsockopt(socket.IPPROTO_UDP, UDP_ENCAP, UDP_ENCAP_ESPINUDP)
refused("attach of a socket XFRM already encapsulates on is refused", 16,
        "already carries an encapsulation", name, u32(K["KESP_DEV_A_ENCAP_FD"], xfrm.fileno()))
xfrm.close()
refused("detach with a family that is not IPv4 or IPv6 is refused", 22,
        "AF_INET or AF_INET6", name, u16(K["KESP_DEV_A_ENCAP_FAMILY"], 7),
        cmd="KESP_CMD_ENCAP_DETACH")

# One socket per family; the reply names its port.
s4, s6 = udp(), udp(socket.AF_INET6)
reply = attach(s4)[0]
p4 = s4.getsockname()[1]
result(port_of(reply, "KESP_DEV_A_ENCAP_PORT4") == p4,
       "attach replies with the device and the socket's port")
attach(s6)
result(dev_ports() == (p4, s6.getsockname()[1]), "an IPv6 socket attaches beside the IPv4 one")
other = udp()
refused("a second IPv4 socket on the device is refused", 17,
        "already has a socket of this address family", name,
        u32(K["KESP_DEV_A_ENCAP_FD"], other.fileno()))
refused("a socket attached to the device cannot be attached again", 16,
        "already carries an encapsulation", name, u32(K["KESP_DEV_A_ENCAP_FD"], s4.fileno()))

nl.call("KESP_CMD_ENCAP_DETACH", name, u16(K["KESP_DEV_A_ENCAP_FAMILY"], socket.AF_INET6))
result(dev_ports() == (p4, None), "detach of one family leaves the other attached")
# Detached, the socket is an ordinary UDP socket again.
s6.sendto(b"plain", ("::1", s6.getsockname()[1]))
s6.settimeout(5)
result(s6.recv(64) == b"plain", "a detached socket receives like any UDP socket")
attach(s6)
result(dev_ports()[1] == s6.getsockname()[1], "and can be attached again")

s6.close()
result(dev_ports() == (p4, None), "closing an attached IPv6 socket detaches it")
s6 = udp(socket.AF_INET6)
attach(s6)
s4.close()
result(dev_ports() == (None, s6.getsockname()[1]),
       "closing an attached IPv4 socket detaches it")
attach(other)
result(dev_ports()[0] == other.getsockname()[1], "the family's slot is free again after the close")
# A socket that is open when its device goes: the device lets go of it.
os.system("ip link del " + DEV)
other.sendto(b"still here", ("127.0.0.1", other.getsockname()[1]))
other.settimeout(5)
result(other.recv(64) == b"still here",
       "deleting the device leaves its attached socket a working UDP socket")
s6.sendto(b"still here", ("::1", s6.getsockname()[1]))
s6.settimeout(5)
result(s6.recv(64) == b"still here", "and its attached IPv6 socket too")
other.close()
s6.close()
sys.exit(failed)
