"""A deterministic demo portfolio: one CS team, 48 invented customers and a year of touchpoints that tell stories.

`build_demo` makes the rows (pure, from a seed and the as-of date); `load_demo` writes them in one transaction.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import re
from collections import Counter
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from pydantic import BaseModel
from sqlalchemy import MetaData, delete, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from engagement.checks import slug
from engagement.db import session_scope
from engagement.errors import ConflictError, EngagementError
from engagement.models import Activity, ActivityCreate, Csm, Customer, Stakeholder
from engagement.store import insert_ignoring_duplicates
from engagement.writer import NewActivity, write_activities
from engagement.vocabulary import SEGMENTS

SOURCE = "demo"
TEAM_DOMAIN = "northwind-cs.example"
HISTORY_DAYS = 365
WINDOW_DAYS = 30

MANAGER = ("dana.whitfield", "Dana Whitfield")
CSMS = (("priya.raman", "Priya Raman"), ("marcus.bell", "Marcus Bell"),
        ("sofia.alvarez", "Sofia Alvarez"), ("tom.okafor", "Tom Okafor"))

COMPANY_STEMS = (
    "Brightwater Cobaltline Halcyon Ironbark Juniper Kestrel Lumenfield Meridale Northgate Oakhurst Pinecrest "
    "Quarryview Redfern Silverlake Tidewell Umberto Veridian Westbrook Yellowpine Zephyrus Amberly Bluecastle "
    "Cedarhill Driftwood Emberton Foxglove Granitefall Harborlight Islecrest Jadewood Kingsmere Larkspur Mosswell "
    "Nettlefield Orchardly Pebblebrook Quillstone Ravenwood Saltmarsh Thistledown Upland Vantage Willowmere "
    "Ashgrove Birchway Copperleaf Dunmore Elmstead Fernhollow Glenbrook Hollowell Ivoryreach Lindenmark Marlowe"
).split()
COMPANY_KINDS = ("Logistics", "Health", "Analytics", "Foods", "Robotics", "Energy", "Labs", "Freight",
                 "Financial", "Retail", "Manufacturing", "Software", "Biotech", "Insurance", "Media", "Systems")
FIRST_NAMES = (
    "Aisha Ben Carmen Diego Elena Farid Grace Hiroshi Imani Jonas Keiko Liam Maya Nikhil Olivia Pavel Quinn Rosa "
    "Samuel Tanya Uma Victor Wen Ximena Yusuf Zoe Amara Bruno Chloe Dmitri Esther Felix Gabriela Hassan Ingrid"
).split()
LAST_NAMES = (
    "Adeyemi Brennan Castillo Dubois Eriksen Fischer Goldberg Haddad Ishikawa Jensen Kowalski Lindqvist Moreau "
    "Nakamura Osei Petrov Quintero Rahman Silva Tanaka Ueda Varga Whitaker Xu Yilmaz Zhang Abbott Bianchi Chen "
    "Delgado Ekwueme Ferreira Gupta Hoffman Iyer"
).split()
TITLES = {
    "executive": ("VP Operations", "Chief Operating Officer", "VP Customer Experience", "CFO", "VP Engineering"),
    "executive-SMB": ("CEO", "Founder & CEO", "Managing Director", "COO"),
    "champion": ("Director of Operations", "Head of Support", "Senior Operations Manager", "Director of IT",
                 "RevOps Lead"),
    "user": ("Operations Analyst", "Support Team Lead", "Systems Administrator", "Customer Service Manager",
             "Data Analyst", "Project Coordinator"),
}
LEVEL_RANK = {"executive": 0, "champion": 1, "user": 2}


@dataclass(frozen=True)
class Story:
    """How one kind of account behaves: touchpoint intensity per 30-day window back from its anchor date
    (the three most recent, then the steady level before), reply probability (recent, before), health."""

    intensity: tuple[float, float, float, float]
    reply: tuple[float, float]
    health: float
    subjects: tuple[str, ...]
    minutes: tuple[int, ...] = (30, 45, 60)


STORIES: dict[str, Story] = {
    "healthy": Story((1, 1, 1, 1), (0.8, 0.8), 76, ("Monthly check-in", "Usage review", "Roadmap preview")),
    "high_touch": Story((1.7, 1.7, 1.7, 1.7), (0.9, 0.9), 86,
                        ("Weekly sync", "Expansion planning", "Executive review prep"), (45, 60, 90)),
    "slipping": Story((0.35, 0.55, 0.8, 1), (0.4, 0.8), 44,
                      ("Checking in", "Missed sync - reschedule?", "Adoption concerns")),
    "recovering": Story((1.2, 1.0, 0.6, 0.3), (0.8, 0.35), 63,
                        ("Success plan kickoff", "Re-onboarding session", "Executive alignment")),
    "at_risk": Story((0.25, 0.25, 0.25, 0.25), (0.25, 0.3), 28,
                     ("Following up", "Renewal discussion", "Are you still the right contact?"), (30,)),
    "over_engaged": Story((2.8, 2.8, 2.8, 2.8), (0.85, 0.85), 66,
                          ("Quick question", "Support escalation follow-up", "Feature request")),
    "single_threaded": Story((0.9, 0.9, 0.9, 0.9), (0.7, 0.7), 55,
                             ("Champion sync", "Intro to your wider team?", "Onboarding check-in")),
    "never": Story((0, 0, 0, 0), (0, 0), 45, ()),
}
# How many customers of each story in each segment (Enterprise, Mid-Market, SMB): 12 + 18 + 18 = 48.
PLAN: dict[str, tuple[int, int, int]] = {
    "healthy": (4, 5, 3), "high_touch": (4, 3, 0), "slipping": (2, 3, 2), "recovering": (1, 2, 2),
    "at_risk": (1, 2, 3), "over_engaged": (0, 0, 4), "single_threaded": (0, 2, 2), "never": (0, 1, 2),
}
QBR_STORIES = ("healthy", "high_touch", "slipping", "recovering")


@dataclass(frozen=True)
class Segment:
    """Touchpoints per 30 days at intensity 1, ARR range and how many stakeholders we know."""

    emails: float
    inbound: float
    meetings: float
    calls: float
    messages: float
    arr: tuple[int, int]
    people: tuple[int, int]


SEGMENT_BASE = {
    "Enterprise": Segment(7, 1.2, 1.5, 1.2, 0.6, (180_000, 650_000), (4, 6)),
    "Mid-Market": Segment(6, 0.8, 1.3, 1.0, 0.6, (40_000, 150_000), (3, 5)),
    "SMB": Segment(5, 0.6, 0.8, 0.7, 0.6, (6_000, 30_000), (2, 4)),
}


class DemoSummary(BaseModel):
    """What `load_demo` wrote: the demo's size, how many activities were new, its stories and outcomes."""

    csms: int
    customers: int
    stakeholders: int
    activities: int
    new_activities: int
    as_of: dt.date
    seed: int
    reset: bool
    stories: dict[str, int]
    statuses: dict[str, int]


