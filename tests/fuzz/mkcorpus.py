#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Write the seed corpora of the fuzzers (tests/fuzz/corpus/NAME/): a few
# small valid messages per parser, as a Linux guest sends them, in the
# input format of each harness (see tests/fuzz/fuzz-util.h: setup bytes,
# then packets of a 16-bit little-endian length and their bytes), so that
# the brief runs of "make check" start deep in the parsers. The files are
# kept in the repository; run this again after changing an input format.
#   tests/fuzz/mkcorpus.py [CORPUS_DIR]

import os
import struct
import sys

top = os.path.dirname(os.path.abspath(__file__))
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(top, 'corpus')


def u16(*v):
    return struct.pack('<%dH' % len(v), *v)


def u32(*v):
    return struct.pack('<%dI' % len(v), *v)


def u64(*v):
    return struct.pack('<%dQ' % len(v), *v)


def pkt(data):
    return u16(len(data)) + data


def write(name, seed, data):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, seed), 'wb') as f:
        f.write(data)


# synthvid: setup byte (VRAM size, MMIO window), packets

def synthvid_msg(msgtype, body):
    return u32(1, 8 + len(body)) + u32(msgtype, 8 + len(body)) + body


def synthvid_output(active, off, depth, w, h, pitch):
    return struct.pack('<BIBIII', active, off, depth, w, h, pitch)


sv = {
    'version': synthvid_msg(1, u32(0x00050003)),
    'vram': synthvid_msg(3, u64(0x1234) + b'\x01' + u64(0xf000000000)),
    'situation': synthvid_msg(5, u64(0x1234) + b'\x01' +
                              synthvid_output(1, 0, 32, 1024, 768, 4096)),
    'dirt': synthvid_msg(10, b'\x00\x02' +
                         struct.pack('<4i', 0, 0, 64, 32) +
                         struct.pack('<4i', 1000, 700, 1024, 768)),
    'shape': synthvid_msg(8, struct.pack('<BBIIII', 0xff, 1, 2, 2, 0, 1) +
                          bytes(16)),
    'position': synthvid_msg(7, struct.pack('<BBii', 1, 0, 100, 200)),
    'resolution': synthvid_msg(13, b'\x40'),
    'bios': synthvid_msg(11, b''),
}
for n, m in sv.items():
    write('synthvid', n, b'\x01' + pkt(m))
write('synthvid', 'session', b'\x01' + b''.join(
    pkt(sv[n]) for n in ('version', 'vram', 'situation', 'dirt', 'shape',
                         'position')))

# input: records of a selector byte and a packet

kbd_proto = u32(1, 0x00010000)
kbd_led = u32(4) + u16(0x2)
hid_proto = u32(1, 8 + 4) + u32(0, 4) + u32(0x00020000)
hid_ack = u32(1, 8 + 1) + u32(3, 1) + b'\x00'
write('input', 'keyboard', b'\x00' + pkt(kbd_proto) + b'\x00' + pkt(kbd_led))
write('input', 'mouse', b'\x01' + pkt(hid_proto) + b'\x01' + pkt(hid_ack))
write('input', 'strokes', b'\x02' + pkt(bytes([0xe0, 0x48])) +
      b'\x02' + pkt(bytes([0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5])) +
      b'\x02' + pkt(bytes([0x1e, 0x9e])))
write('input', 'report', b'\x03' + pkt(u32(1) + u16(100, 200) +
                                        struct.pack('<i', -1)))

# netvsp: records of a selector byte and a packet


def rndis(msgtype, body):
    return u32(msgtype, 8 + len(body)) + body


def rndis_request(msgtype, req_id, oid, info):
    return rndis(msgtype, u32(req_id, oid, len(info), 20 if info else 0, 0)
                 + info)


def utf16(s):
    return s.encode('utf-16-le')


def ppi(ppi_type, value):
    return u32(16, ppi_type, 12, value)


name, value = utf16('NetworkAddress'), utf16('525400123456')
config = u32(20, len(name), 2, 20 + len(name), len(value)) + name + value
# NDIS_OFFLOAD_PARAMETERS revision 2: TCP/UDP checksums and LSO v2 on
offload = (bytes([0x80, 2]) + u16(24) + bytes([0, 3, 3, 3, 3, 0, 0, 2, 2,
                                               0, 0, 0]) + u32(0) +
           bytes(4))
