"""matplotlib figures of the report's sections, returned as ``data:`` URIs (no file, no network).

Each function takes one section object of ``_sections`` and returns an SVG data URI (text kept
as paths, so the page needs no fonts and user strings cannot become markup). The only numbers
computed here are for display: the exponentially weighted average of a curve with its bias
correction (the lecture's v_t = β·v_{t−1} + (1−β)·θ_t, shown as v_t / (1 − β^t)) and the
best-so-far line of the search.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence
from typing import Any

from orthotune.analysis import DeletionTest, SaliencyReport
from orthotune.metrics import ReliabilityBin, TemperatureScaling
from orthotune.report._sections import (
    DEV_SERIES,
    ConfusionInfo,
    Curve,
    CurvesInfo,
    LadderInfo,
    StudyInfo,
)

__all__ = [
    "EWA_BETA",
    "confusion_figure",
    "curve_figure",
    "deletion_figure",
    "ewa",
    "ewa_beta",
    "importance_figure",
    "ladder_figure",
    "more_data_figure",
    "pareto_figure",
    "progress_figure",
    "reliability_figure",
    "saliency_figure",
    "schedule_figure",
    "trials_figure",
]

EWA_BETA = 0.9  # the lecture's β (≈ 10 points of memory), for curves of 60 epochs and more
PALETTE = ("#1f6feb", "#d1495b", "#2a9d8f", "#e9a23b", "#7a5195", "#6c757d")
LEVEL_COLOURS = {
    "bayes_error": "#9aa5b1",
    "human_error": "#6c757d",
    "train_error": "#1f6feb",
    "train_dev_error": "#7a5195",
    "dev_error": "#e9a23b",
    "test_error": "#2a9d8f",
}
STYLE = {
    "svg.fonttype": "path",
    "svg.hashsalt": "orthotune",
    "text.parse_math": False,  # a class named "$x$" stays text, an odd "$" cannot break a plot
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    "figure.dpi": 100,
}


def ewa_beta(n_points: int) -> float:
    """β for a curve of ``n_points`` epochs: about n/6 points of memory, between 0.5 and the
    lecture's 0.9, so a short curve is smoothed without lagging behind its own points."""
    return min(EWA_BETA, max(0.5, 1 - 6 / max(n_points, 1)))


def ewa(values: Sequence[float | None], *, beta: float = EWA_BETA) -> list[float | None]:
    """Bias-corrected exponentially weighted average; missing points keep the running state."""
    out: list[float | None] = []
    v, t = 0.0, 0
    for value in values:
        if value is None:
            out.append(None)
            continue
        t += 1
        v = beta * v + (1 - beta) * value
        out.append(v / (1 - beta**t))
    return out


def _figure(width: float, height: float, **kwargs: Any) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(width, height), **kwargs)


