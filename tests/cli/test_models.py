"""CLI tests of the model options: --arch (resnet, cnn), --train patterns,
--list-params, per-tensor --init/--save-init, image data, and their errors.

usage: test_models.py JACSPEC CASE   (meson runs one CASE per test)
"""
import json
import os
import random

import npyio
from clitest import fails, main, run

IMAGES = ["--data", "fashion-mnist:train", "--classes", "0,1,2", "--per-class", "4"]
CNN = "cnn:conv=3x3,pool=avg2,conv=4x3s2,dense=6"


def spectrum_json(*args):
    return json.loads(run("spectrum", "--quiet", "--json", "-", *args).stdout)


def images_npy(tmp, n=9, shape=(1, 8, 8)):
    rnd = random.Random(5)
    size = shape[0] * shape[1] * shape[2]
    npyio.write(f"{tmp}/X.npy", [rnd.random() for _ in range(n * size)], (n, *shape), "<f8")
    npyio.write(f"{tmp}/y.npy", [i % 3 for i in range(n)], (n,), "<i8")


# ---------------------------------------------------------------- cases

def case_resnet_lanczos_matches_dense(tmp):
    args = [*IMAGES, "--arch", "resnet8:width=2", "--top", "6"]
    lanczos = spectrum_json(*args)
    dense = spectrum_json(*args, "--dense")
    assert lanczos["n_outputs"] == 3 and lanczos["n_samples"] == 12
    for a, b in zip(lanczos["singular_values"], dense["singular_values"]):
        assert abs(a - b) <= 1e-9 * dense["singular_values"][0], (a, b)


def case_cnn_on_image_npy(tmp):
    images_npy(tmp)
    args = ["--x", f"{tmp}/X.npy", "--labels", f"{tmp}/y.npy", "--arch", CNN, "--top", "5"]
    lanczos = spectrum_json(*args)["singular_values"]
    dense = spectrum_json(*args, "--dense")["singular_values"]
    for a, b in zip(lanczos, dense):
        assert abs(a - b) <= 1e-9 * dense[0], (a, b)


def case_list_params(tmp):
    out = run("spectrum", *IMAGES, "--arch", "resnet20:width=4", "--list-params").stdout
    lines = out.splitlines()
    names = [l.split()[0] for l in lines[1:-1]]
    assert names[0] == "stem.weight" and names[-1] == "fc.bias", names
    assert "stage2.block1.shortcut.weight" in names and "stage1.block1.shortcut.weight" not in names
    # 1 stem + 9 blocks x 2 convs + 2 projections + fc, each with a bias.
    assert len(names) == 2 * (1 + 18 + 2 + 1), len(names)
    assert all(l.split()[-1] == "yes" for l in lines[1:-1])
    assert lines[0].split()[0] == "tensor" and lines[-1].startswith("# 44 tensors")
    stem = lines[1].split()
    assert " ".join(stem[1:5]) == "(4, 1, 3, 3)" and stem[5] == "36", stem


def case_train_patterns(tmp):
    base = [*IMAGES, "--arch", "resnet8:width=2", "--top", "3"]
    everything = spectrum_json(*base)["n_params"]
    fc = spectrum_json(*base, "--train", "fc.*")["n_params"]
    stage3 = spectrum_json(*base, "--train", "stage3.*,fc.weight")["n_params"]
    assert fc == 8 * 3 + 3, fc  # 4 w channels at stage 3 of width 2 x 4 = 8
    assert fc < stage3 < everything, (fc, stage3, everything)
    fails("spectrum", *base, "--train", "stage9.*", words=["stage9.*", "matches no"])


def case_mlp_flags_unchanged(tmp):
    # The MLP of --hidden/--act/--train is the graph's builder: --train 1,2
    # and --train W1,W2 are the same parameters.
    small = ["--data", "gmm:n=30,classes=3,dim=5,seed=2", "--hidden", "7,6", "--top", "4"]
    by_layer = spectrum_json(*small, "--train", "1,2")
    by_name = spectrum_json(*small, "--train", "W1,W2")
    assert by_layer["n_params"] == 5 * 7 + 7 * 6 == by_name["n_params"]
    assert by_layer["singular_values"] == by_name["singular_values"]
    biased = spectrum_json(*small, "--bias", "--train", "1")
    assert biased["n_params"] == 5 * 7 + 7, biased["n_params"]


