"""Deterministic, seeded generator of the sample world.

``generate_world(n_people, seed)`` makes ``n_people`` synthetic people, each
appearing in 1-4 sources (arXiv, GitHub, conference sources, the internal
list) with the name variations real sources show, then adds the documented
night-2 records.  It is linear in ``n_people`` (one pass, bounded co-author
windows, no all-pairs work) so benchmarks can go to 10^5-10^6 people.
"""
from __future__ import annotations

import gc
import random
import uuid
from datetime import date, datetime, timedelta, timezone

from sampleworld import content as C
from sampleworld.model import (
    REFERENCE_DATE, Author, Conference, Contribution, GithubUser, InternalPerson, Paper, Person,
    Repo, Speaker, SpeakerLink, Talk, World,
)
from sampleworld.names import (
    EAST_ASIAN_FAMILY, EAST_ASIAN_GIVEN, FAMILY, GIVEN, MIDDLE, NICKNAMES, SMALL_WORLD_MAX_PEOPLE, ascii_fold,
    large_pools, login_base, render, slugify,
)

REF = date.fromisoformat(REFERENCE_DATE)
NIGHT1_LAST_DAY = REF - timedelta(days=2)  # night 1 ran on 2026-10-31 with data up to the 30th
NIGHT2_DAY = REF - timedelta(days=1)
HARD_CASES_MIN_PEOPLE = 24

PERSONA_WEIGHTS = (
    ("ml_engineer", 18), ("mlops_engineer", 15), ("ai_product_manager", 12), ("ai_ux_designer", 12),
    ("researcher", 14), ("web_developer", 16), ("physicist", 13),
)
SOURCE_PROBS = {  # chance a persona has work in: arXiv, GitHub, a conference
    "ml_engineer": (0.35, 0.85, 0.5), "mlops_engineer": (0.15, 0.9, 0.55),
    "ai_product_manager": (0.03, 0.15, 0.97), "ai_ux_designer": (0.55, 0.2, 0.7),
    "researcher": (1.0, 0.0, 0.12), "web_developer": (0.0, 0.8, 0.45), "physicist": (0.95, 0.2, 0.1),
}
# (source, format, slug, title, first day, UTC offset)
CONFERENCES = (
    ("mlops_summit_2026", "pretalx", "mlops-summit-2026", "MLOps Summit 2026", "2026-06-10", "+02:00"),
    ("mlops_summit_2023", "pretalx", "mlops-summit-2023", "MLOps Summit 2023", "2023-06-12", "+02:00"),
    ("ai_product_days_2025", "sessionize", "aipd25x1", "AI Product Days 2025", "2025-10-02", ""),
    ("hci_ai_forum_2024", "html", "hci-ai-forum-2024", "HCI + AI Forum 2024", "2024-05-14", "-04:00"),
    ("pydata_archive", "pyvideo", "pydata-global", "PyData Global (pyvideo archive)", "2022-01-01", ""),
)
PERSONA_CONFERENCES = {  # strong/recent first, older last (weak leads speak at older events)
    "ml_engineer": ("mlops_summit_2026", "pydata_archive", "mlops_summit_2023"),
    "mlops_engineer": ("mlops_summit_2026", "pydata_archive", "mlops_summit_2023"),
    "ai_product_manager": ("ai_product_days_2025", "mlops_summit_2026", "ai_product_days_2025"),
    "ai_ux_designer": ("ai_product_days_2025", "hci_ai_forum_2024", "hci_ai_forum_2024"),
    "researcher": ("pydata_archive",),
    "web_developer": ("ai_product_days_2025", "pydata_archive"),
    "physicist": ("pydata_archive",),
}
PAPER_FIELD_OF = {"ml_engineer": "ml_engineer", "mlops_engineer": "mlops_engineer", "ai_product_manager": "ml_engineer",
                  "ai_ux_designer": "ai_ux_designer", "researcher": "researcher", "physicist": "physicist",
                  "web_developer": "ml_engineer"}
COAUTHOR_POOL_OF = {"ml_engineer": "lg", "mlops_engineer": "lg", "researcher": "lg", "ai_product_manager": "lg",
                    "web_developer": "lg", "ai_ux_designer": "hc", "physicist": "phys"}
