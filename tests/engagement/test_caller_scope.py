"""A caller limited to some CSMs sees their customers only, and anything else as if it did not exist."""

from __future__ import annotations

import pytest

from engagement.caller import Caller
from engagement.errors import NotFoundError
from engagement.core import Core
from tests.conftest import AS_OF
from tests.factories import Factory
from engagement.activities import log_activity
from engagement.customer import customer, search, trends
from engagement.portfolio import low_engagement, portfolio
from engagement.queries import CustomerQuery, LogActivityQuery, LowEngagementQuery, PortfolioQuery, SearchQuery, TrendsQuery, UncontactedQuery
from engagement.uncontacted import uncontacted

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
    two_books: None, core: Core
) -> None:
    mine = portfolio(core, CASEY, PortfolioQuery())
    everything = portfolio(core, CASEY, PortfolioQuery(csm_id="all"))
    low = low_engagement(core, CASEY, LowEngagementQuery(threshold=100))
    silent = uncontacted(core, CASEY, UncontactedQuery(days=1))

    assert [row.customer_id for row in mine.customers] == ["acme"] == [r.customer_id for r in everything.customers]
    assert [row.customer_id for row in low.customers] == ["acme"]
    assert {row.customer_id for row in silent.customers} <= {"acme"}


@pytest.mark.parametrize("ref", ["globex", "Globex", "glob", "initech"])
def test_another_csms_customer_is_not_found_and_not_hinted(
    two_books: None, core: Core, ref: str
) -> None:
    with pytest.raises(NotFoundError) as raised:
        customer(core, CASEY, CustomerQuery(customer=ref))
    with pytest.raises(NotFoundError):
        trends(core, CASEY, TrendsQuery(customer=ref))
    with pytest.raises(NotFoundError) as unknown:
        customer(core, CASEY, CustomerQuery(customer="zzzz"))

    # Worded exactly as for a customer that does not exist: no name, id or close match of theirs.
    assert str(raised.value) == str(unknown.value).replace("zzzz", ref)


def test_a_limited_caller_cannot_widen_the_scope_to_another_csm_or_the_manager(
    two_books: None, core: Core
) -> None:
    with pytest.raises(NotFoundError) as unknown:
        portfolio(core, CASEY, PortfolioQuery(csm_id="nobody"))
    for other in ("robin", "robin@ourco.test", "lead"):
        with pytest.raises(NotFoundError) as raised:
            portfolio(core, CASEY, PortfolioQuery(csm_id=other))
        assert str(raised.value) == str(unknown.value).replace("nobody", other)


def test_a_limited_caller_searches_and_logs_only_within_their_customers(
    two_books: None, core: Core
) -> None:
    found = search(core, CASEY, SearchQuery(query="o"))  # Acme Corp, Globex both contain an "o"

    assert [match.customer_id for match in found.matches] == ["acme"] and found.page.total == 1
    with pytest.raises(NotFoundError):
        log_activity(core, CASEY, LogActivityQuery(customer="globex", type="call", direction="outbound"))
    assert portfolio(core, Caller(as_of=AS_OF), PortfolioQuery(csm_id="robin")).customers[0].engagement_score == 56.8


def test_a_manager_sees_the_team_and_an_unlimited_caller_everyone(two_books: None, core: Core) -> None:
    manager = Caller(as_of=AS_OF, user="lead", visible_csms=frozenset({"lead", "casey", "robin"}))

    team = portfolio(core, manager, PortfolioQuery())
    everyone = portfolio(core, Caller(as_of=AS_OF), PortfolioQuery(csm_id="all"))

    assert sorted(row.customer_id for row in team.customers) == ["acme", "globex"]
    assert sorted(row.customer_id for row in everyone.customers) == ["acme", "globex", "initech"]
