#!/usr/bin/python3
"""vxctl: the vxnet control protocol (include/vxnet/ctl.h) from Python, for
the netns tests that must talk to vxnetd without the vxnet CLI: requests the
CLI would refuse before sending (to prove the daemon checks them itself),
many requests over one connection (thousands of fdb entries in a second),
and clients that misbehave on purpose (slow, silent, idle).

Importable (tests put tests/netns on sys.path) or run as a command:

    vxctl.py SOCK raw TYPE [ATTR=VALUE...]   one request; prints "status=N why=TEXT objects=N"
    vxctl.py SOCK fdb-bulk DEV N DST         N fdb add (02:00:5e:NN:NN:NN) dst DST; prints how many failed
    vxctl.py SOCK link-bulk add|del PREFIX N [vnibase=V] [ATTR=VALUE...]   N links PREFIX0.. (VNIs V..,
                                             default 1000..); prints failures and seconds
    vxctl.py ADDR learn VNI N [FIRST [SRC]]  N VXLAN datagrams to ADDR:4789 (from SRC), inner sources
                                             bulk_mac(FIRST..FIRST+N-1)

TYPE is a request name (link-add, fdb-add, neigh-add, ...); ATTR a name of
ATTRS below, VALUE as its kind reads it (addresses and MACs as text).
"""
import ipaddress
import socket
import struct
import sys
import time

VERSION = 1
HDR = struct.Struct("=IHHIi")  # len, version, type, seq, status (host order)
MSG_MAX = 8192

# enum ctl_msg_type: numbers fixed by the protocol (ctl.h).
TYPES = {
    "link-add": 1, "link-del": 2, "link-show": 3,
    "fdb-add": 4, "fdb-append": 5, "fdb-replace": 6, "fdb-del": 7, "fdb-show": 8,
    "neigh-add": 9, "neigh-replace": 10, "neigh-del": 11, "neigh-show": 12,
    "monitor": 13,
}
DONE, LINK, FDB, NEIGH, EVENT = 64, 65, 66, 67, 68

# enum ctl_attr_type: name -> (number, kind).
ATTRS = {
    "ifname": (1, "str"), "vni": (2, "u32"), "dstport": (3, "u16"), "local": (4, "addr"),
    "remote": (5, "addr"), "group": (6, "addr"), "dev": (7, "str"), "learning": (8, "u8"),
    "proxy": (9, "u8"), "ageing": (10, "u32"), "maxaddress": (11, "u32"), "ttl": (12, "u8"),
    "tos": (13, "u8"), "mtu": (17, "u32"), "address": (18, "mac"), "netns": (19, "str"),
    "lladdr": (21, "mac"), "dst": (22, "addr"), "port": (23, "u16"), "rvni": (24, "u32"),
    "datapath": (32, "u8"),
}
A_ERRMSG = 28


def _payload(kind, value):
    if kind == "str":
        return value.encode() + b"\0"
    if kind == "u8":
        return struct.pack("=B", int(value, 0) if isinstance(value, str) else value)
    if kind == "u16":
        return struct.pack("=H", int(value, 0) if isinstance(value, str) else value)
    if kind == "u32":
        return struct.pack("=I", int(value, 0) if isinstance(value, str) else value)
    if kind == "addr":
        return ipaddress.ip_address(value).packed
    if kind == "mac":
        return bytes(int(x, 16) for x in value.split(":"))
    raise ValueError(kind)


def attr(name, value):
    num, kind = ATTRS[name]
    data = _payload(kind, value)
    a = struct.pack("=HH", 4 + len(data), num) + data
    return a + b"\0" * (-len(a) % 4)


def message(mtype, attrs=(), seq=1):
    """A request: mtype a TYPES name or number, attrs (name, value) pairs."""
    if isinstance(mtype, str):
        mtype = TYPES[mtype]
    body = b"".join(attr(n, v) for n, v in attrs)
    return HDR.pack(HDR.size + len(body), VERSION, mtype, seq, 0) + body


