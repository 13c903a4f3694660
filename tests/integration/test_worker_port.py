"""`pkh worker --port P` where something already listens on P (another Prefect server, such as
the scale-out setup's): refused in one line before anything starts. Before, that server
answered the health check in place of the worker's own (which failed to start), and the
flows were served on it: its deployments of the same names were taken over and, when the
worker stopped, paused."""

from __future__ import annotations

import http.server
import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_flows import start_worker


@pytest.fixture
def other_server() -> Iterator[tuple[int, list[str]]]:
    """An HTTP server on loopback answering every GET with 200 (as a Prefect server's
    /api/health does), recording the paths asked for."""
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"true")

        do_POST = do_PATCH = do_PUT = do_GET  # noqa: N815

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], asked
    finally:
        server.shutdown()
        server.server_close()


def test_a_worker_on_a_port_in_use_is_refused_in_one_line_and_serves_nothing(
    tmp_path: Path, other_server: tuple[int, list[str]]
) -> None:
    port, asked = other_server
    proc = start_worker(tmp_path, port, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"pkh worker went on with another server on its port:\n{out}\n{err}")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 2, (out, err)
    assert out == "" and len(err.splitlines()) == 1, (out, err)
    assert err.startswith(f"error: port: 127.0.0.1:{port} is already in use"), err
    assert "give a free --port" in err
    assert asked == []  # nothing was served on, or asked of, the other server
    assert not (tmp_path / "var" / "prefect").exists()
