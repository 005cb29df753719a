"""Per-device limits (KESP_DEV_A_LIMITS, KESP_DEV_A_USAGE): their
defaults, each one reached with its own refusal, lowering and raising
them, and who may raise them.

Usage: limits.py DEV   (in a namespace of its own with kesp device DEV)
       limits.py --raise DEV   (the part run as root of a user namespace)
Prints "ok - ..." / "not ok - ..." lines.
"""
import errno
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.join(os.environ["KESP_SRC"], "selftests/lib"))
from kespnl import K, Kesp, Error, u8, u16, u32, string, nest, attr, addr, parse_attrs  # noqa: E402
from tap import report, finish  # noqa: E402

NAMES = ("SAS", "TRAPS", "SEL_PREFIXES", "SPI_RESERVATIONS")
DEFAULTS = {"SAS": 1 << 20, "TRAPS": 1 << 16, "SEL_PREFIXES": 1 << 20, "SPI_RESERVATIONS": 1 << 14}
KEY = bytes(range(20))
nl = Kesp()
dev = socket.if_nametoindex(sys.argv[-1])


def nest_u32s(kind, values):
    return nest(K[kind], *[u32(K["KESP_LIMIT_A_" + n], v) for n, v in values.items()])


def device():
    """(limits, usage) of the device, as {NAME: value}."""
    d = nl.call("KESP_CMD_DEV_GET", u32(K["KESP_DEV_A_IFINDEX"], dev))[0]
    out = []
    for kind in ("KESP_DEV_A_LIMITS", "KESP_DEV_A_USAGE"):
        n = parse_attrs(d[K[kind]][0])
        out.append({name: struct.unpack("=I", n[K["KESP_LIMIT_A_" + name]][0])[0] for name in NAMES})
    return out


def set_limits(**values):
    return nl.call("KESP_CMD_DEV_SET", u32(K["KESP_DEV_A_IFINDEX"], dev), nest_u32s("KESP_DEV_A_LIMITS", values))


def refused(what, want_errno, want_text, fn, *args, **kw):
    try:
        fn(*args, **kw)
    except Error as e:
        report(e.errno == want_errno and want_text in e.message, what,
               "got %s %r" % (errno.errorcode.get(e.errno), e.message))
        return
    report(False, what, "it was accepted")


def sel4(start, end):
    return nest(K["KESP_SELECTORS_A_SELECTOR"], u16(K["KESP_SEL_A_FAMILY"], socket.AF_INET),
                attr(K["KESP_SEL_A_DST_START"], socket.inet_aton(start)),
                attr(K["KESP_SEL_A_DST_END"], socket.inet_aton(end)),
                attr(K["KESP_SEL_A_SRC_START"], bytes(4)), attr(K["KESP_SEL_A_SRC_END"], b"\xff" * 4))


def sa_new(spi, direction="KESP_DIR_OUT", sels=None, src="192.0.2.1", dst="192.0.2.2"):
    attrs = [u32(K["KESP_SA_A_IFINDEX"], dev), u8(K["KESP_SA_A_DIR"], K[direction]),
             u32(K["KESP_SA_A_SPI"], spi), u8(K["KESP_SA_A_MODE"], K["KESP_MODE_TUNNEL"]),
             addr(K["KESP_SA_A_SRC"], src), addr(K["KESP_SA_A_DST"], dst),
             nest(K["KESP_SA_A_AEAD"], string(K["KESP_ALG_A_NAME"], "rfc4106(gcm(aes))"),
                  attr(K["KESP_ALG_A_KEY"], KEY), u32(K["KESP_ALG_A_ICV_BITS"], 128))]
    if sels:
        attrs.append(nest(K["KESP_SA_A_SELECTORS"], *sels))
    return nl.call("KESP_CMD_SA_NEW", *attrs)[0]


def sa_del(spi, direction="KESP_DIR_OUT", dst="192.0.2.2"):
    nl.call("KESP_CMD_SA_DEL", u32(K["KESP_SA_A_IFINDEX"], dev), u8(K["KESP_SA_A_DIR"], K[direction]),
            u32(K["KESP_SA_A_SPI"], spi), addr(K["KESP_SA_A_DST"], dst))


def trap_add(start="10.9.0.0", end="10.9.255.255"):
    return nl.call("KESP_CMD_TRAP_ADD", u32(K["KESP_TRAP_A_IFINDEX"], dev),
                   nest(K["KESP_TRAP_A_SELECTOR"], u16(K["KESP_SEL_A_FAMILY"], socket.AF_INET),
                        attr(K["KESP_SEL_A_DST_START"], socket.inet_aton(start)),
                        attr(K["KESP_SEL_A_DST_END"], socket.inet_aton(end))))


def spi_alloc():
    return nl.call("KESP_CMD_SPI_ALLOC", u32(K["KESP_SA_A_IFINDEX"], dev))[0]


