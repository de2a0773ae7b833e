"""Error levels: the numbers the lecture's bias / variance analysis starts from.

Reference levels — ``human_error`` (the best expert team's error) and optionally
``bayes_error`` (the lowest possible; Bayes ≤ human) — are taken as known constants. Measured
levels — ``train``, optional ``train_dev`` (held-out examples from the training distribution),
``dev``, optional ``test`` and optional per-source dev errors (the lecture's dev1 / dev2) — carry
their example count ``n`` so that every level and gap gets a 95 % interval; ``n`` may be left
out, and then the noise is unknown. Rates are fractions.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from orthotune._errors import InvalidInputError
from orthotune._rates import parse_rate

__all__ = ["ErrorLevels", "Level"]

SCHEMA_VERSION = 1


def check_bayes_error(
    human_error: float | None,
    bayes_error: float | None,
    *,
    names: tuple[str, str] = ("human_error", "bayes_error"),
) -> None:
    """Refuse a Bayes error above human-level error — the one check of that rule, at every
    boundary (``names``: how the caller spells the two, e.g. the flags ``--human-error``)."""
    if bayes_error is not None and human_error is not None and bayes_error > human_error:
        human, bayes = names
        raise InvalidInputError(
            f"{bayes} {bayes_error:.4%} is above {human} {human_error:.4%}: accepted is a Bayes "
            "error at most human-level (the Bayes error is the lowest possible error); fix: swap "
            "or correct the two values"
        )


class Level(BaseModel):
    """A measured error rate and the number of examples it was measured on."""

    model_config = ConfigDict(frozen=True)

    error: float = Field(ge=0.0, le=1.0)
    n: int | None = Field(default=None, ge=1)


class ErrorLevels(BaseModel):
    """Human-level / Bayes error and the measured train, train-dev, dev and test errors."""

    model_config = ConfigDict(frozen=True)

    schema_version: int = SCHEMA_VERSION
    human_error: float | None = Field(default=None, ge=0.0, le=1.0)
    bayes_error: float | None = Field(default=None, ge=0.0, le=1.0)
    train: Level
    train_dev: Level | None = None
    dev: Level
    test: Level | None = None
    dev_sources: dict[str, Level] = Field(
        default_factory=dict, description="dev error per data source (dev1, dev2 …)"
    )

    @model_validator(mode="after")
    def _bayes_below_human(self) -> ErrorLevels:
        check_bayes_error(self.human_error, self.bayes_error)
        return self

    @classmethod
    def from_rates(
        cls,
        *,
        human_error: str | float | None,
        train_error: str | float,
        dev_error: str | float,
        train_dev_error: str | float | None = None,
        test_error: str | float | None = None,
        bayes_error: str | float | None = None,
        train_size: int | None = None,
        train_dev_size: int | None = None,
        dev_size: int | None = None,
        test_size: int | None = None,
        dev_sources: dict[str, tuple[str | float, int | None]] | None = None,
    ) -> ErrorLevels:
        """Build from rates as users write them (``"3.5%"`` or ``0.035``), checked here."""

        def flag(name: str) -> str:  # as the command line and the other messages name it
            return "--" + name.replace("_", "-") if name.isidentifier() else name

        def rate(value: Any, name: str) -> float | None:
            return None if value is None else parse_rate(value, name=flag(name))

        def size(value: int | None, name: str, level: Any) -> int | None:
            if value is None:
                return None
            if level is None:
                raise InvalidInputError(
                    f"{flag(name)} {value} is given without its error rate: give "
                    f"{flag(name.replace('_size', '_error'))} too, or drop {flag(name)}"
                )
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidInputError(
                    f"{flag(name)} {value!r} is not a positive whole number of examples: give "
                    "e.g. 5000"
                )
            return value

        human = rate(human_error, "human_error")
        bayes = rate(bayes_error, "bayes_error")
        check_bayes_error(human, bayes, names=(flag("human_error"), flag("bayes_error")))
        train = rate(train_error, "train_error")
        train_dev = rate(train_dev_error, "train_dev_error")
        dev = rate(dev_error, "dev_error")
        test = rate(test_error, "test_error")
        n_train = size(train_size, "train_size", train)
        n_train_dev = size(train_dev_size, "train_dev_size", train_dev)
        n_dev = size(dev_size, "dev_size", dev)
        n_test = size(test_size, "test_size", test)
        sources = {}
        for source, (err, n) in (dev_sources or {}).items():
            e = parse_rate(err, name=f"dev error of source {source!r}")
            sources[str(source)] = Level(error=e, n=size(n, f"dev size of source {source!r}", e))
        return cls(
            human_error=human,
            bayes_error=bayes,
            train=Level(error=train, n=n_train),
            train_dev=None if train_dev is None else Level(error=train_dev, n=n_train_dev),
            dev=Level(error=dev, n=n_dev),
            test=None if test is None else Level(error=test, n=n_test),
            dev_sources=sources,
        )
