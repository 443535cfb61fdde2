"""CLI tests of `jacspec split`, `train` and `bound`: the real binary on real
files, their numbers checked against `jacspec spectrum` and each other.

usage: test_analysis.py JACSPEC CASE   (meson runs one CASE per test)
"""
import csv
import json
import math
import os
import random

import npyio
from clitest import fails, main, run

SMALL = ["--data", "gmm:n=40,classes=3,clusters=2,dim=6,seed=3", "--hidden", "12"]
TEST = ["--test-data", "gmm:n=20,classes=3,clusters=2,dim=6,seed=4"]
COLUMNS = ["step", "loss", "train_error", "test_error", "res_info", "res_nuisance",
           "test_res_info", "test_res_nuisance", "dist_from_init", "taylor_rem", "lin_gap",
           "lin_dist"]


def as_json(verb, *args):
    return json.loads(run(verb, "--quiet", "--json", "-", *args).stdout)


def close(a, b, tol=1e-10):
    return abs(a - b) <= tol * max(1.0, abs(b))


def label_files(tmp, n=30, d=5, classes=3):
    rnd = random.Random(11)
    npyio.write(f"{tmp}/X.npy", [rnd.gauss(0, 1) for _ in range(n * d)], (n, d))
    labels = [rnd.randrange(classes) for _ in range(n)]
    npyio.write(f"{tmp}/y.npy", labels, (n,), "<i8")
    return ["--x", f"{tmp}/X.npy", "--labels", f"{tmp}/y.npy", "--hidden", "8"], labels


# ---------------------------------------------------------------- split

def case_split_matches_spectrum(tmp):
    res = as_json("split", *SMALL, "--rank", "6")
    spec = as_json("spectrum", *SMALL, "--top", "6")
    assert res["rank"] == 6 and res["cutoff"] is None
    for a, b in zip(res["singular_values"], spec["singular_values"]):
        assert close(a, b), (a, b)
    assert close(res["lambda_1"], spec["singular_values"][0])
    assert close(res["lambda_r"], spec["singular_values"][5])
    for z in ("labels", "residual"):
        m = res[z]
        assert close(m["info"] ** 2 + m["nuisance"] ** 2, 1.0), m


def case_split_and_bound_mixed(tmp):
    """--precision mixed gives split's and bound's numbers to double's, and
    says what its refinement did."""
    for verb, rank in [("split", ["--rank", "6"]), ("bound", ["--cutoff", "0.05"])]:
        want = as_json(verb, *SMALL, *rank)
        got = as_json(verb, *SMALL, *rank, "--precision", "mixed")
        ref = got.pop("refinement")
        assert ref["max_error_bound"] <= 1e-10 and ref["fast_jvp_count"] > 0, ref
        assert got.keys() == want.keys(), (got.keys(), want.keys())
        for key, value in want.items():
            if isinstance(value, float):
                assert close(got[key], value, 1e-9), (verb, key, got[key], value)
    out = run("split", "--quiet", *SMALL, "--rank", "6", "--precision", "mixed").stdout
    assert "# mixed precision" in out, out


def case_split_metrics_from_vectors(tmp):
    """||Pi_I y||, ||J_I^+ y|| from spectrum's saved U; coefficients file."""
    data, labels = label_files(tmp)
    res = as_json("split", *data, "--rank", "5", "--coefficients", f"{tmp}/c.npy")
    spec = as_json("spectrum", *data, "--top", "5", "--save-vectors", f"{tmp}/v")
    (rows, r), u = npyio.read(f"{tmp}/v_U.npy")
    shape, coef = npyio.read(f"{tmp}/c.npy")
    assert shape == (2, 5) and r == 5 and rows == 90, (shape, r, rows)
    y = [0.0] * rows
    for i, c in enumerate(labels):
        y[i * 3 + c] = 1.0
    norm = math.sqrt(sum(v * v for v in y))
    uty = [sum(u[i * r + s] * y[i] for i in range(rows)) for s in range(r)]
    for s in range(r):
        assert close(abs(coef[s]), abs(uty[s])), (s, coef[s], uty[s])
    info = math.sqrt(sum(c * c for c in uty)) / norm
    pinv = math.sqrt(sum((c / l) ** 2 for c, l in zip(uty, spec["singular_values"]))) / norm
    assert close(res["labels"]["info"], info) and close(res["labels"]["pinv"], pinv)
    assert close(res["labels"]["norm"], norm)
    resid = res["residual"]
    assert close(math.sqrt(sum(c * c for c in coef[5:])), resid["info"] * resid["norm"])


