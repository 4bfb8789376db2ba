"""Find libavara, load it with ctypes and declare every C function used.

Each function gets explicit ``argtypes`` and ``restype``. Without a
``restype`` ctypes assumes ``int`` and cuts 64-bit pointers in half, and
without ``argtypes`` it passes Python ints as 32-bit C ints.
"""

import ctypes
import ctypes.util
import os
import threading
from typing import Dict, List, Optional

from . import _build_config

#: Environment variable naming the library file to load.
LIBRARY_ENV = "AVARA_LIBRARY"

#: File names tried next to this package and in the install's library
#: directory, in order. The versioned soname comes first because it names
#: the ABI major version this package was written for.
LIBRARY_FILE_NAMES = ("libavara.so.0", "libavara.so", "libavara.dylib")


class LibraryNotFoundError(OSError):
    """libavara could not be found or loaded. The message lists every place
    that was tried and why each one failed."""


class ClientHandle(ctypes.Structure):
    """Opaque ``AvaraClient``."""


class ClientOptionsHandle(ctypes.Structure):
    """Opaque ``AvaraClientOptions``."""


class UsersResponseHandle(ctypes.Structure):
    """Opaque ``AvaraUsersResponse``."""


ClientPointer = ctypes.POINTER(ClientHandle)
ClientOptionsPointer = ctypes.POINTER(ClientOptionsHandle)
UsersResponsePointer = ctypes.POINTER(UsersResponseHandle)

#: ``void (*)(AvaraLogLevel level, const char *message, void *user_data)``.
#: AvaraLogLevel is a C enum, passed as an int.
LOG_CALLBACK_TYPE = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)

# AvaraStatus and AvaraLogLevel are C enums, which the C ABI passes as int.
_STATUS = ctypes.c_int

# (name, restype, argtypes) for every C function this package calls.
_PROTOTYPES = (
    ("avara_version", ctypes.c_char_p, []),
    ("avara_status_name", ctypes.c_char_p, [ctypes.c_int]),
    ("avara_client_options_new", _STATUS, [ctypes.POINTER(ClientOptionsPointer)]),
    ("avara_client_options_free", None, [ClientOptionsPointer]),
    ("avara_client_options_set_api_key", _STATUS, [ClientOptionsPointer, ctypes.c_char_p]),
    ("avara_client_options_set_base_url", _STATUS, [ClientOptionsPointer, ctypes.c_char_p]),
    ("avara_client_options_set_timeout_ms", _STATUS, [ClientOptionsPointer, ctypes.c_uint64]),
    (
        "avara_client_options_set_connect_timeout_ms",
        _STATUS,
        [ClientOptionsPointer, ctypes.c_uint64],
    ),
    ("avara_client_options_set_max_retries", _STATUS, [ClientOptionsPointer, ctypes.c_uint32]),
    (
        "avara_client_options_add_default_header",
        _STATUS,
        [ClientOptionsPointer, ctypes.c_char_p, ctypes.c_char_p],
    ),
    (
        "avara_client_options_set_user_agent_suffix",
        _STATUS,
        [ClientOptionsPointer, ctypes.c_char_p],
    ),
    (
        "avara_client_new_with_options",
        _STATUS,
        [ClientOptionsPointer, ctypes.POINTER(ClientPointer)],
    ),
    (
        "avara_client_with_options",
        _STATUS,
        [ClientPointer, ClientOptionsPointer, ctypes.POINTER(ClientPointer)],
    ),
    ("avara_client_free", None, [ClientPointer]),
    (
        "avara_express_users_add",
        _STATUS,
        [ClientPointer, ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(UsersResponsePointer)],
    ),
    (
        "avara_express_users_remove",
        _STATUS,
        [ClientPointer, ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(UsersResponsePointer)],
    ),
    ("avara_users_response_success", ctypes.c_bool, [UsersResponsePointer]),
    # c_char_p copies the string into a bytes object at once, which is
    # required here: the C string dies with the response.
    ("avara_users_response_message", ctypes.c_char_p, [UsersResponsePointer]),
    ("avara_users_response_free", None, [UsersResponsePointer]),
    ("avara_last_error_message", ctypes.c_char_p, []),
    ("avara_last_error_status", _STATUS, []),
    ("avara_last_error_http_status", ctypes.c_uint16, []),
    ("avara_last_error_server_message", ctypes.c_char_p, []),
    ("avara_last_error_body", ctypes.c_char_p, []),
    ("avara_last_error_request_id", ctypes.c_char_p, []),
    ("avara_last_error_attempts", ctypes.c_uint32, []),
    ("avara_last_error_retries_exhausted", ctypes.c_bool, []),
    ("avara_set_log_callback", _STATUS, [LOG_CALLBACK_TYPE, ctypes.c_void_p]),
    ("avara_set_log_level", _STATUS, [ctypes.c_int]),
    ("avara_log_level", ctypes.c_int, []),
)


