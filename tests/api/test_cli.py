"""`scalpernet serve` and `scalpernet apikey`: what docker-compose and scripts rely on."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import httpx
import typer.main
import yaml
from typer.testing import CliRunner

from scalpernet.apikeys import parse_key
from scalpernet.cli import app as cli_app
from scalpernet.config import PROJECT_ROOT, get_settings

if TYPE_CHECKING:
    from pathlib import Path

    from tests.api.conftest import Api


def test_compose_api_command_matches_the_cli() -> None:
    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    command = compose["services"]["api"]["command"]
    assert command[:2] == ["scalpernet", "serve"]
    serve = typer.main.get_command(cli_app).commands["serve"]  # type: ignore[attr-defined]
    options = {opt for param in serve.params for opt in param.opts}
    given = dict(zip(command[2::2], command[3::2], strict=True))
    assert set(given) <= options, f"compose passes options serve lacks: {set(given) - options}"
    ctx = serve.make_context("serve", command[2:])
    assert (ctx.params["host"], ctx.params["port"]) == ("0.0.0.0", 8000)
    published = compose["services"]["api"]["ports"][0]
    assert published.endswith(":8000") and published.startswith("127.0.0.1:")


def test_apikey_create_prints_the_key_alone_on_the_last_line(api: Api) -> None:
    result = CliRunner().invoke(cli_app, ["apikey", "create", "--role", "analyst",
                                          "--name", "cli test"])
    assert result.exit_code == 0, result.output
    last = result.output.rstrip("\n").split("\n")[-1]
    assert parse_key(last) is not None and last == last.strip()
    assert api.client.get("/networks", headers={"X-API-Key": last}).status_code == 200
    key_id, secret = parse_key(last)  # type: ignore[misc]
    listed = CliRunner().invoke(cli_app, ["apikey", "list"])
    assert key_id in listed.output and "cli test" in listed.output
    assert secret not in listed.output  # the whole secret (it may itself hold "_")
    revoked = CliRunner().invoke(cli_app, ["apikey", "revoke", key_id])
    assert revoked.exit_code == 0 and key_id in revoked.output
    assert api.client.get("/networks", headers={"X-API-Key": last}).status_code == 401


def test_apikey_create_refuses_an_unknown_role(api: Api) -> None:
    result = CliRunner().invoke(cli_app, ["apikey", "create", "--role", "superuser"])
    assert result.exit_code != 0 and "unknown role" in str(result.exception or result.output)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_runs_the_api_over_http(api: Api, tmp_path: Path) -> None:
    settings = get_settings()
    port = _free_port()
    env = {**os.environ, "SCALPERNET_DATA_DIR": str(tmp_path), "NEO4J_URI": settings.uri,
           "NEO4J_PASSWORD": settings.password or ""}
    proc = subprocess.Popen([sys.executable, "-m", "scalpernet", "serve", "--host", "127.0.0.1",
                             "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
                time.sleep(0.3)
        assert health.status_code == 200 and health.json()["neo4j"]["reachable"] is True
        url = f"http://127.0.0.1:{port}/entities/phone/13812345678"
        answer = httpx.get(url, headers={"X-API-Key": api.keys["investigator"]}, timeout=10)
        assert answer.status_code == 200 and answer.json()["entity"]["key"] == "13812345678"
        assert "server" not in answer.headers
        # this server's references are its own (its data folder has its own keys)
        ref = answer.json()["entity"]["ref"]
        masked = httpx.get(f"http://127.0.0.1:{port}/entities/phone/{ref}",
                           headers={"X-API-Key": api.keys["analyst"]}, timeout=10)
        assert masked.status_code == 200 and masked.json()["entity"]["key"] == "138****5678"
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0].decode()
    assert "/entities/{kind}/{key} 200" in output  # the access log names the route…
    assert "13812345678" not in output  # …and never the phone in the path


def test_rotate_refs_starts_a_new_key_and_keeps_the_old_one_for_a_while(
        tmp_path: Path, monkeypatch: object) -> None:
    from scalpernet.privacy import REF_KEYS_FILE, RefCipher, load_ref_keyring

    monkeypatch.setenv("SCALPERNET_DATA_DIR", str(tmp_path))  # type: ignore[attr-defined]
    get_settings.cache_clear()
    try:
        path = tmp_path / "api" / REF_KEYS_FILE
        old_ref = RefCipher(load_ref_keyring(path)).encode("ip:10.0.0.1")
        result = CliRunner().invoke(cli_app, ["apikey", "rotate-refs", "--grace-days", "2"])
        assert result.exit_code == 0 and "reference key 2 is current" in result.output
        rotated = RefCipher(load_ref_keyring(path))
        assert rotated.decode(old_ref) == "ip:10.0.0.1"
        assert rotated.encode("ip:10.0.0.1") != old_ref
    finally:
        get_settings.cache_clear()
