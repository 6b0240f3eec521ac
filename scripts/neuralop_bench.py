"""Time neuraloperator's FNO (PyTorch) on given data: seconds per training epoch and inference
seconds per sample. Run under the benchmark environment (``bash scripts/bench_env.sh``):

    .venv-bench/bin/python scripts/neuralop_bench.py data.npz '{"width": 64, ...}' > out.json

``data.npz`` holds ``x_train``, ``y_train`` (N, C, *grid) float32. Prints one JSON object.
Same optimiser as ours (AdamW, lr 1e-3, weight decay 1e-4), same batch size, relative L2 loss.

The FNO is configured as ours (``"matched": true``, the default): the same kept modes
(``modes`` is ours, the lowest ``modes`` frequencies on the last axis; neuraloperator's
``n_modes`` counts both signs, keeping ``n_modes // 2 + 1`` there, so it gets
``2 (modes - 1)``), a linear lifting, no channel MLP inside the Fourier blocks, a linear
skip, GELU, grid coordinates appended, a two-layer projection with 128 hidden channels.
``"matched": false`` uses neuraloperator's defaults instead (two-layer lifting, channel MLPs).
"""

import json
import sys
import time

import numpy as np
import torch


def rel_l2(pred, target):
    diff = (pred - target).flatten(1).norm(dim=1)
    return (diff / target.flatten(1).norm(dim=1)).mean()


def main() -> None:
    data = np.load(sys.argv[1])
    cfg = json.loads(sys.argv[2])
    torch.manual_seed(0)
    torch.set_num_threads(int(cfg.get("threads", torch.get_num_threads())))
    from neuralop.models import FNO

    x = torch.from_numpy(data["x_train"]).float()
    y = torch.from_numpy(data["y_train"]).float()
    dims = x.ndim - 2
    matched = cfg.get("matched", True)
    extra = {"lifting_channel_ratio": 0, "use_channel_mlp": False, "fno_skip": "linear"} if matched else {}
    n_modes = 2 * (cfg["modes"] - 1) if matched else cfg["modes"]
    model = FNO(n_modes=(n_modes,) * dims, in_channels=x.shape[1], out_channels=y.shape[1],
                hidden_channels=cfg["width"], n_layers=cfg["n_layers"], projection_channel_ratio=128 / cfg["width"],
                **extra)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    batch, n = cfg["batch_size"], x.shape[0]
    times = []
    for _ in range(cfg["epochs"]):
        perm = torch.randperm(n)
        start = time.perf_counter()
        for i in range(0, n - batch + 1, batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss = rel_l2(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - start)
    model.eval()
    passes = []
    with torch.inference_mode():
        model(x[:batch])
        for _ in range(int(cfg.get("inference_repeats", 5))):  # the fastest pass: least disturbed by other load
            start = time.perf_counter()
            for i in range(0, n - batch + 1, batch):
                model(x[i:i + batch])
            passes.append((time.perf_counter() - start) / (n - n % batch))
    infer = min(passes)
    print(json.dumps({"s_per_epoch": float(np.mean(times[1:] if len(times) > 1 else times)), "epoch_times": times,
                      "inference_s_per_sample": infer, "inference_passes": passes, "n_parameters": sum(p.numel() for p in model.parameters()),
                      "matched": matched, "n_modes": n_modes, "torch": torch.__version__, "threads": torch.get_num_threads(), "final_loss": float(loss)}))


if __name__ == "__main__":
    main()
