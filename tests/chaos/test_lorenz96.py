"""Multiscale Lorenz 96 (chaos.lorenz96): the equations against an index-by-index reference,
exact energy budgets, RK4 order, the coarse model with a closure, the closure target's
defining property, and the one-level invariants against the literature."""

import functools

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

from chaos import lorenz96 as l96
from pipelines import contract


# ---------------------------------------------------------------- independent references
def ref_two_level(x, y, p):
    """dX, dY written index by index from Lorenz (1996) eqs. (3.1)-(3.2); the fast variables on
    one ring: Y_{j,k} = y[k*J + j] and Y_{J,k} = Y_{0,k+1}."""
    K, J = p.K, p.J
    n = K * J
    dx = np.empty(K)
    for k in range(K):
        s = sum(y[k * J + j] for j in range(J))
        dx[k] = x[(k - 1) % K] * (x[(k + 1) % K] - x[(k - 2) % K]) - x[k] + p.F - p.h * p.c / p.b * s
    dy = np.empty(n)
    for m in range(n):
        dy[m] = (-p.c * p.b * y[(m + 1) % n] * (y[(m + 2) % n] - y[(m - 1) % n]) - p.c * y[m]
                 + p.h * p.c / p.b * x[m // J])
    return dx, dy


def ref_three_level_z(y, z, p):
    """dZ of Thornes et al. (2017) eq. (3), one ring of K*J*I values, and the Z-sum of eq. (2)."""
    n, n_y = z.size, y.size
    dz = np.empty(n)
    for m in range(n):
        dz[m] = (p.e * p.d * z[(m - 1) % n] * (z[(m + 1) % n] - z[(m - 2) % n]) - p.g_z * p.e * z[m]
                 + p.h * p.e / p.d * y[m // p.I])
    zsum = np.array([sum(z[q * p.I + i] for i in range(p.I)) for q in range(n_y)])
    return dz, zsum


def rng_state(*sizes, seed=0):
    g = np.random.default_rng(seed)
    return [g.normal(size=s) for s in sizes]


def one_level(x, forcing):
    return l96.one_level_tendency(x, forcing)


def advection_only(x):
    return l96.advection(x)


# ---------------------------------------------------------------- parameters
def test_named_sets_and_overrides():
    p = l96.parameter_set("lorenz1996")
    assert (p.K, p.J, p.F, p.h, p.b, p.c) == (36, 10, 10.0, 1.0, 10.0, 10.0)
    assert l96.PARAMETER_SETS["wilks"].F == 18.0 and l96.PARAMETER_SETS["arnold"].F == 20.0
    assert l96.PARAMETER_SETS["arnold"].J == 32 and l96.parameter_set("lorenz1996", K=144).K == 144
    t = l96.three_level_parameter_set("thornes2017")
    assert (t.K, t.J, t.I, t.F) == (8, 8, 8, 20.0)


@pytest.mark.parametrize("call, words", [
    (lambda: l96.parameter_set("lorenz63"), ["lorenz63", "arnold", "lorenz1996", "wilks"]),
    (lambda: l96.parameter_set("lorenz1996", L=3), ["'L'", "K"]),
    (lambda: l96.L96Params(K=3, J=10, F=10.0), ["K", ">= 4", "3"]),
    (lambda: l96.L96Params(K=36, J=10, F=10.0, c=0.0), ["c", "> 0"]),
    (lambda: l96.L96Params(K=36.0, J=10, F=10.0), ["K", "int"]),
    (lambda: l96.L96Params(K=36, J=10, F=float("nan")), ["F", "finite"]),
])
def test_bad_parameters_are_one_line_errors(call, words):
    with pytest.raises(ValueError) as err:
        call()
    msg = str(err.value)
    assert "\n" not in msg and all(w in msg for w in words)


def test_bad_simulation_inputs():
    p = l96.L96Params(K=8, J=4, F=10.0)
    x, y = jnp.zeros(8), jnp.zeros(32)
    with pytest.raises(ValueError, match=r"y0 must have shape \(\.\.\., 32\)"):
        l96.simulate_two_level(p, x, jnp.zeros(30), n_steps=2)
    with pytest.raises(ValueError, match="multiple of save_every"):
        l96.simulate_two_level(p, x, y, n_steps=5, save_every=2)
    with pytest.raises(ValueError, match="dt must be"):
        l96.simulate_coarse(x, dt=-0.1, n_steps=2, forcing=8.0)
    with pytest.raises(ValueError, match="n_members"):
        l96.make_dataset(p, key=jax.random.key(0), n_members=0, duration=1.0)


# ---------------------------------------------------------------- equations
def test_two_level_tendency_matches_index_reference():
    p = l96.L96Params(K=6, J=3, F=9.0, h=0.7, b=8.0, c=12.0)
    x, y = rng_state(6, 18)
    dx, dy = l96.two_level_tendency(jnp.asarray(x), jnp.asarray(y), p)
    rx, ry = ref_two_level(x, y, p)
    np.testing.assert_allclose(dx, rx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dy, ry, rtol=1e-12, atol=1e-12)
    # the X tendency splits into the one-level tendency and the coupling term U
    np.testing.assert_allclose(dx, l96.one_level_tendency(x, p.F) + l96.coupling(jnp.asarray(y), p), rtol=1e-13)
    # leading (ensemble) axes broadcast
    bx, by = l96.two_level_tendency(jnp.stack([x, 2 * x]), jnp.stack([y, 2 * y]), p)
    np.testing.assert_allclose(bx[0], rx, rtol=1e-12)


def test_three_level_tendency_matches_index_reference():
    p = l96.ThreeLevelParams(K=5, J=3, I=4, F=20.0, h=0.8, b=9.0, c=7.0, d=11.0, e=6.0, g_z=1.5)
    x, y, z = rng_state(5, 15, 60)
    dx, dy, dz = l96.three_level_tendency(jnp.asarray(x), jnp.asarray(y), jnp.asarray(z), p)
    rx, ry = ref_two_level(x, y, p.two_level)
    rz, zsum = ref_three_level_z(y, z, p)
    np.testing.assert_allclose(dx, rx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dy, ry - p.h * p.e / p.d * zsum, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dz, rz, rtol=1e-12, atol=1e-12)


def test_exact_energy_budgets():
    """Advection and the scale couplings exchange energy E = sum X^2/2 (+ sum Y^2/2 + sum Z^2/2)
    without creating any, so dE/dt is exactly forcing minus damping."""
    x, y, z = rng_state(37, 37 * 3, 37 * 3 * 2, seed=1)
    assert abs(float(jnp.sum(x * l96.advection(jnp.asarray(x))))) < 1e-12 * np.sum(x**2) ** 1.5
    p = l96.L96Params(K=37, J=3, F=7.0, h=1.3, b=10.0, c=4.0)
    dx, dy = l96.two_level_tendency(jnp.asarray(x), jnp.asarray(y), p)
    budget = -np.sum(x**2) + p.F * np.sum(x) - p.c * np.sum(y**2)
    assert float(jnp.sum(x * dx) + jnp.sum(y * dy)) == pytest.approx(budget, rel=1e-12, abs=1e-10)
    q = l96.ThreeLevelParams(K=37, J=3, I=2, F=7.0, h=1.3, c=4.0, e=3.0, g_z=0.5)
    dx, dy, dz = l96.three_level_tendency(jnp.asarray(x), jnp.asarray(y), jnp.asarray(z), q)
    budget = -np.sum(x**2) + q.F * np.sum(x) - q.c * np.sum(y**2) - q.g_z * q.e * np.sum(z**2)
    got = float(jnp.sum(x * dx) + jnp.sum(y * dy) + jnp.sum(z * dz))
    assert got == pytest.approx(budget, rel=1e-12, abs=1e-10)


def test_rk4_conserves_advective_energy_to_fourth_order():
    """F = 0 and no damping: E = sum X^2/2 is a constant of the flow. RK4 does not conserve it
    exactly; the largest drift over 2 MTU falls at least as dt^4 (measured slope ~4.8 here: the
    dt^4 term is small for this skew quadratic field)."""
    x0 = jnp.asarray(rng_state(16, seed=2)[0]) * 3.0
    energy = lambda x: 0.5 * jnp.sum(x**2, axis=-1)  # noqa: E731
    dts, drifts = (0.02, 0.01, 0.005), []
    for dt in dts:
        def body(x, _):
            x = l96.rk4_step(advection_only, x, dt)
            return x, energy(x)

        _, es = jax.lax.scan(body, x0, None, length=int(round(2.0 / dt)))
        drifts.append(float(jnp.max(jnp.abs(es - energy(x0)))))
    slope = np.polyfit(np.log(dts), np.log(drifts), 1)[0]
    assert slope > 3.8, (slope, drifts)
    assert drifts[-1] < 1e-7 * float(energy(x0))


@pytest.mark.parametrize("model", ["one-level", "two-level"])
def test_rk4_order_four(model):
    """Error at t = 0.4 against a dt/16 reference: log-error vs log-dt slope 4."""
    if model == "one-level":
        state0 = jnp.asarray(rng_state(12, seed=3)[0]) + 4.0
        f = functools.partial(one_level, forcing=8.0)
        dts = (0.04, 0.02, 0.01)
    else:
        p = l96.L96Params(K=6, J=4, F=10.0)
        x, y = rng_state(6, 24, seed=4)
        state0 = (jnp.asarray(x) + 3.0, 0.3 * jnp.asarray(y))
        f = lambda s: l96.two_level_tendency(*s, p)  # noqa: E731
        dts = (0.008, 0.004, 0.002)

    def run(dt):
        n = int(round(0.4 / dt))
        return jax.lax.fori_loop(0, n, lambda i, s: l96.rk4_step(f, s, dt), state0)

    ref = ravel_pytree(run(dts[-1] / 16))[0]
    errors = [float(jnp.max(jnp.abs(ravel_pytree(run(dt))[0] - ref))) for dt in dts]
    slope = np.polyfit(np.log(dts), np.log(errors), 1)[0]
    assert 3.7 < slope < 4.4, (slope, errors)


# ---------------------------------------------------------------- simulators
@pytest.fixture(scope="module")
def small_run():
    """A small two-level ensemble on its attractor: (p, xs (2, T, K), ys (2, T, K*J))."""
    p = l96.L96Params(K=8, J=4, F=10.0)
    x0, y0 = l96.initial_conditions(p, jax.random.key(0), 2)
    x, y = l96.spin_up(p, x0, y0, duration=2.0)
    xs, ys = l96.simulate_two_level(p, x, y, n_steps=100, save_every=2)
    return p, np.asarray(xs), np.asarray(ys)


def test_two_level_simulation_layout(small_run):
    p, xs, ys = small_run
    assert xs.shape == (2, 51, 8) and ys.shape == (2, 51, 32) and np.isfinite(xs).all()
    # saved states are RK4 steps of the tendency; the ensemble is integrated member by member
    one = l96.simulate_two_level(p, xs[1, 0], ys[1, 0], n_steps=4, save_every=2)
    np.testing.assert_allclose(one[0], xs[1, :3], rtol=1e-12, atol=1e-12)
    vm = jax.vmap(lambda x, y: l96.simulate_two_level(p, x, y, n_steps=4, save_every=2))(xs[:, 0], ys[:, 0])
    np.testing.assert_allclose(vm[1], ys[:, :3], rtol=1e-12, atol=1e-12)
    xs_only, y_final = l96.simulate_two_level(p, xs[:, 0], ys[:, 0], n_steps=4, save_every=2, save_y=False)
    np.testing.assert_allclose(y_final, ys[:, 2], rtol=1e-12, atol=1e-12)


def test_coarse_model_closure_inside_each_stage():
    """A linear closure C(X) = -a X inside the stages is plain RK4 of the damped one-level model."""
    x0 = jnp.asarray(np.random.default_rng(5).normal(size=(3, 10)))
    a = 0.4
    got = l96.simulate_coarse(x0, lambda x: -a * x, dt=0.01, n_steps=20, forcing=8.0, save_every=5)
    damped = lambda x: l96.one_level_tendency(x, 8.0) - a * x  # noqa: E731
    x = x0
    for i in range(4):
        for _ in range(5):
            x = l96.rk4_step(damped, x, 0.01)
        np.testing.assert_allclose(got[:, i + 1], x, rtol=1e-12, atol=1e-12)
    # an eqx.Module closure in float32, and the null closure equals the one-level model
    class Linear(eqx.Module):
        w: jax.Array

        def __call__(self, x):
            return self.w * x

    out = l96.simulate_coarse(x0.astype(jnp.float32), Linear(jnp.asarray(-a, jnp.float32)), dt=0.01, n_steps=20,
                              forcing=8.0, save_every=5)
    assert out.dtype == jnp.float32
    np.testing.assert_allclose(out, got, rtol=2e-4, atol=2e-4)
    np.testing.assert_allclose(l96.simulate_one_level(x0, forcing=8.0, dt=0.01, n_steps=4),
                               l96.simulate_coarse(x0, None, dt=0.01, n_steps=4, forcing=8.0), rtol=0, atol=0)


def test_closure_target_replays_the_truth(small_run):
    """Phi(X_n) + dt_c * r_n reproduces X_{n+1} of the two-level run; r tends to the coupling U."""
    p, xs, ys = small_run
    dt_c = 0.01
    r = l96.closure_target(xs, dt_c, p.F)
    assert r.shape == (2, 50, 8)
    x = jnp.asarray(xs[:, 0])
    for n in range(50):
        x = l96.coarse_step_with_correction(x, dt_c, p.F, r[:, n])
    np.testing.assert_allclose(x, xs[:, 50], rtol=0, atol=1e-9)
    u = np.asarray(l96.coupling(jnp.asarray(ys), p))
    u_mid = 0.5 * (u[:, :-1] + u[:, 1:])
    assert np.abs(r - u_mid).max() < 0.05 * np.abs(u).max()


def test_make_dataset_is_contract_valid():
    p = l96.L96Params(K=8, J=4, F=10.0)
    ds = l96.make_dataset(p, key=jax.random.key(3), n_members=2, duration=0.2, spinup=0.5, save_y=True, name="t")
    ds = contract.validate(contract.with_provenance(ds, generator="test", config={}, seed=3),
                           dims={"X": ("member", "time", "k"), "U": ("member", "time", "k"),
                                 "closure_target": ("member", "time", "k"), "Y": ("member", "time", "kj")})
    assert ds.sizes["time"] == 20 and ds.attrs["dt_coarse"] == pytest.approx(0.01)
    np.testing.assert_allclose(ds.U, l96.coupling(jnp.asarray(ds.Y.values), p), rtol=1e-12)
    np.testing.assert_allclose(ds.closure_target[:, :-1], l96.closure_target(ds.X.values, 0.01, p.F),
                               rtol=1e-9, atol=1e-9)


def test_three_level_runs_and_conserves_shapes():
    p = l96.three_level_parameter_set("thornes2017", K=4, J=3, I=2)
    x0, y0, z0 = rng_state(4, 12, 24, seed=6)
    xs, ys, zs = l96.simulate_three_level(p, x0 + 5.0, 0.1 * y0, 0.01 * z0, dt=0.001, n_steps=40, save_every=10)
    assert xs.shape == (5, 4) and ys.shape == (5, 12) and zs.shape == (5, 24)
    assert np.isfinite(zs).all()
    one_step = l96.rk4_step(lambda s: l96.three_level_tendency(*s, p), (xs[0], ys[0], zs[0]), 0.001)
    xs2, _, _ = l96.simulate_three_level(p, xs[0], ys[0], zs[0], dt=0.001, n_steps=1)
    np.testing.assert_allclose(xs2[1], one_step[0], rtol=1e-13)


# ---------------------------------------------------------------- invariants vs the literature
@pytest.fixture(scope="module")
def one_level_attractor():
    """K = 40, F = 8 one-level states after 20 MTU of spin-up, 8 members."""
    x0 = 8.0 + jax.random.normal(jax.random.key(7), (8, 40))
    xs = l96.simulate_one_level(x0, forcing=8.0, dt=0.01, n_steps=2000, save_every=2000)
    return xs[:, -1]


def test_one_level_leading_lyapunov_exponent(one_level_attractor):
    """K = 40, F = 8: lambda_1 = 1.68 / MTU (Karimi & Paul 2010, Chaos 20, 043105, Table I; Lorenz
    & Emanuel 1998 quote an error-doubling time of 0.42 MTU, ln 2 / 0.42 = 1.65). 150 MTU here:
    the finite-time estimate's spread over starting states is ~2%."""
    lam = l96.lyapunov_exponents(functools.partial(one_level, forcing=8.0), one_level_attractor[0], dt=0.01,
                                 n_steps=15000, k=2, renorm_every=10)
    assert lam[0] == pytest.approx(1.68, rel=0.06)
    assert lam[1] < lam[0]


def test_one_level_mean_and_std(one_level_attractor):
    """Lorenz & Emanuel (1998, JAS 55, 399-414, section 2): for K = 40, F = 8 the mean of X is 2.3
    and its standard deviation 3.6. 8 members x 100 MTU x 40 sites; the sampling error of the mean
    is ~0.03 (decorrelation ~0.5 MTU), so the tolerance is the papers' rounding plus 0.1."""
    xs = np.asarray(l96.simulate_one_level(one_level_attractor, forcing=8.0, dt=0.01, n_steps=10000, save_every=10))
    assert xs.mean() == pytest.approx(2.3, abs=0.15)
    assert xs.std() == pytest.approx(3.6, abs=0.15)
    # stationary energy budget (exact in the limit): <X^2> = F <X>
    assert (xs**2).mean() == pytest.approx(8.0 * xs.mean(), rel=0.03)


def test_two_level_lyapunov_tangent_agrees_with_two_trajectories(small_run):
    """No published leading exponent for this small set, so the tangent-map QR estimate is checked
    against the Jacobian-free two-trajectory (Benettin 1976) estimate on the same trajectory from
    the same first direction. Over 2 MTU both follow one perturbation and agree to rounding; over
    longer runs they drift apart by a few per cent (the top exponents are close, so round-off
    steers the two perturbations to different directions of nearly equal growth)."""
    p, xs, ys = small_run
    state = (jnp.asarray(xs[0, -1]), jnp.asarray(ys[0, -1]))
    f = functools.partial(lambda s, p: l96.two_level_tendency(*s, p), p=p)
    lam = l96.lyapunov_exponents(f, state, dt=0.005, n_steps=400, renorm_every=10, key=jax.random.key(1))[0]
    eps, logs = 1e-8, 0.0
    v = jax.random.normal(jax.random.key(1), (8 + 32, 1))[:, 0]  # the tangent run's first frame
    a = state
    b = (a[0] + eps * v[:8] / jnp.linalg.norm(v), a[1] + eps * v[8:] / jnp.linalg.norm(v))

    @jax.jit
    def advance(a, b):  # a fori_loop: XLA:CPU compiles 20 unrolled RK4 steps for minutes
        a, b = jax.lax.fori_loop(0, 10, lambda i, ab: tuple(l96.rk4_step(f, s, 0.005) for s in ab), (a, b))
        d = jnp.sqrt(jnp.sum((a[0] - b[0]) ** 2) + jnp.sum((a[1] - b[1]) ** 2))
        return a, jax.tree.map(lambda ai, bi: ai + (bi - ai) * eps / d, a, b), jnp.log(d / eps)

    for _ in range(40):
        a, b, g = advance(a, b)
        logs += float(g)
    assert logs / 2.0 == pytest.approx(lam, rel=1e-5)
    assert lam > 1.0


# ---------------------------------------------------------------- two-level sets vs published values
def two_level(state, p):
    """Module-level two-level tendency on a (x, y) tuple (hashable through functools.partial)."""
    return l96.two_level_tendency(*state, p)


def test_lorenz1996_leading_lyapunov_exponents_vs_dapper():
    """Lorenz (1996) set (K = 36, J = 10, F = 10, h = 1, b = c = 10). No peer-reviewed value of
    its exponents could be read for this project (Carlu et al. 2019, NPG 26, 73, and Boffetta et
    al. 1998, JAS 55, 3409, study this model, but their text was not reachable), so the reference
    is the documented output of an independent code: DAPPER (nansencenter/DAPPER,
    dapper/mods/explore_props.py, comment for LorenzUV/lorenz96, since 2019) gives
    lambda_1..3 = 9.47, 9.3, 8.72 per MTU from 66 finite-difference perturbations
    re-orthonormalised every RK4 step (dt = 0.005) over one 100 MTU trajectory.

    Ours (float64, tangent map, 2 x 60 MTU here after 5 MTU burn-in). Measured spread of 100 MTU estimates over 16
    starting states: lambda_1 9.84 +- 0.18, lambda_2 9.47 +- 0.14, lambda_3 9.04 +- 0.11; so the
    reference's own single-run sampling error is ~0.18 and ours here ~0.17; 3 sigma of the
    difference is ~0.75, the tolerance (8 %). DAPPER's three values all lie 0.2-0.4 below our
    means (within that error; a common trajectory segment would explain a common shift)."""
    p = l96.parameter_set("lorenz1996")
    x0, y0 = l96.initial_conditions(p, jax.random.key(21), 2)
    f = functools.partial(two_level, p=p)
    # 5 MTU burn-in (state onto the attractor, frame onto the leading directions) inside the run
    lams = np.array([l96.lyapunov_exponents(f, (x0[m], y0[m]), dt=0.005, n_steps=12000, k=3, renorm_every=10,
                                            burn_in_steps=1000, key=jax.random.key(m)) for m in range(2)])
    lam = lams.mean(axis=0)
    np.testing.assert_allclose(lam, [9.47, 9.3, 8.72], atol=0.75)


def test_lorenz1996_mean_and_variance_of_x_vs_dapper():
    """Lorenz (1996) set. No paper found prints the mean and variance of X for this set (searched: Lorenz
    1996, Schneider et al. 2017 and Lguensat et al. 2023, who calibrate on its moments, Carlu et al. 2019), so
    the reference is another code's output: ``scripts/dapper_l96_stats.py --members 16 --mtu 1000`` (DAPPER
    1.7.1's LorenzUV tendency and RK4, float64, dt 0.005, 20 MTU spin-up, samples every 0.05 MTU; 2-core AMD
    EPYC, 2026-11-27) gives mean 2.5605 and variance 12.519 (standard errors 0.004 and 0.011 over the 16
    members).

    Ours: 8 members x 150 MTU (float32). The mean of X wanders slowly (100 MTU windows of one run differ by up
    to ~0.15), so the measured spread of six such 8 x 150 MTU estimates sets the tolerances: standard deviations
    0.021 (mean) and 0.059 (variance), tolerances ~3.5 sigma. This one gives 2.5606 and 12.516."""
    p = l96.parameter_set("lorenz1996")
    x0, y0 = l96.initial_conditions(p, jax.random.key(5), 8)
    xs, _ = l96.simulate_two_level(p, x0, y0, n_steps=34000, save_every=10, save_y=False)
    xs = np.asarray(xs, np.float64)[:, 400:]  # drop 20 MTU of spin-up
    assert xs.mean() == pytest.approx(2.5605, abs=0.08)
    assert xs.var() == pytest.approx(12.519, abs=0.22)


@pytest.fixture(scope="module")
def wilks_subgrid():
    """get(F) -> (X, U) for the Wilks (2005) set K = 8, J = 32, h = 1, b = c = 10 and forcing F:
    4 members, 50 MTU after 10 MTU discarded, every RK4 step (dt = 0.005). U is the one-level
    model's tendency error over one step, U = -[(X(t+dt) - X(t))/dt - f_1(X(t))] (so U ~ (hc/b)
    sum_j Y): the definition under which our fits reproduce the published F = 20 ones (the
    RK4-step closure target of :func:`l96.closure_target` differs from it by up to ~1 at X < -3)."""
    cache = {}

    def get(forcing):
        if forcing not in cache:
            p = l96.parameter_set("wilks", F=forcing)
            x0, y0 = l96.initial_conditions(p, jax.random.key(100), 4)
            xs, _ = l96.simulate_two_level(p, x0, y0, n_steps=12000, save_every=1, save_y=False)
            xs = np.asarray(xs)[:, 2000:]
            x = xs[:, :-1]
            u = -((xs[:, 1:] - x) / 0.005 - np.asarray(l96.one_level_tendency(jnp.asarray(x), forcing)))
            cache[forcing] = (x.ravel(), u.ravel())
        return cache[forcing]

    return get


@pytest.mark.parametrize("forcing, coefficients, tol, source", [
    # b4, b3, b2, b1, b0 (highest power first)
    (18.0, [0.000707, -0.0130, -0.0190, 1.59, 0.275], 0.7, "Wilks 2005, F = 18"),
    (20.0, [0.000296, -0.00713, -0.0121, 1.45, 0.262], 0.35, "Wilks 2005, F = 20"),
    (20.0, [-0.00235, -0.0136, 1.30, 0.341], 0.3, "Arnold et al. 2013, F = 20"),
], ids=["wilks2005-F18-quartic", "wilks2005-F20-quartic", "arnold2013-F20-cubic"])
def test_wilks_sets_subgrid_polynomial_vs_published(wilks_subgrid, forcing, coefficients, tol, source):
    """The least-squares polynomial of the subgrid tendency U on X (the deterministic part of
    the parameterisation) against the published fits for the same sets: Wilks (2005, QJRMS 131,
    389-407) quartics for F = 18 and F = 20, Arnold, Moroz & Palmer (2013, Phil. Trans. R. Soc. A
    371, 20110479) cubic for F = 20. The coefficients were read from two independent codes that
    quote them (the F = 18 quartic in m2lines/L96_demo, notebooks/gcm-analogue.ipynb; the F = 20
    ones in nansencenter/DAPPER, dapper/mods/LorenzUV/wilks05.py, polynom_prmzt), not from the
    papers' pages. Compared as curves (the coefficients of a least-squares polynomial are
    strongly correlated), by the largest difference over X in [-3, 13] (~1st to ~99th
    percentile); U ranges over about -4..9 there.

    Tolerances, from 8 independent 200 MTU runs of this test's size (measured largest
    differences mean +- sd, max): Arnold cubic 0.07 +- 0.04 (max 0.15); rounding its 3-digit
    coefficients moves the curve by up to 0.09 at X = 13; tol 0.3. Wilks F = 20 quartic 0.13 +-
    0.03 (max 0.17), rounding up to 0.1; tol 0.35. Wilks F = 18 quartic 0.51 +- 0.02 (max 0.55),
    at X ~ 11, beyond our sampling error and the rounding (up to 0.19): a real difference of
    ~6 % of U's range between our fit and the quoted one, unexplained (the F = 20 fits agree);
    tol 0.7 makes it a weak check only: our F = 18 fit lies 0.59 from the F = 20 quartic too, so
    this entry does not tell F = 18 from F = 20. The F = 20 entries do: our F = 18 fit lies 0.59
    and 1.13 from them, our F = 20 fit 0.96 from the F = 18 quartic."""
    x, u = wilks_subgrid(forcing)
    fit = np.polyfit(x, u, len(coefficients) - 1)
    grid = np.linspace(-3.0, 13.0, 65)
    dev = np.abs(np.polyval(fit, grid) - np.polyval(coefficients, grid)).max()
    assert dev < tol, (source, dev, fit)
