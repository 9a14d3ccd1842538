"""Every table of the application, the ledger's and the domain's, in one MetaData.

Importing this module registers each feature's models; Alembic's env.py and
the tests compare the migrations against ``metadata``.
"""

from ledger.schema import metadata
from timebank.audit.models import AuditEvent
from timebank.banks.models import TimeBank
from timebank.exchanges.models import Exchange
from timebank.gifts.models import Gift
from timebank.hour_logs.models import HourLog
from timebank.idempotency.models import IdempotencyKey
from timebank.organisations.models import Activity, Organisation, OrganisationAdmin
from timebank.people.models import Membership, MembershipRole, User
from timebank.spending.models import Spend
from timebank.statements.models import IssuedStatement, PrintRun
from timebank.tokens.models import ApiToken

__all__ = [
    "ApiToken",
    "Activity",
    "AuditEvent",
    "Exchange",
    "Gift",
    "HourLog",
    "IdempotencyKey",
    "IssuedStatement",
    "Membership",
    "MembershipRole",
    "Organisation",
    "OrganisationAdmin",
    "PrintRun",
    "Spend",
    "TimeBank",
    "User",
    "metadata",
]
