"""Training: a tiny run reduces the loss, resume equals an uninterrupted run, divergence and bad input are clear
errors; evaluation reports a diverging free run with its step."""

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sciml import plrnn
from sciml.plrnn import AdaptiveGTF, BPTT, FitConfig, Identity, PLRNNModel, ShallowPLRNN


@pytest.fixture(scope="module")
def series():
    """A noisy 2-d limit cycle, 400 points (standardised units)."""
    t = np.arange(400) * 0.1
    x = np.stack([np.sin(t), np.cos(1.0 * t)], axis=1) * 1.4
    return (x + 0.02 * np.random.default_rng(0).normal(size=x.shape)).astype(np.float32)


CFG = FitConfig(latent=3, hidden=8, forcing=AdaptiveGTF(every=2, decay=0.9), seq_len=12, batch_size=4, epochs=4,
                batches_per_epoch=25, lr=1e-2, lr_end=2e-3, checkpoint_every=2, log_every=2)


@pytest.fixture(scope="module")
def uninterrupted(series):
    return plrnn.fit(series, CFG, jax.random.key(0))


def test_tiny_training_reduces_the_loss(series, uninterrupted):
    model, history = uninterrupted
    assert history.epoch == (1, 2, 3, 4)
    # the forced loss depends on alpha, which aGTF changes: compare at one fixed alpha on all windows
    windows = jnp.asarray(np.stack([series[i:i + 13] for i in range(0, 388, 3)]))
    alphas = plrnn.GTF(0.5).alphas(12, 0.5)
    before = plrnn.init_model(CFG, 2, jax.random.split(jax.random.key(0))[0])
    loss = jax.jit(plrnn.sequence_loss)
    assert float(loss(model, windows, alphas)) < 0.7 * float(loss(before, windows, alphas))
    assert all(0.0 <= a <= 1.0 for a in history.alpha)
    assert history.steps_per_second > 0 and history.compile_seconds > 0
    ds = history.to_dataset()
    assert ds["loss"].attrs["units"] == "1" and ds["seconds"].attrs["units"] == "s"


