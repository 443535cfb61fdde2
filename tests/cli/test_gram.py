"""CLI tests of `--gram explicit|implicit|auto` (spectrum, split, density):
the explicit J J^T gives the implicit solve's numbers, reports itself, is
chosen by auto where it fits and pays, and is refused where it cannot serve.

usage: test_gram.py JACSPEC CASE   (meson runs one CASE per test)
"""
import json
import os
import random

import npyio
from clitest import fails, main, run

# nK = 180 <= p: the outputs side, where the explicit Gram serves.
SMALL = ["--data", "gmm:n=60,classes=3,clusters=2,dim=6,seed=3", "--hidden", "32",
         "--threads", "1"]
DEEP = ["--data", "gmm:n=60,classes=3,clusters=2,dim=6,seed=3", "--hidden", "16,16",
        "--bias", "--train", "all", "--act", "tanh", "--threads", "1"]


def verb_json(verb, *args):
    return json.loads(run(verb, "--quiet", "--json", "-", *args).stdout)


def close(a, b, tol):
    assert len(a) == len(b), (a, b)
    scale = max(abs(x) for x in b)
    for x, y in zip(a, b):
        assert abs(x - y) <= tol * scale, (x, y)


def case_spectrum_matches_implicit_and_dense(tmp):
    for model in [SMALL, DEEP]:
        args = [*model, "--top", "8", "--method", "gram"]
        explicit = verb_json("spectrum", *args, "--gram", "explicit")
        implicit = verb_json("spectrum", *args, "--gram", "implicit")
        dense = verb_json("spectrum", *args, "--dense")
        close(explicit["singular_values"], implicit["singular_values"], 1e-10)
        close(explicit["singular_values"], dense["singular_values"][:8], 1e-10)
        assert explicit["gram"] == "explicit" and implicit["gram"] == "implicit"
        assert explicit["gram_products"] > 0 and implicit["gram_products"] == 0
        assert explicit["gram_seconds"] >= 0 and "gram_seconds" not in implicit
        # J only for the check of G (one J and one J^T product): the
        # residuals come from G U, and v is not made unless it is saved.
        assert explicit["jvp_count"] == 1 and explicit["vjp_count"] == 1, explicit
        assert explicit["gram_check"] <= 1e-13 and "gram_check" not in implicit
        saving = verb_json("spectrum", *args, "--gram", "explicit", "--save-vectors",
                           os.path.join(tmp, "sv"))
        assert saving["jvp_count"] == 1 and saving["vjp_count"] == 9, saving
        assert saving["singular_values"] == explicit["singular_values"]
        # The norms ||J^T u_s|| by products instead of from G: rounding apart.
        assert all(abs(a - b) <= 1e-14 for a, b in zip(saving["residuals"],
                                                        explicit["residuals"]))
        shape, _ = npyio.read(os.path.join(tmp, "sv_V.npy"))
        assert shape == (explicit["n_params"], 8), shape
        # --tol is sigma's accuracy: a residual rho moves sigma by about
        # rho^2 sigma, so 1e-10 on sigma allows residuals near 1e-5.
        assert max(explicit["residuals"]) < 1e-6, explicit["residuals"]


def case_split_and_density_match(tmp):
    args = [*DEEP, "--rank", "6"]
    explicit = verb_json("split", *args, "--gram", "explicit")
    implicit = verb_json("split", *args, "--gram", "implicit")
    assert explicit["gram"] == "explicit" and explicit["gram_products"] > 0
    for key in ["labels", "residual"]:
        for part in ["info", "nuisance", "pinv"]:
            assert abs(explicit[key][part] - implicit[key][part]) <= 1e-10, (key, part)
    args = [*DEEP, "--probes", "4", "--steps", "20"]
    explicit = verb_json("density", *args, "--gram", "explicit")
    implicit = verb_json("density", *args, "--gram", "implicit")
    assert explicit["gram"] == "explicit" and explicit["gram_products"] == 80
    assert explicit["jvp_count"] == 0 and implicit["jvp_count"] == 80
    assert abs(explicit["sigma_max"] - implicit["sigma_max"]) <= 1e-10 * implicit["sigma_max"]
    close(explicit["counts"], implicit["counts"], 1e-8)