NAME_STYLES = {  # source kind -> (style, weight)
    "arxiv": (("full", 55), ("initials", 20), ("middle_initial", 15), ("ascii", 5), ("full_middle", 5)),
    "github": (("full", 55), ("none", 15), ("nickname", 10), ("ascii", 15), ("middle_initial", 5)),
    "conference": (("full", 65), ("nickname", 15), ("ascii", 10), ("full_middle", 10)),
    "internal": (("full", 80), ("full_middle", 20)),
}
INTERNAL_TEAMS = {"ml_engineer": "Search Relevance", "mlops_engineer": "Platform", "web_developer": "Web",
                  "ai_ux_designer": "Design", "ai_product_manager": "Product", "researcher": "Research",
                  "physicist": "Data Science"}
INTERNAL_SKILLS = {"ml_engineer": ["python", "pytorch", "evaluation", "kubernetes"],
                   "mlops_engineer": ["terraform", "kubernetes", "prometheus", "python"],
                   "web_developer": ["typescript", "react", "python", "pandas"],
                   "ai_ux_designer": ["figma", "user research", "prototyping"],
                   "ai_product_manager": ["roadmaps", "a/b testing", "sql"],
                   "researcher": ["python", "statistics"], "physicist": ["python", "julia", "numpy"]}
PRETALX_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ3789"


def generate_world(n_people: int = 120, seed: int = 7, hostile: bool = False) -> World:
    """Build the world; same arguments -> byte-identical ``world.to_json()``."""
    if n_people < 1:
        raise ValueError(f"n_people must be >= 1, got {n_people}")
    builder = _Builder(random.Random(seed), n_people, seed, hostile)
    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of small acyclic objects: the cyclic GC only costs time here
    try:
        return builder.build()
    finally:
        if gc_was_enabled:
            gc.enable()


def _weighted(rng: random.Random, pairs) -> str:
    total = sum(w for _, w in pairs)
    roll = rng.uniform(0, total)
    for value, weight in pairs:
        roll -= weight
        if roll <= 0:
            return value
    return pairs[-1][0]


def _iso(d: datetime) -> str:
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


