"""Shared helpers of the CLI test scripts: run the real binary, check that
bad input fails cleanly, and dispatch `SCRIPT JACSPEC CASE` / `SCRIPT --list`."""
import subprocess
import sys
import tempfile

JACSPEC = sys.argv[1]


def check_sanitizers(stderr, args):
    """In the sanitizer build a report (even one that let the program go
    on, or a leak at exit) fails the test, whatever the exit status."""
    if "Sanitizer" in stderr or "runtime error:" in stderr:
        sys.exit(f"sanitizer report: jacspec {' '.join(args)}\n{stderr}")


def run(*args, expect=0):
    proc = subprocess.run([JACSPEC, *args], capture_output=True, text=True, timeout=300)
    check_sanitizers(proc.stderr, args)
    if expect is not None and proc.returncode != expect:
        sys.exit(f"exit {proc.returncode}, expected {expect}: jacspec {' '.join(args)}\n"
                 f"stdout: {proc.stdout}\nstderr: {proc.stderr}")
    return proc


def fails(*args, words=(), code=None):
    """Bad input: non-zero exit, one clear line on stderr, no crash."""
    proc = run(*args, expect=None)
    if proc.returncode == 0 or proc.returncode < 0 or (code and proc.returncode != code):
        sys.exit(f"exit {proc.returncode} for bad input: {args}\n{proc.stderr}")
    lines = proc.stderr.strip().splitlines()
    if len(lines) != 1 or not lines[0].startswith("jacspec: "):
        sys.exit(f"expected one 'jacspec: ' line on stderr, got: {proc.stderr!r}")
    for w in words:
        if w not in lines[0]:
            sys.exit(f"message lacks {w!r}: {lines[0]}")
    return lines[0]


def main(namespace):
    """`--list` prints the case names; otherwise runs case argv[2] in a
    fresh temporary directory."""
    if sys.argv[1] == "--list":
        print(" ".join(k[5:] for k in namespace if k.startswith("case_")))
        sys.exit(0)
    with tempfile.TemporaryDirectory() as tmp:
        namespace["case_" + sys.argv[2]](tmp)
