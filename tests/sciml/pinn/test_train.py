"""The generic trainer: losses fall, chunks resume from checkpoints exactly, NaNs stop the run
with the last good state, gradient-norm balancing and L-BFGS run; L-BFGS in chunks is optax's
L-BFGS, resumes from its checkpoint, stops on a flat loss and refuses a non-finite step."""

import dataclasses
import time

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from pdes import problems
from sciml.pinn import (CausalConfig, EulerianPinn, LossConfig, NetworkConfig, SamplerConfig, TrainConfig, Trainer,
                        build_network, build_sampler)
from sciml.pinn.train import divergence_at

NET = NetworkConfig(width=8, depth=2)


def _trainer(sampler="r3", causal=None, loss=LossConfig(n_ic=16, n_bc=8), **train):
    p = problems.get("convection")
    params = p.resolve_params({"beta": 2.0})
    model = build_network(NET, p, params, key=jax.random.key(0))
    form = EulerianPinn.build(p, params, NET, loss)
    s = build_sampler(sampler, SamplerConfig(n_points=32), p.x_domain, p.t_domain)
    return Trainer(model, form, s, loss, TrainConfig(**{"steps": 40, "chunk": 20, "lr": 1e-2, **train}), causal)


def test_loss_falls_and_history_is_per_step():
    result = _trainer(causal=CausalConfig(n_chunks=4)).fit(jax.random.key(1))
    h = result.history
    assert result.status == "ok" and len(h["loss"]) == 40
    np.testing.assert_array_equal(h["step"], np.arange(40))
    assert h["loss"][-5:].mean() < h["loss"][:5].mean()
    assert {"loss_res", "loss_ic", "loss_bc", "eps", "min_causal_weight", "gate_beta"} <= set(h)


def test_resume_from_a_checkpoint_gives_the_same_result(tmp_path):
    straight = _trainer().fit(jax.random.key(2))
    _trainer(steps=20).fit(jax.random.key(2), checkpoint=tmp_path / "ckpt")
    resumed = _trainer().fit(jax.random.key(2), checkpoint=tmp_path / "ckpt")
    assert len(resumed.history["loss"]) == 40
    for a, b in zip(jax.tree_util.tree_leaves(straight.state.params), jax.tree_util.tree_leaves(resumed.state.params)):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_divergence_stops_and_keeps_the_last_good_state():
    trainer = _trainer(lr=1e30, steps=60, chunk=20, divergence_factor=10.0)
    result = trainer.fit(jax.random.key(3))
    assert result.status == "diverged"
    assert "diverged at step" in result.message and "kept the last good state" in result.message
    leaves = jax.tree_util.tree_leaves(result.state.params)
    assert all(np.isfinite(np.asarray(v)).all() for v in leaves)
    assert int(result.state.step) % 20 == 0


def test_a_transient_spike_far_below_the_start_is_not_divergence():
    # the LPINN on convection, beta = 50 (seed 0): best 2.2e-8, a chunk ending on a spike to
    # 0.253 from which Adam recovers, against 3.1e3 at the first step
    assert divergence_at(np.array([3e-8, 1e-3, 0.253]), 2.2e-8, 3092.8, 1e6) is None
    assert divergence_at(np.array([1e-8, 5e3]), 2.2e-8, 3092.8, 1e6) == 1  # above where it began
    assert divergence_at(np.array([1e-8, np.nan, 1.0]), 2.2e-8, 3092.8, 1e6) == 1  # the first non-finite
    assert divergence_at(np.array([5.0, 2.0]), 1e-6, 3.0, 1e6) is None  # ends below the start


def test_grad_norm_balancing_and_lbfgs():
    loss = LossConfig(n_ic=16, n_bc=8, balancing="grad_norm", balance_every=10)
    result = _trainer(loss=loss, steps=20, lbfgs_steps=5).fit(jax.random.key(4))
    w = result.history["weight_ic"]
    assert w[0] == 100.0 and w[-1] != 100.0
    assert "L-BFGS" in result.message and result.status == "ok"


def test_staircase_schedule_steps_like_steplr():
    result = _trainer(steps=8, chunk=4, lr=1e-2, decay_rate=0.5, decay_steps=3, staircase=True).fit(jax.random.key(5))
    np.testing.assert_allclose(result.history["lr"], 1e-2 * 0.5 ** (np.arange(8) // 3), rtol=1e-6)
    smooth = _trainer(steps=8, chunk=4, lr=1e-2, decay_rate=0.5, decay_steps=3).fit(jax.random.key(5))
    np.testing.assert_allclose(smooth.history["lr"], 1e-2 * 0.5 ** (np.arange(8) / 3), rtol=1e-6)


def test_stop_when_ends_training_at_a_chunk_boundary_without_lbfgs():
    asked = []

    def stop_when(model, step):
        asked.append(step)
        return step >= 40

    result = _trainer(steps=100, chunk=20, lbfgs_steps=3).fit(jax.random.key(6), stop_when=stop_when)
    assert asked == [20, 40] and int(result.state.step) == 40 and len(result.history["loss"]) == 40
    assert result.status == "ok" and "stopped at step 40" in result.message and "L-BFGS" not in result.message
    assert len(result.chunk_seconds) == 2 and all(s > 0 for s in result.chunk_seconds)


def test_a_deadline_stops_after_the_chunk_that_passes_it_and_resume_goes_on(tmp_path):
    cut = _trainer(lbfgs_steps=3).fit(jax.random.key(6), checkpoint=tmp_path / "ckpt", deadline=time.monotonic())
    assert cut.status == "incomplete" and len(cut.history["loss"]) == 20
    assert cut.message == "stopped at step 20 of 40: time limit"  # no L-BFGS on a cut run
    resumed = _trainer().fit(jax.random.key(6), checkpoint=tmp_path / "ckpt", deadline=time.monotonic() + 3600)
    assert len(resumed.history["loss"]) == 40 and resumed.message == "trained 40 steps" and resumed.status == "ok"


def _same_params(a, b):
    for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b), strict=True):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-6, atol=1e-7)


