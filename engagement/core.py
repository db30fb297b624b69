"""The small core every question is answered against: the store, the settings, the scoring model and the one scorer.

`engagement.app.create_core` builds it (the composition root, shared by `server.py`, the command line,
the team server and the benchmark); each question module takes it as its first argument, with the
`Caller` and the question's typed query (`engagement.queries`): `portfolio(core, caller, query)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from engagement.scorer import Scorer
from engagement.scoring import ScoringConfig
from engagement.settings import Settings


@dataclass(eq=False)  # one core per store: compared and hashed by identity (the Google sync is kept per core)
class Core:
    engine: Engine
    settings: Settings
    scoring: ScoringConfig
    """The weights, segment benchmarks and contact limits in force."""
    scorer: Scorer = field(init=False)
    """The one scoring path over `engine` with `scoring`'s weights, and its cache of scored periods."""

    def __post_init__(self) -> None:
        self.scorer = Scorer(self.engine, self.scoring)