def _uri(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _style() -> Any:
    import matplotlib

    return matplotlib.rc_context(STYLE)


def _pct(value: float) -> str:
    return f"{100 * value:.2f} %"


def _points(xs: Sequence[float], ys: Sequence[float | None]) -> tuple[list[float], list[float]]:
    pairs = [(x, y) for x, y in zip(xs, ys, strict=False) if y is not None]
    return [p[0] for p in pairs], [p[1] for p in pairs]


# ----------------------------------------------------------------------------- error ladder
def ladder_figure(ladder: LadderInfo) -> str:
    """Bars for human-level / Bayes, train, train-dev, dev and test error with 95 % intervals;
    each gap drawn as a bracket between its two bars and labelled with its name and size."""
    with _style():
        fig, ax = _figure(7.6, 3.9)
        keys = [key for key, _, _ in ladder.levels]
        xs = list(range(len(keys)))
        values = [e.value for _, _, e in ladder.levels]
        # clipped at 0: an interval read from a file may miss its own value by a rounding error
        lows = [
            max(e.value - e.low, 0.0) if e.low is not None else 0.0 for _, _, e in ladder.levels
        ]
        highs = [
            max(e.high - e.value, 0.0) if e.high is not None else 0.0 for _, _, e in ladder.levels
        ]
        colours = [LEVEL_COLOURS.get(k, PALETTE[0]) for k in keys]
        ax.bar(xs, values, width=0.55, color=colours, alpha=0.9, zorder=2)
        if any(lows) or any(highs):
            ax.errorbar(
                xs,
                values,
                yerr=[lows, highs],
                fmt="none",
                ecolor="#222",
                capsize=4,
                lw=1,
                zorder=3,
            )
        tops = [v + h for v, h in zip(values, highs, strict=True)]
        top = max(tops) or 0.01
        # Each level's value sits inside its bar's foot, so gap labels above never hide it.
        for x, value in zip(xs, values, strict=True):
            inside = value >= top * 0.12
            ax.text(
                x,
                value / 2 if inside else value + top * 0.02,
                _pct(value),
                ha="center",
                va="center" if inside else "bottom",
                fontsize=8.5,
                fontweight="bold",
                color="white" if inside else "#222",
                zorder=4,
            )
        # Gaps: a vertical arrow between the two bars, from the lower level to the upper one,
        # labelled above the taller of the two bars' interval tops.
        position = {key: i for i, key in enumerate(keys)}
        by_key = {key: e for key, _, e in ladder.levels}
        label_top = top
        for gap in ladder.gaps:
            i, j = position[gap.lower], position[gap.upper]
            x = (i + j) / 2
            y0, y1 = by_key[gap.lower].value, by_key[gap.upper].value
            high = gap.estimate.is_high
            if gap.estimate.unresolved:  # the interval leaves it open: not "not high"
                high = None
            colour = "#c62828" if high else ("#2e7d32" if high is False else "#444")
            ax.annotate(
                "",
                xy=(x, y1),
                xytext=(x, y0),
                arrowprops={
                    "arrowstyle": "<->",
                    "color": colour,
                    "lw": 1.3,
                    "shrinkA": 0,
                    "shrinkB": 0,
                },
                zorder=4,
            )
            text = f"{gap.label}\n{_pct(gap.estimate.value)}"
            if gap.estimate.low is not None and gap.estimate.high is not None:
                text += f"\n[{_pct(gap.estimate.low)}, {_pct(gap.estimate.high)}]"
            y_text = max(tops[i], tops[j], max(y0, y1)) + top * 0.06
            label_top = max(label_top, y_text + top * 0.3)
            ax.text(
                x,
                y_text,
                text,
                ha="center",
                va="bottom",
                fontsize=7.5,
                color=colour,
                zorder=5,
                bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": colour, "lw": 0.6},
            )
        ax.set_xticks(xs, [label for _, label, _ in ladder.levels])
        ax.set_ylabel("error")
        ax.set_ylim(0, max(top * 1.15, label_top))
        ax.yaxis.set_major_formatter(_percent_formatter())
        ax.grid(axis="x", visible=False)
        ax.set_axisbelow(True)
        return _uri(fig)


def _percent_formatter() -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda y, _: f"{100 * y:.3g} %")


# ----------------------------------------------------------------------------- curves
def curve_figure(curve: Curve, *, beta: float | None = None) -> str:
    """Loss and error per epoch, train and dev: raw (thin) and EWA-smoothed (thick)."""
    panels = [
        (title, [(k, lbl) for k, lbl in pairs if curve.has(k)])
        for title, pairs in (
            ("loss", (("train_loss", "train"), ("dev_loss", "dev"))),
            ("error", (("train_error", "train"), ("dev_error", "dev"))),
        )
    ]
    panels = [p for p in panels if p[1]]
    beta = ewa_beta(len(curve.epochs)) if beta is None else beta
    if not panels:
        panels = [
            (
                "accuracy",
                [(k, k.split("_")[0]) for k in ("train_accuracy", "dev_accuracy") if curve.has(k)],
            )
        ]
    with _style():
        fig, axes = _figure(3.9 * len(panels), 3.0, ncols=len(panels), squeeze=False)
        for ax, (title, pairs) in zip(axes[0], panels, strict=True):
            for n, (key, label) in enumerate(pairs):
                colour = PALETTE[n]
                xs, ys = _points(curve.epochs, curve.series[key])
                ax.plot(xs, ys, color=colour, lw=0.9, alpha=0.35, marker="o", ms=2.2)
                sx, sy = _points(curve.epochs, ewa(curve.series[key], beta=beta))
                ax.plot(sx, sy, color=colour, lw=2.0, label=f"{label} (EWA)")
            ax.set_title(title)
            ax.set_xlabel("epoch")
            if title == "error":
                ax.yaxis.set_major_formatter(_percent_formatter())
            ax.legend(fontsize=8)
        fig.tight_layout()
        return _uri(fig)


