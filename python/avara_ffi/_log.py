"""libavara's process-wide log level and log destination."""

import enum
import logging
import threading
from typing import Any, Callable, List, Optional

from ._last_error import STATUS_OK, last_error
from ._library import LOG_CALLBACK_TYPE, Library, load_library

__all__ = ["LogLevel", "get_log_level", "set_log_level", "set_log_callback", "log_to_logging"]


class LogLevel(enum.IntEnum):
    """AvaraLogLevel, from least to most verbose. Setting a level lets through
    messages at that level and the less verbose ones."""

    OFF = 0
    ERROR = 1
    WARN = 2
    INFO = 3
    DEBUG = 4


# Every callback object ever handed to libavara stays referenced here. ctypes
# frees a CFUNCTYPE's machine-code thunk when the object is collected, and
# libavara may still call the previous callback on another thread just after
# it was replaced. Each set_log_callback() call therefore keeps one small
# object alive for the rest of the process.
_installed_callbacks: List[Any] = []
_callback_lock = threading.Lock()


def set_log_level(level: int, library: Optional[Library] = None) -> None:
    """Set the most verbose level libavara logs, for the whole process.
    Overrides the ``AVARA_LOG`` environment variable. Raises ValueError for a
    number outside 0-4."""
    if isinstance(level, bool) or not isinstance(level, int):
        raise TypeError("level must be a LogLevel or int, not {}".format(type(level).__name__))
    library = library or load_library()
    if not -(2**31) <= level < 2**31:
        raise ValueError("level must be 0 to 4, not {}".format(level))
    status = library.cdll.avara_set_log_level(level)
    if status != STATUS_OK:
        raise last_error(library, status)


def get_log_level(library: Optional[Library] = None) -> LogLevel:
    """Return the most verbose level libavara logs now."""
    library = library or load_library()
    return LogLevel(library.cdll.avara_log_level())


def set_log_callback(
    callback: Optional[Callable[[LogLevel, str], None]], library: Optional[Library] = None
) -> None:
    """Send libavara's log lines to ``callback(level, message)`` instead of
    stderr, for the whole process; None restores stderr.

    The callback runs on the thread that made the libavara call, on several
    threads at once when several make calls, so it must be thread-safe. It
    must not call libavara (no client calls). An exception it raises is
    printed by ctypes and otherwise ignored. Messages never contain the API
    key.
    """
    library = library or load_library()
    if callback is None:
        c_callback = LOG_CALLBACK_TYPE()
    else:
        if not callable(callback):
            raise TypeError("callback must be callable or None")
        user_callback = callback

        def deliver(level: int, message: Optional[bytes], _user_data: Any) -> None:
            text = "" if message is None else message.decode("utf-8", errors="replace")
            user_callback(LogLevel(level), text)

        c_callback = LOG_CALLBACK_TYPE(deliver)

    with _callback_lock:
        _installed_callbacks.append(c_callback)
        status = library.cdll.avara_set_log_callback(c_callback, None)
    if status != STATUS_OK:
        raise last_error(library, status)


_LOGGING_LEVELS = {
    LogLevel.ERROR: logging.ERROR,
    LogLevel.WARN: logging.WARNING,
    LogLevel.INFO: logging.INFO,
    LogLevel.DEBUG: logging.DEBUG,
}


def log_to_logging(
    logger: Optional[logging.Logger] = None, library: Optional[Library] = None
) -> None:
    """Send libavara's log lines to ``logger`` (default: the ``avara_ffi``
    logger) through the standard logging module. The logger's own level and
    handlers apply after libavara's level (see set_log_level())."""
    target = logger or logging.getLogger("avara_ffi")

    def forward(level: LogLevel, message: str) -> None:
        target.log(_LOGGING_LEVELS.get(level, logging.INFO), "%s", message)

    set_log_callback(forward, library)
