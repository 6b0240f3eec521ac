"""Trainer, checkpoints, losses, normalisers: loss decreases, resume is exact, bad data and divergence fail clearly."""

import dataclasses
import json

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sciml import operators
from sciml.operators import FNO, Normalized, Scope, TrainConfig, UnitGaussian
from sciml.operators.checkpoint import CheckpointError

KEY = jax.random.PRNGKey(0)


def _data(n, size=32, seed=0):
    """Smooth periodic inputs and a smooth nonlinear map of them: (n, 1, size) float32."""
    rng = np.random.default_rng(seed)
    x = np.arange(size) / size
    k = np.arange(1, 5)[:, None]
    a = rng.normal(size=(n, 4)) / k.T
    u = a @ np.sin(2 * np.pi * k * x)
    return u[:, None].astype(np.float32), (np.sin(u) + 0.5 * np.roll(u, 3, axis=-1))[:, None].astype(np.float32)


def _model():
    return FNO(1, 1, (6,), width=8, n_layers=2, projection_hidden=16, key=KEY)


CFG = TrainConfig(epochs=6, batch_size=8, lr=1e-2, weight_decay=1e-4, schedule=operators.StepDecay(every=2, gamma=0.5))
X, Y = _data(48)
XT, YT = _data(16, seed=1)


def _leaves(model):
    return [np.asarray(leaf) for leaf in jax.tree.leaves(eqx.filter(model, eqx.is_array))]


def test_loss_decreases_and_history_is_complete():
    model, history = operators.train(_model(), X, Y, XT, YT, CFG)
    assert history.epoch == (1, 2, 3, 4, 5, 6)
    assert history.train_loss[-1] < 0.5 * history.train_loss[0], history.train_loss
    assert history.test_loss[-1] < history.test_loss[0]
    assert history.compile_seconds > 0 and all(s > 0 for s in history.seconds)
    ds = history.to_dataset()
    assert ds.seconds.attrs["units"] == "s" and ds.sizes["epoch"] == 6


def test_resume_from_checkpoint_equals_an_uninterrupted_run(tmp_path):
    full, full_history = operators.train(_model(), X, Y, XT, YT, CFG, checkpoint_dir=tmp_path / "full")
    cfg_half = dataclasses.replace(CFG, epochs=4, checkpoint_every=2)
    operators.train(_model(), X, Y, XT, YT, cfg_half, checkpoint_dir=tmp_path / "split")  # "interrupted" after 4
    assert operators.load(tmp_path / "split" / "checkpoint.eqx").epoch == 4
    resumed, history = operators.train(_model(), X, Y, XT, YT, CFG, checkpoint_dir=tmp_path / "split")
    for a, b in zip(_leaves(full), _leaves(resumed), strict=True):
        np.testing.assert_array_equal(a, b)
    assert history.epoch == full_history.epoch
    np.testing.assert_array_equal(history.test_loss, full_history.test_loss)
    # The stored file rebuilds the model from the registry, without the script that made it.
    reloaded = operators.load(tmp_path / "split" / "checkpoint.eqx")
    assert reloaded.name == "fno" and reloaded.epoch == 6 and reloaded.meta["config"]["batch_size"] == 8
    np.testing.assert_array_equal(reloaded.model(jnp.asarray(XT[0])), resumed(jnp.asarray(XT[0])))
    with pytest.raises(ValueError, match=r"cannot resume .*TrainConfig differs in lr"):
        operators.train(_model(), X, Y, XT, YT, dataclasses.replace(CFG, lr=3e-3), checkpoint_dir=tmp_path / "split")


def test_nan_in_data_names_the_sample():
    bad = X.copy()
    bad[17, 0, 5] = np.nan
    with pytest.raises(operators.NonFiniteDataError, match="x_train has NaN or infinite values in sample 17"):
        operators.train(_model(), bad, Y, XT, YT, CFG)
    bad_test = YT.copy()
    bad_test[[3, 9]] = np.inf
    with pytest.raises(operators.NonFiniteDataError, match=r"y_test .* sample 3 and 1 more"):
        operators.train(_model(), X, Y, XT, bad_test, CFG)


