"""One error model for the whole server: MLflow's error codes and the HTTP statuses they map to.

Every failure a client can cause is raised as an `ApiError`; the app turns it into
`{"error_code": ..., "message": ...}` with the matching status. Anything else is a bug and
becomes INTERNAL_ERROR (500), which the stock client retries for minutes, so bad input must
never end up there.
"""

from __future__ import annotations

STATUS_BY_CODE = {
    "INVALID_PARAMETER_VALUE": 400,
    "BAD_REQUEST": 400,
    "MALFORMED_REQUEST": 400,
    "INVALID_STATE": 400,
    "RESOURCE_ALREADY_EXISTS": 400,
    "RESOURCE_DOES_NOT_EXIST": 404,
    "ENDPOINT_NOT_FOUND": 404,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "ABORTED": 409,
    "RESOURCE_CONFLICT": 409,
    "REQUEST_LIMIT_EXCEEDED": 429,
    "INTERNAL_ERROR": 500,
    "NOT_IMPLEMENTED": 501,
    "TEMPORARILY_UNAVAILABLE": 503,
}


class ApiError(Exception):
    """An error the client caused or must know about, in MLflow's JSON error shape."""

    def __init__(
        self,
        message: str,
        error_code: str = "INVALID_PARAMETER_VALUE",
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.error_code = error_code
        # HTTP-level errors (404, 405) keep their own status; everything else follows the code.
        self.status = status or STATUS_BY_CODE.get(error_code, 500)
        # Response headers the answer needs, such as Retry-After.
        self.headers = headers or {}

    def to_dict(self) -> dict[str, str]:
        return {"error_code": self.error_code, "message": self.message}


def invalid(message: str) -> ApiError:
    return ApiError(message, "INVALID_PARAMETER_VALUE")


def not_found(message: str) -> ApiError:
    return ApiError(message, "RESOURCE_DOES_NOT_EXIST")


def already_exists(message: str) -> ApiError:
    return ApiError(message, "RESOURCE_ALREADY_EXISTS")


def http_error(method: str, path: str, status: int, detail: str) -> ApiError:
    """An unknown path or a wrong method, answered in MLflow's error shape."""
    code = "ENDPOINT_NOT_FOUND" if status == 404 else "BAD_REQUEST"
    return ApiError(f"{method} {path}: {detail}", code, status)


def internal_error(error: Exception) -> ApiError:
    """A bug, answered in MLflow's shape; its details belong in the log, not the answer."""
    return ApiError(f"Internal error: {type(error).__name__}", "INTERNAL_ERROR")
