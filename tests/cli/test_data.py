"""CLI tests of the data sources: IDX (plain and gzipped), CSV, parity,
Fashion-MNIST, --shuffle, and each kind of bad input file.

usage: test_data.py JACSPEC CASE   (meson runs one CASE per test)
"""
import gzip
import json
import math
import os
import random
import struct

import npyio
from clitest import fails, main, run
from test_spectrum import spectrum_json

N, SIDE, CLASSES = 30, 4, 3
FASHION = "/usr/share/datasets/fashion-mnist"


def idx_files(tmp, compress, n_images=N, n_labels=N, name="d"):
    """n_images random SIDE x SIDE images and labels i % CLASSES."""
    rnd = random.Random(5)
    images = struct.pack(">IIII", 0x803, n_images, SIDE, SIDE) + bytes(
        rnd.randrange(256) for _ in range(n_images * SIDE * SIDE))
    labels = struct.pack(">II", 0x801, n_labels) + bytes(i % CLASSES for i in range(n_labels))
    paths = []
    for kind, data in (("images", images), ("labels", labels)):
        path = f"{tmp}/{name}-{kind}" + (".gz" if compress else "")
        with (gzip.open if compress else open)(path, "wb") as f:
            f.write(data)
        paths.append(path)
    return paths


def idx_spec(paths):
    return "idx:" + ",".join(paths)


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def csv_file(tmp, header=True, n=N):
    rnd = random.Random(3)
    lines = ["f1,label,f2,f3"] if header else []
    for i in range(n):
        f = [round(rnd.gauss(0, 1), 6) for _ in range(3)]
        lines.append(f"{f[0]},{i % CLASSES},{f[1]},{f[2]}")
    path = f"{tmp}/table.csv"
    write(path, ("\n".join(lines) + "\n").encode())
    return path


def top(*args, hidden="8", r="3"):
    return spectrum_json("--hidden", hidden, "--top", r, *args)


def close(a, b):
    return all(abs(x - y) <= 1e-10 * a[0] for x, y in zip(a, b)) and len(a) == len(b)


# ---------------------------------------------------------------- cases

def case_idx_plain_and_gzip(tmp):
    plain = top("--data", idx_spec(idx_files(tmp, False)))
    gz = top("--data", idx_spec(idx_files(tmp, True)))
    assert plain["n_samples"] == N and plain["n_outputs"] == CLASSES, plain
    assert plain["n_params"] == 8 * SIDE * SIDE, plain
    assert close(plain["singular_values"], gz["singular_values"]), (plain, gz)


def case_idx_classes(tmp):
    res = top("--data", idx_spec(idx_files(tmp, True)), "--classes", "2,0", "--per-class", "4")
    assert res["n_samples"] == 8 and res["n_outputs"] == 2, res


def case_csv(tmp):
    named = top("--data", csv_file(tmp), "--label-column", "label")
    assert named["n_samples"] == N and named["n_outputs"] == CLASSES, named
    assert named["n_params"] == 8 * 3, named
    numbered = top("--data", csv_file(tmp, header=False), "--label-column", "2")
    assert close(named["singular_values"], numbered["singular_values"])


def case_parity(tmp):
    res = top("--data", "parity:n=50,bits=6,degree=2,seed=3", hidden="10")
    assert res["n_samples"] == 50 and res["n_outputs"] == 1 and res["n_params"] == 60, res
    # Abbe-Sandon's cross-predictability of the class: 1 / C(bits, degree).
    assert abs(res["cross_predictability"] * math.comb(6, 2) - 1) < 1e-15, res
    table = run("spectrum", "--data", "parity:n=50,bits=6,degree=2", "--hidden", "10", "--top",
                "2", "--quiet").stdout
    assert "cross-predictability 1/C(bits, degree) = 0.0666667" in table.splitlines()[0], table
    assert "cross_predictability" not in top("--data", "gmm:n=30", hidden="10")


