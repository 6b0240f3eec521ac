"""Point-cloud experiment setup: grids sized for one sample's points (not the union of all
samples'), input statistics per channel or per grid node; the bench's per-pair settings."""

import dataclasses
import re

import jax
import numpy as np
import pytest
from scipy.spatial import Delaunay

from sciml.operators import experiment
from sciml.operators.data import PointSamples
from sciml.operators.nuno import decompose, grid_shape, points_per_leaf


def _mesh(n_side, jitter=0.0, seed=0):
    """A triangulated square: an ``n_side x n_side`` lattice, interior nodes moved by ``jitter``."""
    t = np.linspace(0.0, 1.0, n_side)
    pts = np.stack(np.meshgrid(t, t, indexing="ij"), -1).reshape(-1, 2)
    inner = np.all((pts > 0) & (pts < 1), axis=1)
    pts[inner] += jitter * np.random.default_rng(seed).uniform(-1, 1, (inner.sum(), 2)) / n_side
    return pts, Delaunay(pts).simplices


def _samples(meshes, seed=0):
    rng = np.random.default_rng(seed)
    n = max(len(p) for p, _ in meshes)
    pad = lambda a: np.concatenate([a, np.repeat(a[:1], n - len(a), axis=0)])  # noqa: E731
    points = np.stack([pad(p) for p, _ in meshes])
    mask = np.stack([np.arange(n) < len(p) for p, _ in meshes])
    x = np.stack([pad(np.sin(3 * p[:, :1] + rng.normal())) for p, _ in meshes])
    y = np.stack([pad(np.cos(2 * p[:, 1:] + rng.normal())) for p, _ in meshes])
    return PointSamples(points, mask, x, y, tuple(c for _, c in meshes), ("a",), ("u",))


@pytest.mark.parametrize("model, n_sub", [("fno_interp", 1), ("nuno", 3)])
def test_grids_hold_about_oversampling_nodes_per_sample_point_on_a_shared_mesh(model, n_sub):
    # Every sample on the same 12 x 12 mesh: the union is that mesh, not n_train copies of it.
    mesh = _mesh(12, jitter=0.3)
    samples = _samples([mesh] * 6)
    spec = experiment.ModelSpec(width=4, modes=3, n_layers=1, n_subdomains=n_sub, oversampling=2.0)
    setup = experiment.point_setup(model, samples, 4, spec, key=jax.random.key(0))
    nodes = setup.info["grid_points_per_sample"]
    # each leaf's grid has ~2 x its points; the common shape is the largest per axis
    assert 2.0 * 144 * 0.7 <= nodes <= 2.0 * 144 * 2.5, nodes
    assert setup.x_train[0].shape[1:] == (n_sub, 2, *setup.info["grid"])


@pytest.mark.parametrize("model, n_sub", [("fno_interp", 1), ("nuno", 3), ("nuno_fourier", 3)])
def test_an_explicit_grid_shape_replaces_the_oversampling_rule(model, n_sub):
    samples = _samples([_mesh(10, 0.3, s) for s in range(3)])
    spec = experiment.ModelSpec(width=4, modes=3, n_layers=1, n_subdomains=n_sub, oversampling=50.0,
                                grid_shape=(5, 7))
    setup = experiment.point_setup(model, samples, 2, spec, key=jax.random.key(0))
    grids = 1 if model == "nuno_fourier" else n_sub  # nuno_fourier: one grid, leaves only at the readout
    assert setup.info["grid"] == (5, 7) and setup.x_train[0].shape[1:] == (grids, 2, 5, 7)
    assert setup.info["grid_points_per_sample"] == grids * 35
    for bad in [(5,), (5, 7, 9), (1, 7)]:
        with pytest.raises(ValueError, match=re.escape(f"grid_shape must have 2 sizes, each >= 2; got {bad}")):
            experiment.point_setup(model, samples, 2, dataclasses.replace(spec, grid_shape=bad),
                                   key=jax.random.key(0))


def test_grid_roundtrip_is_exact_for_linear_outputs_and_falls_with_grid_resolution():
    meshes = [_mesh(16, jitter=0.3, seed=s) for s in range(3)]
    samples = _samples(meshes)
    linear = PointSamples(samples.points, samples.mask, samples.x, 2.0 * samples.points[..., :1] - samples.points[..., 1:] + 0.5,
                          samples.cells, ("a",), ("u",))
    dec = decompose(np.unique(np.concatenate([p for p, _ in meshes]), axis=0), 2)
    # Delaunay-linear to the grid and multilinear back both reproduce a linear field (the
    # square's corners are mesh nodes, so no grid node lies outside the hull)
    assert experiment.grid_roundtrip_rel_l2(linear, dec, (5, 7), range(3)) < 1e-12
    peak = np.exp(-((samples.points[..., :1] - 0.5) ** 2 + (samples.points[..., 1:] - 0.5) ** 2) / 0.01)
    sharp = PointSamples(samples.points, samples.mask, samples.x, peak, samples.cells, ("a",), ("u",))
    errors = [experiment.grid_roundtrip_rel_l2(sharp, dec, (n, n), range(3)) for n in (6, 12, 24)]
    assert errors[0] > errors[1] > errors[2] > 0, errors
    setup = experiment.point_setup("nuno", sharp, 2, experiment.ModelSpec(width=4, modes=2, n_layers=1, n_subdomains=2),
                                   key=jax.random.key(0))
    assert 0 < setup.info["grid_roundtrip_rel_l2_test"] < errors[0]