class _Builder:
    """Holds the world under construction; one method per kind of record."""

    def __init__(self, rng: random.Random, n_people: int, seed: int, hostile: bool) -> None:
        self.rng, self.n_people, self.seed, self.hostile = rng, n_people, seed, hostile
        self.world = World(seed, n_people, REFERENCE_DATE, hostile, [], [], [], [], [], [])
        self.world.conferences = [Conference(s, f, slug, t, d) for s, f, slug, t, d, _ in CONFERENCES]
        self.conf_by_source = {c.source: c for c in self.world.conferences}
        self.tz = {c[0]: c[5] for c in CONFERENCES}
        self.logins: set[str] = set()
        self.login_next: dict[str, int] = {}  # base -> last suffix tried: no re-scan of 2, 3, ... per namesake
        # Above the threshold names come from wide pools and public handles stay unique per person
        # (namesakes must not share a homepage, e-mail, X or LinkedIn handle: those are strong identifiers).
        self.large = large_pools(seed) if n_people > SMALL_WORLD_MAX_PEOPLE else None
        self.handle_next: dict[tuple[str, str], int] = {}  # (kind, handle) -> last suffix tried
        self.handles: set[tuple[str, str]] = set()  # (kind, handle) issued
        self.emails: set[str] = set()
        self.specs: dict[str, dict] = {}
        self.keys: dict[str, set[str]] = {c.source: set() for c in self.world.conferences}
        self.slug_owner: dict[tuple[str, str], str] = {}
        self.month_counter: dict[str, int] = {}
        self.pools: dict[str, list[Person]] = {"lg": [], "hc": [], "phys": []}
        self.repos_by_kind: dict[str, list[Repo]] = {}
        self.next_user_id = 1_000_001

    # --- top level -------------------------------------------------------------
    def build(self) -> World:
        self._make_repos()
        specs = _hard_cases() if self.n_people >= HARD_CASES_MIN_PEOPLE else []
        for index in range(self.n_people):
            spec = specs[index] if index < len(specs) else None
            self._add_person(index, spec)
        self._night_two()
        if self.hostile:
            _make_hostile(self.world)
        return self.world

    def _add_person(self, index: int, spec: dict | None) -> Person:
        person = self._new_person(f"p{index:06d}", spec or {})
        if spec:
            self.specs[person.person_id] = spec
        self.world.people.append(person)
        for source in (spec or {}).get("sources") or self._pick_sources(person):
            self._materialise(person, source, spec or {})
        return person

    def _pick_sources(self, person: Person) -> list[str]:
        p_arxiv, p_github, p_talk = SOURCE_PROBS[person.persona]
        rng = self.rng
        sources = [s for s, p in (("arxiv", p_arxiv), ("github", p_github)) if rng.random() < p]
        if rng.random() < p_talk or not sources:
            sources += self._pick_conferences(person)
        if rng.random() < 0.05 and person.persona not in ("physicist",):
            sources.append("internal")
        return sources[:4] or ["internal"]

    def _pick_conferences(self, person: Person) -> list[str]:
        options = PERSONA_CONFERENCES[person.persona]
        first = options[-1] if person.strength == 1 else options[self.rng.randrange(min(2, len(options)))]
        chosen = [first]
        if len(options) > 1 and self.rng.random() < 0.25:
            second = options[self.rng.randrange(len(options))]
            if second != first:
                chosen.append(second)
        return chosen

    def _materialise(self, person: Person, source: str, spec: dict) -> None:
        if source == "arxiv":
            self._add_papers(person, spec)
        elif source == "github":
            self._add_github(person, spec)
        elif source == "internal":
            self._add_internal(person)
        else:
            self._add_speaker(person, source, spec)

    # --- people ----------------------------------------------------------------
    def _new_person(self, person_id: str, spec: dict) -> Person:
        rng = self.rng
        persona = spec.get("persona") or _weighted(rng, PERSONA_WEIGHTS)
        east_asian = spec["east_asian"] if "east_asian" in spec else (not spec.get("given") and rng.random() < 0.2)
        given, family = self._name(spec, east_asian)
        middle = spec.get("middle", C.pick(rng, MIDDLE) if rng.random() < 0.25 else None)
        strength = spec.get("strength", _weighted(rng, ((3, 40), (2, 35), (1, 25))) if persona in C.ROLES else 0)
        person = Person(person_id, persona, given, family, middle, NICKNAMES.get(given), "", "", "", strength)
        person.affiliation = spec.get("affiliation") or self._affiliation(persona)
        person.title = spec.get("title") or C.pick(rng, C.TITLES[persona])
        person.location = C.pick(rng, C.LOCATIONS)
        person.flags = ["research_only"] if persona == "researcher" else []
        person.flags += ["east_asian_name"] if east_asian else []
        self._contact_details(person, spec)
        return person

    def _name(self, spec: dict, east_asian: bool) -> tuple[str, str]:
        """(given, family): the small pools' exact draws up to SMALL_WORLD_MAX_PEOPLE, wide pools above."""
        rng = self.rng
        if self.large is not None and not (spec.get("given") and spec.get("family")):
            return self.large.draw(rng, east_asian)
        given = spec.get("given") or C.pick(rng, EAST_ASIAN_GIVEN if east_asian else GIVEN)
        family = spec.get("family") or C.pick(rng, EAST_ASIAN_FAMILY if east_asian else FAMILY)
        return given, family

    def _affiliation(self, persona: str) -> str:
        if persona == "researcher":
            return C.pick(self.rng, C.UNIVERSITIES)
        if persona == "physicist":
            return C.pick(self.rng, C.PHYSICS_LABS)
        if persona == "ai_ux_designer" and self.rng.random() < 0.4:
            return C.pick(self.rng, C.UNIVERSITIES)
        return C.pick(self.rng, C.COMPANIES)

    def _contact_details(self, person: Person, spec: dict) -> None:
        rng = self.rng
        local = ascii_fold(f"{person.given}.{person.family}").lower().replace("'", "").replace(" ", "")
        if spec.get("email") or rng.random() < 0.3:
            person.email = spec.get("email") or \
                f"{self._unique('email', local)}@{C.pick(rng, ('mail', 'inbox', 'posteo'))}.example"
        if spec.get("homepage") or rng.random() < 0.35:
            person.homepage = spec.get("homepage") or \
                f"https://{self._unique('homepage', slugify(person.full_name))}.example/"
        if rng.random() < 0.3:
            person.twitter = self._unique("twitter", slugify(person.full_name).replace("-", "_")[:15], 15)

    def _unique(self, kind: str, handle: str, max_length: int = 0) -> str:
        """``handle`` for the first person, ``handle2``, ``handle3`` ... for namesakes (large worlds
        only: the small worlds keep their exact shipped output)."""
        if self.large is None:
            return handle
        number, candidate = self.handle_next.get((kind, handle), 1), handle
        while (kind, candidate) in self.handles:
            number += 1
            candidate = f"{handle[:max_length - len(str(number))] if max_length else handle}{number}"
        self.handle_next[(kind, handle)] = number
        self.handles.add((kind, candidate))
        return candidate

    def name_for(self, person: Person, source: str, kind: str, spec: dict | None = None) -> str | None:
        """The name as this source writes it; fixed once per (person, source)."""
        if source in person.names:
            return person.names[source] or None
        forced = (spec or self.specs.get(person.person_id, {})).get("names", {}).get(source)
        style = forced or _weighted(self.rng, NAME_STYLES[kind])
        if "east_asian_name" in person.flags and not forced and self.rng.random() < 0.3:
            style = "reversed"
        name = None if style == "none" else (
            style[1:] if style.startswith("=") else
            render(person.given, person.family, person.middle, person.nickname, style))
        person.names[source] = name or ""
        return name

    # --- arXiv -----------------------------------------------------------------
    def _add_papers(self, person: Person, spec: dict) -> None:
        pool = self.pools[COAUTHOR_POOL_OF[person.persona]]
        count = spec.get("papers") or (1 + self.rng.randrange(4 if person.persona == "researcher" else 2))
        for number in range(count):
            comment_login = spec.get("comment_login") if number == 0 else None
            self.world.papers.append(self._paper(person, pool, comment_login, night=1))
        pool.append(person)

    def _paper(self, person: Person, pool: list[Person], comment_login: str | None, night: int) -> Paper:
        rng = self.rng
        field = C.PAPER_FIELDS[PAPER_FIELD_OF[person.persona]]
        primaries, crosses, titles, abstracts, refs = field
        published = self._when(person.strength, night)
        primary = C.pick(rng, primaries)
        categories = [primary] + [c for c in crosses if rng.random() < 0.4]
        authors = self._authors(person, pool)
        version = 1 if rng.random() < 0.7 or night == 2 else 2
        updated = published if version == 1 else min(published + timedelta(days=rng.randrange(5, 60)),
                                                     datetime.combine(NIGHT1_LAST_DAY, published.timetz()))
        abstract = C.fill(rng, C.pick(rng, abstracts))
        comment = self._comment(person, comment_login)
        return Paper(self._paper_id(published), version, C.fill(rng, C.pick(rng, titles)), abstract, authors,
                     categories, primary, _iso(published), _iso(max(updated, published)), comment,
                     C.pick(rng, refs), None, night)

    def _authors(self, person: Person, pool: list[Person]) -> list[Author]:
        rng = self.rng
        window = pool[-200:]
        others: dict[str, Person] = {}
        for _ in range(rng.randrange(4) if window else 0):
            other = C.pick(rng, window)
            others[other.person_id] = other
        others.pop(person.person_id, None)
        chosen = list(others.values())
        chosen.insert(rng.randrange(len(chosen) + 1), person)
        return [Author(self.name_for(p, "arxiv", "arxiv") or p.full_name, p.person_id,
                       p.affiliation if rng.random() < 0.3 else None) for p in chosen]

    def _comment(self, person: Person, comment_login: str | None) -> str | None:
        pages = f"{self.rng.randrange(8, 30)} pages, {self.rng.randrange(2, 9)} figures"
        if comment_login:
            repo = self._own_repo(person, comment_login)
            return f"{pages}. Code: https://github.com/{comment_login}/{repo.name}"
        return pages if self.rng.random() < 0.6 else None

    def _paper_id(self, published: datetime) -> str:
        month = published.strftime("%y%m")
        number = self.month_counter.get(month, 1000 + self.rng.randrange(500)) + 1 + self.rng.randrange(3)
        self.month_counter[month] = number
        return f"{month}.{number:05d}"

    def _when(self, strength: int, night: int) -> datetime:
        """A timestamp whose age follows the evidence strength (recent work counts most)."""
        rng = self.rng
        if night == 2:
            day = NIGHT2_DAY
        else:
            low, high = {3: (2, 700), 2: (60, 1300), 1: (900, 1800)}.get(strength, (2, 1800))
            day = NIGHT1_LAST_DAY - timedelta(days=rng.randrange(low, high))
        return datetime(day.year, day.month, day.day, rng.randrange(24), rng.randrange(60),
                        rng.randrange(60), tzinfo=timezone.utc)

    # --- GitHub ----------------------------------------------------------------
    def _make_repos(self) -> None:
        kinds = list(C.REPO_KINDS)
        total = max(2 * len(kinds), self.n_people // 12)
        for index in range(total):
            self._org_repo(kinds[index % len(kinds)], index // len(kinds))

    def _org_repo(self, kind: str, round_: int) -> Repo:
        orgs, stems, description, topics, languages = C.REPO_KINDS[kind]
        stem = stems[round_ % len(stems)]
        name = stem if round_ < len(stems) else f"{stem}-{round_ // len(stems) + 1}"
        repo = self._repo(C.pick(self.rng, orgs), name, True, kind, description, list(topics), languages)
        self.repos_by_kind.setdefault(kind, []).append(repo)
        return repo

    def _repo(self, owner, name, is_org, kind, description, topics, languages, night=1) -> Repo:
        rng = self.rng
        total = rng.randrange(20_000, 3_000_000)
        weights = sum(w for _, w in languages)
        langs = {lang: total * w // weights for lang, w in languages}
        created = NIGHT1_LAST_DAY - timedelta(days=rng.randrange(400, 3000))
        pushed = NIGHT1_LAST_DAY - timedelta(days=rng.randrange(0, 900 if kind == "physics" else 300))
        repo = Repo(len(self.world.repos) + 500_001, owner, name, is_org, kind, description, topics, langs,
                    rng.randrange(3, 40_000), rng.randrange(0, 3_000), _iso(_noon(created)), _iso(_noon(pushed)),
                    f"https://{name}.example/" if rng.random() < 0.3 else None, rng.random() < 0.04, False,
                    [], night)
        self.world.repos.append(repo)
        return repo

    def _own_repo(self, person: Person, login: str) -> Repo:
        kinds = C.PERSONA_REPO_KINDS.get(person.persona) or ("eval",)
        kind = C.pick(self.rng, kinds)
        _, stems, description, topics, languages = C.REPO_KINDS[kind]
        name = C.pick(self.rng, stems).split("-")[0] + "-" + C.pick(self.rng, ("demo", "playground", "lab", "bench"))
        repo = self._repo(login, name, False, kind, description, list(topics), languages)
        repo.contributors.append(Contribution(login, person.person_id, self.rng.randrange(20, 400)))
        return repo

    def _login(self, person: Person, spec: dict) -> str:
        if spec.get("login"):
            self.logins.add(spec["login"].lower())
            return spec["login"]
        base = login_base(person.given, person.family, self.rng.randrange(6))
        login, number = base, self.login_next.get(base, 1)
        if number > 1:
            login = f"{base}{number}"
        while login.lower() in self.logins:  # bases hold no digits, so "base{n}" is only ever this base's
            number += 1
            login = f"{base}{number}"
        self.login_next[base] = number
        self.logins.add(login.lower())
        return login.title() if self.rng.random() < 0.08 else login

    def _add_github(self, person: Person, spec: dict, night: int = 1) -> GithubUser:
        rng = self.rng
        login = person.github_login or self._login(person, spec)
        person.github_login = login
        user = GithubUser(login, self.next_user_id, person.person_id, self.name_for(person, "github", "github", spec),
                          self._company(person), self._blog(person, spec), person.location if rng.random() < 0.7 else None,
                          person.email if (spec.get("email_public") or rng.random() < 0.25) else None,
                          self._github_bio(person), person.twitter if rng.random() < 0.5 else None,
                          rng.randrange(0, 3000), rng.randrange(1, 120),
                          _iso(_noon(NIGHT1_LAST_DAY - timedelta(days=rng.randrange(300, 4000)))), night)
        self.next_user_id += 1 + rng.randrange(5000)
        self.world.users.append(user)
        self._contribute(person, login, night)
        if rng.random() < 0.15 and person.persona in C.ROLES and not spec.get("comment_login"):
            self._own_repo(person, login)
        return user

    def _company(self, person: Person) -> str | None:
        roll = self.rng.random()
        if roll < 0.3:
            return None
        return "@" + slugify(person.affiliation) if roll < 0.5 else person.affiliation

    def _blog(self, person: Person, spec: dict) -> str | None:
        if person.homepage and (spec.get("shared_homepage") or self.rng.random() < 0.6):
            return person.homepage
        return None

    def _github_bio(self, person: Person) -> str | None:
        if self.rng.random() < 0.3:
            return None
        if person.persona in C.ROLES and person.strength == 1:
            return C.WEAK_BIO[person.persona]
        return C.BIO_FOCUS[person.persona][self.rng.randrange(2)][:160]

    def _contribute(self, person: Person, login: str, night: int) -> None:
        rng = self.rng
        kinds = C.PERSONA_REPO_KINDS.get(person.persona) or ("eval",)
        for _ in range(1 + rng.randrange(3)):
            repos = self.repos_by_kind[C.pick(rng, kinds)]
            repo = C.pick(rng, repos)
            if any(c.login == login for c in repo.contributors):
                continue
            low, high = {3: (40, 900), 2: (10, 200), 1: (1, 12)}.get(person.strength, (1, 300))
            repo.contributors.append(Contribution(login, person.person_id, rng.randrange(low, high), night))

    # --- conferences -------------------------------------------------------------
    def _add_speaker(self, person: Person, source: str, spec: dict, night: int = 1) -> Speaker | None:
        conf = self.conf_by_source[source]
        name = self.name_for(person, source, "conference", spec) or person.full_name
        key = self._speaker_key(conf, name, person)
        if key is None:
            return None
        first, _, last = name.partition(" ")
        speaker = Speaker(key, person.person_id, name, first, last, person.title, person.affiliation,
                          self._speaker_bio(person, name), self._speaker_links(person, spec), night)
        conf.speakers.append(speaker)
        self._add_talk(person, conf, speaker, night)
        return speaker

    def _speaker_key(self, conf: Conference, name: str, person: Person) -> str | None:
        """Per-format key; pyvideo keys are name slugs, so a namesake in one archive is skipped."""
        if conf.format == "pretalx":
            key = "".join(C.pick(self.rng, PRETALX_ALPHABET) for _ in range(6))
        elif conf.format == "sessionize":
            key = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        else:
            key = slugify(name)
            owner = self.slug_owner.setdefault((conf.source, key), person.person_id)
            if owner != person.person_id:
                if conf.format == "pyvideo":
                    return None
                key = f"{key}-{person.person_id[-4:]}"
        if key in self.keys[conf.source]:
            return key if conf.format == "pyvideo" else self._speaker_key(conf, name + "x", person)
        self.keys[conf.source].add(key)
        return key

    def _speaker_bio(self, person: Person, name: str) -> str:
        first = name.split(" ")[0]
        if person.persona in C.ROLES and person.strength == 1:
            focus = C.WEAK_BIO[person.persona]
        else:
            focus = C.BIO_FOCUS[person.persona][self.rng.randrange(2)]
        return f"{first} is {_article(person.title)} {person.title} at {person.affiliation}. {focus}"

    def _speaker_links(self, person: Person, spec: dict) -> list[SpeakerLink]:
        rng, links = self.rng, []
        if person.github_login is None and spec.get("login") and spec.get("speaker_github_link"):
            person.github_login = self._login(person, spec)
        if person.github_login and (spec.get("speaker_github_link") or rng.random() < 0.5):
            links.append(SpeakerLink("GitHub", f"https://github.com/{person.github_login}", "Other"))
        if person.homepage and (spec.get("shared_homepage") or rng.random() < 0.5):
            links.append(SpeakerLink("Blog", person.homepage, "Blog"))
        if person.twitter and rng.random() < 0.6:
            links.append(SpeakerLink("X (Twitter)", f"https://twitter.com/{person.twitter}", "Twitter"))
        if rng.random() < 0.3:
            links.append(SpeakerLink("LinkedIn", f"https://www.linkedin.com/in/{self._linkedin(person)}", "LinkedIn"))
        return links

    def _linkedin(self, person: Person) -> str:
        """LinkedIn slug; in large worlds namesakes get LinkedIn-style suffixes ("wei-zhang-3a7f21")."""
        slug = slugify(person.full_name)
        if self.large is None:
            return slug
        return f"{slug}-{(int(person.person_id[1:]) * 2_654_435_761) % 16**6:06x}"

    def _add_talk(self, person: Person, conf: Conference, speaker: Speaker, night: int) -> Talk:
        rng = self.rng
        if conf.talks and conf.format != "pyvideo" and night == 1 and rng.random() < 0.1:
            talk = conf.talks[-1]  # co-presented
            talk.speaker_keys.append(speaker.key)
            return talk
        title, abstract = self._talk_text(person)
        key = ("".join(C.pick(rng, PRETALX_ALPHABET) for _ in range(6)) if conf.format == "pretalx"
               else str(600_000 + len(conf.talks) * 7 + rng.randrange(7)))
        talk = Talk(key, title, abstract, _track(person.persona), self._talk_start(conf, person, night),
                    C.pick(rng, (25, 30, 45)), [speaker.key], night)
        conf.talks.append(talk)
        return talk

    def _talk_text(self, person: Person) -> tuple[str, str]:
        if person.persona in C.ROLES and person.strength == 1:
            return C.WEAK_TALKS[person.persona]
        titles, abstract = C.TALKS[person.persona]
        return C.fill(self.rng, C.pick(self.rng, titles)), C.fill(self.rng, abstract)

    def _talk_start(self, conf: Conference, person: Person, night: int) -> str:
        rng = self.rng
        if conf.format == "pyvideo":
            when = self._when(person.strength, 1).date() if night == 1 else NIGHT2_DAY - timedelta(days=11)
            return when.isoformat()
        day = date.fromisoformat(conf.start_date) + timedelta(days=rng.randrange(2))
        return f"{day.isoformat()}T{9 + rng.randrange(8):02d}:{C.pick(rng, ('00', '15', '30', '45'))}:00{self.tz[conf.source]}"

    # --- internal ----------------------------------------------------------------
    def _add_internal(self, person: Person, night: int = 1) -> None:
        name = self.name_for(person, "internal", "internal") or person.full_name
        email = ascii_fold(f"{person.given}.{person.family}").lower().replace(" ", "").replace("'", "")
        email = f"{email}.{person.person_id[-4:]}@corp.example" if f"{email}@corp.example" in self.emails \
            else f"{email}@corp.example"
        if email in self.emails:  # a namesake whose id ends in the same 4 digits (worlds of 10^4+ people)
            email = email.replace("@", f"-{person.person_id}@")
        self.emails.add(email)
        login = person.github_login if self.rng.random() < 0.7 else None
        self.world.internal.append(InternalPerson(email, name, INTERNAL_TEAMS[person.persona],
                                                  list(INTERNAL_SKILLS[person.persona]), login,
                                                  person.person_id, night))

    # --- night 2 -------------------------------------------------------------------
    def _night_two(self) -> None:
        """Exactly the documented additions: 3 papers, 1 talk, 1 new contributor
        (a new person), and an existing person's new GitHub account."""
        added = self.world.night2
        authors = {a.person_id for a in self._night1_authors()}
        for person in self._pick_people(lambda p: p.person_id in authors, 3):
            paper = self._paper(person, self.pools[COAUTHOR_POOL_OF[person.persona]], None, night=2)
            self.world.papers.append(paper)
            added.append({"kind": "paper", "key": paper.paper_id, "person_id": person.person_id})
        self._night_two_talk(added)
        self._night_two_github(added)

    def _night1_authors(self):
        return (a for p in self.world.papers if p.night == 1 for a in p.authors)

    def _pick_people(self, predicate, count: int) -> list[Person]:
        candidates = [p for p in self.world.people if p.night == 1 and predicate(p)]
        self.rng.shuffle(candidates)
        return candidates[:count]

    def _night_two_talk(self, added: list[dict]) -> None:
        conf = self.conf_by_source["pydata_archive"]
        if not conf.speakers:
            return
        speaker = conf.speakers[self.rng.randrange(len(conf.speakers))]
        person = next(p for p in self.world.people if p.person_id == speaker.person_id)
        talk = self._add_talk(person, conf, speaker, night=2)
        added.append({"kind": "talk", "source": conf.source, "key": talk.key, "person_id": person.person_id})

    def _night_two_github(self, added: list[dict]) -> None:
        newcomer = self._new_person(f"p{self.n_people:06d}", {"persona": "mlops_engineer", "strength": 3})
        newcomer.night = 2
        self.world.people.append(newcomer)
        for person, is_new in ((newcomer, True), *[(p, False) for p in self._existing_without_github()]):
            user = self._add_github(person, {}, night=2)
            added.append({"kind": "github_user", "key": user.login.lower(), "person_id": person.person_id,
                          "new_person": str(is_new).lower()})
            for repo in self.world.repos:
                for c in repo.contributors:
                    if c.login == user.login:
                        c.night = 2
                        added.append({"kind": "contribution", "key": f"{repo.full_name.lower()}:{user.login.lower()}",
                                      "person_id": person.person_id})
                if repo.owner == user.login:
                    repo.night = 2

    def _existing_without_github(self) -> list[Person]:
        authors = {a.person_id for a in self._night1_authors()}
        return self._pick_people(lambda p: p.github_login is None and p.person_id in authors
                                 and p.persona in ("ml_engineer", "researcher", "ai_ux_designer"), 1)


def _noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc)


def _article(title: str) -> str:
    return "an" if title[:1].lower() in "aeiou" else "a"


def _track(persona: str) -> str:
    return {"ml_engineer": "ML in Production", "mlops_engineer": "Platform & Infrastructure",
            "ai_product_manager": "AI Product", "ai_ux_designer": "AI UX & Design",
            "web_developer": "Web", "researcher": "Research", "physicist": "Science"}[persona]


def _hard_cases() -> list[dict]:
    """People who are always in the default world: the cases identity
    resolution must get right (see tests/test_sampleworld.py)."""
    return [
        {"case": "initials", "persona": "ml_engineer", "given": "Jennifer", "family": "Smith", "strength": 3,
         "sources": ["arxiv", "github", "mlops_summit_2026"],
         "names": {"arxiv": "initials", "github": "full", "mlops_summit_2026": "full"}},
        {"case": "accents", "persona": "ai_ux_designer", "given": "José", "family": "Álvarez", "strength": 3,
         "east_asian": False, "middle": None, "sources": ["arxiv", "ai_product_days_2025", "hci_ai_forum_2024"],
         "names": {"arxiv": "full", "ai_product_days_2025": "ascii", "hci_ai_forum_2024": "full"}},
        {"case": "nickname", "persona": "mlops_engineer", "given": "Robert", "family": "Miller", "strength": 3,
         "sources": ["github", "mlops_summit_2026", "internal"],
         "names": {"github": "full", "mlops_summit_2026": "nickname", "internal": "full"}},
        {"case": "reversed", "persona": "ml_engineer", "given": "Li", "family": "Wang", "strength": 2,
         "east_asian": True, "middle": None, "sources": ["arxiv", "github", "pydata_archive"],
         "names": {"arxiv": "full", "github": "full", "pydata_archive": "reversed"}},
        {"case": "middle_name", "persona": "ai_product_manager", "given": "Maria", "family": "Jensen",
         "middle": "Katrine", "strength": 3, "sources": ["ai_product_days_2025", "mlops_summit_2026"],
         "names": {"ai_product_days_2025": "full_middle", "mlops_summit_2026": "full"}},
        {"case": "handle_in_speaker_links", "persona": "mlops_engineer", "given": "Tomás", "family": "Novak",
         "strength": 3, "login": "tnvk", "speaker_github_link": True,
         "sources": ["ai_product_days_2025", "github"], "names": {"github": "none"}},
        {"case": "handle_in_paper_comment", "persona": "ml_engineer", "given": "Priya", "family": "Raman",
         "strength": 3, "login": "praman-ml", "comment_login": "praman-ml", "sources": ["arxiv", "github"],
         "names": {"github": "none", "arxiv": "full"}},
        {"case": "shared_email", "persona": "ml_engineer", "given": "Olu", "family": "Adeyemi", "strength": 2,
         "email": "olu.adeyemi@corp.example", "email_public": True, "sources": ["github", "internal"],
         "names": {"github": "full", "internal": "full"}},
        {"case": "shared_homepage", "persona": "ai_ux_designer", "given": "Sofia", "family": "Lindqvist",
         "strength": 3, "homepage": "https://sofialindqvist.design.example/", "shared_homepage": True,
         "sources": ["github", "hci_ai_forum_2024"], "names": {"github": "full", "hci_ai_forum_2024": "full"}},
        {"case": "namesake", "persona": "mlops_engineer", "given": "Wei", "family": "Zhang", "strength": 3,
         "east_asian": True, "middle": None, "affiliation": "Helio Cloud",
         "sources": ["github", "mlops_summit_2026"], "names": {"github": "full", "mlops_summit_2026": "full"}},
        {"case": "namesake", "persona": "researcher", "given": "Wei", "family": "Zhang", "east_asian": True,
         "middle": None, "affiliation": "Northgate University", "sources": ["arxiv"], "names": {"arxiv": "full"}},
        {"case": "research_only", "persona": "researcher", "given": "Elena", "family": "Petrova",
         "middle": None, "sources": ["arxiv"], "papers": 3, "names": {"arxiv": "full"}},
    ]


def hard_case_people(world: World) -> dict[str, list[str]]:
    """case name -> person ids of the always-present hard cases (first people of the world)."""
    if world.n_people < HARD_CASES_MIN_PEOPLE:
        return {}
    cases: dict[str, list[str]] = {}
    for spec, person in zip(_hard_cases(), world.people):
        cases.setdefault(spec["case"], []).append(person.person_id)
    return cases


def _make_hostile(world: World) -> None:
    """CSV/SQL-injection strings in a few records (only with ``hostile=True``)."""
    formula, sql = '=HYPERLINK("http://x","click")', "'); DROP TABLE people; --"
    for conf in world.conferences:
        if conf.speakers:
            if conf.format != "pyvideo":  # pyvideo keys are name slugs: renaming would change the key
                conf.speakers[0].name = formula if conf.format != "html" else "@SUM(1+1)"
            conf.speakers[-1].bio = sql
        if conf.talks:
            conf.talks[0].title = "+cmd|' /C calc'!A0"
    if world.users:
        world.users[0].bio, world.users[-1].name = sql, formula
    if world.papers:
        world.papers[0].title = "Robert'); DROP TABLE papers;-- at Scale"
        world.papers[0].authors[0].name = "-2+3+cmd|' /C calc'!A0"
    if world.repos:
        world.repos[0].description = "=1+1"
    if world.internal:
        world.internal[0].name = formula
