"""Ground truth of the sample world: who is who, and who is a lead for which role.

Identity keys follow docs/ARCHITECTURE.md "Identity keys": arXiv
``"{paper_id}#{position}"``, GitHub lower-cased login, conference source name
+ speaker key, ``internal`` + lower-cased email.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Iterator

from sampleworld import content as C
from sampleworld.model import World

IDENTITY_COLUMNS = ("true_person_id", "source", "source_key", "night")
LEAD_COLUMNS = ("role", "true_person_id", "relevance")
FLAG_COLUMNS = ("role", "true_person_id", "flag")


@lru_cache(maxsize=1)
def default_world() -> World:
    from sampleworld.generate import generate_world
    return generate_world()


def iter_identities(world: World, night: int = 2) -> Iterator[tuple[str, str, str, int]]:
    """(true_person_id, source, source_key, night) of every identity visible at ``night``."""
    for paper in world.papers:
        if paper.night <= night:
            for position, author in enumerate(paper.authors, start=1):
                yield author.person_id, "arxiv", f"{paper.paper_id}#{position}", paper.night
    for user in world.users:
        if user.night <= night:
            yield user.person_id, "github", user.login.lower(), user.night
    for conf in world.conferences:
        visible = visible_speaker_keys(conf, night)
        for speaker in conf.speakers:
            if speaker.night <= night and speaker.key in visible:
                yield speaker.person_id, conf.source, speaker.key, speaker.night
    for person in world.internal:
        if person.night <= night:
            yield person.person_id, "internal", person.email.lower(), person.night


def visible_speaker_keys(conf, night: int) -> set[str]:
    """Speakers are public only while they have a talk on the published programme."""
    return {key for talk in conf.talks if talk.night <= night for key in talk.speaker_keys}


def truth_identities(world: World | None = None, night: int = 2) -> list[tuple[str, str, str]]:
    """Rows (true_person_id, source, source_key) for every identity in the world."""
    return [row[:3] for row in iter_identities(world or default_world(), night)]


def person_relevance(world: World) -> dict[tuple[str, str], int]:
    """(role, person_id) -> relevance 1..3 (absent = 0).

    Own role: the evidence strength the generator used.  Cross-role credit
    (relevance 1): ML engineers who contribute to platform repos count for
    MLOps and vice versa; research-only ML authors get 1 for ML engineer and
    the ``research_only`` red flag (see ``truth_flags``).
    """
    relevance: dict[tuple[str, str], int] = {}
    for person in world.people:
        if person.persona in C.ROLES and person.strength > 0:
            relevance[(person.persona, person.person_id)] = person.strength
    persona_of = {p.person_id: p.persona for p in world.people}
    platform = {"tracking", "terraform", "helm", "observability", "featurestore", "orchestration"}
    for repo in world.repos:
        for c in repo.contributors:
            persona = persona_of[c.person_id]
            if persona == "ml_engineer" and repo.kind in platform:
                relevance.setdefault(("mlops_engineer", c.person_id), 1)
            if persona == "mlops_engineer" and repo.kind in ("serving", "eval"):
                relevance.setdefault(("ml_engineer", c.person_id), 1)
    authors = {a.person_id for p in world.papers for a in p.authors}
    for person in world.people:
        if person.persona == "researcher" and person.person_id in authors:
            relevance.setdefault(("ml_engineer", person.person_id), 1)
    return relevance


def truth_leads(world: World | None = None) -> list[tuple[str, str, int]]:
    """Rows (role, true_person_id, relevance 1..3), sorted by role, relevance desc, id."""
    rel = person_relevance(world or default_world())
    rows = [(role, pid, value) for (role, pid), value in rel.items()]
    return sorted(rows, key=lambda r: (r[0], -r[2], r[1]))


def truth_flags(world: World | None = None) -> list[tuple[str, str, str]]:
    """Rows (role, true_person_id, flag): red flags the ranking must surface
    (``research_only``: papers but no code or production signal)."""
    world = world or default_world()
    rel = person_relevance(world)
    return sorted(("ml_engineer", p.person_id, "research_only") for p in world.people
                  if "research_only" in p.flags and ("ml_engineer", p.person_id) in rel)


def namesake_stats(world: World) -> dict[str, object]:
    """How many people share their exact given+family name with someone else.

    Why: identity resolution blocks on names, so the share of namesakes and
    the largest same-name block decide how hard (and how slow) resolution is;
    the generator's realism at scale is judged by these figures.
    """
    counts: dict[str, int] = {}
    for person in world.people:
        counts[person.full_name] = counts.get(person.full_name, 0) + 1
    shared = {"western": [0, 0], "east_asian": [0, 0]}  # [people sharing, people]
    for person in world.people:
        bucket = shared["east_asian" if "east_asian_name" in person.flags else "western"]
        bucket[0] += counts[person.full_name] > 1
        bucket[1] += 1
    largest = max(counts.items(), key=lambda item: (item[1], item[0])) if counts else ("", 0)
    return {
        "people": len(world.people), "distinct_names": len(counts),
        "western_shared": shared["western"][0] / max(1, shared["western"][1]),
        "east_asian_shared": shared["east_asian"][0] / max(1, shared["east_asian"][1]),
        "largest_block": largest[1], "largest_block_name": largest[0],
    }
