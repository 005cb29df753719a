"""SA commands over raw generic netlink: every algorithm we claim, every
refusal with its extack message, keys never returned, and big dumps.
Prints "ok - ..." / "not ok - ..." lines for the guest harness."""
import errno
import os
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ["KESP_SRC"], "selftests/lib"))
from kespnl import K, Kesp, Error, u8, u16, u32, u64, string, nest, attr, addr, get_u32, get_u64, parse_attrs, sa_id_spi  # noqa: E402
from tap import report, finish  # noqa: E402



def refused(what, want_errno, want_text, cmd, *attrs):
    try:
        nl.call(cmd, *attrs)
    except Error as e:
        report(e.errno == want_errno and want_text in e.message, what,
               "got %s %r, want %s %r" % (errno.errorcode.get(e.errno), e.message,
                                         errno.errorcode[want_errno], want_text))
        return
    report(False, what, "the kernel accepted it")


def sa_spis(ifindex):
    """The SPIs of the device's SAs, as a dump lists them."""
    return [get_u32(m, "KESP_SA_A_SPI")
            for m in nl.call("KESP_CMD_SA_GET", u32(K["KESP_SA_A_IFINDEX"], ifindex), dump=True)]


def sa_attrs(ifindex, spi, direction="KESP_DIR_IN", src="192.0.2.1", dst="192.0.2.2",
             alg=None, extra=()):
    if alg is None:
        alg = (nest(K["KESP_SA_A_AEAD"], string(K["KESP_ALG_A_NAME"], "rfc4106(gcm(aes))"),
                    attr(K["KESP_ALG_A_KEY"], KEY[:20]), u32(K["KESP_ALG_A_ICV_BITS"], 128)),)
    return (u32(K["KESP_SA_A_IFINDEX"], ifindex), u8(K["KESP_SA_A_DIR"], K[direction]),
            u32(K["KESP_SA_A_SPI"], spi), u8(K["KESP_SA_A_MODE"], K["KESP_MODE_TUNNEL"]),
            addr(K["KESP_SA_A_SRC"], src), addr(K["KESP_SA_A_DST"], dst)) + tuple(alg) + tuple(extra)


def aead(name, key_len, icv):
    return (nest(K["KESP_SA_A_AEAD"], string(K["KESP_ALG_A_NAME"], name),
                 attr(K["KESP_ALG_A_KEY"], KEY[:key_len]), u32(K["KESP_ALG_A_ICV_BITS"], icv)),)


def enc_auth(enc, enc_len, auth, auth_len, icv):
    return (nest(K["KESP_SA_A_ENC"], string(K["KESP_ALG_A_NAME"], enc),
                 attr(K["KESP_ALG_A_KEY"], KEY[:enc_len])),
            nest(K["KESP_SA_A_AUTH"], string(K["KESP_ALG_A_NAME"], auth),
                 attr(K["KESP_ALG_A_KEY"], KEY[:auth_len]), u32(K["KESP_ALG_A_ICV_BITS"], icv)))


# A distinctive key pattern: if it ever shows up in a reply, keys leaked.
KEY = bytes(range(0xA0, 0xA0 + 68))

subprocess.run(["ip", "link", "add", "kesp0", "type", "kesp"], check=True)
subprocess.run(["ip", "link", "add", "kesp1", "type", "kesp"], check=True)
dev = socket.if_nametoindex("kesp0")
dev1 = socket.if_nametoindex("kesp1")
nl = Kesp()

# ---- every algorithm the uapi lists is accepted -----------------------
algorithms = [
    ("AES-GCM-128 ICV 128", aead("rfc4106(gcm(aes))", 20, 128)),
    ("AES-GCM-192 ICV 96", aead("rfc4106(gcm(aes))", 28, 96)),
    ("AES-GCM-256 ICV 64", aead("rfc4106(gcm(aes))", 36, 64)),
    ("ChaCha20-Poly1305", aead("rfc7539esp(chacha20,poly1305)", 36, 128)),
    ("AES-CBC-128 + HMAC-SHA-256-128", enc_auth("cbc(aes)", 16, "hmac(sha256)", 32, 128)),
    ("AES-CBC-256 + HMAC-SHA-384-192", enc_auth("cbc(aes)", 32, "hmac(sha384)", 48, 192)),
    ("AES-CBC-192 + HMAC-SHA-512-256", enc_auth("cbc(aes)", 24, "hmac(sha512)", 64, 256)),
    ("NULL + HMAC-SHA-256-128", enc_auth("ecb(cipher_null)", 0, "hmac(sha256)", 32, 128)),
    ("AES-CBC-128 + HMAC-SHA-1-96", enc_auth("cbc(aes)", 16, "hmac(sha1)", 20, 96)),
    ("NULL + HMAC-SHA-1-96", enc_auth("ecb(cipher_null)", 0, "hmac(sha1)", 20, 96)),
]
for i, (name, alg) in enumerate(algorithms):
    try:
        reply = nl.call("KESP_CMD_SA_NEW", *sa_attrs(dev, 0x1000 + i, alg=alg))[0]
        report(get_u32(reply, "KESP_SA_A_SPI") == 0x1000 + i and get_u32(reply, "KESP_SA_A_ID") > 0,
               "SA_NEW accepts %s and replies with the new SA's id" % name)
    except Error as e:
        report(False, "SA_NEW accepts %s and replies with the new SA's id" % name, str(e))