def case_split_and_bound_csv(tmp):
    res = as_json("split", *SMALL, "--rank", "4")
    rows = list(csv.DictReader(run("split", *SMALL, "--rank", "4", "--quiet",
                                   "--csv", "-").stdout.splitlines()))
    assert [r["vector"] for r in rows] == ["labels", "residual"]
    for row, key in zip(rows, ["labels", "residual"]):
        assert int(row["rank"]) == 4 and row["cutoff"] == ""
        assert float(row["lambda_1"]) == res["lambda_1"]
        for field in ["norm", "info", "nuisance", "pinv"]:
            assert float(row[field]) == res[key][field], (key, field)
    terms = as_json("bound", *SMALL, "--cutoff", "0.5")
    rows = list(csv.DictReader(run("bound", *SMALL, "--cutoff", "0.5", "--quiet",
                                   "--csv", "-").stdout.splitlines()))
    assert [r["term"] for r in rows] == ["bias", "variance", "confidence", "approximation",
                                          "total", "iterations"]
    for r in rows:
        assert float(r["value"]) == terms[r["term"]], r


def case_split_cutoff(tmp):
    values = as_json("spectrum", *SMALL, "--top", "30", "--dense")["singular_values"]
    alpha = (values[8] + values[9]) / 2
    res = as_json("split", *SMALL, "--cutoff", repr(alpha))
    assert res["rank"] == 9 and close(res["cutoff"], alpha), res
    out = run("split", "--quiet", *SMALL, "--cutoff", repr(alpha)).stdout
    assert "r = 9" in out and "labels y" in out and "residual" in out, out


# ---------------------------------------------------------------- train

def train_rows(*args):
    return as_json("train", *SMALL, *args)


def case_train_columns(tmp):
    res = train_rows(*TEST, "--steps", "10", "--every", "5", "--linearized", "--rank", "5",
                     "--csv", f"{tmp}/t.csv")
    assert [r["step"] for r in res["rows"]] == [0, 5, 10]
    assert list(res["rows"][0].keys()) == COLUMNS, res["rows"][0].keys()
    with open(f"{tmp}/t.csv") as f:
        table = list(csv.reader(f))
    assert table[0] == COLUMNS and len(table) == 4, table
    for row, obj in zip(table[1:], res["rows"]):
        for name, cell in zip(COLUMNS, row):
            assert close(float(cell), obj[name]), (name, cell, obj[name])
    for key in ["steps", "lr", "optimizer", "every", "space", "rank", "linearized"]:
        assert key in res, key
    first = res["rows"][0]
    assert first["lin_gap"] == 0 and first["dist_from_init"] == 0
    # res_info^2 + res_nuisance^2 = ||r||^2 = 2 loss
    for r in res["rows"]:
        assert close(r["res_info"] ** 2 + r["res_nuisance"] ** 2, 2 * r["loss"], 1e-9), r
    # Absent quantities are left out.
    plain = train_rows("--steps", "4", "--space", "none")
    assert list(plain["rows"][0].keys()) == ["step", "loss", "train_error",
                                              "dist_from_init", "taylor_rem"]


def case_train_loss_falls_and_lr_auto(tmp):
    res = train_rows("--steps", "30", "--every", "10")
    spec = as_json("spectrum", *SMALL, "--top", "1")
    assert close(res["lr"], 1 / spec["singular_values"][0] ** 2, 1e-8) and res["lr_auto"]
    losses = [r["loss"] for r in res["rows"]]
    assert losses == sorted(losses, reverse=True) and losses[-1] < 0.5 * losses[0], losses


def case_train_space_init_matches_split(tmp):
    """At step 0 with --space init, res_* are split's residual norms."""
    res = train_rows("--steps", "2", "--space", "init", "--rank", "7")
    split = as_json("split", *SMALL, "--rank", "7")["residual"]
    r0 = res["rows"][0]
    assert close(r0["res_info"], split["info"] * split["norm"])
    assert close(r0["res_nuisance"], split["nuisance"] * split["norm"])
    same = train_rows("--steps", "2", "--space", "0", "--rank", "7")
    assert same["rows"] == res["rows"]


