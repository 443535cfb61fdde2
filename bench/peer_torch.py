#!/usr/bin/python3
"""The torch + scipy peer of jacspec: what a Python user would write.

  peer_torch.py spectrum --init DIR [--per-class M] [--top R] [--threads N] [--dtype D]
      The top R singular values of the Jacobian of the paper's 784-256-3
      softplus net (W1 trained, the weights read from jacspec's --save-init
      DIR: W1.npy, W2.npy) on the first M Fashion-MNIST training images of
      each of the classes 0, 1, 2, from scipy's svds(solver='arpack') on a
      LinearOperator whose J v is torch's forward-mode JVP and whose J^T u is
      an autograd VJP.
  peer_torch.py resnet [--per-class M] [--threads N] [--dtype D]
      Seconds of one JVP and one VJP of ResNet20 without batch norm (as
      jacspec's --arch resnet20: src/model/resnet.c), every tensor trained,
      on the same images. (Checked by hand, 2026-12-01: with jacspec's
      --save-init weights the top 3 singular values of this network's J on
      3 x 10 images agree with `jacspec spectrum --arch resnet20` to 1e-15.)

Each prints one JSON object on stdout. The data are prepared as jacspec
prepares them by default: pixels / 255, every image scaled to unit norm,
the kept classes relabelled 0..K-1 in file order (src/data/idx.c,
classes.c). Rows of J are sample-major (f[i*K + l]) and theta is W1
flattened row-major, as in doc/DESIGN.md, though neither changes the
singular values.

The products are those torch 1.13 (Debian 12's python3-torch) offers
without functorch: torch.autograd.forward_ad for J v, torch.autograd.grad
for J^T u. The VJP reuses one retained forward graph, as jacspec reuses its
activation cache; forward-mode AD has no such reuse, so each J v redoes the
forward pass. Run it with Debian's /usr/bin/python3, where the packages are.
"""
import argparse
import gzip
import json
import os
import resource
import time

import numpy as np
import scipy.sparse.linalg as sla
import torch
import torch.autograd.forward_ad as fwad
import torch.nn.functional as F