def test_point_setup_reuses_its_cached_grids_only_for_the_same_data(tmp_path, monkeypatch):
    samples = _samples([_mesh(8, 0.3, s) for s in range(4)])
    spec = experiment.ModelSpec(width=4, modes=2, n_layers=1, n_subdomains=2)
    first = experiment.point_setup("nuno", samples, 3, spec, key=jax.random.key(0), cache_dir=tmp_path)
    assert (tmp_path / experiment.SETUP_CACHE).exists()
    calls = []
    real = experiment.subdomain_grids
    monkeypatch.setattr(experiment, "subdomain_grids", lambda *a: calls.append(1) or real(*a))
    again = experiment.point_setup("nuno", samples, 3, spec, key=jax.random.key(0), cache_dir=tmp_path)
    assert not calls  # read back, not interpolated again
    np.testing.assert_array_equal(again.x_train[0], first.x_train[0])
    np.testing.assert_array_equal(again.x_test[0], first.x_test[0])
    assert again.info["grid_roundtrip_rel_l2_test"] == first.info["grid_roundtrip_rel_l2_test"]
    # other inputs (one sample's field changed): interpolated again, and the cache replaced
    changed = PointSamples(samples.points, samples.mask, samples.x.copy(), samples.y, samples.cells, ("a",), ("u",))
    changed.x[1] += 1.0
    other = experiment.point_setup("nuno", changed, 3, spec, key=jax.random.key(0), cache_dir=tmp_path)
    assert calls == [1]
    np.testing.assert_allclose(other.x_train[0][1, :, 0] - first.x_train[0][1, :, 0],
                               (other.x_train[0][1, :, 1] > 0.5) * 1.0, atol=1e-5)  # +1 inside the mesh
    experiment.point_setup("nuno", changed, 3, spec, key=jax.random.key(0), cache_dir=tmp_path)
    assert calls == [1]


def test_points_per_leaf_sizes_a_union_of_distinct_meshes_for_one_sample():
    meshes = [_mesh(10, jitter=0.3, seed=s)[0] for s in range(5)]
    union = np.unique(np.concatenate(meshes), axis=0)
    assert len(union) > 3 * 100  # interior nodes differ between the samples
    dec = decompose(union, 1)
    per_leaf = points_per_leaf(meshes, dec)
    np.testing.assert_allclose(per_leaf, [100.0])
    assert np.prod(grid_shape(dec, 1.0, per_leaf)) == pytest.approx(100, rel=0.2)
    assert np.prod(grid_shape(dec, 1.0)) > 3 * 100  # sized for the union: far too fine
    with pytest.raises(ValueError, match="counts must be 1 finite non-negative point counts"):
        grid_shape(dec, 1.0, [1.0, 2.0])


def test_pointwise_input_statistics_are_per_grid_node():
    samples = _samples([_mesh(8, 0.3, s) for s in range(5)])
    common = dict(width=4, modes=2, n_layers=1, n_subdomains=2)
    per_node = experiment.point_setup("nuno", samples, 4, experiment.ModelSpec(
        **common, x_scope=experiment.Scope.POINTWISE), key=jax.random.key(0))
    per_channel = experiment.point_setup("nuno", samples, 4, experiment.ModelSpec(**common), key=jax.random.key(0))
    grids = per_node.x_train[0]
    assert per_node.model.x_mean.shape == grids.shape[1:]
    np.testing.assert_allclose(per_node.model.x_mean, grids.mean(0), rtol=1e-4, atol=1e-5)
    assert per_channel.model.x_mean.shape == (1, grids.shape[2], 1, 1)
    np.testing.assert_allclose(per_channel.model.x_mean[0, :, 0, 0], grids.mean(axis=(0, 1, 3, 4)), rtol=1e-4, atol=1e-5)
    # normalised training inputs have zero mean at every node
    encoded = (grids - per_node.model.x_mean) / per_node.model.x_std
    np.testing.assert_allclose(encoded.mean(0), 0.0, atol=1e-4)
    out = jax.vmap(per_node.model)(*[a[:2] for a in per_node.x_train])
    assert out.shape == per_node.y_train[:2].shape and np.all(np.isfinite(out))


