"""CLI tests of `jacspec spectrum`: the real binary on real files.

usage: test_spectrum.py JACSPEC CASE   (meson runs one CASE per test)
"""
import csv
import json
import math
import os
import random

import npyio
from clitest import fails, main, run

SMALL = ["--data", "gmm:n=40,classes=3,clusters=2,dim=6,seed=3", "--hidden", "12"]


def spectrum_json(*args):
    return json.loads(run("spectrum", "--quiet", "--json", "-", *args).stdout)


def gmm_files(tmp, n=30, d=5, classes=3, label_dtype="<i8", x_dtype="<f8"):
    rnd = random.Random(7)
    x = [rnd.gauss(0, 1) for _ in range(n * d)]
    y = [i % classes for i in range(n)]
    npyio.write(f"{tmp}/X.npy", x, (n, d), x_dtype)
    npyio.write(f"{tmp}/y.npy", y, (n,), label_dtype)
    return x, y


# ---------------------------------------------------------------- cases

def case_default_runs(tmp):
    out = run("spectrum", "--quiet", "--data", "gmm:n=200", "--hidden", "64", "--top", "5").stdout
    rows = [l for l in out.splitlines() if l and not l.startswith("#")]
    assert rows[0].split()[:2] == ["s", "sigma_s"], out
    values = [float(r.split()[1]) for r in rows[1:]]
    assert len(values) == 5 and values == sorted(values, reverse=True), out
    assert all(float(r.split()[2]) < 1e-8 for r in rows[1:]), out


def case_json_keys(tmp):
    res = spectrum_json(*SMALL, "--top", "4")
    for key in ["singular_values", "residuals", "n_samples", "n_outputs", "n_params",
                "side", "jvp_count", "vjp_count", "converged", "seconds"]:
        assert key in res, key
    assert res["n_samples"] == 40 and res["n_outputs"] == 3 and res["n_params"] == 72
    # nK = 120 > p = 72: the Gram operator of the parameter side is smaller.
    assert res["side"] == "params" and res["converged"] is True
    # Each Gram product is one J and one J^T; the other side's vectors take
    # r products with J, the residual check r with J^T (its J half follows
    # from the norms of those products): as many of each.
    assert res["method"] == "gram" and res["jvp_count"] == res["vjp_count"] > 4, res
    assert len(res["residuals_u"]) == len(res["residuals_v"]) == 4, res
    assert all(r < 1e-9 for r in res["residuals_u"] + res["residuals_v"]), res


def case_lanczos_matches_dense(tmp):
    for side in ["outputs", "params"]:
        for train in ["1", "all"]:
            args = [*SMALL, "--train", train, "--top", "10", "--side", side]
            lanczos = spectrum_json(*args)["singular_values"]
            dense = spectrum_json(*args, "--dense")["singular_values"]
            for a, b in zip(lanczos, dense):
                assert abs(a - b) <= 1e-10 * dense[0], (side, train, a, b)


def case_cutoff(tmp):
    everything = spectrum_json(*SMALL, "--top", "30", "--dense")["singular_values"]
    alpha = (everything[6] + everything[7]) / 2
    above = spectrum_json(*SMALL, "--cutoff", repr(alpha))["singular_values"]
    assert len(above) == 7, above
    assert all(abs(a - b) <= 1e-10 * everything[0] for a, b in zip(above, everything))


def case_csv_matches_json(tmp):
    args = [*SMALL, "--top", "5", "--quiet"]
    res = spectrum_json(*args)
    run("spectrum", *args, "--csv", f"{tmp}/s.csv")
    rows = list(csv.DictReader(open(f"{tmp}/s.csv")))
    assert [int(r["s"]) for r in rows] == [1, 2, 3, 4, 5]
    assert [float(r["singular_value"]) for r in rows] == res["singular_values"]
    assert [float(r["residual_u"]) for r in rows] == res["residuals_u"]
    assert [float(r["residual_v"]) for r in rows] == res["residuals_v"]


def case_vectors_saved(tmp):
    res = spectrum_json(*SMALL, "--top", "3", "--save-vectors", f"{tmp}/vec")
    shape_u, u = npyio.read(f"{tmp}/vec_U.npy")
    shape_v, v = npyio.read(f"{tmp}/vec_V.npy")
    assert shape_u == (120, 3) and shape_v == (72, 3), (shape_u, shape_v)
    for m, (rows, cols) in ((u, shape_u), (v, shape_v)):
        for a in range(cols):
            for b in range(cols):
                dot = sum(m[i * cols + a] * m[i * cols + b] for i in range(rows))
                assert abs(dot - (a == b)) < 1e-10, (a, b, dot)
    assert len(res["singular_values"]) == 3


