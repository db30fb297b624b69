"""Functions whose code is imported at their first call: the analysis and the daily check stay out of a
server's start (tests/test_cold_start.py) while the edges name them like any other function."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def lazily(module: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """The decorated stub stands for `module`'s function of the same name: its signature is the contract
    (typed, and read by the edges that derive a tool or option from it), the body is `module`'s."""

    def stub(declared: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(declared)
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            real: Callable[P, R] = getattr(importlib.import_module(module), declared.__name__)
            return real(*args, **kwargs)

        return call

    return stub
