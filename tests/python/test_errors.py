"""avara_ffi failures: one exception class per outcome, the attributes they
carry, retries, timeouts, connection failures and invalid arguments."""

import math
import socket
import time

import pytest

from conftest import (
    API_KEY,
    CUSTOMER_ID,
    MEMBER_USER_ID,
    READ_ONLY_API_KEY,
    UNKNOWN_CUSTOMER_ID,
    USER_ID,
)

EXCEPTION_NAMES = [
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


@pytest.mark.parametrize("name", EXCEPTION_NAMES)
def test_hierarchy_matches_official_sdk(avara_ffi, name):
    official = pytest.importorskip("avara", reason="the official SDK (pip install avara==0.3.0)")
    ours = getattr(avara_ffi, name)
    theirs = getattr(official, name)

    our_bases = [cls.__name__ for cls in ours.__mro__ if cls.__module__ != "builtins"]
    their_bases = [cls.__name__ for cls in theirs.__mro__ if cls.__module__ != "builtins"]
    assert our_bases == their_bases


def test_hierarchy_without_official_sdk(avara_ffi):
    assert issubclass(avara_ffi.APIError, avara_ffi.AvaraError)
    assert issubclass(avara_ffi.APIStatusError, avara_ffi.APIError)
    assert issubclass(avara_ffi.APIConnectionError, avara_ffi.APIError)
    assert issubclass(avara_ffi.APITimeoutError, avara_ffi.APIConnectionError)
    for name in EXCEPTION_NAMES[6:]:
        assert issubclass(getattr(avara_ffi, name), avara_ffi.APIStatusError), name


# Scripted statuses and the class each one raises.
SCRIPTED_STATUS_CASES = [
    (400, "BadRequestError"),
    (401, "AuthenticationError"),
    (403, "PermissionDeniedError"),
    (404, "NotFoundError"),
    (409, "ConflictError"),
    (422, "UnprocessableEntityError"),
    (429, "RateLimitError"),
    (500, "InternalServerError"),
    (503, "InternalServerError"),
    (418, "APIStatusError"),
    (302, "APIStatusError"),
]


@pytest.mark.parametrize("status, class_name", SCRIPTED_STATUS_CASES)
def test_scripted_status_raises_class(client, mock, avara_ffi, status, class_name):
    body = '{"message": "scripted %d", "error": "scripted"}' % status
    mock.script({"status": status, "body": body, "headers": [["x-request-id", "req_script"]]})

    with pytest.raises(avara_ffi.APIStatusError) as caught:
        client.express.users.add(CUSTOMER_ID, user_id=USER_ID)

    error = caught.value
    assert type(error) is getattr(avara_ffi, class_name)
    assert error.status_code == status
    # As in the official SDK, body is the decoded JSON body.
    assert error.body == {"message": "scripted %d" % status, "error": "scripted"}
    assert ("scripted %d" % status) in error.message
    assert error.request_id == "req_script"
    assert "HTTP %d" % status in error.message
    assert str(error) == error.message
    assert error.request is None
    assert error.response is None
    assert error.attempts == 1


def test_unknown_api_key_raises_authentication_error(avara_ffi, mock):
    client = avara_ffi.Avara(api_key="sk_live_" + "1" * 32, base_url=mock.base_url)
    with pytest.raises(avara_ffi.AuthenticationError) as caught:
        client.express.users.add(CUSTOMER_ID, user_id=USER_ID)
    client.close()

    assert caught.value.status_code == 401
    assert "API key" in caught.value.body["message"]
    assert caught.value.request_id.startswith("req_")


def test_read_only_key_raises_permission_denied(avara_ffi, mock):
    with avara_ffi.Avara(api_key=READ_ONLY_API_KEY, base_url=mock.base_url) as client:
        with pytest.raises(avara_ffi.PermissionDeniedError) as caught:
            client.express.users.add(CUSTOMER_ID, user_id=USER_ID)

    assert caught.value.status_code == 403


def test_unknown_customer_raises_not_found(client, avara_ffi):
    with pytest.raises(avara_ffi.NotFoundError) as caught:
        client.express.users.add(UNKNOWN_CUSTOMER_ID, user_id=USER_ID)

    assert UNKNOWN_CUSTOMER_ID in caught.value.body["message"]


def test_existing_member_raises_conflict(client, avara_ffi):
    with pytest.raises(avara_ffi.ConflictError) as caught:
        client.express.users.add(CUSTOMER_ID, user_id=MEMBER_USER_ID)

    assert caught.value.status_code == 409
    assert MEMBER_USER_ID in caught.value.message


def test_retries_then_succeeds(avara_ffi, mock):
    mock.script(
        {"status": 500, "body": "{}", "headers": [["retry-after-ms", "5"]]},
        {"status": 429, "body": "{}", "headers": [["retry-after-ms", "5"]]},
    )
    with avara_ffi.Avara(api_key=API_KEY, base_url=mock.base_url, max_retries=2) as client:
        response = client.express.users.add(CUSTOMER_ID, user_id=USER_ID)

    assert response.success is True
    assert len(mock.requests()) == 3


def test_rate_limit_after_retries_run_out(avara_ffi, mock):
    mock.script({"status": 429, "body": '{"message": "slow down"}', "headers": [["retry-after-ms", "5"]], "count": 3})
    with avara_ffi.Avara(api_key=API_KEY, base_url=mock.base_url, max_retries=2) as client:
        with pytest.raises(avara_ffi.RateLimitError) as caught:
            client.express.users.add(CUSTOMER_ID, user_id=USER_ID)

    assert caught.value.attempts == 3
    assert caught.value.retries_exhausted is True
    assert caught.value.body == {"message": "slow down"}
    assert len(mock.requests()) == 3


def test_invalid_success_body_raises_validation_error(client, mock, avara_ffi):
    mock.script({"status": 200, "body": "not json"})

    with pytest.raises(avara_ffi.APIResponseValidationError) as caught:
        client.express.users.add(CUSTOMER_ID, user_id=USER_ID)

    assert caught.value.status_code == 200
    assert caught.value.body == "not json"
    assert isinstance(caught.value, avara_ffi.APIError)


def test_timeout_raises_timeout_error(avara_ffi, mock):
    # A scripted status keeps the late answer from changing the seed.
    mock.script({"delay_ms": 3000, "status": 500, "body": "{}"})
    client = avara_ffi.Avara(api_key=API_KEY, base_url=mock.base_url, timeout=0.3, max_retries=0)

    started = time.monotonic()
    with pytest.raises(avara_ffi.APITimeoutError) as caught:
        client.express.users.add(CUSTOMER_ID, user_id=USER_ID)
    elapsed = time.monotonic() - started
    client.close()

    assert isinstance(caught.value, avara_ffi.APIConnectionError)
    assert elapsed < 2.0, "the 0.3 s timeout took {:.2f} s".format(elapsed)
    assert caught.value.attempts == 1


def _closed_port() -> int:
    """A loopback port that nothing listens on (just released by us)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_connection_refused_raises_connection_error(avara_ffi):
    base_url = "http://127.0.0.1:{}".format(_closed_port())
    with avara_ffi.Avara(api_key=API_KEY, base_url=base_url, max_retries=0) as client:
        with pytest.raises(avara_ffi.APIConnectionError) as caught:
            client.express.users.add(CUSTOMER_ID, user_id=USER_ID)

    assert type(caught.value) is avara_ffi.APIConnectionError
    assert caught.value.body is None


@pytest.mark.parametrize("drop", ["before_response", "reset", "mid_body"])
def test_dropped_connection_raises_connection_error(client, mock, avara_ffi, drop):
    mock.script({"drop": drop})

    with pytest.raises(avara_ffi.APIConnectionError):
        client.express.users.add(CUSTOMER_ID, user_id=USER_ID)


def test_missing_api_key_raises_avara_error(avara_ffi, mock):
    with pytest.raises(avara_ffi.AvaraError) as caught:
        avara_ffi.Avara(base_url=mock.base_url)

    assert type(caught.value) is avara_ffi.AvaraError
    assert "AVARA_API_KEY" in str(caught.value)


# (keyword arguments of Avara(), expected exception, text in its message)
INVALID_CLIENT_ARGUMENTS = [
    ({"api_key": 123}, TypeError, "api_key"),
    ({"api_key": "key with spaces"}, ValueError, "api_key"),
    ({"api_key": "sk_\0live"}, ValueError, "NUL"),
    ({"base_url": "ftp://127.0.0.1"}, ValueError, "base_url"),
    ({"timeout": None}, TypeError, "timeout"),
    ({"timeout": "60"}, TypeError, "timeout"),
    ({"timeout": 0}, ValueError, "timeout"),
    ({"timeout": -1.0}, ValueError, "timeout"),
    ({"timeout": math.inf}, ValueError, "timeout"),
    ({"timeout": 3601}, ValueError, "timeout"),
    ({"connect_timeout": 601}, ValueError, "connect_timeout"),
    ({"max_retries": -1}, ValueError, "max_retries"),
    ({"max_retries": 11}, ValueError, "max_retries"),
    ({"max_retries": 2.0}, TypeError, "max_retries"),
    ({"max_retries": True}, TypeError, "max_retries"),
    ({"max_retries": None}, TypeError, "max_retries"),
    ({"max_retries": 2**40}, ValueError, "0 to 10"),
    ({"default_headers": [("X-A", "b")]}, TypeError, "default_headers"),
    ({"default_headers": {"X-A": "b\r\nX-Injected: 1"}}, ValueError, "header"),
    ({"default_headers": {"Authorization": "Bearer other"}}, ValueError, "Authorization"),
]


@pytest.mark.parametrize("arguments, error_class, text", INVALID_CLIENT_ARGUMENTS)
def test_invalid_client_argument(avara_ffi, mock, arguments, error_class, text):
    settings = {"api_key": API_KEY, "base_url": mock.base_url}
    settings.update(arguments)

    with pytest.raises(error_class) as caught:
        avara_ffi.Avara(**settings)

    assert text.lower() in str(caught.value).lower()


# (customer, user, expected exception, text in its message)
INVALID_CALL_ARGUMENTS = [
    ("", USER_ID, ValueError, "express_customer_id"),
    (None, USER_ID, TypeError, "express_customer_id"),
    ("cus_123", USER_ID, ValueError, "express_customer_id"),
    (CUSTOMER_ID, "usr_123", ValueError, "user_id"),
    (CUSTOMER_ID, "", ValueError, "user_id"),
    (CUSTOMER_ID, 1, TypeError, "user_id"),
    (CUSTOMER_ID, USER_ID + "\0", ValueError, "NUL"),
    ("../" + CUSTOMER_ID, USER_ID, ValueError, "express_customer_id"),
]


@pytest.mark.parametrize("customer, user, error_class, text", INVALID_CALL_ARGUMENTS)
def test_invalid_call_argument_sends_nothing(client, mock, customer, user, error_class, text):
    for call in (client.express.users.add, client.express.users.remove):
        with pytest.raises(error_class) as caught:
            call(customer, user_id=user)
        assert text in str(caught.value)

    assert mock.requests() == []


def test_user_id_is_keyword_only(client):
    with pytest.raises(TypeError):
        client.express.users.add(CUSTOMER_ID, USER_ID)


def test_with_options_rejects_invalid_values(client):
    with pytest.raises(ValueError, match="max_retries"):
        client.with_options(max_retries=99)
    with pytest.raises(TypeError, match="timeout"):
        client.with_options(timeout="soon")
