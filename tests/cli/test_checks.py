"""CLI checks against independent computations done here: what each data
source hands to the model, the linear network's split and training rows,
the information/nuisance split of training on Gaussian-mixture data, and
bad input (each a clear line and no output left behind).

With no hidden layer (f(x) = W x, W K x d, trained), the Jacobian is
J = X (x) I_K up to a permutation of rows and columns, so its singular
values are those of X, each K times, and lambda_1^2 is the largest
eigenvalue of X X^T. This script decodes the files itself (Python's gzip
and struct, a plain Jacobi eigensolver), forms X and the labels, and
compares:
  - the top singular values from `jacspec spectrum` (1e-10 relative);
  - step 0 and 1 of `jacspec train` with the saved initial W: loss,
    training error and the automatic learning rate 1 / lambda_1^2,
    recomputed from X, the labels and W (1e-10 relative).
That checks pixel decoding and scaling, gzip, CSV with and without a
header, class selection, relabelling and --per-class, unit-norm rows and
--no-normalize, end to end.

usage: test_checks.py JACSPEC CASE   (meson runs one CASE per test)
"""
import gzip
import json
import math
import os
import random
import struct

import npyio
from clitest import fails, main, run

FASHION = "/usr/share/datasets/fashion-mnist"


# ---------------------------------------------------------------- reference

def jacobi_eigenvalues(a):
    """Eigenvalues (descending) of a small symmetric matrix, cyclic Jacobi."""
    return [e for e, _ in jacobi(a)]


def jacobi(a):
    """(eigenvalue, eigenvector) pairs, eigenvalues descending, of a small
    symmetric matrix by cyclic Jacobi rotations."""
    n = len(a)
    a = [row[:] for row in a]
    v = [[float(i == j) for j in range(n)] for i in range(n)]
    for _ in range(100):
        off = sum(a[i][j] ** 2 for i in range(n) for j in range(n) if i != j)
        if off <= 1e-30 * sum(a[i][i] ** 2 for i in range(n)):
            break
        for p in range(n - 1):
            for q in range(p + 1, n):
                if a[p][q] == 0:
                    continue
                theta = (a[q][q] - a[p][p]) / (2 * a[p][q])
                t = math.copysign(1, theta) / (abs(theta) + math.sqrt(theta * theta + 1))
                c = 1 / math.sqrt(t * t + 1)
                s = t * c
                for k in range(n):  # columns p, q
                    akp, akq = a[k][p], a[k][q]
                    a[k][p], a[k][q] = c * akp - s * akq, s * akp + c * akq
                for k in range(n):  # rows p, q
                    apk, aqk = a[p][k], a[q][k]
                    a[p][k], a[q][k] = c * apk - s * aqk, s * apk + c * aqk
                for k in range(n):  # eigenvectors: the columns of v
                    vkp, vkq = v[k][p], v[k][q]
                    v[k][p], v[k][q] = c * vkp - s * vkq, s * vkp + c * vkq
    pairs = [(a[i][i], [v[k][i] for k in range(n)]) for i in range(n)]
    return sorted(pairs, key=lambda e: -e[0])


def normalize(x):
    return [[v / math.sqrt(sum(w * w for w in row)) for v in row] for row in x]


def expected_singular_values(x, k, r):
    gram = [[sum(a * b for a, b in zip(xi, xj)) for xj in x] for xi in x]
    values = [math.sqrt(max(e, 0.0)) for e in jacobi_eigenvalues(gram) for _ in range(k)]
    return values[:r]


def outputs(w, x):
    return [[sum(wl[j] * xi[j] for j in range(len(xi))) for wl in w] for xi in x]


def loss_and_error(w, x, labels, k):
    f = outputs(w, x)
    loss = 0.5 * sum((f[i][l] - (l == labels[i])) ** 2 for i in range(len(x)) for l in range(k))
    wrong = sum(max(range(k), key=lambda l: f[i][l]) != labels[i] for i in range(len(x)))
    return loss, wrong / len(x)


def gd_step(w, x, labels, k, lr):
    """W - lr J^T r: J^T r is R^T X for the residual R (n x K)."""
    f = outputs(w, x)
    res = [[f[i][l] - (l == labels[i]) for l in range(k)] for i in range(len(x))]
    return [[w[l][j] - lr * sum(res[i][l] * x[i][j] for i in range(len(x)))
             for j in range(len(w[0]))] for l in range(k)]


