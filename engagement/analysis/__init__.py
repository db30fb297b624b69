"""Analysis over the scored portfolio: segments, CSMs, outliers, correlation with outcomes, benchmarks,
recommendations and weight calibration.

Everything here reads the per-period scores of the one scoring path (`engagement.analysis.source`)
and computes with numpy. The questions are answered in `engagement.analysis.questions`; the edges
(MCP tools, REST, dashboard, command line) call them through `engagement.analysis.calls`, which imports
that module at the first call, not at the server's start.
"""
