"""docker-compose.yml parses, pins the Neo4j image, and names only settings the code reads."""

from __future__ import annotations

import re

import yaml

from scalpernet.config import PROJECT_ROOT, Settings

COMPOSE = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
KNOWN_ENV = {field.alias for field in Settings.model_fields.values() if field.alias}


def test_neo4j_service_is_the_official_526_community_image() -> None:
    neo4j = COMPOSE["services"]["neo4j"]
    assert neo4j["image"] == "neo4j:5.26-community"
    assert "healthcheck" in neo4j and neo4j["volumes"]
    assert "${NEO4J_PASSWORD" in neo4j["environment"]["NEO4J_AUTH"]


def test_service_env_names_match_the_settings() -> None:
    for name, service in COMPOSE["services"].items():
        if name == "neo4j":
            continue
        env = service["environment"]
        assert env["NEO4J_URI"] == "bolt://neo4j:7687"
        for key in env:
            assert key in KNOWN_ENV, f"{name}: {key} is not read by scalpernet.config"


def test_service_commands_run_scalpernet() -> None:
    for name, service in COMPOSE["services"].items():
        if name == "neo4j":
            continue
        command = service["command"]
        assert command[0] == "scalpernet" and re.fullmatch(r"[a-z]+", command[1]), name