def test_divergence_stops_with_a_clear_error_and_keeps_the_last_good_checkpoint(tmp_path):
    def nan_once_low(pred, target, mask):  # a loss that turns NaN once training gets below 0.6
        value = operators.rel_l2(pred, target, mask)
        return jnp.where(value < 0.6, jnp.nan, value)

    cfg = dataclasses.replace(CFG, epochs=40, checkpoint_every=1, lr=1e-2)
    with pytest.raises(operators.TrainingDivergedError, match=r"diverged in epoch (\d+): non-finite loss") as info:
        operators.train(_model(), X, Y, XT, YT, cfg, loss=nan_once_low, checkpoint_dir=tmp_path)
    err = info.value
    assert "first at step" in str(err) and f"checkpoint at epoch {err.epoch} is kept" in str(err)
    stored = operators.load(tmp_path / "checkpoint.eqx")
    assert stored.epoch == err.epoch
    for a, b in zip(_leaves(stored.model), _leaves(err.model), strict=True):
        np.testing.assert_array_equal(a, b)
        assert np.all(np.isfinite(a))


def test_rel_l2_and_mask():
    pred = jnp.asarray([[1.0, 2.0, 10.0], [0.0, 0.0, 0.0]])
    target = jnp.asarray([[1.0, 1.0, 0.0], [2.0, 0.0, 0.0]])
    np.testing.assert_allclose(operators.rel_l2_per_sample(pred, target), [np.sqrt(101 / 2), 1.0], rtol=1e-6)
    mask = jnp.asarray([1.0, 1.0, 0.0])  # the third point is padding
    np.testing.assert_allclose(operators.rel_l2(pred, target, mask), (np.sqrt(1 / 2) + 1.0) / 2, rtol=1e-6)
    grad = jax.grad(lambda p: operators.rel_l2(p, target))(target)  # exact prediction: finite gradient
    assert np.all(np.isfinite(grad))


@pytest.mark.parametrize("scope", [Scope.CHANNEL, Scope.POINTWISE])
def test_normaliser_round_trip(scope):
    rng = np.random.default_rng(0)
    data = (rng.normal(size=(50, 2, 16)) * np.array([3.0, 0.1])[:, None] + np.array([5.0, -1.0])[:, None])
    norm = UnitGaussian.fit(data.astype(np.float32), scope=scope)
    assert norm.mean.shape == ((2, 1) if scope is Scope.CHANNEL else (2, 16))
    encoded = jax.vmap(norm.encode)(jnp.asarray(data, jnp.float32))
    np.testing.assert_allclose(np.mean(np.asarray(encoded), axis=(0, 2)), 0.0, atol=1e-5)
    np.testing.assert_allclose(np.std(np.asarray(encoded), axis=(0, 2)), 1.0, atol=1e-3)
    np.testing.assert_allclose(jax.vmap(norm.decode)(encoded), data, rtol=1e-5, atol=1e-5)
    if scope is Scope.POINTWISE:
        with pytest.raises(ValueError, match=r"pointwise\) fitted for samples like \(2, 16\) cannot apply to \(2, 32"):
            norm.encode(jnp.ones((2, 32)))


def test_normalized_model_trains_without_moving_its_statistics_and_reloads(tmp_path):
    x_norm, y_norm = UnitGaussian.fit(X), UnitGaussian.fit(Y, scope="pointwise")
    model = Normalized(_model(), x_norm, y_norm)
    trained, history = operators.train(model, X, Y, XT, YT, dataclasses.replace(CFG, epochs=2))
    np.testing.assert_array_equal(trained.x_norm.mean, x_norm.mean)  # no gradient, no weight decay
    np.testing.assert_array_equal(trained.y_norm.std, y_norm.std)
    operators.save(tmp_path / "n.eqx", trained)
    loaded = operators.load(tmp_path / "n.eqx")
    assert loaded.name == "normalized" and loaded.hyperparameters["model"] == "fno"
    np.testing.assert_array_equal(loaded.model(jnp.asarray(XT[1])), trained(jnp.asarray(XT[1])))


def test_checkpoint_errors(tmp_path):
    (tmp_path / "junk.eqx").write_bytes(b"\x00\x01 not json\n")
    with pytest.raises(CheckpointError, match="is not a checkpoint"):
        operators.load(tmp_path / "junk.eqx")
    with pytest.raises(CheckpointError, match="no checkpoint file at"):
        operators.load(tmp_path / "missing.eqx")
    operators.save(tmp_path / "m.eqx", _model())
    with pytest.raises(CheckpointError, match="does not match the model"):
        operators.load(tmp_path / "m.eqx", like=FNO(1, 1, (4,), width=8, n_layers=2, projection_hidden=16, key=KEY))
    assert not list(tmp_path.glob(".*.tmp"))  # atomic writes leave no temporary files


def _torch_adam_with_l2(p, grads, lr, wd, b1=0.9, b2=0.999, eps=1e-8):
    """torch.optim.Adam(weight_decay=wd), written out: g = grad + wd p, then Adam on g (float64)."""
    m, v = np.zeros_like(p), np.zeros_like(p)
    for t, grad in enumerate(grads, start=1):
        g = grad(p) + wd * p
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        p = p - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    return p