sas = nl.call("KESP_CMD_SA_GET", u32(K["KESP_SA_A_IFINDEX"], dev), dump=True)
report(len(sas) == len(algorithms), "a dump lists the %d SAs" % len(algorithms), "got %d" % len(sas))
raw = b"".join(nl.raw_dump("KESP_CMD_SA_GET"))
report(KEY[:12] not in raw and KEY[20:32] not in raw and all(K["KESP_ALG_A_KEY"] not in
       __import__("kespnl").parse_attrs(a[4:]) for s in sas for n in ("KESP_SA_A_AEAD", "KESP_SA_A_ENC",
                                                                    "KESP_SA_A_AUTH") for a in s.get(K[n], [])),
       "no reply carries key material")
first = sas[0]
report(get_u32(first, "KESP_SA_A_REPLAY_WINDOW") == 64 and get_u64(first, "KESP_SA_A_SEQ") == 0
       and first[K["KESP_SA_A_DIR"]][0][0] == K["KESP_DIR_IN"],
       "an inbound SA defaults to a 64-packet replay window, sequence 0")

# ---- lookups, deletes, updates -----------------------------------------
one = nl.call("KESP_CMD_SA_GET", u32(K["KESP_SA_A_IFINDEX"], dev), u8(K["KESP_SA_A_DIR"], K["KESP_DIR_IN"]),
              u32(K["KESP_SA_A_SPI"], 0x1003))[0]
report(get_u32(one, "KESP_SA_A_SPI") == 0x1003, "SA_GET finds an inbound SA by SPI")
nl.call("KESP_CMD_SA_NEW", *sa_attrs(dev, 0x2000, "KESP_DIR_OUT", dst="198.51.100.7"))
nl.call("KESP_CMD_SA_NEW", *sa_attrs(dev, 0x2000, "KESP_DIR_OUT", dst="198.51.100.8"))
shared = sorted(socket.inet_ntoa(m[K["KESP_SA_A_DST"]][0])
                for m in nl.call("KESP_CMD_SA_GET", u32(K["KESP_SA_A_IFINDEX"], dev), dump=True)
                if get_u32(m, "KESP_SA_A_SPI") == 0x2000)
report(shared == ["198.51.100.7", "198.51.100.8"], "two outbound SAs may share an SPI towards different peers",
       "SPI 0x2000 goes to %s" % shared)
refused("a third with the same SPI and destination is refused", errno.EEXIST,
        "an outbound SA with this SPI and destination exists on the device",
        "KESP_CMD_SA_NEW", *sa_attrs(dev, 0x2000, "KESP_DIR_OUT", dst="198.51.100.8"))
out = nl.call("KESP_CMD_SA_GET", u32(K["KESP_SA_A_IFINDEX"], dev), u8(K["KESP_SA_A_DIR"], K["KESP_DIR_OUT"]),
              u32(K["KESP_SA_A_SPI"], 0x2000), addr(K["KESP_SA_A_DST"], "198.51.100.8"))[0]
report(out[K["KESP_SA_A_DST"]][0] == socket.inet_pton(socket.AF_INET, "198.51.100.8"),
       "SA_GET finds an outbound SA by SPI and destination")
out_id = get_u32(out, "KESP_SA_A_ID")
upd = nl.call("KESP_CMD_SA_UPDATE", u32(K["KESP_SA_A_IFINDEX"], dev), u32(K["KESP_SA_A_ID"], out_id),
              addr(K["KESP_SA_A_SRC"], "2001:db8::1"), addr(K["KESP_SA_A_DST"], "2001:db8::2"),
              nest(K["KESP_SA_A_LIFETIME"], u64(K["KESP_LFT_A_HARD_SECONDS"], 3600)))[0]
report(upd[K["KESP_SA_A_DST"]][0] == socket.inet_pton(socket.AF_INET6, "2001:db8::2")
       and get_u64(__import__("kespnl").parse_attrs(upd[K["KESP_SA_A_LIFETIME"]][0]), "KESP_LFT_A_HARD_SECONDS") == 3600,
       "SA_UPDATE moves an SA to new (IPv6) addresses and sets a lifetime")
refused("SA_UPDATE refuses to change keys", errno.EINVAL, "only addresses, selectors, lifetimes and encapsulation ports of an SA can change",
        "KESP_CMD_SA_UPDATE", u32(K["KESP_SA_A_IFINDEX"], dev), u32(K["KESP_SA_A_ID"], out_id),
        *aead("rfc4106(gcm(aes))", 20, 128))
