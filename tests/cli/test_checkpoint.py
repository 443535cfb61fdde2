"""CLI tests of `train --checkpoint DIR` and `--resume DIR`: a run killed by
SIGTERM at a step that is not a checkpoint step, then resumed, ends with
bit-for-bit the same rows (CSV and JSON) and weights as the run never
interrupted; a checkpoint of another run, or a damaged one, is refused with
one line.

usage: test_checkpoint.py JACSPEC CASE   (meson runs one CASE per test)
"""
import os
import random
import re
import signal
import subprocess
import sys
import time

from clitest import JACSPEC, check_sanitizers, fails, main, run

BASE = ["--data", "gmm:n=200,classes=3,dim=10", "--hidden", "32", "--steps", "2000",
        "--every", "50", "--linearized", "--quiet", "--threads", "1"]
TEST = ["--test-data", "gmm:n=50,classes=3,dim=10,seed=5"]
EVERY = 70


def outputs(tmp, tag):
    return ["--csv", f"{tmp}/{tag}.csv", "--json", f"{tmp}/{tag}.json", "--save", f"{tmp}/w{tag}"]


def read(path):
    with open(path, "rb") as f:
        return f.read()


def interrupted_run(tmp, args, ckpt):
    """Starts the run with checkpoints, waits for the first one, sends
    SIGTERM a moment later; retries until the step it stopped at is not a
    checkpoint step. Returns that step."""
    rnd = random.Random(5)
    for attempt in range(8):
        # A retry must wait for its own first checkpoint, not the last try's.
        if os.path.exists(f"{ckpt}/checkpoint"):
            os.remove(f"{ckpt}/checkpoint")
        cmd = [JACSPEC, "train", *args, *outputs(tmp, "b"), "--checkpoint", ckpt,
               "--checkpoint-every", str(EVERY)]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True)
        while not os.path.exists(f"{ckpt}/checkpoint") and proc.poll() is None:
            time.sleep(0.01)
        time.sleep(rnd.uniform(0.02, 0.2))
        proc.send_signal(signal.SIGTERM)
        err = proc.stderr.read()
        proc.wait(timeout=120)
        check_sanitizers(err, cmd)
        if proc.returncode == 0:
            sys.exit("the run ended before the signal: make it longer")
        m = re.fullmatch(r"jacspec: train: interrupted at step (\d+) of 2000; "
                         rf"--resume {re.escape(ckpt)} continues from step (\d+)\n", err)
        if proc.returncode != 143 or not m:
            sys.exit(f"exit {proc.returncode}, stderr {err!r}")
        step, kept = int(m.group(1)), int(m.group(2))
        if kept % EVERY or kept > step:
            sys.exit(f"checkpoint of step {kept} for an interruption at {step}")
        left = [f for f in os.listdir(tmp) if f.startswith("b") or f.startswith("wb")]
        if left or os.path.exists(f"{ckpt}/checkpoint.tmp"):
            sys.exit(f"the interrupted run left {left}")
        if step % EVERY:
            return step
    sys.exit("every signal landed on a checkpoint step")


def resume_matches(tmp, args):
    run("train", *args, *outputs(tmp, "a"))
    ckpt = f"{tmp}/ckpt"
    interrupted_run(tmp, args, ckpt)
    run("train", *args, *outputs(tmp, "b"), "--checkpoint", ckpt, "--checkpoint-every",
        str(EVERY), "--resume", ckpt)
    for name in ["a.csv", "a.json", "wa/W1.npy", "wa/W2.npy"]:
        other = name.replace("a", "b", 1)
        if read(f"{tmp}/{name}") != read(f"{tmp}/{other}"):
            sys.exit(f"{other} differs from the uninterrupted run's {name}")


def case_resume_sgd_bitwise(tmp):
    resume_matches(tmp, BASE + TEST + ["--optimizer", "sgd", "--batch", "16"])


def case_resume_adam_bitwise(tmp):
    resume_matches(tmp, BASE + ["--optimizer", "adam", "--lr", "1e-3", "--space", "300",
                                "--jacobian-change"])


def case_resume_refuses(tmp):
    small = ["--data", "gmm:n=30,classes=3,dim=5", "--hidden", "6", "--steps", "20",
             "--quiet", "--threads", "1"]
    ckpt = f"{tmp}/c"
    run("train", *small, "--checkpoint", ckpt, "--checkpoint-every", "5")
    longer = [a if a != "20" else "30" for a in small]
    fails("train", *longer, "--resume", ckpt, words=["another --steps"])
    other = ["--data", "gmm:n=30,classes=3,dim=5,seed=9"] + small[2:]
    fails("train", *other, "--resume", ckpt, words=["other data"])
    fails("train", *small, "--optimizer", "adam", "--resume", ckpt, words=["--optimizer"])
    fails("train", *small, "--jacobian-change", "--resume", ckpt, words=["--jacobian-change"])
    data = bytearray(read(f"{ckpt}/checkpoint"))
    data[100] ^= 1
    with open(f"{ckpt}/checkpoint", "wb") as f:
        f.write(data)
    fails("train", *small, "--resume", ckpt, words=["checksum"])
    fails("train", *small, "--resume", f"{tmp}/none", words=["cannot read"])
    fails("train", *small, "--checkpoint-every", "3", words=["--checkpoint"], code=2)


def case_resume_finished_run(tmp):
    """Resuming the checkpoint of the last step reproduces the run's outputs."""
    small = ["--data", "gmm:n=30,classes=3,dim=5", "--hidden", "6", "--steps", "20",
             "--every", "4", "--quiet", "--threads", "1", "--optimizer", "adam", "--lr", "0.01"]
    run("train", *small, "--checkpoint", f"{tmp}/c", "--checkpoint-every", "10",
        "--csv", f"{tmp}/a.csv")
    run("train", *small, "--resume", f"{tmp}/c", "--csv", f"{tmp}/b.csv")
    if read(f"{tmp}/a.csv") != read(f"{tmp}/b.csv"):
        sys.exit("the resumed finished run differs")


if __name__ == "__main__":
    main(globals())
