#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into corpus/<target>/: small
valid files and edge cases of each format (run once; the files are in the
repository, this script says how they were made).

corpus/checkpoint/sgd_linearized is a real checkpoint, from
  jacspec train --data gmm:n=6,classes=2,dim=3 --hidden 2 --steps 4 --rank 2 \
      --optimizer sgd --batch 2 --linearized --checkpoint DIR --checkpoint-every 2
and corpus/checkpoint/truncated its first 200 bytes.

usage: make_corpus.py [DIR]   (default: corpus beside this script)"""
import gzip
import os
import struct
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")


def put(target, name, data):
    os.makedirs(os.path.join(root, target), exist_ok=True)
    with open(os.path.join(root, target, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def npy(descr, shape, payload, version=(1, 0), fortran=False):
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    head = "{'descr': '%s', 'fortran_order': %s, 'shape': (%s), }" % (
        descr, "True" if fortran else "False", dims)
    head += " " * (63 - (len(head) + 10 + (2 if version[0] > 1 else 0)) % 64) + "\n"
    length = struct.pack("<H" if version[0] == 1 else "<I", len(head))
    return b"\x93NUMPY" + bytes(version) + length + head.encode() + payload


put("npy", "f8_2x3", npy("<f8", (2, 3), struct.pack("<6d", *range(6))))
put("npy", "f4_big", npy(">f4", (3,), struct.pack(">3f", 1.5, -2, 3)))
put("npy", "i1", npy("|i1", (4,), bytes([0, 1, 255, 128])))
put("npy", "u8_v2", npy("<u8", (2,), struct.pack("<2Q", 1, 2**63), version=(2, 0)))
put("npy", "bool_0d", npy("|b1", (), b"\x01"))
put("npy", "empty", npy("<f8", (0, 5), b""))
put("npy", "fortran", npy("<f8", (1,), b"\0" * 8, fortran=True))
put("npy", "truncated", npy("<i4", (10,), b"\0" * 12))

def idx_pair(labels, rows, cols, per_class_ok=True):
    n = len(labels)
    lab = struct.pack(">II", 0x801, n) + bytes(labels)
    img = struct.pack(">IIII", 0x803, n, rows, cols) + bytes(
        (i * 37) % 256 for i in range(n * rows * cols))
    return struct.pack(">BH", 0, len(lab)) + lab + img


put("idx", "pair_3x2x2", idx_pair([0, 1, 2], 2, 2))
pair = idx_pair([1, 0, 1, 0], 1, 3)
put("idx", "classes_10", bytes([4 | 1]) + pair[1:])
labels_gz = gzip.compress(struct.pack(">II", 0x801, 2) + bytes([0, 1]))
images = struct.pack(">IIII", 0x803, 2, 1, 1) + b"\x10\x20"
put("idx", "gzipped_labels", struct.pack(">BH", 0, len(labels_gz)) + labels_gz + images)
put("idx", "count_mismatch", idx_pair([0, 1], 1, 1)[:-1])

put("csv", "header", "\x03a,b,label\n0.5,1,0\n2,3e-1,1\n")
put("csv", "no_header", "\x00" + "1,2,0\n3,4,1\n\n5,6,2")
put("csv", "bom_crlf", "\x03\xef\xbb\xbfx,label\r\n1,0\r\n2,1\r\n")
put("csv", "ragged", "\x01" + "1,2\n3\n")
put("csv", "quoted_name", "\x07\"x\",\"y\"\n1,0\n")
put("csv", "gzipped", b"\x01" + gzip.compress(b"0,1\n1,0\n"))

put("gzip", "plain", "some plain text\n")
put("gzip", "small", gzip.compress(b"hello, world\n" * 4))
put("gzip", "two_members", gzip.compress(b"a") + gzip.compress(b"b"))
put("gzip", "truncated", gzip.compress(b"x" * 1000)[:-6])
put("gzip", "empty", b"")

put("spec", "gmm", "\x00n=100,classes=3,clusters=2,dim=20,sigma=0.5,sep=1.2,seed=3,task=4")
put("spec", "parity", "\x01n=50,bits=8,degree=2,seed=1")
put("spec", "lowrank", "\x02n=20,dim=30,rank=4,sx=1e-1,sy=2")
put("spec", "bad", "\x00n=,=3,dim=1e99,,seed=-1")

put("options", "model", b"\0".join([b"--hidden", b"512,512", b"--act=leaky:0.1", b"--mem",
                                     b"1.5G", b"--seed", b"9223372036854775807"]))
put("options", "data", b"\0".join([b"--data", b"gmm:n=10", b"--classes", b"0,1,2",
                                    b"--no-normalize", b"--tol=1e-9", b"--ncv", b"40"]))
put("options", "errors", b"\0".join([b"--bogus", b"plain", b"--no-normalize=1", b"--x"]))
