"""The API's OpenAPI document, and its docs page for people, from its operations.

Both are built from ``api.operations.OPERATIONS``: a handler declared with
``operation`` is described here with no further work, from its rule, its
docstring and its schemas. Each operation lists the problems it may answer
with, by what it reads: a body may be malformed, a token missing, a rule
broken.
"""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from http import HTTPStatus
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Response, jsonify, render_template
from flask_babel import force_locale, lazy_gettext
from markupsafe import Markup, escape
from marshmallow import fields

from timebank.forms import LARGEST_ID
from timebank.idempotency.services import KEY

from . import bp
from .operations import MAX_BODY_BYTES, OPERATIONS, ApiSchema, Operation
from .problems import PROBLEM

TITLE = "Timebank API"
VERSION = "1"
SECURITY_SCHEME = "bearer"
IDEMPOTENCY_HEADER = "Idempotency-Key"
# The order a docs page lists the methods of one path in.
METHODS = ("get", "post", "put", "patch", "delete")

# The API's introduction, a paragraph each: in English in the OpenAPI document,
# which is the same for everyone, and in the reader's language on the docs page.
INTRODUCTION = (
    lazy_gettext(
        "The time bank's services for programs: the same rules as the web pages, "
        "in JSON."
    ),
    lazy_gettext(
        "Make a personal token with ``POST %(path)s`` and your email and password, "
        "then send it with every request as ``Authorization: Bearer <token>``. "
        "A token acts as you until you revoke it.",
        path=f"{bp.url_prefix}/tokens",
    ),
    lazy_gettext(
        "Amounts are whole minutes (one time credit is 60 minutes), ids are whole "
        "numbers from 1, dates are ISO (``2026-03-31``). A field the API does not "
        "know is refused, not ignored."
    ),
    lazy_gettext(
        "A refused request changes nothing and is answered with an "
        "``application/problem+json`` body: ``detail`` says what was wrong, "
        "``errors`` lists each field's messages, and ``available_minutes`` says "
        "how much credit could be used when there was not enough."
    ),
)


class Problem(ApiSchema):
    """Why a request was refused; it changed nothing."""

    type = fields.String(
        required=True, metadata={"description": "A URL naming the kind of problem."}
    )
    title = fields.String(
        required=True, metadata={"description": "The kind of problem, in words."}
    )
    status = fields.Integer(
        required=True, metadata={"description": "The response's HTTP status."}
    )
    detail = fields.String(
        required=True,
        metadata={"description": "What was wrong with this request, for a person."},
    )
    errors = fields.Dict(
        keys=fields.String(),
        metadata={
            "description": "Each field that is not valid, with its messages "
            "(a nested field's under its name)."
        },
    )
    available_minutes = fields.Integer(
        metadata={
            "description": "With not enough credit: the minutes that could be used."
        }
    )


# A rule's argument, as werkzeug writes it: <converter(arguments):name> or <name>.
RULE_ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


def problems(operation: Operation) -> dict[int, str]:
    """Return each problem status operation may answer with, and what it means.

    They follow from what the operation reads and does. A public operation
    that reads a body takes its caller's credentials there (making a
    token), and those may not match.
    """
    reads_body = operation.body is not None
    reads_fields = reads_body or operation.query is not None
    names_something = RULE_ARGUMENT.search(operation.rule) is not None
    guarded = not operation.public
    # A service that changes something may find it already decided, or refuse it.
    changes = operation.method != "get" and guarded
    possible = [
        (400, reads_body, "The body is not well-formed JSON."),
        (
            400,
            operation.idempotent,
            f"The {IDEMPOTENCY_HEADER} header is missing, or is not 8 to 64 "
            "letters, digits or the signs _ . : -",
        ),
        (401, guarded, "No token was sent, or it is unknown or revoked."),
        (401, reads_body and not guarded, "The credentials sent do not match."),
        (403, guarded, "Your roles do not allow this."),
        (
            404,
            names_something or (guarded and reads_fields),
            "Something it names does not exist, or not for you.",
        ),
        (409, changes, "It was already decided or reversed."),
        (
            409,
            operation.idempotent,
            f"The {IDEMPOTENCY_HEADER} was already used for a different request.",
        ),
        (413, reads_body, f"The body is larger than {MAX_BODY_BYTES} bytes."),
        (
            429,
            operation.rate_limit is not None,
            f"Too many requests from one address: {operation.rate_limit}.",
        ),
        (422, reads_fields, "A field is not valid: errors lists each one's messages."),
        (
            422,
            changes,
            "A rule of the time bank refused it; with not enough credit, "
            "available_minutes says how much could be used.",
        ),
    ]
    meanings: dict[int, list[str]] = {}
    for status, applies, meaning in possible:
        if applies:
            meanings.setdefault(status, []).append(meaning)
    return {status: " Or: ".join(words) for status, words in meanings.items()}


