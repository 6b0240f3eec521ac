"""Training speed of physics-informed trainers: steps per second measured side by side, XLA's
FLOP count per step and the machine's peak floating-point rate.

Several trainers are timed *interleaved* (one chunk of each in turn, several rounds, the best
chunk of each kept): on a shared machine contention comes and goes, and interleaving exposes
every trainer to the same conditions, so that ratios such as R3's overhead over fixed points
are meaningful even when the absolute rates move.

>>> rates = interleaved_rates({"pinn": trainer_a, "r3": trainer_b}, chunk=200, rounds=5)
>>> max(rates["r3"]) / max(rates["pinn"])
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import jax

from .train import Trainer


class InterleavedTimer:
    """Compiled ``chunk``-step functions of several trainers and their running states, so that
    further interleaved rounds can be timed later (e.g. right next to another program's
    timing, under the same load); the first, compiling, chunk of each is run untimed."""

    def __init__(self, trainers: dict[str, Trainer], *, chunk: int, key: jax.Array | None = None):
        if chunk < 1:
            raise ValueError(f"chunk must be >= 1, got chunk={chunk}")
        key = jax.random.key(1) if key is None else key
        self.chunk = chunk
        self._runs = {}
        for name, trainer in trainers.items():
            fn = trainer.chunk_fn(chunk)
            state, logs = fn(trainer.init(key))
            jax.block_until_ready(logs)
            self._runs[name] = [fn, state]

    def rounds(self, rounds: int, only: tuple[str, ...] | None = None) -> dict[str, list[float]]:
        """Steps/s of ``rounds`` chunks of every trainer (or of those in ``only``), in turn."""
        if rounds < 1:
            raise ValueError(f"rounds must be >= 1, got rounds={rounds}")
        names = [n for n in self._runs if only is None or n in only]
        rates: dict[str, list[float]] = {name: [] for name in names}
        for _ in range(rounds):
            for name in names:
                run = self._runs[name]
                start = time.perf_counter()
                run[1], logs = run[0](run[1])
                jax.block_until_ready(logs)
                rates[name].append(self.chunk / (time.perf_counter() - start))
        return rates


def interleaved_rates(trainers: dict[str, Trainer], *, chunk: int, rounds: int,
                      key: jax.Array | None = None) -> dict[str, list[float]]:
    """Steps/s of ``rounds`` chunks of ``chunk`` fused steps of every trainer, timed in turn
    after one compiling (untimed) chunk each; returns the rates per trainer."""
    if chunk < 1 or rounds < 1:
        raise ValueError(f"chunk and rounds must be >= 1, got chunk={chunk}, rounds={rounds}")
    return InterleavedTimer(trainers, chunk=chunk, key=key).rounds(rounds)


def amortised_flops(flops: float, base_flops: float, period: int) -> float:
    """FLOPs per step of a sampler whose extra work (``flops - base_flops``, XLA's count of a
    step with both ``lax.cond`` branches) runs only every ``period`` steps."""
    return base_flops + max(flops - base_flops, 0.0) / period


def peak_gflops() -> tuple[float | None, str]:
    """The CPU's float32 peak, GFLOP/s: cores x clock x FMA units x SIMD lanes x 2, with the
    SIMD width the FMA units really have (AMD Zen 4, family 25, executes AVX-512 on 256-bit
    units: 8 lanes); ``(None, why)`` where it cannot be read."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None, "no /proc/cpuinfo"
    info = {}
    for line in text.splitlines():
        if ":" in line:
            k, v = (part.strip() for part in line.split(":", 1))
            info.setdefault(k, v)
    flags = set(info.get("flags", "").split())
    mhz = [float(line.split(":")[1]) for line in text.splitlines() if line.lower().startswith("cpu mhz")]
    if not mhz:
        return None, "clock unknown"
    vendor, family = info.get("vendor_id", ""), int(info.get("cpu family", "0") or 0)
    lanes = 16 if "avx512f" in flags else 8 if "avx2" in flags else 4
    why = ""
    if vendor == "AuthenticAMD" and family <= 25 and lanes == 16:
        lanes, why = 8, " (AMD family 25: AVX-512 on 256-bit FMA units)"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    ghz = max(mhz) / 1000
    peak = cores * ghz * 2 * lanes * 2
    return peak, f"{cores} cores x {ghz:.2f} GHz x 2 FMA units x {lanes} fp32 lanes x 2 FLOP{why}"
