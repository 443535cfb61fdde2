"""CLI tests of interruption: a long run of each verb gets SIGINT or
SIGTERM once its products have begun; it must exit 130 or 143 within a few
seconds, print one line saying where it stopped, and leave neither its
output files nor their .tmp temporaries (nor a --save directory).

usage: test_signals.py JACSPEC CASE   (meson runs one CASE per test)
"""
import os
import re
import signal
import subprocess
import sys
import time

from clitest import JACSPEC, check_sanitizers, main

# Each takes tens of seconds uninterrupted; the signal comes after about one.
LONG_SPECTRUM = ["--data", "gmm:n=3000,classes=3,dim=50", "--hidden", "512", "--top", "60",
                 "--tol", "1e-14"]
LONG_TRAIN = ["--data", "gmm:n=500,classes=3,dim=20", "--hidden", "64",
              "--steps", "10000000"]


def interrupt(tmp, verb, args, sig, where):
    """Runs the verb with --json and --csv into tmp, signals it once the
    memory plan (printed just before the first product) is out, and checks
    the exit status, the one line and that tmp stays empty."""
    outputs = ["--json", os.path.join(tmp, "out.json"), "--csv", os.path.join(tmp, "out.csv")]
    cmd = [JACSPEC, verb, *args, *outputs, "--verbose", "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        if "memory plan" in line:
            break
    else:
        proc.wait()
        sys.exit(f"no memory plan on stderr (exit {proc.returncode}): {' '.join(cmd)}")
    time.sleep(1.0)
    sent = time.monotonic()
    proc.send_signal(sig)
    rest = proc.stderr.read()
    proc.wait(timeout=120)
    took = time.monotonic() - sent
    check_sanitizers(rest, cmd)
    # --verbose's --gram choice follows the memory plan; the rest is the stop.
    lines = [l for l in rest.strip().splitlines() if not l.startswith("jacspec: Gram:")]
    if proc.returncode != 128 + sig:
        sys.exit(f"exit {proc.returncode}, expected {128 + sig} after signal {sig}\n{rest}")
    if len(lines) != 1 or not re.fullmatch(r"jacspec: " + where, lines[0]):
        sys.exit(f"expected one line matching {where!r}, got {rest!r}")
    if took > 10:
        sys.exit(f"took {took:.1f} s to stop after the signal")
    left = os.listdir(tmp)
    if left:
        sys.exit(f"files left behind: {left}")


def case_spectrum_sigint(tmp):
    interrupt(tmp, "spectrum", LONG_SPECTRUM, signal.SIGINT,
              r"svds: interrupted after \d+ products")


def case_spectrum_sigterm(tmp):
    interrupt(tmp, "spectrum", LONG_SPECTRUM, signal.SIGTERM,
              r"svds: interrupted after \d+ products")


def case_split_sigint(tmp):
    interrupt(tmp, "split", LONG_SPECTRUM[:4] + ["--rank", "60", "--tol", "1e-14"],
              signal.SIGINT, r"svds: interrupted after \d+ products")


def case_train_sigterm(tmp):
    interrupt(tmp, "train", LONG_TRAIN + ["--lr", "0.01", "--save", os.path.join(tmp, "w")],
              signal.SIGTERM, r"train: interrupted at step \d+ of 10000000")


def case_train_sigint(tmp):
    interrupt(tmp, "train", LONG_TRAIN + ["--lr", "0.01", "--optimizer", "adam"],
              signal.SIGINT, r"train: interrupted at step \d+ of 10000000")


if __name__ == "__main__":
    main(globals())