def test_coupled_weight_decay_is_torch_adams_l2_and_differs_from_adamw():
    # f(p) = sum(c p^2) / 2 with very different curvatures: the L2 term goes through Adam's
    # normalisation (coupled) or around it (decoupled), so the two must part after a few steps.
    c = np.array([1e-4, 1e-2, 1.0, 30.0])
    p0 = np.array([1.0, -2.0, 0.5, 3.0])
    grad = lambda p: c * p  # noqa: E731
    lr, wd, n = 1e-2, 0.3, 25
    want = _torch_adam_with_l2(p0, [grad] * n, lr, wd)

    def run(mode):
        cfg = TrainConfig(epochs=1, lr=lr, weight_decay=wd, weight_decay_mode=mode, schedule=operators.Constant())
        opt = operators.make_optimizer(cfg, steps_per_epoch=n)
        p = jnp.asarray(p0, jnp.float32)
        state = opt.init(p)
        for _ in range(n):
            updates, state = opt.update(jnp.asarray(c, jnp.float32) * p, state, p)
            p = p + updates
        return np.asarray(p)

    coupled, decoupled = run("coupled"), run("decoupled")  # float32
    np.testing.assert_allclose(coupled, want, rtol=2e-5, atol=1e-6)
    assert np.abs(decoupled - want).max() > 1e-3  # AdamW is another optimiser


def _torch_plateau_lrs(epoch_losses, lr, factor, patience, rtol):
    """torch ReduceLROnPlateau(mode="min", threshold_mode="rel", cooldown=0), written out: the lr
    in effect after each epoch's ``step(loss)``."""
    best, bad, out = np.inf, 0, []
    for loss in epoch_losses:
        if loss < best * (1 - rtol):
            best, bad = loss, 0
        else:
            bad += 1
        if bad > patience:
            lr, bad = lr * factor, 0
        out.append(lr)
    return out


@pytest.mark.parametrize("patience", [0, 2])
def test_plateau_reduces_the_lr_when_torchs_reduce_lr_on_plateau_does(patience):
    # designed epoch losses: improvements, a stall, an improvement smaller than rtol, a new best
    epoch_losses = [1.0, 0.5, 0.5, 0.49999, 0.6, 0.4, 0.4, 0.41, 0.4, 0.3999999, 0.2, 0.2, 0.2, 0.2]
    steps, lr = 3, 1e-2
    want = _torch_plateau_lrs(epoch_losses, lr, 0.1, patience, 1e-4)
    cfg = TrainConfig(epochs=1, lr=lr, schedule=operators.Plateau(patience=patience, factor=0.1, rtol=1e-4))
    opt = operators.make_optimizer(cfg, steps_per_epoch=steps)
    p = jnp.zeros(3)
    state, got = opt.init(p), []
    for loss in epoch_losses:  # the epoch's mean is the loss: steps of loss +- 0.1 loss
        for value in (0.9 * loss, loss, 1.1 * loss):
            _, state = opt.update(jnp.ones(3), state, p, value=value)
        got.append(lr * operators.lr_scale(state))
    np.testing.assert_allclose(got, want, rtol=1e-6)
    assert want[-1] < lr  # the sequence does reduce
    assert operators.lr_scale(operators.make_optimizer(CFG, 3).init(p)) == 1.0  # other schedules: no scale


