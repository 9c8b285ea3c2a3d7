"""Settings of the GitHub source, validated from the ``[sources.github]`` TOML table.

Why validate here: a typo in a nightly config should fail at start-up with a
one-line message naming the key, not half-way through a run against GitHub.

The token itself is never part of the settings: only the *name* of the
environment variable that holds it (``token_env``) is configured, and the
value is read at run time (`GithubSettings.token`), so a settings object can
be logged, printed or pickled without leaking it.
"""
from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sources.settings_common import http_base_url

DEFAULT_BASE_URL = "https://api.github.com"
GRAPHQL_MODES = ("auto", "never", "always")
MAX_GRAPHQL_BATCH = 100  # GitHub GraphQL: at most 100 nodes per connection/query is the documented comfort zone
_KEYS = (
    "base_url", "repos", "orgs", "max_repos_per_org", "max_contributors_per_repo",
    "token_env", "require_token", "max_rate_limit_wait_seconds", "timeout_seconds",
    "profile_batch_size", "use_graphql", "max_bytes", "recheck_days", "concurrency",
)
DEFAULT_RECHECK_DAYS = 7
DEFAULT_CONCURRENCY = 4
MAX_CONCURRENCY = 16
MAX_RECHECK_DAYS = 365
DEFAULT_MAX_BYTES = 20 * 1024 * 1024  # 20 MB: a 100-item REST page or GraphQL batch is well under 1 MB
MAX_BYTES_RANGE = (1024, 1024 ** 3)
_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
_REPO = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]){0,38}/[A-Za-z0-9_.-]{1,100}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True, repr=False)
class GithubSettings:
    """Which repositories to read, and how patiently.

    ``repos`` are ``owner/name`` strings; ``orgs`` add their public, non-fork,
    non-archived repositories (at most ``max_repos_per_org`` each).  Without a
    token GitHub allows 60 REST requests per hour, with one 5000: the source
    works either way and stops cleanly (``RateLimited``) when the budget is
    spent and its reset is further away than ``max_rate_limit_wait_seconds``.
    ``max_bytes`` caps every response body (a broken or hostile upstream must
    not fill memory): beyond it the source stops with a `ParseError`.
    ``recheck_days``: an organisation's repository whose listing entry shows
    it unchanged (same ``pushed_at`` and ``updated_at`` as at its last check)
    is not requested at all, unless that last check is this many days old:
    the listing does not reflect every change of the contributor list (it is
    computed and cached apart from pushes), so each repository is still
    re-checked (conditionally) at least this often.  A repository configured
    by name is asked every night (conditionally); when it answers 304 its
    contributor list is asked only this often.  0 re-checks every night.
    ``concurrency``: repositories whose requests may be in flight at once.
    It overlaps round trips only: on a real host requests still leave at
    most one per 0.25 s (PyGithub's pacing, GitHub's advice against secondary
    rate limits), so at 4 a quiet night of thousands of 304s takes the pacing's
    time rather than the pacing's plus every round trip.  Conditional GETs
    overlap (the probe's thread-safe pool); requests through PyGithub's
    Requester, which is not thread-safe, take turns.  1 is strictly serial.
    """

    repos: tuple[str, ...] = ()
    orgs: tuple[str, ...] = ()
    base_url: str = DEFAULT_BASE_URL
    max_repos_per_org: int = 30
    max_contributors_per_repo: int = 100
    token_env: str = "GITHUB_TOKEN"
    require_token: bool = False
    max_rate_limit_wait_seconds: float = 60.0
    timeout_seconds: float = 15.0
    profile_batch_size: int = 100
    use_graphql: str = "auto"
    max_bytes: int = DEFAULT_MAX_BYTES
    recheck_days: int = DEFAULT_RECHECK_DAYS
    concurrency: int = DEFAULT_CONCURRENCY

    @classmethod
    def from_dict(cls, name: str, d: dict[str, Any]) -> "GithubSettings":
        """Build from a TOML table; raise ValueError ``"sources.<name>.<key>: ..."``.

        ``name`` is the source name (``"github"``) or the full table path.
        """
        name = name if name.startswith("sources.") else f"sources.{name}"
        if not isinstance(d, dict):
            raise ValueError(f"{name}: must be a table, got {type(d).__name__}")
        unknown = sorted(set(d) - set(_KEYS))
        if unknown:
            raise ValueError(f"{name}.{unknown[0]}: unknown key (allowed: {', '.join(_KEYS)})")
        settings = cls(
            repos=_names(name, "repos", d.get("repos", []), _REPO, "owner/name"),
            orgs=_names(name, "orgs", d.get("orgs", []), _LOGIN, "an organisation login"),
            base_url=http_base_url(name, d.get("base_url", DEFAULT_BASE_URL)).rstrip("/"),
            max_repos_per_org=_int(name, "max_repos_per_org", d.get("max_repos_per_org", 30), 1, 1000),
            max_contributors_per_repo=_int(name, "max_contributors_per_repo",
                                           d.get("max_contributors_per_repo", 100), 1, 10_000),
            token_env=_token_env(name, d.get("token_env", "GITHUB_TOKEN")),
            require_token=_bool(name, "require_token", d.get("require_token", False)),
            max_rate_limit_wait_seconds=_number(name, "max_rate_limit_wait_seconds",
                                                d.get("max_rate_limit_wait_seconds", 60.0)),
            timeout_seconds=_positive(name, "timeout_seconds", d.get("timeout_seconds", 15.0)),
            profile_batch_size=_int(name, "profile_batch_size", d.get("profile_batch_size", 100), 1, MAX_GRAPHQL_BATCH),
            use_graphql=_mode(name, d.get("use_graphql", "auto")),
            max_bytes=_int(name, "max_bytes", d.get("max_bytes", DEFAULT_MAX_BYTES), *MAX_BYTES_RANGE),
            recheck_days=_int(name, "recheck_days", d.get("recheck_days", DEFAULT_RECHECK_DAYS), 0, MAX_RECHECK_DAYS),
            concurrency=_int(name, "concurrency", d.get("concurrency", DEFAULT_CONCURRENCY), 1, MAX_CONCURRENCY),
        )
        if not settings.repos and not settings.orgs:
            raise ValueError(f"{name}.repos: at least one repository in repos or one organisation in orgs is required")
        if settings.require_token and not settings.token():
            raise ValueError(f"{name}.require_token: true, but environment variable {settings.token_env} is empty")
        return settings

    def token(self) -> str | None:
        """The token from the environment at call time (never stored on the object)."""
        value = os.environ.get(self.token_env, "").strip()
        return value or None

    @property
    def is_public_github(self) -> bool:
        return (urlsplit(self.base_url).hostname or "").lower() == "api.github.com"

    def graphql_enabled(self) -> bool:
        """``auto``: GraphQL needs a token on github.com; any other host (a
        local server, GitHub Enterprise) is tried and falls back to REST."""
        if self.use_graphql == "always":
            return True
        if self.use_graphql == "never":
            return False
        return self.token() is not None or not self.is_public_github

    def __repr__(self) -> str:
        token_state = "set" if self.token() else "unset"
        return (
            f"GithubSettings(base_url={self.base_url!r}, repos={self.repos!r}, orgs={self.orgs!r}, "
            f"max_repos_per_org={self.max_repos_per_org}, max_contributors_per_repo={self.max_contributors_per_repo}, "
            f"token_env={self.token_env!r} ({token_state}), require_token={self.require_token}, "
            f"max_rate_limit_wait_seconds={self.max_rate_limit_wait_seconds}, timeout_seconds={self.timeout_seconds}, "
            f"profile_batch_size={self.profile_batch_size}, use_graphql={self.use_graphql!r}, max_bytes={self.max_bytes}, "
            f"recheck_days={self.recheck_days}, concurrency={self.concurrency})"
        )


