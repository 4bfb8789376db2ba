"""The client: ``Avara`` and its ``express.users`` resource."""

import ctypes
import math
import numbers
import threading
from typing import Any, Callable, Dict, Mapping, Optional, Tuple, Union

from ._last_error import STATUS_OK, last_error
from ._library import (
    ClientOptionsPointer,
    ClientPointer,
    Library,
    UsersResponsePointer,
    load_library,
)
from ._version import __version__

__all__ = ["Avara", "Client", "UserAddResponse", "UserRemoveResponse"]

#: Default bound on one attempt, in seconds, as in the official SDK.
DEFAULT_TIMEOUT = 60.0
#: Default number of retries after the first attempt, as in the official SDK.
DEFAULT_MAX_RETRIES = 2

# libavara's accepted ranges, in milliseconds (avara_client_options_set_*).
_MAX_TIMEOUT_MS = 3_600_000
_MAX_CONNECT_TIMEOUT_MS = 600_000
# libavara accepts 0 to 10 retries (avara_client_options_set_max_retries).
_MAX_RETRIES_LIMIT = 10

# Marks an argument the caller did not pass, where None has a meaning.
_NOT_GIVEN: Any = object()

_CLOSED_MESSAGE = "the Avara client is closed; create a new one"

# The start of libavara's message for a rejected default header.
_DEFAULT_HEADER_PREFIX = "invalid default header: "


class _UsersResponse:
    """The body of a successful add or remove: ``success`` and ``message``."""

    __slots__ = ("success", "message")

    def __init__(self, success: bool, message: Optional[str] = None) -> None:
        self.success = success
        self.message = message

    def to_dict(self) -> Dict[str, Any]:
        """Return the fields as a dict, the way the official SDK's models do."""
        return {"success": self.success, "message": self.message}

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return (self.success, self.message) == (other.success, other.message)  # type: ignore

    def __repr__(self) -> str:
        return "{}(success={!r}, message={!r})".format(
            type(self).__name__, self.success, self.message
        )


class UserAddResponse(_UsersResponse):
    """Response of ``client.express.users.add()``."""


class UserRemoveResponse(_UsersResponse):
    """Response of ``client.express.users.remove()``."""


def _encode(name: str, value: object) -> bytes:
    """Encode a str argument as the NUL-terminated UTF-8 that libavara reads."""
    if not isinstance(value, str):
        raise TypeError("{} must be a str, not {}".format(name, type(value).__name__))
    if "\0" in value:
        # ctypes would pass the text only up to the NUL, silently.
        raise ValueError("{} must not contain NUL characters: {!r}".format(name, value))
    return value.encode("utf-8")


def _encode_ids(express_customer_id: object, user_id: object) -> Tuple[bytes, bytes]:
    """Check and encode the IDs of an add or remove call, raising the errors
    the official SDK raises for a wrong type or an empty customer ID."""
    if not isinstance(express_customer_id, str):
        raise TypeError(
            "express_customer_id must be a str, not {}".format(type(express_customer_id).__name__)
        )
    if not express_customer_id:
        raise ValueError(
            "Expected a non-empty value for `express_customer_id` but received {!r}".format(
                express_customer_id
            )
        )
    return _encode("express_customer_id", express_customer_id), _encode("user_id", user_id)


def _milliseconds(name: str, seconds: object, max_ms: int) -> int:
    """Convert a timeout in seconds to whole milliseconds within libavara's range."""
    if isinstance(seconds, bool) or not isinstance(seconds, numbers.Real):
        raise TypeError(
            "{} must be a number of seconds, not {}; libavara has no unlimited "
            "timeout".format(name, type(seconds).__name__)
        )
    max_seconds = max_ms / 1000
    if not math.isfinite(seconds) or not 0.001 <= seconds <= max_seconds:
        raise ValueError(
            "{} must be between 0.001 and {:g} seconds, not {!r}".format(
                name, max_seconds, seconds
            )
        )
    return max(1, round(seconds * 1000))


def _extra_header_error(error: BaseException, name: str) -> BaseException:
    """Reword libavara's rejection of a default header for a per-call extra
    header, which reaches libavara as a default header of a derived client."""
    if not isinstance(error, ValueError):
        return error
    reason = str(error)
    if reason.startswith(_DEFAULT_HEADER_PREFIX):
        reason = reason[len(_DEFAULT_HEADER_PREFIX) :]
    reason = reason.replace("cannot be a default header", "cannot be an extra header")
    return ValueError("invalid per-call extra header {!r}: {}".format(name, reason))