def test_a_plateau_run_resumes_exactly_with_its_reduced_lr(tmp_path):
    # rtol 0.5: only halving the loss in an epoch counts as progress, so the lr falls in this run
    cfg = dataclasses.replace(CFG, schedule=operators.Plateau(patience=0, factor=0.5, rtol=0.5))
    full, full_history = operators.train(_model(), X, Y, XT, YT, cfg, checkpoint_dir=tmp_path / "full")
    operators.train(_model(), X, Y, XT, YT, dataclasses.replace(cfg, epochs=3, checkpoint_every=3),
                    checkpoint_dir=tmp_path / "split")
    resumed, history = operators.train(_model(), X, Y, XT, YT, cfg, checkpoint_dir=tmp_path / "split")
    for a, b in zip(_leaves(full), _leaves(resumed), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(history.train_loss, full_history.train_loss)
    opt = operators.make_optimizer(cfg, steps_per_epoch=len(X) // cfg.batch_size)
    stored = operators.load(tmp_path / "split" / "checkpoint.eqx", like=_model(),
                            opt_state_like=opt.init(eqx.filter(_model(), eqx.is_inexact_array)))
    assert operators.lr_scale(stored.opt_state) < 1.0
    assert stored.meta["config"]["schedule"] == {"kind": "plateau", "patience": 0, "factor": 0.5, "rtol": 0.5}
    with pytest.raises(ValueError, match="Plateau.factor must be in \\(0, 1\\), got 1.5"):
        operators.Plateau(factor=1.5)


def test_a_checkpoint_resumes_only_with_its_weight_decay_mode(tmp_path):
    cfg = dataclasses.replace(CFG, epochs=2, checkpoint_every=1)
    operators.train(_model(), X, Y, XT, YT, cfg, checkpoint_dir=tmp_path)
    coupled = dataclasses.replace(cfg, epochs=3, weight_decay_mode="coupled")
    with pytest.raises(ValueError, match=r"TrainConfig differs in weight_decay_mode"):
        operators.train(_model(), X, Y, XT, YT, coupled, checkpoint_dir=tmp_path)
    # A checkpoint from before the setting existed trained with AdamW's decoupled decay, and resumes so.
    path = tmp_path / "checkpoint.eqx"
    header_line, rest = path.read_bytes().split(b"\n", 1)
    header = json.loads(header_line)
    del header["meta"]["config"]["weight_decay_mode"]
    path.write_bytes(json.dumps(header).encode() + b"\n" + rest)
    _, history = operators.train(_model(), X, Y, XT, YT, dataclasses.replace(cfg, epochs=3), checkpoint_dir=tmp_path)
    assert history.epoch == (1, 2, 3)


def test_config_errors():
    with pytest.raises(ValueError, match="TrainConfig.batch_size must be a positive integer, got 0"):
        TrainConfig(batch_size=0)
    with pytest.raises(ValueError, match="TrainConfig.weight_decay_mode must be one of decoupled, coupled, got 'l1'"):
        TrainConfig(weight_decay_mode="l1")
    with pytest.raises(ValueError, match="batch_size 100 exceeds the 48 training samples"):
        operators.train(_model(), X, Y, XT, YT, TrainConfig(epochs=1, batch_size=100))


def _dropout_model():
    return FNO(1, 1, (6,), width=8, n_layers=2, projection_hidden=16, dropout=0.2, dropout_layers=(0,), key=KEY)


def test_dropout_is_inverted_and_off_without_a_key():
    from sciml.operators.fno import dropout

    x = jnp.linspace(1.0, 2.0, 200_000)
    assert dropout(x, 0.3, None) is x
    y = np.asarray(dropout(x, 0.3, jax.random.key(3)))
    kept = y != 0
    assert abs(1 - kept.mean() - 0.3) < 0.005  # the rate
    np.testing.assert_allclose(y[kept], np.asarray(x)[kept] / 0.7, rtol=1e-6)  # survivors scaled: same mean
    model, plain = _dropout_model(), _model()
    x0 = jnp.asarray(X[0])
    np.testing.assert_array_equal(model(x0), plain(x0))  # same weights; no key, no dropout
    a, b = model(x0, key=jax.random.key(1)), model(x0, key=jax.random.key(2))
    assert not np.allclose(a, model(x0)) and not np.allclose(a, b)
    np.testing.assert_array_equal(a, model(x0, key=jax.random.key(1)))
    with pytest.raises(ValueError, match="dropout_layers"):
        FNO(1, 1, (6,), width=8, n_layers=2, dropout=0.1, dropout_layers=(2,), key=KEY)


def test_stochastic_training_resumes_exactly_and_tests_without_dropout(tmp_path):
    full, full_history = operators.train(_dropout_model(), X, Y, XT, YT, CFG, stochastic=True,
                                         checkpoint_dir=tmp_path / "full")
    plain, plain_history = operators.train(_dropout_model(), X, Y, XT, YT, CFG)  # the same model, masks never drawn
    assert full_history.train_loss != plain_history.train_loss
    # the test loss is the model's without dropout
    test = operators.rel_l2_per_sample(jax.vmap(full)(jnp.asarray(XT)), jnp.asarray(YT))
    np.testing.assert_allclose(full_history.test_loss[-1], float(jnp.mean(test)), rtol=1e-5)
    operators.train(_dropout_model(), X, Y, XT, YT, dataclasses.replace(CFG, epochs=4, checkpoint_every=2),
                    stochastic=True, checkpoint_dir=tmp_path / "split")
    resumed, history = operators.train(_dropout_model(), X, Y, XT, YT, CFG, stochastic=True,
                                       checkpoint_dir=tmp_path / "split")
    for a, b in zip(_leaves(full), _leaves(resumed), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(history.train_loss, full_history.train_loss)
    reloaded = operators.load(tmp_path / "split" / "checkpoint.eqx").model  # rebuilt with its dropout
    assert reloaded.dropout == 0.2 and reloaded.dropout_layers == (0,)