def case_init_round_trip(tmp):
    base = [*IMAGES, "--arch", CNN, "--top", "4"]
    first = spectrum_json(*base, "--seed", "3", "--save-init", f"{tmp}/w")
    files = sorted(os.listdir(f"{tmp}/w"))
    assert files == ["conv1.bias.npy", "conv1.weight.npy", "conv2.bias.npy",
                     "conv2.weight.npy", "dense3.bias.npy", "dense3.weight.npy",
                     "fc.bias.npy", "fc.weight.npy"], files
    # Another --seed draws other weights and another Lanczos start vector;
    # with --init the weights are the saved ones, so sigma agrees to rounding.
    again = spectrum_json(*base, "--seed", "9", "--init", f"{tmp}/w")
    other = spectrum_json(*base, "--seed", "9")
    for a, b, c in zip(first["singular_values"], again["singular_values"],
                       other["singular_values"]):
        assert abs(a - b) <= 1e-12 * a and abs(a - c) > 1e-6 * a, (a, b, c)
    shape, values = npyio.read(f"{tmp}/w/fc.weight.npy")
    npyio.write(f"{tmp}/w/fc.weight.npy", values[:-3], (shape[0], shape[1] - 1), "<f8")
    fails("spectrum", *base, "--init", f"{tmp}/w", words=["fc.weight.npy", "3 x 6"])


def case_train_and_split_on_cnn(tmp):
    out = json.loads(run("train", "--quiet", *IMAGES, "--arch", CNN, "--steps", "4",
                         "--rank", "3", "--json", "-").stdout)
    losses = [row["loss"] for row in out["rows"]]
    assert losses[-1] < losses[0], losses
    split = json.loads(run("split", "--quiet", *IMAGES, "--arch", CNN, "--rank", "3",
                           "--json", "-").stdout)
    assert 0 < split["labels"]["info"] <= 1
    fails("bound", *IMAGES, "--arch", CNN, "--cutoff", "1", words=["Theorem 3.3", CNN])


def case_bad_arch(tmp):
    fails("spectrum", *IMAGES, "--arch", "resnet21", words=["6n + 2"])
    fails("spectrum", *IMAGES, "--arch", "resnet20:depth=3", words=["width=W"])
    fails("spectrum", *IMAGES, "--arch", "cnn:conv=4x3,blur=2", words=["blur=2"])
    fails("spectrum", *IMAGES, "--arch", "cnn:conv=4x30p0", words=["empty"])
    fails("spectrum", *IMAGES, "--arch", "vgg16", words=["unknown architecture"])
    fails("spectrum", "--data", "gmm:n=20", "--arch", "resnet8", words=["image data"])
    fails("spectrum", *IMAGES, "--arch", "resnet8", "--hidden", "5", words=["--hidden"])


def case_image_shape_mismatch(tmp):
    images_npy(tmp, shape=(1, 8, 8))
    args = ["--x", f"{tmp}/X.npy", "--labels", f"{tmp}/y.npy", "--arch", CNN, "--top", "2"]
    shape, _ = npyio.read(f"{tmp}/X.npy")
    assert shape == (9, 1, 8, 8)
    spectrum_json(*args)
    # The same sizes as another image shape: a clear error, not a reshape.
    wrong = [f"{tmp}/W.npy"]
    _, values = npyio.read(f"{tmp}/X.npy")
    npyio.write(wrong[0], values, (9, 1, 4, 16), "<f8")
    out = json.loads(run("spectrum", "--quiet", "--json", "-", "--x", wrong[0], "--labels",
                         f"{tmp}/y.npy", "--arch", CNN, "--top", "2").stdout)
    assert out["n_params"] > 0  # the CNN is built for the data's own shape
    fails("spectrum", "--x", wrong[0], "--labels", f"{tmp}/y.npy", "--init", "/nonexistent",
          "--arch", CNN, words=["/nonexistent"])


main(globals())
