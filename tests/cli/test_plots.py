"""CLI tests of --plot: every plot kind rendered by gnuplot to PNG and SVG of
the stated size, the data and script kept beside the image; without gnuplot
one line says so and the run is otherwise unchanged. Cases that draw exit 77
(skipped) where gnuplot is not on PATH.

usage: test_plots.py JACSPEC CASE   (meson runs one CASE per test)
"""
import json
import os
import re
import shutil
import struct
import sys

from clitest import fails, main, run

SMALL = ["--quiet", "--data", "gmm:n=60,classes=3,clusters=2,dim=6,seed=3", "--hidden", "12"]


def need_gnuplot():
    if not shutil.which("gnuplot"):
        print("gnuplot is not on PATH: skipped")
        sys.exit(77)


def check_png(path, width, height):
    head = open(path, "rb").read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", head[:8]
    assert head[12:16] == b"IHDR", head[12:16]
    assert struct.unpack(">II", head[16:24]) == (width, height), struct.unpack(">II", head[16:24])


def check_svg(path, width, height):
    text = open(path).read()
    root = re.search(r"<svg\b[^>]*>", text)
    assert root, text[:200]
    assert f'width="{width}"' in root.group(0) and f'height="{height}"' in root.group(0), \
        root.group(0)


def draw(tmp, name, *args):
    """The verb with --plot to PNG (default size) and to SVG (640x400)."""
    run(*args, "--plot", f"{tmp}/{name}.png")
    check_png(f"{tmp}/{name}.png", 800, 500)
    run(*args, "--plot", f"{tmp}/{name}.svg", "--plot-size", "640x400")
    check_svg(f"{tmp}/{name}.svg", 640, 400)
    # The data and the script are kept, and the script redraws the image.
    assert os.path.getsize(f"{tmp}/{name}.dat") > 0
    script = open(f"{tmp}/{name}.gp").read()
    assert f"set output '{tmp}/{name}.svg'" in script and "data = " in script, script


# ---------------------------------------------------------------- cases

def case_spectrum(tmp):
    need_gnuplot()
    draw(tmp, "top", "spectrum", *SMALL, "--cutoff", "0.3")
    draw(tmp, "smallest", "spectrum", *SMALL, "--smallest", "5")
    assert "arrow" in open(f"{tmp}/top.gp").read()


def case_density(tmp):
    need_gnuplot()
    run("density", *SMALL, "--json", f"{tmp}/at_init.json", "--probes", "4", "--steps", "30")
    draw(tmp, "density", "density", *SMALL, "--probes", "4", "--steps", "30", "--seed", "7",
         "--compare", f"{tmp}/at_init.json", "--cutoff", "0.2")
    # Both histograms are in the data: two blocks, one per run.
    blocks = [b for b in open(f"{tmp}/density.dat").read().split("\n\n\n") if b.strip()]
    assert len(blocks) == 2, len(blocks)
    # The earlier run's file names its histogram as it is ('_' no subscript).
    assert f"title '{tmp}/at_init.json' noenhanced" in open(f"{tmp}/density.gp").read()
    draw(tmp, "log", "density", *SMALL, "--probes", "4", "--steps", "30", "--log")


def case_split(tmp):
    need_gnuplot()
    draw(tmp, "split", "split", *SMALL, "--rank", "6")


def case_train(tmp):
    need_gnuplot()
    draw(tmp, "train", "train", *SMALL, "--steps", "20", "--test-data",
         "gmm:n=30,classes=3,clusters=2,dim=6,seed=4")
    draw(tmp, "nospace", "train", *SMALL, "--steps", "10", "--space", "none")


def case_without_gnuplot(tmp):
    """PATH without gnuplot: one line on stderr, exit 0, the JSON and the
    script written, no image."""
    env_path = os.environ.get("PATH", "")
    os.environ["PATH"] = tmp  # nothing there
    try:
        proc = run("spectrum", *SMALL, "--top", "4", "--json", f"{tmp}/s.json",
                   "--plot", f"{tmp}/s.png")
    finally:
        os.environ["PATH"] = env_path
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "gnuplot is not on PATH" in lines[0], proc.stderr
    assert len(json.load(open(f"{tmp}/s.json"))["singular_values"]) == 4
    assert os.path.exists(f"{tmp}/s.gp") and not os.path.exists(f"{tmp}/s.png")
    assert "sigma_s" in proc.stdout, proc.stdout  # the table as ever


def case_bad_options(tmp):
    fails("spectrum", *SMALL, "--plot", f"{tmp}/x.jpg", words=[".png, .svg or .pdf"], code=2)
    fails("spectrum", *SMALL, "--plot", f"{tmp}/x.png", "--plot-size", "800", words=["WxH"],
          code=2)
    fails("spectrum", *SMALL, "--plot-size", "800x500", words=["--plot"], code=2)
    fails("density", *SMALL, "--compare", f"{tmp}/none.json", words=["--plot"], code=2)
    fails("density", *SMALL, "--plot", f"{tmp}/d.png", "--compare", f"{tmp}/none.json",
          words=["none.json"])
    open(f"{tmp}/bad.json", "w").write('{"edges":[1,2]}')
    fails("density", *SMALL, "--plot", f"{tmp}/d.png", "--compare", f"{tmp}/bad.json",
          words=["not a density --json result"])


if __name__ == "__main__":
    main(globals())
