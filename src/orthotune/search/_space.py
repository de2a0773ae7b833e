"""Search spaces: what a search may vary, on which scale, and when a parameter applies.

A space is an ordered mapping of parameter name → parameter. Four kinds, written in YAML as
``name: {type: …, …}`` or in Python with the classes below:

- ``float`` with ``scale: linear``, ``log`` (the lecture's α = 10^r, r uniform) or
  ``reverse_log`` for values near 1 such as momentum β: 1 − β is log-uniform, so
  β ∈ [0.9, 0.999] spends as many samples on 0.99–0.999 as on 0.9–0.99.
- ``int`` (``log: true`` for widths and the like)
- ``categorical`` (``choices: [...]``; str, int, float, bool or null)
- any of them conditional: ``when: {architecture: [cnn1d]}`` — the parameter exists only when
  the earlier categorical ``architecture`` took one of those values (several keys: all must hold)

``SearchSpace.suggest(trial)`` renders the space into Optuna ``suggest_*`` calls on a trial.
A reverse-log parameter ``beta`` is sampled by Optuna as ``1-beta`` (a log-uniform float); the
value handed back, recorded in the trial's ``params`` user attribute, and decoded by
``SearchSpace.values_of(frozen_trial)`` is β itself.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from orthotune._errors import InvalidInputError

if TYPE_CHECKING:
    import optuna

PARAM_TYPES: tuple[str, ...] = ("float", "int", "categorical")
FLOAT_SCALES: tuple[str, ...] = ("linear", "log", "reverse_log")
PARAMS_ATTR = "params"  # trial user attribute holding the decoded (user-facing) values

Choice = str | int | float | bool | None


@dataclass(frozen=True)
class FloatParam:
    """A real value in [low, high] on a linear, log or reverse-log (1 − x log-uniform) scale."""

    low: float
    high: float
    scale: Literal["linear", "log", "reverse_log"] = "linear"
    when: Mapping[str, tuple[Choice, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class IntParam:
    """An integer in [low, high], uniform or log-uniform."""

    low: int
    high: int
    log: bool = False
    when: Mapping[str, tuple[Choice, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class CategoricalParam:
    """One of a list of choices."""

    choices: tuple[Choice, ...]
    when: Mapping[str, tuple[Choice, ...]] = field(default_factory=dict)


Param = FloatParam | IntParam | CategoricalParam


def optuna_name(name: str, param: Param) -> str:
    """The name Optuna stores a parameter under (``1-beta`` for a reverse-log ``beta``)."""
    if isinstance(param, FloatParam) and param.scale == "reverse_log":
        return f"1-{name}"
    return name


def _check_param(name: str, p: Param, earlier: Mapping[str, Param]) -> None:
    where = f"search space parameter {name!r}"
    if isinstance(p, FloatParam | IntParam):
        lo, hi = p.low, p.high
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise InvalidInputError(
                f"{where} has range [{lo}, {hi}]: accepted are finite bounds; fix: give two "
                "finite numbers"
            )
        if lo > hi:
            raise InvalidInputError(
                f"{where} has an inverted range [{lo}, {hi}]: accepted is low < high; fix: swap "
                "the bounds"
            )
        if lo == hi:
            raise InvalidInputError(
                f"{where} has an empty range [{lo}, {hi}]: accepted is low < high; fix: widen the "
                "range, or use a categorical with one choice to fix the value"
            )
        is_log = (isinstance(p, IntParam) and p.log) or (
            isinstance(p, FloatParam) and p.scale == "log"
        )
        if is_log and lo <= 0:
            raise InvalidInputError(
                f"{where} is log-scaled with a non-positive bound {lo}: accepted are bounds > 0; "
                "fix: raise low above 0 (e.g. 1e-5) or use a linear scale"
            )
        if isinstance(p, FloatParam):
            if p.scale not in FLOAT_SCALES:
                raise InvalidInputError(
                    f"{where} has scale {p.scale!r}: accepted are {', '.join(FLOAT_SCALES)}; fix: "
                    "pick one of them"
                )
            if p.scale == "reverse_log" and not (lo >= 0 and hi < 1):
                raise InvalidInputError(
                    f"{where} is reverse_log over [{lo}, {hi}]: accepted are 0 ≤ low < high < 1 "
                    "(1 − value is log-uniform); fix: keep high below 1, e.g. 0.999"
                )
    elif isinstance(p, CategoricalParam):
        if len(p.choices) == 0:
            raise InvalidInputError(
                f"{where} has no choices: accepted is a non-empty list; fix: list at least one"
            )
        bad = [c for c in p.choices if not isinstance(c, Choice)]
        if bad:
            raise InvalidInputError(
                f"{where} has choice {bad[0]!r}: accepted are str, int, float, bool or null; fix: "
                "use plain values"
            )
    else:
        raise InvalidInputError(
            f"{where} is a {type(p).__name__}: accepted are FloatParam, IntParam, "
            "CategoricalParam; fix: use one of those classes"
        )
    for parent, values in p.when.items():
        if parent not in earlier:
            raise InvalidInputError(
                f"{where} depends on {parent!r}, which is not declared before it: accepted are "
                f"earlier parameters ({', '.join(earlier) or 'none'}); fix: declare {parent!r} "
                "first"
            )
        parent_p = earlier[parent]
        if not isinstance(parent_p, CategoricalParam):
            raise InvalidInputError(
                f"{where} depends on {parent!r}, which is not categorical: accepted are "
                "conditions on categorical parameters; fix: make it categorical"
            )
        unknown = [v for v in values if v not in parent_p.choices]
        if unknown or not values:
            raise InvalidInputError(
                f"{where} has condition {parent}={list(values)}: accepted are values among "
                f"{list(parent_p.choices)}; fix: use one of those"
            )


class SearchSpace:
    """An ordered, validated set of parameters; renders itself into Optuna suggest calls."""

    def __init__(self, params: Mapping[str, Param]) -> None:
        checked: dict[str, Param] = {}
        for name, p in params.items():
            if not isinstance(name, str) or not name:
                raise InvalidInputError(
                    f"search space parameter name {name!r}: accepted is a non-empty string; fix: "
                    "name it"
                )
            if isinstance(p, FloatParam | IntParam | CategoricalParam):
                p = _normalized(p)
            _check_param(name, p, checked)
            checked[name] = p
        if not checked:
            raise InvalidInputError(
                "search space is empty: accepted is at least one parameter; fix: declare one, or "
                "use the default space"
            )
        self._params = checked

    # -- mapping protocol -------------------------------------------------------------------
    def __getitem__(self, name: str) -> Param:
        return self._params[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    def __contains__(self, name: object) -> bool:
        return name in self._params

    def items(self) -> list[tuple[str, Param]]:
        return list(self._params.items())

    def __repr__(self) -> str:
        return f"SearchSpace({list(self._params)})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SearchSpace) and self._params == other._params

    # -- conditions -------------------------------------------------------------------------
    def is_active(self, name: str, values: Mapping[str, Any]) -> bool:
        """Whether ``name`` applies given the values of the parameters before it."""
        p = self._params[name]
        return all(
            parent in values and values[parent] in allowed for parent, allowed in p.when.items()
        )

    def contains(self, values: Mapping[str, Any]) -> bool:
        """True when ``values`` assigns exactly the active parameters, each inside its range."""
        seen: dict[str, Any] = {}
        for name, p in self._params.items():
            if not self.is_active(name, seen):
                if name in values:
                    return False
                continue
            if name not in values:
                return False
            v = values[name]
            if isinstance(p, CategoricalParam):
                if v not in p.choices:
                    return False
            elif isinstance(p, IntParam):
                if isinstance(v, bool) or not isinstance(v, int) or not p.low <= v <= p.high:
                    return False
            elif not p.low - 1e-12 <= float(v) <= p.high + 1e-12:
                return False
            seen[name] = v
        return set(values) == set(seen)

    def project(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The part of ``values`` this space can take, as close as it allows: active parameters
        only, numbers clipped into their range (integers rounded), categorical values kept only
        when they are among the choices. Whatever is left out is for a sampler to choose."""
        out: dict[str, Any] = {}
        for name, p in self._params.items():
            if name not in values or not self.is_active(name, out):
                continue
            v = values[name]
            if isinstance(p, CategoricalParam):
                if v in p.choices:
                    out[name] = v
            elif isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
                v = min(max(v, p.low), p.high)
                out[name] = round(v) if isinstance(p, IntParam) else float(v)
        return out

    # -- Optuna rendering -------------------------------------------------------------------
    def to_internal(self, name: str, value: Any) -> Any:
        """A user-facing value → the value Optuna stores (1 − β for reverse-log)."""
        p = self._params[name]
        if isinstance(p, FloatParam) and p.scale == "reverse_log":
            return 1.0 - float(value)
        return value

    def to_user(self, name: str, internal: Any) -> Any:
        """The value Optuna stores → the user-facing value (β for reverse-log)."""
        p = self._params[name]
        if isinstance(p, FloatParam) and p.scale == "reverse_log":
            return 1.0 - float(internal)
        return internal

    def internal_params(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """User-facing values → Optuna's parameter dict (for ``study.enqueue_trial``)."""
        return {
            optuna_name(n, self._params[n]): self.to_internal(n, v)
            for n, v in values.items()
            if n in self._params
        }

    def suggest(self, trial: optuna.trial.Trial, *, record: bool = True) -> dict[str, Any]:
        """Ask ``trial`` for a value of every active parameter; return the user-facing values.

        With ``record`` the values are also stored as the trial's ``params`` user attribute, so
        a reverse-log β reads as β in the dashboard and in ``values_of``.
        """
        values: dict[str, Any] = {}
        for name, p in self._params.items():
            if not self.is_active(name, values):
                continue
            if isinstance(p, CategoricalParam):
                v: Any = trial.suggest_categorical(name, list(p.choices))
            elif isinstance(p, IntParam):
                v = trial.suggest_int(name, p.low, p.high, log=p.log)
            elif p.scale == "reverse_log":
                v = 1.0 - trial.suggest_float(
                    optuna_name(name, p), 1.0 - p.high, 1.0 - p.low, log=True
                )
            else:
                v = trial.suggest_float(name, p.low, p.high, log=p.scale == "log")
            values[name] = v
        if record:
            trial.set_user_attr(PARAMS_ATTR, values)
        return values

    def values_of(self, trial: optuna.trial.FrozenTrial) -> dict[str, Any]:
        """The user-facing values of a finished or running trial (decoded from Optuna's)."""
        out: dict[str, Any] = {}
        for name, p in self._params.items():
            key = optuna_name(name, p)
            if key in trial.params:
                out[name] = self.to_user(name, trial.params[key])
        return out

    # -- (de)serialization ------------------------------------------------------------------
    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Plain data, the same form ``from_dict`` and YAML files take."""
        out: dict[str, dict[str, Any]] = {}
        for name, p in self._params.items():
            if isinstance(p, FloatParam):
                d: dict[str, Any] = {"type": "float", "low": p.low, "high": p.high}
                if p.scale != "linear":
                    d["scale"] = p.scale
            elif isinstance(p, IntParam):
                d = {"type": "int", "low": p.low, "high": p.high}
                if p.log:
                    d["log"] = True
            else:
                d = {"type": "categorical", "choices": list(p.choices)}
            if p.when:
                d["when"] = {k: list(v) for k, v in p.when.items()}
            out[name] = d
        return out

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> SearchSpace:
        """Build a space from plain data (a parsed YAML/JSON mapping)."""
        if not isinstance(raw, Mapping):
            raise InvalidInputError(
                f"search space {raw!r}: accepted is a mapping of parameter name to "
                "{type: float|int|categorical, ...}; fix: write one entry per parameter"
            )
        params: dict[str, Param] = {}
        for name, spec in raw.items():
            params[str(name)] = _param_from_dict(str(name), spec)
        return cls(params)

    @classmethod
    def from_yaml(cls, source: str | Path) -> SearchSpace:
        """Build a space from a YAML file path or YAML text."""
        import yaml

        text = source
        if isinstance(source, Path) or (
            isinstance(source, str) and "\n" not in source and source.endswith((".yaml", ".yml"))
        ):
            path = Path(source).expanduser()
            if not path.is_file():
                raise InvalidInputError(
                    f"search space file {str(path)!r} does not exist: accepted is a YAML file; "
                    "fix: check the path"
                )
            text = path.read_text(encoding="utf-8")
        try:
            raw = yaml.safe_load(str(text))
        except yaml.YAMLError as exc:
            first = " ".join(str(exc).split())
            raise InvalidInputError(
                f"search space YAML does not parse ({first}): accepted is a YAML mapping; fix: "
                "check the indentation and quoting"
            ) from None
        if isinstance(raw, Mapping) and set(raw) == {"params"}:
            raw = raw["params"]
        return cls.from_dict(raw)

    def to_yaml(self) -> str:
        import yaml

        return yaml.safe_dump(self.to_dict(), sort_keys=False)


def _normalized(p: Param) -> Param:
    """Tuple-ize choices/conditions so that params compare and hash predictably."""
    when = {str(k): tuple(v) if isinstance(v, list | tuple) else (v,) for k, v in p.when.items()}
    if isinstance(p, CategoricalParam):
        return CategoricalParam(choices=tuple(p.choices), when=when)
    if isinstance(p, IntParam):
        return IntParam(low=p.low, high=p.high, log=p.log, when=when)
    return FloatParam(low=p.low, high=p.high, scale=p.scale, when=when)


_KEYS = {
    "float": {"type", "low", "high", "scale", "log", "when"},
    "int": {"type", "low", "high", "log", "when"},
    "categorical": {"type", "choices", "when"},
}


def _number(name: str, key: str, value: Any, *, integer: bool) -> float | int:
    kind = "an integer" if integer else "a number"
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(value)  # YAML 1.1 reads 1e-4 as a string; accept it
        if integer:
            if number != int(number):
                raise ValueError
            return int(number)
        return number
    except (TypeError, ValueError):
        raise InvalidInputError(
            f"search space parameter {name!r} has {key}={value!r}: accepted is {kind}; fix: "
            f"write {key} as {kind}"
        ) from None


def _param_from_dict(name: str, spec: Any) -> Param:
    if not isinstance(spec, Mapping):
        raise InvalidInputError(
            f"search space parameter {name!r} is {spec!r}: accepted is a mapping such as "
            "{type: float, low: 0.0001, high: 0.1, scale: log}; fix: write it that way"
        )
    ptype = spec.get("type")
    if ptype not in PARAM_TYPES:
        raise InvalidInputError(
            f"search space parameter {name!r} has type {ptype!r}: accepted are "
            f"{', '.join(PARAM_TYPES)}; fix: set type to one of them"
        )
    extra = sorted(set(spec) - _KEYS[ptype])
    if extra:
        raise InvalidInputError(
            f"search space parameter {name!r} has unknown key {extra[0]!r}: accepted for a "
            f"{ptype} are {', '.join(sorted(_KEYS[ptype]))}; fix: remove or rename it"
        )
    when_raw = spec.get("when") or {}
    if not isinstance(when_raw, Mapping):
        raise InvalidInputError(
            f"search space parameter {name!r} has when={when_raw!r}: accepted is a mapping such "
            "as {architecture: [cnn1d]}; fix: write it that way"
        )
    when = {str(k): tuple(v) if isinstance(v, list | tuple) else (v,) for k, v in when_raw.items()}
    if ptype == "categorical":
        choices = spec.get("choices")
        if not isinstance(choices, list | tuple):
            raise InvalidInputError(
                f"search space parameter {name!r} has choices={choices!r}: accepted is a list; "
                "fix: write choices: [a, b, ...]"
            )
        return CategoricalParam(choices=tuple(choices), when=when)
    for key in ("low", "high"):
        if key not in spec:
            raise InvalidInputError(
                f"search space parameter {name!r} has no {key}: accepted is a {ptype} with low "
                f"and high; fix: add {key}"
            )
    integer = ptype == "int"
    low = _number(name, "low", spec["low"], integer=integer)
    high = _number(name, "high", spec["high"], integer=integer)
    if integer:
        return IntParam(low=int(low), high=int(high), log=bool(spec.get("log", False)), when=when)
    scale = spec.get("scale", "log" if spec.get("log") else "linear")
    if scale not in FLOAT_SCALES:
        raise InvalidInputError(
            f"search space parameter {name!r} has scale {scale!r}: accepted are "
            f"{', '.join(FLOAT_SCALES)}; fix: pick one of them"
        )
    return FloatParam(low=float(low), high=float(high), scale=scale, when=when)
