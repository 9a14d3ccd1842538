"""Declaring an API operation: its route, what it reads, what it answers.

One declaration serves three ends: the handler gets its body and query
string already checked by their schemas, its result is dumped by the
response schema, and the OpenAPI document (``api.openapi``) describes all
of it. A handler is then only the one service call between.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response, jsonify, request
from marshmallow import RAISE, Schema, ValidationError

from timebank.extensions import limiter

from . import bp
from .auth import token_user
from .problems import ApiProblem

MAX_BODY_BYTES = 64 * 1024


class ApiSchema(Schema):
    """A schema of the API: a field it does not know is an error, not ignored."""

    class Meta:
        unknown = RAISE


@dataclass(frozen=True)
class Operation:
    """What the OpenAPI document says of one handler."""

    method: str
    rule: str
    endpoint: str
    summary: str
    description: str
    status: int
    body: Schema | None
    query: Schema | None
    response: Schema | None
    public: bool
    idempotent: bool
    rate_limit: str | None = None
    # The media types of a file the handler answers with, instead of JSON.
    produces: tuple[str, ...] = ()


OPERATIONS: list[Operation] = []


def operation(
    method: str,
    rule: str,
    *,
    status: int = 200,
    body: Schema | None = None,
    query: Schema | None = None,
    response: Schema | None = None,
    public: bool = False,
    idempotent: bool = False,
    rate_limit: str | None = None,
    produces: tuple[str, ...] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a handler for method and rule under /api/v1.

    The handler takes the rule's arguments, ``user`` (unless public),
    ``body`` and ``query`` (when their schemas are given), and returns what
    the response schema dumps; with no response schema, the answer is 204.
    A handler may return a Response instead: a file (of the media types named
    by produces), or JSON it stored to be sent again to the byte.
    """

    def register(handler: Callable[..., Any]) -> Callable[..., Any]:
        summary, _, description = (handler.__doc__ or "").strip().partition("\n")

        def view(**arguments: Any) -> Response | tuple[Response, int]:
            if not public:
                arguments["user"] = token_user()
            if body is not None:
                arguments["body"] = _load(body, _json_body())
            if query is not None:
                arguments["query"] = _load(query, request.args.to_dict())
            result = handler(**arguments)
            if isinstance(result, Response):
                result.status_code = status
                return result
            if response is None:
                return Response(status=204)
            return jsonify(response.dump(result)), status

        view.__name__ = handler.__name__
        if rate_limit is not None:
            view = limiter.limit(rate_limit)(view)
        bp.add_url_rule(rule, handler.__name__, view, methods=[method])
        OPERATIONS.append(
            Operation(
                method=method.lower(),
                rule=rule,
                endpoint=handler.__name__,
                summary=summary.strip(),
                description=description.strip(),
                status=status,
                body=body,
                query=query,
                response=response,
                public=public,
                idempotent=idempotent,
                rate_limit=rate_limit,
                produces=produces,
            )
        )
        return handler

    return register


def _json_body() -> Any:
    """Return the request's JSON body, refusing one that is not JSON."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise ApiProblem(413, f"A body holds at most {MAX_BODY_BYTES} bytes.")
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY_BYTES:
        raise ApiProblem(413, f"A body holds at most {MAX_BODY_BYTES} bytes.")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise ApiProblem(400, "The body is not well-formed JSON.") from None


def _load(schema: Schema, data: Any) -> Any:
    """Return data checked by schema, or refuse it with each field's message."""
    if not isinstance(data, dict):
        raise ApiProblem(422, "The body must be a JSON object.")
    try:
        return schema.load(data)
    except ValidationError as error:
        raise ApiProblem(
            422, "Some fields are not valid.", errors=error.messages_dict
        ) from None