DATA_DIR = "/usr/share/datasets/fashion-mnist"
CLASSES = (0, 1, 2)  # T-shirt, trouser, pullover


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def fashion_mnist(per_class):
    """X (n, 784) with unit-norm rows and labels 0..K-1, file order kept."""
    images = read_idx(os.path.join(DATA_DIR, "train-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(DATA_DIR, "train-labels-idx1-ubyte.gz"))
    keep, new_labels, taken = [], [], dict.fromkeys(CLASSES, 0)
    for i, label in enumerate(labels):
        if label in taken and taken[label] < per_class:
            taken[label] += 1
            keep.append(i)
            new_labels.append(CLASSES.index(label))
    x = images[keep].reshape(len(keep), -1) / 255.0
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x, np.array(new_labels)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def spectrum(args, dtype):
    x, _ = fashion_mnist(args.per_class)
    w1 = torch.from_numpy(np.load(os.path.join(args.init, "W1.npy"))).to(dtype)
    w2 = torch.from_numpy(np.load(os.path.join(args.init, "W2.npy"))).to(dtype)
    x = torch.from_numpy(x).to(dtype)
    n, k = x.shape[0], w2.shape[0]

    def f(w):  # (n, K) -> flattened sample-major
        return (F.softplus(x @ w.T) @ w2.T).reshape(-1)

    counts = {"jvp": 0, "vjp": 0}

    def matvec(v):
        counts["jvp"] += 1
        with fwad.dual_level():
            dual = fwad.make_dual(w1, torch.from_numpy(v.reshape(w1.shape)).to(dtype))
            return fwad.unpack_dual(f(dual)).tangent.double().numpy()

    w = w1.clone().requires_grad_(True)
    out = f(w)  # the graph every VJP reuses

    def rmatvec(u):
        counts["vjp"] += 1
        u = torch.from_numpy(np.ascontiguousarray(u).reshape(-1)).to(dtype)
        (g,) = torch.autograd.grad(out, w, u, retain_graph=True)
        return g.reshape(-1).double().numpy()

    op = sla.LinearOperator((n * k, w1.numel()), matvec=matvec, rmatvec=rmatvec,
                            dtype=np.float64)
    start = time.perf_counter()
    _, s, _ = sla.svds(op, k=args.top, solver="arpack", random_state=0)
    seconds = time.perf_counter() - start
    return {"rows": n * k, "cols": w1.numel(), "solve_seconds": seconds,
            "jvp_count": counts["jvp"], "vjp_count": counts["vjp"],
            "peak_rss_mb": peak_rss_mb(),
            "singular_values": sorted(s.tolist(), reverse=True)}


def resnet20(dtype, n_outputs=3, width=16, blocks=3):
    """Parameters {name: tensor} in jacspec's order and the function
    f(params, x) -> (n, n_outputs); He-normal convolutions, N(0, 1/fan_in)
    dense layer, zero biases, as jacspec initialises them."""
    gen = torch.Generator().manual_seed(1)
    params = {}

    def add(name, out_c, in_c, k):
        fan_in = in_c * k * k
        params[name + ".weight"] = torch.randn(out_c, in_c, k, k, generator=gen,
                                               dtype=dtype) * (2.0 / fan_in) ** 0.5
        params[name + ".bias"] = torch.zeros(out_c, dtype=dtype)

    add("stem", width, 1, 3)
    layout = []  # (prefix, stride, has shortcut)
    channels = width
    for stage in range(1, 4):
        filters = width << (stage - 1)
        for block in range(1, blocks + 1):
            prefix = f"stage{stage}.block{block}"
            stride = 2 if stage > 1 and block == 1 else 1
            add(prefix + ".conv1", filters, channels, 3)
            add(prefix + ".conv2", filters, filters, 3)
            shortcut = stride != 1 or channels != filters
            if shortcut:
                add(prefix + ".shortcut", filters, channels, 1)
            layout.append((prefix, stride, shortcut))
            channels = filters
    params["fc.weight"] = torch.randn(n_outputs, channels, generator=gen,
                                      dtype=dtype) / channels ** 0.5
    params["fc.bias"] = torch.zeros(n_outputs, dtype=dtype)

    def conv(p, name, x, stride, pad):
        return F.conv2d(x, p[name + ".weight"], p[name + ".bias"], stride, pad)

    def f(p, x):
        h = F.relu(conv(p, "stem", x, 1, 1))
        for prefix, stride, shortcut in layout:
            y = conv(p, prefix + ".conv2", F.relu(conv(p, prefix + ".conv1", h, stride, 1)), 1, 1)
            h = F.relu(y + (conv(p, prefix + ".shortcut", h, stride, 0) if shortcut else h))
        return F.linear(h.mean(dim=(2, 3)), p["fc.weight"], p["fc.bias"])

    return params, f


def best_of(fn, reps=3):
    best = float("inf")
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def resnet(args, dtype):
    x, _ = fashion_mnist(args.per_class)
    x = torch.from_numpy(x).to(dtype).reshape(-1, 1, 28, 28)
    params, f = resnet20(dtype)
    names = list(params)
    gen = torch.Generator().manual_seed(3)
    tangent = {name: torch.randn(t.shape, generator=gen, dtype=dtype)
               for name, t in params.items()}
    leaves = {name: t.clone().requires_grad_(True) for name, t in params.items()}
    out = f(leaves, x)
    u = torch.randn(out.shape, generator=gen, dtype=dtype)

    def jvp():
        with fwad.dual_level():
            dual = {name: fwad.make_dual(params[name], tangent[name]) for name in names}
            return fwad.unpack_dual(f(dual, x)).tangent

    def vjp():
        return torch.autograd.grad(out, [leaves[name] for name in names], u,
                                   retain_graph=True)

    def forward():
        with torch.no_grad():
            return f(params, x)

    jvp()  # warm-up
    vjp()
    return {"rows": out.numel(), "cols": sum(t.numel() for t in params.values()),
            "forward_seconds": best_of(forward), "jvp_seconds": best_of(jvp),
            "vjp_seconds": best_of(vjp), "peak_rss_mb": peak_rss_mb()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=["spectrum", "resnet"])
    parser.add_argument("--init", help="jacspec's --save-init directory (spectrum)")
    parser.add_argument("--per-class", type=int, default=1000)
    parser.add_argument("--top", type=int, default=50)
    parser.add_argument("--threads", type=int, default=0, help="0: torch's default")
    parser.add_argument("--dtype", choices=["double", "single"], default="double")
    args = parser.parse_args()
    if args.what == "spectrum" and not args.init:
        parser.error("spectrum needs --init DIR (jacspec spectrum ... --save-init DIR)")
    if args.threads:
        torch.set_num_threads(args.threads)
    dtype = torch.float64 if args.dtype == "double" else torch.float32
    result = spectrum(args, dtype) if args.what == "spectrum" else resnet(args, dtype)
    result.update(threads=torch.get_num_threads(), dtype=args.dtype, torch=torch.__version__)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
