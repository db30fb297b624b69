"""What a sync answers (per mailbox/calendar and in total) and what the sync status shows, as pydantic models."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from engagement.schemas import UtcDateTime

MAX_UNMATCHED = 50
SAMPLE_ADDRESSES = 5


class SkipCounts(BaseModel):
    internal_only: int = Field(0, description="Only our own people: not a customer touchpoint.")
    no_customer_match: int = Field(0, description="External people no customer claims (see unmatched).")
    automated: int = Field(0, description="Machine-sent mail: auto-replies, out-of-office, lists, no-reply.")
    not_a_meeting: int = Field(0, description="All-day entries, focus/OOO blocks, declined or cancelled events.")
    key_conflict: int = Field(
        0,
        description="Not stored: the message's or meeting's key (source and external_id) is already an activity "
        "of another customer, stored before it was attributed this way or by another writer.",
    )


class UnmatchedDomain(BaseModel):
    domain: str
    items: int = Field(description="Messages and meetings with people at this domain that no customer claimed.")
    addresses: list[str] = Field(description=f"Up to {SAMPLE_ADDRESSES} of the addresses seen.")


class SourceRun(BaseModel):
    """One mailbox's or calendar's run."""

    csm_id: str
    account: str
    kind: str = Field(description="gmail, calendar, outlook_inbox, outlook_sent or outlook_calendar.")
    mode: str | None = Field(description="full (first sync), incremental, or resync (cursor expired).")
    ok: bool
    error: str | None = None
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = Field(0, description="Meetings cancelled (or no longer with a customer) since the last run.")
    skipped: SkipCounts = Field(default_factory=SkipCounts)
    external: int = Field(0, description="Messages and meetings with external people (automated mail excluded).")
    attributed: int = Field(0, description="Of those, attributed to a customer.")


class SyncReport(BaseModel):
    started_at: UtcDateTime
    finished_at: UtcDateTime
    new: int
    updated: int
    unchanged: int
    removed: int
    skipped: SkipCounts
    coverage: float | None = Field(
        description="Share (0-1) of external-party messages and meetings attributed to a customer; null if none."
    )
    failed_sources: int
    sources: list[SourceRun]
    unmatched: list[UnmatchedDomain] = Field(
        description="External domains no customer claims, most frequent first: map them with `engagement domain add`."
    )
    not_connected: list[str] = Field(description="CSMs connected to no provider (ids); they were not synced.")


class UnattributedDomain(BaseModel):
    domain: str
    items: int = Field(description="External messages and meetings of the last 30 days with people there, no customer's.")
    command: str = Field(description="The command that maps the domain to a customer (put the customer's name or id).")


class CsmVisibility(BaseModel):
    csm_id: str
    connected: list[str] = Field(description="Providers whose mail and calendar are connected: google, microsoft.")
    external: int = Field(description="External messages and meetings seen in their mailboxes over the last 30 days.")
    attributed: int = Field(description="Of those, attributed to a customer.")
    share: float | None = Field(description="attributed / external (0-1); null when nothing was seen.")


class Visibility(BaseModel):
    """How much of the team's engagement the store holds (docs/rules.md, "Engagement visibility")."""

    days: int = Field(description="The window: the last 30 days.")
    csms_connected: int = Field(description="CSMs with mail and calendar connected (any provider).")
    csms_total: int
    external: int = Field(description="External messages and meetings seen in connected mailboxes, each counted once.")
    attributed: int = Field(description="Of those, attributed to a customer.")
    share: float | None = Field(description="attributed / external (0-1); null when nothing was seen.")
    unattributed: list[UnattributedDomain] = Field(description="The rest by domain, biggest first.")
    failing: list[str] = Field(description="Sources (csm/kind) whose last run failed.")
    stale: list[str] = Field(description="Sources (csm/kind) whose last success is more than an hour old, or never.")
    csms: list[CsmVisibility]


class SourceStatus(BaseModel):
    csm_id: str
    account: str
    kind: str
    last_run_at: UtcDateTime | None
    last_success_at: UtcDateTime | None
    cursor_age_minutes: float | None = Field(description="Minutes since the stored cursor was current; null if never synced.")
    last_mode: str | None
    last_counts: dict[str, int]
    last_error: str | None


class SyncStatus(BaseModel):
    now: UtcDateTime
    sources: list[SourceStatus]
    not_connected: list[str] = Field(description="CSMs connected to no provider (ids).")
    stale: list[str] = Field(description="Sources (csm/kind) whose last success is more than an hour old, or never.")
    visibility: Visibility


@dataclass
class Tally:
    """Counters of one source's run, filled while its items are written."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    external: int = 0
    attributed: int = 0
    skipped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SkipCounts.model_fields, 0))
    unmatched_items: dict[str, int] = field(default_factory=dict)  # domain -> items with people there
    unmatched_addresses: dict[str, set[str]] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] += 1

    def no_match(self, addresses: list[str]) -> None:
        self.skip("no_customer_match")
        for address in addresses:
            self.unmatched_addresses.setdefault(address.rsplit("@", 1)[-1], set()).add(address)
        for domain in {a.rsplit("@", 1)[-1] for a in addresses}:
            self.unmatched_items[domain] = self.unmatched_items.get(domain, 0) + 1

    def counts(self) -> dict[str, int]:
        return {
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            **{f"skipped_{name}": value for name, value in self.skipped.items()},
            "external": self.external,
            "attributed": self.attributed,
        }

    def source_run(self, csm_id: str, account: str, kind: str, mode: str | None) -> SourceRun:
        return SourceRun(
            csm_id=csm_id,
            account=account,
            kind=kind,
            mode=mode,
            ok=True,
            new=self.new,
            updated=self.updated,
            unchanged=self.unchanged,
            removed=self.removed,
            skipped=SkipCounts(**self.skipped),
            external=self.external,
            attributed=self.attributed,
        )


def unmatched_domains(tallies: list[Tally]) -> list[UnmatchedDomain]:
    items: dict[str, int] = {}
    addresses: dict[str, set[str]] = {}
    for tally in tallies:
        for domain, count in tally.unmatched_items.items():
            items[domain] = items.get(domain, 0) + count
            addresses.setdefault(domain, set()).update(tally.unmatched_addresses.get(domain, set()))
    ranked = sorted(items, key=lambda d: (-items[d], d))[:MAX_UNMATCHED]
    return [UnmatchedDomain(domain=d, items=items[d], addresses=sorted(addresses[d])[:SAMPLE_ADDRESSES]) for d in ranked]
