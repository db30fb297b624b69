"""The caller's faults, as one exception family the edges turn into tool errors or exit code 1."""

from __future__ import annotations


class EngagementError(ValueError):
    """Bad input from a caller: the message says what was wrong and what is accepted."""


class NotFoundError(EngagementError):
    """A customer, CSM or other record named by the caller does not exist (or is ambiguous)."""


class ConfigError(EngagementError):
    """A setting or config file is invalid; raised at start-up."""