def _check_retries(max_retries: object) -> int:
    if isinstance(max_retries, bool) or not isinstance(max_retries, numbers.Integral):
        raise TypeError("max_retries must be an int, not {}".format(type(max_retries).__name__))
    # ctypes would wrap a negative or oversized value into the uint32_t
    # silently; libavara checks the upper limit itself.
    if not 0 <= max_retries <= _MAX_RETRIES_LIMIT:
        raise ValueError(
            "max_retries must be from 0 to {}, not {}".format(_MAX_RETRIES_LIMIT, max_retries)
        )
    return int(max_retries)


class _Options:
    """An owned ``AvaraClientOptions`` handle, freed on leaving a ``with``."""

    def __init__(self, library: Library) -> None:
        self._library = library
        self.handle = ClientOptionsPointer()
        self._check(library.cdll.avara_client_options_new(ctypes.byref(self.handle)))

    def __enter__(self) -> "_Options":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._library.cdll.avara_client_options_free(self.handle)
        self.handle = ClientOptionsPointer()

    def _check(self, status: int) -> None:
        if status != STATUS_OK:
            raise last_error(self._library, status)

    def apply(
        self,
        api_key: Optional[str],
        base_url: Optional[str],
        timeout: Any,
        connect_timeout: Any,
        max_retries: Any,
        default_headers: Optional[Mapping[str, str]],
        user_agent_suffix: Optional[str],
        headers_argument: str = "default_headers",
    ) -> None:
        """Set every option that is not None (or not _NOT_GIVEN for timeouts).

        ``headers_argument`` is the caller's name for ``default_headers``, used
        in error messages: ``extra_headers`` for the headers of one call.
        """
        cdll = self._library.cdll
        if api_key is not None:
            self._check(cdll.avara_client_options_set_api_key(self.handle, _encode("api_key", api_key)))
        if base_url is not None:
            self._check(
                cdll.avara_client_options_set_base_url(self.handle, _encode("base_url", base_url))
            )
        if timeout is not _NOT_GIVEN:
            milliseconds = _milliseconds("timeout", timeout, _MAX_TIMEOUT_MS)
            self._check(cdll.avara_client_options_set_timeout_ms(self.handle, milliseconds))
        if connect_timeout is not _NOT_GIVEN:
            milliseconds = _milliseconds("connect_timeout", connect_timeout, _MAX_CONNECT_TIMEOUT_MS)
            self._check(cdll.avara_client_options_set_connect_timeout_ms(self.handle, milliseconds))
        if max_retries is not None:
            retries = _check_retries(max_retries)
            self._check(cdll.avara_client_options_set_max_retries(self.handle, retries))
        if default_headers is not None:
            if not isinstance(default_headers, Mapping):
                raise TypeError(
                    "{} must be a mapping of str to str, not {}".format(
                        headers_argument, type(default_headers).__name__
                    )
                )
            for name, value in default_headers.items():
                status = cdll.avara_client_options_add_default_header(
                    self.handle,
                    _encode("{} key".format(headers_argument), name),
                    _encode("{}[{!r}]".format(headers_argument, name), value),
                )
                if status != STATUS_OK:
                    error = last_error(self._library, status)
                    if headers_argument == "extra_headers":
                        raise _extra_header_error(error, name) from None
                    raise error
        if user_agent_suffix is not None:
            self._check(
                cdll.avara_client_options_set_user_agent_suffix(
                    self.handle, _encode("user_agent_suffix", user_agent_suffix)
                )
            )


