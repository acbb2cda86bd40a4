"""POST /ingest/upload: the ingest role drops export files, complete, with a `.done` marker."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.api.conftest import Api

CSV = "挂号单号,医院\nR100,H1\n".encode()


def _post(api: Api, filename: str, body: bytes, role: str = "ingest"):
    return api.client.post(f"/ingest/upload?filename={filename}", content=body,
                           headers={"X-API-Key": api.keys[role],
                                    "Content-Type": "application/octet-stream"})


def test_upload_lands_in_the_drop_folder_with_a_marker(api: Api) -> None:
    response = _post(api, "export-2026-03-05.csv", CSV)
    assert response.status_code == 201
    body = response.json()
    drop = api.data_dir / "drop"
    stored = drop / body["stored_as"]
    assert stored.read_bytes() == CSV and body["bytes"] == len(CSV)
    assert body["sha256"] == hashlib.sha256(CSV).hexdigest()
    assert stored.name.endswith("-export-2026-03-05.csv")
    marker = drop / body["marker"]
    assert marker.name == stored.name + ".done"
    assert marker.read_text().strip() == body["sha256"]
    assert not [p for p in drop.iterdir() if p.name.endswith(".partial")]
    entry = api.last_audit()
    assert entry["route"] == "/ingest/upload" and entry["status"] == 201
    assert entry["params"]["bytes"] == len(CSV) and entry["role"] == "ingest"


def test_admins_may_upload_too(api: Api) -> None:
    assert _post(api, "x.jsonl", b'{"a": 1}\n', role="admin").status_code == 201


def test_too_large_uploads_are_refused_and_not_kept(api: Api) -> None:
    before = set((api.data_dir / "drop").glob("*")) if (api.data_dir / "drop").exists() else set()
    response = _post(api, "big.csv", b"x" * (64 * 1024 + 1))
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"
    after = set((api.data_dir / "drop").glob("*"))
    assert after == before


@pytest.mark.parametrize("filename, status", [
    ("../escape.csv", 422), ("a/b.csv", 422), (".hidden.csv", 422), ("notes.exe", 422),
    ("export.csv.exe", 422), ("export.json", 422), ("mapping.yaml", 422),
])
def test_bad_file_names(api: Api, filename: str, status: int) -> None:
    response = _post(api, filename, CSV)
    assert response.status_code == status
    assert "filename" in response.json()["error"]["message"]


def test_empty_upload_is_refused(api: Api) -> None:
    response = _post(api, "empty.csv", b"")
    assert response.status_code == 400 and response.json()["error"]["message"] == (
        "the upload is empty")


def test_missing_filename_is_422(api: Api) -> None:
    response = api.client.post("/ingest/upload", content=CSV,
                               headers={"X-API-Key": api.keys["ingest"]})
    assert response.status_code == 422 and "filename" in response.json()["error"]["message"]
