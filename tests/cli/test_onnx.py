"""CLI tests of ONNX files: --save-model then --model gives the same
spectrum (MLP, CNN, ResNet8), onnx's checker accepts the files, models of
the importer's own ops load, and broken files fail with one clear line.

usage: test_onnx.py JACSPEC CASE   (meson runs one CASE per test)
"""
import json
import os
import random
import subprocess
import sys

import npyio
import onnxfile as ox
from clitest import JACSPEC, fails, main, run

IMAGES = ["--data", "fashion-mnist:train", "--classes", "0,1,2", "--per-class", "4"]
GMM = ["--data", "gmm:n=30,dim=6,classes=3"]
ARCHS = {"mlp": [*GMM, "--hidden", "8,5", "--act", "tanh", "--bias", "--train", "all"],
         "cnn": [*IMAGES, "--arch", "cnn:conv=3x3,act=leaky:0.1,pool=max2,conv=4x3s2,gap"],
         "resnet8": [*IMAGES, "--arch", "resnet8:width=2"]}


def needs_onnx():
    """Exit 77 (skip) when this jacspec was built without ONNX support."""
    proc = run("spectrum", "--model", "/nonexistent.onnx", expect=None)
    if "without ONNX support" in proc.stderr:
        print("jacspec was built without ONNX support")
        sys.exit(77)


def sigmas(*args):
    out = run("spectrum", "--quiet", "--json", "-", "--dense", "--top", "20", *args).stdout
    return json.loads(out)["singular_values"]


def round_trip(tmp, name):
    needs_onnx()
    path = f"{tmp}/{name}.onnx"
    args = ARCHS[name]
    before = sigmas(*args, "--save-model", path)
    data = GMM if name == "mlp" else IMAGES
    after = sigmas(*data, "--model", path, "--normalize")
    assert len(before) == len(after) == 20
    worst = max(abs(a - b) / before[0] for a, b in zip(before, after))
    print(f"{name}: top-20 singular values agree to {worst:.1e} relative")
    assert worst <= 1e-12, (before, after)
    return path


def case_round_trip_mlp(tmp):
    round_trip(tmp, "mlp")


def case_round_trip_cnn(tmp):
    round_trip(tmp, "cnn")


def case_round_trip_resnet8(tmp):
    round_trip(tmp, "resnet8")


def python_with_onnx():
    for exe in (sys.executable, "/usr/bin/python3"):
        if os.path.exists(exe) and subprocess.run([exe, "-c", "import onnx"],
                                                  capture_output=True).returncode == 0:
            return exe
    return None


def case_checker_accepts(tmp):
    needs_onnx()
    exe = python_with_onnx()
    if not exe:
        print("python3-onnx is absent: onnx's checker not run")
        sys.exit(77)
    for name in ARCHS:
        path = round_trip(tmp, name)
        subprocess.run([exe, "-c", "import onnx, sys; "
                        "onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)",
                        path], check=True)


def case_train_saves_trained(tmp):
    needs_onnx()
    args = [*GMM, "--hidden", "8", "--train", "all", "--quiet"]
    run("spectrum", *args, "--top", "2", "--save-model", f"{tmp}/init.onnx")
    run("train", *args, "--steps", "5", "--save-model", f"{tmp}/trained.onnx")
    init = sigmas(*GMM, "--normalize", "--model", f"{tmp}/init.onnx")
    trained = sigmas(*GMM, "--normalize", "--model", f"{tmp}/trained.onnx")
    assert init != trained, "train --save-model wrote the initial network"


def mlp_of_imported_ops(tmp, d=4, k=3):
    """MatMul + Add, Sub and Div by constants, BatchNormalization, Tanh,
    Reshape and a Gemm with transB = 0 and alpha."""
    rnd = random.Random(2)
    r = lambda n: [rnd.uniform(-1, 1) for _ in range(n)]
    inits = [ox.tensor("W", [d, 5], r(d * 5)), ox.tensor("b", [5], r(5)),
             ox.tensor("c", [5], r(5)), ox.tensor("s", [], [2.0]),
             ox.tensor("gamma", [5], r(5)), ox.tensor("beta", [5], r(5)),
             ox.tensor("mean", [5], r(5)), ox.tensor("var", [5], [1 + abs(v) for v in r(5)]),
             ox.tensor("shape", [2], [0, -1], ox.INT64), ox.tensor("V", [5, k], r(5 * k)),
             ox.tensor("vb", [k], r(k))]
    nodes = [ox.node("MatMul", ["x", "W"], ["h1"], "mm"), ox.node("Add", ["h1", "b"], ["h2"]),
             ox.node("Sub", ["h2", "c"], ["h3"], "sub"), ox.node("Div", ["h3", "s"], ["h4"]),
             ox.node("BatchNormalization", ["h4", "gamma", "beta", "mean", "var"], ["h5"],
                     "bn", epsilon=1e-3),
             ox.node("Tanh", ["h5"], ["h6"]), ox.node("Reshape", ["h6", "shape"], ["h7"]),
             ox.node("Gemm", ["h7", "V", "vb"], ["y"], "fc", alpha=0.5)]
    path = f"{tmp}/ops.onnx"
    with open(path, "wb") as f:
        f.write(ox.model(nodes, inits, [ox.value_info("x", ["N", d])],
                         [ox.value_info("y", ["N", k])]))
    return path


