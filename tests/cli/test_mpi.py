"""CLI tests of jacspec on several processes: `mpirun -np 2` and `-np 3`
against the single process, to <= 1e-10 relative (the sums over ranks
round differently; nothing else changes: start vectors, probes and
generated samples are drawn by global index).

usage: test_mpi.py JACSPEC CASE   (meson runs one CASE per test; exit 77,
skipped, where mpirun is absent or jacspec was built without MPI)
"""
import json
import math
import os
import re
import shutil
import subprocess
import sys

import npyio
from clitest import JACSPEC, check_sanitizers, main, run
from test_data import csv_file, idx_files, idx_spec

# nK = 303 < p = 640: the outputs side (PARPACK); 101 = 34 + 34 + 33 samples.
OUTPUTS = ["--data", "gmm:n=101,classes=3,dim=10,seed=4", "--hidden", "64"]
# nK = 903 > p = 640: the params side (serial ARPACK on every rank).
PARAMS = ["--data", "gmm:n=301,classes=3,dim=10,seed=5", "--hidden", "64"]
TOL = 1e-10


def mpirun(n, *args, expect=0):
    """jacspec on n ranks (as root in CI: --allow-run-as-root)."""
    cmd = [shutil.which("mpirun"), "--allow-run-as-root", "--oversubscribe", "-np", str(n),
           JACSPEC, *args, "--threads", "1"]
    # In the sanitizer build the ranks keep AddressSanitizer and UBSan but not
    # LeakSanitizer: Open MPI keeps allocations until exit in components it
    # has unloaded by then, whose stacks no suppression can name. jacspec's
    # own leaks show in the single-process tests of the same code.
    options = os.environ.get("ASAN_OPTIONS")
    env = dict(os.environ, ASAN_OPTIONS=(options + ":" if options else "") + "detect_leaks=0")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    check_sanitizers(proc.stderr, args)
    if expect is not None and proc.returncode != expect:
        sys.exit(f"exit {proc.returncode}, expected {expect}: {' '.join(cmd)}\n"
                 f"stdout: {proc.stdout}\nstderr: {proc.stderr}")
    return proc


def skip_without_mpi():
    if not shutil.which("mpirun"):
        print("mpirun is not installed")
        sys.exit(77)
    # Two ranks of a build without MPI would be two single processes,
    # each with all the samples: both would print.
    out = mpirun(2, "spectrum", *OUTPUTS, "--top", "1", "--quiet").stdout
    if out.count("# data") != 1:
        print("jacspec was built without MPI (-Dmpi)")
        sys.exit(77)


def close(a, b, what):
    if isinstance(a, list):
        assert len(a) == len(b), (what, a, b)
        for i, (x, y) in enumerate(zip(a, b)):
            close(x, y, f"{what}[{i}]")
        return
    if a is None or b is None or (isinstance(a, float) and math.isnan(a)):
        assert a == b or (a is None) == (b is None), (what, a, b)
        return
    assert abs(a - b) <= TOL * max(abs(a), abs(b), 1e-300), (what, a, b)


def compare(args, keys, ranks=(2, 3)):
    one = json.loads(run(*args, "--json", "-", "--threads", "1").stdout)
    for n in ranks:
        many = json.loads(mpirun(n, *args, "--json", "-").stdout)
        for key in keys:
            close(one[key], many[key], f"{key} on {n} ranks")
    return one


# ---------------------------------------------------------------- cases

def case_spectrum_outputs(tmp):
    skip_without_mpi()
    res = compare(["spectrum", "--quiet", "--top", "6", *OUTPUTS],
                  ["singular_values", "n_samples"])
    assert res["side"] == "outputs", res


def case_spectrum_params(tmp):
    skip_without_mpi()
    res = compare(["spectrum", "--quiet", "--top", "6", *PARAMS],
                  ["singular_values", "n_samples"])
    assert res["side"] == "params", res


