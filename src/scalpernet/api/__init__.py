"""The Investigator HTTP API (FastAPI): authenticated, masked by role, audited."""

from scalpernet.api.app import create_app

__all__ = ["create_app"]