def path_parameters(rule: str) -> list[dict[str, Any]]:
    """Return the OpenAPI path parameters of a rule's arguments."""
    return [
        {
            "in": "path",
            "name": argument["name"],
            "required": True,
            "schema": _converter_schema(argument["converter"], rule),
        }
        for argument in RULE_ARGUMENT.finditer(rule)
    ]


def _converter_schema(converter: str | None, rule: str) -> dict[str, Any]:
    if converter == "id":
        return {
            "type": "integer",
            "format": "int64",
            "minimum": 1,
            "maximum": LARGEST_ID,
        }
    if converter in (None, "string"):
        return {"type": "string", "minLength": 1, "pattern": "^[^/]+$"}
    # Describing a converter wrongly would mislead every client: refuse instead.
    raise ValueError(f"The OpenAPI document cannot describe <{converter}:> in {rule}")


def openapi_path(rule: str) -> str:
    """Return a rule as an OpenAPI path: /tokens/<id:token_id> is /tokens/{token_id}."""
    return str(bp.url_prefix) + RULE_ARGUMENT.sub(r"{\g<name>}", rule)


def _lines(text: str) -> str:
    """Return a docstring's text without the indentation of its source."""
    return "\n".join(line.strip() for line in text.splitlines())


def _describe(operation: Operation) -> dict[str, Any]:
    """Return the OpenAPI operation object of one operation."""
    parameters = path_parameters(operation.rule)
    if operation.query is not None:
        parameters.append({"in": "query", "schema": operation.query})
    if operation.idempotent:
        parameters.append(
            {
                "in": "header",
                "name": IDEMPOTENCY_HEADER,
                "required": True,
                "description": "A key you choose for this request: sent again "
                "with the same key, it is done once and answered as the first time.",
                "schema": {"type": "string", "pattern": f"^{KEY.pattern}$"},
            }
        )
    success: dict[str, Any] = {"description": HTTPStatus(operation.status).phrase}
    if operation.produces:
        success["content"] = {
            media_type: {"schema": {"type": "string", "format": "binary"}}
            for media_type in operation.produces
        }
    elif operation.response is None:
        success = {"description": "Done: there is nothing to say."}
    else:
        success["content"] = {"application/json": {"schema": operation.response}}
    answers_nothing = operation.response is None and not operation.produces
    responses: dict[str, Any] = {
        str(204 if answers_nothing else operation.status): success
    }
    for status, meaning in problems(operation).items():
        responses[str(status)] = {
            "description": meaning,
            "content": {PROBLEM: {"schema": "Problem"}},
        }
    described: dict[str, Any] = {
        "operationId": operation.endpoint,
        "summary": operation.summary,
        "parameters": parameters,
        "responses": responses,
    }
    if operation.description:
        described["description"] = _lines(operation.description)
    if operation.body is not None:
        described["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": operation.body}},
        }
    if not operation.public:
        described["security"] = [{SECURITY_SCHEME: []}]
    return described


def _introduction() -> str:
    """Return the introduction in the current language, its paragraphs apart."""
    return "\n\n".join(str(paragraph) for paragraph in INTRODUCTION)