def case_split(tmp):
    skip_without_mpi()
    one = compare(["split", "--quiet", "--rank", "5", *OUTPUTS], ["singular_values"])
    for n in (2, 3):
        many = json.loads(mpirun(n, "split", "--quiet", "--rank", "5", *OUTPUTS,
                                 "--json", "-").stdout)
        for row in ("labels", "residual"):
            for key in ("norm", "info", "nuisance", "pinv"):
                close(one[row][key], many[row][key], f"{row}.{key} on {n} ranks")


def case_train(tmp):
    skip_without_mpi()
    args = ["train", "--quiet", "--steps", "20", "--every", "5", "--rank", "4",
            "--linearized", "--jacobian-change", *OUTPUTS]
    one = json.loads(run(*args, "--json", "-", "--threads", "1").stdout)
    for n in (2, 3):
        many = json.loads(mpirun(n, *args, "--json", "-").stdout)
        close(one["lr"], many["lr"], "lr")
        assert len(one["rows"]) == len(many["rows"]) == 5, many["rows"]
        for a, b in zip(one["rows"], many["rows"]):
            for key in ("loss", "train_error", "dist_from_init", "res_info", "res_nuisance",
                        "lin_gap", "lin_dist", "jacobian_change"):
                close(a[key], b[key], f"step {a['step']} {key} on {n} ranks")


def case_shuffle(tmp):
    """--shuffle permutes the whole set before it is cut into shards, so the
    left singular vectors (one entry per output, in sample order) are those
    of one process, up to sign, on any number of ranks; a permutation
    inside each shard would reorder them."""
    skip_without_mpi()
    args = ["spectrum", "--quiet", "--top", "3", "--shuffle", "3", *OUTPUTS]
    run(*args, "--threads", "1", "--save-vectors", f"{tmp}/one")
    shape, one = npyio.read(f"{tmp}/one_U.npy")
    cols = shape[1]
    for n in (2, 3):
        mpirun(n, *args, "--save-vectors", f"{tmp}/many{n}")
        _, many = npyio.read(f"{tmp}/many{n}_U.npy")
        for s in range(cols):
            a, b = one[s::cols], many[s::cols]
            sign = 1.0 if sum(x * y for x, y in zip(a, b)) > 0 else -1.0
            worst = max(abs(x - sign * y) for x, y in zip(a, b))
            assert worst < 1e-6, (n, s, worst)  # vectors to the solve's accuracy


def case_density(tmp):
    skip_without_mpi()
    for data in (OUTPUTS, PARAMS):
        compare(["density", "--quiet", "--probes", "6", "--steps", "30", "--seed", "7",
                 *data], ["counts", "sigma_max", "edges"], ranks=(3,))


def case_npy_shards(tmp):
    """.npy files read by row ranges: 50 samples as 17 + 17 + 16."""
    skip_without_mpi()
    x, y = os.path.join(tmp, "x.npy"), os.path.join(tmp, "y.npy")
    values = [math.sin(1.7 * i + 0.3 * j) for i in range(50) for j in range(8)]
    npyio.write(x, values, (50, 8))
    npyio.write(y, [i % 4 for i in range(50)], (50,), descr="<i2")
    compare(["spectrum", "--quiet", "--top", "5", "--x", x, "--labels", y, "--hidden", "40"],
            ["singular_values"])


def assert_rank_shards(args, n, sizes):
    """Each rank's --verbose plan names its samples: rank r holds sizes[r]
    of them, the contiguous shard of the whole, and no more."""
    err = mpirun(n, *args, "--verbose").stderr
    found = {int(m[0]): (int(m[1]), int(m[2]), int(m[3]))
             for m in re.findall(r"rank (\d+) of \d+: samples (\d+)\.\.(\d+) \((\d+)\)", err)}
    first = 0
    for rank, size in enumerate(sizes):
        assert found.get(rank) == (first, first + size - 1, size), (rank, found, err)
        first += size


