"""CLI tests of `jacspec density`: the real binary, checked against the
dense SVD of the same Jacobian (`spectrum --dense --top min(nK, p)`).

usage: test_density.py JACSPEC CASE   (meson runs one CASE per test)
"""
import csv
import json
import math

import npyio
from clitest import fails, main, run

SMALL = ["--data", "gmm:n=40,classes=3,clusters=2,dim=6,seed=3", "--hidden", "12"]
# The linear model f = W x (J = I_K (x) X): nK = 2000 outputs, p = 300, a
# spectrum without decades of small values, where 20 x 120 products resolve
# the distribution function to better than 0.03.
LINEAR = ["--data", "lowrank:n=2000,dim=300,rank=20", "--hidden", "none", "--no-normalize"]


def density_json(*args):
    return json.loads(run("density", "--quiet", "--json", "-", *args).stdout)


def dense_values(*args, n):
    return run("spectrum", "--quiet", "--json", "-", *args, "--dense", "--top",
               str(n)).stdout


def kolmogorov_at_edges(res, exact):
    """sup over the bin edges of |F_est - F| (the histogram's cumulative
    counts against the exact values')."""
    exact = sorted(exact)
    n, worst, est, j = len(exact), 0.0, res["below_range"], 0
    for i, count in enumerate(res["counts"]):
        est += count
        while j < n and exact[j] <= res["edges"][i + 1]:
            j += 1
        worst = max(worst, abs(est - j) / n)
    return worst


# ---------------------------------------------------------------- cases

def case_json_keys(tmp):
    res = density_json(*SMALL, "--cutoff", "0.5")
    for key in ["edges", "counts", "count_above", "count_above_stderr", "probes", "steps",
                "jvp_count", "vjp_count", "size", "side", "below_range", "above_range"]:
        assert key in res, key
    # nK = 120 > p = 72: the density of the 72 singular values, on J^T J.
    assert res["size"] == 72 and res["side"] == "params", res
    assert len(res["edges"]) == len(res["counts"]) + 1 == 51
    total = sum(res["counts"]) + res["below_range"] + res["above_range"]
    assert abs(total - 72) < 1e-9, total
    # 20 probes x 120 steps, capped at N = 72: 72 Gram products each.
    assert res["probes"] == 20 and res["steps"] == 72
    assert res["breakdowns"] == 0 and res["jvp_count"] == res["vjp_count"] == 20 * 72, res
    assert 0 <= res["count_above"] <= 72 and res["count_above_stderr"] > 0


def case_matches_dense(tmp):
    res = density_json(*LINEAR, "--bins", "400", "--cutoff", "1.0")
    exact = json.loads(dense_values(*LINEAR, n=res["size"]))["singular_values"]
    assert res["size"] == 300 and len(exact) == 300
    ks = kolmogorov_at_edges(res, exact)
    assert ks <= 0.03, ks
    above = sum(1 for s in exact if s > 1.0)
    assert abs(res["count_above"] - above) <= 3 * res["count_above_stderr"], (res, above)
    assert res["edges"][-1] >= max(exact) * 1.0 - 1e-9


def case_csv_matches_json(tmp):
    res = density_json(*SMALL, "--bins", "7")
    run("density", "--quiet", *SMALL, "--bins", "7", "--csv", f"{tmp}/d.csv")
    rows = list(csv.DictReader(open(f"{tmp}/d.csv")))
    assert [int(r["bin"]) for r in rows] == list(range(1, 8))
    assert [float(r["count"]) for r in rows] == res["counts"]
    assert [float(r["lo"]) for r in rows] == res["edges"][:-1]
    assert [float(r["hi"]) for r in rows] == res["edges"][1:]


def case_nodes_saved(tmp):
    res = density_json(*SMALL, "--probes", "3", "--steps", "10", "--save-nodes",
                       f"{tmp}/nodes.npy")
    shape, rows = npyio.read(f"{tmp}/nodes.npy")
    assert shape == (30, 3), shape
    for probe in range(3):
        weights = [rows[3 * k + 2] for k in range(30) if rows[3 * k] == probe]
        assert len(weights) == 10 and abs(sum(weights) - 72) < 1e-9, weights
    assert max(rows[3 * k + 1] for k in range(30)) == res["sigma_max"]


def case_log_range_seed(tmp):
    res = density_json(*SMALL, "--log", "--range", "0.01:10", "--bins", "3")
    assert [round(e, 12) for e in res["edges"]] == [0.01, 0.1, 1.0, 10.0], res["edges"]
    assert res["log"] is True
    again = density_json(*SMALL, "--log", "--range", "0.01:10", "--bins", "3")
    assert again["counts"] == res["counts"]
    other = density_json(*SMALL, "--log", "--range", "0.01:10", "--bins", "3", "--seed", "9")
    assert other["counts"] != res["counts"]
    table = run("density", "--quiet", *SMALL, "--cutoff", "0.5").stdout
    assert "c(0.5) =" in table and "probes x" in table, table


def case_bad_options(tmp):
    fails("density", *SMALL, "--range", "3:1", words=["--range"], code=2)
    fails("density", *SMALL, "--range", "0:1", "--log", words=["--range"], code=2)
    fails("density", *SMALL, "--range", "1", words=["LO:HI"], code=2)
    fails("density", *SMALL, "--probes", "0", words=["--probes"], code=2)
    fails("density", *SMALL, "--probe", "cauchy", words=["cauchy"], code=2)
    fails("density", *SMALL, "--cutoff", "-1", words=["--cutoff"], code=2)
    out = f"{tmp}/d.json"
    fails("density", *SMALL, "--mem", "1K", "--json", out, words=["budget"])


if __name__ == "__main__":
    main(globals())
