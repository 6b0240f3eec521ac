#!/usr/bin/env bash
# Create .venv-bench, a separate virtual environment with PyTorch, DeepXDE, neuraloperator and reservoirpy
# for the comparisons in bench-pinn and bench-operators; the project's .venv stays free of torch.
#   bash scripts/bench_env.sh            # then: make bench-pinn (or --set deepxde_python=...)
# Variables: PYTHON3 (default python3), BENCH_VENV (default .venv-bench),
# TORCH_INDEX (default empty: PyPI's wheels, which bring CUDA libraries, a few GB; point it at
# a CPU-only wheel index where one is reachable).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON3=${PYTHON3:-python3}
BENCH_VENV=${BENCH_VENV:-.venv-bench}
TORCH_INDEX=${TORCH_INDEX-}

if [ ! -x "$BENCH_VENV/bin/python" ]; then
    "$PYTHON3" -m venv "$BENCH_VENV"
fi
"$BENCH_VENV/bin/python" -m pip install --quiet --upgrade pip
if [ -n "$TORCH_INDEX" ]; then
    "$BENCH_VENV/bin/python" -m pip install --quiet torch --index-url "$TORCH_INDEX"
else
    "$BENCH_VENV/bin/python" -m pip install --quiet torch
fi
"$BENCH_VENV/bin/python" -m pip install --quiet deepxde neuraloperator reservoirpy==0.4.2 dapper==1.7.1
DDE_BACKEND=pytorch "$BENCH_VENV/bin/python" -c \
    'import deepxde, neuralop, reservoirpy, torch; print(f"deepxde {deepxde.__version__}, neuralop {neuralop.__version__}, reservoirpy {reservoirpy.__version__}, torch {torch.__version__} in '"$BENCH_VENV"'")'
