"""Python bindings to libavara, the C client for the Avara API, in the shape
of the official ``avara`` SDK.

Pure Python on the standard library: the HTTP work happens in libavara,
which ``load_library()`` finds and loads with ctypes.

    import avara_ffi

    with avara_ffi.Avara(api_key="sk_live_...") as client:
        response = client.express.users.add(
            "cus_0123456789abcdef0123456789abcdef",
            user_id="usr_00000000000000000000000000000001",
        )
        print(response.success, response.message)
"""

from ._client import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    Avara,
    Client,
    UserAddResponse,
    UserRemoveResponse,
)
from ._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    AvaraError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from ._library import LIBRARY_ENV, Library, LibraryNotFoundError, load_library
from ._log import LogLevel, get_log_level, log_to_logging, set_log_callback, set_log_level
from ._version import __version__

__all__ = [
    "__version__",
    "Avara",
    "Client",
    "DEFAULT_TIMEOUT",
    "DEFAULT_MAX_RETRIES",
    "UserAddResponse",
    "UserRemoveResponse",
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
    "LIBRARY_ENV",
    "Library",
    "LibraryNotFoundError",
    "load_library",
    "LogLevel",
    "get_log_level",
    "set_log_level",
    "set_log_callback",
    "log_to_logging",
]
