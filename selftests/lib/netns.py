"""Sockets in another network namespace, for selftests that run in one
namespace and need to send or listen in another without a process there."""
import ctypes
import os
import socket

libc = ctypes.CDLL(None, use_errno=True)


def socket_in_netns(name, *args):
    """A socket created in namespace NAME (or the namespace file NAME names,
    when it is a path), this thread staying where it is."""
    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    other = os.open(name if name.startswith("/") else "/run/netns/" + name, os.O_RDONLY)
    try:
        if libc.setns(other, 0) != 0:
            raise OSError(ctypes.get_errno(), "setns")
        return socket.socket(*args)
    finally:
        libc.setns(own, 0)
        os.close(own)
        os.close(other)
