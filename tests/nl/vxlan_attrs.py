#!/usr/bin/python3
"""Print the raw IFLA_VXLAN_* attributes of one device as JSON {"type": "hex"}.

An independent reader (plain sockets and struct, no libmnl) for the options
iproute2 6.1 cannot show: IFLA_VXLAN_LOCALBYPASS (31, kernel >= 6.7) and an
unambiguous IFLA_VXLAN_TTL_INHERIT (28). Usage: vxlan_attrs.py DEVNAME
"""
import json
import socket
import struct
import sys

NETLINK_ROUTE = 0
RTM_NEWLINK, RTM_GETLINK = 16, 18
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2
IFLA_IFNAME, IFLA_LINKINFO = 3, 18
IFLA_INFO_KIND, IFLA_INFO_DATA = 1, 2


def attrs(buf):
    """Yield (type, payload) of a run of netlink attributes, checking lengths."""
    off = 0
    while off + 4 <= len(buf):
        alen, atype = struct.unpack_from("=HH", buf, off)
        if alen < 4 or off + alen > len(buf):
            raise ValueError("bad attribute length")
        yield atype & 0x3FFF, buf[off + 4 : off + alen]
        off += (alen + 3) & ~3


def main():
    name = sys.argv[1].encode() + b"\0"
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
    s.bind((0, 0))
    ifname = struct.pack("=HH", 4 + len(name), IFLA_IFNAME) + name
    ifname += b"\0" * (-len(ifname) % 4)
    body = struct.pack("=BxHiII", socket.AF_UNSPEC, 0, 0, 0, 0) + ifname
    hdr = struct.pack("=IHHII", 16 + len(body), RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, 1, 0)
    s.send(hdr + body)
    out = None
    while out is None:
        data = s.recv(65536)
        off = 0
        while off + 16 <= len(data):
            mlen, mtype, _, seq, _ = struct.unpack_from("=IHHII", data, off)
            msg = data[off + 16 : off + mlen]
            if mtype == NLMSG_ERROR:
                err = struct.unpack_from("=i", msg)[0]
                if err:
                    sys.exit("error %d" % err)
                if out is None:
                    sys.exit("no RTM_NEWLINK before the ack")
            elif mtype == RTM_NEWLINK and seq == 1:
                out = {}
                for t, p in attrs(msg[16:]):
                    if t != IFLA_LINKINFO:
                        continue
                    for it, ip in attrs(p):
                        if it == IFLA_INFO_DATA:
                            for vt, vp in attrs(ip):
                                out[str(vt)] = vp.hex()
            off += (mlen + 3) & ~3
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