refused("an outbound SA named by SPI and destination cannot move", errno.EINVAL,
        "an outbound SA named by id", "KESP_CMD_SA_UPDATE", u32(K["KESP_SA_A_IFINDEX"], dev),
        u8(K["KESP_SA_A_DIR"], K["KESP_DIR_OUT"]), u32(K["KESP_SA_A_SPI"], 0x2000),
        addr(K["KESP_SA_A_DST"], "198.51.100.7"), addr(K["KESP_SA_A_SRC"], "192.0.2.9"))
# An inbound SA is named by its SPI alone, so it may move in the same call.
upd = nl.call("KESP_CMD_SA_UPDATE", u32(K["KESP_SA_A_IFINDEX"], dev),
              u8(K["KESP_SA_A_DIR"], K["KESP_DIR_IN"]), u32(K["KESP_SA_A_SPI"], 0x1003),
              addr(K["KESP_SA_A_SRC"], "192.0.2.77"), addr(K["KESP_SA_A_DST"], "192.0.2.78"))[0]
report(upd[K["KESP_SA_A_SRC"]][0] == socket.inet_pton(socket.AF_INET, "192.0.2.77"),
       "SA_UPDATE moves an inbound SA named by its SPI")
refused("new addresses come in pairs", errno.EINVAL, "both source and destination",
        "KESP_CMD_SA_UPDATE", u32(K["KESP_SA_A_IFINDEX"], dev),
        u8(K["KESP_SA_A_DIR"], K["KESP_DIR_IN"]), u32(K["KESP_SA_A_SPI"], 0x1003),
        addr(K["KESP_SA_A_SRC"], "192.0.2.79"))
nl.call("KESP_CMD_SA_DEL", u32(K["KESP_SA_A_IFINDEX"], dev), u32(K["KESP_SA_A_ID"], out_id))
refused("a deleted SA is gone", errno.ENOENT, "no such SA on this device", "KESP_CMD_SA_GET",
        u32(K["KESP_SA_A_IFINDEX"], dev), u32(K["KESP_SA_A_ID"], out_id))

# ---- SPI allocation --------------------------------------------------
spis = set()
for _ in range(20):
    r = nl.call("KESP_CMD_SPI_ALLOC", u32(K["KESP_SA_A_IFINDEX"], dev))[0]
    spis.add(get_u32(r, "KESP_SA_A_SPI"))
report(len(spis) == 20 and min(spis) >= 256, "SPI_ALLOC gives distinct random SPIs >= 256")
r = nl.call("KESP_CMD_SPI_ALLOC", u32(K["KESP_SA_A_IFINDEX"], dev), u32(K["KESP_SA_A_SPI_MIN"], 0x5000),
            u32(K["KESP_SA_A_SPI_MAX"], 0x5001))[0]
spi = get_u32(r, "KESP_SA_A_SPI")
report(spi in (0x5000, 0x5001), "SPI_ALLOC honours a range")
nl.call("KESP_CMD_SA_NEW", *sa_attrs(dev, spi))
report(sa_spis(dev).count(spi) == 1, "an SA can be added with the reserved SPI")
nl.call("KESP_CMD_SPI_ALLOC", u32(K["KESP_SA_A_IFINDEX"], dev), u32(K["KESP_SA_A_SPI_MIN"], 0x5000),
        u32(K["KESP_SA_A_SPI_MAX"], 0x5001))
refused("a full range is refused", errno.ENOSPC, "no free SPI in the requested range", "KESP_CMD_SPI_ALLOC",
        u32(K["KESP_SA_A_IFINDEX"], dev), u32(K["KESP_SA_A_SPI_MIN"], 0x5000), u32(K["KESP_SA_A_SPI_MAX"], 0x5001))
refused("an inbound SPI is unique across the devices of one underlay namespace",
        errno.EEXIST, "an inbound SA with this SPI exists", "KESP_CMD_SA_NEW", *sa_attrs(dev1, spi))
refused("an SPI range reaching into 1..255 is refused", errno.EINVAL, "reserved by IANA",
        "KESP_CMD_SPI_ALLOC", u32(K["KESP_SA_A_IFINDEX"], dev), u32(K["KESP_SA_A_SPI_MIN"], 255),
        u32(K["KESP_SA_A_SPI_MAX"], 0x5000))
refused("an empty SPI range is refused", errno.EINVAL, "SPI range is empty", "KESP_CMD_SPI_ALLOC",
        u32(K["KESP_SA_A_IFINDEX"], dev), u32(K["KESP_SA_A_SPI_MIN"], 9), u32(K["KESP_SA_A_SPI_MAX"], 8))

# ---- refusals ------------------------------------------------------------
refused("SA_NEW without a device", errno.EINVAL, "the device (ifindex) is required",
        "KESP_CMD_SA_NEW", *sa_attrs(dev, 0x3000)[1:])
refused("SA_NEW on a device that is not kesp", errno.EOPNOTSUPP, "device is not a kesp device",
        "KESP_CMD_SA_NEW", *sa_attrs(1, 0x3000))
