"""The disclosure audit's SVD and its fallback give the same row space.

NumPy's gesdd failed to converge once on the 12,000-person demo (``LinAlgError: SVD did not converge``,
the load stopped); ``disclosure.svd`` then falls back to gesvd. Both drivers must agree on what the
visible cells determine, so the audit's verdict does not depend on which one ran.
"""

from __future__ import annotations

import numpy as np

from pipelines import disclosure


def _row_space(matrix: np.ndarray, factors: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    _, s, vt = factors
    keep = s > disclosure.TOL * max(1.0, s.max())
    return vt[keep].T @ vt[keep]  # projector onto the row space


def test_the_fallback_spans_the_same_row_space() -> None:
    rng = np.random.default_rng(3)
    # sums of counts like the audit's forms: 0/1 rows over 60 unknowns, with dependent rows (rank < rows)
    base = (rng.random((40, 60)) < 0.1).astype(float)
    matrix = np.vstack([base, base[:10] + base[10:20], base[:5] - base[5:10]])
    fast, robust = disclosure.svd(matrix), disclosure.svd_robust(matrix)
    assert np.allclose(_row_space(matrix, fast), _row_space(matrix, robust), atol=1e-9)
    rank = np.linalg.matrix_rank(matrix)
    singular = robust[1]
    assert int((singular > disclosure.TOL * singular.max()).sum()) == rank
    u, s, vt = robust
    assert np.allclose(u @ np.diag(s) @ vt, matrix, atol=1e-9)