class UsersCallFunctions:
    """The C functions that every add or remove call runs, declared a second
    time for speed: handles are passed as integer addresses (``c_void_p``).
    ctypes converts an int without the isinstance and issubclass checks it
    runs for each ``POINTER`` argument. Those checks took about 7,500 of the
    44,000 instructions that the Python side of a call ran (CPython 3.11,
    counted with callgrind by bench/py_bench.py against nginx).

    The accessors only read or free a response and wait on nothing, so they
    keep the GIL (``PYFUNCTYPE``) and skip releasing and taking it again. The add and remove calls release it
    as every ``CDLL`` function does, so other threads run during the request.
    """

    def __init__(self, cdll: ctypes.CDLL) -> None:
        # A (name, library) pair makes a new function object, so the
        # prototypes declared on cdll itself stay as they are.
        call_type = ctypes.CFUNCTYPE(
            _STATUS, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p
        )
        self.add = call_type(("avara_express_users_add", cdll))
        self.remove = call_type(("avara_express_users_remove", cdll))
        self.success = ctypes.PYFUNCTYPE(ctypes.c_bool, ctypes.c_void_p)(
            ("avara_users_response_success", cdll)
        )
        self.message = ctypes.PYFUNCTYPE(ctypes.c_char_p, ctypes.c_void_p)(
            ("avara_users_response_message", cdll)
        )
        self.free = ctypes.PYFUNCTYPE(None, ctypes.c_void_p)(("avara_users_response_free", cdll))


class Library:
    """A loaded libavara with every prototype declared.

    ``cdll`` is the ``ctypes.CDLL``; call the C functions through it.
    ``path`` is the file or name it was loaded from. ``users_call`` contains
    the functions of the add and remove calls, declared for avara_ffi's own
    use with integer addresses for handles.
    """

    def __init__(self, cdll: ctypes.CDLL, path: str) -> None:
        self.cdll = cdll
        self.path = path
        for name, restype, argtypes in _PROTOTYPES:
            try:
                function = getattr(cdll, name)
            except AttributeError:
                raise LibraryNotFoundError(
                    "{} does not export {}; it is not libavara or it is older than this "
                    "avara_ffi expects".format(path, name)
                ) from None
            function.restype = restype
            function.argtypes = argtypes
        self.users_call = UsersCallFunctions(cdll)

    @property
    def version(self) -> str:
        """The version that the loaded library reports, such as ``"0.1.0"``."""
        return self.cdll.avara_version().decode("utf-8")


_loaded: Dict[str, Library] = {}
_load_lock = threading.Lock()


def _module_directory() -> str:
    return os.path.dirname(os.path.abspath(__file__))


def _load(path: str) -> Library:
    """Load ``path`` once per process and return the cached Library after that."""
    library = _loaded.get(path)
    if library is None:
        library = Library(ctypes.CDLL(path), path)
        _loaded[path] = library
    return library


def _load_named(path: str, origin: str) -> Library:
    """Load a file the caller named explicitly, with no fallback on failure."""
    try:
        return _load(path)
    except OSError as error:
        raise LibraryNotFoundError(
            "cannot load libavara from {} ({}): {}".format(path, origin, error)
        ) from error


def load_library(path: Optional[str] = None) -> Library:
    """Load libavara and return it, searching in this order:

    1. ``path``, when given;
    2. the file named by the ``AVARA_LIBRARY`` environment variable;
    3. ``libavara.so.0`` or ``libavara.so`` in this package's directory;
    4. the library directory recorded by ``make install``, if any;
    5. the system loader: ``ctypes.util.find_library("avara")``, then
       ``libavara.so.0`` and ``libavara.so`` by name (so ``LD_LIBRARY_PATH``
       and ``ldconfig`` apply).

    A path given in steps 1 or 2 that fails to load raises at once, because
    falling back would silently load a different library than the one
    requested. Every loaded library is kept for the life of the process;
    loading the same path again returns the same object. Thread-safe.

    Raises LibraryNotFoundError, listing every place tried, when all fail.
    """
    with _load_lock:
        if path is not None:
            return _load_named(os.fspath(path), "the path argument")
        from_env = os.environ.get(LIBRARY_ENV)
        if from_env:
            return _load_named(from_env, LIBRARY_ENV)

        tried: List[str] = ["{} (unset)".format(LIBRARY_ENV)]
        directories = [_module_directory()]
        if _build_config.LIBRARY_DIR:
            directories.append(_build_config.LIBRARY_DIR)
        for directory in directories:
            for file_name in LIBRARY_FILE_NAMES:
                candidate = os.path.join(directory, file_name)
                if not os.path.exists(candidate):
                    tried.append("{} (no such file)".format(candidate))
                    continue
                try:
                    return _load(candidate)
                except OSError as error:
                    tried.append("{} ({})".format(candidate, error))

        names = []
        found = ctypes.util.find_library("avara")
        if found:
            names.append(found)
        else:
            tried.append('ctypes.util.find_library("avara") (found nothing)')
        names.extend(name for name in LIBRARY_FILE_NAMES if name not in names)
        for name in names:
            try:
                return _load(name)
            except OSError as error:
                tried.append("system loader for {} ({})".format(name, error))

        raise LibraryNotFoundError(
            "libavara not found. Tried:\n  "
            + "\n  ".join(tried)
            + "\nSet {} to the path of libavara.so.0, or install libavara "
            "(make install PREFIX=...).".format(LIBRARY_ENV)
        )
