"""Hour logs: volunteering logged, then approved (it earns) or rejected."""

from typing import Any

from marshmallow import fields, validate
from sqlalchemy.orm import Session

from timebank.decisions import Decision
from timebank.forms import LARGEST_ID
from timebank.hour_logs import services
from timebank.hour_logs.models import HourLog
from timebank.organisations.services import enter_organisation
from timebank.people.models import User
from timebank.unit_of_work import run_use_case

from .operations import ApiSchema, operation

ID = validate.Range(min=1, max=LARGEST_ID)
BROKEN_CURSOR = "This cursor is not a next_cursor this service gave."


class HourLogIn(ApiSchema):
    organisation_id = fields.Integer(
        strict=True,
        required=True,
        validate=ID,
        metadata={"description": "The organisation volunteered for: an issuer."},
    )
    member_id = fields.Integer(
        strict=True,
        load_default=None,
        validate=ID,
        metadata={
            "description": "The member who volunteered; you, unless a broker "
            "logs for someone else."
        },
    )
    minutes = fields.Integer(
        strict=True,
        required=True,
        metadata={
            "description": "Whole minutes, a multiple of the time bank's "
            "granularity, at most a day."
        },
    )
    service_date = fields.Date(
        required=True, metadata={"description": "The day the volunteering happened."}
    )
    description = fields.String(
        required=True, metadata={"description": "What was done, in a few words."}
    )


class HourLogOut(ApiSchema):
    id = fields.Integer()
    time_bank_id = fields.Integer()
    member_id = fields.Integer(attribute="membership_id")
    organisation_id = fields.Integer()
    minutes = fields.Integer()
    service_date = fields.Date()
    description = fields.String()
    status = fields.String(metadata={"description": "pending, approved or rejected."})
    logged_by_id = fields.Integer(
        metadata={"description": "The user who logged it: the member or a broker."}
    )
    logged_at = fields.DateTime()
    decided_by_id = fields.Integer(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    reason = fields.String(
        allow_none=True, metadata={"description": "Why it was rejected."}
    )
    transaction_id = fields.Integer(
        allow_none=True, metadata={"description": "The earn, once approved."}
    )


class HourLogsQuery(ApiSchema):
    status = fields.String(
        load_default=None,
        validate=validate.OneOf([decision.value for decision in Decision]),
    )
    time_bank_id = fields.Integer(load_default=None, validate=ID)
    cursor = fields.Integer(
        load_default=None,
        validate=ID,
        error_messages={"invalid": BROKEN_CURSOR},
        metadata={"description": "A next_cursor, for the page after its own."},
    )
    limit = fields.Integer(
        load_default=services.HOUR_LOGS_PAGE_SIZE,
        validate=validate.Range(min=1, max=services.MAX_HOUR_LOGS_PAGE_SIZE),
    )


class HourLogList(ApiSchema):
    hour_logs = fields.List(fields.Nested(HourLogOut))
    next_cursor = fields.String(
        allow_none=True,
        metadata={"description": "Send it as cursor for later logs; none at the end."},
    )


class RejectionIn(ApiSchema):
    reason = fields.String(
        required=True, metadata={"description": "Why, for the member to read."}
    )


@operation("POST", "/hour-logs", status=201, body=HourLogIn(), response=HourLogOut())
def log_hours(user: User, body: dict[str, Any]) -> HourLog:
    """Log hours volunteered for an organisation, yours or, as a broker, a member's.

    It earns credits once a broker or the organisation's admin approves it.
    """

    def work(session: Session) -> HourLog:
        organisation, viewer = enter_organisation(
            session, actor=user, organisation_id=body["organisation_id"]
        )
        return services.log_hours(
            session,
            actor=user,
            time_bank_id=organisation.time_bank_id,
            member_id=viewer.id if body["member_id"] is None else body["member_id"],
            organisation_id=organisation.id,
            description=body["description"],
            minutes=body["minutes"],
            service_date=body["service_date"],
        )

    return run_use_case(work)


@operation("GET", "/hour-logs", query=HourLogsQuery(), response=HourLogList())
def hour_logs(user: User, query: dict[str, Any]) -> dict[str, Any]:
    """List the hour logs you may see, the oldest first, a page at a time.

    A member sees their own; a broker every one of their time bank's; an
    organisation's admin those volunteered for it.
    """
    page = run_use_case(
        lambda session: services.list_visible_hour_logs(
            session,
            actor=user,
            time_bank_id=query["time_bank_id"],
            status=None if query["status"] is None else Decision(query["status"]),
            after_id=query["cursor"],
            limit=query["limit"],
        )
    )
    return {
        "hour_logs": page.hour_logs,
        "next_cursor": None if page.next_after_id is None else str(page.next_after_id),
    }


@operation("POST", "/hour-logs/<id:hour_log_id>/approve", response=HourLogOut())
def approve_hour_log(user: User, hour_log_id: int) -> HourLog:
    """Approve a pending hour log: it earns exactly its minutes.

    A broker of its time bank or an admin of its organisation approves it,
    but neither the person who logged it nor the member it credits.
    """

    def work(session: Session) -> HourLog:
        log = services.get_hour_log_for(session, actor=user, hour_log_id=hour_log_id)
        return services.approve_hour_log(session, actor=user, hour_log_id=log.id)

    return run_use_case(work)


@operation(
    "POST",
    "/hour-logs/<id:hour_log_id>/reject",
    body=RejectionIn(),
    response=HourLogOut(),
)
def reject_hour_log(user: User, hour_log_id: int, body: dict[str, Any]) -> HourLog:
    """Reject a pending hour log, saying why; it earns nothing."""

    def work(session: Session) -> HourLog:
        log = services.get_hour_log_for(session, actor=user, hour_log_id=hour_log_id)
        return services.reject_hour_log(
            session, actor=user, hour_log_id=log.id, reason=body["reason"]
        )

    return run_use_case(work)