def case_init_roundtrip(tmp):
    first = spectrum_json(*SMALL, "--seed", "5", "--save-init", f"{tmp}/w", "--top", "5")
    shape, _ = npyio.read(f"{tmp}/w/W1.npy")
    assert shape == (12, 6), shape
    again = spectrum_json(*SMALL, "--seed", "9", "--init", f"{tmp}/w", "--top", "5")
    other = spectrum_json(*SMALL, "--seed", "9", "--top", "5")
    for a, b in zip(first["singular_values"], again["singular_values"]):
        assert abs(a - b) <= 1e-12 * a
    assert abs(other["singular_values"][0] - first["singular_values"][0]) > 1e-6


def case_npy_inputs(tmp):
    gmm_files(tmp, x_dtype="<f4", label_dtype="|u1")
    res = spectrum_json("--x", f"{tmp}/X.npy", "--labels", f"{tmp}/y.npy", "--hidden", "8",
                        "--top", "3")
    assert res["n_samples"] == 30 and res["n_outputs"] == 3 and res["n_params"] == 40
    npyio.write(f"{tmp}/T.npy", [math.sin(i) for i in range(30)], (30,))
    res = spectrum_json("--x", f"{tmp}/X.npy", "--targets", f"{tmp}/T.npy", "--hidden", "8",
                        "--top", "3")
    assert res["n_outputs"] == 1 and res["n_params"] == 40


def case_partial_convergence(tmp):
    proc = run("spectrum", "--quiet", *SMALL, "--top", "20", "--maxiter", "1", "--ncv", "21",
               expect=3)
    assert "converged" in proc.stderr, proc.stderr


def case_smallest_matches_dense(tmp):
    lanczos = spectrum_json(*SMALL, "--smallest", "5")
    dense = spectrum_json(*SMALL, "--smallest", "5", "--dense")
    assert lanczos["smallest"] is True and len(lanczos["singular_values"]) == 5
    s1 = lanczos["sigma_1"]
    for a, b in zip(lanczos["singular_values"], dense["singular_values"]):
        assert abs(a - b) <= 1e-8 * s1, (a, b)
    assert dense["singular_values"] == sorted(dense["singular_values"])
    fails("spectrum", *SMALL, "--smallest", "3", "--top", "4", words=["--smallest"], code=2)
    fails("spectrum", *SMALL, "--smallest", "3", "--method", "gram", "--side", "outputs",
          words=["smaller Gram"])
    fails("spectrum", *SMALL, "--method", "arnoldi", words=["auto, gram, gkl or dense"], code=2)


def case_methods(tmp):
    """Every --method on the same request, against the dense reference; the JSON
    says which ran (auto: gkl for the smallest, gram for a plain top r)."""
    dense = spectrum_json(*SMALL, "--top", "8", "--method", "dense")
    assert dense["method"] == "dense"
    assert spectrum_json(*SMALL, "--top", "8", "--dense")["singular_values"] == \
        dense["singular_values"]
    for method, expected in (("auto", "gram"), ("gram", "gram"), ("gkl", "gkl")):
        res = spectrum_json(*SMALL, "--top", "8", "--method", method)
        assert res["method"] == expected, res["method"]
        for a, b in zip(res["singular_values"], dense["singular_values"]):
            assert abs(a - b) <= 1e-10 * dense["singular_values"][0], (method, a, b)
    smallest = spectrum_json(*SMALL, "--smallest", "4")
    assert smallest["method"] == "gkl" and smallest["jvp_count"] == smallest["vjp_count"]
    text = run("spectrum", "--quiet", *SMALL, "--smallest", "4").stdout
    assert "Golub-Kahan-Lanczos bidiagonalisation of J" in text, text


