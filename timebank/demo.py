"""The demo time bank: Riverside, its people, and a year of its history.

Everything is recorded through the domain's services, as the people would have
recorded it, so the demo obeys every rule the real thing does: nobody spends
beyond their floor, nobody approves their own entries. The history is drawn
from a random generator with a fixed seed, so the same day gives the same demo.
"""

import functools
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

import ledger
from timebank.banks.models import Approval, TimeBank
from timebank.banks.rules import today
from timebank.banks.services import change_settings, list_time_banks_of, open_time_bank
from timebank.decisions import Decision
from timebank.exchanges.services import (
    approve_exchange,
    record_exchange,
    reject_exchange,
)
from timebank.gifts.services import approve_gift, give_gift
from timebank.hour_logs.services import approve_hour_log, log_hours, reject_hour_log
from timebank.organisations.models import Activity, Organisation
from timebank.organisations.services import (
    add_activity,
    appoint_organisation_admin,
    register_organisation,
)
from timebank.people.models import Membership, Role, User
from timebank.people.services import (
    enrol_member,
    find_user_by_email,
    grant_role,
    register_user,
)
from timebank.reversals.services import reverse_entry
from timebank.spending.services import record_spend

DEMO_NAME = "Riverside Time Bank"
DEMO_SLUG = "riverside"
DEMO_PASSWORD = "timebank-demo"

# Fixed, so that every run of the demo tells the same story.
HISTORY_SEED = 1848
HISTORY_DAYS = 365
USUAL_BACKDATING_DAYS = 30
GIFT_APPROVAL_ABOVE_MINUTES = 180
# Entries this recent may still wait in a broker's or organisation's queue.
RECENT_DAYS = 21

ADMIN = ("admin", "Adaeze Okafor")
BROKERS = (("broker", "Bea Lindqvist"), ("broker2", "Tomasz Nowak"))
MEMBERS = (
    ("ana", "Ana Sousa"),
    ("ben", "Ben Carter"),
    ("chen", "Chen Wei"),
    ("dara", "Dara Murphy"),
    ("eilidh", "Eilidh MacLeod"),
    ("farah", "Farah Haddad"),
    ("gus", "Gus Petersen"),
    ("hana", "Hana Kobayashi"),
    ("idris", "Idris Bello"),
    ("jo", "Jo Whitfield"),
    ("kemi", "Kemi Adebayo"),
    ("leon", "Leon Schneider"),
    ("maya", "Maya Patel"),
    ("nour", "Nour El-Sayed"),
    ("olu", "Olu Johnson"),
    ("priya", "Priya Raman"),
    ("quinn", "Quinn Taylor"),
    ("rosa", "Rosa Gómez"),
    ("sam", "Sam Okoro"),
    ("tariq", "Tariq Hussain"),
    ("uma", "Uma Iyer"),
    ("viktor", "Viktor Petrov"),
    ("wren", "Wren Ellis"),
    ("xin", "Xin Li"),
    ("yusuf", "Yusuf Demir"),
    ("zara", "Zara Ahmed"),
    ("amir", "Amir Karimi"),
    ("bronwen", "Bronwen Davies"),
    ("cormac", "Cormac Byrne"),
    ("delia", "Delia Costa"),
    ("emre", "Emre Yilmaz"),
    ("fatima", "Fatima Diallo"),
)
# One sign-in for each role, by the local part of its email.
SIGN_INS = (
    ("member", "ana"),
    ("broker", "broker"),
    ("organisation admin", "foodbank"),
    ("time-bank admin", "admin"),
)


@dataclass(frozen=True)
class OrganisationPlan:
    """An organisation of the demo, its admin, what volunteers do, what it offers."""

    name: str
    admin_email: str
    admin_name: str
    is_issuer: bool
    is_spend_partner: bool
    tasks: tuple[str, ...] = ()
    activities: tuple[tuple[str, int], ...] = ()


