"""Network helpers for tests that start servers: only ever on 127.0.0.1."""

from __future__ import annotations

import socket
import subprocess
import time
from typing import Callable

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(process: subprocess.Popen, timeout: float = 10) -> None:
    """Terminate, then kill if it does not exit in time."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()


def wait_until_ready(process: subprocess.Popen, ready: Callable[[], None], name: str, log: Callable[[], str],
                     timeout: float = 120) -> None:
    """Poll ``ready`` (it raises OSError until the server answers); fail the test with the server's log if the
    process exits first or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            pytest.fail(f"{name} exited with {process.returncode}:\n{log()}")
        try:
            ready()
            return
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(f"{name} did not start in {timeout:.0f} s:\n{log()}")
            time.sleep(0.5)
