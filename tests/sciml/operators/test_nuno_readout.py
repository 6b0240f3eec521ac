"""NUNO's Fourier-series readout: equal to the inverse FFT at the grid nodes, the band-limited
function between them, each point read with its own leaf's weights, and the model end to end."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sciml.operators import experiment
from sciml.operators.nuno import decompose
from sciml.operators.nuno.kdtree import assign
from sciml.operators.nuno.readout import FourierReadout, fourier_series, group_by_leaf, truncated_rfft2

from .test_experiment import _mesh, _samples


@pytest.mark.parametrize("sizes, modes", [((12, 10), (4, 6)), ((9, 16), (3, 9))])  # incl. the Nyquist column
def test_series_at_the_grid_nodes_is_the_inverse_fft_of_the_kept_modes(sizes, modes):
    h = jax.random.normal(jax.random.key(0), (3, *sizes))
    coef = truncated_rfft2(h, modes)
    full = jnp.zeros((3, sizes[0], sizes[1] // 2 + 1), coef.dtype)
    full = full.at[:, :modes[0], :modes[1]].set(coef[:, :modes[0]])
    full = full.at[:, sizes[0] - modes[0]:, :modes[1]].set(coef[:, modes[0]:])
    expected = jnp.fft.irfft2(full, s=sizes)
    j = np.stack(np.meshgrid(np.arange(sizes[0]), np.arange(sizes[1]), indexing="ij"), -1).reshape(-1, 2)
    t = jnp.asarray(j / np.asarray(sizes), jnp.float32)
    got = fourier_series(coef, t, sizes)
    np.testing.assert_allclose(got, expected.reshape(3, -1), atol=1e-5)


def test_series_between_the_nodes_is_the_band_limited_function():
    # a trigonometric polynomial inside the kept band is read exactly anywhere, not interpolated
    n1, n2 = 16, 12
    f = lambda a, b: 1.0 + np.cos(2 * np.pi * (2 * a - b)) + 0.5 * np.sin(2 * np.pi * 3 * b)  # noqa: E731
    a, b = np.meshgrid(np.arange(n1) / n1, np.arange(n2) / n2, indexing="ij")
    coef = truncated_rfft2(jnp.asarray(f(a, b))[None], (4, 5))
    t = np.random.default_rng(0).uniform(0, 1, (50, 2))
    np.testing.assert_allclose(fourier_series(coef, jnp.asarray(t), (n1, n2))[0], f(t[:, 0], t[:, 1]), atol=1e-5)


def test_each_point_is_read_with_its_own_leafs_weights():
    pts, _ = _mesh(9, jitter=0.3)
    dec = decompose(pts, 3)
    points = np.concatenate([pts, pts[:5]])[None]  # padded by 5 copies
    mask = (np.arange(len(points[0])) < len(pts))[None]
    idx, pos, sizes = group_by_leaf(points, mask, dec)
    leaf = assign(pts, dec)
    assert sizes == tuple(np.bincount(leaf, minlength=3)) and idx.shape == (1, len(pts))  # one sample: no padding
    flat_leaf = np.repeat(np.arange(3), sizes)
    assert np.array_equal(flat_leaf[pos[0, :len(pts)]], leaf)  # every real point lands in its leaf's block
    assert np.array_equal(idx[0][pos[0, :len(pts)]], np.arange(len(pts)))  # ... at its own slot
    # two samples: each leaf's block as long as its larger count
    idx2, _, sizes2 = group_by_leaf(np.concatenate([points, points[:, ::-1]]), np.concatenate([mask, mask[:, ::-1]]), dec)
    assert sizes2 == sizes and idx2.shape == (2, len(pts))
    thin = np.concatenate([mask, mask & (np.arange(mask.shape[1]) % 2 == 0)])  # sample 2 drops half its points
    assert group_by_leaf(np.concatenate([points, points]), thin, dec)[2] == sizes

    readout = FourierReadout(2, 3, (3, 3), key=jax.random.key(1))
    h = jax.random.normal(jax.random.key(2), (3, 2, 10, 10))  # one image per leaf
    t = jnp.asarray(pts * 0.9, jnp.float32)
    got = readout(h, t[idx[0]], sizes)[:, pos[0, :len(pts)]]  # (out, P)
    # direct: every point read on every leaf's image, then its own leaf picked
    every = jnp.stack([readout(h[s:s + 1], t, (len(pts),)) for s in range(3)])  # (s, out, P): on each image
    direct = every[leaf, :, np.arange(len(pts))].T
    np.testing.assert_allclose(got, direct, rtol=1e-5, atol=1e-6)
    assert not np.allclose(every[0], every[1])  # the leaves' images do give different values


def test_only_the_trunk_projection_is_per_leaf():
    # the anchor's NU-FNO: n_sub leaves add (n_sub - 1) x the trunk's one linear projection (width 5), nothing else
    from sciml.operators.nuno.readout import NUNOFourier

    import equinox as eqx

    def count(n_sub):
        model = NUNOFourier(2, 1, n_sub, (3, 3), 5, 2, np.array([[0.0, 0.0], [1.0, 1.0]]), (0, 1), hidden=7,
                            key=jax.random.key(0))
        return sum(x.size for x in jax.tree_util.tree_leaves(eqx.filter(model, eqx.is_array)))

    assert count(6) - count(1) == 5 * 5 * (5 + 1)


def test_nuno_fourier_setup_trains_on_the_points():
    from sciml import operators

    import dataclasses

    base = _samples([_mesh(10, 0.3, s) for s in range(6)])
    samples = dataclasses.replace(base, y=np.tanh(2 * base.x) + base.points[..., 1:])  # learnable from x and the point
    spec = experiment.ModelSpec(width=6, modes=3, n_layers=2, n_subdomains=3, oversampling=2.0)
    setup = experiment.point_setup("nuno_fourier", samples, 4, spec, key=jax.random.key(0))
    grids, points, idx, pos = setup.x_train
    assert grids.shape[1] == 1 and pos.shape == points.shape[:2]
    assert idx.shape == (4, sum(setup.model.operator.leaf_sizes)) and len(setup.model.operator.leaf_sizes) == 3
    assert setup.info["n_subdomains"] == 3 and setup.info["grid_points_per_sample"] == np.prod(setup.info["grid"])
    assert "grid_roundtrip_rel_l2_test" not in setup.info  # its outputs never pass through a grid
    cfg = operators.TrainConfig(epochs=30, batch_size=2, lr=3e-3, seed=0)
    model, history = operators.train(setup.model, setup.x_train, setup.y_train, setup.x_test, setup.y_test, cfg,
                                     mask=setup.mask_train, test_mask=setup.mask_test)
    assert history.train_loss[-1] < 0.75 * history.train_loss[0]
    out = jax.vmap(model)(*setup.x_test)
    assert out.shape == setup.y_test.shape and np.all(np.isfinite(out))


def test_nuno_fourier_dropout_acts_in_training_only():
    from sciml.operators.nuno.readout import NUNOFourier

    box = np.array([[0.0, 0.0], [1.0, 1.0]])
    make = lambda rate: NUNOFourier(2, 1, 3, (3, 3), 5, 3, box, (0, 1), hidden=7, dropout=rate,  # noqa: E731
                                    key=jax.random.key(0))
    model, plain = make(0.1), make(0.0)
    assert model.trunk.dropout_layers == (1,)  # the trunk's second-to-last layer, as the anchor's layer 2 of 4
    grids = jax.random.normal(jax.random.key(1), (1, 2, 10, 10))
    np.testing.assert_array_equal(model.leaf_images(grids), plain.leaf_images(grids))
    train_a = model.leaf_images(grids, key=jax.random.key(2))
    zeros = float(jnp.mean(train_a == 0))
    assert 0.05 < zeros < 0.2  # the leaf layer's own mask, rate 0.1 (GELU alone is never exactly 0)
    assert not np.allclose(train_a, model.leaf_images(grids, key=jax.random.key(3)))


def test_dropout_is_refused_for_models_without_it():
    spec = experiment.ModelSpec(width=6, modes=3, n_layers=2, n_subdomains=3, dropout=0.1)
    base = _samples([_mesh(10, 0.3, s) for s in range(3)])
    with pytest.raises(ValueError, match=r"dropout=0.1 .* nuno_fourier only; fno_interp has none"):
        experiment.point_setup("fno_interp", base, 2, spec, key=jax.random.key(0))
