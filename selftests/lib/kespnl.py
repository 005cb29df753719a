"""A raw generic-netlink client for the kesp family, for selftests.

It builds requests attribute by attribute, so tests can send what kespctl
never would (missing, oversized or contradictory attributes), and it
returns the kernel's errno and extended-ack message. Attribute numbers are
read from uapi/linux/kesp.h, so the tests follow the header.
"""
import errno
import os
import re
import socket
import struct

NETLINK_GENERIC = 16
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x4, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLA_F_NESTED = 0x8000
GENL_ID_CTRL, CTRL_CMD_GETFAMILY = 0x10, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2
NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS = 1, 2
SOL_NETLINK, NETLINK_EXT_ACK, NETLINK_CAP_ACK = 270, 11, 10


def _uapi():
    """Every enumerator and #define of uapi/linux/kesp.h, by name."""
    src = os.environ.get("KESP_SRC") or os.path.join(os.path.dirname(__file__), "../..")
    text = open(os.path.join(src, "uapi/linux/kesp.h")).read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    names = {}
    for body in re.findall(r"enum\s+\w+\s*\{(.*?)\};", text, flags=re.S):
        value = -1
        for item in body.split(","):
            item = item.strip()
            if not item:
                continue
            if "=" in item:
                name, expr = (x.strip() for x in item.split("=", 1))
                value = eval(expr.replace("1U", "1"), {}, dict(names))
            else:
                name, value = item, value + 1
            names[name] = value
    for name, expr in re.findall(r"#define\s+(KESP_\w+)\s+([0-9]+)\b", text):
        names[name] = int(expr)
    return names


K = _uapi()


def attr(kind, payload):
    """One attribute: kind is a number, payload bytes (already encoded)."""
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + b"\0" * ((4 - length % 4) % 4)


def u8(kind, v): return attr(kind, struct.pack("=B", v))
def u16(kind, v): return attr(kind, struct.pack("=H", v))
def u32(kind, v): return attr(kind, struct.pack("=I", v))
def u64(kind, v): return attr(kind, struct.pack("=Q", v))
def string(kind, s): return attr(kind, s.encode() + b"\0")
def nest(kind, *attrs): return attr(kind | NLA_F_NESTED, b"".join(attrs))


def addr(kind, text):
    family = socket.AF_INET6 if ":" in text else socket.AF_INET
    return attr(kind, socket.inet_pton(family, text))


def parse_attrs(data):
    """{type: [payload, ...]} of a flat attribute stream."""
    out = {}
    while len(data) >= 4:
        length, kind = struct.unpack_from("=HH", data)
        if length < 4:
            break
        out.setdefault(kind & 0x3FFF, []).append(data[4:length])
        data = data[(length + 3) & ~3:]
    return out


class Error(Exception):
    def __init__(self, err, message):
        super().__init__("%s: %s" % (errno.errorcode.get(err, err), message))
        self.errno = err
        self.message = message


class Kesp:
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        self.sock.bind((0, 0))
        self.seq = 0
        reply = self._request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0,
                              string(CTRL_ATTR_FAMILY_NAME, "kesp"))
        self.family = struct.unpack("=H", parse_attrs(reply[0][4:])[CTRL_ATTR_FAMILY_ID][0][:2])[0]

    def _request(self, family, cmd, flags, payload):
        self.seq += 1
        body = struct.pack("=BBH", cmd, 1, 0) + payload
        header = struct.pack("=IHHII", 16 + len(body), family,
                             NLM_F_REQUEST | NLM_F_ACK | flags, self.seq, 0)
        self.sock.send(header + body)
        replies = []
        while True:
            data = self.sock.recv(1 << 20)
            while data:
                length, kind, mflags, seq, _ = struct.unpack_from("=IHHII", data)
                msg, data = data[16:length], data[(length + 3) & ~3:]
                if seq != self.seq:
                    continue
                if kind == NLMSG_ERROR:
                    err = -struct.unpack_from("=i", msg)[0]
                    if err == 0:
                        return replies
                    # Capped ack: the error, our header, then TLVs.
                    tlvs = parse_attrs(msg[20:]) if mflags & 0x200 else {}
                    text = tlvs.get(NLMSGERR_ATTR_MSG, [b""])[0].rstrip(b"\0").decode()
                    raise Error(err, text)
                if kind == NLMSG_DONE:
                    err = -struct.unpack_from("=i", msg)[0] if len(msg) >= 4 else 0
                    if err:
                        raise Error(err, "")
                    return replies
                replies.append(msg)

    def call(self, cmd, *attrs, dump=False):
        """Replies as lists of attribute dicts; raises Error on failure."""
        msgs = self._request(self.family, K[cmd] if isinstance(cmd, str) else cmd,
                             NLM_F_DUMP if dump else 0, b"".join(attrs))
        return [parse_attrs(m[4:]) for m in msgs]

    def raw_dump(self, cmd, *attrs):
        """The reply payloads as bytes, to search for what must not be there."""
        return self._request(self.family, K[cmd], NLM_F_DUMP, b"".join(attrs))


def get_u32(attrs, name):
    return struct.unpack("=I", attrs[K[name]][0][:4])[0]


def get_u64(attrs, name):
    return struct.unpack("=Q", attrs[K[name]][0][:8])[0]