def case_table_and_verbose(tmp):
    proc = run("spectrum", "--quiet", *SMALL, "--top", "4", "--gram", "explicit", "--verbose")
    assert "# Gram: J J^T formed explicitly" in proc.stdout, proc.stdout
    assert "checked: ||G z - J (J^T z)|| = " in proc.stdout, proc.stdout
    assert "Gram: explicit" in proc.stderr and "formed in" in proc.stderr, proc.stderr
    proc = run("spectrum", "--quiet", *SMALL, "--top", "4", "--gram", "implicit", "--verbose")
    assert "Gram:" not in proc.stderr and "# Gram" not in proc.stdout, proc.stderr


def case_auto_chooses(tmp):
    """auto: explicit where forming pays (wide layer, few samples) and fits
    --mem; implicit where the budget leaves no room for (nK)^2 doubles,
    where --gram explicit then fails naming --mem."""
    wide = ["--data", "gmm:n=600,classes=2,dim=200", "--hidden", "512", "--top", "5",
            "--threads", "1"]
    proc = run("spectrum", "--quiet", *wide, "--mem", "120M", "--verbose", "--json", "-")
    assert json.loads(proc.stdout)["gram"] == "explicit", proc.stderr
    assert "Gram: explicit" in proc.stderr, proc.stderr
    proc = run("spectrum", "--quiet", *wide, "--mem", "50M", "--verbose", "--json", "-")
    assert json.loads(proc.stdout)["gram"] == "implicit", proc.stderr
    assert "beyond the budget" in proc.stderr, proc.stderr
    fails("spectrum", *wide, "--mem", "50M", "--gram", "explicit", words=["--mem"], code=1)
    # Small and narrow: the products are cheaper than forming J J^T.
    assert verb_json("spectrum", *SMALL, "--top", "3")["gram"] == "implicit"


def case_refused_for_cnn(tmp):
    rnd = random.Random(5)
    n = 12
    npyio.write(f"{tmp}/X.npy", [rnd.random() for _ in range(n * 36)], (n, 1, 6, 6))
    npyio.write(f"{tmp}/y.npy", [i % 2 for i in range(n)], (n,), "<i8")
    cnn = ["--x", f"{tmp}/X.npy", "--labels", f"{tmp}/y.npy", "--arch",
           "cnn:conv=2x3,pool=avg2,dense=8", "--top", "3", "--threads", "1"]
    fails("spectrum", *cnn, "--gram", "explicit", words=["--gram explicit", "avgpool"],
          code=2)
    proc = run("spectrum", "--quiet", *cnn, "--verbose", "--json", "-")
    assert json.loads(proc.stdout)["gram"] == "implicit"
    assert "cannot serve" in proc.stderr and "avgpool" in proc.stderr, proc.stderr
    # Its dense top alone is a dense chain above the convolution's features.
    top = [*cnn, "--train", "dense*,fc.*"]
    explicit = verb_json("spectrum", *top, "--gram", "explicit")
    implicit = verb_json("spectrum", *top, "--gram", "implicit")
    close(explicit["singular_values"], implicit["singular_values"], 1e-10)


def case_refused_where_unused(tmp):
    fails("spectrum", *SMALL, "--top", "3", "--gram", "explicit", "--side", "params",
          words=["params side"], code=2)
    fails("spectrum", *SMALL, "--top", "3", "--gram", "explicit", "--method", "gkl",
          words=["GKL"], code=2)
    fails("spectrum", *SMALL, "--gram", "sometimes", words=["--gram"], code=2)
    # nK = 120 > p = 72: density runs on J^T J.
    fails("density", "--data", "gmm:n=40,classes=3,clusters=2,dim=6", "--hidden", "12",
          "--gram", "explicit", words=["J^T J"], code=2)


if __name__ == "__main__":
    main(globals())