no_spi = [a for a in sa_attrs(dev, 0x3000) if a != u32(K["KESP_SA_A_SPI"], 0x3000)]
refused("SA_NEW without an SPI", errno.EINVAL, "direction, SPI, mode, source and destination are required",
        "KESP_CMD_SA_NEW", *no_spi)
refused("SPI 0 is refused", errno.ERANGE, "integer out of range", "KESP_CMD_SA_NEW", *sa_attrs(dev, 0))
for reserved in (1, 255):
    for d in ("KESP_DIR_IN", "KESP_DIR_OUT"):
        refused("SPI %d (reserved by IANA) is refused, %s" % (reserved, d[9:].lower()), errno.EINVAL,
                "SPIs 1 to 255 are reserved by IANA", "KESP_CMD_SA_NEW", *sa_attrs(dev, reserved, d))
try:
    nl.call("KESP_CMD_SA_NEW", *sa_attrs(dev, 256, "KESP_DIR_OUT"))
    nl.call("KESP_CMD_SA_DEL", u32(K["KESP_SA_A_IFINDEX"], dev), u8(K["KESP_SA_A_DIR"], K["KESP_DIR_OUT"]),
            u32(K["KESP_SA_A_SPI"], 256), addr(K["KESP_SA_A_DST"], "192.0.2.2"))
    report(True, "SPI 256, the first unreserved, is accepted")
except Error as e:
    report(False, "SPI 256, the first unreserved, is accepted", str(e))
bad_src = [attr(K["KESP_SA_A_SRC"], b"\1\2\3\4\5") if a == addr(K["KESP_SA_A_SRC"], "192.0.2.1") else a
           for a in sa_attrs(dev, 0x3000)]
refused("a 5-byte address", errno.EINVAL, "an address is 4 (IPv4) or 16 (IPv6) bytes", "KESP_CMD_SA_NEW", *bad_src)
refused("mixed address families", errno.EINVAL, "source and destination are of different families",
        "KESP_CMD_SA_NEW", *sa_attrs(dev, 0x3000, dst="2001:db8::2"))
refused("an unknown AEAD", errno.EOPNOTSUPP, "unsupported AEAD", "KESP_CMD_SA_NEW",
        *sa_attrs(dev, 0x3000, alg=aead("gcm(aes)", 20, 128)))
refused("an unknown cipher", errno.EOPNOTSUPP, "unsupported cipher", "KESP_CMD_SA_NEW",
        *sa_attrs(dev, 0x3000, alg=enc_auth("cbc(des3_ede)", 24, "hmac(sha256)", 32, 128)))
refused("HMAC-MD5 is not offered", errno.EOPNOTSUPP, "unsupported authentication", "KESP_CMD_SA_NEW",
        *sa_attrs(dev, 0x3000, alg=enc_auth("cbc(aes)", 16, "hmac(md5)", 16, 96)))
refused("HMAC-SHA-1 with a 32-byte key", errno.EINVAL, "HMAC key length must equal the hash length",
        "KESP_CMD_SA_NEW", *sa_attrs(dev, 0x3000, alg=enc_auth("cbc(aes)", 16, "hmac(sha1)", 32, 96)))
refused("HMAC-SHA-1 truncated to other than 96 bits (RFC 2404)", errno.EINVAL, "96 bits for SHA-1",
        "KESP_CMD_SA_NEW", *sa_attrs(dev, 0x3000, alg=enc_auth("cbc(aes)", 16, "hmac(sha1)", 20, 128)))
refused("an oversized key fails the policy", errno.ERANGE, "Attribute failed policy validation", "KESP_CMD_SA_NEW",
        *sa_attrs(dev, 0x3000, alg=(nest(K["KESP_SA_A_AEAD"], string(K["KESP_ALG_A_NAME"], "rfc4106(gcm(aes))"),
                                          attr(K["KESP_ALG_A_KEY"], bytes(K["KESP_KEY_MAX"] + 1)),
                                          u32(K["KESP_ALG_A_ICV_BITS"], 128)),)))
refused("a GCM key of the wrong length", errno.EINVAL, "wrong AEAD key length", "KESP_CMD_SA_NEW",
        *sa_attrs(dev, 0x3000, alg=aead("rfc4106(gcm(aes))", 17, 128)))
refused("an HMAC key of the wrong length", errno.EINVAL, "HMAC key length must equal the hash length",
        "KESP_CMD_SA_NEW", *sa_attrs(dev, 0x3000, alg=enc_auth("cbc(aes)", 16, "hmac(sha256)", 20, 128)))
refused("a truncation RFC 4868 does not allow", errno.EINVAL, "half the hash length for SHA-2",
        "KESP_CMD_SA_NEW", *sa_attrs(dev, 0x3000, alg=enc_auth("cbc(aes)", 16, "hmac(sha256)", 32, 96)))
refused("an unsupported GCM ICV length", errno.EINVAL, "unsupported ICV length", "KESP_CMD_SA_NEW",
        *sa_attrs(dev, 0x3000, alg=aead("rfc4106(gcm(aes))", 20, 100)))