if sys.argv[1] == "--raise":
    # Root of its own user namespace: may lower, may not raise.
    refused("in a user namespace, raising a limit above its default is refused", errno.EPERM,
            "needs CAP_NET_ADMIN in the initial user namespace", set_limits, SAS=DEFAULTS["SAS"] + 1)
    set_limits(SAS=10)
    report(device()[0]["SAS"] == 10, "in a user namespace, lowering a limit is allowed")
    set_limits(SAS=DEFAULTS["SAS"])
    report(device()[0]["SAS"] == DEFAULTS["SAS"], "and raising it back to its default too")
    finish()

limits, usage = device()
report(limits == DEFAULTS, "a new device has the default limits", "%s" % limits)
report(usage == dict.fromkeys(NAMES, 0), "and holds nothing", "%s" % usage)

# ---- SAs ---------------------------------------------------------------
for spi in (0x1000, 0x1001):
    sa_new(spi, sels=[sel4("10.1.0.0", "10.1.0.255")])
sa_new(0x1002, "KESP_DIR_IN", src="192.0.2.2", dst="192.0.2.1")
usage = device()[1]
report(usage["SAS"] == 3 and usage["SEL_PREFIXES"] == 2, "three SAs and their two selector prefixes are counted",
       "%s" % usage)
set_limits(SAS=3)
refused("the SA past the device's limit is refused", errno.ENOSPC,
        "the device holds as many SAs as its limit allows (KESP_LIMIT_A_SAS)", sa_new, 0x1003)
report(device()[1]["SAS"] == 3, "and counts nothing")
sa_del(0x1001)
try:
    sa_new(0x1003)
    report(True, "after a delete it fits again")
except Error as e:
    report(False, "after a delete it fits again", str(e))

# ---- selector prefixes ----------------------------------------------------
before = device()[1]["SEL_PREFIXES"]
set_limits(SAS=DEFAULTS["SAS"], SEL_PREFIXES=before + 3)
# 10.5.0.1 .. 10.5.0.6 takes four prefixes: .1/32, .2/31, .4/31, .6/32.
refused("a selector needing four prefixes does not fit three left", errno.ENOSPC,
        "the SA's selectors would pass the device's limit of selector prefixes",
        sa_new, 0x1100, "KESP_DIR_OUT", [sel4("10.5.0.0", "10.5.0.255"), sel4("10.5.0.1", "10.5.0.6")])
u = device()[1]
report(u["SEL_PREFIXES"] == before and u["SAS"] == 3, "the refused SA leaves no prefix and no SA behind", "%s" % u)
try:
    sa_new(0x1100, sels=[sel4("10.5.0.0", "10.5.0.255")])
    report(device()[1]["SEL_PREFIXES"] == before + 1, "one that needs one prefix fits")
except Error as e:
    report(False, "one that needs one prefix fits", str(e))

# ---- traps ---------------------------------------------------------------------
set_limits(SEL_PREFIXES=DEFAULTS["SEL_PREFIXES"], TRAPS=1)
trap_add()
refused("the trap past the device's limit is refused", errno.ENOSPC,
        "the device holds as many traps as its limit allows (KESP_LIMIT_A_TRAPS)", trap_add, "10.8.0.0", "10.8.0.255")
report(device()[1]["TRAPS"] == 1, "one trap is counted")

# ---- SPI reservations -----------------------------------------------------------
set_limits(TRAPS=DEFAULTS["TRAPS"], SPI_RESERVATIONS=3)
spis = [struct.unpack("=I", spi_alloc()[K["KESP_SA_A_SPI"]][0])[0] for _ in range(3)]
refused("the SPI reservation past the device's limit is refused", errno.ENOSPC,
        "the device holds as many unused SPI reservations as its limit allows"
        " (KESP_LIMIT_A_SPI_RESERVATIONS); they expire after the module parameter spi_reserve_seconds (60 by default)", spi_alloc)
report(device()[1]["SPI_RESERVATIONS"] == 3, "three reservations are counted")
sa_new(spis[0], "KESP_DIR_IN", src="192.0.2.2", dst="192.0.2.1")
report(device()[1]["SPI_RESERVATIONS"] == 2, "an SA that takes a reserved SPI uses its reservation up")
spi_alloc()
report(device()[1]["SPI_RESERVATIONS"] == 3, "which makes room for another")

# ---- who may raise ----------------------------------------------------------------
set_limits(SPI_RESERVATIONS=DEFAULTS["SPI_RESERVATIONS"], SAS=DEFAULTS["SAS"] * 2)
report(device()[0]["SAS"] == DEFAULTS["SAS"] * 2, "the host's administrator may raise a limit above its default")
set_limits(SAS=DEFAULTS["SAS"])
refused("DEV_SET with nothing to set", errno.EINVAL, "give a fwmark or limits",
        nl.call, "KESP_CMD_DEV_SET", u32(K["KESP_DEV_A_IFINDEX"], dev))
refused("usage cannot be set", errno.EINVAL, "Attribute failed policy validation",
        nl.call, "KESP_CMD_DEV_SET", u32(K["KESP_DEV_A_IFINDEX"], dev), u32(K["KESP_DEV_A_USAGE"], 1))
finish()
