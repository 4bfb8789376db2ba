"""Finding and loading libavara, and the log level and log callback."""

import ctypes
import ctypes.util
import os
import re
import shutil
import subprocess
import sys
import threading

import pytest

from conftest import API_KEY, CUSTOMER_ID, LIBRARY_PATH, PYTHON_SOURCE_DIR, REPO_ROOT, USER_ID


# C return types in include/avara.h and the ctypes restype each must have.
C_RETURN_TYPES = {
    "AvaraStatus": ctypes.c_int,
    "AvaraLogLevel": ctypes.c_int,
    "void": None,
    "bool": ctypes.c_bool,
    "uint16_t": ctypes.c_uint16,
    "uint32_t": ctypes.c_uint32,
    "const char *": ctypes.c_char_p,
}


def _header_prototypes():
    """Map each function in include/avara.h to (return type, argument count)."""
    text = (REPO_ROOT / "include" / "avara.h").read_text()
    pattern = re.compile(r"^([A-Za-z][\w ]*?\*?)\s*\b(avara_\w+)\(([^)]*)\);", re.MULTILINE)
    prototypes = {}
    for return_type, name, arguments in pattern.findall(text):
        arguments = arguments.strip()
        count = 0 if arguments in ("", "void") else arguments.count(",") + 1
        prototypes[name] = (" ".join(return_type.split()), count)
    return prototypes


def test_prototypes_match_header(avara_ffi):
    from avara_ffi import _library

    header = _header_prototypes()
    assert len(header) > 20, "the header parser found too few functions"
    for name, restype, argtypes in _library._PROTOTYPES:
        assert name in header, name
        return_type, argument_count = header[name]
        assert restype is C_RETURN_TYPES[return_type], name
        assert len(argtypes) == argument_count, name


def test_version_matches_package(avara_ffi):
    assert avara_ffi.load_library().version == avara_ffi.__version__


def test_explicit_path_wins_over_environment(avara_ffi, monkeypatch):
    monkeypatch.setenv("AVARA_LIBRARY", "/nonexistent/libavara.so")

    library = avara_ffi.load_library(str(LIBRARY_PATH))

    assert library.path == str(LIBRARY_PATH)


def test_bad_environment_path_is_reported(avara_ffi, monkeypatch):
    monkeypatch.setenv("AVARA_LIBRARY", "/nonexistent/libavara.so")

    with pytest.raises(avara_ffi.LibraryNotFoundError) as caught:
        avara_ffi.load_library()

    assert "/nonexistent/libavara.so" in str(caught.value)
    assert "AVARA_LIBRARY" in str(caught.value)


def test_bad_explicit_path_is_reported(avara_ffi):
    with pytest.raises(avara_ffi.LibraryNotFoundError, match="path argument"):
        avara_ffi.Avara(api_key=API_KEY, library="/nonexistent/libavara.so.0")


def test_file_without_avara_symbols_is_rejected(avara_ffi, tmp_path):
    libc = ctypes.util.find_library("c")
    if libc is None:
        pytest.skip("no libc found to load")

    with pytest.raises(avara_ffi.LibraryNotFoundError, match="does not export avara_"):
        avara_ffi.load_library(libc)


def _run_python(code, env_updates, cwd):
    env = {key: value for key, value in os.environ.items() if key not in ("AVARA_LIBRARY", "PYTHONPATH", "LD_LIBRARY_PATH")}
    env.update(env_updates)
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=str(cwd),
        capture_output=True,
        text=True,
        timeout=60,
    )


def _copy_package(destination):
    package = destination / "avara_ffi"
    shutil.copytree(str(PYTHON_SOURCE_DIR / "avara_ffi"), str(package), ignore=shutil.ignore_patterns("__pycache__"))
    return package


def test_library_next_to_module_is_found(tmp_path):
    package = _copy_package(tmp_path)
    (package / "libavara.so.0").symlink_to(LIBRARY_PATH)

    result = _run_python(
        "import avara_ffi; print(avara_ffi.load_library().path)", {"PYTHONPATH": str(tmp_path)}, tmp_path
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(package / "libavara.so.0")


def test_failed_lookup_lists_every_place(tmp_path):
    package = _copy_package(tmp_path)
    (package / "_build_config.py").write_text("LIBRARY_DIR = {!r}\n".format(str(tmp_path / "lib")))
    code = (
        "import ctypes.util, avara_ffi\n"
        "ctypes.util.find_library = lambda name: None\n"
        "try:\n"
        "    library = avara_ffi.load_library()\n"
        "except avara_ffi.LibraryNotFoundError as error:\n"
        "    print(error)\n"
        "else:\n"
        "    print('LOADED', library.path)\n"
    )

    result = _run_python(code, {"PYTHONPATH": str(tmp_path)}, tmp_path)

    assert result.returncode == 0, result.stderr
    if result.stdout.startswith("LOADED"):
        pytest.skip("a system-wide libavara is installed: " + result.stdout.strip())
    message = result.stdout
    assert "AVARA_LIBRARY (unset)" in message
    assert str(package / "libavara.so.0") in message
    assert str(package / "libavara.so") in message
    assert str(tmp_path / "lib" / "libavara.so.0") in message
    assert 'find_library("avara")' in message
    assert "system loader for libavara.so.0" in message
    assert "make install" in message


def test_package_imports_without_library(tmp_path):
    _copy_package(tmp_path)

    result = _run_python("import avara_ffi; print(avara_ffi.NotFoundError.status_code)", {"PYTHONPATH": str(tmp_path)}, tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "404"


@pytest.fixture
def restore_logging(avara_ffi):
    level = avara_ffi.get_log_level()
    yield
    avara_ffi.set_log_callback(None)
    avara_ffi.set_log_level(level)


def test_log_callback_receives_attempts(client, avara_ffi, restore_logging):
    lines = []
    lock = threading.Lock()

    def collect(level, message):
        with lock:
            lines.append((level, message))

    avara_ffi.set_log_callback(collect)
    avara_ffi.set_log_level(avara_ffi.LogLevel.INFO)
    assert avara_ffi.get_log_level() is avara_ffi.LogLevel.INFO

    client.express.users.add(CUSTOMER_ID, user_id=USER_ID)

    assert any("POST" in message for _, message in lines), lines
    assert all(isinstance(level, avara_ffi.LogLevel) for level, _ in lines)
    assert all(API_KEY not in message for _, message in lines)


def test_log_to_logging_forwards_lines(client, avara_ffi, restore_logging, caplog):
    avara_ffi.log_to_logging()
    avara_ffi.set_log_level(avara_ffi.LogLevel.DEBUG)

    with caplog.at_level("DEBUG", logger="avara_ffi"):
        client.express.users.add(CUSTOMER_ID, user_id=USER_ID)

    assert any(record.name == "avara_ffi" for record in caplog.records)


def test_log_level_rejects_out_of_range(avara_ffi):
    with pytest.raises(ValueError, match="level"):
        avara_ffi.set_log_level(7)
    with pytest.raises(TypeError):
        avara_ffi.set_log_level("debug")