def case_task_seed(tmp):
    """task= draws the task: task=1 is the default, another task another
    mixture (so another J) or, for parity, another subset (the same inputs,
    so the same J, but other targets)."""
    gmm = "gmm:n=40,classes=3,clusters=2,dim=6"
    default = top("--data", gmm)["singular_values"]
    assert close(default, top("--data", gmm + ",task=1")["singular_values"])
    assert not close(default, top("--data", gmm + ",task=2")["singular_values"])
    parity = "parity:n=50,bits=6,degree=2"

    def labels(spec):
        res = json.loads(run("split", "--quiet", "--json", "-", "--data", spec, "--hidden", "8",
                             "--rank", "3").stdout)
        return res["labels"]

    assert labels(parity) == labels(parity + ",task=1")
    assert labels(parity) != labels(parity + ",task=2")


def case_shuffle(tmp):
    """Permuting the samples permutes the rows of J: same singular values."""
    spec = idx_spec(idx_files(tmp, False))
    plain = top("--data", spec)
    shuffled = top("--data", spec, "--shuffle", "9")
    assert close(plain["singular_values"], shuffled["singular_values"]), (plain, shuffled)


def standardized(rows, mean, std):
    return [[(v - mean) / std for v in row] for row in rows]


def case_standardize(tmp):
    """--standardize is the per-channel standardisation written out: the
    same J as on inputs standardised here with --no-normalize, and the test
    data takes the training data's statistics."""
    rnd = random.Random(8)
    d = SIDE * SIDE
    train = [[rnd.uniform(0, 2) for _ in range(d)] for _ in range(N)]
    test = [[rnd.uniform(1, 4) for _ in range(d)] for _ in range(N // 2)]
    labels = [i % CLASSES for i in range(N)]
    flat = [v for row in train for v in row]
    mean = sum(flat) / len(flat)
    std = math.sqrt(sum((v - mean) ** 2 for v in flat) / len(flat))
    files = {}
    for name, rows in (("a", train), ("b", test), ("a_std", standardized(train, mean, std)),
                       ("b_std", standardized(test, mean, std))):
        files[name] = f"{tmp}/{name}.npy"
        npyio.write(files[name], [v for row in rows for v in row], (len(rows), d))
    for name, n in (("ya", N), ("yb", N // 2)):
        files[name] = f"{tmp}/{name}.npy"
        npyio.write(files[name], labels[:n], (n,), "<i8")
    given = top("--x", files["a"], "--labels", files["ya"], "--standardize")
    assert abs(given["standardize"]["mean"][0] - mean) <= 1e-13 * mean, given["standardize"]
    assert abs(given["standardize"]["std"][0] - std) <= 1e-13 * std, given["standardize"]
    want = top("--x", files["a_std"], "--labels", files["ya"], "--no-normalize")
    assert close(given["singular_values"], want["singular_values"]), (given, want)
    trained = [json.loads(run("train", "--quiet", "--json", "-", "--hidden", "8", "--steps",
                              "3", "--rank", "2", "--x", x, "--labels", files["ya"],
                              "--test-x", tx, "--test-labels", files["yb"], *extra).stdout)
               for x, tx, extra in ((files["a"], files["b"], ["--standardize"]),
                                    (files["a_std"], files["b_std"], ["--no-normalize"]))]
    for got, ref in zip(trained[0]["rows"], trained[1]["rows"]):
        assert abs(got["loss"] - ref["loss"]) <= 1e-10 * ref["loss"], (got, ref)
        for key in ("test_error", "test_res_info", "test_res_nuisance"):
            assert abs(got[key] - ref[key]) <= 1e-9 * max(1, ref[key]), (key, got, ref)
    fails("spectrum", "--x", files["a"], "--labels", files["ya"], "--standardize",
          "--no-normalize", words=["contradict"])


def case_fashion_mnist(tmp):
    if not os.path.exists(FASHION):
        print(f"note: {FASHION} absent (apt-get install dataset-fashion-mnist); not run")
        return
    res = top("--data", "fashion-mnist:train", "--classes", "0,1,2", "--per-class", "20",
              hidden="16", r="5")
    assert res["n_samples"] == 60 and res["n_outputs"] == 3, res
    assert res["n_params"] == 16 * 784 and res["converged"], res
    # --test-per-class: the test data's own count (the test set has 1000 a class).
    trained = json.loads(run("train", "--quiet", "--json", "-", "--data", "fashion-mnist:train",
                             "--test-data", "fashion-mnist:test", "--classes", "0,1,2",
                             "--per-class", "1500", "--test-per-class", "7", "--hidden", "4",
                             "--steps", "1", "--space", "none").stdout)
    assert trained["n_samples"] == 4500 and trained["test_samples"] == 21, trained
    fails("train", "--data", "fashion-mnist:train", "--test-data", "fashion-mnist:test",
          "--classes", "0,1,2", "--per-class", "1500", "--hidden", "4", "--steps", "1",
          words=["fewer than the 1500 per class"])


def case_bad_idx_gzip(tmp):
    images, labels = idx_files(tmp, True)
    data = read(images)
    write(images, data[:len(data) // 2])
    fails("spectrum", "--data", idx_spec([images, labels]), words=[images, "truncated"])
    write(images, data[:-8] + bytes(b ^ 0xFF for b in data[-8:-4]) + data[-4:])
    fails("spectrum", "--data", idx_spec([images, labels]), words=[images, "corrupted"])


def case_bad_idx_format(tmp):
    images, labels = idx_files(tmp, False)
    fails("spectrum", "--data", idx_spec([labels, images]), words=[images, "magic"])
    write(images, read(images)[:-5])
    fails("spectrum", "--data", idx_spec([images, labels]), words=[images, "record 29"])
    images, labels = idx_files(tmp, True, n_labels=N - 1, name="count")
    fails("spectrum", "--data", idx_spec([images, labels]), words=[images, labels])
    fails("spectrum", "--data", "idx:" + images, words=["idx:IMAGES,LABELS"])
    fails("spectrum", "--data", idx_spec([f"{tmp}/none", labels]), words=[f"{tmp}/none"])


def case_bad_classes(tmp):
    spec = idx_spec(idx_files(tmp, True))
    labels = spec.split(",")[1]
    fails("spectrum", "--data", spec, "--classes", "0,5", words=[labels, "class 5"])
    fails("spectrum", "--data", spec, "--per-class", "11", words=[labels, "class 0", "10"])
    fails("spectrum", "--data", spec, "--classes", "0,x", words=["--classes"], code=2)
    fails("spectrum", "--data", "gmm:n=20", "--classes", "0", words=["--classes", "gmm"])


def case_bad_csv(tmp):
    path = f"{tmp}/bad.csv"
    write(path, b"a,label\n1,0\n2\n")
    fails("spectrum", "--data", path, "--label-column", "label", words=[path, "line 3"])
    write(path, b"a,label\n1,0\n2,1\nzz,0\n")
    fails("spectrum", "--data", path, "--label-column", "label",
          words=[path, "line 4", "column 1", "zz"])
    write(path, b"")
    fails("spectrum", "--data", path, "--label-column", "label", words=[path, "empty"])
    write(path, b"a,b\n1,0\n")
    fails("spectrum", "--data", path, "--label-column", "label", words=[path, "label"])
    fails("spectrum", "--data", path, words=[path, "--label-column"])
    fails("spectrum", "--data", "gmm:n=20", "--label-column", "b", words=["--label-column"])


def case_bad_sources(tmp):
    fails("spectrum", "--data", "parity:bits=4,degree=5", words=["degree"])
    fails("spectrum", "--data", "parity:width=3", words=["width"])
    fails("spectrum", "--data", "fashion-mnist:validation", words=["validation"])
    fails("spectrum", "--data", "mnist", words=["mnist", "fashion-mnist", "FILE.csv"])


if __name__ == "__main__":
    main(globals())