def case_train_save_then_split(tmp):
    res = train_rows("--steps", "20", "--every", "20", "--save", f"{tmp}/w", "--rank", "6")
    assert sorted(os.listdir(f"{tmp}/w")) == ["W1.npy", "W2.npy"]
    final = as_json("split", *SMALL, "--init", f"{tmp}/w", "--rank", "6")
    last = res["rows"][-1]
    assert close(final["residual"]["norm"], math.sqrt(2 * last["loss"]), 1e-9)
    assert close(final["residual"]["info"] * final["residual"]["norm"], last["res_info"], 1e-8)
    initial = as_json("split", *SMALL, "--rank", "6")
    assert final["residual"]["norm"] < initial["residual"]["norm"]


def case_split_residual_init(tmp):
    # The paper's J_final row: J at the trained weights, r0 at the initial ones.
    trained = train_rows("--steps", "20", "--every", "20", "--save-init", f"{tmp}/w0",
                         "--save", f"{tmp}/w1", "--rank", "6")
    initial = as_json("split", *SMALL, "--init", f"{tmp}/w0", "--rank", "6")
    final = as_json("split", *SMALL, "--init", f"{tmp}/w1", "--rank", "6")
    paper = as_json("split", *SMALL, "--init", f"{tmp}/w1", "--rank", "6",
                    "--residual-init", f"{tmp}/w0")
    # train's own J_final row (its I is J_final's) is the same row.
    for key in ("labels", "residual"):
        for part in ("norm", "info", "nuisance", "pinv"):
            assert close(trained[key][part], paper[key][part], 1e-8), (key, part)
    assert paper["singular_values"] == final["singular_values"]
    assert paper["labels"] == final["labels"]
    assert paper["residual_weights"] == f"{tmp}/w0"
    assert close(paper["residual"]["norm"], initial["residual"]["norm"])
    assert not close(paper["residual"]["info"], final["residual"]["info"], 1e-3)
    assert not close(paper["residual"]["info"], initial["residual"]["info"], 1e-3)
    # A missing directory fails up front and leaves nothing behind.
    fails("split", *SMALL, "--init", f"{tmp}/w1", "--rank", "6", "--residual-init",
          f"{tmp}/missing", "--save-init", f"{tmp}/si", "--json", f"{tmp}/o.json",
          words=["missing"])
    assert not os.path.exists(f"{tmp}/si") and not os.path.exists(f"{tmp}/o.json")


def case_train_optimizers(tmp):
    for args in (["--optimizer", "sgd", "--batch", "8"], ["--optimizer", "adam", "--lr", "0.01"]):
        res = train_rows("--steps", "20", "--every", "10", "--space", "none", *args)
        assert res["rows"][-1]["loss"] < res["rows"][0]["loss"], (args, res["rows"])
    sgd = train_rows("--steps", "3", "--optimizer", "sgd", "--batch", "8", "--space", "none")
    assert sgd["batch"] == 8 and sgd["optimizer"] == "sgd"


def case_train_corrupt(tmp):
    data, labels = label_files(tmp)
    clean = as_json("train", *data, "--steps", "1", "--space", "none")
    bad = as_json("train", *data, "--steps", "1", "--space", "none", "--corrupt", "0.5")
    assert bad["corrupted"] == 15 and bad["corrupt"] == 0.5
    assert bad["rows"][0]["loss"] != clean["rows"][0]["loss"]


