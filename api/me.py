"""Who you are: your memberships, roles and accounts."""

from typing import Any

from marshmallow import fields

from timebank.people.models import User
from timebank.people.services import list_memberships
from timebank.unit_of_work import run_use_case

from .operations import ApiSchema, operation


class TimeBankOut(ApiSchema):
    id = fields.Integer()
    name = fields.String()
    slug = fields.String()


class MembershipOut(ApiSchema):
    id = fields.Integer(metadata={"description": "The membership: the member's id."})
    time_bank = fields.Nested(TimeBankOut)
    roles = fields.List(fields.String())
    account_id = fields.Integer()


class MeOut(ApiSchema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    memberships = fields.List(fields.Nested(MembershipOut))


@operation("GET", "/me", response=MeOut())
def me(user: User) -> dict[str, Any]:
    """Say who you are: your memberships of time banks, roles and account ids."""
    found = run_use_case(lambda session: list_memberships(session, user=user))
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "memberships": [
            {
                "id": membership.id,
                "time_bank": bank,
                "roles": sorted(membership.roles),
                "account_id": membership.account_id,
            }
            for membership, bank in found
        ],
    }