refused("an AEAD together with a cipher", errno.EINVAL, "give either an AEAD", "KESP_CMD_SA_NEW",
        *sa_attrs(dev, 0x3000, alg=aead("rfc4106(gcm(aes))", 20, 128) + enc_auth("cbc(aes)", 16, "hmac(sha256)", 32, 128)[:1]))
refused("a cipher without authentication", errno.EINVAL, "give either an AEAD", "KESP_CMD_SA_NEW",
        *sa_attrs(dev, 0x3000, alg=enc_auth("cbc(aes)", 16, "hmac(sha256)", 32, 128)[:1]))
refused("an algorithm without a name", errno.EINVAL, "algorithm name missing", "KESP_CMD_SA_NEW",
        *sa_attrs(dev, 0x3000, alg=(nest(K["KESP_SA_A_AEAD"], attr(K["KESP_ALG_A_KEY"], KEY[:20]),
                                          u32(K["KESP_ALG_A_ICV_BITS"], 128)),)))
# Refusals asserted by their whole extack text: the message is the
# user's only clue, so a change to it must be a change to this test.
for what, want_errno, want, cmd, attrs in [
    ("an AES-CBC key of the wrong length", errno.EINVAL,
     "wrong cipher key length (AES-CBC: 16, 24 or 32 bytes; NULL: none)", "KESP_CMD_SA_NEW",
     sa_attrs(dev, 0x3000, alg=enc_auth("cbc(aes)", 15, "hmac(sha256)", 32, 128))),
    ("a NULL cipher with a key", errno.EINVAL,
     "wrong cipher key length (AES-CBC: 16, 24 or 32 bytes; NULL: none)", "KESP_CMD_SA_NEW",
     sa_attrs(dev, 0x3000, alg=enc_auth("ecb(cipher_null)", 16, "hmac(sha256)", 32, 128))),
    ("a selector priority on an inbound SA", errno.EINVAL, "a selector priority is for outbound SAs",
     "KESP_CMD_SA_NEW", sa_attrs(dev, 0x3000, extra=(u32(K["KESP_SA_A_PRIORITY"], 5),))),
    ("an AEAD without its ICV length", errno.EINVAL, "ICV length (bits) missing", "KESP_CMD_SA_NEW",
     sa_attrs(dev, 0x3000, alg=(nest(K["KESP_SA_A_AEAD"], string(K["KESP_ALG_A_NAME"], "rfc4106(gcm(aes))"),
                                     attr(K["KESP_ALG_A_KEY"], KEY[:20])),))),
    ("an encapsulation without its ports", errno.EINVAL,
     "encapsulation needs its type, source port and destination port", "KESP_CMD_SA_NEW",
     sa_attrs(dev, 0x3000, extra=(nest(K["KESP_SA_A_ENCAP"],
                                       u8(K["KESP_ENCAP_A_TYPE"], K["KESP_ENCAP_ESPINUDP"])),))),
    ("a selector list holding something else than selectors", errno.EINVAL,
     "only KESP_SELECTORS_A_SELECTOR belongs in the selector list", "KESP_CMD_SA_NEW",
     sa_attrs(dev, 0x3000, "KESP_DIR_OUT", extra=(nest(K["KESP_SA_A_SELECTORS"], nest(
         K["KESP_SELECTORS_A_SELECTOR"] + 1, u16(K["KESP_SEL_A_FAMILY"], socket.AF_INET))),))),
    ("a device named by both ifindex and name", errno.EINVAL,
     "give exactly one of the device's ifindex or name", "KESP_CMD_DEV_GET",
     (u32(K["KESP_DEV_A_IFINDEX"], dev), string(K["KESP_DEV_A_IFNAME"], "kesp0"))),
    ("a device named by neither", errno.EINVAL,
     "give exactly one of the device's ifindex or name", "KESP_CMD_DEV_GET", ()),
]:
    try:
        nl.call(cmd, *attrs)
        report(False, what + " is refused", "the kernel accepted it")
    except Error as e:
        report(e.errno == want_errno and e.message == want, what + " is refused",
               "got %s %r, want %s %r" % (errno.errorcode.get(e.errno), e.message,
                                         errno.errorcode[want_errno], want))
refused("a mode that is neither tunnel nor transport", errno.ERANGE, "integer out of range", "KESP_CMD_SA_NEW",
        *[u8(K["KESP_SA_A_MODE"], 3) if a == u8(K["KESP_SA_A_MODE"], K["KESP_MODE_TUNNEL"])
          else a for a in sa_attrs(dev, 0x3000)])
refused("a duplicate inbound SPI", errno.EEXIST, "an inbound SA with this SPI exists in the underlay namespace",
        "KESP_CMD_SA_NEW", *sa_attrs(dev, 0x1000))
refused("unknown flag bits", errno.EOPNOTSUPP, "unknown SA flag bits", "KESP_CMD_SA_NEW",
        *sa_attrs(dev, 0x3000, extra=(u32(K["KESP_SA_A_FLAGS"], 0x80),)))
