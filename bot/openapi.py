"""``GET /openapi.json``: OpenAPI 3.1 for the web part's endpoints, derived from their pydantic
models (so the description cannot drift from what the handlers validate)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from bot.ask_api import AskRequest, AskResponse, ErrorResponse
from bot.web_feedback import FeedbackRequest, FeedbackResponse

_MODELS: tuple[type[BaseModel], ...] = (AskRequest, AskResponse, ErrorResponse, FeedbackRequest, FeedbackResponse)
_REF = "#/components/schemas/{model}"


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": _REF.format(model=model.__name__)}


def _errors(*statuses: int) -> dict[str, Any]:
    reasons = {400: "Invalid body", 401: "Missing or invalid bearer token", 404: "Unknown answer", 413: "Too large"}
    return {
        str(s): {"description": reasons[s], "content": {"application/json": {"schema": _ref(ErrorResponse)}}}
        for s in statuses
    }


def _schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for model in _MODELS:
        schema = model.model_json_schema(
            ref_template=_REF, mode="serialization" if "Response" in model.__name__ else "validation"
        )
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas


def openapi_document(dev_mode: bool) -> dict[str, Any]:
    """The document; outside dev mode every call needs an Entra bearer token."""
    security: list[dict[str, list[str]]] = [] if dev_mode else [{"entra": []}]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "On-premises assistant: web API",
            "version": "1.0.0",
            "description": "Called by the SharePoint web part. Answers draw only on documents the caller may read.",
        },
        "paths": {
            "/api/ask": {
                "post": {
                    "operationId": "ask",
                    "summary": "Ask a question; JSON, or Server-Sent Events with Accept: text/event-stream",
                    "security": security,
                    "requestBody": {"required": True, "content": {"application/json": {"schema": _ref(AskRequest)}}},
                    "responses": {
                        "200": {
                            "description": "The answer (or a stream of delta events and one answer event)",
                            "content": {
                                "application/json": {"schema": _ref(AskResponse)},
                                "text/event-stream": {"schema": {"type": "string"}},
                            },
                        },
                        **_errors(400, 401, 413),
                    },
                }
            },
            "/api/feedback": {
                "post": {
                    "operationId": "feedback",
                    "summary": "Rate an answer the caller was given",
                    "security": security,
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref(FeedbackRequest)}},
                    },
                    "responses": {
                        "201": {
                            "description": "Stored",
                            "content": {"application/json": {"schema": _ref(FeedbackResponse)}},
                        },
                        **_errors(400, 401, 404, 413),
                    },
                }
            },
        },
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {
                "entra": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "An Entra ID access token for the API's app registration (scope access_as_user).",
                }
            },
        },
    }
