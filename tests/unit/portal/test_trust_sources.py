"""Where `pcf verify` finds its trust list, and fetching one over HTTP with a timeout and a
size cap."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from portal import trust_sources
from portal.trust_sources import MAX_TRUST_LIST_BYTES, TrustSource, TrustSourceError
from tests.unit.label_cert.world import World

TOKEN = World().trust().token
_RELEASE = threading.Event()  # lets the slow handler return when the test is over


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/slow":
            _RELEASE.wait(5)  # answers after the client's timeout
        body = {"/trust-list.jwt": TOKEN.encode(),
                "/huge": b"A" * (MAX_TRUST_LIST_BYTES + 10)}.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/trust-list+jwt")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    _RELEASE.clear()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    _RELEASE.set()
    httpd.shutdown()
    httpd.server_close()


class TestResolve:
    def test_the_order_is_option_environment_store_shipped(self, tmp_path: Path) -> None:
        store = tmp_path / "data" / "pcf" / "trust-list.jwt"
        shipped = tmp_path / "shipped.jwt"
        env = {"XDG_DATA_HOME": str(tmp_path / "data"), "PCF_TRUST_LIST": "/env.jwt"}

        def ships() -> Path:
            return shipped

        assert trust_sources.resolve(Path("/opt.jwt"), env, ships) == TrustSource(
            "--trust-list", Path("/opt.jwt"))
        assert trust_sources.resolve(None, env, ships) == TrustSource(
            "PCF_TRUST_LIST", Path("/env.jwt"))
        del env["PCF_TRUST_LIST"]
        assert trust_sources.resolve(None, env, ships) == TrustSource("shipped with pcf", shipped)
        store.parent.mkdir(parents=True)
        store.write_text(TOKEN, encoding="ascii")
        assert trust_sources.resolve(None, env, ships) == TrustSource("trust store", store)
        assert trust_sources.resolve(None, {"XDG_DATA_HOME": str(tmp_path / "x")},
                                     lambda: None) is None

    def test_a_relative_xdg_data_home_is_ignored(self) -> None:
        default = Path.home() / ".local" / "share" / "pcf" / "trust-list.jwt"
        assert trust_sources.store_path({"XDG_DATA_HOME": "relative/dir"}) == default
        assert trust_sources.store_path({}) == default


class TestFetch:
    def test_a_list_over_http(self, server: str) -> None:
        assert trust_sources.fetch(f"{server}/trust-list.jwt") == TOKEN

    def test_more_than_a_mebibyte_is_refused(self, server: str) -> None:
        with pytest.raises(TrustSourceError, match="larger than 1048576 bytes"):
            trust_sources.fetch(f"{server}/huge")

    def test_an_http_error_is_named(self, server: str) -> None:
        with pytest.raises(TrustSourceError, match="HTTP 404"):
            trust_sources.fetch(f"{server}/missing")

    def test_a_server_that_does_not_answer_times_out(self, server: str) -> None:
        with pytest.raises(TrustSourceError, match="cannot fetch"):
            trust_sources.fetch(f"{server}/slow", timeout=0.3)

    def test_files_and_other_schemes(self, tmp_path: Path) -> None:
        path = tmp_path / "list.jwt"
        path.write_text(TOKEN + "\n", encoding="ascii")
        assert trust_sources.fetch(str(path)) == TOKEN
        for location in ("ftp://example.org/list.jwt", "file:///etc/passwd"):
            with pytest.raises(TrustSourceError, match="give an http"):
                trust_sources.fetch(location)


def test_storing_replaces_the_list_in_one_step(tmp_path: Path) -> None:
    world = World()
    path = tmp_path / "pcf" / "trust-list.jwt"
    trust_sources.store(world.trust(sequence=1), path)
    trust_sources.store(world.trust(sequence=2), path)
    assert path.read_text(encoding="ascii").strip() == world.trust(sequence=2).token
    assert [p.name for p in path.parent.iterdir()] == ["trust-list.jwt"]
