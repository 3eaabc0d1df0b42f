import numpy as np
import pytest

from began.metrics.fid import (
    feature_stats,
    fid_from_features,
    frechet_distance,
    trace_sqrt_product,
)

scipy_linalg = pytest.importorskip("scipy.linalg")


def _reference_fid(mu1, s1, mu2, s2):
    """The textbook formula with SciPy's general matrix square root (test-only dependency)."""
    root = scipy_linalg.sqrtm(s1 @ s2)
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(root).real)


def _random_psd(rng, dim, rank=None):
    a = rng.normal(size=(dim, rank or dim))
    return a @ a.T / dim


def test_stats_match_numpy():
    x = np.random.default_rng(0).normal(size=(50, 6)).astype(np.float32)
    mu, sigma = feature_stats(x)
    np.testing.assert_allclose(mu, x.astype(np.float64).mean(0), rtol=1e-12)
    np.testing.assert_allclose(sigma, np.cov(x.astype(np.float64), rowvar=False), rtol=1e-10)


@pytest.mark.parametrize("n", [300, 20])  # 20 < 64: a singular covariance, as with few images
def test_fid_of_a_set_against_itself_is_zero(n):
    x = np.random.default_rng(1).normal(size=(n, 64)).astype(np.float32) * 3 + 1
    assert fid_from_features(x, x) == pytest.approx(0.0, abs=1e-6)
    _, sigma = feature_stats(x)
    assert trace_sqrt_product(sigma, sigma) == pytest.approx(np.trace(sigma), rel=1e-9)


def test_hand_checked_diagonal_gaussians():
    # Commuting covariances: FID = |mu1 - mu2|^2 + sum (sqrt(a_i) - sqrt(b_i))^2
    #                            = (1 + 4) + ((1 - 2)^2 + (2 - 3)^2) = 7.
    mu1, mu2 = np.zeros(2), np.array([1.0, 2.0])
    s1, s2 = np.diag([1.0, 4.0]), np.diag([4.0, 9.0])
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(7.0, abs=1e-12)
    assert _reference_fid(mu1, s1, mu2, s2) == pytest.approx(7.0, abs=1e-9)


@pytest.mark.parametrize("dim", [8, 32])
def test_trace_sqrt_matches_scipy(dim):
    rng = np.random.default_rng(dim)
    s1, s2 = _random_psd(rng, dim), _random_psd(rng, dim)
    expected = np.trace(scipy_linalg.sqrtm(s1 @ s2)).real
    assert trace_sqrt_product(s1, s2) == pytest.approx(expected, rel=1e-10)


def test_trace_sqrt_of_a_singular_product():
    # With s1 = A A^T of rank 10, tr sqrt(s1 s2) = tr sqrt(A^T s2 A), a well-conditioned 10x10
    # problem. SciPy's sqrtm of the singular 32x32 product is off by about 2e-8 here; ours is
    # exact to rounding.
    rng = np.random.default_rng(5)
    a = rng.normal(size=(32, 10)) / np.sqrt(32)
    s1, s2 = a @ a.T, _random_psd(rng, 32)
    exact = np.sqrt(np.linalg.eigvalsh(a.T @ s2 @ a)).sum()
    assert trace_sqrt_product(s1, s2) == pytest.approx(exact, rel=1e-12)
    assert np.trace(scipy_linalg.sqrtm(s1 @ s2)).real == pytest.approx(exact, rel=1e-6)


def test_fid_of_sampled_gaussians_matches_scipy():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(400, 16)) @ rng.normal(size=(16, 16))
    b = rng.normal(size=(400, 16)) @ rng.normal(size=(16, 16)) + 0.5
    mu1, s1 = feature_stats(a)
    mu2, s2 = feature_stats(b)
    expected = _reference_fid(mu1, s1, mu2, s2)
    assert fid_from_features(a, b) == pytest.approx(expected, rel=1e-8)
    assert fid_from_features(b, a) == pytest.approx(expected, rel=1e-8)  # symmetric


def test_tiny_negative_eigenvalues_give_a_finite_result():
    rng = np.random.default_rng(4)
    s = _random_psd(rng, 20, rank=3)
    s -= 1e-12 * np.eye(20)  # rounding-level negative eigenvalues
    value = trace_sqrt_product(s, s)
    assert np.isfinite(value) and value == pytest.approx(np.trace(s), rel=1e-6)


def test_shape_mismatch_is_refused():
    with pytest.raises(ValueError, match="shapes differ"):
        frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))
    with pytest.raises(ValueError, match="N >= 2"):
        feature_stats(np.zeros((1, 4)))
