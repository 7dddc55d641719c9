"""LangCert psychometric engine: IRT models, adaptive selection, scoring, calibration.

Pure Python + NumPy; imports no Django.  One module per concept:

* :mod:`.models` -- 1PL/2PL/3PL and GPCM probabilities and information.
* :mod:`.estimation` -- EAP (default), MAP, MLE, WLE with standard errors.
* :mod:`.bank` -- :class:`SkillPool`, the arrays of one skill's items.
* :mod:`.selection` -- maximum information, randomesque, Sympson-Hetter, content
  constraints; :func:`next_item` and :class:`CatState` for the web flow.
* :mod:`.lookahead` -- expected loss of band classification after the next answer
  (the Bayesian lookahead selection, ``CatConfig.lookahead``; ranked by expected gain
  minus an exposure price in the simulated shipped design).
* :mod:`.exposure` -- conditional Sympson-Hetter parameters and exposure prices by
  simulation.
* :mod:`.stopping` -- the fixed-length rule.
* :mod:`.classification` -- CEFR bands, band probabilities, :func:`skill_result`.
* :mod:`.prior` -- correlated priors and subscore augmentation across skills.
* :mod:`.calibration` -- MML-EM for 2PL/3PL/GPCM, fixed-item calibration, item fit.
* :mod:`.simulation` and :mod:`.cli` -- ``python -m langcert.psychometrics``.
"""

from .bank import SkillPool, make_pool
from .calibration import CalibrationResult, calibrate
from .classification import CEFR_LABELS, SkillResult, band_probabilities, skill_result
from .estimation import Estimate, eap, estimate_all, map_estimate, mle, wle
from .prior import conditional_prior, gaussian_message
from .selection import CatConfig, CatState, estimate_state, log_lik_grid, next_item, select_items

__all__ = [
    "CEFR_LABELS",
    "CalibrationResult",
    "CatConfig",
    "CatState",
    "Estimate",
    "SkillPool",
    "SkillResult",
    "band_probabilities",
    "calibrate",
    "conditional_prior",
    "eap",
    "estimate_all",
    "estimate_state",
    "gaussian_message",
    "log_lik_grid",
    "make_pool",
    "map_estimate",
    "mle",
    "next_item",
    "select_items",
    "skill_result",
    "wle",
]