def test_lbfgs_in_chunks_is_optax_lbfgs_in_one_loop():
    trainer = _trainer(steps=20, lbfgs_steps=12, lbfgs_chunk=5)
    result = trainer.fit(jax.random.key(4))
    adam = _trainer(steps=20).fit(jax.random.key(4)).state
    # the plain optax recipe, one lax.scan, from the same Adam state
    value = lambda p: trainer.loss(p, adam)[0]  # noqa: E731
    opt, value_and_grad = optax.lbfgs(), optax.value_and_grad_from_state(value)

    def body(carry, _):
        params, st = carry
        v, g = value_and_grad(params, state=st)
        upd, st = opt.update(g, st, params, value=v, grad=g, value_fn=value)
        return (optax.apply_updates(params, upd), st), v

    (params, _), before = jax.lax.scan(body, (adam.params, opt.init(adam.params)), None, length=12)
    _same_params(result.state.params, params)
    # ours records the loss after each iteration, the recipe the loss before it
    np.testing.assert_allclose(result.lbfgs_loss[:-1], np.asarray(before)[1:], rtol=1e-6)
    assert len(result.lbfgs_loss) == 12 and result.lbfgs_linesearch_steps.min() >= 1
    assert result.status == "ok" and "then 12 L-BFGS iterations (final loss" in result.message


def test_lbfgs_cut_by_the_deadline_resumes_from_its_checkpoint_and_a_new_adam_state_drops_it(tmp_path):
    make = lambda **kw: _trainer(**{"steps": 20, "lbfgs_steps": 12, "lbfgs_chunk": 5, **kw})  # noqa: E731
    straight = make().fit(jax.random.key(7))
    cut = make().fit(jax.random.key(7), checkpoint=tmp_path / "ckpt", deadline=time.monotonic())
    assert cut.status == "incomplete" and len(cut.lbfgs_loss) == 5
    assert cut.message.endswith("then L-BFGS stopped at iteration 5 of 12: time limit"
                                f" (final loss {cut.lbfgs_loss[-1]:.3e}, {cut.lbfgs_linesearch_steps.sum()}"
                                " line-search steps)")
    logs = []
    resumed = make().fit(jax.random.key(7), checkpoint=tmp_path / "ckpt", log=logs.append)
    assert resumed.status == "ok" and any("resumed L-BFGS" in m and "iteration 5" in m for m in logs)
    np.testing.assert_allclose(resumed.lbfgs_loss, straight.lbfgs_loss, rtol=1e-6)
    _same_params(resumed.state.params, straight.state.params)
    # more Adam steps from the same checkpoint: the L-BFGS phase of the old state is not resumed
    make(steps=20).fit(jax.random.key(7), checkpoint=tmp_path / "again", deadline=time.monotonic())
    logs.clear()
    longer = make(steps=40).fit(jax.random.key(7), checkpoint=tmp_path / "again", log=logs.append)
    assert not any("resumed L-BFGS" in m for m in logs) and len(longer.lbfgs_loss) == 12


def test_lbfgs_stops_once_an_iteration_changes_the_loss_by_at_most_tol():
    tol = 2e-3
    result = _trainer(steps=20, lbfgs_steps=50, lbfgs_tol=tol).fit(jax.random.key(4))
    loss = result.lbfgs_loss
    change = np.abs(np.diff(loss)) / np.maximum(np.abs(loss[:-1]), np.abs(loss[1:]))
    assert 2 <= len(loss) < 50 and change[-1] <= tol and (change[:-1] > tol).all()
    assert f"{len(loss)} L-BFGS iterations, stopped early: the loss changed by at most 0.002 of itself" in (
        result.message)


def test_lbfgs_takes_no_non_finite_step():
    trainer = _trainer(steps=20)
    state = trainer.fit(jax.random.key(4)).state
    bad = eqx.tree_at(lambda s: s.weights, state, {k: jnp.asarray(jnp.nan, v.dtype) for k, v in state.weights.items()})
    out = trainer.lbfgs(bad, 10)
    assert out.message.startswith("L-BFGS stopped at iteration 1 of 10: non-finite loss; kept iteration 0")
    assert len(out.loss) == 0 and not out.incomplete
    _same_params(out.state.params, state.params)


def test_a_causal_runs_lbfgs_minimises_the_loss_with_every_time_chunk_weighted_1():
    trainer = _trainer(causal=CausalConfig(n_chunks=4), steps=20, lbfgs_steps=5)
    result = trainer.fit(jax.random.key(8))
    state = result.state
    plain, (plain_parts, _) = trainer.loss(state.params, state, jnp.ones(4))
    _, (causal_parts, _) = trainer.loss(state.params, state)
    np.testing.assert_allclose(result.lbfgs_loss[-1], float(plain), rtol=1e-5)
    # the causal weights are not all 1 here: the residual losses differ
    assert abs(causal_parts["res"] - plain_parts["res"]) > 0.1 * plain_parts["res"]