ORGANISATIONS = (
    OrganisationPlan(
        name="Riverside Food Bank",
        admin_email="foodbank",
        admin_name="Femi Adeyemi",
        is_issuer=True,
        is_spend_partner=False,
        tasks=(
            "Sorting donations",
            "Packing food parcels",
            "Driving the delivery van",
            "Welcoming visitors at the Tuesday session",
            "Stock-taking in the warehouse",
        ),
    ),
    OrganisationPlan(
        name="Riverside Community Garden",
        admin_email="garden",
        admin_name="Grace O'Neill",
        is_issuer=True,
        is_spend_partner=True,
        tasks=(
            "Weeding and watering the beds",
            "Building raised beds",
            "Running the children's planting club",
            "Turning the compost and mending paths",
        ),
        activities=(("Vegetable box", 30), ("Seed-sowing workshop", 90)),
    ),
    OrganisationPlan(
        name="Riverside Leisure Centre",
        admin_email="leisure",
        admin_name="Luis Fernández",
        is_issuer=False,
        is_spend_partner=True,
        activities=(
            ("Swim", 60),
            ("Gym session", 60),
            ("Yoga class", 90),
            ("Family swim", 120),
        ),
    ),
    OrganisationPlan(
        name="Riverside Community Cinema",
        admin_email="cinema",
        admin_name="Chloé Martin",
        is_issuer=False,
        is_spend_partner=True,
        activities=(
            ("Children's Saturday film", 60),
            ("Matinee with tea and cake", 90),
            ("Evening screening", 120),
        ),
    ),
)

VOLUNTEERING_EVERY_DAYS = (14, 21, 28, 35, 42)
VOLUNTEERING_MINUTES = (60, 90, 120, 120, 150, 180, 240)
EXCHANGE_MINUTES = (30, 45, 60, 60, 90, 120, 180)
GIFT_MINUTES = (30, 60, 60, 90, 120)
POOL_GIFT_MINUTES = (60, 120, 180, 240, 300)
EXCHANGES = 90
GIFTS = 35
SPENDS = 160
# Shares of the hour logs a broker logs for a member who is not online, and
# that are turned down.
LOGGED_BY_BROKER = 0.15
REJECTED = 0.015
EXCHANGES_REJECTED = 0.05

REJECTION_REASONS = (
    "Logged twice: the same shift is on an earlier log.",
    "We have no record of this shift on the rota; please check the date.",
    "This was help for a neighbour: please record it as an exchange instead.",
)
EXCHANGE_REJECTION_REASONS = (
    "Both members asked to cancel: the help did not happen.",
    "Recorded with the members the wrong way round; please record it again.",
)
EXCHANGE_TASKS = (
    "Help with the weekly shop",
    "Fixing a dripping tap",
    "English conversation practice",
    "Walking the dog",
    "Help filling in a council form",
    "A lift to a hospital appointment",
    "Putting up shelves",
    "Tidying the garden",
    "A guitar lesson",
    "Sewing repairs",
    "Setting up email on a new phone",
    "Batch cooking for the freezer",
)
GIFT_MESSAGES = (
    "Thank you for the lifts last month",
    "Happy birthday!",
    "Welcome to the time bank",
    "For all your help with the move",
    "",
)
POOL_MESSAGES = (
    "For someone who needs it more",
    "Spare hours for the community pool",
    "",
)


@dataclass(frozen=True)
class SignIn:
    """A demo user to sign in as, to see the time bank in one role."""

    role: str
    email: str


@dataclass(frozen=True)
class Demo:
    """The demo time bank, whether it was created just now, and its sign-ins."""

    name: str
    slug: str
    created: bool
    password: str
    sign_ins: tuple[SignIn, ...]


def seed_demo(
    session: Session, *, name: str = DEMO_NAME, slug: str = DEMO_SLUG
) -> Demo:
    """Open the demo time bank with its people and history, unless it is there.

    Its users' emails are at ``<slug>.example``, so that a demo under another
    slug has people of its own.
    """
    domain = f"{slug}.example"
    bank = _demo_at(session, slug=slug, domain=domain)
    if bank is None:
        _open_demo(session, name=name, slug=slug, domain=domain)
    return Demo(
        name=name if bank is None else bank.name,
        slug=slug,
        created=bank is None,
        password=DEMO_PASSWORD,
        sign_ins=tuple(SignIn(role, f"{local}@{domain}") for role, local in SIGN_INS),
    )