def case_train_adaptation_and_split_compare(tmp):
    """taylor_rem is 0 at step 0 and grows; space_overlap starts at 1 and
    equals split --compare's overlap between the final and initial weights;
    a space compared with itself has overlap 1 and angles 0."""
    res = train_rows("--steps", "30", "--every", "10", "--rank", "4", "--overlap",
                     "--save-init", f"{tmp}/w0", "--save", f"{tmp}/w1")
    rows = res["rows"]
    assert list(rows[0].keys())[-1] == "space_overlap"
    assert rows[0]["taylor_rem"] == 0 and close(rows[0]["space_overlap"], 1, 1e-10), rows[0]
    assert all(0 < r["taylor_rem"] for r in rows[1:]), rows
    assert all(0 < r["space_overlap"] < 1 for r in rows[1:]), rows
    moved = as_json("split", *SMALL, "--rank", "4", "--init", f"{tmp}/w1",
                    "--compare", f"{tmp}/w0")["compare"]
    assert moved["weights"] == f"{tmp}/w0" and len(moved["angles"]) == 4
    assert close(moved["overlap"], rows[-1]["space_overlap"], 1e-8), (moved, rows[-1])
    # The mean of cos^2 of the principal angles is the overlap.
    mean_cos2 = sum(math.cos(a) ** 2 for a in moved["angles"]) / 4
    assert close(mean_cos2, moved["overlap"], 1e-9), (mean_cos2, moved)
    assert moved["angles"] == sorted(moved["angles"]) and moved["angles"][-1] > 1e-3
    same = as_json("split", *SMALL, "--rank", "4", "--compare", f"{tmp}/w0")["compare"]
    assert close(same["overlap"], 1, 1e-12) and max(same["angles"]) < 1e-6, same
    fails("split", *SMALL, "--compare", f"{tmp}/missing", "--json", f"{tmp}/o.json",
          words=["missing"])
    # I(theta_0) as spectrum --save-vectors' U (4 and 7 columns): the same
    # as from the weights; a larger space from the same weights holds I.
    for top in ("4", "7"):
        run("spectrum", *SMALL, "--init", f"{tmp}/w0", "--top", top, "--quiet",
               "--save-vectors", f"{tmp}/top{top}")
    saved = as_json("split", *SMALL, "--rank", "4", "--init", f"{tmp}/w1",
                    "--compare", f"{tmp}/top4_U.npy")["compare"]
    assert saved["basis"] == f"{tmp}/top4_U.npy" and saved["rank"] == 4, saved
    assert close(saved["overlap"], moved["overlap"], 1e-10), (saved, moved)
    assert all(abs(a - b) < 1e-7 for a, b in zip(saved["angles"], moved["angles"])), saved
    inside = as_json("split", *SMALL, "--rank", "4", "--init", f"{tmp}/w0",
                     "--compare", f"{tmp}/top7_U.npy")["compare"]
    assert inside["rank"] == 7 and len(inside["angles"]) == 4, inside
    assert close(inside["overlap"], 1, 1e-12), inside
    # V has p rows, not nK; a vector is not a basis.
    fails("split", *SMALL, "--compare", f"{tmp}/top4_V.npy", "--json", f"{tmp}/o.json",
          words=["top4_V.npy", "nK"])
    npyio.write(f"{tmp}/flat.npy", [1.0] * 120, (120,))
    fails("split", *SMALL, "--compare", f"{tmp}/flat.npy", words=["flat.npy", "2-d"])
    fails("train", *SMALL, "--overlap", "--cutoff", "0.5", words=["--overlap"], code=2)
    assert not os.path.exists(f"{tmp}/o.json")


def case_train_jacobian_change(tmp):
    """jacobian_change = ||J(theta_t) - J_0||_2 / ||J_0||_2: 0 at step 0, finite
    and positive on the later rows, the same in the CSV; between Weyl's
    |lambda_1(J_T) - lambda_1(J_0)| / lambda_1(J_0) and the triangle
    inequality's 1 + lambda_1(J_T) / lambda_1(J_0), both from spectrum on the
    saved weights; exactly 0 for a linear model, whose J does not depend on
    theta."""
    res = train_rows("--steps", "30", "--every", "10", "--space", "none", "--jacobian-change",
                     "--save-init", f"{tmp}/w0", "--save", f"{tmp}/w1", "--csv", f"{tmp}/t.csv")
    rows = res["rows"]
    assert [r["step"] for r in rows] == [0, 10, 20, 30], rows
    assert list(rows[0].keys())[-1] == "jacobian_change" and rows[0]["jacobian_change"] == 0
    assert all(math.isfinite(r["jacobian_change"]) and r["jacobian_change"] > 0
               for r in rows[1:]), rows
    with open(f"{tmp}/t.csv") as f:
        table = list(csv.DictReader(f))
    assert [float(r["jacobian_change"]) for r in table] == [r["jacobian_change"] for r in rows]
    lambda_0, lambda_t = (as_json("spectrum", *SMALL, "--init", f"{tmp}/{w}", "--top", "1")
                          ["singular_values"][0] for w in ("w0", "w1"))
    change = rows[-1]["jacobian_change"]
    weyl = abs(lambda_t - lambda_0) / lambda_0
    assert weyl * (1 - 1e-8) <= change <= 1 + lambda_t / lambda_0, (weyl, change, lambda_t)
    linear = as_json("train", "--data", "gmm:n=30,classes=3,dim=6", "--hidden", "none",
                     "--steps", "4", "--every", "2", "--space", "none", "--jacobian-change")
    assert [r["jacobian_change"] for r in linear["rows"]] == [0, 0, 0], linear["rows"]


