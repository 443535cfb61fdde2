#!/bin/sh
# A PyTorch CNN, exported with torch.onnx.export, analysed by jacspec: the
# top singular values of its Jacobian on Fashion-MNIST images (or random
# images when the dataset-fashion-mnist package is absent).
#   usage: onnx_cnn.sh [JACSPEC]      exits 77 (skip) without python3-torch
set -eu
jacspec=${1:-jacspec}
python=""
for p in "${PYTHON:-python3}" /usr/bin/python3; do # Debian's python3-torch is /usr/bin's
  if "$p" -c 'import torch' 2>/dev/null; then python=$p; break; fi
done
[ -n "$python" ] || { echo "python3-torch is absent: skipped" >&2; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT INT TERM

"$python" - "$dir/cnn.onnx" <<'PY'
import sys
import torch
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(
    nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.AvgPool2d(2),
    nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.Tanh(), nn.AdaptiveAvgPool2d(1),
    nn.Flatten(), nn.Linear(16, 10)).double().eval()
torch.onnx.export(model, torch.zeros(1, 1, 28, 28, dtype=torch.float64), sys.argv[1],
                  input_names=["x"], output_names=["logits"],
                  dynamic_axes={"x": {0: "N"}, "logits": {0: "N"}}, opset_version=13)
PY

if [ -d /usr/share/datasets/fashion-mnist ]; then
  set -- --data fashion-mnist:train --per-class 20
else
  set -- --data gmm:n=100,dim=784,classes=10
fi
"$jacspec" spectrum "$@" --model "$dir/cnn.onnx" --top 10 --list-params
"$jacspec" spectrum "$@" --model "$dir/cnn.onnx" --top 10