def _demo_at(session: Session, *, slug: str, domain: str) -> TimeBank | None:
    """Return the time bank at slug if it is the demo's: its demo admin is in it."""
    admin = find_user_by_email(session, email=f"{ADMIN[0]}@{domain}")
    if admin is None:
        return None
    banks = list_time_banks_of(session, user=admin)
    return next((bank for bank in banks if bank.slug == slug), None)


@dataclass(frozen=True)
class Person:
    """A demo user and their membership of the demo time bank."""

    user: User
    membership: Membership


@dataclass(frozen=True)
class DemoOrganisation:
    """An organisation of the demo with its admin and its activities."""

    organisation: Organisation
    admin: Person
    tasks: tuple[str, ...]
    activities: tuple[Activity, ...]


def _open_demo(session: Session, *, name: str, slug: str, domain: str) -> None:
    """Open the time bank, register its people and record a year of history.

    The bank opens accepting entries back a whole year, for the history, then
    returns to the usual window, on the record like any settings change.
    """

    def register(local: str, person_name: str) -> User:
        return register_user(
            session, email=f"{local}@{domain}", name=person_name, password=DEMO_PASSWORD
        )

    admin = register(*ADMIN)
    bank = open_time_bank(
        session,
        founder=admin,
        name=name,
        slug=slug,
        gift_approval=Approval.ABOVE,
        gift_approval_above_minutes=GIFT_APPROVAL_ABOVE_MINUTES,
        backdating_days=HISTORY_DAYS,
    )

    def enrol(local: str, person_name: str) -> Person:
        user = register(local, person_name)
        membership = enrol_member(
            session, actor=admin, time_bank_id=bank.id, user_id=user.id
        )
        return Person(user, membership)

    brokers = [enrol(*broker) for broker in BROKERS]
    for broker in brokers:
        grant_role(
            session,
            actor=admin,
            time_bank_id=bank.id,
            member_id=broker.membership.id,
            role=Role.BROKER,
            reason="Coordinates exchanges and approvals",
        )
    organisations = [
        _open_organisation(
            session,
            actor=admin,
            bank=bank,
            plan=plan,
            admin=enrol(plan.admin_email, plan.admin_name),
        )
        for plan in ORGANISATIONS
    ]
    members = [enrol(*member) for member in MEMBERS]
    History(
        session,
        bank=bank,
        brokers=brokers,
        organisations=organisations,
        members=members,
        rng=random.Random(HISTORY_SEED),
    ).record()
    change_settings(
        session,
        actor=admin,
        time_bank_id=bank.id,
        reason="The year of history is recorded: back to the usual window",
        backdating_days=USUAL_BACKDATING_DAYS,
    )


def _open_organisation(
    session: Session,
    *,
    actor: User,
    bank: TimeBank,
    plan: OrganisationPlan,
    admin: Person,
) -> DemoOrganisation:
    """Register an organisation, appoint its admin, who lists its activities."""
    organisation = register_organisation(
        session,
        actor=actor,
        time_bank_id=bank.id,
        name=plan.name,
        is_issuer=plan.is_issuer,
        is_spend_partner=plan.is_spend_partner,
    )
    appoint_organisation_admin(
        session,
        actor=actor,
        time_bank_id=bank.id,
        organisation_id=organisation.id,
        member_id=admin.membership.id,
        reason=f"Runs {plan.name}'s time-bank work",
    )
    activities = tuple(
        add_activity(
            session,
            actor=admin.user,
            time_bank_id=bank.id,
            organisation_id=organisation.id,
            name=activity,
            price_minutes=price,
        )
        for activity, price in plan.activities
    )
    return DemoOrganisation(organisation, admin, plan.tasks, activities)


