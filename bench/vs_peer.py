#!/usr/bin/python3
"""jacspec against the torch + scipy peer (bench/peer_torch.py), in one run.

usage: vs_peer.py [--per-class M] [--top R] [--threads N] [--resnet-per-class M]
                  [--build DIR]
  defaults: M = 1000 (3 x 1000 Fashion-MNIST images), R = 50, N = all cores
  (given to every program: torch's own default may be fewer), ResNet on
  3 x 100 images (0 skips it), DIR = build.

1. `jacspec spectrum` in double precision on the paper's 784-256-3 softplus
   net (W1 trained), writing its weights with --save-init; the peer on the
   same images with those weights; `jacspec spectrum` with them in
   `--precision single` and `mixed` too, and in double with
   `--save-vectors` (U and V, as the peer's svds makes them; without it
   jacspec makes only U). Prints wall time (of the whole
   process: start-up and data loading included, as a user waits for it),
   the solver's own seconds, the peer's time over each (the speed-up), peak
   RSS (wait4's ru_maxrss of each child), the J and J^T products and the
   largest relative difference of each run's singular values from the
   peer's.
2. One JVP and one VJP of ResNet20 (no batch norm) in torch (forward-mode
   AD; autograd on a retained graph) and in jacspec (build/bench/resnet,
   activation cache on), double and single, and torch's time over jacspec's.
Ends with one JSON line of every figure. Exits 1 when a run fails or the
double-precision singular values differ from the peer's by more than 1e-8.
Needs python3-torch and python3-scipy (`./run.sh bench` installs them).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"  # Debian's, where python3-torch and python3-scipy live
PEER = [PYTHON, os.path.join(HERE, "peer_torch.py")]


def run(cmd):
    """(wall seconds, peak RSS in MB, stdout) of cmd as a child process."""
    start = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"vs_peer: {' '.join(cmd)} failed (exit {code})")
    return wall, usage.ru_maxrss / 1024.0, out


def max_rel_diff(sigma, reference):
    return max(abs(s - r) / r for s, r in zip(sigma, reference))


def spectra(args, tmp):
    jacspec = os.path.join(args.build, "src", "cli", "jacspec")
    problem = ["spectrum", "--data", "fashion-mnist:train", "--classes", "0,1,2",
               "--per-class", str(args.per_class), "--hidden", "256", "--act", "softplus",
               "--top", str(args.top), "--threads", str(args.threads), "--quiet"]
    init = os.path.join(tmp, "init")
    rows = {}

    def jacspec_run(name, extra):
        json_file = os.path.join(tmp, name + ".json")
        wall, rss, _ = run([jacspec] + problem + extra + ["--json", json_file])
        with open(json_file) as f:
            res = json.load(f)
        rows[name] = {"wall": wall, "solve": res["seconds"], "rss_mb": rss,
                      "jvp": res["jvp_count"], "vjp": res["vjp_count"],
                      "sigma": res["singular_values"]}

    jacspec_run("jacspec double", ["--save-init", init])
    wall, rss, out = run(PEER + ["spectrum", "--init", init, "--per-class", str(args.per_class),
                                 "--top", str(args.top), "--threads", str(args.threads)])
    res = json.loads(out)
    peer = {"wall": wall, "solve": res["solve_seconds"], "rss_mb": rss, "jvp": res["jvp_count"],
            "vjp": res["vjp_count"], "sigma": res["singular_values"]}
    jacspec_run("jacspec single", ["--init", init, "--precision", "single"])
    jacspec_run("jacspec mixed", ["--init", init, "--precision", "mixed"])
    # The peer makes both sides' vectors; jacspec makes v only to save it.
    jacspec_run("double, U and V", ["--init", init, "--save-vectors",
                                     os.path.join(tmp, "vectors")])
    rows = {"torch + scipy": peer, **rows}

    print(f"top {args.top} of J ({res['rows']} x {res['cols']}), Fashion-MNIST "
          f"3 x {args.per_class}, 784-256-3 softplus, W1 trained, {args.threads} threads")
    print(f"{'':16} {'wall s':>8} {'speed-up':>8} {'solve s':>8} {'speed-up':>8} "
          f"{'peak MB':>8} {'J / J^T':>11} {'max rel diff':>12}")
    for name, r in rows.items():
        r["speedup_wall"] = peer["wall"] / r["wall"]
        r["speedup_solve"] = peer["solve"] / r["solve"]
        r["max_rel_diff"] = max_rel_diff(r["sigma"], peer["sigma"])
        print(f"{name:16} {r['wall']:8.2f} {r['speedup_wall']:7.2f}x {r['solve']:8.2f} "
              f"{r['speedup_solve']:7.2f}x {r['rss_mb']:8.0f} {r['jvp']:>5} / {r['vjp']:<5} "
              f"{r['max_rel_diff']:12.2e}")
    print("(max rel diff: of the singular values from the peer's)")
    return rows


def resnet_products(args):
    wall, rss, out = run([os.path.join(args.build, "bench", "resnet"), "--per-class",
                          str(args.resnet_per_class), "--top", "0", "--threads",
                          str(args.threads)])
    ours = {}
    for line in out.splitlines():
        fields = line.split()
        if fields and fields[0] in ("double", "single"):
            ours[fields[0]] = {"jvp": float(fields[1]), "vjp": float(fields[2])}
    rows = {}
    print(f"\nResNet20 (no batch norm), Fashion-MNIST 3 x {args.resnet_per_class}, one product "
          f"(best of 3)")
    print(f"{'':9} {'torch JVP':>10} {'jacspec':>8} {'speed-up':>8} {'torch VJP':>10} "
          f"{'jacspec':>8} {'speed-up':>8} {'torch MB':>9}")
    for precision in ("double", "single"):
        _, rss, out = run(PEER + ["resnet", "--per-class", str(args.resnet_per_class),
                                  "--threads", str(args.threads), "--dtype", precision])
        torch_res = json.loads(out)
        r = {"torch_jvp": torch_res["jvp_seconds"], "torch_vjp": torch_res["vjp_seconds"],
             "torch_forward": torch_res["forward_seconds"], "torch_rss_mb": rss,
             "jacspec_jvp": ours[precision]["jvp"], "jacspec_vjp": ours[precision]["vjp"]}
        rows[precision] = r
        print(f"{precision:9} {r['torch_jvp']:10.3f} {r['jacspec_jvp']:8.3f} "
              f"{r['torch_jvp'] / r['jacspec_jvp']:7.2f}x {r['torch_vjp']:10.3f} "
              f"{r['jacspec_vjp']:8.3f} {r['torch_vjp'] / r['jacspec_vjp']:7.2f}x {rss:9.0f}")
    print("(torch's JVP redoes the forward pass, its VJP reuses a retained graph; "
          "jacspec's both use its activation cache)")
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-class", type=int, default=1000)
    parser.add_argument("--top", type=int, default=50)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--resnet-per-class", type=int, default=100)
    parser.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    args = parser.parse_args()
    # Other work on the machine changes every figure: say how much there was.
    print("load average (1 min) before: %.2f" % os.getloadavg()[0])
    with tempfile.TemporaryDirectory(prefix="vs_peer.") as tmp:
        rows = spectra(args, tmp)
    result = {"spectrum": {name: {k: v for k, v in r.items() if k != "sigma"}
                           for name, r in rows.items()}}
    if args.resnet_per_class > 0:
        result["resnet"] = resnet_products(args)
    result["load_average"] = os.getloadavg()[0]
    print("load average (1 min) after: %.2f" % result["load_average"])
    print(json.dumps(result))
    if rows["jacspec double"]["max_rel_diff"] > 1e-8:
        sys.exit("vs_peer: jacspec's double-precision singular values disagree with the peer's")


if __name__ == "__main__":
    main()
