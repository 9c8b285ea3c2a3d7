"""Role profiles: features, weights, red flags and venues, read from TOML.

Everything a hiring team may want to tune lives in a role-profile file
(`enrich/roles.toml` by default), so a weight change, a new keyword feature
or a fifth role needs no code change.  Validation is strict and names the
offending key (`roles.mlops_engineer.weights.foo: unknown feature`), because
a silently ignored typo would quietly change who gets ranked.
"""
from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

EVIDENCE_KINDS = ("paper", "talk", "contribution", "repo", "profile")
MATCH_FIELDS = ("title", "text", "tags", "venue")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

# Features computed by fixed SQL (enrich/rank/features.py), with their labels
# used in explanations.  Keyword features come from the profile file.
BUILTIN_FEATURES: dict[str, str] = {
    "has_code": "open-source code",
    "has_talks": "conference talks",
    "has_papers": "papers",
    "volume": "body of work",
    "recency": "recent work",
    "community_reach": "community reach",
    "research_only": "research-only",
    "no_eval": "no evaluation",
}


@dataclass(frozen=True)
class KeywordFeature:
    """A feature that counts evidence rows whose text matches any keyword."""

    name: str
    label: str
    keywords: tuple[str, ...]
    applies_to: tuple[str, ...]
    fields: tuple[str, ...] = ("title", "text", "tags")
    saturation: float = 3.0

    @property
    def pattern(self) -> str:
        return keyword_pattern(self.keywords)


COMPOSITE_MODES = ("breadth_of", "depth_of")


@dataclass(frozen=True)
class CompositeFeature:
    """A feature computed from other (keyword) features, not from keywords.

    `breadth_of`: value = share of the components the person has (each with
    value >= min_value).  ROLES.md values work *across* a lifecycle (data,
    training, evaluation, deployment, monitoring); a sum of per-stage
    features cannot say that, a share of covered stages can.

    `depth_of`: value = the weight of the person's single heaviest code
    contribution among the components' evidence (commit count, log-scaled by
    `contribution_saturation`, decayed by age).  A sum over rows rewards many
    drive-by contributions; sustained work on one serving or evaluation
    project is the stronger work sample."""

    name: str
    label: str
    mode: str  # "breadth_of" | "depth_of"
    of: tuple[str, ...]
    min_value: float = 0.0


@dataclass(frozen=True)
class Role:
    name: str
    label: str
    weights: dict[str, float]
    red_flags: dict[str, float] = field(default_factory=dict)
    venues: dict[str, float] = field(default_factory=dict)
    recency_half_life_years: float = 3.0


@dataclass(frozen=True)
class Settings:
    recent_years: float = 2.0
    volume_saturation: float = 30.0
    reach_followers_saturation: float = 1000.0
    reach_talks_saturation: float = 5.0
    contribution_saturation: float = 100.0
    evidence_half_life_years: float = 4.0
    production_features: tuple[str, ...] = ("production_ml",)
    evaluation_features: tuple[str, ...] = ("evaluation_fluency",)


@dataclass(frozen=True)
class Profiles:
    roles: dict[str, Role]
    features: dict[str, KeywordFeature]
    settings: Settings = Settings()
    source: str = "<dict>"
    composite: dict[str, CompositeFeature] = field(default_factory=dict)

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(BUILTIN_FEATURES) + tuple(self.features) + tuple(self.composite)

    def label(self, feature: str) -> str:
        if feature in self.features:
            return self.features[feature].label
        if feature in self.composite:
            return self.composite[feature].label
        return BUILTIN_FEATURES.get(feature, feature)


def keyword_pattern(keywords: tuple[str, ...] | list[str]) -> str:
    """An RE2 pattern matching any keyword as a whole word in lower-cased text.

    Keywords are escaped (they are data, never regex); a trailing `*` means
    "any word ending" (``explain*`` matches explanation, explainable).
    Group 1 captures the keyword that matched, for explanations."""
    parts = []
    for kw in keywords:
        prefix = kw.endswith("*")
        body = "".join(ch if ch.isalnum() or ch == " " else "\\" + ch for ch in kw.lower().rstrip("*"))
        parts.append(body + ("[a-z0-9]*" if prefix else ""))
    return r"(?:^|[^a-z0-9])(" + "|".join(parts) + r")(?:$|[^a-z0-9])"


def load_profiles(path: str | Path | None = None) -> Profiles:
    """Read and validate a role-profile TOML file (default: the packaged one)."""
    if path is None:
        text, source = resources.files("enrich").joinpath("roles.toml").read_text("utf-8"), "enrich/roles.toml"
    else:
        try:
            text, source = Path(path).read_text("utf-8"), str(path)
        except FileNotFoundError:
            raise ValueError(f"role profile file not found: {path}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{source}: invalid TOML: {exc}") from None
    return parse_profiles(data, source=source)


def parse_profiles(data: dict[str, Any], *, source: str = "<dict>") -> Profiles:
    """Validate a parsed profile document; ValueError names the bad key."""
    _only_keys(data, ("settings", "features", "roles"), "")
    specs = _table(data.get("features", {}), "features")
    features = {name: _keyword_feature(name, spec) for name, spec in specs.items()
                if not (isinstance(spec, dict) and any(mode in spec for mode in COMPOSITE_MODES))}
    composite = {name: _composite_feature(name, spec, set(features)) for name, spec in specs.items()
                 if name not in features}
    known = set(BUILTIN_FEATURES) | set(features) | set(composite)
    settings = _settings(_table(data.get("settings", {}), "settings"), set(features))
    roles = {name: _role(name, spec, known) for name, spec in _table(data.get("roles", {}), "roles").items()}
    if not roles:
        raise ValueError("roles: at least one role is required")
    return Profiles(roles=roles, features=features, settings=settings, source=source,
                    composite=composite)