def trials_figure(curves: CurvesInfo, *, beta: float | None = None) -> str:
    """Dev curves of the best few other models, and the best trials' reported values."""
    groups = []
    if curves.others:
        groups.append(("other kept models: dev", curves.others, None))
    if curves.trials:
        groups.append((f"best trials: {curves.trial_metric} per epoch", curves.trials, "value"))
    with _style():
        fig, axes = _figure(3.9 * len(groups), 3.0, ncols=len(groups), squeeze=False)
        for ax, (title, group, fixed) in zip(axes[0], groups, strict=True):
            shown = curves.trial_metric if fixed else None
            for n, curve in enumerate(group):
                key = fixed or next((k for k in DEV_SERIES if curve.has(k)), None)
                if key is None:
                    continue
                shown = shown or key
                colour = PALETTE[n % len(PALETTE)]
                xs, ys = _points(curve.epochs, curve.series[key])
                ax.plot(xs, ys, color=colour, lw=0.9, alpha=0.35)
                b = ewa_beta(len(curve.epochs)) if beta is None else beta
                sx, sy = _points(curve.epochs, ewa(curve.series[key], beta=b))
                label = curve.name if fixed else f"{curve.name} ({key.replace('_', ' ')})"
                ax.plot(sx, sy, color=colour, lw=1.8, label=label)
            ax.set_title(title)
            ax.set_xlabel("epoch")
            if shown:  # an error or accuracy in %, as everywhere else in the report
                ax.set_ylabel(shown.replace("_", " "))
                if "error" in shown or "accuracy" in shown:
                    ax.yaxis.set_major_formatter(_percent_formatter())
            ax.legend(fontsize=7.5)
        fig.tight_layout()
        return _uri(fig)


def _log_axis(axis: Any, set_scale: Any) -> None:
    """A log scale whose ticks read as plain numbers (mathtext is off, so matplotlib's
    default ``$10^{-3}$`` labels would show as raw text)."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    set_scale("log")
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


def schedule_figure(curve: Curve) -> str:
    """The learning rate the chosen model used per epoch (log scale when it spans a decade)."""
    with _style():
        fig, ax = _figure(5.2, 2.6)
        xs, ys = _points(curve.epochs, curve.series["lr"])
        ax.plot(xs, ys, color=PALETTE[0], lw=1.8, marker="o", ms=2.5)
        positive = [y for y in ys if y > 0]
        if positive and max(positive) / min(positive) >= 10:
            _log_axis(ax.yaxis, ax.set_yscale)
        ax.set_xlabel("epoch")
        ax.set_ylabel("learning rate α")
        return _uri(fig)


# ----------------------------------------------------------------------------- more data
def more_data_figure(curve: Any) -> str:
    """A ``LearningCurve``: dev error (95 % intervals) and train error against the training
    examples (log₂ axis), the fitted power law continued to twice the data (dashed), the
    expected error there with its interval, and the fit's floor c (dotted)."""
    import numpy as np

    with _style():
        fig, ax = _figure(5.6, 3.0)
        ns = [p.train_examples for p in curve.points]
        dev = [p.dev_error for p in curve.points]
        below = [(p.dev_error - p.dev_low) for p in curve.points]
        above = [(p.dev_high - p.dev_error) for p in curve.points]
        ax.errorbar(
            ns, dev, yerr=[below, above], color=PALETTE[1], marker="o", ms=4, lw=0,
            elinewidth=1.2, capsize=3, label="dev error (95 %)",
        )  # fmt: skip
        train = [p.train_error for p in curve.points]
        ax.plot(ns, train, color=PALETTE[0], marker="s", ms=3, lw=1, label="train error")
        m = ns[-1]
        if curve.fit is not None:
            seen = np.geomspace(ns[0], m, 60)
            ahead = np.geomspace(m, 2 * m, 20)
            ax.plot(seen, curve.fit.predict(seen), color=PALETTE[3], lw=1.5, label="fit")
            ax.plot(ahead, curve.fit.predict(ahead), color=PALETTE[3], lw=1.5, ls="--")
            ax.axhline(curve.fit.c, color=PALETTE[5], lw=0.8, ls=":", label="fit's floor c")
        if curve.error_doubled is not None:
            low = curve.doubled_low if curve.doubled_low is not None else curve.error_doubled
            high = curve.doubled_high if curve.doubled_high is not None else curve.error_doubled
            ax.errorbar(
                [2 * m], [curve.error_doubled],
                yerr=[[(curve.error_doubled - low)], [(high - curve.error_doubled)]],
                color=PALETTE[2], marker="D", ms=5, capsize=3, label="twice the data (expected)",
            )  # fmt: skip
        ax.set_xscale("log", base=2)
        ax.set_xticks([*ns, 2 * m])
        ax.set_xticklabels([f"{n:,}" for n in [*ns, 2 * m]])
        ax.yaxis.set_major_formatter(_percent_formatter())
        ax.set_xlabel("training examples")
        ax.set_ylabel("error")
        ax.set_ylim(bottom=0)
        ax.legend(fontsize=7, frameon=False)
        return _uri(fig)


