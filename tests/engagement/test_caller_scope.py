"""A caller limited to some CSMs sees their customers only, and anything else as if it did not exist."""

from __future__ import annotations

import pytest

from engagement.caller import Caller
from engagement.errors import NotFoundError
from engagement.service import EngagementService
from tests.conftest import AS_OF
from tests.factories import Factory

CASEY = Caller(as_of=AS_OF, user="casey", visible_csms=frozenset({"casey"}), label="user-1")


@pytest.fixture
def two_books(factory: Factory) -> None:
    factory.csm("lead", "Lee Lead")
    factory.csm("casey", "Casey Morgan", manager_id="lead")
    factory.csm("robin", "Robin Park", manager_id="lead")
    factory.customer("acme", "Acme Corp", csm_id="casey")
    factory.customer("globex", "Globex", csm_id="robin")
    factory.customer("initech", "Initech", csm_id=None)
    factory.spec_example_one("acme")
    factory.spec_example_one("globex")


def test_a_limited_caller_sees_only_their_customers_by_default_and_with_all(
    two_books: None, service: EngagementService
) -> None:
    mine = service.portfolio(CASEY)
    everything = service.portfolio(CASEY, csm="all")
    low = service.low_engagement(CASEY, threshold=100)
    silent = service.uncontacted(CASEY, days=1)

    assert [row.customer_id for row in mine.customers] == ["acme"] == [r.customer_id for r in everything.customers]
    assert [row.customer_id for row in low.customers] == ["acme"]
    assert {row.customer_id for row in silent.customers} <= {"acme"}


@pytest.mark.parametrize("ref", ["globex", "Globex", "glob", "initech"])
def test_another_csms_customer_is_not_found_and_not_hinted(
    two_books: None, service: EngagementService, ref: str
) -> None:
    with pytest.raises(NotFoundError) as raised:
        service.customer(CASEY, ref=ref)
    with pytest.raises(NotFoundError):
        service.trends(CASEY, ref=ref)
    with pytest.raises(NotFoundError) as unknown:
        service.customer(CASEY, ref="zzzz")

    # Worded exactly as for a customer that does not exist: no name, id or close match of theirs.
    assert str(raised.value) == str(unknown.value).replace("zzzz", ref)


def test_a_limited_caller_cannot_widen_the_scope_to_another_csm_or_the_manager(
    two_books: None, service: EngagementService
) -> None:
    with pytest.raises(NotFoundError) as unknown:
        service.portfolio(CASEY, csm="nobody")
    for other in ("robin", "robin@ourco.test", "lead"):
        with pytest.raises(NotFoundError) as raised:
            service.portfolio(CASEY, csm=other)
        assert str(raised.value) == str(unknown.value).replace("nobody", other)


def test_a_limited_caller_searches_and_logs_only_within_their_customers(
    two_books: None, service: EngagementService
) -> None:
    found = service.search(CASEY, query="o")  # Acme Corp, Globex both contain an "o"

    assert [match.customer_id for match in found.matches] == ["acme"] and found.page.total == 1
    with pytest.raises(NotFoundError):
        service.log_activity(CASEY, customer="globex", activity={"type": "call", "direction": "outbound"})
    assert service.portfolio(Caller(as_of=AS_OF), csm="robin").customers[0].engagement_score == 56.8


def test_a_manager_sees_the_team_and_an_unlimited_caller_everyone(two_books: None, service: EngagementService) -> None:
    manager = Caller(as_of=AS_OF, user="lead", visible_csms=frozenset({"lead", "casey", "robin"}))

    team = service.portfolio(manager)
    everyone = service.portfolio(Caller(as_of=AS_OF), csm="all")

    assert sorted(row.customer_id for row in team.customers) == ["acme", "globex"]
    assert sorted(row.customer_id for row in everyone.customers) == ["acme", "globex", "initech"]
