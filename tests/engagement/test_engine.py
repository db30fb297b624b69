"""The engine against SPEC.md's worked examples and hand-computed cases, on every backend."""

from __future__ import annotations

import pytest

from engagement.db import read_scope
from engagement.periods import previous_period, resolve_period
from engagement.scope import EVERYONE
from engagement.core import Core
from tests.factories import Factory, local
from engagement.customer import customer
from engagement.portfolio import portfolio
from engagement.queries import CustomerQuery, PortfolioQuery, UncontactedQuery
from engagement.uncontacted import uncontacted


def test_spec_example_one_scores_56_8_low(core: Core, factory: Factory) -> None:
    factory.customer("acme", "Acme Corp")
    factory.spec_example_one("acme")

    detail = customer(core, local(core), CustomerQuery(customer="Acme Corp"))

    components = detail.score.components
    assert (components.email_volume, components.email_response, components.meeting_frequency) == (50, 60, 60)
    assert (components.meeting_quality, components.stakeholder_breadth, components.recency) == (15, 75, 88)
    assert detail.score.engagement_score == 56.8
    assert detail.score.category == "low"
    assert detail.activities.emails_sent == 10
    assert detail.quality.response_rate == 0.6
    assert detail.quality.avg_response_time_hours == 4.0
    assert detail.last_contact is not None and detail.last_contact.days_ago == 4


def test_customer_never_contacted_scores_zero_at_risk(core: Core, factory: Factory) -> None:
    factory.customer("quiet", "Quiet Ltd")

    detail = customer(core, local(core), CustomerQuery(customer="quiet"))

    assert detail.score.engagement_score == 0.0
    assert detail.score.category == "at_risk"
    assert detail.last_contact is None
    assert all(value == 0 for value in detail.score.components.model_dump().values())


def test_spec_example_three_scores_100_high(core: Core, factory: Factory) -> None:
    factory.customer("star", "Star Inc")
    factory.activities("star", 30, "2026-10-10T09:00:00", response_received=True)
    people = [f"p{i}@star.test" for i in range(5)]
    for i in range(8):
        factory.activity("star", f"2026-11-{10 + i:02d}T09:00:00", type="meeting", duration_minutes=120, participants=people)
    factory.activity("star", "2026-11-24T08:00:00", type="call")

    detail = customer(core, local(core), CustomerQuery(customer="star"))

    assert detail.score.engagement_score == 100.0
    assert detail.score.category == "high"
    assert detail.last_contact is not None and detail.last_contact.days_ago == 0


@pytest.mark.parametrize("period", ["this_quarter", "last_quarter", "last_30_days", "2026-10"])
def test_portfolio_and_detail_agree(core: Core, factory: Factory, period: str) -> None:
    factory.customer("acme", "Acme Corp")
    factory.spec_example_one("acme")
    factory.customer("quiet", "Quiet Ltd")
    factory.activity("quiet", "2026-08-01T09:00:00", type="call", direction="inbound")

    answer = portfolio(core, local(core), PortfolioQuery(period=period))

    for row in answer.customers:
        detail = customer(core, local(core), CustomerQuery(customer=row.customer_id, period=period))
        assert (row.engagement_score, row.category, row.trend) == (
            detail.score.engagement_score,
            detail.score.category,
            detail.score.trend,
        )


def test_last_contact_at_one_instant_is_the_activity_stored_last(core: Core, factory: Factory) -> None:
    factory.customer("acme", "Acme Corp")
    factory.customer("beta", "Beta Ltd")
    factory.activity("acme", "2026-11-20T09:00:00", type="call")
    factory.activity("acme", "2026-11-20T09:00:00", type="meeting")
    factory.activity("beta", "2026-11-20T09:00:00", type="meeting")
    factory.activity("beta", "2026-11-20T09:00:00", type="call")
    factory.activity("beta", "2026-11-25T09:00:00", type="email")  # after the as-of date: not yet

    detail = customer(core, local(core), CustomerQuery(customer="acme"))
    silent = {row.customer_id: row for row in uncontacted(core, local(core), UncontactedQuery(days=1)).customers}

    assert detail.last_contact is not None and detail.last_contact.type == "meeting"
    assert (silent["acme"].last_contact_type, silent["beta"].last_contact_type) == ("meeting", "call")


def test_the_previous_score_equals_the_previous_period_scored_on_its_own(core: Core, factory: Factory) -> None:
    # The previous period is read for its scores only, its last contact to the day (recency counts whole
    # days); customers quiet in it are probed for their last contact before it, named by id.
    factory.customer("acme", "Acme Corp")
    factory.spec_example_one("acme")
    factory.activity("acme", "2026-10-24T23:59:59", type="call")  # the previous period's last instant
    factory.customer("quiet", "Quiet Ltd")  # nothing in October up to the 24th: recency from September
    factory.activity("quiet", "2026-09-30T23:00:00", type="meeting", duration_minutes=60)
    factory.activity("quiet", "2026-11-02T09:00:00", type="call")
    factory.customer("late", "Late Inc")  # its only October touchpoint falls after the cut (the 24th)
    factory.activity("late", "2026-10-25T08:00:00", type="meeting")
    factory.activity("late", "2026-05-05T08:00:00", type="email")
    factory.customer("never", "Never Co")
    period = resolve_period("this_month", local(core).as_of)  # the previous period: 2026-10-01..24

    with read_scope(core.engine) as session:
        table = core.scorer.score(session, EVERYONE, period)
        alone = core.scorer.score(session, EVERYONE, previous_period(period))

    assert table.ids.tolist() == alone.ids.tolist() == ["acme", "late", "never", "quiet"]
    assert table["previous_score"].tolist() == alone["engagement_score"].tolist()
    assert (alone["days_ago"][3], alone["engagement_score"][3]) == (24, 2.8)  # recency 100 - 24 * 3, weight .1