def case_graded_linear_model(tmp):
    """The linear model f = W x (J = X) with X = U diag(s) V^T, s from 1 to
    1e-10: --smallest by GKL agrees with the dense SVD to 1e-6 relative above
    1e-8 sigma_1, where the Gram side does not."""
    n, d = 60, 40
    rnd = random.Random(3)

    def orthonormal(rows, cols):
        q = []
        for _ in range(cols):
            v = [rnd.gauss(0, 1) for _ in range(rows)]
            for _ in range(2):
                for w in q:
                    c = sum(a * b for a, b in zip(v, w))
                    v = [a - c * b for a, b in zip(v, w)]
            norm = math.sqrt(sum(a * a for a in v))
            q.append([a / norm for a in v])
        return q

    u, v = orthonormal(n, d), orthonormal(d, d)
    s = [1e-10 ** (k / (d - 1)) for k in range(d)]
    x = [sum(u[k][i] * s[k] * v[k][j] for k in range(d)) for i in range(n) for j in range(d)]
    npyio.write(f"{tmp}/X.npy", x, (n, d))
    npyio.write(f"{tmp}/T.npy", [0.0] * n, (n,))
    args = ["--x", f"{tmp}/X.npy", "--targets", f"{tmp}/T.npy", "--hidden", "none",
            "--no-normalize", "--smallest", "20"]
    exact = spectrum_json(*args, "--dense")["singular_values"]
    worst = {}
    for method in ("gkl", "gram"):
        got = spectrum_json(*args, "--method", method)["singular_values"]
        worst[method] = max(abs(a - b) / b for a, b in zip(got, exact) if b > 1e-8 * s[0])
    assert worst["gkl"] < 1e-6, worst
    assert worst["gram"] > 1e-3, worst


def case_rank_deficient(tmp):
    """X of rank 3 (the linear model's J is X): --top 6 gives the 3 nonzero
    triplets, the rank and the gap; X = 0 gives rank 0."""
    rnd = random.Random(5)
    a = [[rnd.gauss(0, 1) for _ in range(3)] for _ in range(40)]
    b = [[rnd.gauss(0, 1) for _ in range(10)] for _ in range(3)]
    x = [sum(a[i][t] * b[t][j] for t in range(3)) for i in range(40) for j in range(10)]
    npyio.write(f"{tmp}/X.npy", x, (40, 10))
    npyio.write(f"{tmp}/T.npy", [rnd.gauss(0, 1) for _ in range(40)], (40,))
    args = ["--x", f"{tmp}/X.npy", "--targets", f"{tmp}/T.npy", "--hidden", "none",
            "--no-normalize"]
    for extra in ([], ["--dense"], ["--side", "outputs"]):
        res = spectrum_json(*args, "--top", "6", *extra)
        assert res["rank"] == 3 and res["numerical_rank"] == 3, res
        assert res["rank_gap"] is None or res["rank_gap"] > 1e8, res
    assert "numerical rank 3" in run("spectrum", "--quiet", *args, "--top", "6").stdout
    npyio.write(f"{tmp}/X.npy", [0.0] * 400, (40, 10))
    res = spectrum_json(*args, "--top", "2")
    assert res["rank"] == 0 and res["numerical_rank"] == 0, res


def case_version_and_help(tmp):
    assert run("--version").stdout.startswith("jacspec ")
    assert "--top" in run("spectrum", "--help").stdout


def case_bad_missing_file(tmp):
    fails("spectrum", "--x", f"{tmp}/none.npy", "--labels", f"{tmp}/y.npy",
          words=["none.npy"])


def case_bad_not_npy(tmp):
    with open(f"{tmp}/X.npy", "w") as f:
        f.write("1,2,3\n")
    fails("spectrum", "--x", f"{tmp}/X.npy", "--labels", f"{tmp}/X.npy", words=["X.npy"])


def case_bad_dtype(tmp):
    gmm_files(tmp)
    with open(f"{tmp}/X.npy", "rb") as f:
        data = f.read().replace(b"<f8", b"<c8")
    with open(f"{tmp}/X.npy", "wb") as f:
        f.write(data)
    fails("spectrum", "--x", f"{tmp}/X.npy", "--labels", f"{tmp}/y.npy", words=["X.npy"])


def case_bad_truncated(tmp):
    gmm_files(tmp)
    with open(f"{tmp}/X.npy", "rb") as f:
        data = f.read()
    with open(f"{tmp}/X.npy", "wb") as f:
        f.write(data[:-20])
    fails("spectrum", "--x", f"{tmp}/X.npy", "--labels", f"{tmp}/y.npy",
          words=["X.npy", "truncated"])


def case_bad_label_count(tmp):
    gmm_files(tmp)
    npyio.write(f"{tmp}/y.npy", [0, 1, 2], (3,), "<i8")
    fails("spectrum", "--x", f"{tmp}/X.npy", "--labels", f"{tmp}/y.npy", words=["y.npy"])


