"""Teacher forcing: limits of GTF, STF, the adaptive alpha on designed Jacobians, bounded gradients."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sciml import plrnn
from sciml.plrnn import (
    BPTT,
    GTF,
    STF,
    AdaptiveGTF,
    Identity,
    PLRNNModel,
    ShallowPLRNN,
    alpha_from_norm,
    forced_rollout,
    jacobian_norm_bound,
    sequence_loss,
    update_alpha,
)


def piecewise_linear_1d(a, b, *, kink=0.5):
    """A 1-d standard shPLRNN with slope ``a`` left of ``kink`` and ``b`` right of it:
    f(z) = a z + (b - a) relu(z - kink)."""
    m = ShallowPLRNN(1, 1, clipped=False, key=jax.random.key(0))
    f32 = lambda v: jnp.asarray(v, jnp.float32)  # noqa: E731
    return eqx.tree_at(lambda m: (m.A, m.W1, m.W2, m.h1, m.h2), m,
                       (f32([a]), f32([[b - a]]), f32([[1.0]]), f32([0.0]), f32([-kink])))


def tent(slope=1.9):
    """The tent map z -> slope * min(z, 1 - z) on [0, 1]: chaotic, |f'| = slope everywhere."""
    return PLRNNModel(piecewise_linear_1d(slope, -slope), Identity(1, 1, key=jax.random.key(0)))


@pytest.fixture(scope="module")
def model_and_data():
    model = PLRNNModel.build(3, 3, 16, key=jax.random.key(1))
    x = jax.random.normal(jax.random.key(2), (25, 3), jnp.float32)
    return model, x


def test_gtf_alpha_one_is_one_step_prediction_from_data(model_and_data):
    model, x = model_and_data
    zs = forced_rollout(model, x, jnp.ones((24,)))
    np.testing.assert_allclose(zs, jax.vmap(model.dynamics)(x[:-1]), rtol=1e-5, atol=1e-6)


def test_gtf_alpha_zero_is_free_run(model_and_data):
    model, x = model_and_data
    zs = forced_rollout(model, x, BPTT().alphas(24, 0.0))
    np.testing.assert_allclose(zs, model.dynamics.generate(x[0], 25)[1:], rtol=1e-4, atol=1e-5)


def test_gtf_mixes_prediction_and_data(model_and_data):
    model, x = model_and_data
    alpha = 0.3
    zs = forced_rollout(model, x, GTF(alpha).alphas(24, alpha))
    z, want = x[0], []
    for t in range(1, 25):
        pred = model.dynamics(z)
        want.append(pred)
        z = (1 - alpha) * pred + alpha * x[t]
    np.testing.assert_allclose(zs, jnp.stack(want), rtol=1e-5, atol=1e-6)


def test_stf_replaces_every_interval_steps(model_and_data):
    model, x = model_and_data
    tau = 4
    alphas = STF(tau).alphas(24, 0.0)
    assert np.flatnonzero(np.asarray(alphas)).tolist() == [3, 7, 11, 15, 19, 23]  # t = 4, 8, ..., 24
    zs = forced_rollout(model, x, alphas)
    z, want = x[0], []
    for t in range(1, 25):
        pred = model.dynamics(z)
        want.append(pred)
        z = x[t] if t % tau == 0 else pred
    np.testing.assert_allclose(zs, jnp.stack(want), rtol=1e-5, atol=1e-6)


def test_partial_forcing_leaves_unobserved_states_free():
    model = PLRNNModel.build(2, 4, 8, key=jax.random.key(3))
    x = jax.random.normal(jax.random.key(4), (6, 2), jnp.float32)
    zs = forced_rollout(model, x, jnp.ones((5,)))
    z = model.observation.init_state(x[0])
    for t in range(1, 6):
        pred = model.dynamics(z)
        np.testing.assert_allclose(zs[t - 1], pred, rtol=1e-5, atol=1e-6)
        z = pred.at[:2].set(x[t])


