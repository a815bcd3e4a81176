"""The problem catalogue: every error Vigil reports, with a stable code and HTTP status.

Each edge renders these its own way: problem+json (RFC 9457) on the API, a message on
the CLI and on pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ProblemType:
    """One entry of the catalogue."""

    code: str
    status: int
    title: str


CATALOGUE: dict[str, ProblemType] = {
    p.code: p
    for p in (
        ProblemType("malformed_request", 400, "The request body is not well-formed"),
        ProblemType("malformed_xml", 400, "The XML is malformed or uses forbidden constructs"),
        ProblemType("openrosa_version_required", 400, "Send the X-OpenRosa-Version: 1.0 header"),
        ProblemType("not_authenticated", 401, "Authentication is required"),
        ProblemType("invalid_credentials", 401, "Unknown user, wrong password or token"),
        ProblemType("forbidden", 403, "Your role may not do this"),
        ProblemType("csrf_failed", 403, "The form's CSRF token is missing or wrong"),
        ProblemType("not_found", 404, "No such object"),
        ProblemType("method_not_allowed", 405, "This method is not allowed here"),
        ProblemType("idempotency_conflict", 409, "This client id was used for different content"),
        ProblemType("already_exists", 409, "An object with this identifier exists already"),
        ProblemType("form_closed", 409, "This form version no longer accepts submissions"),
        ProblemType("submission_conflict", 409, "This instance was sent before with other data"),
        ProblemType("state_conflict", 409, "The object is not in a state that allows this"),
        ProblemType("precondition_required", 428, "Send If-Match with the ETag you loaded"),
        ProblemType("body_too_large", 413, "The request body is too large"),
        ProblemType("batch_too_large", 413, "The batch holds too many items"),
        ProblemType("unsupported_media_type", 415, "This content type is not accepted"),
        ProblemType("unsupported_file_type", 415, "The file's content is not of an accepted type"),
        ProblemType("validation_failed", 422, "Some fields are invalid"),
        ProblemType("unknown_category", 422, "The category is not in the mission's taxonomy"),
        ProblemType("unknown_reference", 422, "A referenced object does not exist"),
        ProblemType("invalid_geometry", 422, "The geometry is not valid"),
        ProblemType("invalid_form", 422, "The form cannot be used"),
        ProblemType("file_refused", 422, "The file is damaged or too large to decode"),
        ProblemType("import_refused", 422, "The file was refused; nothing was imported"),
        ProblemType("invalid_range", 422, "The time range is not valid"),
        ProblemType("invalid_grouping", 422, "The grouping does not fit the observations"),
        ProblemType("integrity_broken", 500, "The audit chain or a stored row was tampered with"),
    )
}


@dataclass
class FieldError:
    """Where in the input something was wrong, and what."""

    field: str
    message: str


@dataclass
class VigilError(Exception):
    """An expected failure, named by its catalogue code."""

    code: str
    detail: str
    errors: list[FieldError] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in CATALOGUE:
            raise KeyError(f"unknown problem code {self.code!r}")
        super().__init__(self.detail)

    @property
    def problem(self) -> ProblemType:
        """The catalogue entry for this error."""
        return CATALOGUE[self.code]

    @property
    def status(self) -> int:
        """The HTTP status this error is reported with."""
        return self.problem.status


def invalid(field_name: str, message: str, code: str = "validation_failed") -> VigilError:
    """A validation error about one field."""
    return VigilError(code, f"{field_name}: {message}", [FieldError(field_name, message)])
