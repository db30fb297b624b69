"""Mapping email domains to customers, so mail from people not yet in the stakeholder list is attributed."""

from __future__ import annotations

import re

from sqlalchemy.engine import Engine
from engagement.caller import Caller
from engagement.db import session_scope
from engagement.errors import EngagementError
from engagement.capture import store
from engagement.capture.attribution import FREE_MAIL, Directory
from engagement.lookup import find_customer
from engagement.models import CustomerDomain

DOMAIN = re.compile(r"^(?=.{3,253}$)([a-z0-9](-?[a-z0-9])*\.)+[a-z]{2,63}$")


def normalize_domain(value: str) -> str:
    domain = value.strip().lower().removeprefix("@")
    if "@" in domain:
        domain = domain.rsplit("@", 1)[1]
    if not DOMAIN.match(domain):
        raise EngagementError(f"'{value}' is not an email domain; give one like acme.com (or an address at it).")
    return domain


def map_domain(engine: Engine, domain: str, customer: str, caller: Caller, internal_domains: str = "") -> CustomerDomain:
    """Attribute mail and meetings with people at `domain` (and its subdomains) to `customer` (one the caller may see)."""
    name = normalize_domain(domain)
    if name in FREE_MAIL:
        raise EngagementError(
            f"{name} is a free-mail domain shared by many people; add the person as a stakeholder instead."
        )
    with session_scope(engine) as session:
        if Directory.load(session, internal_domains).is_internal(f"x@{name}"):
            raise EngagementError(f"{name} is one of our own domains; only customer domains can be mapped.")
        target = find_customer(session, customer, caller)
        row = session.get(CustomerDomain, name) or CustomerDomain(domain=name, customer_id=target.id)
        row.customer_id = target.id
        session.add(row)
        return row


def unmap_domain(engine: Engine, domain: str) -> bool:
    with session_scope(engine) as session:
        row = session.get(CustomerDomain, normalize_domain(domain))
        if row is None:
            return False
        session.delete(row)
        return True


def mapped_domains(engine: Engine) -> list[CustomerDomain]:
    with session_scope(engine) as session:
        return store.mapped_domains(session)
