"""DeepXDE (PyTorch backend) side of ``bench-pinn``: run by the benchmark venv's interpreter
(``scripts/bench_env.sh`` makes ``.venv-bench``), prints one JSON line.

Convection ``u_t + beta u_x = 0`` on ``[0, 2 pi) x [0, 1]``, ``u0 = sin x``, periodic in
``x`` (value and first derivative), 4 x 50 tanh MLP (Glorot normal), Adam lr 1e-3, loss
weights residual 1, boundary 100, initial 100: the same problem, network, optimiser and
weights as ``sciml.pinn`` in ``pipelines/stages/pinn_bench.py``.

Points: DeepXDE evaluates the residual on its boundary and initial points as well as on the
domain points, so ``num_domain = points - n_bc - n_ic`` gives ``points`` residual points in
all, plus ``n_bc`` boundary and ``n_ic`` initial points, as on our side.

Modes:

``--threads``: torch's intra-op threads (default: torch's choice, one per core); on a busy
machine one thread can be faster, so the benchmark times both and keeps the better.

* ``speed``: Adam steps per second after 50 warm-up steps, the best of ``--blocks`` timed
  blocks of ``--steps / --blocks`` steps (the machine may be shared; contention only ever
  slows a block down, and our side is timed the same way); no new block starts after
  ``--max-seconds`` (two threads can crawl on a busy machine).
* ``target``: train with ``--sampler`` (``fixed``; ``resample``: DeepXDE's
  ``PDEPointResampler`` every ``--period`` steps; ``rar``: greedy RAR, the ``--n-add`` largest
  ``|residual|`` of a uniform pool of ``--pool`` points added every ``--period`` steps) until
  the relative L2 error on the 256 x 100 grid (x without 2 pi, t with 0 and 1) drops below
  ``--target`` or ``--cap`` steps; the error is checked every ``--every`` steps and its cost
  is left out of ``train_s``.

    .venv-bench/bin/python scripts/deepxde_pinn_bench.py speed --steps 1000
    .venv-bench/bin/python scripts/deepxde_pinn_bench.py target --beta 30 --sampler rar --cap 20000
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("DDE_BACKEND", "pytorch")

import deepxde as dde  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402


def build(beta: float, points: int, n_ic: int, n_bc: int, seed: int):
    dde.config.set_random_seed(seed)
    geomtime = dde.geometry.GeometryXTime(dde.geometry.Interval(0, 2 * np.pi), dde.geometry.TimeDomain(0, 1))

    def pde(x, u):
        return dde.grad.jacobian(u, x, i=0, j=1) + beta * dde.grad.jacobian(u, x, i=0, j=0)

    on_boundary = lambda x, on: on  # noqa: E731
    bcs = [dde.icbc.PeriodicBC(geomtime, 0, on_boundary), dde.icbc.PeriodicBC(geomtime, 0, on_boundary, 1),
           dde.icbc.IC(geomtime, lambda x: np.sin(x[:, 0:1]), on_boundary)]
    data = dde.data.TimePDE(geomtime, pde, bcs, num_domain=points - n_bc - n_ic, num_boundary=n_bc,
                            num_initial=n_ic)
    model = dde.Model(data, dde.nn.FNN([2] + [50] * 4 + [1], "tanh", "Glorot normal"))
    model.compile("adam", lr=1e-3, loss_weights=[1, 100, 100, 100])
    return model, geomtime, pde


def speed(args) -> dict:
    model, _, _ = build(50.0, args.points, args.n_ic, args.n_bc, args.seed)
    model.train(iterations=50, display_every=10**9, verbose=0)
    block = max(args.steps // args.blocks, 1)
    rates, begin = [], time.perf_counter()
    for _ in range(args.blocks):
        start = time.perf_counter()
        model.train(iterations=block, display_every=10**9, verbose=0)
        rates.append(block / (time.perf_counter() - start))
        if time.perf_counter() - begin > args.max_seconds:
            break
    return {"steps_per_s": max(rates), "block_rates": rates}


def target(args) -> dict:
    model, geomtime, pde = build(args.beta, args.points, args.n_ic, args.n_bc, args.seed)
    x = 2 * np.pi * np.arange(256) / 256
    t = np.linspace(0, 1, 100)
    xx, tt = np.meshgrid(x, t)
    grid = np.stack([xx.ravel(), tt.ravel()], axis=1)
    exact = np.sin(xx.ravel() - args.beta * tt.ravel())
    callbacks = [dde.callbacks.PDEPointResampler(period=args.period)] if args.sampler == "resample" else []
    rng = np.random.default_rng(args.seed)
    steps, train_s, errors = 0, 0.0, []
    while steps < args.cap:
        n = min(args.every, args.cap - steps)
        start = time.perf_counter()
        # RAR adds points at every multiple of --period, so a chunk is trained in pieces ending there
        first = steps - steps % args.period + args.period  # the first multiple of --period after steps
        ends = set(range(first, steps + n + 1, args.period)) if args.sampler == "rar" else set()
        done = steps
        for end in sorted(ends | {steps + n}):
            model.train(iterations=end - done, display_every=10**9, verbose=0, callbacks=callbacks)
            done = end
            if end in ends:
                pool = np.column_stack([rng.uniform(0, 2 * np.pi, args.pool), rng.uniform(0, 1, args.pool)])
                r = np.abs(model.predict(pool, operator=pde)).ravel()
                model.data.add_anchors(pool[np.argsort(r)[-args.n_add:]])
        train_s += time.perf_counter() - start
        steps += n
        u = model.predict(grid).ravel()
        errors.append(float(np.linalg.norm(u - exact) / np.linalg.norm(exact)))
        if errors[-1] < args.target:
            break
    reached = errors[-1] < args.target
    return {"sampler": args.sampler, "beta": args.beta, "target": args.target, "reached": reached,
            "steps": steps, "train_s": train_s, "final_rel_l2": errors[-1], "cap": args.cap, "every": args.every,
            "points_added": 0 if model.data.anchors is None else len(model.data.anchors)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=("speed", "target"))
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--blocks", type=int, default=5)
    ap.add_argument("--points", type=int, default=1000)
    ap.add_argument("--n-ic", type=int, default=100)
    ap.add_argument("--n-bc", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--beta", type=float, default=30.0)
    ap.add_argument("--sampler", choices=("fixed", "resample", "rar"), default="resample")
    ap.add_argument("--period", type=int, default=100)
    ap.add_argument("--pool", type=int, default=10_000)
    ap.add_argument("--n-add", type=int, default=10)
    ap.add_argument("--target", type=float, default=0.05)
    ap.add_argument("--cap", type=int, default=20_000)
    ap.add_argument("--every", type=int, default=250)
    ap.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: torch's default)")
    ap.add_argument("--max-seconds", type=float, default=60.0, help="speed: no further blocks after this long")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.points <= args.n_ic + args.n_bc:
        raise SystemExit(f"--points={args.points} must exceed --n-ic + --n-bc = {args.n_ic + args.n_bc}")
    out = speed(args) if args.mode == "speed" else target(args)
    out.update(deepxde=dde.__version__, torch=torch.__version__, threads=torch.get_num_threads())
    print(json.dumps(out))


if __name__ == "__main__":
    main()