def close(a, b, tol=1e-10):
    return abs(a - b) <= tol * max(abs(b), 1e-300)


def check_source(tmp, source, x, labels, k, normalized=True):
    """`source` (CLI data options) must give inputs x (rows, before the
    unit-norm scaling) and class ids `labels` in 0..k-1."""
    x = normalize(x) if normalized else x
    extra = [] if normalized else ["--no-normalize"]
    n, d = len(x), len(x[0])
    r = min(n * k, d * k) - 1
    want = expected_singular_values(x, k, r)
    # Lanczos, and the dense solver where J is small enough to form quickly.
    for dense in ([], ["--dense"]) if d * k <= 200 else ([],):
        spec = json.loads(run("spectrum", "--quiet", "--json", "-", *source, *extra,
                              "--hidden", "none", "--top", str(r), *dense).stdout)
        assert spec["n_samples"] == n and spec["n_outputs"] == k, spec
        assert spec["n_params"] == d * k, spec
        got = spec["singular_values"]
        assert len(got) == r, got
        for s, (a, b) in enumerate(zip(got, want)):
            assert abs(a - b) <= 1e-10 * want[0], (dense, s, a, b)

    res = json.loads(run("train", "--quiet", "--json", "-", *source, *extra, "--hidden", "none",
                         "--steps", "1", "--space", "none", "--save-init", f"{tmp}/w").stdout)
    (rows, cols), flat = npyio.read(f"{tmp}/w/W1.npy")
    assert (rows, cols) == (k, d), (rows, cols)
    w = [flat[l * d:(l + 1) * d] for l in range(k)]
    assert close(res["lr"], 1 / want[0] ** 2), (res["lr"], want[0])
    loss, error = loss_and_error(w, x, labels, k)
    assert close(res["rows"][0]["loss"], loss), (res["rows"][0], loss)
    assert abs(res["rows"][0]["train_error"] - error) < 1e-12, (res["rows"][0], error)
    loss1, error1 = loss_and_error(gd_step(w, x, labels, k, res["lr"]), x, labels, k)
    assert close(res["rows"][1]["loss"], loss1, 1e-9), (res["rows"][1], loss1)
    assert abs(res["rows"][1]["train_error"] - error1) < 1e-12, (res["rows"][1], error1)


# ---------------------------------------------------------------- files

SIDE = 3


def write_idx(tmp, images, labels, compress, name="d"):
    n = len(images)
    data = {"images": struct.pack(">IIII", 0x803, n, SIDE, SIDE) +
            bytes(v for img in images for v in img),
            "labels": struct.pack(">II", 0x801, n) + bytes(labels)}
    paths = []
    for kind in ("images", "labels"):
        path = f"{tmp}/{name}-{kind}" + (".gz" if compress else "")
        with (gzip.open if compress else open)(path, "wb") as f:
            f.write(data[kind])
        paths.append(path)
    return "idx:" + ",".join(paths)


def idx_content(n=12, classes=4):
    rnd = random.Random(13)
    images = [[rnd.randrange(256) for _ in range(SIDE * SIDE)] for _ in range(n)]
    labels = [(3 * i + 1) % classes for i in range(n)]
    return images, labels


def select(images, labels, keep, per_class):
    """Samples of the classes in `keep`, the first per_class of each, in
    file order, relabelled by their position in `keep`."""
    seen = {c: 0 for c in keep}
    xs, ys = [], []
    for img, c in zip(images, labels):
        if c in seen and seen[c] < per_class:
            seen[c] += 1
            xs.append([v / 255 for v in img])
            ys.append(keep.index(c))
    return xs, ys


# ---------------------------------------------------------------- cases

def case_idx_plain_and_gzip_decoded(tmp):
    images, labels = idx_content()
    for compress in (False, True):
        spec = write_idx(tmp, images, labels, compress)
        x = [[v / 255 for v in img] for img in images]
        check_source(tmp, ["--data", spec], x, labels, 4)
        check_source(tmp, ["--data", spec], x, labels, 4, normalized=False)


def case_idx_classes_decoded(tmp):
    images, labels = idx_content()
    spec = write_idx(tmp, images, labels, True)
    x, y = select(images, labels, [3, 0, 1], 2)
    assert len(x) == 6 and y != sorted(y)
    check_source(tmp, ["--data", spec, "--classes", "3,0,1", "--per-class", "2"], x, y, 3)


