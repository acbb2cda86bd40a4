"""Errors that reach the user as one clear line."""


class ScalperNetError(Exception):
    """A failure the CLI reports as a single line and a non-zero exit."""


class ServerError(ScalperNetError):
    """The local Neo4j server cannot be fetched, started, stopped or reached."""


class InputError(ScalperNetError):
    """Input files or arguments cannot be used."""