def case_corrupt_split_and_train_agree(tmp):
    """split --corrupt and train --corrupt change exactly the same labels
    (--save-labels of both, against the clean ones); train's true_error is
    the error against the clean labels; the corruption vector's norm is
    sqrt(2 changed) (one-hot: a 1 moves)."""
    data, labels = label_files(tmp)
    as_json("split", *data, "--rank", "4", "--save-labels", f"{tmp}/clean.npy")
    s = as_json("split", *data, "--rank", "4", "--corrupt", "0.3",
                "--save-labels", f"{tmp}/split.npy")
    t = as_json("train", *data, "--steps", "5", "--rank", "4", "--corrupt", "0.3",
                "--save-labels", f"{tmp}/train.npy")
    _, clean = npyio.read(f"{tmp}/clean.npy")
    _, by_split = npyio.read(f"{tmp}/split.npy")
    _, by_train = npyio.read(f"{tmp}/train.npy")
    assert clean == [float(v) for v in labels]
    assert by_split == by_train, (by_split, by_train)
    changed = sum(a != b for a, b in zip(clean, by_split))
    assert changed == round(0.3 * len(labels)) == s["corrupted"] == t["corrupted"], changed
    for res in (s, t):
        c = res["corruption"]
        assert close(c["norm"], math.sqrt(2 * changed)), c
        assert close(c["info"] ** 2 + c["nuisance"] ** 2, 1, 1e-9), c
    # Another seed, other labels.
    as_json("split", *data, "--rank", "4", "--corrupt", "0.3", "--seed", "2",
            "--save-labels", f"{tmp}/other.npy")
    assert npyio.read(f"{tmp}/other.npy")[1] != by_split
    # true_error of the corrupted run is the clean run's train_error at step 0.
    plain = as_json("train", *data, "--steps", "5", "--rank", "4")
    assert t["rows"][0]["true_error"] == plain["rows"][0]["train_error"]
    assert t["rows"][0]["train_error"] != plain["rows"][0]["train_error"]
    assert "true_error" not in plain["rows"][0] and "corruption" not in plain


def case_train_test_data_same_mixture(tmp):
    # --test-data with another seed draws new samples of the same mixture
    # (task= fixes the centres), so what the net learns carries over: test
    # error far below chance (2/3), where another mixture would sit at chance.
    spec = "gmm:n=150,classes=3,clusters=1,dim=10,sigma=0.1,sep=1"
    res = as_json("train", "--data", spec, "--test-data", spec + ",seed=2", "--hidden", "32",
                  "--steps", "60", "--every", "60", "--space", "none")
    last = res["rows"][-1]
    assert last["train_error"] <= 0.05 and last["test_error"] <= 0.1, last


def case_train_lowrank_linear(tmp):
    spec = "lowrank:n=30,dim=60,rank=4"
    res = as_json("train", "--data", spec, "--test-data", spec + ",seed=2", "--hidden", "none",
                  "--no-normalize", "--steps", "10", "--rank", "4", "--space", "init")
    assert res["n_params"] == 60 and res["n_outputs"] == 1
    row = res["rows"][0]
    assert close(row["train_error"], row["loss"])  # real targets: 0.5 ||r||^2


def case_train_nan_keeps_rows(tmp):
    line = fails("train", *SMALL, "--act", "quadratic", "--lr", "1e4", "--steps", "50",
                 "--csv", f"{tmp}/t.csv", "--json", f"{tmp}/t.json", "--space", "none",
                 words=["step"])
    step = int(line.rsplit("step", 1)[1])
    with open(f"{tmp}/t.csv") as f:
        table = list(csv.reader(f))
    assert [int(r[0]) for r in table[1:]] == list(range(step)), (step, table)
    with open(f"{tmp}/t.json") as f:
        assert "step" in json.load(f)["error"]
    assert sorted(os.listdir(tmp)) == ["t.csv", "t.json"]


# ---------------------------------------------------------------- bound

