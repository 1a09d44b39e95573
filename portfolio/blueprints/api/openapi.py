"""The OpenAPI 3 document of /api/v1, built by apispec from the views' declarations and the
marshmallow schemas they answer with, so the document describes exactly what is served.

Each view carries `@operation(tag, summary, schema, ...)`; its token scope comes from its
`@token_scope` declaration. `document()` walks the blueprint's endpoints; an endpoint without an
operation is a mistake that tests/test_api.py catches.
"""

import re
from dataclasses import dataclass
from enum import Enum

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec_webframeworks.flask import FlaskPlugin
from flask import Flask, abort, current_app
from marshmallow import Schema

from portfolio.access import TokenScope
from portfolio.blueprints.api.schemas import DecimalString, ErrorSchema, item_schema, page_schema
from portfolio.services.api_tokens import SCOPES

MAX_ID = 2**31 - 1  # ids are PostgreSQL INTEGERs (the app's <int:> converter stops there too)
PER_PAGE, MAX_PER_PAGE, MAX_PAGE = 50, 200, 100_000
_WHOLE = re.compile(r"^[0-9]{1,10}$")


@dataclass(frozen=True)
class Filter:
    """A list's optional query parameter: an id (the default) or one of an enum's values."""

    name: str
    description: str
    enum: type[Enum] | None = None
    exclude: tuple = ()

    @property
    def choices(self) -> list[str]:
        return [member.value for member in self.enum if member not in self.exclude]

    def value(self, text: str | None):
        """The value to filter by (None: not given). Anything else is a 400."""
        if text is None:
            return None
        if self.enum is None:
            if not _WHOLE.match(text) or not 1 <= int(text) <= MAX_ID:
                abort(400, description=f"{self.name} must be a whole number from 1 to {MAX_ID}")
            return int(text)
        if text not in self.choices:
            abort(400, description=f"{self.name} must be one of {', '.join(self.choices)}")
        return self.enum(text)

    def parameter(self) -> dict:
        schema = ({"type": "integer", "minimum": 1, "maximum": MAX_ID} if self.enum is None
                  else {"type": "string", "enum": self.choices})
        return {"name": self.name, "in": "query", "required": False, "description": self.description,
                "schema": schema}


@dataclass(frozen=True)
class Operation:
    tag: str
    summary: str
    schema: type[Schema] | None  # None: any JSON object
    many: bool = False
    filters: tuple[Filter, ...] = ()
    description: str = ""


def operation(tag: str, summary: str, schema: type[Schema] | None, *, many: bool = False,
              filters: tuple[Filter, ...] = (), description: str = ""):
    """Declare how a view appears in the OpenAPI document: a paginated list of `schema` when `many`
    (with `page` and `per_page`), otherwise `{"data": schema}`; `filters` are its query parameters."""

    def decorate(view):
        view.openapi = Operation(tag, summary, schema, many, tuple(filters), description)
        return view

    return decorate


def document() -> dict:
    """The document, built once per app (the routes and schemas do not change while it runs)."""
    app = current_app._get_current_object()
    if "api_openapi" not in app.extensions:
        app.extensions["api_openapi"] = build(app)
    return app.extensions["api_openapi"]


ERRORS = {
    "BadRequest": (400, "A query parameter is not valid: `message` says which and why"),
    "Unauthorized": (401, "No token, or one that is not recognised, was revoked or has expired"),
    "Forbidden": (403, "The token does not have this endpoint's scope"),
    "NotFound": (404, "There is no such record (or it is a draft the API does not show)"),
}


def build(app: Flask) -> dict:
    marshmallow = MarshmallowPlugin()
    spec = APISpec(
        title="Portfolio API",
        version="1.0.0",
        openapi_version="3.1.0",
        plugins=[FlaskPlugin(), marshmallow],
        info={"description": _DESCRIPTION},
        security=[{"bearerAuth": []}],
    )
    marshmallow.map_to_openapi_type(DecimalString, "string", "decimal")
    spec.components.security_scheme("bearerAuth", {
        "type": "http", "scheme": "bearer",
        "description": "A Portfolio API token (pft_…), made by finance or an administrator at /api-tokens/"})
    spec.components.schema("Error", schema=ErrorSchema)
    for name, (status, description) in ERRORS.items():
        spec.components.response(name, {"description": description, "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
    spec.components.parameter("page", "query", {
        "description": "Page number, from 1", "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}})
    spec.components.parameter("per_page", "query", {
        "description": "Items per page", "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": PER_PAGE}})

    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        if not rule.endpoint.startswith("api."):
            continue
        view = app.view_functions[rule.endpoint]
        described: Operation | None = getattr(view, "openapi", None)
        if described is None:
            continue
        spec.path(view=view, app=app, operations={"get": _operation(rule, described, view.allowed_roles)})
    return spec.to_dict()


def _operation(rule, described: Operation, declared: TokenScope) -> dict:
    scope = declared.scope
    parameters = [{"name": name, "in": "path", "required": True,
                   "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}} for name in rule.arguments]
    if described.many:
        parameters += ["page", "per_page"]
    parameters += [item.parameter() for item in described.filters]
    if described.schema is None:
        body = {"type": "object"}
    else:
        body = page_schema(described.schema) if described.many else item_schema(described.schema)
    responses = {"200": {"description": described.summary, "content": {"application/json": {"schema": body}}},
                 "401": "Unauthorized"}
    if described.many or described.filters:
        responses["400"] = "BadRequest"
    if scope is not None:
        responses["403"] = "Forbidden"
    if rule.arguments:
        responses["404"] = "NotFound"
    needs = f"Needs a token with the `{scope}` scope." if scope else "Needs a valid token (any scope)."
    return {
        "operationId": rule.endpoint.removeprefix("api."),
        "tags": [described.tag],
        "summary": described.summary,
        "description": " ".join(filter(None, [described.description, needs])),
        "x-required-scope": scope,
        "parameters": parameters,
        "responses": responses,
    }


_DESCRIPTION = (
    "Read-only access to the Office for Life Sciences portfolio: organisations, submitted applications, "
    "awards and their offers, claims and payments, monitoring returns, leverage and Annex A figures, grant "
    "profiles and every version of each award's terms, forecasts, variations, and each fund's budget by "
    "financial year with its ledger.\n\n"
    "Send a token as `Authorization: Bearer pft_…`. Each token has scopes: "
    + ", ".join(f"`{scope}` ({label.lower()})" for scope, label in SCOPES.items())
    + ".\n\n"
    "Money is a decimal string in pounds with two decimal places (`\"1250000.00\"`), never a JSON number; "
    "jobs (FTE) and rates are decimal strings too. Dates are ISO 8601 (`2027-03-31`), times ISO 8601 in UTC.\n\n"
    "Lists are ordered by id and paginated with `page` (from 1) and `per_page` (1 to 200, default 50): "
    "`meta` gives the total and the number of pages, `links` the next and previous pages."
)