def case_bad_label_range(tmp):
    gmm_files(tmp)
    npyio.write(f"{tmp}/y.npy", [-1] + [0] * 29, (30,), "<i8")
    fails("spectrum", "--x", f"{tmp}/X.npy", "--labels", f"{tmp}/y.npy",
          words=["y.npy", "-1"])


def case_bad_float_labels(tmp):
    gmm_files(tmp)
    npyio.write(f"{tmp}/y.npy", [0.0] * 30, (30,), "<f8")
    fails("spectrum", "--x", f"{tmp}/X.npy", "--labels", f"{tmp}/y.npy", words=["integer"])


def case_bad_nan_and_inf(tmp):
    for bad in (float("nan"), float("inf")):
        x, _ = gmm_files(tmp)
        x[17] = bad
        npyio.write(f"{tmp}/X.npy", x, (30, 5))
        fails("spectrum", "--x", f"{tmp}/X.npy", "--labels", f"{tmp}/y.npy", words=["X.npy"])


def case_bad_weights_shape(tmp):
    os.mkdir(f"{tmp}/w")
    npyio.write(f"{tmp}/w/W1.npy", [0.0] * 12 * 5, (12, 5))
    npyio.write(f"{tmp}/w/W2.npy", [0.0] * 3 * 12, (3, 12))
    fails("spectrum", *SMALL, "--init", f"{tmp}/w", words=["W1.npy", "12 x 6"])


def case_bad_rank(tmp):
    fails("spectrum", *SMALL, "--top", "72", words=["72"])
    # An absurd rank is a rank error, not a memory-budget one.
    fails("spectrum", *SMALL, "--top", "1000000000", words=["min(nK, p)"])
    fails("spectrum", *SMALL, "--top", "0", words=["--top"])


def case_bad_sizes(tmp):
    fails("spectrum", "--data", "gmm:n=0", words=["n"])
    fails("spectrum", "--data", "gmm:dim=-3", words=["dim"])
    fails("spectrum", *SMALL[:2], "--hidden", "12,-4", words=["--hidden"])
    fails("spectrum", "--data", "gmm:n=1000000000000", words=["n"])


def case_bad_activation(tmp):
    fails("spectrum", *SMALL, "--act", "swish", words=["swish"])


def case_bad_option(tmp):
    fails("spectrum", "--frobnicate", words=["--frobnicate"], code=2)
    fails("spectrum", "--top", words=["--top"], code=2)
    fails("spectrum", "--top", "ten", words=["ten"], code=2)


def case_bad_dense_limit(tmp):
    out = f"{tmp}/out.json"
    fails("spectrum", *SMALL, "--dense", "--dense-limit", "1K", "--json", out,
          words=["limit"])
    assert not os.path.exists(out) and not os.path.exists(out + ".tmp"), "partial output left"


def case_mem_too_small(tmp):
    line = fails("spectrum", *SMALL, "--top", "4", "--mem", "2K", words=["2 KiB", "budget"])
    assert "smallest budget" in line and "KiB" in line, line
    # The budget it names works.
    need = line.split("smallest budget that works is ")[1].split()[0]
    spectrum_json(*SMALL, "--top", "4", "--mem", need + "K")


def case_threads_mem_same_values(tmp):
    """Threads, batch size and caching (set by --mem) change no result."""
    big = ["--data", "gmm:n=400,classes=3,clusters=2,dim=20,seed=3", "--hidden", "64",
           "--top", "6"]
    want = spectrum_json(*big, "--threads", "1")["singular_values"]
    line = fails("spectrum", *big, "--mem", "1K")
    need = int(line.split("smallest budget that works is ")[1].split()[0])
    # Just enough: batches of one sample, no cache; several batches without the
    # cache; the cache filled batch by batch; one batch with the cache.
    for extra in ["--threads=2 --mem=%dK" % need, "--threads=1 --mem=%dK" % (need + 300),
                  "--threads=2 --mem=%dK" % (need + 800), "--threads=0 --mem=1G"]:
        got = spectrum_json(*big, *extra.split())["singular_values"]
        for a, b in zip(got, want):
            assert abs(a - b) <= 1e-10 * want[0], (extra, a, b)


def case_verbose_plan(tmp):
    proc = run("spectrum", "--quiet", *SMALL, "--top", "3", "--threads", "1", "--verbose",
               "--mem", "100M")
    assert "1 thread" in proc.stderr, proc.stderr
    assert "memory plan" in proc.stderr and "cache on" in proc.stderr, proc.stderr


