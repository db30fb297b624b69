"""What the pages ask beyond the core's questions: the CSMs a caller may filter by."""

from __future__ import annotations

from dataclasses import dataclass

from engagement import lookup
from engagement.caller import Caller
from engagement.db import read_scope
from engagement.core import Core

@dataclass(frozen=True)
class CsmChoice:
    """A CSM the caller may filter by; `leads` when others report to them (choosing them means their team)."""

    id: str
    name: str
    leads: bool


def csm_choices(core: Core, caller: Caller) -> list[CsmChoice]:
    with read_scope(core.engine) as session:
        return [CsmChoice(*row) for row in lookup.csms_of(session, caller)]

