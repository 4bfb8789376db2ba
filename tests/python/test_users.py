"""avara_ffi add and remove against the stand-in: results, the wire format,
derived clients, closing, and several threads on one client."""

import json
import threading
import time

import pytest

from conftest import (
    API_KEY,
    CUSTOMER_ID,
    MEMBER_USER_ID,
    SECOND_CUSTOMER_ID,
    USER_ID,
    start_mock,
    stop_mock,
)


def test_add_then_remove_changes_membership(client, mock, avara_ffi):
    added = client.express.users.add(CUSTOMER_ID, user_id=USER_ID)

    assert isinstance(added, avara_ffi.UserAddResponse)
    assert added.success is True
    assert USER_ID in added.message
    assert USER_ID in mock.members(CUSTOMER_ID)

    removed = client.express.users.remove(CUSTOMER_ID, user_id=USER_ID)

    assert isinstance(removed, avara_ffi.UserRemoveResponse)
    assert removed.success is True
    assert USER_ID in removed.message
    assert USER_ID not in mock.members(CUSTOMER_ID)


def test_requests_use_documented_wire_format(client, mock):
    client.express.users.add(SECOND_CUSTOMER_ID, user_id=USER_ID)
    client.express.users.remove(SECOND_CUSTOMER_ID, user_id=USER_ID)

    requests = mock.requests()
    assert [r["method"] for r in requests] == ["POST", "DELETE"]
    for request in requests:
        headers = {name.lower(): value for name, value in request["headers"]}
        assert request["path"] == "/v1/express/{}/users".format(SECOND_CUSTOMER_ID)
        assert json.loads(request["body"]) == {"userId": USER_ID}
        assert headers["authorization"] == "Bearer " + API_KEY
        assert "avara_ffi-python/" in headers["user-agent"]


def test_response_without_message(client, mock):
    mock.script({"status": 200, "body": '{"success": true}'})

    response = client.express.users.add(CUSTOMER_ID, user_id=USER_ID)

    assert response.success is True
    assert response.message is None
    assert response.to_dict() == {"success": True, "message": None}


def test_response_with_success_false(client, mock):
    mock.script({"status": 200, "body": '{"success": false, "message": "nothing changed"}'})

    response = client.express.users.remove(CUSTOMER_ID, user_id=MEMBER_USER_ID)

    assert response.success is False
    assert response.message == "nothing changed"


def test_default_headers_are_sent(avara_ffi, mock):
    with avara_ffi.Avara(
        api_key=API_KEY, base_url=mock.base_url, default_headers={"X-Team": "radiology"}
    ) as client:
        client.express.users.add(CUSTOMER_ID, user_id=USER_ID)

    headers = {name.lower(): value for name, value in mock.requests()[0]["headers"]}
    assert headers["x-team"] == "radiology"


def test_api_key_and_base_url_from_environment(avara_ffi, mock, monkeypatch):
    monkeypatch.setenv("AVARA_API_KEY", API_KEY)
    monkeypatch.setenv("AVARA_BASE_URL", mock.base_url)

    with avara_ffi.Avara() as client:
        response = client.express.users.add(CUSTOMER_ID, user_id=USER_ID)

    assert response.success is True


def test_with_options_changes_only_given_options(client, mock):
    derived = client.with_options(max_retries=1, default_headers={"X-Job": "bulk"})
    try:
        assert derived.max_retries == 1
        assert derived.timeout == client.timeout
        assert client.max_retries == 0

        mock.script({"status": 503, "body": "{}", "headers": [["retry-after-ms", "1"]]})
        response = derived.express.users.add(CUSTOMER_ID, user_id=USER_ID)
    finally:
        derived.close()

    assert response.success is True
    requests = mock.requests()
    assert len(requests) == 2, "one retry after the scripted 503"
    headers = {name.lower(): value for name, value in requests[-1]["headers"]}
    assert headers["x-job"] == "bulk"


def test_with_options_shares_connection_pool(client, mock):
    derived = client.with_options(timeout=5.0)
    before = mock.connections_accepted()

    client.express.users.add(CUSTOMER_ID, user_id=USER_ID)
    derived.express.users.remove(CUSTOMER_ID, user_id=USER_ID)
    client.express.users.add(CUSTOMER_ID, user_id=USER_ID)

    after = mock.connections_accepted()
    derived.close()
    # One control connection for the second stats read, one API connection
    # reused by both clients.
    assert after - before == 2


def test_derived_client_outlives_parent(avara_ffi, mock):
    parent = avara_ffi.Avara(api_key=API_KEY, base_url=mock.base_url)
    derived = parent.copy(max_retries=0)
    parent.close()

    response = derived.express.users.add(CUSTOMER_ID, user_id=USER_ID)
    derived.close()

    assert response.success is True


def test_per_call_options(client, mock, avara_ffi):
    response = client.express.users.add(
        CUSTOMER_ID, user_id=USER_ID, extra_headers={"X-Call": "one"}, timeout=5
    )
    assert response.success is True
    headers = {name.lower(): value for name, value in mock.requests()[0]["headers"]}
    assert headers["x-call"] == "one"

    # A scripted status keeps the late answer from changing the seed.
    mock.script({"delay_ms": 2000, "status": 500, "body": "{}"})
    with pytest.raises(avara_ffi.APITimeoutError):
        client.express.users.remove(CUSTOMER_ID, user_id=USER_ID, timeout=0.2)