frame = bytes.fromhex('525400123456525400abcdef0800') + bytes(46)
ppis = ppi(0, 0x5) + ppi(2, (1 << 30) | 1448) + ppi(6, 0x10)
packet = rndis(1, u32(36 + len(ppis), len(frame), 0, 0, 0, 36, len(ppis), 0,
                      0) + ppis + frame)
# a pure TCP ACK from slirp (Ethernet, IPv4, TCP), and one with timestamps
ack = (bytes.fromhex('525400123456525400abcdef0800'
                     '45000028000040004006' '0000' '0a000202' '0a00020f'
                     '1451a0b4' '00000064' '00001388' '5010ffff' '00000000'))
ack_ts = (bytes.fromhex('525400123456525400abcdef0800'
                        '45000034000040004006' '0000' '0a000202' '0a00020f'
                        '1451a0b4' '00000064' '00001388' '8010ffff' '00000000'
                        '0101080a0000000100000002'))
nv = {
    'init': b'\x00' + pkt(u32(1, 0x2, 0x60001)),
    'ack': b'\x00' + pkt(ack) + b'\x00' + pkt(ack_ts),
    'rndis-pkt': b'\x00' + pkt(u32(107, 1, 0xffffffff, 0)),
    'gpa-direct': b'\x01' + pkt(u32(0, 2) + u32(100, 4000) + u64(0x100, 0x101)
                                + u32(60, 0) + u64(0x200)),
    'control': b'\x02' + pkt(
        rndis(2, u32(1, 1, 0, 0x4000)) +
        rndis_request(4, 2, 0x00010106, b'') +
        rndis_request(5, 3, 0x0001010e, u32(0xb))),
    'offload': b'\x02' + pkt(rndis_request(5, 4, 0xfc01020c, offload)),
    'mac': b'\x02' + pkt(rndis_request(5, 5, 0x0001021b, config)),
    'packet': b'\x02' + pkt(packet + rndis(8, u32(6))),
}
for n, m in nv.items():
    write('netvsp', n, m)

# vmbus: setup byte (ring pages, GPADL page cap), records of a selector
# byte and a packet

contact = (u32(14, 0, 0x50000, 0) + bytes([2]) + bytes(7) +
           u64(0x10000, 0x11000))
offers = u32(3, 0)
gpadl_hdr = (u32(8, 0, 1, 0xe1e10) + u16(8 + 8 * 4, 1) + u32(4 * 4096, 0) +
             u64(0x100, 0x101))
gpadl_body = u32(9, 0, 0, 0xe1e10) + u64(0x102, 0x103)
open_ch = u32(5, 0, 1, 1, 0xe1e10, 0, 2) + bytes(120)
teardown = u32(11, 0, 1, 0xe1e10)
write('vmbus', 'messages', b'\x00' + b''.join(
    b'\x00' + pkt(m) for m in (contact, offers, gpadl_hdr, gpadl_body,
                               open_ch, teardown)))


