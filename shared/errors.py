"""Domain errors. Each maps to one HTTP status in one place (`functions/http.py`); messages are bilingual.

Every error answer has the shape `{"error": {"code", "message", "details"}}`.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status: int = 400
    code: str = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        details: list[dict[str, Any]] | dict[str, Any] | None = None,
        message_en: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.message_en = message_en
        self.details = details if details is not None else []
        if code:
            self.code = code

    def body(self, lang: str = "fr") -> dict[str, Any]:
        message = self.message_en if (lang == "en" and self.message_en) else self.message
        return {"error": {"code": self.code, "message": message, "details": self.details}}


class BadRequest(DomainError):
    status = 400
    code = "bad_request"


class ValidationFailed(DomainError):
    status = 422
    code = "validation_failed"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"


class InternalError(DomainError):
    """A bug: logged with its trace, answered without one."""

    status = 500
    code = "internal_error"


class ServiceUnavailable(DomainError):
    """A dependency (DynamoDB throttling, S3) failed: retryable, never the caller's fault."""

    status = 503
    code = "service_unavailable"
