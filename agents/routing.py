"""Which agent answers a question: phrase rules, deterministic and free (no model call before the answer).

Every agent whose phrases a question contains takes part; the one with the most matches leads (ties
go to the Communicator, then the Monitor, then the Researcher), the others lend their tools and
guidance, so "log my call with Acme and tell me their new score" is one answer by the Communicator
with the Researcher's tools. A question that matches nothing goes to the Monitor, whose portfolio
view answers "how are my accounts doing?"-style questions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agents.catalog import COMMUNICATOR, MONITOR, RESEARCHER, Agent, tool_names

RULES: dict[Agent, tuple[str, ...]] = {
    COMMUNICATOR: (
        r"\blog(ged)?\b",
        r"\brecord\b",
        r"\bjust (had|met|called|emailed|spoke|talked|sent)\b",
        r"\b(had|have|held) (a|an|my|our) [\w -]*\b(call|meeting|qbr|chat|demo|sync)\b",
        r"(?<!n't )(?<!not )\b(i|we) (just |have |'ve )?(called|emailed|met|spoke|talked|messaged|phoned)\b",
        r"\b(call|meeting|email|qbr) with\b",
        r"\bcall notes\b",
        r"\b(sync|capture)\b.*\b(gmail|calendar|google|mail|outlook|microsoft|teams)\b|\b(gmail|calendar|google|outlook)\b",
        r"\btouchpoints? (with|to)\b",
    ),
    MONITOR: (
        r"\bportfolio\b",
        r"\bmy (accounts|customers|book)\b",
        r"\boverview\b",
        r"\b(not|haven'?t|hasn'?t|never|nobody|no one)\b[\w' ]{0,30}?\b(contact|talk|spoke|spoken|reach|touch|email|call|met|meet|heard)",
        r"\buncontacted\b",
        r"\b(silent|quiet|gone dark|in a while)\b",
        r"\blow(-| )?engage",
        r"\blow\b|\bbelow\b",
        r"\bat[- ]risk\b",
        r"\balerts?\b",
        r"\b(daily|weekly) (check|review)\b",
        r"\bneeds? attention\b",
        r"\bthis week\b",
    ),
    RESEARCHER: (
        r"\bcompar",
        r"\b(vs\.?|versus)\b",
        r"\bsegments?\b",
        r"\bcsms\b|\bteam\b",
        r"\btrends?\b|\bover time\b",
        r"\bhistory\b",
        r"\bwhy\b|\bexplain",
        r"\b(engagement )?score (for|of)\b|\b(new|their|its) score\b|\bscore\b.*\?$",
        r"\bbenchmark",
        r"\boutliers?\b",
        r"\bcorrelat|\bpredict",
        r"\brecommend|\bnext steps?\b|\bwhat should i do\b",
        r"\bdetails?\b|\btell me about\b|\bhow (is|are)\b.*\bdoing\b",
        r"\bqbr\b.*\b(prep|brief)|\bbrief\b",
    ),
}
TIE_ORDER = (COMMUNICATOR, MONITOR, RESEARCHER)
_COMPILED = {agent: [re.compile(rule, re.IGNORECASE) for rule in rules] for agent, rules in RULES.items()}


@dataclass(frozen=True)
class Route:
    """The agents that answer, the lead first, and the phrases that chose them."""

    agents: tuple[Agent, ...]
    matched: tuple[str, ...] = ()

    @property
    def lead(self) -> Agent:
        return self.agents[0]

    @property
    def tools(self) -> list[str]:
        return tool_names(self.agents)

    @property
    def title(self) -> str:
        return " + ".join(agent.title for agent in self.agents)


def route(question: str) -> Route:
    """The agents for `question`: every one whose phrases it contains, the one with the most first."""
    hits: dict[Agent, list[str]] = {}
    for agent in TIE_ORDER:
        found = [match.group(0) for rule in _COMPILED[agent] if (match := rule.search(question))]
        if found:
            hits[agent] = found
    if not hits:
        return Route((MONITOR,))
    ranked = sorted(hits, key=lambda agent: (-len(hits[agent]), TIE_ORDER.index(agent)))
    return Route(tuple(ranked), tuple(phrase for agent in ranked for phrase in hits[agent]))


def forced(agent: Agent) -> Route:
    """The route `--agent NAME` asks for: that agent alone."""
    return Route((agent,))
