"""/api/docs/: the OpenAPI schema as a plain HTML page, served by Otklik itself.

drf-spectacular's Swagger UI and ReDoc views load their JavaScript from a CDN, and the bundle that
serves them locally (drf-spectacular-sidecar) is not a dependency; an install without Internet
access must still show its API documentation, so this page renders the schema on the server."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.settings import spectacular_settings

METHODS = ("get", "post", "put", "patch", "delete")
# The order a reader needs them in; any other tag follows.
TAG_ORDER = ("authentication", "tickets", "articles", "customers", "users and teams", "reference data")


def paragraphs(text: str) -> list[list[dict[str, Any]]]:
    """Markdown-ish description text as paragraphs of segments, `backticked` ones marked as code
    (the template escapes everything)."""
    result = []
    for block in (text or "").split("\n\n"):
        joined = " ".join(block.split())
        if joined:
            parts = joined.split("`")
            result.append([{"text": part, "code": i % 2 == 1} for i, part in enumerate(parts) if part])
    return result


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def type_label(schema: dict[str, Any] | None) -> str:
    """A short human description of a JSON schema: `integer`, `array of Ticket`, `one of: a, b`."""
    if not schema:
        return ""
    if "$ref" in schema:
        return _ref_name(schema["$ref"])
    for combinator in ("oneOf", "anyOf", "allOf"):
        if combinator in schema:
            return " or ".join(filter(None, (type_label(s) for s in schema[combinator])))
    if "enum" in schema:
        return "one of: " + ", ".join(str(v) for v in schema["enum"] if v not in ("", None))
    kind = schema.get("type", "object")
    if kind == "array":
        return "array of " + type_label(schema.get("items"))
    if schema.get("format"):
        return f"{kind} ({schema['format']})"
    return str(kind)


def _body_schemas(content: dict[str, Any]) -> list[dict[str, str]]:
    """One entry per body schema, with every media type it may be sent as."""
    media_types: dict[str, list[str]] = {}
    for media_type, body in content.items():
        media_types.setdefault(type_label(body.get("schema")), []).append(media_type)
    return [{"type": label, "media_type": ", ".join(types)} for label, types in media_types.items()]


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    sections: dict[str, list[dict[str, Any]]] = {}
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            request_body = operation.get("requestBody", {})
            entry = {
                "id": operation.get("operationId", f"{method}-{path}"),
                "method": method.upper(),
                "path": path,
                "summary": operation.get("summary", ""),
                "description": paragraphs(operation.get("description", "")),
                "public": operation.get("security") == [] or {} in operation.get("security", []),
                "parameters": [
                    {
                        "name": p["name"],
                        "in": p["in"],
                        "required": p.get("required", False),
                        "type": type_label(p.get("schema")),
                        "description": paragraphs(p.get("description", "")),
                    }
                    for p in operation.get("parameters", [])
                ],
                "request": _body_schemas(request_body.get("content", {})),
                "responses": [
                    {
                        "code": code,
                        "description": paragraphs(response.get("description", "")),
                        "bodies": _body_schemas(response.get("content", {})),
                    }
                    for code, response in operation.get("responses", {}).items()
                ],
            }
            tag = (operation.get("tags") or ["other"])[0]
            sections.setdefault(tag, []).append(entry)
    ordered = sorted(sections, key=lambda tag: (TAG_ORDER.index(tag) if tag in TAG_ORDER else len(TAG_ORDER), tag))
    return [{"tag": tag, "operations": sections[tag]} for tag in ordered]


def _components(schema: dict[str, Any]) -> list[dict[str, Any]]:
    components = []
    for name, component in sorted(schema.get("components", {}).get("schemas", {}).items()):
        required = set(component.get("required", []))
        components.append(
            {
                "name": name,
                "description": paragraphs(component.get("description", "")),
                "type": type_label(component) if "properties" not in component else "object",
                "properties": [
                    {
                        "name": prop_name,
                        "type": type_label(prop),
                        "required": prop_name in required,
                        "read_only": prop.get("readOnly", False),
                        "nullable": prop.get("nullable", False),
                        "description": paragraphs(prop.get("description", "")),
                    }
                    for prop_name, prop in component.get("properties", {}).items()
                ],
            }
        )
    return components


def api_docs(request: HttpRequest) -> HttpResponse:
    generator = SchemaGenerator()
    schema = generator.get_schema(request=None, public=True)
    context = {
        "info": schema.get("info", {}),
        "description": paragraphs(schema.get("info", {}).get("description", "")),
        "sections": _operations(schema),
        "components": _components(schema),
        "schema_url": reverse("api:schema"),
        "title": spectacular_settings.TITLE,
    }
    return render(request, "api/docs.html", context)
