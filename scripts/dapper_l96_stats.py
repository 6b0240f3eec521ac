"""Climatology of the slow variables X of the two-level Lorenz 96 model, Lorenz 1996 set, computed with DAPPER.

An independent reference for ``tests/chaos/test_lorenz96.py``: no paper prints the mean and variance of X for
K = 36, J = 10, F = 10, h = 1, b = c = 10, so the test compares ours with this other code's output. DAPPER's
``dapper.mods.LorenzUV.model_instance`` (its own tendency, the same equations with every fast variable on one
ring) stepped by its own RK4 (``dapper.mods.with_rk4``), NumPy float64. Run in the benchmark environment:

    .venv-bench/bin/pip install dapper==1.7.1
    .venv-bench/bin/python scripts/dapper_l96_stats.py --members 8 --mtu 1000 > /tmp/dapper_l96.json

Prints JSON: the mean and variance of X over members, sites and samples (every 0.05 MTU after a spin-up), each
member's, and the settings. Seconds per member-MTU: about 0.1 on one CPU core.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=8, help="independent runs, stepped together")
    parser.add_argument("--mtu", type=float, default=1000.0, help="model time units averaged per member")
    parser.add_argument("--spin-up", type=float, default=20.0, help="model time units dropped first")
    parser.add_argument("--dt", type=float, default=0.005, help="RK4 step (MTU)")
    parser.add_argument("--every", type=int, default=10, help="sample every this many steps")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.members < 1 or args.mtu <= 0 or args.spin_up < 0 or args.dt <= 0 or args.every < 1:
        parser.error("members, every must be >= 1; mtu, dt > 0; spin-up >= 0")
    os.environ.setdefault("MPLBACKEND", "Agg")
    with contextlib.redirect_stdout(sys.stderr):  # DAPPER prints a plotting warning on import
        import dapper
        import dapper.mods as modelling
        from dapper.mods.LorenzUV import model_instance

    luv = model_instance(nU=36, J=10, F=10, h=1, b=10, c=10)
    step = modelling.with_rk4(luv.dxdt, autonom=True)
    rng = np.random.default_rng(args.seed)
    x = np.zeros((args.members, luv.M))
    x[:, : luv.nU] = luv.F / 2 + rng.standard_normal((args.members, luv.nU))
    x[:, luv.nU :] = 0.1 * rng.standard_normal((args.members, luv.M - luv.nU))
    for _ in range(int(round(args.spin_up / args.dt))):
        x = step(x, 0.0, args.dt)
    n_steps = int(round(args.mtu / args.dt))
    total, total_sq, count = np.zeros(args.members), np.zeros(args.members), 0
    for i in range(1, n_steps + 1):
        x = step(x, 0.0, args.dt)
        if i % args.every == 0:
            u = x[:, : luv.nU]
            total += u.sum(1)
            total_sq += (u**2).sum(1)
            count += luv.nU
    if not np.all(np.isfinite(x)):
        raise SystemExit("DAPPER's run produced non-finite states")
    mean_m, sq_m = total / count, total_sq / count
    mean = float(mean_m.mean())
    var = float(sq_m.mean() - mean**2)
    print(json.dumps({
        "code": f"dapper {dapper.__version__}, dapper.mods.LorenzUV.model_instance + with_rk4 (float64)",
        "set": {"K": luv.nU, "J": luv.J, "F": luv.F, "h": luv.h, "b": luv.b, "c": luv.c},
        "members": args.members, "mtu_per_member": args.mtu, "spin_up_mtu": args.spin_up, "dt": args.dt,
        "sample_every_mtu": args.every * args.dt, "seed": args.seed,
        "mean_x": mean, "var_x": var,
        "member_mean_x": mean_m.tolist(), "member_var_x": (sq_m - mean_m**2).tolist(),
    }, indent=1))


if __name__ == "__main__":
    main()
