"""Stopping rules.  The written test uses a fixed length per skill (10 scored items).

The rule is kept separate so that a variable-length rule (e.g. stop once
``SE <= target`` or once one band's probability exceeds a threshold) can be added
without touching selection.
"""

from __future__ import annotations

from collections.abc import Sequence


def fixed_length_done(scored: Sequence[bool], test_length: int) -> bool:
    """True once ``test_length`` scored (operational) items have been answered."""
    return sum(bool(s) for s in scored) >= test_length
