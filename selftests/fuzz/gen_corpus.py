#!/usr/bin/env python3
# Writes the small seed corpora in selftests/fuzz/corpus/ (committed; rerun
# only to change them). Layouts follow RFC 7296 §3 and RFC 7383 §2.5.
import os, struct

def pl(nxt, body, crit=0):
    return bytes([nxt, crit]) + struct.pack('>H', 4 + len(body)) + body

def chain(items, last_next=0):
    # items: list of (type, body); returns (first type, bytes)
    out = b''
    for i, (t, b) in enumerate(items):
        nxt = items[i + 1][0] if i + 1 < len(items) else last_next
        out += pl(nxt, b)
    return (items[0][0] if items else 0), out

def msg(first, payloads, exch=34, flags=0x08, msgid=0):
    l = 28 + len(payloads)
    return b'\x11' * 8 + b'\x00' * 8 + bytes([first, 0x20, exch, flags]) + \
        struct.pack('>II', msgid, l) + payloads

def transform(t, tid, keylen=None, last=False):
    attr = struct.pack('>HH', 0x800e, keylen) if keylen else b''
    return bytes([0 if last else 3, 0]) + struct.pack('>H', 8 + len(attr)) + \
        bytes([t, 0]) + struct.pack('>H', tid) + attr

def proposal(num, proto, spi, trans, last):
    body = b''.join(transform(*x, last=i + 1 == len(trans)) for i, x in enumerate(trans))
    hdr = bytes([0 if last else 2, 0]) + struct.pack('>H', 8 + len(spi) + len(body)) + \
        bytes([num, proto, len(spi), len(trans)]) + spi
    return hdr + body

sa_ike = proposal(1, 1, b'', [(1, 20, 256), (2, 6), (4, 31), (4, 19)], False) + \
    proposal(2, 1, b'', [(1, 12, 128), (3, 12), (2, 5), (4, 14)], True)
sa_esp = proposal(1, 3, b'\xde\xad\xbe\xef', [(1, 20, 128), (5, 0)], True)
ke = struct.pack('>HH', 31, 0) + bytes(range(32))
nonce = bytes(range(100, 132))
natd = struct.pack('>BBH', 0, 0, 16388) + b'\x5a' * 20
frag = struct.pack('>BBH', 0, 0, 16430)
ts4 = bytes([1, 0, 0, 0, 7, 0]) + struct.pack('>HHH', 16, 0, 65535) + bytes([10, 0, 0, 0, 10, 0, 0, 255])
ts6 = bytes([1, 0, 0, 0, 8, 17]) + struct.pack('>HHH', 40, 500, 500) + bytes(16) + b'\xff' * 16
idi = bytes([2, 0, 0, 0]) + b'moon.example.org'
auth = bytes([2, 0, 0, 0]) + b'\xaa' * 32
cp = bytes([1, 0, 0, 0]) + struct.pack('>HH', 1, 0) + struct.pack('>HH', 3, 4) + bytes([192, 0, 2, 1])
eap = bytes([2, 7]) + struct.pack('>H', 6) + bytes([1, ord('x')])
dele = bytes([3, 4]) + struct.pack('>H', 2) + bytes(range(8))
cert = bytes([4]) + b'\x30' * 16
vid = b'kesp'

seeds_decode = {}
f, b = chain([(33, sa_ike), (34, ke), (40, nonce), (41, natd), (41, frag)])
seeds_decode['ike_sa_init'] = msg(f, b)
f, b = chain([(35, idi), (37, cert), (38, cert), (39, auth), (47, cp), (33, sa_esp),
              (44, ts4), (45, ts6), (48, eap), (42, dele), (43, vid)])
seeds_decode['ike_auth_plain'] = msg(f, b, exch=35, msgid=1)
# RFC 7634 Appendix B: INFORMATIONAL with an SK payload (AAD | IV | ct | ICV)
rfc7634 = bytes.fromhex(
    'c0c1c2c3c4c5c6c7d0d1d2d3d4d5d6d72e202500000000090000004529000029'
    '1011121314151617'
    '610394701f8d017f7c129248896b71bfe25236efd7cdc67066906315b2')
seeds_decode['rfc7634_informational'] = rfc7634
skf = pl(35, struct.pack('>HH', 1, 2) + bytes(40))
seeds_decode['skf_fragment'] = msg(53, skf, exch=35, msgid=1)
seeds_decode['unknown_critical'] = msg(60, pl(0, b'\x01', crit=0x80), exch=37)
# A response carrying the accepted proposal #2 (RFC 7296 §3.3.1)
seeds_decode['response_proposal_2'] = msg(33, pl(0, proposal(2, 1, b'', [(1, 20, 256), (2, 6), (4, 31)], True)),
                                          flags=0x20)
# strongSwan 5.9.8 "proposals = default": 38 transforms in one proposal
swan = [(1, 12, 128), (1, 12, 192), (1, 12, 256), (1, 13, 128), (1, 13, 192), (1, 13, 256),
        (1, 23, 128), (1, 23, 192), (1, 23, 256), (1, 24, 128), (1, 24, 192), (1, 24, 256), (1, 3),
        (3, 12), (3, 13), (3, 14), (3, 5), (3, 8), (3, 2),
        (2, 5), (2, 6), (2, 7), (2, 4), (2, 8), (2, 2)] + \
       [(4, g) for g in (19, 20, 21, 28, 29, 30, 31, 32, 15, 16, 17, 18, 14)]
seeds_decode['strongswan_default'] = msg(33, pl(0, proposal(1, 1, b'', swan, True)))
# Unknown critical payload before SK (judged only after the ICV), and an
# SKF fragment after a Vendor ID (RFC 7383: last, not alone)
seeds_decode['critical_before_sk'] = msg(60, pl(46, b'\x01', crit=0x80) + pl(41, bytes(40)), exch=37)
seeds_decode['skf_after_vendor'] = msg(43, pl(53, vid) + pl(0, struct.pack('>HH', 2, 2) + bytes(40)),
                                       exch=35, msgid=1)

seeds_sk = {
    'rfc7634_chacha': bytes([2]) + rfc7634,
    'sealed_notify_gcm': bytes([0x80, 41]) + pl(0, struct.pack('>BBH', 0, 0, 16384)) + b'\x00',
    'sealed_chain_chacha': bytes([0x82, 35]) + chain([(35, idi), (39, auth)])[1] + b'\x00',
    'sealed_notify_cbc': bytes([0x83, 41]) + pl(0, struct.pack('>BBH', 0, 0, 16384)) + b'\x00' * 11 + b'\x0b',
    'sealed_badpad_cbc': bytes([0x84, 41]) + b'\x00' * 15 + b'\xff',
    'raw_cbc_sk': bytes([3]) + msg(46, pl(41, bytes(16 + 16 + 16)), exch=37),
}

here = os.path.dirname(os.path.abspath(__file__))
for d, seeds in (('fuzz_decode', seeds_decode), ('fuzz_sk', seeds_sk)):
    os.makedirs(os.path.join(here, 'corpus', d), exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(here, 'corpus', d, name), 'wb') as fh:
            fh.write(data)