def case_csv_decoded(tmp):
    rnd = random.Random(17)
    n, k = 9, 3
    feats = [[round(rnd.uniform(-2, 2), 6) for _ in range(4)] for _ in range(n)]
    labels = [(5 * i) % k for i in range(n)]
    rows = [f"{f[0]},{f[1]},{c},{f[2]},{f[3]}" for f, c in zip(feats, labels)]
    with open(f"{tmp}/h.csv", "w") as f:
        f.write("a,b,cls,c,d\n" + "\n".join(rows) + "\n")
    with open(f"{tmp}/n.csv", "w") as f:
        f.write("\n".join(rows))
    check_source(tmp, ["--data", f"{tmp}/h.csv", "--label-column", "cls"], feats, labels, k)
    check_source(tmp, ["--data", f"{tmp}/n.csv", "--label-column", "3"], feats, labels, k,
                 normalized=False)


def first_of_classes(split, keep, per_class):
    """The first per_class images of each class in `keep`, read straight from
    the gzipped IDX files."""
    prefix = "train" if split == "train" else "t10k"
    with gzip.open(f"{FASHION}/{prefix}-labels-idx1-ubyte.gz", "rb") as f:
        magic, n = struct.unpack(">II", f.read(8))
        labels = f.read(n)
    assert magic == 0x801 and len(labels) == n
    want, seen = [], {c: 0 for c in keep}
    for i, c in enumerate(labels):
        if c in seen and seen[c] < per_class:
            seen[c] += 1
            want.append(i)
        if len(want) == per_class * len(keep):
            break
    images = {}
    with gzip.open(f"{FASHION}/{prefix}-images-idx3-ubyte.gz", "rb") as f:
        magic, count, rows, cols = struct.unpack(">IIII", f.read(16))
        assert magic == 0x803 and (count, rows, cols) == (n, 28, 28)
        for i in range(want[-1] + 1):
            img = f.read(784)
            if i in want:
                images[i] = [v / 255 for v in img]
    return [images[i] for i in want], [keep.index(labels[i]) for i in want]


def case_fashion_mnist_decoded(tmp):
    if not os.path.exists(FASHION):
        print(f"note: {FASHION} absent (apt-get install dataset-fashion-mnist); not run")
        return
    x, y = first_of_classes("train", [9, 0, 4], 2)
    source = ["--data", "fashion-mnist:train", "--classes", "9,0,4", "--per-class", "2"]
    check_source(tmp, source, x, y, 3)
    check_source(tmp, source, x, y, 3, normalized=False)
    x, y = first_of_classes("test", [1, 2], 3)
    check_source(tmp, ["--data", "fashion-mnist:test", "--classes", "1,2", "--per-class", "3"],
                 x, y, 2)


def case_npy_decoded(tmp):
    rnd = random.Random(23)
    n, d, k = 8, 5, 3
    x = [[rnd.gauss(0, 1) for _ in range(d)] for _ in range(n)]
    y = [(i * 2) % k for i in range(n)]
    npyio.write(f"{tmp}/X.npy", [v for row in x for v in row], (n, d))
    npyio.write(f"{tmp}/y.npy", y, (n,), "<i4")
    check_source(tmp, ["--x", f"{tmp}/X.npy", "--labels", f"{tmp}/y.npy"], x, y, k)


def check_test_source(tmp, source, test_source, x, labels, k):
    """`test_source` (--test-data ...) must give test inputs x (before the
    unit-norm scaling) and class ids `labels`: the test error at step 0 and
    step 1, recomputed from the saved W."""
    res = json.loads(run("train", "--quiet", "--json", "-", *source, *test_source,
                         "--hidden", "none", "--steps", "1", "--space", "none",
                         "--save-init", f"{tmp}/w").stdout)
    assert res["test_samples"] == len(x), res
    d = len(x[0])
    _, flat = npyio.read(f"{tmp}/w/W1.npy")
    w = [flat[l * d:(l + 1) * d] for l in range(k)]
    _, error = loss_and_error(w, normalize(x), labels, k)
    assert abs(res["rows"][0]["test_error"] - error) < 1e-12, (res["rows"][0], error)
    print(f"test error at step 0: {error}")
    return res


