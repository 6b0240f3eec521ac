"""Export one trained closure: ONNX and ``jax.export`` artifacts, checked, with ``metadata.json``, written atomically.

Shapes: first a symbolic ring size K is tried (one artifact for every K the closure supports);
if jax2onnx or ``jax.export`` cannot trace the closure for a symbolic K, or the symbolic
artifact fails the check, one artifact per evaluation K is exported instead and the reason is
recorded (``metadata["fixed_k_reason"]``).

Check, per artifact and per evaluation K, from a state on the one-level attractor: the NumPy
coarse model with the ONNX closure (onnxruntime) against ``simulate_coarse`` with the JAX
closure over ``n_steps`` RK4 steps, and ``simulate_coarse`` with the deserialized ``jax.export``
artifact against the same. Every check runs before anything is written; a failure raises
:class:`~pipelines.export.metadata.ExportError` and leaves the output directory as it was.

>>> meta = export_closure(model, closure_meta, "runs/export/mno", name="mno", options=ExportOptions())
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax.numpy as jnp
import numpy as np

from pipelines._atomic import atomic_dir, atomic_write_json
from pipelines._provenance import git_commit, utc_now, versions

from . import simulator
from .jax_export import PLATFORMS, closure_to_jax_export, load_jax_export
from .metadata import FORMAT, METADATA_FILE, SYMBOLIC_AXIS, ExportError, artifact_names
from .onnx_export import INPUT_NAME, OPSET, OUTPUT_NAME, closure_to_onnx
from .parity import export_parity, jax_export_parity, reference_trajectory

__all__ = ["ExportOptions", "export_closure", "initial_state"]


@dataclass(frozen=True)
class ExportOptions:
    """How to export and check a closure.

    Attributes:
        ks: ring sizes the exported closure must run at (evaluation sizes); each is checked.
        symbolic_k: try one artifact with a symbolic K first.
        dt: coarse time step (MTU) of the check; forcing: F of the coarse model.
        n_steps: RK4 steps of the check.
        tol: largest allowed max |X_numpy - X_jax| (and |X_jaxexport - X_jax|) over the check.
        seed: seed of the check's initial states.
    """

    ks: tuple[int, ...] = (36, 72, 144)
    symbolic_k: bool = True
    dt: float = 0.005
    forcing: float = 10.0
    n_steps: int = 100
    tol: float = 1e-4
    seed: int = 0

    def __post_init__(self):
        if not self.ks or any(isinstance(k, bool) or not isinstance(k, int) or k < 4 for k in self.ks):
            raise ValueError(f"ks must be one or more ints >= 4, got {self.ks!r}")
        if not (np.isfinite(self.dt) and self.dt > 0):
            raise ValueError(f"dt must be a finite number > 0, got {self.dt!r}")
        if isinstance(self.n_steps, bool) or not isinstance(self.n_steps, int) or self.n_steps < 1:
            raise ValueError(f"n_steps must be an int >= 1, got {self.n_steps!r}")
        if not (self.tol > 0):
            raise ValueError(f"tol must be > 0, got {self.tol!r}")


def initial_state(k: int, forcing: float, *, seed: int = 0, spin_up_steps: int = 1000, dt: float = 0.005
                  ) -> np.ndarray:
    """A state (k,) float32 on the one-level model's attractor: F plus a small random perturbation, then
    ``spin_up_steps`` NumPy RK4 steps without closure (deterministic for a given seed)."""
    rng = np.random.default_rng([seed, k])
    x0 = forcing + 0.5 * rng.standard_normal(k)
    return simulator.simulate(x0, None, dt=dt, n_steps=spin_up_steps, forcing=forcing)[-1]


def _check_artifact(closure_model, onnx_bytes: bytes, jax_bytes: bytes, ks, states, options) -> dict[str, Any]:
    per_k = {}
    for k in ks:
        x0 = states[k]
        ref = reference_trajectory(closure_model, x0, n_steps=options.n_steps, dt=options.dt, forcing=options.forcing)
        onnx_err = export_parity(closure_model, x0, options.n_steps, options.dt, options.forcing,
                                 onnx_model=onnx_bytes, reference=ref)
        jax_err = jax_export_parity(jax_bytes, x0, ref, dt=options.dt, forcing=options.forcing)
        onnx_call, jax_call = simulator.OnnxClosure(onnx_bytes, min_k=1), load_jax_export(jax_bytes)
        states_k = ref[:: max(1, options.n_steps // 10)]
        want = np.stack([np.asarray(closure_model(jnp.asarray(s))) for s in states_k])
        onnx_out = np.stack([onnx_call(s) for s in states_k])
        jax_out = np.stack([np.asarray(jax_call(jnp.asarray(s))) for s in states_k])
        per_k[str(k)] = {"onnx_max_abs": onnx_err, "jaxexport_max_abs": jax_err,
                         "state_max_abs": float(np.max(np.abs(ref))),
                         "closure_onnx_max_abs": float(np.max(np.abs(onnx_out - want))),
                         "closure_jaxexport_max_abs": float(np.max(np.abs(jax_out - want))),
                         "closure_max_abs": float(np.max(np.abs(want)))}
    return per_k


_CHECKED = ("onnx_max_abs", "jaxexport_max_abs", "closure_onnx_max_abs", "closure_jaxexport_max_abs")


def _failures(per_k: dict[str, Any], tol: float) -> list[str]:
    return [f"K={k}: {what} {v[what]:.3g}" for k, v in per_k.items() for what in _CHECKED if not (v[what] <= tol)]


def _build(closure_model, k: int | None, min_k: int, name: str) -> tuple[bytes, bytes, list[str]]:
    onnx_bytes, ops = closure_to_onnx(closure_model, k, min_k=min_k, model_name=name)
    jax_bytes = closure_to_jax_export(closure_model, k, min_k=min_k)
    return onnx_bytes, jax_bytes, ops


def export_closure(closure_model, closure_meta: dict[str, Any], out_dir: str | Path, *, name: str,
                   options: ExportOptions = ExportOptions(), source: str | None = None) -> dict[str, Any]:
    """Export ``closure_model`` to ``out_dir`` (replaced atomically) and return the metadata written.

    Args:
        closure_model: a closure ``(K,) -> (K,)`` (``eqx.Module``, float32) as loaded by ``load_closure``.
        closure_meta: its checkpoint metadata (``config``, ``data_hash``, ...), copied into the metadata.
        name: the closure's name (the export directory's name).
        source: the closure file it came from (recorded).

    Raises:
        ValueError: an evaluation K the closure cannot run at (before any export).
        ExportError: the exported closure's trajectory differs from the JAX one by more than ``options.tol``.
    """
    min_k = int(closure_model.min_size()) if hasattr(closure_model, "min_size") else 4
    min_k = max(min_k, 4)
    for k in options.ks:
        if hasattr(closure_model, "check_size"):
            closure_model.check_size(k)
    ks = tuple(options.ks)
    states = {k: initial_state(k, options.forcing, seed=options.seed, dt=options.dt) for k in ks}

    artifacts: list[tuple[int | None, bytes, bytes, list[str], dict]] = []
    reason = None
    if options.symbolic_k:
        try:
            onnx_bytes, jax_bytes, ops = _build(closure_model, None, min_k, name)
            per_k = _check_artifact(closure_model, onnx_bytes, jax_bytes, ks, states, options)
            bad = _failures(per_k, options.tol)
            if bad:
                reason = f"the symbolic-K artifact failed the check ({'; '.join(bad)})"
            else:
                artifacts.append((None, onnx_bytes, jax_bytes, ops, per_k))
        except ExportError:
            raise
        except Exception as err:  # noqa: BLE001 - any tracing failure means: fall back to fixed sizes
            reason = f"symbolic K not exportable: {type(err).__name__}: {' '.join(str(err).split())[:300]}"
    else:
        reason = "symbolic_k disabled in the export options"
    if not artifacts:
        for k in ks:
            onnx_bytes, jax_bytes, ops = _build(closure_model, k, min_k, name)
            per_k = _check_artifact(closure_model, onnx_bytes, jax_bytes, (k,), states, options)
            bad = _failures(per_k, options.tol)
            if bad:
                raise ExportError(f"export of closure {name!r} failed its check over {options.n_steps} steps of "
                                  f"dt={options.dt}: {'; '.join(bad)} > tol={options.tol:g}; nothing written")
            artifacts.append((k, onnx_bytes, jax_bytes, ops, per_k))

    meta = _metadata(closure_model, closure_meta, name=name, options=options, min_k=min_k, artifacts=artifacts,
                     reason=reason, source=source)
    with atomic_dir(out_dir) as tmp:
        tmp.mkdir(parents=True)
        for k, onnx_bytes, jax_bytes, _, _ in artifacts:
            onnx_name, jax_name = artifact_names(k)
            (tmp / onnx_name).write_bytes(onnx_bytes)
            (tmp / jax_name).write_bytes(jax_bytes)
        atomic_write_json(tmp / METADATA_FILE, meta)
    return meta


def _metadata(closure_model, closure_meta, *, name, options, min_k, artifacts, reason, source) -> dict[str, Any]:
    symbolic = artifacts[0][0] is None
    shape = [SYMBOLIC_AXIS] if symbolic else ["one of K = " + ", ".join(str(a[0]) for a in artifacts)]
    axes = {"0": SYMBOLIC_AXIS} if symbolic else {}
    per_k: dict[str, Any] = {}
    entries = []
    for k, onnx_bytes, jax_bytes, ops, checks in artifacts:
        onnx_name, jax_name = artifact_names(k)
        entries.append({"K": SYMBOLIC_AXIS if k is None else k, "onnx": onnx_name,
                        "onnx_sha256": hashlib.sha256(onnx_bytes).hexdigest(), "onnx_ops": ops,
                        "jaxexport": jax_name, "jaxexport_sha256": hashlib.sha256(jax_bytes).hexdigest()})
        per_k.update(checks)
    worst_onnx = max(v["onnx_max_abs"] for v in per_k.values())
    worst_jax = max(v["jaxexport_max_abs"] for v in per_k.values())
    hp = closure_model.hyperparameters() if hasattr(closure_model, "hyperparameters") else None
    normalisation = {}
    for field in ("x_norm", "y_norm"):
        norm = getattr(closure_model, field, None)
        if norm is not None:
            normalisation[field] = {"mean": float(norm.mean), "scale": float(norm.scale)}
    return {
        "format": FORMAT,
        "closure": name,
        "closure_class": type(closure_model).__name__,
        "hyperparameters": hp,
        "source": source,
        "inputs": [{"name": INPUT_NAME, "shape": shape, "symbolic_axes": axes, "dtype": "float32",
                    "units": "1 (nondimensional Lorenz 96 X)", "long_name": "coarse state X_k on the periodic ring"}],
        "outputs": [{"name": OUTPUT_NAME, "shape": shape, "symbolic_axes": axes, "dtype": "float32",
                     "units": "1/MTU (nondimensional, per model time unit)",
                     "long_name": "closure tendency correction added to dX_k/dt"}],
        "artifacts": entries,
        "symbolic_k": symbolic,
        "min_k": min_k,
        "supported_k": f"any K >= {min_k}" if symbolic else [a[0] for a in artifacts],
        "fixed_k_reason": None if symbolic else reason,
        "normalisation": {"inside_model": True, "affine": normalisation,
                          "note": "encode (X - mean)/scale and decode are part of the exported graphs; feed raw X"},
        "training": {"config": closure_meta.get("config"), "data_hash": closure_meta.get("data_hash"),
                     "meta_keys": sorted(closure_meta)},
        "coarse_model": {"equation": "dX_k/dt = X_{k-1}(X_{k+1}-X_{k-2}) - X_k + F + closure(X)_k",
                         "scheme": "classical RK4, closure evaluated at every stage", "forcing": options.forcing,
                         "dt": options.dt, "dtype": "float32"},
        "parity": {"n_steps": options.n_steps, "dt": options.dt, "forcing": options.forcing, "tol": options.tol,
                   "seed": options.seed, "dtype": "float32", "per_k": per_k, "passed": True,
                   "initial_state": "F + 0.5 N(0,1), 1000 one-level RK4 steps (on the attractor)",
                   "compared": "NumPy coarse model + onnxruntime vs chaos.lorenz96.simulate_coarse + JAX closure; "
                               "simulate_coarse + deserialized jax.export artifact vs the same"},
        "export_parity_max_abs": worst_onnx,
        "jaxexport_parity_max_abs": worst_jax,
        "onnx": {"exporter": f"jax2onnx {versions_of('jax2onnx')}", "opset": OPSET,
                 "spectral_form": "dft_symbolic" if symbolic else "dft"},
        "jaxexport": {"platforms": list(PLATFORMS), "jax": versions_of("jax"),
                      "spectral_form": "dft_symbolic" if symbolic else "as trained"},
        "options": dataclasses.asdict(options) | {"ks": list(options.ks)},
        "created": utc_now(),
        "commit": git_commit(),
        "versions": versions(),
    }


def versions_of(package: str) -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