class Avara:
    """A client for the Avara API, backed by libavara.

    Arguments not given fall back as in the official SDK: ``api_key`` to
    ``AVARA_API_KEY``, ``base_url`` to ``AVARA_BASE_URL`` and then
    ``https://api.avarasoftware.com``. ``AVARA_CUSTOM_HEADERS`` is read too.
    ``timeout`` bounds one attempt in seconds (0.001 to 3600; libavara has no
    unlimited timeout, so None is rejected). ``connect_timeout`` bounds
    connection setup in seconds (default 5; not in the official SDK).
    ``library`` is a path to libavara, for when the default lookup in
    ``load_library()`` is not wanted.

    Thread-safe: several threads may call one client at once, and they
    share its keep-alive connections. ``close()`` waits for calls in
    progress on other threads to finish.

    Raises AvaraError when no API key is given or set, ValueError for an
    invalid value and TypeError for a value of the wrong type.
    """

    def __init__(
        self,
        *,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Optional[Mapping[str, str]] = None,
        connect_timeout: Any = _NOT_GIVEN,
        library: Optional[str] = None,
    ) -> None:
        if max_retries is None:
            # As in the official SDK; checked before the C client exists.
            raise TypeError(
                "max_retries cannot be None; pass 0 to disable retries or "
                "avara_ffi.DEFAULT_MAX_RETRIES for the default"
            )
        self._handle = ClientPointer()
        self._closed = True
        self._library = load_library(library)
        cdll = self._library.cdll

        with _Options(self._library) as options:
            options.apply(
                api_key,
                base_url,
                timeout,
                connect_timeout,
                max_retries,
                default_headers,
                "avara_ffi-python/{}".format(__version__),
            )
            handle = ClientPointer()
            status = cdll.avara_client_new_with_options(options.handle, ctypes.byref(handle))
            if status != STATUS_OK:
                raise last_error(self._library, status)
        self._adopt(handle, timeout, max_retries)

    def _adopt(self, handle: "ctypes._Pointer[Any]", timeout: float, max_retries: int) -> None:
        """Take ownership of a new client handle."""
        self._handle = handle
        # The handle's address, which the add and remove calls pass.
        self._address = ctypes.cast(handle, ctypes.c_void_p).value
        self._closed = False
        self._active_calls = 0
        # _lock guards _closed, _active_calls and the handle. Calls take it
        # directly, which is cheaper than entering a Condition; close() waits
        # on _idle, which a call notifies when it is the last to finish.
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self.timeout = float(timeout)
        self.max_retries = int(max_retries)
        self.express = ExpressResource(self)

    @property
    def library(self) -> Library:
        """The loaded libavara this client calls."""
        return self._library

    def with_options(
        self,
        *,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: Any = _NOT_GIVEN,
        max_retries: Optional[int] = None,
        default_headers: Optional[Mapping[str, str]] = None,
        connect_timeout: Any = _NOT_GIVEN,
    ) -> "Avara":
        """Return a new client that shares this one's connection pool, with the
        given options changed and the others kept. ``default_headers`` are
        added to this client's headers; a header of the same name is replaced.

        The new client is independent: close each one when done, in any
        order. Maps to ``avara_client_with_options()``.
        """
        return self._derive(
            api_key, base_url, timeout, max_retries, default_headers, connect_timeout
        )

    def _derive(
        self,
        api_key: Optional[str],
        base_url: Optional[str],
        timeout: Any,
        max_retries: Optional[int],
        default_headers: Optional[Mapping[str, str]],
        connect_timeout: Any,
        headers_argument: str = "default_headers",
    ) -> "Avara":
        """Implement ``with_options()``. ``headers_argument`` names the
        headers in error messages, as in ``_Options.apply()``."""
        derived = Avara.__new__(Avara)
        derived._handle = ClientPointer()
        derived._closed = True
        derived._library = self._library
        cdll = self._library.cdll

        with _Options(self._library) as options:
            options.apply(
                api_key,
                base_url,
                timeout,
                connect_timeout,
                max_retries,
                default_headers,
                None,
                headers_argument,
            )
            handle = ClientPointer()
            with self._call() as parent:
                status = cdll.avara_client_with_options(parent, options.handle, ctypes.byref(handle))
                if status != STATUS_OK:
                    raise last_error(self._library, status)
        derived._adopt(
            handle,
            self.timeout if timeout is _NOT_GIVEN else timeout,
            self.max_retries if max_retries is None else max_retries,
        )
        return derived

    #: The official SDK's name for ``with_options``.
    copy = with_options

    def close(self) -> None:
        """Free the client and its idle connections. Waits for calls still
        running on other threads; later calls raise RuntimeError. Calling
        close() again does nothing."""
        idle = getattr(self, "_idle", None)
        if idle is None:
            return
        with idle:
            if self._closed:
                return
            self._closed = True
            while self._active_calls:
                idle.wait()
            handle, self._handle = self._handle, ClientPointer()
            self._address = None
        self._library.cdll.avara_client_free(handle)

    def is_closed(self) -> bool:
        """Return whether close() has been called."""
        return self._closed

    def __enter__(self) -> "Avara":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        # A client that was never closed still frees its handle. During
        # interpreter shutdown the attributes may already be gone.
        try:
            self.close()
        except Exception:
            pass

    def _call(self) -> "_ActiveCall":
        return _ActiveCall(self)

    def _users_call(
        self,
        add: bool,
        response_class: Callable[[bool, Optional[str]], _UsersResponse],
        express_customer_id: object,
        user_id: object,
        timeout: Any,
        extra_headers: Optional[Mapping[str, str]],
    ) -> Any:
        if (
            type(express_customer_id) is str
            and type(user_id) is str
            and express_customer_id
            and "\0" not in express_customer_id
            and "\0" not in user_id
        ):
            customer = express_customer_id.encode("utf-8")
            user = user_id.encode("utf-8")
        else:
            customer, user = _encode_ids(express_customer_id, user_id)

        if timeout is not _NOT_GIVEN or extra_headers is not None:
            # Per-call options: a short-lived derived client that shares the pool.
            derived_client = self._derive(
                None, None, timeout, None, extra_headers, _NOT_GIVEN, "extra_headers"
            )
            with derived_client as derived:
                return derived._users_call(
                    add, response_class, express_customer_id, user_id, _NOT_GIVEN, None
                )

        # The steps of _ActiveCall, written out because this is the hot path.
        functions = self._library.users_call
        out_response = ctypes.c_void_p()
        lock = self._lock
        with lock:
            if self._closed:
                raise RuntimeError(_CLOSED_MESSAGE)
            self._active_calls += 1
            address = self._address
        try:
            # ctypes releases the GIL for the whole call, so other threads run.
            call = functions.add if add else functions.remove
            status = call(address, customer, user, ctypes.byref(out_response))
        finally:
            with lock:
                self._active_calls -= 1
                if self._closed and not self._active_calls:
                    self._idle.notify_all()
        if status != STATUS_OK:
            raise last_error(self._library, status)

        response = out_response.value
        try:
            success = functions.success(response)
            message = functions.message(response)
        finally:
            functions.free(response)
        return response_class(success, None if message is None else message.decode("utf-8"))

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return "<avara_ffi.Avara {} timeout={} max_retries={}>".format(
            state, getattr(self, "timeout", None), getattr(self, "max_retries", None)
        )


