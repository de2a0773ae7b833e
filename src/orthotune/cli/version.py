"""``orthotune version``: the versions a bug report needs."""

from __future__ import annotations

import json
import platform
from importlib import metadata

from orthotune.cli._common import JsonFlag

_PACKAGES = ("orthotune", "torch", "optuna", "numpy", "pandas", "scikit-learn", "cleanlab")


def version(as_json: JsonFlag = False) -> None:
    """Show the versions of orthotune, Python and the main dependencies."""
    found = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    if as_json:
        print(json.dumps(found, indent=2))
    else:
        print("  ".join(f"{k} {v}" for k, v in found.items()))
