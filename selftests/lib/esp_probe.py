"""Hand-made inbound ESP, one packet at a time: send it, and learn whether
its inner datagram was delivered as soon as that is known, not after a
fixed wait. A delivery ends the wait when the datagram arrives. A drop
ends it when one of the SA's error counters moves: the module counts a
packet it refuses before it lets go of it, so a packet counted as dropped
can no longer arrive. A drop that no counter of the SA records (a packet
for another SPI) is only known after a quiet spell.

Counters are read over the kesp family in this process (kespnl): a
kespctl per reading costs most of a second under TCG.
"""
import select
import socket
import time

from kespnl import Kesp, sa_counters

# How long a delivery may take, and the quiet spell after an uncounted drop.
DELIVERY_WAIT = 3.0
QUIET = 0.3


class InboundSA:
    """The counters of the inbound SA SPI on IFNAME, as kespctl --json names them."""

    def __init__(self, spi, ifname="kesp0"):
        self.nl = Kesp()
        self.spi = spi
        self.ifname = ifname

    def counters(self):
        return sa_counters(self.nl, self.spi, self.ifname)

    def errors(self):
        return sum(v for k, v in self.counters().items() if k.endswith("_errors"))


class Receiver:
    """The socket RX where inner datagrams arrive (their payload is a tag,
    text), for packets meant for the inbound SA SA. With IP_RECVTOS set on
    RX, each tag's TOS is kept in last_tos."""

    def __init__(self, rx, sa):
        self.rx = rx
        self.sa = sa
        self.last_tos = {}

    def _take(self, timeout):
        """The tag of the next datagram within TIMEOUT seconds, or None."""
        if not select.select([self.rx], [], [], max(timeout, 0))[0]:
            return None
        data, anc, _, _ = self.rx.recvmsg(2048, socket.CMSG_SPACE(1))
        tag = data.decode(errors="replace")
        for level, kind, value in anc:
            if level == socket.IPPROTO_IP and kind == socket.IP_TOS:
                self.last_tos[tag] = value[0]
        return tag

    def send(self, tx, dest, packet, tag=None, expect=True):
        """Sends PACKET from socket TX to DEST; True if the datagram TAG
        (without TAG: any datagram) was delivered. EXPECT is the outcome
        the caller expects; it only decides how the wait can end early."""
        errors = None if expect else self.sa.errors()
        tx.sendto(packet, (dest, 0))
        end = time.monotonic() + (DELIVERY_WAIT if expect else QUIET)
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return False
            got = self._take(left if expect else min(left, 0.02))
            if got is not None:
                if tag is None or got == tag:
                    return True
                continue
            if errors is not None and self.sa.errors() > errors:
                # Counted as dropped: only a copy already queued could show.
                while (got := self._take(0)) is not None:
                    if tag is None or got == tag:
                        return True
                return False
