"""Turn a failed libavara call into the matching Python exception."""

import json
from typing import Dict, Optional, Type

from . import _exceptions as exc
from ._library import Library

# AvaraStatus values from include/avara.h. They are stable across releases.
STATUS_OK = 0
STATUS_INVALID_ARGUMENT = 1
STATUS_MISSING_API_KEY = 2
STATUS_CONNECTION_FAILED = 10
STATUS_TIMED_OUT = 11
STATUS_HTTP_STATUS = 28
STATUS_INVALID_RESPONSE = 40

# Status codes 20-27: the HTTP status has its own class, as in the official SDK.
_STATUS_ERROR_CLASSES: Dict[int, Type[exc.APIStatusError]] = {
    20: exc.BadRequestError,
    21: exc.AuthenticationError,
    22: exc.PermissionDeniedError,
    23: exc.NotFoundError,
    24: exc.ConflictError,
    25: exc.UnprocessableEntityError,
    26: exc.RateLimitError,
    27: exc.InternalServerError,
}


def _text(value: Optional[bytes]) -> Optional[str]:
    return None if value is None else value.decode("utf-8", errors="replace")


def _decode_body(text: Optional[str]) -> Optional[object]:
    """Decode an error body as the official SDK does: JSON when it parses,
    else the text itself."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def last_error(library: Library, status: int) -> BaseException:
    """Build the exception for ``status``, which a libavara call on this
    thread has just returned.

    Call it on the same thread right after the failed call: libavara keeps
    the details per thread, and the next call replaces them.

    Invalid arguments give ValueError, because the value had the right
    Python type but libavara rejected it (a malformed ID, an out-of-range
    option, a header with a line break), which is what ValueError means in
    Python. Wrong types are rejected with TypeError before any C call.
    """
    cdll = library.cdll
    message = _text(cdll.avara_last_error_message()) or ""
    http_status = int(cdll.avara_last_error_http_status())
    server_message = _text(cdll.avara_last_error_server_message())
    body = _decode_body(_text(cdll.avara_last_error_body()))
    request_id = _text(cdll.avara_last_error_request_id())
    attempts = int(cdll.avara_last_error_attempts())
    retries_exhausted = bool(cdll.avara_last_error_retries_exhausted())
    if not message:
        message = "libavara call failed with {}".format(_text(cdll.avara_status_name(status)))

    if status == STATUS_INVALID_ARGUMENT:
        return ValueError(message)
    if status == STATUS_CONNECTION_FAILED:
        return exc.APIConnectionError(
            message=message, attempts=attempts, retries_exhausted=retries_exhausted
        )
    if status == STATUS_TIMED_OUT:
        return exc.APITimeoutError(
            message=message, attempts=attempts, retries_exhausted=retries_exhausted
        )
    if status == STATUS_INVALID_RESPONSE:
        return exc.APIResponseValidationError(
            message, status_code=http_status, body=body, attempts=attempts
        )
    status_class = _STATUS_ERROR_CLASSES.get(status)
    if status_class is None and status == STATUS_HTTP_STATUS:
        status_class = exc.APIStatusError
    if status_class is not None:
        return status_class(
            message,
            body=body,
            status_code=http_status,
            request_id=request_id,
            attempts=attempts,
            retries_exhausted=retries_exhausted,
        )
    # STATUS_MISSING_API_KEY (the official SDK raises AvaraError for it too),
    # the internal-error status and any status newer than this module.
    return exc.AvaraError(message)