def case_bound_terms(tmp):
    spec = as_json("spectrum", *SMALL, "--top", "10")["singular_values"]
    alpha = (spec[5] + spec[6]) / 2
    b = as_json("bound", *SMALL, "--cutoff", repr(alpha), "--gamma", "2", "--zeta", "0.2")
    split = as_json("split", *SMALL, "--cutoff", repr(alpha))["residual"]
    n = 40
    assert b["rank"] == 6
    assert close(b["total"], b["bias"] + b["variance"] + b["confidence"] + b["approximation"])
    assert close(b["bias"], 2 * split["nuisance"] * split["norm"] / math.sqrt(n))
    assert close(b["variance"], 12 * b["nu"] * b["B"] / math.sqrt(n) *
                 (split["pinv"] * split["norm"] + 2 / alpha * split["nuisance"] * split["norm"]))
    assert close(b["confidence"], 5 * math.sqrt(math.log(2 / 0.05) / n))
    assert close(b["approximation"], 2 * split["norm"] / math.sqrt(n) * (math.exp(-2) + 0.2))
    assert close(b["lr"], 1 / spec[0] ** 2) and close(b["iterations"], 2 / (b["lr"] * alpha ** 2))
    assert close(b["nu"], 1.0)  # V = Rademacher nu / sqrt(kK), nu = 1
    out = run("bound", "--quiet", *SMALL, "--cutoff", repr(alpha)).stdout
    for name in ["bias", "variance", "confidence", "approximation", "total", "iterations"]:
        assert any(line.startswith(name) for line in out.splitlines()), (name, out)


def case_bound_hypotheses(tmp):
    """eta_max = 1/(nu^2 B^2 ||X||^2) against ||X|| from spectrum of the linear
    model (J = X for --hidden none, K = 1); violations named one a line."""
    b = as_json("bound", *SMALL, "--cutoff", "0.5", "--lr", "theory")
    assert close(b["lr"], b["lr_max"]) and close(b["lr_max"], 1 / b["input_norm"] ** 2)
    assert b["variance_621"] <= b["variance"] * (1 + 1e-12), b
    assert any("width" in v for v in b["violations"]), b["violations"]
    assert not any("eta" in v for v in b["violations"]), b["violations"]
    data, _ = label_files(tmp)
    npyio.write(f"{tmp}/t.npy", [0.0] * 30, (30,))
    x = as_json("spectrum", "--x", f"{tmp}/X.npy", "--targets", f"{tmp}/t.npy", "--hidden",
                "none", "--top", "1")["singular_values"][0]
    bx = as_json("bound", *data, "--cutoff", "0.5")["input_norm"]
    assert close(bx, x, 1e-8), (bx, x)
    auto = as_json("bound", *SMALL, "--cutoff", "0.5")
    assert any("eta" in v for v in auto["violations"]), auto["violations"]
    relu = as_json("bound", *SMALL, "--cutoff", "0.5", "--act", "relu", "--train", "all")
    assert any("unbounded" in v for v in relu["violations"])
    assert any("trained tensors" in v for v in relu["violations"])
    t32 = as_json("bound", *SMALL, "--cutoff", "0.3", "--theorem", "3.2")
    assert t32["theorem"] == "3.2" and close(t32["iterations"],
                                             3 * 1 * t32["input_norm"] ** 2 / 0.3 ** 2), t32
    train = as_json("train", *SMALL, "--lr", "theory", "--steps", "2", "--space", "none")
    assert close(train["lr"], b["lr_max"]) and train["lr_rule"] == "theory"


def case_train_lr_decay_epochs(tmp):
    """SGD on n = 40 with B = 10: an epoch is 4 steps; x0.1 from epoch 2
    (step 8), x0.5 from epoch 3 (step 12); the lr column shows eta_t."""
    res = as_json("train", *SMALL, "--optimizer", "sgd", "--batch", "10", "--epochs", "5",
                  "--lr", "0.2", "--lr-decay", "2:0.1,3:0.5", "--every", "1", "--space", "none")
    assert res["steps"] == 20 and res["steps_per_epoch"] == 4, res["steps"]
    assert [d["step"] for d in res["lr_decay"]] == [8, 12]
    for row in res["rows"][1:]:
        t = row["step"]
        eta = 0.2 * (0.1 if t >= 8 else 1) * (0.5 if t >= 12 else 1)
        assert close(row["lr"], eta, 1e-15), (t, row["lr"], eta)
    fails("train", *SMALL, "--lr-decay", "5:0.1,3:0.1", words=["--lr-decay"], code=2)
    fails("train", *SMALL, "--epochs", "3", words=["--epochs"], code=2)


