"""Trainer callbacks named by import path in a wings-train config, so another package can watch a run (a forgetting
monitor, a logger) without wings_ref importing it: wings_ref stands alone.

    callbacks:
      NAME: {path: package.module.factory, key: value, ...}

`path` ("package.module.attr" or "package.module:attr") names a callable. wings-train calls it with the entry's other
keys as keyword arguments, after the config's paths are checked and before any weight is loaded, then adds what it
returns to the Trainer: through its `attach(trainer)` when it has one (a callback that logs through `trainer.log`
needs the trainer; the HF callback API gives it none), else with `trainer.add_callback`. A factory refuses bad keys by
raising ValueError or TypeError, or an exception whose `exit_code` is 2; wings-train then exits 2 with one line
naming `callbacks.NAME`. NAME is free: it orders nothing but lets `-o callbacks.NAME.key=value` override one key and
`-o callbacks.NAME=null` drop the entry.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from .errors import TrainConfigError, one_line

PATH_KEY = "path"


def check_callbacks(block: Any) -> dict[str, dict[str, Any]]:
    """The `callbacks:` block as {name: {path, **keys}}, its shape checked (imports wait for `build_callbacks`);
    entries set to null or false are dropped."""
    if block is None:
        return {}
    if not isinstance(block, dict):
        raise TrainConfigError(f"callbacks={block!r}: write a mapping NAME: {{path: package.module.factory, ...}}")
    checked = {}
    for name, entry in block.items():
        if entry is None or entry is False:
            continue
        if not isinstance(entry, dict) or not isinstance(entry.get(PATH_KEY), str) or not entry[PATH_KEY].strip():
            raise TrainConfigError(f"callbacks.{name}={entry!r}: write a mapping with `path: package.module.factory` "
                                   "and the factory's keyword arguments")
        checked[str(name)] = dict(entry)
    return checked


def resolve(path: str, where: str) -> Callable[..., Any]:
    """The callable at `path` ("package.module.attr" or "package.module:attr")."""
    module_name, colon, attr = path.partition(":")
    if not colon:
        module_name, _, attr = path.rpartition(".")
    if not module_name or not attr:
        raise TrainConfigError(f"{where}: path {path!r} is not package.module.attr")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise TrainConfigError(f"{where}: cannot import {module_name!r} ({one_line(exc)}); install the package that "
                               "provides it or fix the path") from None
    target: Any = module
    for part in attr.split("."):
        if not hasattr(target, part):
            raise TrainConfigError(f"{where}: {module_name!r} has no attribute {attr!r}; fix the path")
        target = getattr(target, part)
    if not callable(target):
        raise TrainConfigError(f"{where}: {path!r} is not callable; name a callback class or factory")
    return target


def build_callbacks(block: dict[str, dict[str, Any]]) -> list[Any]:
    """Import and call every factory of a checked block, in the block's order."""
    built = []
    for name, entry in block.items():
        where = f"callbacks.{name}"
        keys = {k: v for k, v in entry.items() if k != PATH_KEY}
        factory = resolve(entry[PATH_KEY], where)
        try:
            built.append(factory(**keys))
        except (ValueError, TypeError) as exc:
            raise TrainConfigError(f"{where}: {exc}") from None
        except Exception as exc:  # a factory's own bad-input error, marked as CLIs mark theirs: exit_code 2
            if getattr(exc, "exit_code", None) != 2:
                raise
            raise TrainConfigError(f"{where}: {exc}") from None
    return built


def attach_callbacks(callbacks: list[Any], trainer) -> None:
    """Add each built callback to `trainer`, through its own `attach(trainer)` when it has one."""
    for callback in callbacks:
        attach = getattr(callback, "attach", None)
        if callable(attach):
            attach(trainer)
        else:
            trainer.add_callback(callback)


__all__ = ["attach_callbacks", "build_callbacks", "check_callbacks", "resolve"]
