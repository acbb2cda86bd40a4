"""The allow-list: identifiers shared innocently never link a ring."""

from __future__ import annotations

from pathlib import Path

import pytest

from scalpernet.config import get_settings
from scalpernet.detect.allowlist import ENV, load_allowlist
from scalpernet.detect.analyze import detect
from scalpernet.errors import InputError
from scalpernet.graph import Graph


def test_kinds_keys_and_ip_networks_are_read(tmp_path: Path) -> None:
    path = tmp_path / "allow.yaml"
    path.write_text("ip: [203.0.113.7, 10.20.0.0/16, '2001:db8::1']\n"
                    "device: [KIOSK-01]\n", encoding="utf-8")
    allow = load_allowlist(path)
    assert allow.uids == {"ip:203.0.113.7", "ip:2001:db8::1", "device:KIOSK-01"}
    assert [str(n) for n in allow.networks] == ["10.20.0.0/16"]
    assert len(load_allowlist(tmp_path / "absent.yaml")) == 0


@pytest.mark.parametrize("text", ["ip: [not-an-ip]", "car: [x]", "[1, 2]", "ip: [1.2.3.0/99]",
                                  "ip: {a: 1"])
def test_a_malformed_allow_list_is_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "allow.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="allow-list"):
        load_allowlist(path)


def test_allow_listed_addresses_never_join_a_ring(world_graph: Graph, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "allow.yaml"
    path.write_text("ip: [203.0.113.40/30]\naccount: [gb-bot-0]\n", encoding="utf-8")
    monkeypatch.setenv(ENV, str(path))
    get_settings.cache_clear()
    try:
        result = detect(world_graph, previous={})
    finally:
        monkeypatch.delenv(ENV)
        get_settings.cache_clear()
    members = {(m.kind, m.key) for n in result.networks for m in n.members}
    assert not {("ip", "203.0.113.40"), ("ip", "203.0.113.41"), ("ip", "203.0.113.42"),
                ("account", "gb-bot-0")} & members
    # the gang is still found through its devices, other accounts and payment hub
    assert ("payer", "gb-alipay-hub") in members and len(result.networks) == 2
    assert result.run.summary["allowlisted"] == 4
    assert result.run.params["allowlist"] == str(path)