def ring_packet(pos, pkt_type, payload, trans_id):
    payload += bytes(-len(payload) % 8)
    desc = u16(pkt_type, 2, (16 + len(payload)) // 8, 1) + u64(trans_id)
    return desc + payload + u64(pos << 32)


p1 = ring_packet(0, 6, u32(1, 0x2, 0x60001), 1)
p2 = ring_packet(len(p1), 9, u32(0, 1) + u32(60, 0) + u64(0x200), 2)
data = p1 + p2
write('vmbus', 'ring', b'\x00\x01' + pkt(u32(len(data), 0, 0, 0) + data))
# a packet that wraps around the end of a one-page ring
wrap = ring_packet(4096 - 24, 6, bytes(40), 3)
ringdata = wrap[24:] + bytes(4096 - 24 - len(wrap[24:])) + wrap[:24]
write('vmbus', 'ring-wrap', b'\x00\x01' + pkt(
    u32(len(wrap) - 24, 4096 - 24, 0, 0) + ringdata))

# ic: setup byte (the service), packets (the guest's answers)


def ic_answer(msgtype, body, status=0, msgsize=None):
    size = len(body) if msgsize is None else msgsize
    return (u32(1, 20 + len(body)) + u16(3, 0, msgtype, 3, 0, size) +
            u32(status) + bytes([1, 5, 0, 0]) + body)


def negotiate(fw, srv):
    body = u16(1, 1) + u32(0) + u16(fw >> 16, fw & 0xffff, srv >> 16,
                                    srv & 0xffff)
    return ic_answer(0, body, msgsize=8 + 4 * 4)


def kvp_enum(value_type, key, value):
    k = utf16(key) + b'\0\0'
    msg = (bytes([3, 2, 0, 0]) + u32(0) + u32(value_type, len(k), len(value))
           + k + bytes(512 - len(k)) + value + bytes(2048 - len(value)))
    # Linux echoes all 7430 bytes; the parser needs an ICKvpEnumerate
    return ic_answer(2, msg)


V = lambda ma, mi: ma << 16 | mi
write('ic', 'heartbeat', b'\x00' + pkt(negotiate(V(3, 0), V(3, 0))) +
      pkt(ic_answer(1, u64(43) + bytes(32))))
write('ic', 'shutdown', b'\x01' + pkt(negotiate(V(3, 0), V(3, 2))) +
      pkt(ic_answer(3, u32(0x80000000, 0, 0))))
write('ic', 'timesync4', b'\x02' + pkt(negotiate(V(3, 0), V(4, 0))) +
      pkt(ic_answer(4, u64(1, 2) + bytes([2, 0, 2, 0, 0, 0]))))
write('ic', 'timesync3', b'\x02' + pkt(negotiate(V(1, 0), V(3, 0))) +
      pkt(ic_answer(4, u64(1, 2, 3) + bytes([1]))))
write('ic', 'kvp', b'\x03' + pkt(negotiate(V(3, 0), V(4, 0))) +
      pkt(kvp_enum(1, 'HostName', utf16('debian') + b'\0\0')))

# storvsp: two setup bytes (session start, controller kind, sub-channel
# cap, max transfer), packets of 4 bytes (ring packet type, flags, payload
# offset / 8, channel) and the ring packet, descriptor included


def vstor(op, body=b'', flags=1, status=0):
    p = u32(op, flags, status) + body
    return p + bytes(64 - len(p))


def storvsp_pkt(payload, ranges=None, chan=0):
    if ranges is None:
        ext, sel = b'', 0
    else:
        ext = u32(0, len(ranges))
        for count, offset, pfns in ranges:
            ext += u32(count, offset) + u64(*pfns)
        sel = 1
    off = (16 + len(ext) + 7) // 8 * 8
    desc = u16(6 if sel == 0 else 9, off // 8, (off + len(payload)) // 8, 1)
    desc += u64(7)
    data = desc + ext + bytes(off - 16 - len(ext)) + payload
    return pkt(bytes([sel, 0, off // 8, 0x80 | chan if chan else 0]) + data)


def srb(path, target, lun, cdb, data_len, data_in=1):
    body = struct.pack('<HBBBBBBBBBBI', 52, 0, 0, 0, path, target, lun,
                       len(cdb), 20, data_in, 0, data_len)
    body += cdb + bytes(16 - len(cdb)) + bytes(4) + u32(0x40, 60, 0)
    return vstor(3, body)


storvsp_init = (storvsp_pkt(vstor(7)) +
                storvsp_pkt(vstor(9, u16(0x0602, 0))) +
                storvsp_pkt(vstor(10)) + storvsp_pkt(vstor(8)))
inquiry = srb(0, 0, 0, bytes([0x12, 0, 0, 0, 36, 0]), 36)
read10 = srb(0, 0, 0, bytes([0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0]), 4096)
write('storvsp', 'scsi-init', b'\x00\x0d' + storvsp_init +
      storvsp_pkt(vstor(13, u16(2))) +
      storvsp_pkt(inquiry, [(36, 0x100, [0x1234])]) +
      storvsp_pkt(read10, [(2048, 0x800, [0x2000]), (2048, 0, [0x2001])]) +
      storvsp_pkt(vstor(6), chan=1))
write('storvsp', 'ide-unit1', b'\x30\x01' + storvsp_init +
      storvsp_pkt(srb(0, 1, 0, bytes([0x12, 0, 0, 0, 36, 0]), 36),
                  [(36, 0, [0x1234])]) +
      storvsp_pkt(srb(0, 0, 0, bytes([0x00] * 6), 0)))
write('storvsp', 'ready-srb', b'\x07\x01' +
      storvsp_pkt(srb(0, 1, 254, bytes([0x25] + [0] * 9), 8),
                  [(8, 4088, [0x10, 0x11])]) +
      storvsp_pkt(srb(0, 0, 0, bytes([0x00] * 6), 0)))
