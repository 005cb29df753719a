"""A raw generic-netlink client for the kesp family, for selftests.

It builds requests attribute by attribute, so tests can send what kespctl
never would (missing, oversized or contradictory attributes), and it
returns the kernel's errno and extended-ack message. Attribute numbers are
read from uapi/linux/kesp.h, so the tests follow the header.
"""
import errno
import itertools
import os
import re
import socket
import struct

NETLINK_GENERIC = 16
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x4, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLA_F_NESTED = 0x8000
GENL_ID_CTRL, CTRL_CMD_GETFAMILY = 0x10, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, CTRL_ATTR_MCAST_GROUPS = 1, 2, 7
CTRL_ATTR_MCAST_GRP_NAME, CTRL_ATTR_MCAST_GRP_ID = 1, 2
NETLINK_ADD_MEMBERSHIP = 1
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


_NLMSGHDR = struct.Struct("=IHHII")


def _ack_error(msg, mflags):
    """The Error of a failed ack (a capped one: the error, our header, TLVs)."""
    tlvs = parse_attrs(msg[20:]) if mflags & 0x200 else {}
    text = tlvs.get(NLMSGERR_ATTR_MSG, [b""])[0].rstrip(b"\0").decode()
    return Error(-struct.unpack_from("=i", msg)[0], text)


class Kesp:
    def __init__(self, bufsize=1 << 16):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        self.sock.bind((0, 0))
        self.seq = 0
        # One receive buffer for good: a fresh 1 MiB bytes object per recv()
        # costs an mmap, page faults and a munmap, more than a request.
        # The kernel sizes dump messages by the largest read so far.
        self._buf = bytearray(bufsize)
        reply = self._request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0,
                              string(CTRL_ATTR_FAMILY_NAME, "kesp"))
        ctrl = parse_attrs(reply[0][4:])
        self.family = struct.unpack("=H", ctrl[CTRL_ATTR_FAMILY_ID][0][:2])[0]
        self.groups = {}
        for group in parse_attrs(ctrl.get(CTRL_ATTR_MCAST_GROUPS, [b""])[0]).values():
            g = parse_attrs(group[0])
            self.groups[g[CTRL_ATTR_MCAST_GRP_NAME][0].rstrip(b"\0").decode()] = \
                struct.unpack("=I", g[CTRL_ATTR_MCAST_GRP_ID][0][:4])[0]

    def join(self, group="events"):
        """Receive the family's multicast GROUP on this socket (see event)."""
        self.sock.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, self.groups[group])

    def event(self, timeout):
        """The next multicast message as (cmd, attribute dict), or None
        after TIMEOUT seconds. Use a socket of its own for events."""
        self.sock.settimeout(timeout)
        try:
            for kind, _, seq, msg in self._messages():
                if kind == self.family and seq == 0:
                    return msg[0], parse_attrs(msg[4:])
        except socket.timeout:
            return None
        finally:
            self.sock.settimeout(None)
        return self.event(timeout)

    def _message(self, family, cmd, flags, payload):
        self.seq += 1
        body = struct.pack("=BBH", cmd, 1, 0) + payload
        return _NLMSGHDR.pack(16 + len(body), family, NLM_F_REQUEST | NLM_F_ACK | flags, self.seq, 0) + body

    def _messages(self):
        """(type, flags, seq, payload) of each message of one datagram."""
        n, _, mflags, _ = self.sock.recvmsg_into([self._buf])
        if mflags & socket.MSG_TRUNC:
            raise Error(errno.EMSGSIZE, "a netlink message did not fit in %d bytes" % len(self._buf))
        data = memoryview(self._buf)[:n]
        while len(data) >= 16:
            length, kind, flags, seq, _ = _NLMSGHDR.unpack_from(data)
            yield kind, flags, seq, bytes(data[16:length])
            data = data[(length + 3) & ~3:]

    def _request(self, family, cmd, flags, payload, on_msg=None):
        self.sock.send(self._message(family, cmd, flags, payload))
        replies = []
        while True:
            for kind, mflags, seq, msg in self._messages():
                if seq != self.seq:
                    continue
                if kind == NLMSG_ERROR:
                    if struct.unpack_from("=i", msg)[0] == 0:
                        return replies
                    raise _ack_error(msg, mflags)
                if kind == NLMSG_DONE:
                    err = -struct.unpack_from("=i", msg)[0] if len(msg) >= 4 else 0
                    if err:
                        raise Error(err, "")
                    return replies
                if on_msg:
                    on_msg(msg)
                else:
                    replies.append(msg)

    def pipeline(self, cmd, payloads, window=32, on_reply=None):
        """Sends one request per payload (attributes, bytes), WINDOW at a
        time in one datagram, before reading any answer, and checks every
        ack. ON_REPLY(index, payload) sees each reply message (genl header
        first). Raises Error, with .index, for the first failed request.
        Written for speed: 100000 requests are a few lines of Python each."""
        genl = struct.pack("=BBH", K[cmd] if isinstance(cmd, str) else cmd, 1, 0)
        flags = NLM_F_REQUEST | NLM_F_ACK
        buf, view = self._buf, memoryview(self._buf)
        payloads = iter(payloads)
        index = 0
        while True:
            first = self.seq + 1
            parts = []
            for p in itertools.islice(payloads, window):
                self.seq += 1
                parts += (_NLMSGHDR.pack(20 + len(p), self.family, flags, self.seq, 0), genl, p)
            if not parts:
                return index
            self.sock.send(b"".join(parts))
            acked, count = 0, self.seq - first + 1
            while acked < count:
                n, _, mflags, _ = self.sock.recvmsg_into([buf])
                if mflags & socket.MSG_TRUNC:
                    raise Error(errno.EMSGSIZE, "a netlink message did not fit in %d bytes" % len(buf))
                off = 0
                while off + 16 <= n:
                    length, kind, mflags, seq, _ = _NLMSGHDR.unpack_from(buf, off)
                    if first <= seq <= self.seq:
                        if kind != NLMSG_ERROR:
                            if on_reply:
                                on_reply(index + seq - first, bytes(view[off + 16:off + length]))
                        elif struct.unpack_from("=i", buf, off + 16)[0]:
                            e = _ack_error(bytes(view[off + 16:off + length]), mflags)
                            e.index = index + seq - first
                            raise e
                        else:
                            acked += 1
                    off += (length + 3) & ~3
            index += count

    def call(self, cmd, *attrs, dump=False):
        """Replies as lists of attribute dicts; raises Error on failure."""
        msgs = self._request(self.family, K[cmd] if isinstance(cmd, str) else cmd,
                             NLM_F_DUMP if dump else 0, b"".join(attrs))
        return [parse_attrs(m[4:]) for m in msgs]

    def raw_dump(self, cmd, *attrs, on_msg=None):
        """The reply payloads as bytes, to search for what must not be there;
        with ON_MSG, each is passed to it instead of kept."""
        return self._request(self.family, K[cmd], NLM_F_DUMP, b"".join(attrs), on_msg)


