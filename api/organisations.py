"""Organisations: who issues credits for volunteering, who accepts them, for what."""

from typing import Any

from marshmallow import fields, validate

from timebank.forms import LARGEST_ID
from timebank.organisations import services
from timebank.people.models import User
from timebank.unit_of_work import run_use_case

from .operations import ApiSchema, operation


class OrganisationOut(ApiSchema):
    id = fields.Integer()
    time_bank_id = fields.Integer()
    name = fields.String()
    is_issuer = fields.Boolean(
        metadata={"description": "It issues credits for volunteering."}
    )
    is_spend_partner = fields.Boolean(
        metadata={"description": "It accepts credits for its activities."}
    )
    account_id = fields.Integer()


class OrganisationList(ApiSchema):
    organisations = fields.List(fields.Nested(OrganisationOut))


class OrganisationsQuery(ApiSchema):
    time_bank_id = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=LARGEST_ID),
        metadata={"description": "Keep one of your time banks' organisations."},
    )


class ActivityOut(ApiSchema):
    id = fields.Integer()
    organisation_id = fields.Integer()
    name = fields.String()
    price_minutes = fields.Integer()


class ActivityList(ApiSchema):
    activities = fields.List(fields.Nested(ActivityOut))


@operation(
    "GET", "/organisations", query=OrganisationsQuery(), response=OrganisationList()
)
def organisations(user: User, query: dict[str, Any]) -> dict[str, Any]:
    """List the organisations of your time banks, by time bank and name."""
    found = run_use_case(
        lambda session: services.list_organisations_of(
            session, actor=user, time_bank_id=query["time_bank_id"]
        )
    )
    return {"organisations": found}


@operation(
    "GET", "/organisations/<id:organisation_id>/activities", response=ActivityList()
)
def organisation_activities(user: User, organisation_id: int) -> dict[str, Any]:
    """List what an organisation of your time bank offers, by name, with prices."""
    found = run_use_case(
        lambda session: services.organisation_activities(
            session, actor=user, organisation_id=organisation_id
        )
    )
    return {"activities": found}
