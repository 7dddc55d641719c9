"""Shared fixtures for the psychometric engine tests (pure NumPy, no database)."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def items3() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A small 3PL fixture shared with the cross-checks against catsim and mirt."""
    return np.array([1.0, 1.5, 0.8]), np.array([0.0, 1.0, -1.0]), np.array([0.0, 0.2, 0.1])


@pytest.fixture
def items2pl() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(42)
    return np.exp(rng.normal(0.3, 0.3, 12)), rng.normal(0.0, 1.0, 12)