def case_test_data_sources(tmp):
    """--test-data takes every kind of source; idx/fashion-mnist test sets
    follow --classes and --per-class."""
    images, labels = idx_content()
    train = ["--data", write_idx(tmp, images, labels, True)]
    test_images, test_labels = idx_content(8, 4)
    test_images = [[255 - v for v in img] for img in test_images]  # not the training images
    spec = write_idx(tmp, test_images, test_labels, False, name="t")
    check_test_source(tmp, train, ["--test-data", spec],
                      [[v / 255 for v in img] for img in test_images], test_labels, 4)
    # CSV (--label-column applies to both files): training and test tables.
    rnd = random.Random(47)
    for name, count in (("train", 12), ("test", 5)):
        feats = [[rnd.uniform(-1, 1) for _ in range(4)] for _ in range(count)]
        ids = [(i * 3 + 2) % 4 for i in range(count)]
        with open(f"{tmp}/{name}.csv", "w") as f:
            f.write("a,b,y,c,d\n" + "".join(
                f"{r[0]!r},{r[1]!r},{c},{r[2]!r},{r[3]!r}\n" for r, c in zip(feats, ids)))
    check_test_source(tmp, ["--data", f"{tmp}/train.csv", "--label-column", "y"],
                      ["--test-data", f"{tmp}/test.csv"], feats, ids, 4)
    if os.path.exists(FASHION):
        x, y = first_of_classes("test", [7, 2, 5], 4)
        check_test_source(tmp, ["--data", "fashion-mnist:train", "--classes", "7,2,5",
                                "--per-class", "4"],
                          ["--test-data", "fashion-mnist:test"], x, y, 3)


def case_corrupt_leaves_test_labels(tmp):
    """--corrupt changes training labels only: the test error at step 0 is
    the clean one, recomputed from the saved W and the test files."""
    rnd = random.Random(29)
    d, k = 4, 3
    for name, n in (("train", 30), ("test", 12)):
        x = [[rnd.gauss(0, 1) for _ in range(d)] for _ in range(n)]
        npyio.write(f"{tmp}/{name}-X.npy", [v for row in x for v in row], (n, d))
        y = [i % k for i in range(n)]
        npyio.write(f"{tmp}/{name}-y.npy", y, (n,), "<i8")
        if name == "test":
            test_x, test_y = normalize(x), y
    args = ["--x", f"{tmp}/train-X.npy", "--labels", f"{tmp}/train-y.npy",
            "--test-x", f"{tmp}/test-X.npy", "--test-labels", f"{tmp}/test-y.npy",
            "--hidden", "none", "--steps", "1", "--space", "none", "--save-init", f"{tmp}/w"]
    for rho, changed in (("0", 0), ("0.25", 8), ("1", 30)):
        res = json.loads(run("train", "--quiet", "--json", "-", *args, "--corrupt", rho).stdout)
        if rho != "0":
            assert res["corrupted"] == changed, (rho, res["corrupted"])
        _, flat = npyio.read(f"{tmp}/w/W1.npy")
        w = [flat[l * d:(l + 1) * d] for l in range(k)]
        _, error = loss_and_error(w, test_x, test_y, k)
        assert abs(res["rows"][0]["test_error"] - error) < 1e-12, (rho, res["rows"][0], error)
        if rho == "0":
            clean = res["rows"][0]
    # Every training label changed: the training loss at step 0 differs.
    assert res["rows"][0]["loss"] != clean["loss"]


def project_columns(q, m, rmat):
    """||(Q_m Q_m^T (x) I) R||, the norm of R (n x K) projected column by
    column on the top m eigenvectors q of X X^T, and ||R|| itself."""
    info2 = 0.0
    for l in range(len(rmat[0])):
        for k in range(m):
            info2 += sum(q[k][i] * rmat[i][l] for i in range(len(rmat))) ** 2
    return math.sqrt(info2), math.sqrt(sum(v * v for row in rmat for v in row))