# ----------------------------------------------------------------------------- confusion
TICKED_CLASSES = 60  # above this many classes the confusion figure names none on its axes


def confusion_figure(confusion: ConfusionInfo) -> str:
    """Heatmap of counts (rows: true class, columns: predicted), colour by row share."""
    import numpy as np

    matrix = np.asarray(confusion.matrix, dtype=float)
    k = matrix.shape[0]
    totals = matrix.sum(axis=1, keepdims=True)
    share = np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)
    names = _tick_names(confusion.class_names)
    size = min(9.0, max(3.6, 0.42 * k + 1.8))
    with _style():
        fig, ax = _figure(size + 0.9, size)
        image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
        ax.grid(False)
        if k <= 20:
            for i in range(k):
                for j in range(k):
                    count = matrix[i, j]
                    text = f"{count:.0f}" if count == int(count) else f"{count:.1f}"
                    ax.text(
                        j,
                        i,
                        text,
                        ha="center",
                        va="center",
                        fontsize=7.5 if k > 10 else 8.5,
                        color="white" if share[i, j] > 0.55 else "#222",
                    )
        ticks = list(range(k))
        if k > TICKED_CLASSES:  # 1,000 names on a 9-inch axis were one black smear
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_xlabel(f"predicted class ({k} classes, in the table's order)")
            ax.set_ylabel(f"true class ({k} classes)")
        else:
            slant = k > 4 or sum(map(len, names)) > 30  # three long names ran into each other
            ax.set_xticks(
                ticks, names, rotation=45 if slant else 0, ha="right" if slant else "center"
            )
            ax.set_yticks(ticks, names)
            ax.set_xlabel("predicted class")
            ax.set_ylabel("true class")
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of the true class")
        return _uri(fig)


def _short(name: str, width: int = 18) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def _shared(names: Sequence[str]) -> int:
    """How many leading characters every name shares."""
    first = min(names, key=len, default="")
    return next((i for i, c in enumerate(first) if any(n[i] != c for n in names)), len(first))


def _middle(name: str, start: int, end: int, width: int) -> str:
    """``name`` without the ``start`` and ``end`` characters every name shares, marked "…"."""
    middle = name[start : len(name) - end] or name
    cut = len(middle) > width
    kept = middle[: width - 1] if cut else middle
    return ("…" if start else "") + kept + ("…" if cut or end else "")


def _tick_names(names: Sequence[str], width: int = 18) -> list[str]:
    """Class names short enough for a tick, and told apart: names that share their first
    ``width`` characters ("customer churned within 30 days" / "… 90 days") keep their start
    and their end; names alike even so are numbered."""
    short = [_short(n, width) for n in names]
    if len(set(short)) < len(short):
        head, tail = width // 2 - 1, width // 2
        short = [n if len(n) <= width else f"{n[:head]}…{n[-tail:]}" for n in names]
    if len(set(short)) < len(short):  # alike at both ends: the part that differs
        start, end = _shared(names), _shared([n[::-1] for n in names])
        short = [_middle(n, start, end, width) for n in names]
    if len(set(short)) < len(short):
        short = [f"{i}: {n}" for i, n in enumerate(short)]
    return short


# ----------------------------------------------------------------------------- search
def progress_figure(study: StudyInfo) -> str:
    """Every complete trial's first objective against the time it finished, and the best so far
    among trials that met the satisficing constraints."""
    maximize = study.directions[0] == "maximize"
    trials = sorted(
        (t for t in study.complete if t.end_s is not None), key=lambda t: t.end_s or 0.0
    )
    with _style():
        fig, ax = _figure(6.2, 3.0)
        feasible = [t for t in trials if t.feasible]
        infeasible = [t for t in trials if not t.feasible]
        ax.scatter(
            [t.end_s for t in feasible],
            [t.values[0] for t in feasible],
            s=14,
            color=PALETTE[0],
            alpha=0.55,
            label="trial",
            zorder=3,
        )
        if infeasible:
            ax.scatter(
                [t.end_s for t in infeasible],
                [t.values[0] for t in infeasible],
                s=14,
                marker="x",
                color=PALETTE[5],
                label="misses a constraint",
                zorder=3,
            )
        xs, ys, best = [], [], None
        for t in feasible:
            value = t.values[0]
            if best is None or (value > best if maximize else value < best):
                best = value
            xs.append(t.end_s)
            ys.append(best)
        if xs:
            ax.step(xs, ys, where="post", color=PALETTE[1], lw=2, label="best so far", zorder=4)
        ax.set_xlabel("seconds since the search started")
        ax.set_ylabel(study.metric_names[0])
        ax.legend(fontsize=8)
        return _uri(fig)