def test_alpha_estimators_on_designed_jacobians():
    # slope 0.5 left of the kink, 2 right of it: k of T states on the right
    dyn = piecewise_linear_1d(0.5, 2.0)
    z = jnp.asarray([[0.1, 0.9, 0.8, 0.2, 0.3], [0.1, 0.2, 0.3, 0.4, 0.6]], jnp.float32)[..., None]  # (B=2, T=5, 1)
    geo = [np.exp((2 * np.log(2) + 3 * np.log(0.5)) / 5), np.exp((np.log(2) + 4 * np.log(0.5)) / 5)]
    np.testing.assert_allclose(jacobian_norm_bound(dyn, z, "product_upper_bound"), max(geo), rtol=1e-5)
    np.testing.assert_allclose(jacobian_norm_bound(dyn, z, "batch_maximum"), 2.0, rtol=1e-6)
    np.testing.assert_allclose(jacobian_norm_bound(dyn, z, "arithmetic_mean"), (2 * 2 + 3 * 0.5) / 5, rtol=1e-5)
    np.testing.assert_allclose(jacobian_norm_bound(dyn, z, "jacobian_upper_bound"), 0.5 + 1.5, rtol=1e-6)
    np.testing.assert_allclose(plrnn.estimate_alpha(dyn, z, "batch_maximum"), 0.5, rtol=1e-6)
    # a linear 3-d model: J = diag(A), spectral norm max|A|
    lin = ShallowPLRNN(3, 4, key=jax.random.key(0))
    lin = eqx.tree_at(lambda m: (m.A, m.W1), lin, (jnp.asarray([0.5, -2.5, 1.0], jnp.float32),
                                                    jnp.zeros((3, 4), jnp.float32)))
    zs = jax.random.normal(jax.random.key(1), (3, 7, 3), jnp.float32)
    for est in plrnn.ESTIMATORS:
        np.testing.assert_allclose(plrnn.estimate_alpha(lin, zs, est), 1 - 1 / 2.5, rtol=1e-5)
    np.testing.assert_allclose(alpha_from_norm(jnp.asarray([0.0, 0.5, 1.0, 4.0])), [0.0, 0.0, 0.0, 0.75])


def test_alpha_update_rule():
    assert float(update_alpha(jnp.float32(0.2), jnp.float32(0.6), 0.999)) == pytest.approx(0.6)
    assert float(update_alpha(jnp.float32(0.6), jnp.float32(0.2), 0.9)) == pytest.approx(0.9 * 0.6 + 0.1 * 0.2)


def test_scheme_validation():
    with pytest.raises(ValueError, match="GTF alpha must lie in"):
        GTF(1.5)
    with pytest.raises(ValueError, match="estimator 'svd' is unknown"):
        AdaptiveGTF(estimator="svd")
    with pytest.raises(ValueError, match="STF interval"):
        STF(0)


def test_gtf_bounds_gradients_where_bptt_explodes():
    """On the tent map (|f'| = 1.9 everywhere) the BPTT gradient over 200 steps grows like 1.9^200 (overflows
    float32); GTF with alpha = 1 - 1/1.9 (the adaptive estimate) keeps it of order one."""
    model = tent(1.9)
    x = jax.random.uniform(jax.random.key(0), (4, 201, 1), jnp.float32, 0.05, 0.9)
    z_data = x[:, 1:]
    alpha = float(plrnn.estimate_alpha(model.dynamics, z_data, "product_upper_bound"))
    assert alpha == pytest.approx(1 - 1 / 1.9, rel=1e-5)

    def grad_norm(alphas):
        params, static = eqx.partition(model, eqx.is_inexact_array)
        g = jax.grad(lambda p: sequence_loss(eqx.combine(p, static), x, alphas))(params)
        return float(jnp.sqrt(sum(jnp.sum(leaf**2) for leaf in jax.tree.leaves(g))))

    bptt = grad_norm(BPTT().alphas(200, 0.0))
    gtf = grad_norm(GTF(alpha).alphas(200, alpha))
    assert not np.isfinite(bptt) or bptt > 1e30
    assert np.isfinite(gtf) and gtf < 1e3
    # the gradient over a short sequence is finite for both
    short = x[:, :11]
    params, static = eqx.partition(model, eqx.is_inexact_array)
    g = jax.grad(lambda p: sequence_loss(eqx.combine(p, static), short, jnp.zeros((10,))))(params)
    assert all(bool(jnp.all(jnp.isfinite(leaf))) for leaf in jax.tree.leaves(g))
