"""Exceptions with the names and hierarchy of the official ``avara`` SDK.

The official SDK (``avara`` 0.3.0 on PyPI, ``avara/_exceptions.py``) builds
its errors from httpx request and response objects. libavara does not
return those, so here ``request`` and ``response`` are always None.
``body`` is the response body decoded as JSON, or its text when it is not
JSON, as in the official SDK; libavara keeps at most 64 KiB of it.
``status_code`` and the class chosen for each HTTP status match the
official SDK.

Attributes the official SDK lacks: ``request_id`` (the response's
``x-request-id``), ``attempts`` (HTTP attempts made, retries included) and
``retries_exhausted``.
"""

from typing import Optional

__all__ = [
    "AvaraError",
    "APIError",
    "APIStatusError",
    "APIConnectionError",
    "APITimeoutError",
    "APIResponseValidationError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "UnprocessableEntityError",
    "RateLimitError",
    "InternalServerError",
]


class AvaraError(Exception):
    """Base class of every error raised by this package, except ValueError and
    TypeError for invalid arguments. Raised as is for a missing API key and
    for a bug inside libavara."""


class APIError(AvaraError):
    """A request was attempted and failed."""

    message: str
    request: None
    body: Optional[object]
    attempts: int
    retries_exhausted: bool

    def __init__(
        self,
        message: str,
        request: None = None,
        *,
        body: Optional[object] = None,
        attempts: int = 0,
        retries_exhausted: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.request = request
        self.body = body
        self.attempts = attempts
        self.retries_exhausted = retries_exhausted


class APIStatusError(APIError):
    """The server responded with a 4xx or 5xx status (or another status outside
    2xx, such as a redirect, which libavara does not follow)."""

    status_code: int
    request_id: Optional[str]
    response: None

    def __init__(
        self,
        message: str,
        *,
        body: Optional[object] = None,
        status_code: Optional[int] = None,
        request_id: Optional[str] = None,
        response: None = None,
        attempts: int = 0,
        retries_exhausted: bool = False,
    ) -> None:
        super().__init__(
            message, None, body=body, attempts=attempts, retries_exhausted=retries_exhausted
        )
        if status_code is not None:
            self.status_code = status_code
        elif not hasattr(self, "status_code"):
            raise TypeError("{} needs status_code".format(type(self).__name__))
        self.request_id = request_id
        self.response = response


class APIConnectionError(APIError):
    """No complete response arrived: the connection was refused, reset or
    closed early, or the TLS handshake failed."""

    def __init__(
        self,
        *,
        message: str = "Connection error.",
        request: None = None,
        attempts: int = 0,
        retries_exhausted: bool = False,
    ) -> None:
        super().__init__(
            message, request, body=None, attempts=attempts, retries_exhausted=retries_exhausted
        )


class APITimeoutError(APIConnectionError):
    """The connect timeout or the request timeout fired."""

    def __init__(
        self,
        request: None = None,
        *,
        message: str = "Request timed out.",
        attempts: int = 0,
        retries_exhausted: bool = False,
    ) -> None:
        super().__init__(
            message=message,
            request=request,
            attempts=attempts,
            retries_exhausted=retries_exhausted,
        )


class APIResponseValidationError(APIError):
    """A 2xx response whose body is not the documented JSON object."""

    status_code: int

    def __init__(
        self,
        message: str = "Data returned by API invalid for expected schema.",
        *,
        status_code: int = 0,
        body: Optional[object] = None,
        attempts: int = 0,
    ) -> None:
        super().__init__(message, None, body=body, attempts=attempts)
        self.status_code = status_code
        self.response = None


class BadRequestError(APIStatusError):
    status_code = 400


class AuthenticationError(APIStatusError):
    status_code = 401


class PermissionDeniedError(APIStatusError):
    status_code = 403


class NotFoundError(APIStatusError):
    status_code = 404


class ConflictError(APIStatusError):
    status_code = 409


class UnprocessableEntityError(APIStatusError):
    status_code = 422


class RateLimitError(APIStatusError):
    status_code = 429


class InternalServerError(APIStatusError):
    """HTTP 500 or above; ``status_code`` contains the exact status."""
