"""D_H on known spectra, and the smoothing kernel checked against an explicit convolution."""

import numpy as np
import pytest

from chaos.metrics import hellinger_distance, power_spectrum_distance, smoothed_power_spectrum

T = 4096
t = np.arange(T)


def sine(cycles, phase=0.0, amp=1.0):
    return (amp * np.sin(2 * np.pi * cycles * t / T + phase))[:, None]


def test_different_frequencies_are_far():
    # peaks 300 bins apart, Gaussian smoothing of 20 bins: nearly disjoint supports
    assert power_spectrum_distance(sine(100), sine(400)) > 0.999
    # without smoothing, two pure tones have disjoint spectra: exactly 1
    assert power_spectrum_distance(sine(100), sine(101), sigma=0.0) == pytest.approx(1.0, abs=1e-6)


def test_same_frequency_other_phase_and_amplitude_are_close():
    assert power_spectrum_distance(sine(100), sine(100, phase=1.0, amp=7.0)) < 1e-6
    # non-integer number of cycles: leakage depends on phase, still close
    assert power_spectrum_distance(sine(100.3), sine(100.3, phase=2.0, amp=0.1)) < 0.05


def test_white_noise_against_white_noise_is_small_and_not_against_a_tone():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(T, 2)), rng.normal(size=(T, 2))
    d_noise = power_spectrum_distance(a, b)
    assert d_noise < 0.1
    assert power_spectrum_distance(a, np.hstack([sine(200), sine(300)])) > 5 * d_noise


def test_smoothing_is_a_normalised_gaussian_of_radius_4_sigma_with_mirror_padding():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 2)).cumsum(axis=0)
    sigma = 5.0
    z = (x - x.mean(0)) / x.std(0, ddof=1)
    ps = np.abs(np.fft.rfft(z, axis=0)) ** 2
    r = 20  # 4 sigma; the reference: kernel length 2 * 4 sigma, made odd -> 41
    w = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    w /= w.sum()
    # ImageFiltering's "reflect" does not repeat the edge bin: numpy's pad mode "reflect"
    padded = np.pad(ps, ((r, r), (0, 0)), mode="reflect")
    smooth = np.stack([np.convolve(padded[:, j], w, mode="valid") for j in range(2)], axis=1)
    expected = smooth / smooth.sum(axis=0)
    np.testing.assert_allclose(smoothed_power_spectrum(x, sigma=sigma), expected, rtol=1e-10, atol=1e-15)


def test_spectrum_is_normalised_with_no_mean_component():
    rng = np.random.default_rng(2)
    x = 5.0 + rng.normal(size=(256, 3))
    ps = smoothed_power_spectrum(x, sigma=0.0)
    assert ps.shape == (129, 3)
    np.testing.assert_allclose(ps.sum(axis=0), 1.0)
    np.testing.assert_allclose(ps[0], 0.0, atol=1e-25)


def test_hellinger_distance_values():
    p = np.array([0.5, 0.5, 0.0])
    assert hellinger_distance(p, p) == 0.0
    assert hellinger_distance(p, np.array([0.0, 0.0, 1.0])) == pytest.approx(1.0)
    q = np.array([0.25, 0.75, 0.0])
    expected = np.sqrt(0.5 * ((np.sqrt(0.5) - 0.5) ** 2 + (np.sqrt(0.5) - np.sqrt(0.75)) ** 2))
    assert hellinger_distance(p, q) == pytest.approx(expected)


def test_average_over_dimensions_and_constant_generated_coordinate():
    two = np.hstack([sine(100), sine(400)])
    swapped = np.hstack([sine(100), sine(100)])
    assert power_spectrum_distance(two, swapped) == pytest.approx(0.5 * power_spectrum_distance(sine(400), sine(100)))
    collapsed = np.hstack([sine(100), np.full((T, 1), 3.0)])
    assert power_spectrum_distance(two, collapsed) == pytest.approx(0.5, abs=1e-6)


@pytest.mark.parametrize(
    "true, gen, match",
    [
        (np.ones((100, 1)), sine(3)[:100], r"true\[:, 0\] is constant"),
        (sine(3), sine(3)[:100], "shape .* but generated has shape"),
        (sine(3), np.full((T, 1), np.inf), "non-finite"),
    ],
)
def test_bad_input(true, gen, match):
    with pytest.raises(ValueError, match=match):
        power_spectrum_distance(true, gen)
