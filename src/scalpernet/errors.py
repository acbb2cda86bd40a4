"""Errors that reach the user as one clear line."""

from __future__ import annotations

import re

_UNSENDABLE = re.compile("[\ud800-\udfff]")


class ScalperNetError(Exception):
    """A failure the CLI reports as a single line and a non-zero exit."""


class ServerError(ScalperNetError):
    """The local Neo4j server cannot be fetched, started, stopped or reached."""


class InputError(ScalperNetError):
    """Input files or arguments cannot be used."""


def printable(text: str) -> str:
    """``text`` as valid UTF-8: undecodable bytes kept as ``\\udcXX`` escapes.

    File names and messages read from damaged exports hold lone surrogates, which neither
    Neo4j nor a terminal nor a JSON file accepts; escaped, a failure can always be told."""
    if _UNSENDABLE.search(text) is None:
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def printable_data(value: object) -> object:
    """``value`` (text, lists, maps) with every string :func:`printable`, for JSON."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {printable_data(k): printable_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [printable_data(v) for v in value]
    return value


def one_line(text: str, limit: int = 500) -> str:
    """``text`` printable, on one line, at most ``limit`` characters."""
    return printable(" ".join(text.split()))[:limit]
