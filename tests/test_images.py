"""The image layout and the flip augmentation that lives beside it."""
import numpy as np

from mlp_helpers.data.images import colour_statistics, flip_half


def coded_images(n):
    """Rows whose every pixel says where it is: value = 1e4 * image + 1e3 * channel + 32 * row + col
    (exact in float32), so no image is its own mirror and any mix-up shows."""
    i, c, r, col = np.meshgrid(np.arange(n), np.arange(3), np.arange(32), np.arange(32), indexing="ij")
    return (1e4 * i + 1e3 * c + 32 * r + col).reshape(n, 3072).astype(np.float32)


def test_flip_half_mirrors_exactly_the_picked_images():
    original = coded_images(16)
    xb = original.copy()
    flip_half(xb, np.random.default_rng(0))
    mirrored = original.reshape(16, 3, 32, 32)[..., ::-1].reshape(16, 3072)
    flipped = np.array([np.array_equal(xb[k], mirrored[k]) for k in range(16)])
    kept = np.array([np.array_equal(xb[k], original[k]) for k in range(16)])
    assert np.all(flipped ^ kept)                  # each image is either mirrored or untouched
    assert 0 < flipped.sum() < 16                  # a random part of the batch (2^-15 odds otherwise)
    # The mirror is left-right within each colour plane: pixel (c, r, col) <- (c, r, 31 - col).
    k = int(np.argmax(flipped))
    planes = xb[k].reshape(3, 32, 32)
    assert planes[2, 5, 0] == 1e4 * k + 2e3 + 32 * 5 + 31


def test_flip_half_twice_with_the_same_draw_is_identity():
    original = coded_images(10)
    xb = original.copy()
    flip_half(xb, np.random.default_rng(7))
    assert not np.array_equal(xb, original)
    flip_half(xb, np.random.default_rng(7))
    np.testing.assert_array_equal(xb, original)


def test_colour_statistics_are_the_per_plane_means_and_stds():
    rng = np.random.default_rng(0)
    rows = rng.integers(0, 256, size=(5, 3072)).astype(np.uint8)
    stats = colour_statistics(rows)
    assert stats.shape == (5, 6) and stats.dtype == np.float32
    for c in range(3):
        plane = rows[:, 1024 * c:1024 * (c + 1)].astype(np.float64)
        np.testing.assert_allclose(stats[:, c], plane.mean(axis=1), rtol=1e-5)
        np.testing.assert_allclose(stats[:, 3 + c], plane.std(axis=1), rtol=1e-5)
