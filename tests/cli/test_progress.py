"""CLI tests of the progress line: on a terminal (a pseudo-terminal here) one
self-updating line on stderr, redrawn with \\r and cleared at the end; on a
pipe, or with --quiet, nothing on stderr.

usage: test_progress.py JACSPEC CASE   (meson runs one CASE per test)
"""
import os
import pty
import subprocess

from clitest import JACSPEC, main, run

SMALL = ["--data", "gmm:n=60,classes=3,clusters=2,dim=6,seed=3", "--hidden", "12"]
CLEAR = "\r\x1b[K"

RUNS = {
    "gram": ["spectrum", *SMALL, "--top", "5", "--method", "gram"],
    "gkl": ["spectrum", *SMALL, "--smallest", "5"],
    "density": ["density", *SMALL, "--probes", "4", "--steps", "30"],
    "train": ["train", *SMALL, "--steps", "30"],
}


def on_terminal(args):
    """Runs jacspec with stderr on a pseudo-terminal (stdout on a pipe);
    returns (exit status, what the terminal received)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([JACSPEC, *args], stdout=subprocess.PIPE, stderr=slave,
                            stdin=subprocess.DEVNULL)
    os.close(slave)
    received = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the child closed the terminal (EIO on Linux)
            break
        if not chunk:
            break
        received += chunk
    proc.stdout.read()
    status = proc.wait()
    os.close(master)
    return status, received.decode()


def check_line(kind, words):
    status, text = on_terminal(RUNS[kind])
    assert status == 0, (status, text)
    assert text.startswith("\r"), repr(text)
    assert text.endswith(CLEAR), repr(text[-80:])  # cleared at the end
    lines = [l for l in text.split("\r") if l and l != "\x1b[K"]
    assert lines and "\n" not in text, repr(text)  # one self-updating line
    # Some redraw says all the words (a verb may run more than one solve).
    matching = [l for l in lines if all(w in l for w in words)]
    assert matching, (words, lines)
    return matching[-1]


# ---------------------------------------------------------------- cases

def case_spectrum_gram(tmp):
    check_line("gram", ["Lanczos (Gram side):", "J J^T products", "restarts",
                        "?/5 converged", " s, ", "/s", "? left"])


def case_spectrum_gkl(tmp):
    check_line("gkl", ["GKL:", "J + J^T steps", "restarts", "/5 converged", "? left"])


def case_density(tmp):
    # The total is known: probes x steps, and the time left estimated.
    last = check_line("density", ["density:", "/120 J J^T products", " s left"])
    assert "? left" not in last, last


def case_train(tmp):
    check_line("train", ["train:", "/30 steps", " s left"])


def case_quiet_and_pipes(tmp):
    for args in RUNS.values():
        # Not a terminal: nothing on stderr.
        proc = run(*args, "--json", f"{tmp}/out.json")
        assert proc.stderr == "", (args, proc.stderr)
        # A terminal but --quiet: nothing either.
        status, text = on_terminal([*args, "--quiet"])
        assert status == 0 and text == "", (args, repr(text))


if __name__ == "__main__":
    main(globals())
