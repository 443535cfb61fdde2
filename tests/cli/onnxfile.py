"""A small ONNX writer for the CLI tests (Python's standard library only):
protobuf encoding of just the ModelProto fields the tests' models use, so
they can build models jacspec does not write (BatchNormalization, MatMul,
Sub, Div, Reshape) and broken ones, without python3-onnx."""
import struct

DOUBLE, INT64, FLOAT = 11, 7, 1


def _varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _int(field, v):
    return _varint(field << 3) + _varint(v)


def _bytes(field, b):
    b = b.encode() if isinstance(b, str) else b
    return _varint(field << 3 | 2) + _varint(len(b)) + b


def tensor(name, dims, values, dtype=DOUBLE):
    fmt = {DOUBLE: "d", INT64: "q", FLOAT: "f"}[dtype]
    raw = struct.pack(f"<{len(values)}{fmt}", *values)
    return (b"".join(_int(1, d) for d in dims) + _int(2, dtype) + _bytes(8, name) +
            _bytes(9, raw))


def attr(name, value):
    """An int, float, string or list-of-ints attribute."""
    if isinstance(value, bool) or isinstance(value, int):
        return _bytes(1, name) + _int(20, 2) + _int(3, value)
    if isinstance(value, float):
        return _bytes(1, name) + _int(20, 1) + _varint(2 << 3 | 5) + struct.pack("<f", value)
    if isinstance(value, str):
        return _bytes(1, name) + _int(20, 3) + _bytes(4, value)
    return _bytes(1, name) + _int(20, 7) + b"".join(_int(8, v) for v in value)


def node(op, inputs, outputs, name="", **attrs):
    return (b"".join(_bytes(1, i) for i in inputs) + b"".join(_bytes(2, o) for o in outputs) +
            _bytes(3, name) + _bytes(4, op) +
            b"".join(_bytes(5, attr(k, v)) for k, v in attrs.items()))


def value_info(name, dims, elem=DOUBLE):
    """dims: ints, or strings for symbolic dimensions."""
    shape = b"".join(_bytes(1, _bytes(2, d) if isinstance(d, str) else _int(1, d))
                     for d in dims)
    return _bytes(1, name) + _bytes(2, _bytes(1, _int(1, elem) + _bytes(2, shape)))


def model(nodes, initializers, inputs, outputs, opset=13):
    graph = (b"".join(_bytes(1, n) for n in nodes) + _bytes(2, "test") +
             b"".join(_bytes(5, t) for t in initializers) +
             b"".join(_bytes(11, i) for i in inputs) + b"".join(_bytes(12, o) for o in outputs))
    return _int(1, 7) + _bytes(7, graph) + _bytes(8, _bytes(1, "") + _int(2, opset))