def case_train_sign_error(tmp):
    """+-1 targets: train_error is the fraction of outputs of the wrong sign."""
    res = as_json("train", "--data", "parity:n=60,bits=8,degree=1", "--hidden", "16",
                  "--steps", "3", "--space", "none")
    assert res["error_kind"] == "sign"
    for row in res["rows"]:
        assert 0 <= row["train_error"] <= 1 and row["train_error"] * 60 == round(
            row["train_error"] * 60), row
    low = as_json("train", "--data", "lowrank:n=30,dim=40,rank=3", "--hidden", "none",
                  "--no-normalize", "--steps", "2", "--space", "none")
    assert low["error_kind"] == "loss" and close(low["rows"][0]["train_error"],
                                                 low["rows"][0]["loss"])


def case_spectrum_delocalization(tmp):
    """delocalization_s = max_i |u_s[i]| sqrt(nK), from the saved U."""
    data, _ = label_files(tmp)
    spec = as_json("spectrum", *data, "--top", "3", "--save-vectors", f"{tmp}/v")
    (rows, r), u = npyio.read(f"{tmp}/v_U.npy")
    for s_ in range(r):
        top = max(abs(u[i * r + s_]) for i in range(rows)) * math.sqrt(rows)
        assert close(spec["delocalization"][s_], top, 1e-14), (spec["delocalization"], top)
        assert 1 <= top <= math.sqrt(rows)


# ---------------------------------------------------------------- bad input

def no_files(tmp):
    assert os.listdir(tmp) == [], os.listdir(tmp)


def case_bad_rank_and_cutoff(tmp):
    out = ["--json", f"{tmp}/o.json"]
    fails("split", *SMALL, "--rank", "120", *out, words=["min(nK, p)"])
    fails("split", *SMALL, "--cutoff", "1e6", *out, words=["lambda_1"])
    fails("split", *SMALL, "--cutoff", "0", *out, words=["--cutoff"])
    fails("split", *SMALL, "--rank", "3", "--cutoff", "0.1", *out, words=["--cutoff"])
    fails("train", *SMALL, "--rank", "120", *out, words=["min(nK, p)"])
    fails("train", *SMALL, "--cutoff", "1e6", "--steps", "2", *out, words=["lambda_1"])
    fails("bound", *SMALL, "--cutoff", "1e6", *out, words=["lambda_1"])
    fails("bound", *SMALL, *out, words=["--cutoff"])
    no_files(tmp)


def case_bad_training_options(tmp):
    out = ["--csv", f"{tmp}/o.csv", "--json", f"{tmp}/o.json"]
    for lr in ["0", "-1", "nan", "inf", "fast"]:
        fails("train", *SMALL, "--lr", lr, *out, words=["--lr"])
    fails("train", *SMALL, "--steps", "0", *out, words=["--steps"])
    for rho in ["-0.1", "1.5", "x"]:
        fails("train", *SMALL, "--corrupt", rho, *out, words=["--corrupt"])
    fails("train", *SMALL, "--optimizer", "newton", *out, words=["--optimizer"])
    fails("train", *SMALL, "--batch", "4", *out, words=["--batch"])
    fails("train", *SMALL, "--optimizer", "sgd", "--batch", "41", *out, words=["--batch"])
    fails("train", *SMALL, "--space", "later", *out, words=["--space"])
    fails("train", "--data", "parity:n=20,bits=4", "--hidden", "5", "--corrupt", "0.5", *out,
          words=["labels"])
    fails("bound", *SMALL, "--cutoff", "0.1", "--zeta", "0.7", words=["--zeta"])
    fails("bound", *SMALL, "--cutoff", "0.1", "--gamma", "0.5", words=["--gamma"])
    fails("bound", *SMALL, "--cutoff", "0.1", "--delta", "0", words=["--delta"])
    no_files(tmp)


def case_bad_test_data(tmp):
    out = ["--csv", f"{tmp}/o.csv"]
    fails("train", *SMALL, "--test-data", "gmm:n=10,classes=3,dim=7", *out,
          words=["dimension"])
    fails("train", *SMALL, "--test-data", "gmm:n=10,classes=2,dim=6", *out, words=["outputs"])
    no_files(tmp)


# ---------------------------------------------------------------- ntk

def unit_rows(n, d, seed):
    rnd = random.Random(seed)
    rows = []
    for _ in range(n):
        v = [rnd.gauss(0, 1) for _ in range(d)]
        s = math.sqrt(sum(a * a for a in v))
        rows.append([a / s for a in v])
    return rows


