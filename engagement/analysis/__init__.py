"""Analysis over the scored portfolio: segments, CSMs, outliers, correlation with outcomes, benchmarks,
recommendations and weight calibration.

Everything here reads the per-period scores of the one scoring path (`engagement.analysis.source`)
and computes with numpy; the edges (MCP tools, REST, dashboard) import it on their first question
through `analysis_of`, not at the server's start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engagement.analysis.service import Analysis
    from engagement.service import EngagementService


def analysis_of(service: EngagementService) -> Analysis:
    """The analysis questions over `service`; the analysis code is imported at the first call."""
    from engagement.analysis.service import Analysis

    return Analysis(service)
