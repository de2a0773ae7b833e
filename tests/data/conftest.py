"""Small real files for the data-layer tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest


@pytest.fixture
def write_csv(tmp_path: Path):
    """``write_csv(text, name="data.csv") -> Path``: a CSV file with ``text`` (dedented)."""

    def write(text: str, name: str = "data.csv") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


@pytest.fixture
def table_csv(write_csv) -> Path:
    """Numeric, categorical, id, weight and source columns; string labels."""
    return write_csv(
        """
        id,age,color,weight,site,label
        a,31,red,1.0,north,cat
        b,45,blue,2.0,south,dog
        c,27,red,0.5,north,cat
        d,52,green,1.0,south,bird
        e,38,blue,1.0,north,dog
        f,41,green,3.0,south,bird
        """
    )
