"""Who is on which side: our people versus customers, by stakeholder address, then by mapped domain.

Rules (docs/rules.md, "Captured mail and meetings"): a stakeholder's address wins; else the address's domain (or a parent
domain) mapped to a customer, explicitly or through a stakeholder of that customer at that domain.
Free-mail and our own domains never map by domain.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from email.utils import getaddresses

from sqlmodel import Session

from engagement.capture import store

FREE_MAIL = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "ymail.com", "hotmail.com", "outlook.com", "live.com",
        "msn.com", "icloud.com", "me.com", "mac.com", "aol.com", "proton.me", "protonmail.com", "pm.me",
        "gmx.com", "gmx.de", "gmx.net", "web.de", "yandex.com", "yandex.ru", "mail.ru", "qq.com", "163.com",
        "126.com", "zoho.com", "hey.com", "fastmail.com", "tutanota.com", "mail.com", "yahoo.co.uk",
        "hotmail.co.uk", "comcast.net", "verizon.net", "att.net", "orange.fr", "free.fr", "t-online.de",
    }
)  # fmt: skip
NO_REPLY = re.compile(r"^(no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer-daemon|postmaster|bounces?)([+._-].*)?@")


def parse_addresses(*header_values: str | None) -> list[str]:
    """Lower-cased addresses from From/To/Cc-style header values, in order, without duplicates."""
    found: dict[str, None] = {}
    for _name, address in getaddresses([value for value in header_values if value]):
        address = address.strip().lower()
        if "@" in address:
            found.setdefault(address, None)
    return list(found)


def domain_of(address: str) -> str:
    return address.rsplit("@", 1)[-1].strip().lower()


def _parents(domain: str) -> list[str]:
    """eu.mail.acme.com -> [eu.mail.acme.com, mail.acme.com, acme.com]."""
    parts = domain.split(".")
    return [".".join(parts[i:]) for i in range(len(parts) - 1)]


def is_no_reply(address: str) -> bool:
    return NO_REPLY.match(address) is not None


@dataclass(frozen=True)
class Attribution:
    """The outcome of reading one message's or event's addresses."""

    outcome: str  # "customer" | "internal_only" | "no_customer_match"
    customer_id: str | None = None
    participants: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)  # external addresses no customer claims


@dataclass
class Directory:
    """Our people and domains, stakeholders by address and domains by customer, loaded once per sync."""

    internal_emails: set[str]
    internal_domains: set[str]
    stakeholders: dict[str, str]  # address -> customer_id
    domains: dict[str, str]  # domain -> customer_id

    @classmethod
    def load(cls, session: Session, extra_internal_domains: str = "") -> Directory:
        csm_emails = {email.strip().lower() for email in store.csm_emails(session)}
        internal_domains = {domain_of(email) for email in csm_emails}
        internal_domains |= {d.strip().lower().lstrip("@") for d in extra_internal_domains.split(",") if d.strip()}
        stakeholders: dict[str, str] = {}
        by_domain: dict[str, set[str]] = {}
        for email, customer_id in store.stakeholder_addresses(session):
            if not email:
                continue
            address = email.strip().lower()
            stakeholders.setdefault(address, customer_id)
            by_domain.setdefault(domain_of(address), set()).add(customer_id)
        # A stakeholder's domain maps automatically when it is a company domain that only one customer claims.
        domains = {
            domain: next(iter(owners))
            for domain, owners in by_domain.items()
            if len(owners) == 1 and domain not in FREE_MAIL and not _is_internal_domain(domain, internal_domains)
        }
        for row in store.mapped_domains(session):
            domains[row.domain.lower()] = row.customer_id  # set by a person: wins over the automatic guess
        return cls(csm_emails, internal_domains, stakeholders, domains)

    def add_internal(self, address: str) -> None:
        """The mailbox owner is one of ours even when not listed as a CSM (a service-account sync)."""
        self.internal_emails.add(address.lower())

    def is_internal(self, address: str) -> bool:
        return address in self.internal_emails or _is_internal_domain(domain_of(address), self.internal_domains)

    def customer_of(self, address: str) -> str | None:
        if address in self.stakeholders:
            return self.stakeholders[address]
        domain = domain_of(address)
        if domain in FREE_MAIL or _is_internal_domain(domain, self.internal_domains):
            return None
        for candidate in _parents(domain):
            if candidate in self.domains:
                return self.domains[candidate]
        return None

    def attribute(self, addresses: list[str]) -> Attribution:
        """The one customer these addresses are about: the one with most of them, the first named on a tie."""
        external = [a for a in addresses if not self.is_internal(a)]
        if not external:
            return Attribution("internal_only")
        owners = {address: self.customer_of(address) for address in external}
        votes = Counter(customer for customer in owners.values() if customer is not None)
        unmatched = [address for address, customer in owners.items() if customer is None]
        if not votes:
            return Attribution("no_customer_match", unmatched=unmatched)
        best = max(votes.values())
        chosen = next(c for c in owners.values() if c is not None and votes[c] == best)
        participants = [address for address, customer in owners.items() if customer == chosen]
        return Attribution("customer", chosen, participants, unmatched)


def _is_internal_domain(domain: str, internal: set[str]) -> bool:
    return any(candidate in internal for candidate in _parents(domain)) or domain in internal
