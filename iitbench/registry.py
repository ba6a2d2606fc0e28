"""One generic registry: names -> objects, with lazy "module:attr" targets and entry-point plug-ins.

Used for models (`iitbench.models.MODELS`). Plug-ins in other packages register under an entry-point group;
they are discovered the first time a name is looked up or listed.
"""

from __future__ import annotations

import difflib
import importlib
import threading
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from iitbench.errors import UserError

T = TypeVar("T")


class UnknownName(UserError):
    pass


class Registry(Generic[T]):
    def __init__(self, kind: str, entry_point_group: str | None = None, base: type | None = None):
        self.kind = kind
        self.group = entry_point_group
        self.base = base
        self._targets: dict[str, T | str] = {}
        self._origin: dict[str, str] = {}
        self._lock = threading.Lock()
        self._discovered = False

    def register(self, name: str, target: T | str | None = None, origin: str = "built-in") -> Callable[[T], T] | None:
        """Register `target` (an object or a lazy "module:attr" string); usable as a decorator without target."""
        if target is None:
            def deco(obj: T) -> T:
                self.register(name, obj, origin)
                return obj
            return deco  # type: ignore[return-value]
        if name in self._targets and self._targets[name] is not target:
            raise ValueError(f"{self.kind} {name!r} is already registered (by {self._origin[name]})")
        self._targets[name] = target
        self._origin[name] = origin
        return None

    def _discover(self) -> None:
        if self._discovered or not self.group:
            return
        with self._lock:
            if self._discovered:
                return
            for ep in entry_points(group=self.group):
                if ep.name not in self._targets:  # built-ins win over plug-ins of the same name
                    self._targets[ep.name] = ep.value
                    self._origin[ep.name] = f"plug-in {ep.dist.name if ep.dist else ep.value}"
            self._discovered = True

    def names(self) -> list[str]:
        self._discover()
        return sorted(self._targets)

    def origin(self, name: str) -> str:
        self._discover()
        return self._origin[name]

    def target(self, name: str) -> T | str:
        """What `name` is registered to, without importing it: the object or its lazy "module:attr" string."""
        self._discover()
        return self._targets[name]

    def get(self, name: str) -> T:
        self._discover()
        if name not in self._targets:
            close = difflib.get_close_matches(name, self._targets, n=3)
            hint = f" did you mean {', '.join(map(repr, close))}?" if close else ""
            raise UnknownName(f"unknown {self.kind} {name!r};{hint} run `iitbench models` to list them")
        target = self._targets[name]
        if isinstance(target, str):
            mod, _, attr = target.partition(":")
            try:
                obj = getattr(importlib.import_module(mod), attr)
            except (ImportError, AttributeError) as e:
                raise UserError(f"{self.kind} {name!r} ({target}) cannot be imported: {e}") from None
            if self.base is not None and not (isinstance(obj, type) and issubclass(obj, self.base)):
                raise UserError(f"{self.kind} {name!r} ({target}) is not a subclass of {self.base.__name__}")
            with self._lock:
                self._targets[name] = obj
            target = obj
        return target  # type: ignore[return-value]
