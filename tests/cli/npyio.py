"""Minimal .npy writer/reader for the CLI tests (standard library only, so
the tests do not depend on NumPy)."""
import ast
import struct


def write(path, values, shape, descr="<f8"):
    """Writes a flat list `values` as a C-order array of `shape`."""
    fmt = {"<f8": "<d", "<f4": "<f", "<i8": "<q", "<i4": "<i", "|u1": "<B",
           "<i2": "<h", ">f8": ">d"}[descr]
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (
        descr, "(%s)" % "".join(f"{s}," for s in shape))
    pad = 64 - (10 + len(header) + 1) % 64
    header = header + " " * pad + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)))
        f.write(header.encode("latin1"))
        f.write(b"".join(struct.pack(fmt, v) for v in values))


def read(path):
    """Returns (shape, flat list of floats) of a little-endian f8 .npy."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:6] == b"\x93NUMPY", path
    major = data[6]
    if major == 1:
        (hlen,), start = struct.unpack("<H", data[8:10]), 10
    else:
        (hlen,), start = struct.unpack("<I", data[8:12]), 12
    header = ast.literal_eval(data[start:start + hlen].decode("latin1"))
    assert header["descr"] == "<f8" and not header["fortran_order"], header
    shape = tuple(header["shape"])
    count = 1
    for s in shape:
        count *= s
    body = data[start + hlen:]
    assert len(body) == 8 * count, (path, len(body), count)
    return shape, list(struct.unpack("<%dd" % count, body))