def test_bench_pair_overrides_are_checked_and_selected():
    from pipelines.stages.operator_bench import BenchOperatorsConfig

    cfg = BenchOperatorsConfig(pair_overrides=("burgers:fno:width=64", "burgers:fno:modes=16", "darcy:nuno:padding=2"))
    assert cfg.overrides_for("burgers", "fno") == ["width=64", "modes=16"]
    assert cfg.overrides_for("darcy", "fno") == []
    with pytest.raises(ValueError, match="write data:model:key=value"):
        BenchOperatorsConfig(pair_overrides=("burgers:width=64",))


def _burgers_data_dir(root, n_samples: int, nx: int, seed: int = 0):
    """A tiny Burgers data set (``nx / 4`` points) written as ``data-pdes`` would; its data_dir."""
    from pdes import operator_data
    from pipelines import contract

    options = {k: v for k, v in operator_data.SETS["burgers"]["quick"].items() if k not in ("samples", "chunk")}
    options.update(nx=nx, subsample=4)
    ds = operator_data.get("burgers")(n_samples, seed, **options)
    data_dir = root / "data" / "pdes"
    contract.write_netcdf(contract.with_provenance(ds, generator="test", config={}, seed=seed),
                          data_dir / "burgers" / "chunk_000000.nc")
    return data_dir


def test_bench_superresolution_records_the_coarse_and_full_grid_errors(tmp_path):
    from pipelines.registry import StageContext
    from pipelines.stages.operator_bench import BenchOperatorsConfig, superresolution

    data_dir = _burgers_data_dir(tmp_path, 12, 256)  # 64 points
    settings = ("width=8", "modes=4", "n_layers=2", "batch_size=4", f"data_dir={data_dir}")
    cfg = BenchOperatorsConfig(epochs=3, n_train=8, n_test=4, superres_subsample=4, out_dir=str(tmp_path / "runs"),
                               pair_overrides=tuple(f"burgers:fno:{s}" for s in settings))
    ctx = StageContext(profile="quick", scheduler=None, out=None, repo_root=tmp_path)
    fine, coarse = superresolution(cfg, ctx)
    assert fine.name == "rel_l2_superresolution/burgers/fno" and coarse.name == "rel_l2_train_resolution/burgers/fno"
    assert fine.extra["train_resolution"] == [16] and fine.extra["test_resolution"] == [64]
    assert fine.reference["value"] == pytest.approx(2 * coarse.value)
    assert 0 < coarse.value < 2 and 0 < fine.value < 2


def test_bench_reuses_finished_runs_and_resumes_unfinished_ones_only_with_reuse(tmp_path, monkeypatch, capsys):
    import dataclasses

    from pipelines.registry import StageContext
    from pipelines.stages import operator_bench
    from pipelines.stages.operator_bench import BenchOperatorsConfig, superresolution

    data_dir = _burgers_data_dir(tmp_path, 8, 128)  # 32 points
    settings = ("width=4", "modes=2", "n_layers=1", "batch_size=2", f"data_dir={data_dir}")
    cfg = BenchOperatorsConfig(epochs=2, n_train=4, n_test=4, superres_subsample=2, out_dir=str(tmp_path / "runs"),
                               pair_overrides=tuple(f"burgers:fno:{s}" for s in settings), reuse=True)
    ctx = StageContext(profile="quick", scheduler=None, out=None, repo_root=tmp_path)
    trained = []
    real = operator_bench.train_operator
    monkeypatch.setattr(operator_bench, "train_operator",
                        lambda c, x, pieces: trained.append((c.epochs, c.resume)) or real(c, x, pieces=pieces))
    first = superresolution(cfg, ctx)
    assert trained == [(2, True)]
    again = superresolution(cfg, ctx)  # finished with the same config: read back
    assert trained == [(2, True)] and [r.value for r in again] == [r.value for r in first]
    assert "reused" in capsys.readouterr().out
    # a run made before a setting existed (here subsample) is read back: it had the default in effect
    import json

    metrics_path = next((tmp_path / "runs").rglob("metrics.json"))
    stored = json.loads(metrics_path.read_text())
    del stored["config"]["subsample"]
    metrics_path.write_text(json.dumps(stored))
    superresolution(cfg, ctx)
    assert trained == [(2, True)] and "reused" in capsys.readouterr().out
    more = superresolution(dataclasses.replace(cfg, epochs=3), ctx)  # unfinished for 3 epochs: resumed
    assert trained == [(2, True), (3, True)] and all(0 < r.value < 2 for r in more)
    superresolution(dataclasses.replace(cfg, epochs=3, reuse=False), ctx)  # off: trained afresh
    assert trained[-1] == (3, False)
    capsys.readouterr()
    _burgers_data_dir(tmp_path, 8, 128, seed=1)  # regenerated data: neither read back nor resumed
    again = superresolution(dataclasses.replace(cfg, epochs=3), ctx)
    assert trained[-1] == (3, True) and "made with different data; training from scratch" in capsys.readouterr().out
    assert [r.value for r in again] != [r.value for r in more]