def solve(a, b):
    """Gaussian elimination with partial pivoting (a is n x n, b length n)."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(c + 1, n):
            f = m[r][c] / m[c][c]
            for k in range(c, n + 1):
                m[r][k] -= f * m[c][k]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (m[r][n] - sum(m[r][k] * x[k] for k in range(r + 1, n))) / m[r][r]
    return x


def case_ntk_relu_closed_form(tmp):
    """Sigma~_ij = (1/4 + asin(rho)/(2 pi)) x_i^T x_j (Sheppard): the sum and
    the sum of squares of all eigenvalues are its trace and squared Frobenius
    norm; y^T Sigma^-1 y from a dense solve here."""
    n, d, K = 8, 5, 2
    x = unit_rows(n, d, 3)
    labels = [i % K for i in range(n)]
    npyio.write(f"{tmp}/X.npy", [a for row in x for a in row], (n, d))
    npyio.write(f"{tmp}/y.npy", labels, (n,), "<i8")
    res = as_json("ntk", "--x", f"{tmp}/X.npy", "--labels", f"{tmp}/y.npy", "--act", "relu",
                  "--top", str(n), "--smallest", "2")
    g = [[sum(a * b for a, b in zip(xi, xj)) for xj in x] for xi in x]
    # rho_ii = 1 exactly: asin amplifies the rounding of g_ii near 1
    k = [[(0.25 + math.asin(1.0 if i == j else g[i][j]) / (2 * math.pi)) * g[i][j]
          for j in range(n)] for i in range(n)]
    ev = res["eigenvalues"]
    assert len(ev) == n and ev == sorted(ev, reverse=True), ev
    assert close(sum(ev), sum(k[i][i] for i in range(n)), 1e-12), (sum(ev), n / 2)
    assert close(sum(e * e for e in ev), sum(v * v for row in k for v in row), 1e-12)
    assert close(res["lambda_min"], ev[-1], 1e-12), res
    q = 0.0
    for c in range(K):
        yc = [1.0 if lab == c else 0.0 for lab in labels]
        q += sum(a * b for a, b in zip(yc, solve(k, yc)))
    assert close(res["y_sigma_inv_y"], q, 1e-8), (res["y_sigma_inv_y"], q)
    assert res["cg_converged"] and res["dense"] and res["method"] == "closed form"


def case_ntk_matrix_free_matches_dense(tmp):
    for act in ("relu", "sigmoid"):
        data = ["--data", "gmm:n=30,classes=2,clusters=2,dim=40,sigma=0.5", "--act", act,
                "--top", "4", "--smallest", "1", "--nodes", "16"]
        dense = as_json("ntk", *data)
        free = as_json("ntk", *data, "--dense-limit", "1")
        assert dense["dense"] and not free["dense"]
        for a, b in zip(dense["eigenvalues"], free["eigenvalues"]):
            assert close(a, b, 1e-9), (a, b)
        assert abs(dense["lambda_min"] - free["lambda_min"]) <= 1e-7 * dense["eigenvalues"][0]
        assert close(dense["y_sigma_inv_y"], free["y_sigma_inv_y"], 1e-6)


def case_ntk_empirical_kernel_converges(tmp):
    """The distance of K/nu^2 J J^T to Sigma(X) falls like 1/sqrt(k): width
    x64 gives about 1/8 (accepted: below 1/3)."""
    data = ["--data", "gmm:n=30,classes=2,clusters=1,dim=8", "--act", "softplus",
            "--top", "1", "--nu", "3"]
    narrow = as_json("ntk", *data, "--hidden", "40")["empirical_distance"]
    wide = as_json("ntk", *data, "--hidden", "2560")["empirical_distance"]
    assert wide < narrow / 3 and wide < 0.1, (narrow, wide)


def case_ntk_bad_options(tmp):
    fails("ntk", "--data", "gmm:n=20", "--top", "21", words=["--top"], code=2)
    fails("ntk", "--data", "gmm:n=20", "--nu", "2", words=["--hidden"], code=2)
    fails("ntk", "--data", "gmm:n=20", "--nodes", "65", words=["--nodes"], code=2)
    fails("ntk", "--data", "gmm:n=20", "--act", "cubic", words=["--act"], code=2)


if __name__ == "__main__":
    main(globals())
