"""The allow-list: identifiers shared innocently (hospital Wi-Fi, kiosks, carrier NAT, app
gateways) that must never link a ring, whatever their traffic looks like.

A YAML file named by ``SCALPERNET_ALLOWLIST``, else ``<data folder>/allowlist.yaml`` (absent:
empty). Top-level keys are entity kinds, each a list of contract keys; IP entries may be
networks in CIDR form::

    ip: [203.0.113.7, 10.20.0.0/16]     # hospital Wi-Fi, kiosks, carrier NAT pools
    device: [KIOSK-H01-03]
    account: [hospital-app-gateway]
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from scalpernet.config import get_settings
from scalpernet.detect.projection import entity_ids, ip_keys
from scalpernet.detect.signals import Incidence
from scalpernet.entities import KIND_LABELS, uid
from scalpernet.errors import InputError
from scalpernet.graph import Graph

#: The setting naming the file (read through ``scalpernet.config``).
ENV = "SCALPERNET_ALLOWLIST"


@dataclass
class AllowList:
    """Allow-listed entity uids and IP networks."""

    uids: set[str] = field(default_factory=set)
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = field(default_factory=list)
    source: str = ""

    def __len__(self) -> int:
        return len(self.uids) + len(self.networks)


def allowlist_path() -> Path:
    """Where the allow-list is read from."""
    settings = get_settings()
    return settings.allowlist or settings.data_dir / "allowlist.yaml"


def load_allowlist(path: Path | None = None) -> AllowList:
    """Read the allow-list; an absent file is an empty list, a malformed one an error."""
    path = path or allowlist_path()
    if not path.exists():
        return AllowList(source=str(path))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InputError(f"allow-list {path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise InputError(f"allow-list {path}: expected kinds mapping to lists of keys")
    out = AllowList(source=str(path))
    for kind, keys in data.items():
        if kind not in KIND_LABELS or not isinstance(keys, list):
            raise InputError(f"allow-list {path}: {kind!r} is not an entity kind with a list")
        for key in keys:
            text = str(key).strip()
            if kind == "ip" and "/" in text:
                try:
                    out.networks.append(ipaddress.ip_network(text, strict=False))
                except ValueError as exc:
                    raise InputError(f"allow-list {path}: bad IP network {text!r}") from exc
            elif kind == "ip":
                try:
                    out.uids.add(uid("ip", str(ipaddress.ip_address(text))))
                except ValueError as exc:
                    raise InputError(f"allow-list {path}: bad IP address {text!r}") from exc
            else:
                out.uids.add(uid(kind, text))
    return out


def resolve(graph: Graph, allow: AllowList, inc: Incidence) -> np.ndarray:
    """A boolean per dense entity: allow-listed."""
    mask = np.zeros(inc.count, dtype=bool)
    ids = list(entity_ids(graph, allow.uids).values()) if allow.uids else []
    if allow.networks:
        for node, key in ip_keys(graph).items():
            try:
                address = ipaddress.ip_address(key)
            except ValueError:
                continue
            if any(address.version == net.version and address in net for net in allow.networks):
                ids.append(node)
    if ids:
        dense = inc.index_of(np.asarray(ids, dtype=np.int64))
        mask[dense[dense >= 0]] = True
    return mask