def importance_figure(study: StudyInfo) -> str:
    """Optuna's hyperparameter importance (fANOVA), largest on top."""
    items = sorted(study.importances.items(), key=lambda kv: kv[1])
    with _style():
        fig, ax = _figure(5.6, 0.32 * len(items) + 1.0)
        ax.barh([_short(k, 28) for k, _ in items], [v for _, v in items], color=PALETTE[2])
        for y, (_, value) in enumerate(items):
            ax.text(value, y, f" {value:.2f}", va="center", fontsize=8)
        ax.set_xlabel("importance (share of the objective's variance)")
        ax.set_xlim(0, max(v for _, v in items) * 1.18 or 1)
        ax.grid(axis="y", visible=False)
        return _uri(fig)


def pareto_figure(study: StudyInfo) -> str:
    """All complete trials on two criteria, the non-dominated ones joined as the front."""
    assert study.pareto_axes is not None  # internal: only called when the section exists
    x_name, y_name = study.pareto_axes
    points = study.pareto_points
    front = sorted((p for p in points if p[3]), key=lambda p: p[1])
    rest = [p for p in points if not p[3]]
    with _style():
        fig, ax = _figure(5.6, 3.2)
        ax.scatter(
            [p[1] for p in rest],
            [p[2] for p in rest],
            s=16,
            color=PALETTE[5],
            alpha=0.5,
            label="dominated",
        )
        ax.plot(
            [p[1] for p in front],
            [p[2] for p in front],
            color=PALETTE[1],
            lw=1.5,
            marker="o",
            ms=5,
            label="Pareto front",
        )
        for number, x, y, _ in front:
            ax.annotate(f"#{number}", (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)
        if x_name in ("params", "flops") and all(p[1] > 0 for p in points):
            spread = max(p[1] for p in points) / min(p[1] for p in points)
            if math.isfinite(spread) and spread > 50:
                _log_axis(ax.xaxis, ax.set_xscale)
        ax.set_xlabel(x_name)
        ax.set_ylabel(y_name)
        ax.legend(fontsize=8)
        return _uri(fig)


# ----------------------------------------------------------------------------- calibration
def _xy(bins: list[ReliabilityBin]) -> tuple[list[float], list[float], list[int]]:
    full = [b for b in bins if b.count and b.confidence is not None and b.accuracy is not None]
    return [b.confidence for b in full], [b.accuracy for b in full], [b.count for b in full]


def reliability_figure(calibration: TemperatureScaling) -> str:
    """Accuracy against mean confidence per confidence bin: before (T = 1) and after the
    temperature (out-of-fold probabilities); the diagonal is perfect calibration. Point areas
    follow the number of examples in each bin."""
    with _style():
        fig, ax = _figure(4.4, 3.6)
        ax.plot([0, 1], [0, 1], color="#9aa5b1", lw=1.0, ls="--", label="perfectly calibrated")
        series = [("T = 1", calibration.reliability_before, calibration.ece_before, PALETTE[1])]
        if calibration.reliability_after and calibration.fitted_temperature is not None:
            label = f"T = {calibration.fitted_temperature:.3g} (out of fold)"
            series.append((label, calibration.reliability_after, calibration.ece_after, PALETTE[0]))
        biggest = max((b.count for _, bins, _, _ in series for b in bins), default=1) or 1
        for label, bins, ece, colour in series:
            xs, ys, counts = _xy(bins)
            ax.plot(xs, ys, color=colour, lw=1.4, label=f"{label}: ECE {100 * (ece or 0):.2f} %")
            ax.scatter(xs, ys, s=[12 + 120 * c / biggest for c in counts], color=colour, alpha=0.7)
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("confidence (mean of the bin)")
        ax.set_ylabel("accuracy of the bin")
        ax.xaxis.set_major_formatter(_percent_formatter())
        ax.yaxis.set_major_formatter(_percent_formatter())
        ax.legend(fontsize=8, loc="lower right")
        fig.tight_layout()
        return _uri(fig)


# ----------------------------------------------------------------------------- saliency
SALIENCY_COLUMNS = 3


def _signal_panel(ax: Any, values: Any, attribution: Any, scale: float) -> None:
    """A 1-D signal (each channel a line) over its attribution drawn as a heat strip."""
    import numpy as np

    channels = values.reshape(-1, values.shape[-1])
    heat = attribution.reshape(-1, values.shape[-1]).sum(axis=0)
    present = channels[np.isfinite(channels)]  # a table's gaps are missing values: not drawn
    low, high = (float(present.min()), float(present.max())) if present.size else (0.0, 1.0)
    pad = 0.05 * (high - low or 1.0)
    ax.imshow(
        heat[None, :],
        aspect="auto",
        cmap="RdBu_r",
        vmin=-scale,
        vmax=scale,
        extent=(-0.5, len(heat) - 0.5, low - pad, high + pad),
        alpha=0.85,
    )
    for channel in channels:
        ax.plot(np.arange(len(channel)), channel, color="#1d2330", lw=1.1)
    ax.set_xlim(-0.5, len(heat) - 0.5)
    ax.grid(False)


def _image_panels(axes: Any, values: Any, attribution: Any, scale: float) -> None:
    """An image (grey, or RGB for 3 channels) and beside it its heat map (summed channels)."""
    image = values if values.ndim == 2 else values.transpose(1, 2, 0)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    low, high = float(image.min()), float(image.max())
    shown = (image - low) / (high - low or 1.0)
    heat = attribution if attribution.ndim == 2 else attribution.sum(axis=0)
    axes[0].imshow(shown, cmap="gray" if shown.ndim == 2 else None)
    axes[1].imshow(heat, cmap="RdBu_r", vmin=-scale, vmax=scale)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)