# (extra_headers, expected exception, texts in its message)
INVALID_EXTRA_HEADERS = [
    (
        {"X-A": "b\r\nX-Injected: 1"},
        ValueError,
        ["invalid per-call extra header 'X-A': ", "contains CR, LF"],
    ),
    (
        {"X A": "b"},
        ValueError,
        ["invalid per-call extra header 'X A': ", "not a valid header name"],
    ),
    (
        {"Authorization": "Bearer other"},
        ValueError,
        ["invalid per-call extra header 'Authorization': ", "cannot be an extra header"],
    ),
    ({"X-A": "b\0c"}, ValueError, ["extra_headers['X-A']", "NUL"]),
    ({"X-A": 1}, TypeError, ["extra_headers['X-A']"]),
    ([("X-A", "b")], TypeError, ["extra_headers must be a mapping"]),
]


@pytest.mark.parametrize("extra_headers, error_class, texts", INVALID_EXTRA_HEADERS)
def test_invalid_extra_header_sends_nothing(client, mock, extra_headers, error_class, texts):
    for call in (client.express.users.add, client.express.users.remove):
        with pytest.raises(error_class) as caught:
            call(CUSTOMER_ID, user_id=USER_ID, extra_headers=extra_headers)
        message = str(caught.value)
        for text in texts:
            assert text in message
        assert "default header" not in message

    assert mock.requests() == []


def test_context_manager_closes_client(avara_ffi, mock):
    with avara_ffi.Avara(api_key=API_KEY, base_url=mock.base_url) as client:
        assert not client.is_closed()

    assert client.is_closed()
    with pytest.raises(RuntimeError, match="closed"):
        client.express.users.add(CUSTOMER_ID, user_id=USER_ID)
    with pytest.raises(RuntimeError, match="closed"):
        client.with_options(timeout=1.0)
    client.close()


def test_close_waits_for_running_call(avara_ffi, mock):
    client = avara_ffi.Avara(api_key=API_KEY, base_url=mock.base_url, max_retries=0)
    mock.script({"delay_ms": 500})
    results = []
    worker = threading.Thread(
        target=lambda: results.append(client.express.users.add(CUSTOMER_ID, user_id=USER_ID))
    )
    worker.start()
    # Close only once the request is at the stand-in, so the call is running.
    deadline = time.monotonic() + 10
    while not mock.requests() and time.monotonic() < deadline:
        time.sleep(0.02)

    client.close()
    worker.join(timeout=10)

    assert results and results[0].success is True


THREADS = 8
USERS_PER_THREAD = 4


def _thread_user(thread: int, index: int) -> str:
    return "usr_{:032x}".format(0x1000 + thread * USERS_PER_THREAD + index)


@pytest.fixture
def crowded_mock():
    """A stand-in seeded with one customer and THREADS * USERS_PER_THREAD users."""
    users = [_thread_user(t, i) for t in range(THREADS) for i in range(USERS_PER_THREAD)]
    args = ["--no-default-seed", "--customer", CUSTOMER_ID]
    for user in users:
        args += ["--user", user]
    server = start_mock(args)
    yield server
    stop_mock(server.process)


def test_threads_share_one_client(avara_ffi, crowded_mock):
    client = avara_ffi.Avara(api_key=API_KEY, base_url=crowded_mock.base_url, max_retries=0)
    errors = []
    barrier = threading.Barrier(THREADS)

    def work(thread):
        try:
            barrier.wait(timeout=10)
            for index in range(USERS_PER_THREAD):
                user = _thread_user(thread, index)
                assert client.express.users.add(CUSTOMER_ID, user_id=user).success
                # Each thread's own failure must come back with its own
                # details, though all threads fail at the same time.
                with pytest.raises(avara_ffi.ConflictError) as caught:
                    client.express.users.add(CUSTOMER_ID, user_id=user)
                assert user in caught.value.message
                assert client.express.users.remove(CUSTOMER_ID, user_id=user).success
        except BaseException as error:  # reported by the main thread
            errors.append((thread, error))

    workers = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    client.close()

    assert not errors, errors
    assert crowded_mock.members(CUSTOMER_ID) == []
    assert len(crowded_mock.requests()) == THREADS * USERS_PER_THREAD * 3


def test_calls_run_in_parallel(client, mock):
    # Four calls that each wait 400 ms on the server take about 400 ms in
    # total only if ctypes releases the GIL during the C call.
    delay = 0.4
    mock.script({"delay_ms": int(delay * 1000), "status": 404, "body": "{}", "count": 4})
    barrier = threading.Barrier(4)

    def work():
        barrier.wait(timeout=10)
        try:
            client.express.users.add(CUSTOMER_ID, user_id=USER_ID)
        except Exception:
            pass

    workers = [threading.Thread(target=work) for _ in range(4)]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    elapsed = time.monotonic() - started

    assert elapsed < 4 * delay * 0.75, "calls ran one after another: {:.2f} s".format(elapsed)