def _names(name: str, key: str, value: Any, pattern: re.Pattern, what: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ValueError(f"{name}.{key}: must be a list of strings ({what}), got {value!r}")
    seen: dict[str, str] = {}
    for item in value:
        if not isinstance(item, str) or not pattern.match(item.strip()):
            raise ValueError(f"{name}.{key}: every entry must be {what}, got {item!r}")
        seen.setdefault(item.strip().lower(), item.strip())
    return tuple(seen.values())


def _token_env(name: str, value: Any) -> str:
    if not isinstance(value, str) or not _ENV_NAME.match(value):
        raise ValueError(f"{name}.token_env: must be an environment variable name, got {value!r}")
    return value


def _bool(name: str, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name}.{key}: must be true or false, got {value!r}")
    return value


def _int(name: str, key: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name}.{key}: must be an integer {low}..{high}, got {value!r}")
    return value


def _number(name: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name}.{key}: must be a number >= 0, got {value!r}")
    return float(value)


def _positive(name: str, key: str, value: Any) -> float:
    number = _number(name, key, value)
    if number <= 0:
        raise ValueError(f"{name}.{key}: must be a number > 0, got {value!r}")
    return number


def _mode(name: str, value: Any) -> str:
    if value not in GRAPHQL_MODES:
        raise ValueError(f"{name}.use_graphql: must be one of {', '.join(GRAPHQL_MODES)}, got {value!r}")
    return value