def parse(buf):
    """(type, seq, status, {attr number: first payload})."""
    length, _version, mtype, seq, status = HDR.unpack_from(buf)
    attrs, off = {}, HDR.size
    while off + 4 <= min(length, len(buf)):
        alen, anum = struct.unpack_from("=HH", buf, off)
        if alen < 4:
            break
        attrs.setdefault(anum, buf[off + 4:off + alen])
        off += (alen + 3) & ~3
    return mtype, seq, status, attrs


def errmsg(attrs):
    return attrs.get(A_ERRMSG, b"").rstrip(b"\0").decode(errors="replace")


def connect(path, timeout=5.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(timeout)
    s.connect(path)
    return s


def call(s, mtype, attrs=(), seq=1):
    """Send one request and read up to its DONE: (status, why, objects)."""
    s.send(message(mtype, attrs, seq))
    objects = 0
    while True:
        buf = s.recv(MSG_MAX)
        if not buf:
            raise ConnectionError("vxnetd closed the connection")
        t, _seq, status, a = parse(buf)
        if t == DONE:
            return status, errmsg(a), objects
        objects += 1


def bulk_mac(i):
    return "02:00:5e:%02x:%02x:%02x" % ((i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff)


def vxlan_frames(vni, n, first=0):
    """n VXLAN datagrams (header and inner frame) whose inner source MACs are
    bulk_mac(first..first+n-1): broadcast frames of EtherType 0x88b5 (local
    experimental), which a receiver learns and no stack answers."""
    hdr = struct.pack("!II", 0x08000000, vni << 8)
    for i in range(first, first + n):
        src = bytes(int(x, 16) for x in bulk_mac(i).split(":"))
        yield hdr + b"\xff" * 6 + src + b"\x88\xb5" + b"\0" * 46


def main(argv):
    path, cmd, args = argv[1], argv[2], argv[3:]
    if cmd == "learn":
        # path is the VTEP's address here: vxctl.py ADDR learn VNI N [FIRST [SRC]]
        u = socket.socket(socket.AF_INET6 if ":" in path else socket.AF_INET, socket.SOCK_DGRAM)
        vni, n = int(args[0]), int(args[1])
        first = int(args[2]) if len(args) > 2 else 0
        if len(args) > 3:
            u.bind((args[3], 0))
        for i, d in enumerate(vxlan_frames(vni, n, first)):
            u.sendto(d, (path, 4789))
            if i % 64 == 63:
                time.sleep(0.001)  # within the receiver's socket buffer
        print(n)
        return 0
    s = connect(path)
    if cmd == "raw":
        pairs = [a.split("=", 1) for a in args[1:]]
        status, why, n = call(s, args[0], pairs)
        print("status=%d why=%s objects=%d" % (status, why, n))
        return 0
    if cmd == "fdb-bulk":
        dev, n, dst = args[0], int(args[1]), args[2]
        failed = 0
        for i in range(n):
            status, why, _ = call(s, "fdb-add", [("ifname", dev), ("lladdr", bulk_mac(i)), ("dst", dst)], i + 1)
            if status:
                failed += 1
                if failed == 1:
                    print("first failure: %d %s" % (status, why), file=sys.stderr)
        print(failed)
        return 0
    if cmd == "link-bulk":
        verb, prefix, n = args[0], args[1], int(args[2])
        extra = [a.split("=", 1) for a in args[3:]]
        base = 1000  # VNIs base.. (vnibase=N to change)
        for kv in [e for e in extra if e[0] == "vnibase"]:
            base = int(kv[1])
            extra.remove(kv)
        failed = 0
        t0 = time.monotonic()
        for i in range(n):
            if verb == "add":
                attrs = [("ifname", "%s%d" % (prefix, i)), ("vni", str(base + i))] + extra
                status, why, _ = call(s, "link-add", attrs, i + 1)
            else:
                status, why, _ = call(s, "link-del", [("ifname", "%s%d" % (prefix, i))], i + 1)
            if status:
                failed += 1
                if failed == 1:
                    print("first failure: %d %s" % (status, why), file=sys.stderr)
        print("%d %.3f" % (failed, time.monotonic() - t0))
        return 0
    print("vxctl: unknown command %s" % cmd, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
