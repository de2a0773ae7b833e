"""Builds the typer app from the command modules (one module per command)."""

from __future__ import annotations

import importlib

import typer

# (group, command name, module, function). A group ("data") nests the command under it.
COMMANDS: list[tuple[str | None, str, str, str]] = [
    # (group, name, module, function)
    (None, "tune", "orthotune.cli.tune", "tune"),
    (None, "version", "orthotune.cli.version", "version"),
    (None, "report", "orthotune.cli.report", "report"),
    ("data", "inspect", "orthotune.cli.data_inspect", "inspect"),
    (None, "evaluate", "orthotune.cli.evaluate", "evaluate"),
    (None, "diagnose", "orthotune.cli.diagnose", "diagnose"),
    (None, "compare", "orthotune.cli.compare", "compare"),
    (None, "train", "orthotune.cli.train", "train"),
    (None, "predict", "orthotune.cli.predict", "predict"),
    (None, "errors", "orthotune.cli.errors", "errors"),
    (None, "clean", "orthotune.cli.clean", "clean"),
    (None, "learning-curve", "orthotune.cli.learning_curve", "learning_curve"),
]


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="orthotune",
        help=(
            "Measure train / train-dev / dev / test error against human-level error, "
            "decompose it into avoidable bias, variance, data mismatch and dev overfitting, "
            "and turn one orthogonal knob at a time."
        ),
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    @app.callback()
    def _root() -> None:
        """Keep the app a group of commands even while it has only one."""

    groups: dict[str, typer.Typer] = {}
    for group, name, module, function in COMMANDS:
        fn = getattr(importlib.import_module(module), function)
        target = app
        if group is not None:
            if group not in groups:
                groups[group] = typer.Typer(no_args_is_help=True, help=f"{group} commands")
                app.add_typer(groups[group], name=group)
            target = groups[group]
        target.command(name)(fn)
    return app