def case_linear_split_and_train(tmp):
    """The linear network, whose J = X (x) I_K is known: `split`'s Table 1
    metrics from the eigenvectors of X X^T; `train`'s rows (loss,
    ||Pi_I r_t||, ||Pi_N r_t||, the same on test data with the test inputs'
    Jacobian, ||theta_t - theta_0||, lin_gap = 0) from plain GD on W."""
    rnd = random.Random(43)
    d, k, m = 5, 3, 2  # I = the top m eigenvectors of X X^T, each K times: r = mK
    sets = {}
    for name, n in (("train", 8), ("test", 6)):
        x = [[rnd.gauss(0, 1) for _ in range(d)] for _ in range(n)]
        y = [(i * 5 + 1) % k for i in range(n)]
        npyio.write(f"{tmp}/{name}-X.npy", [v for row in x for v in row], (n, d))
        npyio.write(f"{tmp}/{name}-y.npy", y, (n,), "<i8")
        x = normalize(x)
        pairs = jacobi([[sum(a * b for a, b in zip(xi, xj)) for xj in x] for xi in x])
        assert pairs[m - 1][0] > 1.01 * pairs[m][0]  # I is well defined
        sets[name] = (x, y, [v for _, v in pairs], [e for e, _ in pairs])
    data = ["--x", f"{tmp}/train-X.npy", "--labels", f"{tmp}/train-y.npy", "--hidden", "none",
            "--save-init", f"{tmp}/w"]
    r = str(m * k)
    split = json.loads(run("split", "--quiet", "--json", "-", *data, "--rank", r).stdout)
    _, flat = npyio.read(f"{tmp}/w/W1.npy")
    w = [flat[l * d:(l + 1) * d] for l in range(k)]
    x, y, q, ev = sets["train"]
    f = outputs(w, x)
    onehot = [[float(l == c) for l in range(k)] for c in y]
    res0 = [[f[i][l] - onehot[i][l] for l in range(k)] for i in range(len(x))]
    for key, z in (("labels", onehot), ("residual", res0)):
        info, norm = project_columns(q, m, z)
        pinv = math.sqrt(sum((sum(q[j][i] * z[i][l] for i in range(len(z))) ** 2) / ev[j]
                             for j in range(m) for l in range(k)))
        got = split[key]
        assert close(got["norm"], norm), (key, got, norm)
        assert abs(got["info"] - info / norm) <= 1e-10, (key, got, info / norm)
        nuisance = math.sqrt(max(norm * norm - info * info, 0)) / norm
        assert abs(got["nuisance"] - nuisance) <= 1e-10, (key, got, nuisance)
        assert close(got["pinv"], pinv / norm), (key, got, pinv / norm)
    assert split["rank"] == m * k
    assert close(split["lambda_1"], math.sqrt(ev[0]))
    assert close(split["lambda_r"], math.sqrt(ev[m - 1]))

    steps = 6
    test = ["--test-x", f"{tmp}/test-X.npy", "--test-labels", f"{tmp}/test-y.npy"]
    runs = {space: json.loads(run("train", "--quiet", "--json", "-", *data, *test, "--rank", r,
                                  "--space", space, "--steps", str(steps), "--every", "1",
                                  "--linearized").stdout)
            for space in ("init", "final")}
    lr = runs["init"]["lr"]
    assert close(lr, 1 / ev[0])
    xt, yt, qt, _ = sets["test"]
    w0, scale = [row[:] for row in w], split["residual"]["norm"]  # ||r_0||
    for t in range(steps + 1):
        ft = outputs(w, xt)
        rt = [[ft[i][l] - (l == yt[i]) for l in range(k)] for i in range(len(xt))]
        f = outputs(w, x)
        rr = [[f[i][l] - onehot[i][l] for l in range(k)] for i in range(len(x))]
        info, norm = project_columns(q, m, rr)
        tinfo, tnorm = project_columns(qt, m, rt)
        want = {"step": t, "loss": 0.5 * norm * norm, "res_info": info,
                "res_nuisance": math.sqrt(max(norm * norm - info * info, 0)),
                "test_res_info": tinfo,
                "test_res_nuisance": math.sqrt(max(tnorm * tnorm - tinfo * tinfo, 0)),
                "dist_from_init": math.sqrt(sum((a - b) ** 2 for wa, wb in zip(w, w0)
                                                for a, b in zip(wa, wb)))}
        for space, res in runs.items():
            row = res["rows"][t]
            for key, value in want.items():
                assert abs(row[key] - value) <= 1e-10 * scale, (space, t, key, row[key], value)
            assert row["lin_gap"] <= 1e-10 * scale and row["lin_dist"] <= 1e-10 * scale, row
        w = gd_step(w, x, y, k, lr)


