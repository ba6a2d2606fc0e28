"""`iitbench models`: list the model names `--model` accepts, where each comes from, and what it is.

Descriptions are read from the adapter's source (class docstring, else module docstring) without importing it, so
listing stays fast (no torch import) and a broken plug-in cannot stop the listing.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import inspect

from iitbench.cli.base import Command


def describe_target(target: object) -> tuple[str, bool]:
    """(first line of the class docstring, else the module docstring; whether `__init__` requires `path`)."""
    if isinstance(target, str):
        return _describe_source(target)
    # The class's own docstring only: inspect.getdoc would inherit Adapter's.
    own = target.__dict__.get("__doc__") if isinstance(target, type) else getattr(target, "__doc__", None)
    doc = inspect.cleandoc(own) if own else (inspect.getdoc(inspect.getmodule(target)) or "")
    try:
        param = inspect.signature(target).parameters.get("path")  # type: ignore[arg-type]
    except (TypeError, ValueError):
        param = None
    return _first_line(doc), param is not None and param.default is inspect.Parameter.empty


def _describe_source(target: str) -> tuple[str, bool]:
    module, _, attr = target.partition(":")
    try:
        spec = importlib.util.find_spec(module)
        source = spec.loader.get_source(module) if spec and spec.loader else None  # type: ignore[union-attr]
        tree = ast.parse(source) if source else None
    except (ImportError, ValueError, AttributeError, SyntaxError):
        tree = None
    if tree is None:
        return f"({target})", False
    cls = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == attr), None)
    doc = (ast.get_docstring(cls) if cls else None) or ast.get_docstring(tree) or ""
    return _first_line(doc), cls is not None and _requires_path(cls)


def _requires_path(cls: ast.ClassDef) -> bool:
    init = next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
    if init is None:
        return False
    positional = init.args.posonlyargs + init.args.args
    required = positional[:len(positional) - len(init.args.defaults)]
    kw_required = [a for a, d in zip(init.args.kwonlyargs, init.args.kw_defaults) if d is None]
    return any(a.arg == "path" for a in required + kw_required)


def _first_line(doc: str) -> str:
    """The first sentence of a docstring, without the leading "`name`:" label modules use."""
    line = " ".join(doc.strip().split("\n\n")[0].split())
    end = line.find(". ")
    line = line[:end + 1] if end >= 0 else line
    if line.startswith("`") and "`:" in line:
        line = line.split("`:", 1)[1].strip()
    return line[:1].upper() + line[1:]


class ModelsCommand(Command):
    name = "models"
    help = "List the model names --model accepts (built-in adapters and plug-ins)."
    example = "iitbench models"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        pass

    def run(self, args: argparse.Namespace) -> int:
        from iitbench.models import MODELS

        rows = []
        for name in MODELS.names():
            doc, needs_path = describe_target(MODELS.target(name))
            rows.append((f"{name}:PATH_OR_HUB_ID" if needs_path else name, MODELS.origin(name), doc))
        width = max(len(r[0]) for r in rows)
        origin_width = max(len(r[1]) for r in rows)
        print(f"{'NAME':<{width}}  {'ORIGIN':<{origin_width}}  DESCRIPTION")
        for name, origin, doc in rows:
            print(f"{name:<{width}}  {origin:<{origin_width}}  {doc}")
        print("\nUse: iitbench run --model NAME [--model-args k=v,...]; plug-ins register under the entry-point "
              "group iitbench.models.")
        return 0