def case_idx_classes(tmp):
    """IDX with a class selection: the first 8 of classes 2 and 0 (16 of
    30 images) as 8 + 8 and 6 + 5 + 5; each rank converts only its own."""
    skip_without_mpi()
    args = ["spectrum", "--quiet", "--top", "4", "--hidden", "32", "--data",
            idx_spec(idx_files(tmp, True)), "--classes", "2,0", "--per-class", "8"]
    res = compare(args, ["singular_values", "n_samples"])
    assert res["n_samples"] == 16, res
    assert_rank_shards(args, 2, [8, 8])
    assert_rank_shards(args, 3, [6, 5, 5])


def case_csv_shards(tmp):
    """CSV rows read by each rank for itself: 29 rows as 15 + 14 and
    10 + 10 + 9."""
    skip_without_mpi()
    args = ["spectrum", "--quiet", "--top", "4", "--hidden", "32", "--data",
            csv_file(tmp, n=29), "--label-column", "label"]
    res = compare(args, ["singular_values", "n_samples"])
    assert res["n_samples"] == 29, res
    assert_rank_shards(args, 2, [15, 14])
    assert_rank_shards(args, 3, [10, 10, 9])


def case_csv_bad_row(tmp):
    """A bad cell in the last row, in the last rank's shard: every rank
    checks every row, so all stop with the single process's message,
    printed once."""
    skip_without_mpi()
    path = csv_file(tmp, n=29)
    with open(path, "a") as f:
        f.write("0.5,1,x7,0.25\n")
    args = ["spectrum", "--quiet", "--data", path, "--label-column", "label"]
    one = run(*args, expect=None)
    assert one.returncode != 0 and "line 31" in one.stderr, one.stderr
    for n in (2, 3):
        proc = mpirun(n, *args, expect=one.returncode)
        lines = [line for line in proc.stderr.splitlines() if line.startswith("jacspec: ")]
        assert lines == one.stderr.splitlines(), (n, proc.stderr, one.stderr)


def case_rank_fails(tmp):
    """A NaN in the last row: only the last rank's shard holds it. Every
    rank stops, with one message (from rank 0), and none hangs."""
    skip_without_mpi()
    x, y = os.path.join(tmp, "x.npy"), os.path.join(tmp, "y.npy")
    values = [1.0 + 0.1 * ((i * 7 + j) % 5) for i in range(30) for j in range(4)]
    values[29 * 4 + 2] = float("nan")
    npyio.write(x, values, (30, 4))
    npyio.write(y, [i % 2 for i in range(30)], (30,), descr="<i2")
    proc = mpirun(3, "spectrum", "--quiet", "--x", x, "--labels", y, "--top", "2",
                  expect=None)
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.startswith("jacspec: ")]
    assert len(lines) == 1 and "row 29" in lines[0], proc.stderr


def case_gkl(tmp):
    """GKL's basis split on the outputs side (q for J, p for J^T): the top
    and the smallest agree with one process."""
    skip_without_mpi()
    for data in (OUTPUTS, PARAMS):
        res = compare(["spectrum", "--quiet", "--method", "gkl", "--top", "4", *data],
                      ["singular_values", "n_samples"])
        assert res["method"] == "gkl", res
    res = compare(["spectrum", "--quiet", "--smallest", "3", *OUTPUTS],
                  ["singular_values", "sigma_1"], ranks=(2,))
    assert res["method"] == "gkl", res


def case_kernel_refused(tmp):
    """ntk and bound --theorem 3.2 need all samples: one line, exit 2."""
    skip_without_mpi()
    ntk = subprocess.run([shutil.which("mpirun"), "--allow-run-as-root", "--oversubscribe",
                          "-np", "2", JACSPEC, "ntk", "--data", "gmm:n=40,classes=2,dim=5"],
                         capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "")
                                  + ":detect_leaks=0"))
    bound = mpirun(2, "bound", "--theorem", "3.2", "--quiet", *OUTPUTS, expect=2)
    for proc in (ntk, bound):
        assert proc.returncode == 2, (proc.returncode, proc.stderr)
        lines = [line for line in proc.stderr.splitlines() if line.startswith("jacspec: ")]
        assert len(lines) == 1 and "without mpirun" in lines[0], proc.stderr


main(globals())