def case_gmm_information_falls_faster(tmp):
    """Paper section 3.3 / Figure 6: against the final Jacobian (the default
    --space), the residual's information part falls by orders of magnitude
    while its nuisance part barely moves (a margin, not a timing)."""
    res = json.loads(run("train", "--quiet", "--json", "-", "--data",
                         "gmm:n=90,classes=3,clusters=2,dim=10,seed=3", "--hidden", "40",
                         "--steps", "100", "--every", "50", "--rank", "18").stdout)
    assert res["space"] == "final", res["space"]
    first, last = res["rows"][0], res["rows"][-1]
    info, nuisance = (last[key] / first[key] for key in ("res_info", "res_nuisance"))
    assert info < 1e-3 and nuisance > 0.5 and info < 1e-3 * nuisance, (info, nuisance)


# ---------------------------------------------------------------- bad input

OUTPUTS = {
    "spectrum": ("--json", "out.json", "--csv", "out.csv", "--save-vectors", "vec",
                 "--save-init", "weights"),
    "split": ("--json", "out.json", "--csv", "out.csv", "--coefficients", "c.npy",
              "--save-init", "weights"),
    "train": ("--json", "out.json", "--csv", "out.csv", "--save", "final",
              "--save-init", "weights"),
    "bound": ("--json", "out.json", "--csv", "out.csv", "--save-init", "weights"),
}


def fails_leaving_nothing(tmp, *args, words=(), verb="spectrum"):
    """Bad input with every output requested: one line, non-zero exit, and no
    output file or directory (nor a temporary) left behind."""
    before = set(os.listdir(tmp))
    outs = [f"{tmp}/{a}" if not a.startswith("--") else a for a in OUTPUTS[verb]]
    line = fails(verb, *args, *outs, words=words)
    left = set(os.listdir(tmp)) - before
    assert not left, (args, line, left)


def case_bad_input_leaves_no_output(tmp):
    rnd = random.Random(31)
    n, d = 20, 4
    x = [rnd.gauss(0, 1) for _ in range(n * d)]
    npyio.write(f"{tmp}/X.npy", x, (n, d))
    npyio.write(f"{tmp}/y.npy", [i % 3 for i in range(n)], (n,), "<i8")
    good = ["--x", f"{tmp}/X.npy", "--labels", f"{tmp}/y.npy", "--hidden", "6"]
    # A control: the same outputs are written when the input is good.
    run("spectrum", "--quiet", *good, "--top", "2", "--json", f"{tmp}/ok.json",
        "--save-vectors", f"{tmp}/ok", "--save-init", f"{tmp}/ok_weights")
    assert {"ok.json", "ok_U.npy", "ok_V.npy", "ok_weights"} <= set(os.listdir(tmp))

    npyio.write(f"{tmp}/short.npy", [0, 1], (2,), "<i8")
    npyio.write(f"{tmp}/nan.npy", x[:-1] + [float("nan")], (n, d))
    with open(f"{tmp}/text.npy", "w") as f:
        f.write("not an array\n")
    cases = [
        (["--x", f"{tmp}/none.npy", "--labels", f"{tmp}/y.npy"], ["none.npy"]),
        (["--x", f"{tmp}/text.npy", "--labels", f"{tmp}/y.npy"], ["text.npy"]),
        (["--x", f"{tmp}/X.npy", "--labels", f"{tmp}/short.npy"], ["short.npy"]),
        (["--x", f"{tmp}/nan.npy", "--labels", f"{tmp}/y.npy"], ["nan.npy"]),
        ([*good, "--top", str(n * 3)], ["min(nK, p)"]),
        ([*good, "--act", "swish"], ["swish"]),
        ([*good, "--dense", "--dense-limit", "1K"], ["limit"]),
        (["--data", "gmm:n=0"], ["n"]),
    ]
    for args, words in cases:
        fails_leaving_nothing(tmp, *args, words=words)


def case_bad_output_leaves_neither_file(tmp):
    """When one of --json and --csv cannot be put in place, neither is left."""
    data = ["--data", "gmm:n=30,classes=3,clusters=1,dim=5", "--hidden", "6", "--quiet"]
    os.mkdir(f"{tmp}/out.csv")  # a file cannot be renamed over a directory
    for verb, extra in [("spectrum", ["--top", "2"]), ("split", ["--rank", "2"]),
                        ("train", ["--steps", "2", "--space", "none"]),
                        ("bound", ["--cutoff", "0.5"])]:
        fails(verb, *data, *extra, "--json", f"{tmp}/out.json", "--csv", f"{tmp}/out.csv",
              words=["out.csv"])
        assert sorted(os.listdir(tmp)) == ["out.csv"], (verb, os.listdir(tmp))


