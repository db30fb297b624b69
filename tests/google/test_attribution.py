"""Attribution rules: stakeholder address first, then mapped (or stakeholder-derived) domains; never free-mail or ours."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from engagement.capture.attribution import Directory
from engagement.capture.items import is_automated
from tests.factories import Factory


def directory(engine: Engine) -> Directory:
    with Session(engine) as session:
        return Directory.load(session, "ourco-labs.test")


def test_stakeholder_address_then_domain_then_parent_domain(engine: Engine, portfolio: Factory) -> None:
    found = directory(engine)

    assert found.customer_of("ana@acme.test") == "acme"
    assert found.customer_of("new.person@acme.test") == "acme"  # a stakeholder's company domain maps by itself
    assert found.customer_of("ops@eu.globex.test") == "globex"  # subdomain of a mapped domain
    assert found.customer_of("al.private@gmail.com") == "acme"  # a listed stakeholder, even on free mail
    assert found.customer_of("someone@gmail.com") is None  # free mail never maps by domain
    assert found.is_internal("x@ourco-labs.test") and found.is_internal("casey@ourco.test")


def test_a_domain_two_customers_share_maps_to_neither(engine: Engine, portfolio: Factory) -> None:
    portfolio.customer("umbrella", "Umbrella")
    portfolio.stakeholder("umbrella", "Uma", "uma@partner.test")
    portfolio.stakeholder("globex", "Gil", "gil@partner.test")

    found = directory(engine)

    assert found.customer_of("new@partner.test") is None and found.customer_of("uma@partner.test") == "umbrella"


def test_most_customer_addresses_win_and_participants_are_that_customers(engine: Engine, portfolio: Factory) -> None:
    result = directory(engine).attribute(["casey@ourco.test", "ops@globex.test", "ana@acme.test", "ben@acme.test", "zed@initech.test"])

    assert (result.customer_id, result.participants, result.unmatched) == ("acme", ["ana@acme.test", "ben@acme.test"], ["zed@initech.test"])
    assert directory(engine).attribute(["casey@ourco.test", "dana@ourco.test"]).outcome == "internal_only"


def test_automated_mail_is_recognised() -> None:
    assert is_automated({"auto-submitted": "auto-generated"}, "a@x.test", "Hi")
    assert not is_automated({"auto-submitted": "no"}, "a@x.test", "Hi")
    assert is_automated({"precedence": "list"}, "a@x.test", "Hi")
    assert is_automated({}, "no-reply@x.test", "Hi") and is_automated({}, "noreply+abc@x.test", "Hi")
    assert is_automated({}, "a@x.test", "Out of Office: back Monday")
    assert not is_automated({}, "a@x.test", "Re: renewal")
