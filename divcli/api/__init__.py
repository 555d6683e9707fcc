"""The Python API: the commands' numbers as functions, a module a concern (:mod:`divcli` names them).

- :mod:`.divergences`: kl, ce and entropy (``kl_divergence``, ``cross_entropy``, ``entropy``);
- :mod:`.measure_sets`: js, compare and matrix (``js_divergence``, ``compare``, ``divergence_matrix``);
- :mod:`.models`: distill and lm (``distillation_loss``, ``lm_report``);
- :mod:`.information`: mi (``mutual_information``);
- :mod:`.samples`: drift (``drift``);
- :mod:`.operands`: the arguments read as the command line reads its operands (files, literals,
  arrays; ``select`` and ``drop``).
"""

from __future__ import annotations

from .divergences import cross_entropy, entropy, kl_divergence
from .information import mutual_information
from .measure_sets import compare, divergence_matrix, js_divergence
from .models import distillation_loss, lm_report
from .samples import drift

__all__ = ["kl_divergence", "cross_entropy", "entropy", "js_divergence", "compare", "divergence_matrix",
           "distillation_loss", "lm_report", "mutual_information", "drift"]
