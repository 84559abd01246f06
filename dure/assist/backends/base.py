"""The plug-in interface for model backends, and the registry that picks one by name.

A backend pre-labels items: given a batch of items it answers, for each item it can do something with,
a suggested answer in the project's answer format (dure/projects/spec.py) and a confidence. Backends are
classes named in ``settings.DURE_ASSIST["BACKENDS"]`` (name → dotted path); a project chooses one by name
and gives it options (``ProjectAssist``). They run only inside jobs, never in a worker's request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, ClassVar, Protocol, runtime_checkable

from django.conf import settings
from django.utils.module_loading import import_string

from dure.assist.errors import BackendNotApplicable, UnknownBackend
from dure.projects.models import Project
from dure.projects.spec import InterfaceSpec


@dataclass(frozen=True)
class ItemInput:
    id: int
    data: dict[str, Any]


@dataclass(frozen=True)
class PreLabelOut:
    """One suggestion: an answer keyed by output name (only the outputs the backend fills)."""

    item_id: int
    answer: dict[str, Any]
    confidence: float | None = None


@dataclass
class Context:
    project: Project
    spec: InterfaceSpec
    options: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Backend(Protocol):
    name: ClassVar[str]
    #: output types the backend can fill
    kinds: ClassVar[frozenset[str]]

    def predict(self, items: Sequence[ItemInput]) -> list[PreLabelOut]: ...


class BaseBackend:
    """Holds the project's context; subclasses say which outputs they fill and predict."""

    name: ClassVar[str] = ""
    kinds: ClassVar[frozenset[str]] = frozenset()
    #: items per ``predict`` call
    batch_size: ClassVar[int] = 16

    def __init__(self, context: Context) -> None:
        self.context = context
        self.outputs = [o for o in context.spec.outputs if o.type in self.kinds]
        if not self.outputs:
            raise BackendNotApplicable(backend=self.name, kinds=sorted(self.kinds))

    def predict(self, items: Sequence[ItemInput]) -> list[PreLabelOut]:
        raise NotImplementedError

    def prepare(self) -> None:
        """Work done once per job before the first batch (loading a model, gathering examples)."""


def backend_classes() -> dict[str, type[BaseBackend]]:
    return {name: _load(path) for name, path in settings.DURE_ASSIST["BACKENDS"].items()}


@cache
def _load(path: str) -> type[BaseBackend]:
    return import_string(path)


def backend_for(name: str, context: Context) -> BaseBackend:
    paths = settings.DURE_ASSIST["BACKENDS"]
    if name not in paths:
        raise UnknownBackend(backend=name, backends=sorted(paths))
    return _load(paths[name])(context)


def applicable_backends(spec: InterfaceSpec) -> list[str]:
    """Names of the configured backends that can fill at least one output of this spec."""
    types = {o.type for o in spec.outputs}
    return [name for name, cls in backend_classes().items() if cls.kinds & types]
