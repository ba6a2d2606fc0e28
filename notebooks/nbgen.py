"""What every notebooks/make_*.py shares: cells from indented source text, and one deterministic way to write them.

A notebook is generated, never edited by hand: `python notebooks/make_NAME.py` rewrites `notebooks/NAME.ipynb`
(`python notebooks/make_NAME.py DIR` writes it into DIR instead, which is how the tests check that the committed
notebook is in sync). Cell ids are derived from the notebook's name and the cell's position and no outputs are
written, so regenerating an unchanged script changes no byte.
"""

from __future__ import annotations

import sys
from pathlib import Path
from textwrap import dedent

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}


def md(text: str):
    """A Markdown cell from an indented triple-quoted string."""
    return new_markdown_cell(dedent(text).strip("\n"))


def code(text: str):
    """A code cell from an indented triple-quoted string."""
    return new_code_cell(dedent(text).strip("\n"))


def notebook(cells: list, stem: str):
    nb = new_notebook(cells=cells, metadata=KERNEL)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{stem}-{i:02d}"  # stable ids: a regenerated notebook differs only where its source does
    return nb


def write(cells: list, name: str, argv: list[str] | None = None) -> Path:
    """Write `name` (e.g. "quickstart.ipynb") next to this file, or into the directory given as argv[1]."""
    argv = sys.argv if argv is None else argv
    out_dir = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent
    path = out_dir / name
    path.write_text(nbformat.writes(notebook(cells, Path(name).stem)), encoding="utf-8")
    return path
