"""Export of closures: JAX -> ONNX -> onnxruntime in the NumPy coarse model == JAX simulate_coarse over 100 steps;
jax.export artifacts round-trip; clear errors for unsupported K, failed checks, foreign files and configs."""

import json
import os
import subprocess
import sys
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from chaos.lorenz96 import coarse_step, simulate_coarse
from pipelines.config import ConfigError
from pipelines.export import (ExportError, ExportOptions, SymbolicDFT, export_closure, export_parity, load_jax_export,
                              load_onnx_closure, read_metadata, rk4_step, simulate)
from pipelines.registry import StageContext
from pipelines.stages import export as export_stage
from sciml import closures
from sciml.operators.fno import FNO, with_form

REPO = Path(__file__).resolve().parents[2]
KS = (12, 20)
DT, F = 0.005, 10.0
TRAIN_META = {"config": {"parameter_set": "lorenz1996", "dt": DT}, "data_hash": "0123456789abcdef"}


class RingFNO(eqx.Module):
    """A test closure straight from sciml.operators.fno.FNO (no size check that needs a concrete K)."""

    fno: FNO

    def __call__(self, x):
        return self.fno(x[None])[0] * 0.1

    def min_size(self):
        return 2 * (self.fno.modes[0] - 1)


def _data():
    rng = np.random.default_rng(0)
    x = (2.5 + 3.5 * rng.standard_normal((32, 12))).astype(np.float32)
    y = (-0.3 * x + 0.2 + 0.1 * rng.standard_normal(x.shape)).astype(np.float32)
    return x, y


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Every registered closure, tiny, saved as runs/closures/<name>/closure.eqx; then the export stage run once."""
    root = tmp_path_factory.mktemp("repo")
    x, y = _data()
    key = jax.random.PRNGKey(0)
    hp = {"null": {}, "poly": {"degree": 3}, "mlp": {"stencil": 1, "width": 8, "depth": 1},
          "mno": {"modes": 4, "width": 8, "n_layers": 2, "projection_hidden": 8}}
    assert set(hp) == set(closures.names())
    for name in closures.names():
        cls = closures.get(name)
        model = cls.from_data(x, y, key=key, **hp[name]) if name != "null" else cls()
        closures.save_closure(root / "runs" / "closures" / name / "closure.eqx", model, TRAIN_META)
    cfg = export_stage.ExportConfig(ks=KS)
    export_stage.run(cfg, StageContext(profile="quick", scheduler=None, out=None, repo_root=root))
    return root


def _x0(k, seed=1):
    rng = np.random.default_rng(seed)
    return simulate(F + 0.5 * rng.standard_normal(k), None, dt=DT, n_steps=400, forcing=F)[-1]


def test_numpy_rk4_is_the_jax_coarse_step():
    # float64, no closure and a linear closure: the two implementations of one scheme agree to rounding
    x = _x0(12).astype(np.float64)
    lin = lambda s: -0.2 * s + 0.1  # noqa: E731
    for closure in (None, lin):
        want = np.asarray(coarse_step(jnp.asarray(x), DT, F, closure))
        got = rk4_step(x, np.float64(DT), np.float64(F), closure)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-13)


@pytest.mark.parametrize("name", ["null", "poly", "mlp", "mno"])
def test_stage_exports_every_closure_and_the_onnx_model_matches_jax_over_100_steps(trained, name):
    out = trained / "runs" / "export" / name
    meta = read_metadata(out)
    assert meta["closure"] == name and meta["training"]["data_hash"] == TRAIN_META["data_hash"]
    assert meta["training"]["config"] == TRAIN_META["config"]
    assert meta["inputs"][0]["dtype"] == meta["outputs"][0]["dtype"] == "float32"
    assert meta["parity"]["n_steps"] == 100 and meta["export_parity_max_abs"] <= 1e-4
    for art in meta["artifacts"]:
        assert (out / art["onnx"]).is_file() and (out / art["jaxexport"]).is_file()
    model, _ = closures.load_closure(trained / "runs" / "closures" / name / "closure.eqx")
    for k in KS:
        # independent of the stage's own check: reload the files and redo the round trip
        x0 = _x0(k, seed=7)
        got = simulate(x0, load_onnx_closure(out, k), dt=DT, n_steps=100, forcing=F)
        want = np.asarray(simulate_coarse(jnp.asarray(x0), model, dt=DT, n_steps=100, forcing=F))
        assert got.shape == want.shape == (101, k) and got.dtype == np.float32
        assert np.max(np.abs(got - want)) < 1e-4
        art = next(a for a in meta["artifacts"] if a["K"] in (k, "K"))
        call = load_jax_export((out / art["jaxexport"]).read_bytes())
        states = jnp.asarray(want[::20])
        np.testing.assert_allclose(np.stack([call(s) for s in states]), jax.vmap(model)(states), rtol=0, atol=1e-6)
    # closures that do something are not trivially equal to the closure-free model
    if name != "null":
        free = simulate(_x0(KS[0], seed=7), None, dt=DT, n_steps=100, forcing=F)
        closed = simulate(_x0(KS[0], seed=7), load_onnx_closure(out, KS[0]), dt=DT, n_steps=100, forcing=F)
        assert np.max(np.abs(free - closed)) > 1e-3


def test_unsupported_k_is_a_clear_error(trained):
    out = trained / "runs" / "export" / "poly"
    meta = read_metadata(out)
    if meta["symbolic_k"]:
        with pytest.raises(ExportError, match=r"K=3.*any K >= 4"):
            load_onnx_closure(out, 3)
    else:
        with pytest.raises(ExportError, match=r"K=48.*K = 12, 20"):
            load_onnx_closure(out, 48)


def test_simulator_runs_without_jax(trained):
    out = trained / "runs" / "export" / "mlp"
    x0 = _x0(KS[1], seed=3)
    code = ("import sys, json, numpy as np\n"
            "from pipelines.export import load_onnx_closure, simulate\n"
            f"x0 = np.array({x0.tolist()!r}, np.float32)\n"
            f"xs = simulate(x0, load_onnx_closure({str(out)!r}, {KS[1]}), dt={DT}, n_steps=100, forcing={F})\n"
            "assert not [m for m in sys.modules if m == 'jax' or m.startswith('jax.')], 'jax was imported'\n"
            "print(json.dumps(xs[-1].tolist()))\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    model, _ = closures.load_closure(trained / "runs" / "closures" / "mlp" / "closure.eqx")
    want = np.asarray(simulate_coarse(jnp.asarray(x0), model, dt=DT, n_steps=100, forcing=F))[-1]
    assert np.max(np.abs(np.array(json.loads(proc.stdout)) - want)) < 1e-4


def test_onnx_file_from_another_export_is_refused(trained, tmp_path):
    src, other = trained / "runs" / "export" / "mlp", trained / "runs" / "export" / "poly"
    meta = read_metadata(src)
    for f in src.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    art = meta["artifacts"][0]
    other_art = read_metadata(other)["artifacts"][0]
    (tmp_path / art["onnx"]).write_bytes((other / other_art["onnx"]).read_bytes())
    with pytest.raises(ExportError, match="another export"):
        load_onnx_closure(tmp_path, KS[0])


def test_failed_check_raises_and_writes_nothing(tmp_path):
    x, y = _data()
    model = closures.PolyClosure.from_data(x, y)
    out = tmp_path / "poly"
    # float32 NumPy and XLA round differently, so a tolerance below rounding must fail the check
    with pytest.raises(ExportError, match=r"failed its check.*nothing written"):
        export_closure(model, TRAIN_META, out, name="poly", options=ExportOptions(ks=(12,), tol=1e-12))
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_closure_trained_for_another_coarse_model_is_a_config_error(tmp_path):
    x, y = _data()
    closures.save_closure(tmp_path / "runs" / "closures" / "poly" / "closure.eqx",
                          closures.PolyClosure.from_data(x, y), {"config": {"dt": 0.01}, "data_hash": "x"})
    ctx = StageContext(profile="quick", scheduler=None, out=None, repo_root=tmp_path)
    with pytest.raises(ConfigError, match=r"trained with dt=0.01.*dt=0.005"):
        export_stage.run(export_stage.ExportConfig(ks=(12,), dt=0.005), ctx)
    with pytest.raises(ConfigError, match="data_hash"):
        export_stage.run(export_stage.ExportConfig(ks=(12,), data_hash="y"), ctx)
    closures.save_closure(tmp_path / "runs" / "closures" / "poly" / "closure.eqx",
                          closures.PolyClosure.from_data(x, y), {"config": {}, "F": 18.0, "dt_coarse": 0.005})
    with pytest.raises(ConfigError, match=r"trained with F=18.0.*forcing=10.0"):
        export_stage.run(export_stage.ExportConfig(ks=(12,)), ctx)
    assert not (tmp_path / "runs" / "export").exists()


@pytest.fixture(scope="module")
def ring_fno():
    fno = FNO(1, 1, (4,), 8, 2, padding=0, append_grid=False, projection_hidden=8, key=jax.random.PRNGKey(1))
    return RingFNO(fno)


@pytest.mark.parametrize("k", [6, 7, 12, 33])
def test_symbolic_dft_form_equals_the_fft_form(ring_fno, k):
    x = jnp.asarray(_x0(k, seed=k), jnp.float32)
    want = ring_fno(x)
    got = with_form(ring_fno, SymbolicDFT())(x)
    np.testing.assert_allclose(got, want, rtol=0, atol=2e-6)


def test_symbolic_k_export_runs_at_sizes_it_was_not_checked_at(ring_fno, tmp_path):
    meta = export_closure(ring_fno, TRAIN_META, tmp_path / "fno", name="fno", options=ExportOptions(ks=(12,)))
    assert meta["symbolic_k"] and meta["inputs"][0]["shape"] == ["K"] and meta["min_k"] == 6
    assert (tmp_path / "fno" / "closure.onnx").is_file() and (tmp_path / "fno" / "closure.jaxexport").is_file()
    call = load_jax_export((tmp_path / "fno" / "closure.jaxexport").read_bytes())
    for k in (6, 40):
        x0 = _x0(k, seed=k)
        onnx_model = (tmp_path / "fno" / "closure.onnx").read_bytes()
        assert export_parity(ring_fno, x0, 100, DT, F, onnx_model=onnx_model) < 1e-4
        closure = load_onnx_closure(tmp_path / "fno", k)
        np.testing.assert_allclose(closure(x0), ring_fno(jnp.asarray(x0)), rtol=0, atol=1e-6)
        np.testing.assert_allclose(call(jnp.asarray(x0)), ring_fno(jnp.asarray(x0)), rtol=0, atol=1e-6)
    with pytest.raises(ExportError, match=r"K=5.*any K >= 6"):
        load_onnx_closure(tmp_path / "fno", 5)


def test_cli_runs_the_stage_from_its_toml_config(trained, tmp_path, capsys):
    from pipelines import registry
    from pipelines.cli import main

    registry.register(export_stage.STAGE)
    closures_dir = str(trained / "runs" / "closures")
    args = ["export", "--out", str(tmp_path), "--set", f"closure_dir={closures_dir}", "--set", "closures=poly",
            "--set", "ks=[12]"]
    assert main(args) == 0
    assert read_metadata(tmp_path / "poly")["options"]["ks"] == [12]
    assert main([*args, "--set", "dt=0.01"]) == 2
    err = capsys.readouterr().err.strip()
    assert "dt=0.01" in err and "\n" not in err