refused("a replay window above 4096", errno.ERANGE, "integer out of range", "KESP_CMD_SA_NEW",
        *sa_attrs(dev, 0x3000, extra=(u32(K["KESP_SA_A_REPLAY_WINDOW"], 4097),)))
refused("a replay window on an outbound SA", errno.EINVAL, "a replay window is for inbound SAs",
        "KESP_CMD_SA_NEW", *sa_attrs(dev, 0x3000, "KESP_DIR_OUT", extra=(u32(K["KESP_SA_A_REPLAY_WINDOW"], 32),)))
refused("a 64-bit sequence number without ESN", errno.EINVAL, "needs ESN", "KESP_CMD_SA_NEW",
        *sa_attrs(dev, 0x3000, extra=(u64(K["KESP_SA_A_SEQ"], 1 << 32),)))
refused("a soft limit above the hard limit", errno.EINVAL, "a soft limit is above its hard limit",
        "KESP_CMD_SA_NEW", *sa_attrs(dev, 0x3000, extra=(nest(K["KESP_SA_A_LIFETIME"],
                                                               u64(K["KESP_LFT_A_SOFT_BYTES"], 10),
                                                               u64(K["KESP_LFT_A_HARD_BYTES"], 5)),)))
refused("a direction that does not exist", errno.ERANGE, "integer out of range", "KESP_CMD_SA_NEW",
        *[u8(K["KESP_SA_A_DIR"], 3) if a == u8(K["KESP_SA_A_DIR"], K["KESP_DIR_IN"]) else a
          for a in sa_attrs(dev, 0x3000)])
refused("counters cannot be written", errno.EINVAL, "Attribute failed policy validation", "KESP_CMD_SA_NEW",
        *sa_attrs(dev, 0x3000, extra=(u64(K["KESP_SA_A_COUNTERS"], 1),)))
refused("a delete that names nothing", errno.EINVAL, "name the SA by id, or by direction and SPI",
        "KESP_CMD_SA_DEL", u32(K["KESP_SA_A_IFINDEX"], dev))
refused("an outbound SA is named with its destination", errno.EINVAL,
        "an outbound SA is named by SPI and destination", "KESP_CMD_SA_DEL", u32(K["KESP_SA_A_IFINDEX"], dev),
        u8(K["KESP_SA_A_DIR"], K["KESP_DIR_OUT"]), u32(K["KESP_SA_A_SPI"], 0x2000))

# ---- flush, and SAs going with their device --------------------------------
nl.call("KESP_CMD_SA_NEW", *sa_attrs(dev1, 0x7000))
nl.call("KESP_CMD_SA_NEW", *sa_attrs(dev1, 0x7001, "KESP_DIR_OUT"))
nl.call("KESP_CMD_SA_FLUSH", u32(K["KESP_SA_A_IFINDEX"], dev1), u8(K["KESP_SA_A_DIR"], K["KESP_DIR_IN"]))
left = nl.call("KESP_CMD_SA_GET", u32(K["KESP_SA_A_IFINDEX"], dev1), dump=True)
report(len(left) == 1 and left[0][K["KESP_SA_A_DIR"]][0][0] == K["KESP_DIR_OUT"],
       "SA_FLUSH of one device and direction leaves the rest")
before = len(nl.call("KESP_CMD_SA_GET", u32(K["KESP_SA_A_IFINDEX"], dev), dump=True))
subprocess.run(["ip", "link", "del", "kesp1"], check=True)
report(len(nl.call("KESP_CMD_SA_GET", dump=True)) == before, "deleting a device deletes its SAs")
nl.call("KESP_CMD_SA_NEW", *sa_attrs(dev, 0x7000))
report(sa_spis(dev).count(0x7000) == 1, "an inbound SPI freed by a deleted device can be used again")
nl.call("KESP_CMD_SA_FLUSH")
report(nl.call("KESP_CMD_SA_GET", dump=True) == [], "SA_FLUSH without filters empties the namespace")

# ---- many selectors ---------------------------------------------------------
def sel6(i):
    a = socket.inet_pton(socket.AF_INET6, "2001:db8:%x::" % i)
    b = socket.inet_pton(socket.AF_INET6, "2001:db8:%x:ffff:ffff:ffff:ffff:ffff" % i)
    return nest(K["KESP_SELECTORS_A_SELECTOR"], u16(K["KESP_SEL_A_FAMILY"], socket.AF_INET6),
                attr(K["KESP_SEL_A_SRC_START"], a), attr(K["KESP_SEL_A_SRC_END"], b),
                attr(K["KESP_SEL_A_DST_START"], a), attr(K["KESP_SEL_A_DST_END"], b),
                u8(K["KESP_SEL_A_PROTO"], 6), u16(K["KESP_SEL_A_SPORT_START"], 1),
                u16(K["KESP_SEL_A_SPORT_END"], 2), u16(K["KESP_SEL_A_DPORT_START"], 3),
                u16(K["KESP_SEL_A_DPORT_END"], 4))