def test_resume_equals_uninterrupted_run(series, uninterrupted, tmp_path):
    class Stop(Exception):
        pass

    def stop_at_2(epoch, model, history):
        if epoch == 2:
            raise Stop

    with pytest.raises(Stop):
        plrnn.fit(series, CFG, jax.random.key(0), checkpoint_dir=tmp_path, callback=stop_at_2)
    model, history = plrnn.fit(series, CFG, jax.random.key(0), checkpoint_dir=tmp_path)
    ref_model, ref_history = uninterrupted
    assert history.epoch == (1, 2, 3, 4)
    np.testing.assert_allclose(history.loss, ref_history.loss, rtol=1e-5)
    for a, b in zip(jax.tree.leaves(model), jax.tree.leaves(ref_model)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    loaded, meta = plrnn.load(tmp_path / "checkpoint.eqx")
    for a, b in zip(jax.tree.leaves(loaded), jax.tree.leaves(model)):
        np.testing.assert_array_equal(a, b)
    assert meta["config"]["forcing"]["kind"] == "agtf"
    with pytest.raises(ValueError, match="cannot resume .* another seq_len"):
        plrnn.fit(series, dataclasses.replace(CFG, seq_len=10), jax.random.key(0), checkpoint_dir=tmp_path)


def test_divergence_raises_with_last_good_model(series):
    cfg = dataclasses.replace(CFG, forcing=BPTT(), lr=1e4, lr_end=1e4, latent_reg=0.0, clipped=False, epochs=3,
                              log_every=0)
    with pytest.raises(plrnn.TrainingDivergedError, match=r"training diverged in epoch \d+ \(step \d+\)") as info:
        plrnn.fit(series, cfg, jax.random.key(1))
    err = info.value
    assert err.epoch >= 0 and err.step is not None
    assert all(bool(jnp.all(jnp.isfinite(leaf))) for leaf in jax.tree.leaves(err.model))


def test_bad_input_is_a_one_line_error(series):
    with pytest.raises(plrnn.SeriesTooShortError, match="too few for sequences of seq_len=12"):
        plrnn.fit(series[:10], CFG, jax.random.key(0))
    bad = series.copy()
    bad[7, 1] = np.nan
    with pytest.raises(plrnn.NonFiniteDataError, match="time index 7"):
        plrnn.fit(bad, CFG, jax.random.key(0))
    with pytest.raises(ValueError, match="identity observation model needs latent >= 2"):
        plrnn.fit(series, dataclasses.replace(CFG, latent=1), jax.random.key(0))
    with pytest.raises(ValueError, match="FitConfig.epochs must be a positive integer"):
        FitConfig(epochs=0)
    with pytest.raises(ValueError, match="FitConfig.forcing must be one of"):
        FitConfig(forcing="agtf")


def _tent_model(slope=1.9):
    m = ShallowPLRNN(1, 1, clipped=False, key=jax.random.key(0))
    f32 = lambda v: jnp.asarray(v, jnp.float32)  # noqa: E731
    m = eqx.tree_at(lambda m: (m.A, m.W1, m.W2, m.h1, m.h2), m,
                    (f32([slope]), f32([[-2 * slope]]), f32([[1.0]]), f32([0.0]), f32([-0.5])))
    return PLRNNModel(m, Identity(1, 1, key=jax.random.key(0)))


def test_evaluate_matches_direct_metrics():
    from chaos import metrics

    model = _tent_model()
    z, test = 0.3141, []
    for _ in range(4000):
        test.append(z)
        z = 1.9 * min(z, 1 - z)
    test = np.asarray(test)[:, None]
    out = plrnn.evaluate(model, test, lyapunov_steps=2000)
    assert out["status"] == "ok" and out["diverged_at"] is None and out["n_generated"] == 5000
    gen = plrnn.generate(model, test[0], 5000)[1000:]
    assert out["d_stsp"] == pytest.approx(metrics.state_space_divergence(test, gen, n_bins=30), rel=1e-6)
    assert out["d_h"] == pytest.approx(metrics.power_spectrum_distance(test, gen, sigma=20.0), rel=1e-6)
    assert out["d_stsp"] < 0.5  # the same map from another start: the same invariant density
    assert out["lyapunov"] == pytest.approx(np.log(1.9), rel=1e-3)


def test_evaluate_reports_a_diverging_generation():
    model = _tent_model()
    model = eqx.tree_at(lambda m: (m.dynamics.A, m.dynamics.W1), model,
                        (jnp.asarray([1.5], jnp.float32), jnp.zeros((1, 1), jnp.float32)))  # z_t = 1.5^t z_0
    test = np.linspace(0.5, 1.0, 400)[:, None]
    out = plrnn.evaluate(model, test)
    # limit 100 * max|test| = 100: first t with 0.5 * 1.5^t > 100 is t = 14
    assert out["status"] == "diverged" and out["diverged_at"] == 14
    assert np.isnan(out["d_stsp"]) and np.isnan(out["d_h"])


def test_affine_observation_and_stf_train(series):
    cfg = dataclasses.replace(CFG, observation="affine", use_bias=True, forcing=plrnn.STF(4), epochs=1, log_every=0)
    model, history = plrnn.fit(series, cfg, jax.random.key(2))
    assert isinstance(model.observation, plrnn.Affine) and np.isfinite(history.loss[0])
    assert history.alpha == (0.0,)


def test_database_series(tmp_path):
    import xarray as xr

    from pipelines import contract

    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 50, 2)) * [2.0, 5.0] + [1.0, -3.0]
    attrs = lambda name: {"units": "1", "long_name": name}  # noqa: E731
    ds = xr.Dataset({"x": (("ic", "time", "dim"), x, attrs("state")),
                     "valid": ("ic", np.array([True, True, False]), attrs("valid"))},
                    coords={"ic": ("ic", np.arange(3), attrs("ic")), "time": ("time", 0.02 * np.arange(50), attrs("t")),
                            "dim": ("dim", np.arange(2), attrs("dim"))})
    tree = contract.with_provenance(xr.DataTree.from_dict({"Toy": ds}), generator="test", config={}, seed=0)
    path = contract.write_netcdf(tree, tmp_path / "db.nc")
    train, test, dt = plrnn.database_series(path, "Toy", train_ic=1, test_ic=0)
    np.testing.assert_allclose(train.mean(0), 0.0, atol=1e-5)
    np.testing.assert_allclose(train.std(0), 1.0, rtol=1e-5)
    np.testing.assert_allclose(test, (x[0] - x[1].mean(0)) / x[1].std(0), rtol=1e-5, atol=1e-5)
    assert dt == pytest.approx(0.02)
    with pytest.raises(ValueError, match="test_ic=2: trajectory 2 of Toy .* failed"):
        plrnn.database_series(path, "Toy", test_ic=2)
    with pytest.raises(ValueError, match="system 'Lorenz' is not in"):
        plrnn.database_series(path, "Lorenz")


def test_fit_ensemble_equals_one_fit_per_seed(series, uninterrupted):
    """Seeds trained side by side (vmapped) follow the runs fit() makes seed by seed."""
    keys = jnp.stack([jax.random.key(0), jax.random.key(1)])
    models, info = plrnn.fit_ensemble(series, CFG, keys)
    single, history = uninterrupted
    np.testing.assert_allclose(info["loss"][0], history.loss, rtol=2e-4)
    for a, b in zip(jax.tree.leaves(eqx.filter(models[0], eqx.is_inexact_array)),
                    jax.tree.leaves(eqx.filter(single, eqx.is_inexact_array))):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-3, atol=1e-5)
    _, history1 = plrnn.fit(series, CFG, jax.random.key(1))
    np.testing.assert_allclose(info["loss"][1], history1.loss, rtol=2e-4)
    assert info["diverged_epoch"] == [None, None]