class History:
    """A year of a time bank's life, recorded in the order it happened.

    Each event is planned on a day; then the events are recorded day by day,
    so that a member spends only credits they had earned by then. The first
    broker logs hours for members and records exchanges; the second only
    approves, so that no approval is ever its own maker's.
    """

    def __init__(
        self,
        session: Session,
        *,
        bank: TimeBank,
        brokers: list[Person],
        organisations: list[DemoOrganisation],
        members: list[Person],
        rng: random.Random,
    ) -> None:
        self.session = session
        self.bank = bank
        self.recorder, self.checker = brokers
        self.issuers = [o for o in organisations if o.organisation.is_issuer]
        self.activities = [a for o in organisations for a in o.activities]
        self.swim = next(a for a in self.activities if a.name == "Swim")
        self.members = members
        self.rng = rng
        self.last_day = today()
        self.first_day = self.last_day - timedelta(days=HISTORY_DAYS - 1)
        self.planned: list[tuple[date, int, Callable[[date], None]]] = []
        self.order = itertools.count()

    def record(self) -> None:
        """Plan the year, then record its events day by day."""
        self._plan_volunteering()
        spread: list[tuple[int, Callable[[date], None]]] = [
            (EXCHANGES, self._exchange),
            (GIFTS, self._gift),
            (SPENDS, self._spend),
        ]
        for count, event in spread:
            for _ in range(count):
                self._plan(self._any_day(), event)
        self._plan(self.last_day - timedelta(days=150), self._duplicate_reversed)
        self._plan(self.last_day - timedelta(days=60), self._cancelled_swim_refunded)
        for day, _, event in sorted(self.planned, key=lambda planned: planned[:2]):
            event(day)

    def _plan(self, day: date, event: Callable[[date], None]) -> None:
        self.planned.append((day, next(self.order), event))

    def _any_day(self) -> date:
        return self.first_day + timedelta(days=self.rng.randrange(HISTORY_DAYS))

    def _recent(self, day: date) -> bool:
        return (self.last_day - day).days <= RECENT_DAYS

    def _plan_volunteering(self) -> None:
        """Give each member a place and a rhythm; some join during the year."""
        for member in self.members:
            place = self.rng.choice(self.issuers)
            every = self.rng.choice(VOLUNTEERING_EVERY_DAYS)
            joined = self.rng.randrange(200) if self.rng.random() < 0.3 else 0
            day = self.first_day + timedelta(days=joined + self.rng.randrange(every))
            while day <= self.last_day:
                self._plan(day, functools.partial(self._volunteer, member, place))
                day += timedelta(days=every + self.rng.randrange(-3, 4))

    def _volunteer(self, member: Person, place: DemoOrganisation, day: date) -> None:
        """Log a shift; it is decided at once unless it is recent and still waits."""
        logged_by_broker = self.rng.random() < LOGGED_BY_BROKER
        log = log_hours(
            self.session,
            actor=self.recorder.user if logged_by_broker else member.user,
            time_bank_id=self.bank.id,
            member_id=member.membership.id,
            organisation_id=place.organisation.id,
            description=self.rng.choice(place.tasks),
            minutes=self.rng.choice(VOLUNTEERING_MINUTES),
            service_date=day,
        )
        if self._recent(day) and self.rng.random() < 0.6:
            return
        decider = place.admin.user if self.rng.random() < 0.7 else self.checker.user
        if self.rng.random() < REJECTED:
            reject_hour_log(
                self.session,
                actor=decider,
                hour_log_id=log.id,
                reason=self.rng.choice(REJECTION_REASONS),
            )
        else:
            approve_hour_log(self.session, actor=decider, hour_log_id=log.id)

    def _exchange(self, day: date) -> None:
        """Record help between neighbours, paid by whoever was helped."""
        minutes = self.rng.choice(EXCHANGE_MINUTES)
        receiver = self._member_who_can_pay(minutes)
        if receiver is None:
            return
        provider = self.rng.choice([m for m in self.members if m is not receiver])
        exchange = record_exchange(
            self.session,
            actor=receiver.user if self.rng.random() < 0.8 else self.recorder.user,
            time_bank_id=self.bank.id,
            provider_id=provider.membership.id,
            receiver_id=receiver.membership.id,
            minutes=minutes,
            description=self.rng.choice(EXCHANGE_TASKS),
            service_date=day,
        )
        if exchange.status != Decision.PENDING or (
            self._recent(day) and self.rng.random() < 0.5
        ):
            return
        if self.rng.random() < EXCHANGES_REJECTED:
            reject_exchange(
                self.session,
                actor=self.checker.user,
                exchange_id=exchange.id,
                reason=self.rng.choice(EXCHANGE_REJECTION_REASONS),
            )
        else:
            approve_exchange(
                self.session, actor=self.checker.user, exchange_id=exchange.id
            )

    def _gift(self, day: date) -> None:
        """Give credits to another member, or to the community pool."""
        to_pool = self.rng.random() < 0.4
        minutes = self.rng.choice(POOL_GIFT_MINUTES if to_pool else GIFT_MINUTES)
        giver = self._member_who_can_pay(minutes)
        if giver is None:
            return
        recipient = self.rng.choice([m for m in self.members if m is not giver])
        gift = give_gift(
            self.session,
            actor=giver.user,
            time_bank_id=self.bank.id,
            giver_id=giver.membership.id,
            recipient_id=None if to_pool else recipient.membership.id,
            minutes=minutes,
            message=self.rng.choice(POOL_MESSAGES if to_pool else GIFT_MESSAGES),
            service_date=day,
        )
        if gift.status == Decision.PENDING and not self._recent(day):
            approve_gift(self.session, actor=self.checker.user, gift_id=gift.id)

    def _spend(self, day: date) -> None:
        """Spend credits on an activity, if some member has enough."""
        activity = self.rng.choice(self.activities)
        member = self._member_who_can_pay(activity.price_minutes)
        if member is not None:
            self._pay_for(member, activity, day)

    def _pay_for(self, member: Person, activity: Activity, day: date) -> int:
        """Record a member's spend on an activity; return its ledger entry."""
        spend = record_spend(
            self.session,
            actor=member.user,
            time_bank_id=self.bank.id,
            member_id=member.membership.id,
            activity_id=activity.id,
            service_date=day,
        )
        return spend.transaction_id

    def _duplicate_reversed(self, day: date) -> None:
        """A shift logged and approved twice; a broker reverses the second earn."""
        member = self.rng.choice(self.members)
        place = self.issuers[0]
        logs = [
            log_hours(
                self.session,
                actor=member.user,
                time_bank_id=self.bank.id,
                member_id=member.membership.id,
                organisation_id=place.organisation.id,
                description=place.tasks[0],
                minutes=180,
                service_date=day,
            )
            for _ in range(2)
        ]
        for log in logs:
            approve_hour_log(self.session, actor=place.admin.user, hour_log_id=log.id)
        first, duplicate = logs
        assert duplicate.transaction_id is not None
        reverse_entry(
            self.session,
            actor=self.checker.user,
            time_bank_id=self.bank.id,
            transaction_id=duplicate.transaction_id,
            reason=f"Logged twice: the same shift was approved on hour log {first.id}.",
        )

    def _cancelled_swim_refunded(self, day: date) -> None:
        """A swim paid for on a day the pool closed; a broker refunds it."""
        member = self._member_who_can_pay(self.swim.price_minutes)
        if member is None:
            return
        reverse_entry(
            self.session,
            actor=self.checker.user,
            time_bank_id=self.bank.id,
            transaction_id=self._pay_for(member, self.swim, day),
            reason="The pool was closed for repairs that day: the swim is refunded.",
        )

    def _member_who_can_pay(self, minutes: int) -> Person | None:
        """Return a member, drawn at random, with minutes to spare, or None."""
        for member in self.rng.sample(self.members, k=8):
            account = ledger.get_account(
                self.session.connection(), member.membership.account_id
            )
            if account.available_minutes - (account.floor_minutes or 0) >= minutes:
                return member
        return None
