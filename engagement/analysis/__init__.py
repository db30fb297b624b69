"""Analysis over the scored portfolio: segments, CSMs, outliers, correlation with outcomes, benchmarks,
recommendations and weight calibration.

Everything here reads the per-period scores of the one scoring path (`engagement.analysis.source`)
and computes with numpy; the MCP tools import it on their first call, not at the server's start.
"""