def case_imported_ops(tmp):
    needs_onnx()
    path = mlp_of_imported_ops(tmp)
    data = ["--data", "gmm:n=20,dim=4,classes=3", "--model", path]
    lines = run("spectrum", *data, "--list-params").stdout.splitlines()[1:-1]
    table = {l.split()[0]: l.split()[-1] for l in lines}
    # Sub's scale of ones and Div's shift of zeros are jacspec's; s is a
    # scalar, a constant (h4.scale holds 1 / s).
    assert table == {"W": "yes", "b": "yes", "sub.scale": "no", "c": "yes", "h4.scale": "no",
                     "h4.shift": "no", "gamma": "yes", "beta": "yes", "V": "yes",
                     "vb": "yes"}, table
    lanczos = json.loads(run("spectrum", *data, "--quiet", "--json", "-", "--top", "5")
                         .stdout)["singular_values"]
    dense = sigmas(*data)[:5]
    for a, b in zip(lanczos, dense):
        assert abs(a - b) <= 1e-9 * dense[0], (a, b)


def case_flat_inputs_reshaped(tmp):
    needs_onnx()
    run("spectrum", *IMAGES, "--arch", ARCHS["cnn"][-1], "--save-model", f"{tmp}/cnn.onnx",
        "--quiet")
    rnd = random.Random(1)
    npyio.write(f"{tmp}/X.npy", [rnd.random() for _ in range(6 * 784)], (6, 784), "<f4")
    npyio.write(f"{tmp}/y.npy", [0, 1, 2, 0, 1, 1], (6,), "<i8")
    run("spectrum", "--x", f"{tmp}/X.npy", "--labels", f"{tmp}/y.npy", "--model",
        f"{tmp}/cnn.onnx", "--top", "3", "--quiet")
    fails("spectrum", *GMM, "--model", f"{tmp}/cnn.onnx", words=("(1, 28, 28)", "784"))


# ---------------------------------------------------------------- broken files

def write_model(tmp, nodes, inits, inputs=None, outputs=None):
    path = f"{tmp}/bad.onnx"
    with open(path, "wb") as f:
        f.write(ox.model(nodes, inits,
                         [ox.value_info("x", ["N", 3])] if inputs is None else inputs,
                         outputs or [ox.value_info("y", ["N", 2])]))
    return path


def case_bad_files(tmp):
    needs_onnx()
    w = ox.tensor("w", [2, 3], [0.5] * 6)
    gemm = ox.node("Gemm", ["x", "w"], ["y"], "fc", transB=1)
    good = write_model(tmp, [gemm], [w])
    raw = open(good, "rb").read()
    data = [*GMM[:1], "gmm:n=10,dim=3,classes=2"]
    run("spectrum", *data, "--model", good, "--top", "1", "--quiet")
    path = f"{tmp}/cut.onnx"
    open(path, "wb").write(raw[:len(raw) - 7])
    fails("spectrum", *data, "--model", path, words=(path, "truncated or corrupt"))
    rnd = random.Random(3)
    open(path, "wb").write(bytes(rnd.randrange(256) for _ in range(3000)))
    fails("spectrum", *data, "--model", path, words=(path, "not an ONNX model"))
    huge = ox.tensor("w", [1 << 40, 1 << 40], [])
    fails("spectrum", *data, "--model", write_model(tmp, [gemm], [huge]),
          words=("initializer 'w'", "at most"))
    short = ox.tensor("w", [2, 3], [0.5] * 5)
    fails("spectrum", *data, "--model", write_model(tmp, [gemm], [short]),
          words=("initializer 'w'", "holds 5 values", "need 6"))
    fails("spectrum", *data, "--model", write_model(tmp, [gemm], [w], inputs=[]),
          words=("no data input",))
    loop = [ox.node("Relu", ["x2"], ["x1"], "a"), ox.node("Relu", ["x1"], ["x2"], "b"), gemm]
    fails("spectrum", *data, "--model", write_model(tmp, loop, [w]), words=("cycle",))
    orphan = [ox.node("Relu", ["nowhere"], ["x1"], "r"), gemm]
    fails("spectrum", *data, "--model", write_model(tmp, orphan, [w]),
          words=("node 'r' (Relu)", "'nowhere' is not produced"))
    soft = [gemm, ox.node("Softmax", ["y"], ["z"], "sm")]
    fails("spectrum", *data, "--model", write_model(tmp, soft, [w], outputs=[
        ox.value_info("z", ["N", 2])]),
        words=("node 'sm' (Softmax)", "op type 'Softmax' is not supported", "supported: Add"))
    conv = [ox.node("Conv", ["x", "k"], ["y"], "c", group=2)]
    fails("spectrum", *IMAGES, "--model", write_model(
        tmp, conv, [ox.tensor("k", [2, 1, 3, 3], [0.1] * 18)],
        inputs=[ox.value_info("x", ["N", 1, 28, 28])]), words=("node 'c' (Conv)", "group = 2"))
    fails("spectrum", *data, "--model", good, "--arch", "resnet8", words=("--model",))


if __name__ == "__main__":
    main(globals())