def saliency_figure(report: SaliencyReport) -> str:
    """The misclassified examples with their attributions: a 1-D signal (or a vector) drawn
    over a heat strip of its attribution, an image beside its heat map. Red pushed toward the
    predicted class, blue against it; one colour scale per example."""
    import numpy as np

    shape = tuple(report.input_shape)
    is_image = len(shape) == 3 or (len(shape) == 2 and shape[0] > 4)
    examples = report.examples
    cols = min(SALIENCY_COLUMNS, len(examples))
    rows = math.ceil(len(examples) / cols)
    per = 2 if is_image else 1
    with _style():
        fig, axes = _figure(
            cols * (3.6 if not is_image else 3.4),
            rows * (1.9 if not is_image else 2.0),
            nrows=rows,
            ncols=cols * per,
            squeeze=False,
        )
        for ax in axes.flat:
            ax.set_visible(False)
        for k, example in enumerate(examples):
            r, c = divmod(k, cols)
            panel = axes[r][c * per : (c + 1) * per]
            for ax in panel:
                ax.set_visible(True)
            values = np.asarray(example.values, dtype=float).reshape(shape)  # None: NaN
            attribution = np.asarray(example.attribution).reshape(shape)
            scale = float(np.abs(attribution).max()) or 1.0
            if is_image:
                _image_panels(panel, values, attribution, scale)
            else:
                _signal_panel(panel[0], values, attribution, scale)
            where = (
                ""
                if example.outside_share is None
                else f", {100 * example.outside_share:.0f} % outside"
            )
            panel[0].set_title(
                f"{_short(example.id, 10)}: {_short(example.true_label, 10)} → "
                f"{_short(example.predicted_label, 10)} ({100 * example.confidence:.0f} %{where})",
                fontsize=8,
                loc="left",
            )
        fig.tight_layout()
        return _uri(fig)


def deletion_figure(deletion: DeletionTest) -> str:
    """The deletion test: mean probability of the predicted class as the most attributed
    inputs are set to the baseline, per method (the smaller the area, the better)."""
    with _style():
        fig, ax = _figure(4.4, 3.2)
        for n, (name, curve) in enumerate(deletion.curves.items()):
            label = f"{name.replace('_', ' ')}: area {deletion.area[name]:.3f}"
            ax.plot(deletion.fractions, curve, color=PALETTE[n % len(PALETTE)], lw=1.8, label=label)
        ax.set_xlabel("share of the inputs deleted (most attributed first)")
        ax.set_ylabel("probability of the predicted class")
        ax.xaxis.set_major_formatter(_percent_formatter())
        ax.set_ylim(0, 1.02)
        ax.legend(fontsize=8)
        fig.tight_layout()
        return _uri(fig)