def case_precision_single(tmp):
    """Single-precision products: singular values within 1e-5 of double's."""
    args = ["--data", "gmm:n=300,classes=3,clusters=2,dim=20,seed=3", "--hidden", "64",
            "--top", "5"]
    want = spectrum_json(*args)["singular_values"]
    got = spectrum_json(*args, "--precision", "single")["singular_values"]
    for a, b in zip(got, want):
        assert abs(a - b) <= 1e-5 * b, (a, b)
    assert any(a != b for a, b in zip(got, want)), "--precision single changed nothing"
    fails("spectrum", *args, "--precision", "half", words=["--precision"], code=2)

def case_precision_mixed(tmp):
    """Mixed precision: the values of the dense SVD to --tol on both Gram
    sides, each within its error bound; the refinement in the JSON and the
    table; the products of both precisions counted."""
    args = ["--data", "gmm:n=300,classes=3,clusters=2,dim=20,seed=3", "--hidden", "64",
            "--top", "8"]
    for side in ["outputs", "params"]:
        dense = spectrum_json(*args, "--side", side, "--dense")["singular_values"]
        for tol in [1e-10, 1e-12]:
            res = spectrum_json(*args, "--side", side, "--precision", "mixed",
                                "--tol", repr(tol))
            ref = res["refinement"]
            for key in ["steps", "max_error_bound", "tol", "error_bounds", "fast_jvp_count",
                        "fast_vjp_count"]:
                assert key in ref, (key, ref)
            assert res["side"] == side and res["converged"] is True, res
            assert ref["max_error_bound"] <= tol == ref["tol"], ref
            assert len(ref["error_bounds"]) == 8 and max(ref["error_bounds"]) == \
                ref["max_error_bound"], ref
            assert ref["fast_jvp_count"] == ref["fast_vjp_count"] > 8, ref
            # Each step: 8 + 3 guards in one block on each side of the double J.
            assert res["jvp_count"] == res["vjp_count"] == 11 * (ref["steps"] + 1), res
            for a, b, bound in zip(res["singular_values"], dense, ref["error_bounds"]):
                assert abs(a - b) <= tol * b, (side, tol, a, b)
                assert abs(a - b) <= bound * a + 1e-15 * dense[0], (side, tol, a, b, bound)
    double = spectrum_json(*args)
    assert "refinement" not in double, double
    out = run("spectrum", "--quiet", *args, "--precision", "mixed").stdout
    assert "# mixed precision: Lanczos on single-precision products" in out, out
    assert "error bound" in out.splitlines()[[l.startswith("     s") for l in
                                              out.splitlines()].index(True)], out


def case_precision_mixed_explicit_gram(tmp):
    """--gram explicit forms J J^T from the single twin; the refinement in
    double still gives the dense values to --tol."""
    args = ["--data", "gmm:n=200,classes=3,clusters=2,dim=20,seed=4", "--hidden", "64",
            "--top", "6", "--side", "outputs"]
    dense = spectrum_json(*args, "--dense")["singular_values"]
    res = spectrum_json(*args, "--gram", "explicit", "--precision", "mixed")
    assert res["gram"] == "explicit" and res["gram_products"] > 0, res
    assert res["refinement"]["fast_jvp_count"] == 0, res
    for a, b in zip(res["singular_values"], dense):
        assert abs(a - b) <= 1e-10 * b, (a, b)


def case_bad_precision_mixed(tmp):
    """Mixed precision where it has nothing to refine: one line, exit 2."""
    for extra in [["--dense"], ["--method", "dense"], ["--method", "gkl"], ["--smallest", "3"]]:
        fails("spectrum", *SMALL, *extra, "--precision", "mixed",
              words=["--precision mixed", "spectrum"], code=2)
    fails("train", *SMALL, "--steps", "2", "--precision", "mixed",
          words=["--precision mixed", "train"], code=2)
    fails("density", *SMALL, "--precision", "mixed", words=["--precision mixed"], code=2)
    fails("bound", *SMALL, "--theorem", "3.2", "--cutoff", "0.1", "--precision", "mixed",
          words=["--precision mixed", "3.2"], code=2)
    fails("spectrum", *SMALL, "--precision", "quad", words=["double, single or mixed"], code=2)


def case_bad_threads_mem(tmp):
    fails("spectrum", *SMALL, "--threads", "-1", words=["--threads"], code=2)
    fails("spectrum", *SMALL, "--threads", "two", words=["--threads"], code=2)
    fails("spectrum", *SMALL, "--mem", "lots", words=["--mem"], code=2)


if __name__ == "__main__":
    main(globals())