def get_u32(attrs, name):
    return struct.unpack("=I", attrs[K[name]][0][:4])[0]


def get_u64(attrs, name):
    return struct.unpack("=Q", attrs[K[name]][0][:8])[0]



def first_u32s(payload, *names):
    """The u32 attributes NAMES of a reply payload (genl header first), read
    by walking only as far as the last of them."""
    want = {K[n]: i for i, n in enumerate(names)}
    out = [None] * len(names)
    left = len(names)
    off = 4
    while left and off + 8 <= len(payload):
        length, kind = struct.unpack_from("=HH", payload, off)
        if length < 4:
            break
        i = want.get(kind & 0x3FFF)
        if i is not None and out[i] is None:
            out[i] = struct.unpack_from("=I", payload, off + 4)[0]
            left -= 1
        off += (length + 3) & ~3
    return out


# The module puts IFINDEX, ID, DIR and SPI first in every SA message.
_SA_HEAD = struct.Struct("=4x HH4x HHI HH4x HHI")
_SA_HEAD_KINDS = (8, K["KESP_SA_A_IFINDEX"], 8, K["KESP_SA_A_ID"], 5, K["KESP_SA_A_DIR"],
                  8, K["KESP_SA_A_SPI"])


def sa_id_spi(payload):
    """(id, spi) of an SA message, fast enough for 100000 of them."""
    if len(payload) >= _SA_HEAD.size:
        l0, k0, l1, k1, sa_id, l2, k2, l3, k3, spi = _SA_HEAD.unpack_from(payload)
        if (l0, k0, l1, k1, l2, k2, l3, k3) == _SA_HEAD_KINDS:
            return sa_id, spi
    return tuple(first_u32s(payload, "KESP_SA_A_ID", "KESP_SA_A_SPI"))


# KESP_CNT_A_AUTH_ERRORS -> "auth_errors": the names kespctl --json uses.
CNT_NAMES = {v: n[len("KESP_CNT_A_"):].lower() for n, v in K.items()
             if n.startswith("KESP_CNT_A_") and n not in ("KESP_CNT_A_UNSPEC", "KESP_CNT_A_PAD")
             and not n.startswith("__")}


def sa_counters(nl, spi, ifname="kesp0"):
    """The counters of the SA with SPI on IFNAME, as {name: value}, read in
    this process: a kespctl per reading costs a second under TCG."""
    dev = socket.if_nametoindex(ifname)
    for sa in nl.call("KESP_CMD_SA_GET", u32(K["KESP_SA_A_IFINDEX"], dev), dump=True):
        if get_u32(sa, "KESP_SA_A_SPI") == spi:
            nested = parse_attrs(sa[K["KESP_SA_A_COUNTERS"]][0])
            return {CNT_NAMES[k]: struct.unpack("=Q", v[0][:8])[0]
                    for k, v in nested.items() if k in CNT_NAMES}
    raise LookupError("no SA with SPI %#x on %s" % (spi, ifname))