@cache
def document() -> dict[str, Any]:
    """Return the OpenAPI document of every operation of the API.

    The operations are all declared once the api package is imported, so
    the document is built once.
    """
    with force_locale("en"):
        introduction = _introduction()
    spec = APISpec(
        title=TITLE,
        version=VERSION,
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": introduction},
    )
    spec.components.security_scheme(
        SECURITY_SCHEME,
        {
            "type": "http",
            "scheme": "bearer",
            "description": f"A personal token, made with POST {bp.url_prefix}/tokens.",
        },
    )
    spec.components.schema("Problem", schema=Problem)
    paths: dict[str, dict[str, Any]] = {}
    for operation in OPERATIONS:
        paths.setdefault(openapi_path(operation.rule), {})[operation.method] = (
            _describe(operation)
        )
    paths.update(_own_paths())
    for path, operations in sorted(paths.items()):
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _own_paths() -> dict[str, dict[str, Any]]:
    """Describe the document itself and its docs page, which are not JSON data."""
    return {
        openapi_path("/openapi.json"): {
            "get": {
                "operationId": "openapi_document",
                "summary": "Describe the API in OpenAPI 3.0.",
                "responses": {
                    "200": {
                        "description": "This document.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
        openapi_path("/docs"): {
            "get": {
                "operationId": "docs",
                "summary": "Describe the API for people, as a web page.",
                "responses": {
                    "200": {
                        "description": "The page.",
                        "content": {"text/html": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
    }


@bp.get("/openapi.json")
def openapi_document() -> Response:
    """Describe the API in OpenAPI 3.0."""
    return jsonify(document())


@bp.get("/docs")
def docs() -> str:
    """Describe the API for people, as a web page."""
    described = document()
    return render_template(
        "api/docs.html",
        introduction=prose(_introduction()),
        endpoints=list(_endpoints(described)),
        objects=_objects(described),
    )


@dataclass(frozen=True)
class FieldDoc:
    """One field of a body, of an object or of a request's parameters."""

    name: str
    kind: str
    # The object the field holds, described further down the page.
    link: str | None
    required: bool
    notes: str
    location: str = ""


@dataclass(frozen=True)
class ResponseDoc:
    """One status an operation answers with, and what its body holds."""

    status: str
    meaning: str
    media_type: str | None
    link: str | None


@dataclass(frozen=True)
class EndpointDoc:
    """One operation, as its section of the docs page shows it."""

    anchor: str
    method: str
    path: str
    summary: str
    description: list[Markup]
    needs_token: bool
    parameters: list[FieldDoc]
    # The object a body is, and its fields.
    body: str | None
    body_fields: list[FieldDoc]
    responses: list[ResponseDoc]


def _endpoints(described: dict[str, Any]) -> Iterator[EndpointDoc]:
    objects = {name: fields for name, _, fields in _objects(described)}
    for path, operations in described["paths"].items():
        for method in METHODS:
            if method in operations:
                yield _endpoint(path, method, operations[method], objects)


def _endpoint(
    path: str,
    method: str,
    operation: dict[str, Any],
    objects: dict[str, list[FieldDoc]],
) -> EndpointDoc:
    content = operation.get("requestBody", {}).get("content", {})
    body = _ref_name(content["application/json"]["schema"]) if content else None
    return EndpointDoc(
        anchor=operation["operationId"],
        method=method.upper(),
        path=path,
        summary=operation["summary"],
        description=prose(operation.get("description", "")),
        needs_token="security" in operation,
        parameters=[
            _field(
                parameter["name"],
                {**parameter["schema"], "description": parameter.get("description")},
                required=parameter.get("required", False),
                location=parameter["in"],
            )
            for parameter in operation.get("parameters", [])
        ],
        body=body,
        body_fields=[] if body is None else objects[body],
        responses=[
            ResponseDoc(
                status=status,
                meaning=response["description"],
                media_type=next(iter(response.get("content", {})), None),
                link=next(
                    (
                        _ref_name(content["schema"])
                        for content in response.get("content", {}).values()
                    ),
                    None,
                ),
            )
            for status, response in operation["responses"].items()
        ],
    )


def _objects(described: dict[str, Any]) -> list[tuple[str, str, list[FieldDoc]]]:
    """Return each object of the document: its name, its words, its fields."""
    return [
        (
            name,
            schema.get("description", ""),
            [
                _field(field, property, required=field in schema.get("required", []))
                for field, property in schema.get("properties", {}).items()
            ],
        )
        for name, schema in sorted(described["components"]["schemas"].items())
    ]


def _field(
    name: str, schema: dict[str, Any], *, required: bool, location: str = ""
) -> FieldDoc:
    kind, link = _kind(schema)
    return FieldDoc(
        name=name,
        kind=kind,
        link=link,
        required=required,
        notes=" ".join(_notes(schema)),
        location=location,
    )


def _ref_name(schema: dict[str, Any]) -> str | None:
    reference = schema.get("$ref")
    return None if reference is None else str(reference).rpartition("/")[2]


def _kind(schema: dict[str, Any]) -> tuple[str, str | None]:
    """Return a schema's type in words, and the object it refers to, if any."""
    # A nullable object in OpenAPI 3.0: anyOf a null object and the reference.
    for choice in schema.get("anyOf", []):
        if "$ref" in choice:
            kind, link = _kind(choice)
            return f"{kind} or null", link
    name = _ref_name(schema)
    if name is not None:
        return name, name
    kind = schema.get("type", "any")
    if kind == "array":
        item, link = _kind(schema.get("items", {}))
        kind, name = f"array of {item}", link
    elif "format" in schema:
        kind = f"{kind} ({schema['format']})"
    if schema.get("nullable"):
        kind += " or null"
    return kind, name


def _notes(schema: dict[str, Any]) -> Iterator[str]:
    """Say in words what a schema's constraints and description say."""
    if schema.get("description"):
        yield schema["description"]
    if "enum" in schema:
        yield "One of: " + ", ".join(str(value) for value in schema["enum"]) + "."
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and high is not None:
        yield f"From {low} to {high}."
    elif low is not None:
        yield f"At least {low}."
    elif high is not None:
        yield f"At most {high}."
    shortest, longest = schema.get("minLength"), schema.get("maxLength")
    if longest is not None:
        yield f"At most {longest} characters."
    elif shortest:
        yield f"At least {shortest} characters."
    if "pattern" in schema:
        yield f"Matches {schema['pattern']}."
    if "default" in schema:
        yield f"Default: {json.dumps(schema['default'])}."
    if schema.get("readOnly"):
        yield "Read only."


def prose(text: str) -> list[Markup]:
    """Return text as HTML paragraphs, its ``code`` spans as code."""
    paragraphs = [" ".join(part.split()) for part in re.split(r"\n\s*\n", text)]
    return [_code_spans(paragraph) for paragraph in paragraphs if paragraph]


def _code_spans(text: str) -> Markup:
    return Markup("").join(
        Markup("<code>{}</code>").format(part) if index % 2 else escape(part)
        for index, part in enumerate(text.split("``"))
    )
