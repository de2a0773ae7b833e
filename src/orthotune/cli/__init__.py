"""The ``orthotune`` command line: typer app, one module per command.

The CLI renders results; it computes nothing itself. Command modules import only typer at
module level (torch, optuna and friends are imported inside the command body), so
``orthotune --help`` stays instant.
"""

from orthotune.cli._main import main

__all__ = ["main"]