def case_bad_verbs_leave_no_output(tmp):
    """Each verb writes --save-init's weights only once its checks passed."""
    data = ["--data", "gmm:n=30,classes=3,clusters=1,dim=5", "--hidden", "6"]
    fails_leaving_nothing(tmp, *data, "--rank", "500", words=["min(nK, p)"], verb="split")
    fails_leaving_nothing(tmp, *data, "--rank", "500", words=["min(nK, p)"], verb="train")
    fails_leaving_nothing(tmp, *data, "--cutoff", "0.5", "--gamma", "0.5", words=["gamma"],
                          verb="bound")
    fails_leaving_nothing(tmp, *data, "--mem", "1K", words=["budget"], verb="train")


def case_bad_unreadable_and_empty(tmp):
    os.mkdir(f"{tmp}/dir.npy")
    fails("spectrum", "--x", f"{tmp}/dir.npy", "--labels", f"{tmp}/dir.npy",
          words=["dir.npy"])
    for name, opener in (("empty", open), ("empty.gz", gzip.open)):
        with opener(f"{tmp}/{name}", "wb"):
            pass
        fails("spectrum", "--data", f"idx:{tmp}/{name},{tmp}/{name}", words=[f"{tmp}/{name}"])
    with open(f"{tmp}/empty.npy", "wb"):
        pass
    fails("spectrum", "--x", f"{tmp}/empty.npy", "--labels", f"{tmp}/empty.npy",
          words=["empty.npy"])
    npyio.write(f"{tmp}/none.npy", [], (0, 4))
    npyio.write(f"{tmp}/none-y.npy", [], (0,), "<i8")
    fails("spectrum", "--x", f"{tmp}/none.npy", "--labels", f"{tmp}/none-y.npy",
          words=["none.npy", "empty"])
    with open(f"{tmp}/empty.csv", "wb"):
        pass
    fails("spectrum", "--data", f"{tmp}/empty.csv", "--label-column", "1",
          words=[f"{tmp}/empty.csv"])


def case_bad_targets_nan(tmp):
    rnd = random.Random(37)
    npyio.write(f"{tmp}/X.npy", [rnd.gauss(0, 1) for _ in range(40)], (10, 4))
    for bad in (float("nan"), float("-inf")):
        npyio.write(f"{tmp}/T.npy", [0.5] * 9 + [bad], (10,))
        fails("spectrum", "--x", f"{tmp}/X.npy", "--targets", f"{tmp}/T.npy", "--hidden", "3",
              words=["T.npy"])


def case_bad_analysis_ranges(tmp):
    """Issue 3's bad input not covered elsewhere: negative cut-off and step
    count, test files of another dimension or with more classes."""
    small = ["--data", "gmm:n=30,classes=3,clusters=1,dim=4,seed=2", "--hidden", "6"]
    out = ["--csv", f"{tmp}/o.csv", "--json", f"{tmp}/o.json"]
    fails("split", *small, "--cutoff", "-1", "--json", f"{tmp}/o.json", words=["--cutoff"])
    fails("train", *small, "--steps", "-5", *out, words=["--steps"])
    fails("train", *small, "--cutoff", "-0.5", *out, words=["--cutoff"])
    rnd = random.Random(41)
    npyio.write(f"{tmp}/tx5.npy", [rnd.gauss(0, 1) for _ in range(50)], (10, 5))
    npyio.write(f"{tmp}/tx4.npy", [rnd.gauss(0, 1) for _ in range(40)], (10, 4))
    npyio.write(f"{tmp}/ty.npy", [i % 3 for i in range(10)], (10,), "<i8")
    npyio.write(f"{tmp}/ty4.npy", [i % 4 for i in range(10)], (10,), "<i8")
    fails("train", *small, "--test-x", f"{tmp}/tx5.npy", "--test-labels", f"{tmp}/ty.npy",
          *out, words=["dimension"])
    fails("train", *small, "--test-x", f"{tmp}/tx4.npy", "--test-labels", f"{tmp}/ty4.npy",
          *out, words=["outputs"])
    # The final weights cannot be written: the run fails and its rows are
    # not left behind as if it had succeeded.
    fails("train", *small, "--steps", "3", "--save", f"{tmp}/none/w", *out,
          words=[f"{tmp}/none/w"])
    left = sorted(f for f in os.listdir(tmp) if f.startswith("o."))
    assert left == [], left


if __name__ == "__main__":
    main(globals())
