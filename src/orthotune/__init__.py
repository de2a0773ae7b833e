"""orthotune — measure a classifier's error against human-level error and turn one orthogonal
knob at a time (the lecture "Performance of DNN", made into a tool).

Importing the package is cheap: heavy dependencies (torch, optuna, matplotlib) are imported by
the subpackages that need them.
"""

from orthotune._errors import InvalidInputError
from orthotune._rates import parse_rate

__version__ = "0.1.0"
__all__ = ["InvalidInputError", "__version__", "parse_rate"]