def _table(value: Any, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{key}: expected a table")
    return value


def _only_keys(table: dict, allowed: tuple[str, ...], prefix: str) -> None:
    for key in table:
        if key not in allowed:
            raise ValueError(f"{prefix}{key}: unknown key (allowed: {', '.join(allowed)})")


def _name(name: str, key: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"{key}: names must be lower_snake_case")
    return name


def _number(value: Any, key: str, *, minimum: float = 0.0, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{key}: must be a number, got {value!r}")
    if value < minimum or (positive and value <= 0):
        raise ValueError(f"{key}: must be {'>' if positive else '>='} {minimum}, got {value!r}")
    return float(value)


def _strings(value: Any, key: str, allowed: tuple[str, ...] | None = None) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{key}: must be a non-empty list of non-empty strings")
    for v in value:
        if allowed is not None and v not in allowed:
            raise ValueError(f"{key}: unknown value {v!r} (allowed: {', '.join(allowed)})")
    return tuple(v.strip() for v in value)


def _keyword_feature(name: str, spec: Any) -> KeywordFeature:
    key = f"features.{name}"
    _name(name, key)
    if name in BUILTIN_FEATURES:
        raise ValueError(f"{key}: is a built-in feature and cannot be redefined")
    spec = _table(spec, key)
    _only_keys(spec, ("label", "description", "keywords", "applies_to", "fields", "saturation"), key + ".")
    return KeywordFeature(
        name=name,
        label=str(spec.get("label", name.replace("_", " "))),
        keywords=_strings(spec.get("keywords"), key + ".keywords"),
        applies_to=_strings(spec.get("applies_to", list(EVIDENCE_KINDS)), key + ".applies_to", EVIDENCE_KINDS),
        fields=_strings(spec.get("fields", ["title", "text", "tags"]), key + ".fields", MATCH_FIELDS),
        saturation=_number(spec.get("saturation", 3), key + ".saturation", positive=True),
    )


def _composite_feature(name: str, spec: Any, keyword_features: set[str]) -> CompositeFeature:
    key = f"features.{name}"
    _name(name, key)
    if name in BUILTIN_FEATURES:
        raise ValueError(f"{key}: is a built-in feature and cannot be redefined")
    spec = _table(spec, key)
    _only_keys(spec, ("label", "description", *COMPOSITE_MODES, "min_value"), key + ".")
    modes = [m for m in COMPOSITE_MODES if m in spec]
    if len(modes) != 1:
        raise ValueError(f"{key}: give exactly one of {', '.join(COMPOSITE_MODES)}")
    components = _strings(spec[modes[0]], f"{key}.{modes[0]}")
    for component in components:
        if component not in keyword_features:
            raise ValueError(f"{key}.{modes[0]}: {component!r} is not a keyword feature")
    min_value = _number(spec.get("min_value", 0), key + ".min_value")
    if min_value > 1:
        raise ValueError(f"{key}.min_value: must be <= 1, got {min_value!r}")
    return CompositeFeature(name=name, label=str(spec.get("label", name.replace("_", " "))), mode=modes[0],
                            of=tuple(dict.fromkeys(components)), min_value=min_value)


def _settings(spec: dict[str, Any], keyword_features: set[str]) -> Settings:
    defaults = Settings()
    _only_keys(spec, tuple(Settings.__dataclass_fields__), "settings.")
    values: dict[str, Any] = {}
    for name in ("recent_years", "volume_saturation", "reach_followers_saturation", "reach_talks_saturation",
                 "contribution_saturation", "evidence_half_life_years"):
        values[name] = _number(spec.get(name, getattr(defaults, name)), f"settings.{name}", positive=True)
    for name in ("production_features", "evaluation_features"):
        names = _strings(spec.get(name, list(getattr(defaults, name))), f"settings.{name}")
        for feature in names:
            if feature not in keyword_features:
                raise ValueError(f"settings.{name}: {feature!r} is not a keyword feature")
        values[name] = names
    return Settings(**values)


def _weights(spec: Any, key: str, known: set[str]) -> dict[str, float]:
    out = {}
    for feature, weight in _table(spec, key).items():
        if feature not in known:
            raise ValueError(f"{key}.{feature}: unknown feature")
        out[feature] = _number(weight, f"{key}.{feature}")
    return out


def _venues(spec: Any, key: str) -> dict[str, float]:
    out = {}
    for venue, weight in _table(spec, key).items():
        if not venue.strip():
            raise ValueError(f"{key}: venue names must not be empty")
        out[venue] = _number(weight, f"{key}.{venue}")
    return out


def _role(name: str, spec: Any, known: set[str]) -> Role:
    key = f"roles.{name}"
    _name(name, key)
    spec = _table(spec, key)
    _only_keys(spec, ("label", "description", "weights", "red_flags", "venues", "recency_half_life_years"), key + ".")
    weights = _weights(spec.get("weights", {}), key + ".weights", known)
    if not any(weights.values()):
        raise ValueError(f"{key}.weights: at least one positive weight is required")
    red_flags = _weights(spec.get("red_flags", {}), key + ".red_flags", known)
    for feature in red_flags:
        if feature in weights:
            raise ValueError(f"{key}.red_flags.{feature}: already a positive weight of this role")
    return Role(
        name=name,
        label=str(spec.get("label", name.replace("_", " "))),
        weights=weights,
        red_flags=red_flags,
        venues=_venues(spec.get("venues", {}), key + ".venues"),
        recency_half_life_years=_number(spec.get("recency_half_life_years", 3), key + ".recency_half_life_years",
                                        positive=True),
    )
