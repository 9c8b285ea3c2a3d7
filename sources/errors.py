"""Errors that sources raise. Everything else escaping a source is a bug."""


class SourceError(Exception):
    """A source could not deliver (HTTP failure after retries, bad config)."""


class ParseError(SourceError):
    """Upstream returned something that is not the documented wire format.

    Raised for malformed Atom/JSON/HTML, truncated bodies and error feeds.
    The message names the source and what was wrong, never the token.
    """


class RateLimited(SourceError):
    """The upstream's budget is spent and waiting longer than allowed."""