def test_bench_ratio_record_sets_nuno_against_fno_interp_with_both_grid_roundtrips(tmp_path, monkeypatch):
    from pipelines.registry import StageContext
    from pipelines.stages import operator_bench

    def metrics(rel, seconds, roundtrip):
        return dict(rel_l2_test=rel, s_per_epoch=seconds, inference_s_per_sample=1e-3, n_train=4, n_test=2,
                    epochs=1, compile_s=0.1, n_parameters=10, setup={"grid_roundtrip_rel_l2_test": roundtrip})

    runs = {"nuno": metrics(0.03, 2.0, 0.01), "fno_interp": metrics(0.06, 5.0, 0.04),
            "nuno_fourier": {**metrics(0.05, 9.0, 0.0), "setup": {}}}  # outputs not through grids
    monkeypatch.setattr(operator_bench, "_train_or_reuse", lambda cfg, ctx, tc, run_dir: runs[tc.model])
    cfg = operator_bench.BenchOperatorsConfig(pairs=("elasticity:nuno", "elasticity:nuno_fourier",
                                                     "elasticity:fno_interp"),
                                              superres_subsample=0, neuralop_python="none")
    ctx = StageContext(profile="quick", scheduler=None, out=str(tmp_path / "operators.json"), repo_root=tmp_path)
    records = {r.name: r for r in operator_bench.run(cfg, ctx)}
    ratio = records["nuno_vs_fno_interp/elasticity"]
    assert ratio.value == pytest.approx(0.5) and ratio.reference["value"] == 0.6
    assert ratio.extra["s_per_epoch_ratio"] == pytest.approx(0.4)
    assert ratio.extra["grid_roundtrip_rel_l2"] == {"nuno": 0.01, "fno_interp": 0.04}
    fourier = records["nuno_fourier_vs_fno_interp/elasticity"]
    assert fourier.value == pytest.approx(0.05 / 0.06)
    assert fourier.extra["grid_roundtrip_rel_l2"] == {"fno_interp": 0.04}
    assert records["rel_l2/elasticity/fno_interp"].reference["value"] == pytest.approx(6.16e-2)
    assert (tmp_path / "operators.json").exists()


def test_point_density_is_the_gaussian_kernel_estimate_and_ignores_padding():
    h = 0.1
    single = _samples([(np.array([[0.3, 0.6]]), np.zeros((0, 3), int))])
    near = np.array([[0.3, 0.6], [0.4, 0.6], [0.3, 0.4]])  # at the point, one and two bandwidths away
    got = experiment.point_density(single, near, h)[0]
    np.testing.assert_allclose(got, np.exp([0.0, -0.5, -2.0]) / (2 * np.pi * h**2), rtol=1e-5)

    pts, cells = _mesh(7, jitter=0.4)
    padded = _samples([(pts, cells), (pts[:30], cells[:1])])  # the second padded with copies of its first point
    t = np.linspace(-0.6, 1.6, 111)
    nodes = np.stack(np.meshgrid(t, t, indexing="ij"), -1)
    density = experiment.point_density(padded, nodes, h, chunk=500)
    area = (t[1] - t[0]) ** 2
    np.testing.assert_allclose(density.sum(axis=(1, 2)) * area, 1.0, rtol=1e-3)  # a probability density
    alone = experiment.point_density(_samples([(pts[:30], cells[:1])]), nodes, h)
    np.testing.assert_allclose(density[1], alone[0], rtol=1e-5, atol=1e-6)  # the padding is masked out


def test_density_bandwidth_adds_one_input_channel():
    samples = _samples([_mesh(8, 0.3, s) for s in range(4)])
    spec = experiment.ModelSpec(width=4, modes=2, n_layers=1, n_subdomains=2, oversampling=2.0)
    plain = experiment.point_setup("fno_interp", samples, 3, spec, key=jax.random.key(0))
    dense = experiment.point_setup("fno_interp", samples, 3, dataclasses.replace(spec, density_bandwidth=0.05),
                                   key=jax.random.key(0))
    assert dense.x_train[0].shape[2] == plain.x_train[0].shape[2] + 1
    np.testing.assert_array_equal(dense.x_train[0][:, :, :-1], plain.x_train[0])
    assert np.all(dense.x_train[0][:, :, -1] >= 0) and dense.x_train[0][:, :, -1].std() > 0