most = K["KESP_SELECTORS_MAX"]
try:
    big = nl.call("KESP_CMD_SA_NEW", *sa_attrs(dev, 0x7100, "KESP_DIR_OUT", extra=(
        nest(K["KESP_SA_A_SELECTORS"], *[sel6(i) for i in range(most)]),)))[0]
    report(len(parse_attrs(big[K["KESP_SA_A_SELECTORS"]][0]).get(K["KESP_SELECTORS_A_SELECTOR"], [])) == most,
           "SA_NEW with %d IPv6 selectors replies with all of them" % most)
except Error as e:
    report(False, "SA_NEW with %d IPv6 selectors replies with all of them" % most, str(e))
# Netlink sizes dump buffers by the largest read of the socket so far: a
# socket that has only read 4 KiB still gets an SA bigger than a page.
small = Kesp(bufsize=4096)
small._buf = bytearray(1 << 16)
got = small.call("KESP_CMD_SA_GET", u32(K["KESP_SA_A_IFINDEX"], dev), dump=True)
report([get_u32(m, "KESP_SA_A_SPI") for m in got] == [0x7100],
       "a dump on a socket that read only 4 KiB so far still returns the %d-selector SA" % most)
refused("one selector more than KESP_SELECTORS_MAX", errno.E2BIG, "too many selectors for one SA",
        "KESP_CMD_SA_NEW", *sa_attrs(dev, 0x7101, "KESP_DIR_OUT", extra=(
            nest(K["KESP_SA_A_SELECTORS"], *[sel6(i) for i in range(most + 1)]),)))


def sel4(*attrs):
    return nest(K["KESP_SA_A_SELECTORS"], nest(K["KESP_SELECTORS_A_SELECTOR"], *attrs))


v4 = socket.inet_pton(socket.AF_INET, "10.0.0.1")
v4b = socket.inet_pton(socket.AF_INET, "10.0.0.9")
fam4 = u16(K["KESP_SEL_A_FAMILY"], socket.AF_INET)
bad_selectors = [
    ("a selector without a family", errno.EINVAL, "a selector needs a family",
     sel4(attr(K["KESP_SEL_A_SRC_START"], v4), attr(K["KESP_SEL_A_SRC_END"], v4))),
    ("a selector of another family", errno.EAFNOSUPPORT, "selector family is AF_INET or AF_INET6",
     sel4(u16(K["KESP_SEL_A_FAMILY"], socket.AF_PACKET))),
    ("a selector range without its end", errno.EINVAL, "an address range needs both its start and its end",
     sel4(fam4, attr(K["KESP_SEL_A_SRC_START"], v4))),
    ("an IPv6 address in an IPv4 selector", errno.EINVAL, "selector address length does not match its family",
     sel4(fam4, attr(K["KESP_SEL_A_DST_START"], bytes(16)), attr(K["KESP_SEL_A_DST_END"], bytes(16)))),
    ("an address range that starts after it ends", errno.EINVAL, "a selector range starts after it ends",
     sel4(fam4, attr(K["KESP_SEL_A_SRC_START"], v4b), attr(K["KESP_SEL_A_SRC_END"], v4))),
    ("a port range that starts after it ends", errno.EINVAL, "a selector range starts after it ends",
     sel4(fam4, u8(K["KESP_SEL_A_PROTO"], 17), u16(K["KESP_SEL_A_DPORT_START"], 600),
          u16(K["KESP_SEL_A_DPORT_END"], 500))),
]
for what, err, text, sels in bad_selectors:
    refused(what + " is refused", err, text,
            "KESP_CMD_SA_NEW", *sa_attrs(dev, 0x7102, "KESP_DIR_OUT", extra=(sels,)))
left = nl.call("KESP_CMD_SA_GET", u32(K["KESP_SA_A_IFINDEX"], dev), dump=True)
report([get_u32(m, "KESP_SA_A_SPI") for m in left] == [0x7100], "no refused SA was left behind",
       "SPIs on the device: %s" % [hex(get_u32(m, "KESP_SA_A_SPI")) for m in left])
nl.call("KESP_CMD_SA_FLUSH")

# ---- a large dump ----------------------------------------------------------
# Requests are pipelined (kespnl.pipeline checks every ack); the dump is
# read as it streams in, with each SA's id and SPI picked from its first
# attributes, so the test costs what the kernel costs.
# 20000 spans some 200 dump messages and several growths of the SA
# tables; `make bench` installs and flushes 100000 with each stack.
count = int(os.environ.get("KESP_MANY_SAS", "20000"))
null_alg = enc_auth("ecb(cipher_null)", 0, "hmac(sha256)", 32, 128)
template = bytearray(b"".join(sa_attrs(dev, 0x100000, alg=null_alg)))
spi_at = bytes(template).index(u32(K["KESP_SA_A_SPI"], 0x100000)) + 4


def requests():
    for i in range(count):
        struct.pack_into("=I", template, spi_at, 0x100000 + i)
        yield bytes(template)


