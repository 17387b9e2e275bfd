"""Run-size profiles: ``tiny`` for tests, ``demo`` (default) for ``trainyard demo``, ``full`` for
documented studies. Each branch keeps its own sizes per profile next to its logic and picks them
with ``pick``; the profile comes from ``$TRAINYARD_PROFILE``."""
from __future__ import annotations

import os
from typing import Mapping, TypeVar

PROFILES = ("tiny", "demo", "full")
T = TypeVar("T")


def profile_name() -> str:
    name = os.environ.get("TRAINYARD_PROFILE", "demo")
    if name not in PROFILES:
        raise ValueError(f"TRAINYARD_PROFILE must be one of {PROFILES}, not {name!r}")
    return name


def pick(sizes: Mapping[str, T]) -> T:
    """The entry of ``sizes`` for the current profile (``full`` falls back to ``demo``)."""
    name = profile_name()
    if name in sizes:
        return sizes[name]
    return sizes["demo"]