@dataclass
class DemoData:
    csms: list[Csm]
    customers: list[Customer]
    stories: dict[str, str]  # customer id -> story
    stakeholders: list[dict[str, Any]]
    activities: list[dict[str, Any]]


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth), from the seeded generator only."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _people(rng: random.Random, segment: str, story: str, domain: str, customer_id: str) -> list[dict[str, Any]]:
    low, high = SEGMENT_BASE[segment].people
    count = 2 if story == "single_threaded" else rng.randint(2, 3) if story == "never" else rng.randint(low, high)
    names = rng.sample([(f, last) for f in FIRST_NAMES for last in LAST_NAMES], count)
    levels = ["executive", "champion"] + ["champion" if segment == "Enterprise" and i == 2 else "user"
                                          for i in range(2, count)]
    rows = []
    for (first, last), level in zip(names, levels):
        titles = TITLES["executive-SMB" if level == "executive" and segment == "SMB" else level]
        rows.append({"customer_id": customer_id, "name": f"{first} {last}", "email": f"{first}.{last}@{domain}".lower(),
                     "title": rng.choice(titles), "level": level})
    return rows


def _activities(rng: random.Random, story_name: str, segment: str, people: list[dict[str, Any]],
                anchor: dt.date, first_day: dt.date) -> list[dict[str, Any]]:
    """A year (or up to the churn date) of one customer's touchpoints, none after `anchor`."""
    story, base = STORIES[story_name], SEGMENT_BASE[segment]
    if story_name == "never":
        return []
    champion = people[1]
    reachable = [champion] if story_name == "single_threaded" else people[1:] if story_name == "at_risk" else people
    latest = dt.datetime.combine(anchor, dt.time(23, 59))
    rows: list[dict[str, Any]] = []

    def add(kind: str, direction: str, when: dt.datetime, who: list[dict[str, Any]], subject: str | None,
            **extra: Any) -> None:
        level = min((p["level"] for p in who), key=LEVEL_RANK.__getitem__, default=None)
        rows.append({"type": kind, "direction": direction, "date": when, "participants": [p["email"] for p in who],
                     "stakeholder_level": level, "subject": subject, "duration_minutes": None,
                     "response_received": None, "response_time_hours": None, **extra})

    for k in range(HISTORY_DAYS // WINDOW_DAYS + 1):
        end = anchor - dt.timedelta(days=WINDOW_DAYS * k)
        days = [end - dt.timedelta(days=d) for d in range(WINDOW_DAYS)]
        days = [d for d in days if d >= first_day and d.weekday() < 5]
        if not days:
            break
        level = story.intensity[min(k, 3)] * rng.uniform(0.85, 1.15)
        reply = story.reply[0 if k < 3 else 1]
        pool = [champion] if story_name == "slipping" and k < 3 else reachable
        cumulative = list(accumulate(3 if p is champion else 1 for p in pool))  # the champion is the usual contact

        def at() -> dt.datetime:
            return dt.datetime.combine(rng.choice(days), dt.time(rng.randint(8, 16), rng.choice((0, 15, 30, 45))))

        def one() -> list[dict[str, Any]]:
            return rng.choices(pool, cum_weights=cumulative)[:1]

        for _ in range(_poisson(rng, base.emails * level)):
            when, who, subject = at(), one(), rng.choice(story.subjects)
            hours = round(rng.lognormvariate(math.log(5 if reply >= 0.6 else 40), 0.6), 1)
            answered: bool | None = rng.random() < reply
            if answered and when + dt.timedelta(hours=hours) > latest:
                answered = None  # sent just now: no way to know yet
            add("email", "outbound", when, who, subject, response_received=answered,
                response_time_hours=hours if answered else None)
            if answered:
                add("email", "inbound", when + dt.timedelta(hours=hours), who, f"Re: {subject}")
        for _ in range(_poisson(rng, base.inbound * level)):
            add("email", "inbound", at(), one(), rng.choice(story.subjects))
        for _ in range(_poisson(rng, base.meetings * level)):
            who = rng.sample(pool, rng.randint(1, min(3, len(pool))))
            add("meeting", "outbound", at(), who, rng.choice(story.subjects),
                duration_minutes=rng.choice(story.minutes))
        for _ in range(_poisson(rng, base.calls * level)):
            add("call", rng.choice(("outbound", "outbound", "inbound")), at(), one(), rng.choice(story.subjects),
                duration_minutes=rng.choice((15, 20, 30)))
        for _ in range(_poisson(rng, base.messages * level)):
            add("message", rng.choice(("outbound", "inbound")), at(), one(), "In-app chat")
        if segment == "Enterprise" and story_name in QBR_STORIES and level >= 0.8 and k % 3 == 1:
            when = at()
            who = [p for p in pool if p["level"] != "user"] or pool
            add("qbr", "outbound", when, who, f"QBR Q{(when.month - 1) // 3 + 1} {when.year}",
                duration_minutes=rng.choice((60, 90)))
    return sorted(rows, key=lambda row: row["date"])


def build_demo(seed: int, as_of: dt.date) -> DemoData:
    """Every demo row for `seed`, dated relative to `as_of`; the same arguments always give the same rows."""
    rng = random.Random(seed)
    first_day = as_of - dt.timedelta(days=HISTORY_DAYS - 1)
    manager = Csm(id=MANAGER[0], name=MANAGER[1], email=f"{MANAGER[0]}@{TEAM_DOMAIN}")
    csms = [manager] + [Csm(id=i, name=n, email=f"{i}@{TEAM_DOMAIN}", manager_id=manager.id) for i, n in CSMS]
    # Grouped by story, dealt round-robin to the CSMs so each gets a mix; then shuffled for the ids.
    slots = [(story, segment) for story, counts in PLAN.items() for segment, count in zip(SEGMENTS, counts)
             for _ in range(count)]
    dealt: list[tuple[str, str, str, int]] = []  # story, segment, CSM, rank within the story
    ranks: Counter[str] = Counter()
    for i, (story, segment) in enumerate(slots):
        dealt.append((story, segment, CSMS[i % len(CSMS)][0], ranks[story]))
        ranks[story] += 1
    rng.shuffle(dealt)
    names = rng.sample(COMPANY_STEMS, len(dealt))
    data = DemoData(csms=csms, customers=[], stories={}, stakeholders=[], activities=[])
    for number, ((story, segment, csm_id, j), stem) in enumerate(zip(dealt, names), start=1):
        customer_id = f"demo-{number:02d}"
        name = f"{stem} {rng.choice(COMPANY_KINDS)}"
        low, high = SEGMENT_BASE[segment].arr
        arr = round(rng.uniform(low, (low + high) / 2 if story == "over_engaged" else high) / 500) * 500
        # Which renewals already happened: a share of each story; never-contacted and recovering ones are ahead.
        past = story not in ("never", "recovering") and j % (3 if story == "slipping" else 2) == 0
        churned = past and (story == "at_risk" or (story == "slipping" and j > 0))
        if past:
            renewal = as_of - dt.timedelta(days=rng.randint(120, 300) if story == "slipping" else rng.randint(20, 300))
        else:
            renewal = as_of + dt.timedelta(days=rng.randint(150, 360) if story == "never" else rng.randint(1, 360))
        status = "churned" if churned else "renewed" if past else "active"
        health = min(98.0, max(5.0, round(STORIES[story].health + rng.gauss(0, 5) - (8 if churned else 0), 1)))
        people = _people(rng, segment, story, f"{slug(name)}.example", customer_id)
        acts = _activities(rng, story, segment, people, renewal if churned else as_of, first_day)
        for n, act in enumerate(acts, start=1):  # stored "when it happened", so reloads are identical
            act.update(customer_id=customer_id, source=SOURCE, created_at=act["date"],
                       external_id=f"{_prefix(seed, as_of)}{customer_id}-{n:04d}")
        data.customers.append(Customer(id=customer_id, name=name, segment=segment, csm_id=csm_id, arr=float(arr),
                                       renewal_date=renewal, health_score=health, status=status))
        data.stories[customer_id] = story
        data.stakeholders += people
        data.activities += acts
    return data


def _prefix(seed: int, as_of: dt.date) -> str:
    return f"s{seed}-{as_of.isoformat()}-"


# What a reset keeps: Alembic's record of the schema, the store version, which only ever goes up, and the
# change log beside it (the answers' caches trust both: the deletes below bump the one and write the other).
KEPT_BY_RESET = frozenset({"alembic_version", "store_version", "score_change"})


def _reset(session: Session) -> None:
    """Delete every row of every table the store has (score history, alerts and their outbox, users and tokens,
    Google sync state too), children first, in the caller's transaction."""
    connection = session.connection()
    tables = MetaData()
    tables.reflect(connection)  # the database's own list: a table of any module (or a newer migration) included
    session.execute(delete(Activity))  # first, so its triggers empty the rollups as they keep them
    session.execute(update(Csm).values(manager_id=None))  # a CSM's manager is another CSM
    for table in reversed(tables.sorted_tables):  # a table's rows before the rows they point at
        if table.name not in KEPT_BY_RESET and table.name != Activity.__tablename__:
            connection.execute(table.delete())


def _check_same_demo(session: Session, seed: int, as_of: dt.date) -> None:
    other = session.exec(
        select(Activity.external_id).where(Activity.source == SOURCE, col(Activity.external_id).is_not(None)).limit(1)
    ).first()
    if other is not None and not other.startswith(_prefix(seed, as_of)):
        found = re.match(r"s(-?\d+)-(\d{4}-\d{2}-\d{2})-", other)
        held = f"seed {found[1]} as of {found[2]}" if found else f"activity {other}"
        raise EngagementError(
            f"The store already holds the demo for {held}; loading seed {seed} as of {as_of} over it would mix "
            f"the two. Run `engagement demo --seed {seed} --reset` to replace it (reset deletes every row)."
        )


def load_demo(engine: Engine, *, as_of: dt.date, seed: int = 7, reset: bool = False) -> DemoSummary:
    """Write the demo portfolio for `seed` as of `as_of` in one transaction; loading it again adds nothing.

    `reset=True` first deletes every row of every table (the demo's and anyone else's, the daily check's
    history and alerts, users and tokens), in the same transaction: a failure keeps the store as it was.
    """
    data = build_demo(seed, as_of)
    # Held to the rules as every activity is; stored as recorded when they happened, so reloads are identical.
    activities = [
        NewActivity(row["customer_id"], ActivityCreate.checked(row, as_of=as_of, default_source=SOURCE))
        for row in data.activities
    ]
    with session_scope(engine) as session:
        if reset:
            _reset(session)
        else:
            _check_same_demo(session, seed, as_of)
        session.merge(data.csms[0])
        session.flush()  # the manager first: the others' manager_id points at it
        for row in [*data.csms[1:], *data.customers]:
            session.merge(row)
        session.flush()
        table = Stakeholder.__table__  # type: ignore[attr-defined]
        people = insert_ignoring_duplicates(session, table, ["customer_id", "email"])
        session.connection().execute(people, data.stakeholders)  # Core: one statement, batched by the driver
        written = write_activities(session, activities, backdated=True)
        if held := [row.activity.external_id for row, each in zip(activities, written, strict=True) if each.conflict]:
            raise ConflictError(  # raised in the session: nothing of the demo is loaded
                f"{len(held)} of the demo's activities have keys that activities of other customers hold (the first: "
                f"source '{SOURCE}', external_id '{held[0]}'); nothing was loaded. Run `engagement demo --seed {seed} "
                "--reset` to replace every row, or load the demo into an empty store."
            )
        added = sum(each.created for each in written)
    return DemoSummary(
        csms=len(data.csms),
        customers=len(data.customers),
        stakeholders=len(data.stakeholders),
        activities=len(data.activities),
        new_activities=added,
        as_of=as_of,
        seed=seed,
        reset=reset,
        stories=dict(Counter(data.stories.values())),
        statuses=dict(Counter(c.status for c in data.customers)),
    )