new_ids = {}


def on_new(i, msg):
    sa_id, spi = sa_id_spi(msg)
    new_ids[sa_id] = spi if spi == 0x100000 + i else None


start, cpu = time.time(), os.times()
try:
    nl.pipeline("KESP_CMD_SA_NEW", requests(), on_reply=on_new)
    report(len(new_ids) == count and None not in new_ids.values(),
           "%d pipelined SA_NEW are each acked and answered with their SPI and an id of their own" % count,
           "%d distinct ids" % len(new_ids))
except Error as e:
    report(False, "%d pipelined SA_NEW are each acked" % count, "request %d: %s" % (e.index, e))
added, cpu = time.time() - start, [b - a for a, b in zip(cpu, os.times())]
start = time.time()
dumped = {}
repeats = []


def on_dump(msg):
    sa_id, spi = sa_id_spi(msg)
    if sa_id in dumped:
        repeats.append(sa_id)
    dumped[sa_id] = spi


nl.raw_dump("KESP_CMD_SA_GET", u32(K["KESP_SA_A_IFINDEX"], dev), on_msg=on_dump)
dump_time = time.time() - start
report(len(dumped) == count and not repeats and dumped == new_ids,
       "a dump of %d SAs returns each once, with the id and SPI it was created with" % count,
       "%d distinct ids, %d repeated, %d differ from SA_NEW's" % (
           len(dumped), len(repeats), sum(dumped.get(k) != v for k, v in new_ids.items())))
start = time.time()
nl.call("KESP_CMD_SA_FLUSH")
report(nl.call("KESP_CMD_SA_GET", dump=True) == [], "SA_FLUSH removes them all")
print("  %d SAs added in %.1f s (%.2f ms each: %.2f in Python, %.2f in the kernel), dumped in %.1f s, "
      "flushed in %.1f s" % (count, added, 1000 * added / count, 1000 * cpu[0] / count, 1000 * cpu[1] / count,
                             dump_time, time.time() - start))
# ---- KESP_SA_A_BRIEF_REPLY: the answer names the SA, nothing else --------
BRIEF = attr(K["KESP_SA_A_BRIEF_REPLY"], b"")
NAMING = {K["KESP_SA_A_IFINDEX"], K["KESP_SA_A_ID"], K["KESP_SA_A_DIR"], K["KESP_SA_A_SPI"]}
try:
    brief = nl.call("KESP_CMD_SA_NEW", *sa_attrs(dev, 0x7000, direction="KESP_DIR_OUT",
                                                 extra=(BRIEF,)))[0]
    brief_id = get_u32(brief, "KESP_SA_A_ID")
    report(set(brief) == NAMING and get_u32(brief, "KESP_SA_A_SPI") == 0x7000 and brief_id > 0 and
           get_u32(brief, "KESP_SA_A_IFINDEX") == dev and brief[K["KESP_SA_A_DIR"]][0][0] == K["KESP_DIR_OUT"],
           "SA_NEW with BRIEF_REPLY answers with the ifindex, id, direction and SPI only",
           "got attributes %s" % sorted(brief))
    full = nl.call("KESP_CMD_SA_GET", u32(K["KESP_SA_A_IFINDEX"], dev), u32(K["KESP_SA_A_ID"], brief_id),
                   BRIEF)[0]
    report(K["KESP_SA_A_AEAD"] in full and K["KESP_SA_A_COUNTERS"] in full and
           get_u32(full, "KESP_SA_A_SPI") == 0x7000,
           "the SA added with a brief answer is whole, and SA_GET ignores BRIEF_REPLY",
           "got attributes %s" % sorted(full))
    upd = nl.call("KESP_CMD_SA_UPDATE", u32(K["KESP_SA_A_IFINDEX"], dev), u32(K["KESP_SA_A_ID"], brief_id),
                  nest(K["KESP_SA_A_LIFETIME"], u64(K["KESP_LFT_A_HARD_SECONDS"], 3600)), BRIEF)[0]
    after = nl.call("KESP_CMD_SA_GET", u32(K["KESP_SA_A_IFINDEX"], dev), u32(K["KESP_SA_A_ID"], brief_id))[0]
    report(set(upd) == NAMING and get_u32(upd, "KESP_SA_A_ID") == brief_id and
           K["KESP_SA_A_LIFETIME"] in after,
           "SA_UPDATE with BRIEF_REPLY answers briefly and still updates the SA",
           "got attributes %s" % sorted(upd))
except Error as e:
    report(False, "SA_NEW and SA_UPDATE with BRIEF_REPLY", str(e))
refused("SA_NEW with BRIEF_REPLY and an error still fails with its extack", errno.EINVAL,
        "a selector priority is for outbound SAs",
        "KESP_CMD_SA_NEW", *sa_attrs(dev, 0x7001, extra=(BRIEF, u32(K["KESP_SA_A_PRIORITY"], 1))))
nl.call("KESP_CMD_SA_FLUSH")
finish()
