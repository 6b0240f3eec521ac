"""reservoirpy's ESN on the same data and reservoir matrices as sciml.reservoir's JAX ESN.

Runs in .venv-bench (``bash scripts/bench_env.sh``); called by
``sciml.reservoir.compare.compare_with_reservoirpy``, which writes the ``--data`` file:
series (T, D, standardised), W (N, N), Win (N, D), bias (N,), leak, beta, warmup, dt,
lyapunov_exponent. The reservoir is built from those arrays (``Reservoir(W=..., Win=...,
bias=...)``), the readout is ``Ridge(ridge=beta)`` with the input fed to it
(``ESN(input_to_readout=True)``), fitted teacher-forced on series[:train] (next step
targets, ``warmup`` states dropped); the forecast resets the state, runs the training series
again (teacher forcing) and then ``forecast`` steps in closed loop, one ``model(y)`` call each,
as reservoirpy's documentation does. Writes timing, predictions' VPT and versions to --json.

    .venv-bench/bin/python scripts/reservoirpy_bench.py --data d.npz --json out.json --units 1000 --train 5000 --forecast 1000
"""

import argparse
import json
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help=".npz written by sciml.reservoir.compare")
    ap.add_argument("--json", required=True, help="output JSON")
    ap.add_argument("--units", type=int, required=True, help="reservoir size (must match the data file's W)")
    ap.add_argument("--train", type=int, required=True, help="training points")
    ap.add_argument("--forecast", type=int, required=True, help="closed-loop steps")
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args()

    import reservoirpy
    from reservoirpy import ESN
    from reservoirpy.nodes import Reservoir, Ridge

    d = np.load(args.data)
    series = d["series"]
    if d["W"].shape[0] != args.units:
        raise SystemExit(f"--units {args.units} but the data file's W is {d['W'].shape}")
    if series.shape[0] < args.train + args.forecast:
        raise SystemExit(f"series has {series.shape[0]} points, --train + --forecast = {args.train + args.forecast}")
    train, truth = series[: args.train], series[args.train : args.train + args.forecast]
    times, pred = [], None
    for _ in range(args.repeats):
        start = time.perf_counter()
        res = Reservoir(W=d["W"].copy(), Win=d["Win"].copy(), bias=d["bias"].copy(), lr=float(d["leak"]))
        model = ESN(reservoir=res, readout=Ridge(ridge=float(d["beta"])), input_to_readout=True)
        model.fit(train[:-1], train[1:], warmup=int(d["warmup"]))
        fit_s = time.perf_counter() - start
        model.reset()
        y = model.run(train)[-1]
        out = np.empty((args.forecast, series.shape[1]))
        for i in range(args.forecast):
            out[i] = y
            y = model(y)
        times.append((time.perf_counter() - start, fit_s))
        pred = out
    total, fit_s = min(times)
    # normalised error as chaos.metrics.valid_prediction_time (reference: the training series)
    scale = np.sqrt(np.mean(np.sum((train - train.mean(0)) ** 2, axis=1)))
    err = np.linalg.norm(pred - truth, axis=1) / scale
    bad = np.flatnonzero(~(err <= 0.4))
    k = err.size if bad.size == 0 else int(bad[0])
    result = {"library": "reservoirpy", "version": reservoirpy.__version__, "seconds": total, "fit_seconds": fit_s,
              "forecast_seconds": total - fit_s, "vpt_lyapunov_times": k * float(d["dt"]) * float(d["lyapunov_exponent"]),
              "units": args.units, "train": args.train, "forecast": args.forecast, "repeats": args.repeats}
    np.save(args.json.replace(".json", "") + "_prediction.npy", pred)
    with open(args.json, "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