#: The official SDK also exports the client as ``Client``.
Client = Avara


class _ActiveCall:
    """Marks a C call in progress so close() waits for it, and yields the
    handle. Raises RuntimeError on a closed client."""

    def __init__(self, client: Avara) -> None:
        self._client = client

    def __enter__(self) -> "ctypes._Pointer[Any]":
        client = self._client
        with client._lock:
            if client._closed:
                raise RuntimeError(_CLOSED_MESSAGE)
            client._active_calls += 1
            return client._handle

    def __exit__(self, *exc_info: object) -> None:
        client = self._client
        with client._lock:
            client._active_calls -= 1
            # Only close() waits, and only after setting _closed.
            if client._closed and not client._active_calls:
                client._idle.notify_all()


class ExpressResource:
    """``client.express``: the Express API."""

    def __init__(self, client: Avara) -> None:
        self.users = UsersResource(client)


class UsersResource:
    """``client.express.users``: add users to and remove them from Express
    customers."""

    def __init__(self, client: Avara) -> None:
        self._client = client

    def add(
        self,
        express_customer_id: str,
        *,
        user_id: str,
        extra_headers: Optional[Mapping[str, str]] = None,
        timeout: Union[float, Any] = _NOT_GIVEN,
    ) -> UserAddResponse:
        """Add a user to an Express customer, granting them access to the
        customer's resources and studies.

        IDs are ``cus_`` and ``usr_`` followed by 32 hex digits; libavara
        rejects other values with ValueError before sending anything.
        ``timeout`` (seconds) and ``extra_headers`` apply to this call only.
        Transient failures are retried as configured on the client.
        """
        return self._client._users_call(
            True,
            UserAddResponse,
            express_customer_id,
            user_id,
            timeout,
            extra_headers,
        )

    def remove(
        self,
        express_customer_id: str,
        *,
        user_id: str,
        extra_headers: Optional[Mapping[str, str]] = None,
        timeout: Union[float, Any] = _NOT_GIVEN,
    ) -> UserRemoveResponse:
        """Remove a user from an Express customer, revoking their access to the
        customer's resources. The user account stays active.

        Arguments are as for ``add()``.
        """
        return self._client._users_call(
            False,
            UserRemoveResponse,
            express_customer_id,
            user_id,
            timeout,
            extra_headers,
        )
