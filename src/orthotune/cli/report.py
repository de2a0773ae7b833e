"""``orthotune report RUN_DIR|--study NAME [--storage URL]``: the self-contained HTML report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from orthotune.cli._common import DebugFlag, JsonFlag, SeedOpt, emit


def report(
    run_dir: Annotated[
        Path | None,
        typer.Argument(
            help="A run folder written by train or tune; the report goes to RUN_DIR/report.html.",
            show_default=False,
        ),
    ] = None,
    study: Annotated[
        str | None,
        typer.Option("--study", help="Report on one Optuna study instead of a run folder."),
    ] = None,
    storage: Annotated[
        str | None,
        typer.Option(
            "--storage",
            help="Optuna storage URL of --study (default: sqlite:///study.db in this folder).",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Where to write the HTML (default: RUN_DIR/report.html, or for --study "
            "report-STUDY.html here; a study shared by workers: their RUN_DIR/report.html, "
            "beside its study.json).",
        ),
    ] = None,
    as_json: JsonFlag = False,
    seed: SeedOpt = 0,
    debug: DebugFlag = False,
) -> None:
    """Render the HTML report of a run folder (or of one study): figures embedded, offline."""
    from orthotune._errors import InvalidInputError
    from orthotune.report import (
        ReportResult,
        read_run_folder,
        study_report_info,
        write_report,
    )
    from orthotune.search import (
        is_server_url,
        open_storage,
        redact,
        sqlite_file,
        study_record,
        write_study_record,
    )

    if run_dir is not None and study is not None:
        raise InvalidInputError(
            f"both RUN_DIR {str(run_dir)!r} and --study {study!r} were given: give one of them"
        )
    if run_dir is None and study is None:
        raise InvalidInputError(
            "no RUN_DIR and no --study given: give a run folder (orthotune report RUN_DIR) "
            "or a study (orthotune report --study NAME --storage URL)"
        )
    if storage is not None and study is None:
        raise InvalidInputError(
            f"--storage {storage!r} needs --study NAME: give the study to report on"
        )
    if run_dir is not None:
        info = read_run_folder(run_dir)
        target = out if out is not None else run_dir / "report.html"
    else:
        assert study is not None
        url = storage or "sqlite:///study.db"
        file = sqlite_file(url)
        if file is not None and not file.is_file():
            raise InvalidInputError(
                f"--storage {url!r} names no existing SQLite file: give the study's storage URL, "
                "e.g. --storage sqlite:///RUN_DIR/study.db"
            )
        store, workers = url, None
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in study)
        target = out if out is not None else Path(f"report-{safe}.html")
        if is_server_url(url):  # a study shared by workers: its record, in their RUN_DIR
            store = open_storage(url)  # psycopg 3, retried through outages
            workers = study_record(load_study(store, study), storage=url)
            if workers.run_dir is not None:
                write_study_record(workers.run_dir, workers)
                target = out if out is not None else Path(workers.run_dir) / "report.html"
        info = study_report_info(store, study, workers, source=redact(url))
    path = write_report(info, target)
    result = ReportResult(
        path=str(path), source=info.source, sections=info.section_ids(), notes=info.notes
    )
    emit(result, as_json=as_json, render=_render)


def _render(result: object) -> None:
    from rich.markup import escape

    from orthotune.cli._render import console as _console

    console = _console(markup=True, highlight=True)
    path, sections = escape(result.path), ", ".join(result.sections) or "none"  # type: ignore[attr-defined]
    console.print(f"Report written to [bold]{path}[/bold]", highlight=False)
    console.print(f"Sections: {sections}", highlight=False, markup=False)
    for note in result.notes:  # type: ignore[attr-defined]
        console.print(f"[yellow]note:[/yellow] {escape(note)}", highlight=False)


def load_study(storage: object, name: str):  # -> optuna.Study (imported lazily)
    """The study ``name`` in an opened ``storage``, refused in one line when absent."""
    import optuna

    from orthotune._errors import InvalidInputError

    try:
        return optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        raise InvalidInputError(
            f"--study {name!r} is not in the storage: accepted is the name given to tune "
            "--study; fix: check the name (optuna-dashboard lists the studies)"
        ) from None
