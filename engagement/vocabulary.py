"""The domain's words and limits: segments, customer statuses, activity types, directions, stakeholder
levels, and what an activity may hold (docs/rules.md, "Limits"). Plain values, so the typed queries
(engagement/queries.py) and the tables (engagement/models.py) share them without importing each other.
"""

from __future__ import annotations

from typing import Literal, get_args

Segment = Literal["Enterprise", "Mid-Market", "SMB"]
CustomerStatus = Literal["active", "renewed", "churned"]
ActivityType = Literal["email", "meeting", "call", "qbr", "message", "event"]
Direction = Literal["inbound", "outbound"]
StakeholderLevel = Literal["executive", "champion", "user"]

SEGMENTS: tuple[str, ...] = get_args(Segment)
STATUSES: tuple[str, ...] = get_args(CustomerStatus)
ACTIVITY_TYPES: tuple[str, ...] = get_args(ActivityType)
DIRECTIONS: tuple[str, ...] = get_args(Direction)
STAKEHOLDER_LEVELS: tuple[str, ...] = get_args(StakeholderLevel)

MAX_DURATION_MINUTES = 24 * 60
MAX_RESPONSE_HOURS = 24 * 366
MAX_PARTICIPANTS = 100
MAX_PARTICIPANT_LENGTH = 320
MAX_SUBJECT_LENGTH = 500
MAX_ID_LENGTH = 512
MAX_SOURCE_LENGTH = 32
