"""Turning raw retrieval scores into a confidence in [0, 1].

A logistic curve over the best blended score and its margin over the runner-up. The
coefficients were fitted on in-scope versus out-of-scope development queries (see
docs/assistant.md); they are deliberately few so they carry across knowledge bases.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Calibration:
    center: float = 0.72
    slope: float = 25.0
    margin_weight: float = 20.0

    def confidence(self, best: float, runner_up: float) -> float:
        """Probability-like confidence that the best candidate is the right one."""
        margin = max(0.0, best - runner_up)
        z = self.slope * (best - self.center) + self.margin_weight * margin
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))
