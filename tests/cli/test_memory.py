"""CLI tests of the --mem promise: a run's peak resident set (the child's
ru_maxrss from wait4) stays within its budget, which already holds the
planner's fixed 16 MiB allowance for the program's code and BLIS's packing
buffers. Each case finds the smallest budget that works (the refusal names
it), then runs at 1.1x that budget (no cache, small batches) and at 4x
(activation cache on). Skipped (exit 77) in the sanitizer build, where
AddressSanitizer's shadow memory and quarantine are outside any plan.

usage: test_memory.py JACSPEC CASE   (meson runs one CASE per test)
"""
import os
import re
import subprocess
import sys

from clitest import JACSPEC, check_sanitizers, fails, main

PROBLEM = ["--data", "gmm:n=1500,classes=3,dim=50", "--hidden", "400", "--threads", "1",
           "--quiet"]


def sanitized():
    with open(JACSPEC, "rb") as f:
        return b"__asan_init" in f.read()


def peak(cmd):
    """Runs cmd; its standard error and peak resident set in KiB."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    check_sanitizers(err, cmd)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"exit {status}: {' '.join(cmd)}\n{err}")
    return err, usage.ru_maxrss  # Linux: KiB


def peak_within(verb, extra, budget_kib):
    cmd = [JACSPEC, verb, *PROBLEM, *extra, "--mem", f"{budget_kib}K", "--verbose"]
    err, peak_kib = peak(cmd)
    plan = next((l for l in err.splitlines() if "memory plan" in l), "")
    print(f"{verb} --mem {budget_kib}K: peak {peak_kib} KiB "
          f"({peak_kib / budget_kib:.2f} of the budget); {plan}")
    if peak_kib > budget_kib:
        sys.exit(f"peak RSS {peak_kib} KiB exceeds the budget of {budget_kib} KiB\n{plan}")
    return plan


def smallest_budget(verb, extra):
    line = fails(verb, *PROBLEM, *extra, "--mem", "1M", words=["smallest budget"])
    return int(re.search(r"smallest budget that works is (\d+) KiB", line).group(1))


def promise(verb, extra):
    if sanitized():
        sys.exit(77)
    least = smallest_budget(verb, extra)
    if "cache off" not in peak_within(verb, extra, int(least * 1.1)):
        sys.exit("the tight budget should leave the cache off")
    if "cache on" not in peak_within(verb, extra, least * 4):
        sys.exit("four times the smallest budget should hold the cache")


def case_spectrum_budget(tmp):
    promise("spectrum", ["--top", "10"])


def case_spectrum_single_budget(tmp):
    promise("spectrum", ["--top", "10", "--precision", "single"])


def case_spectrum_mixed_budget(tmp):
    promise("spectrum", ["--top", "10", "--precision", "mixed"])


def case_train_budget(tmp):
    promise("train", ["--steps", "5", "--lr", "0.01", "--rank", "5"])


def case_train_sgd_budget(tmp):
    """SGD keeps a freed batch Jacobian for the next batch (model.c): it
    sits beside the reported steps' forward pass, inside the plan."""
    promise("train", ["--steps", "20", "--lr", "0.01", "--rank", "5", "--optimizer", "sgd",
                      "--batch", "500"])


def case_single_not_above_double(tmp):
    """--precision single holds no more than double (jacspec.h): a top-40
    solve with p = 76 800 and the default budget, where the residual
    block's p x r float copy (12 MB) used to put single above double."""
    if sanitized():
        sys.exit(77)
    args = [JACSPEC, "spectrum", "--data", "gmm:n=1000,classes=3,dim=300", "--hidden", "256",
            "--top", "40", "--threads", "1", "--quiet"]
    _, double = peak(args)
    _, single = peak([*args, "--precision", "single"])
    print(f"peak RSS: double {double} KiB, single {single} KiB")
    if single > double:
        sys.exit(f"single precision peaked at {single} KiB, above double's {double} KiB")


def case_mixed_not_above_double(tmp):
    """--precision mixed holds no more than double (js_plan_memory plans it
    within double's plan): a top-40 solve of the size above, with the
    products J (J^T x) (the explicit Gram would be the same (nK)^2 in both),
    on data whose top 40 are not the edge of a bulk, where mixed would not
    reach --tol (README)."""
    if sanitized():
        sys.exit(77)
    args = [JACSPEC, "spectrum", "--data", "gmm:n=800,classes=3,dim=300,clusters=20",
            "--hidden", "256",
            "--top", "40", "--threads", "1", "--quiet", "--gram", "implicit"]
    _, double = peak(args)
    _, mixed = peak([*args, "--precision", "mixed"])
    print(f"peak RSS: double {double} KiB, mixed {mixed} KiB")
    if mixed > double:
        sys.exit(f"mixed precision peaked at {mixed} KiB, above double's {double} KiB")


if __name__ == "__main__":
    main(globals())
