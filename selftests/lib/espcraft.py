"""ESP packets built by hand (RFC 4303), for selftests that send what a peer
would: the payload with its trailer, then sealed with AES-GCM (RFC 4106) or
AES-CBC and HMAC-SHA-256-128 (RFC 3602, RFC 4868). Sequence numbers are 32
bits here (no ESN)."""
import hashlib
import hmac
import os
import socket
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from inet_checksum import checksum


def udp4(src, dst, sport, dport, data, ident=1):
    """An IPv4 packet with a UDP datagram; its UDP checksum zero."""
    udp = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), ident, 0, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    return ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:] + udp


def with_trailer(payload, block, nexthdr):
    """PAYLOAD, padding 1, 2, 3... to BLOCK, pad length and next header."""
    n = (block - (len(payload) + 2) % block) % block
    return payload + bytes(range(1, n + 1)) + bytes([n, nexthdr])


def gcm(key, salt, spi, seq, payload, nexthdr=4, iv=None):
    """AES-GCM ESP with a 16-byte ICV; KEY without the 4-byte SALT."""
    iv = os.urandom(8) if iv is None else iv
    header = struct.pack("!II", spi, seq)
    return header + iv + AESGCM(key).encrypt(salt + iv, with_trailer(payload, 4, nexthdr), header)


def cbc_sha256(enc_key, auth_key, spi, seq, payload, nexthdr=4):
    """AES-CBC ESP authenticated with HMAC-SHA-256-128."""
    iv = os.urandom(16)
    enc = Cipher(algorithms.AES(enc_key), modes.CBC(iv)).encryptor()
    body = struct.pack("!II", spi, seq) + iv + enc.update(with_trailer(payload, 16, nexthdr)) + enc.finalize()
    return body + hmac.new(auth_key, body, hashlib.sha256).digest()[:16]
