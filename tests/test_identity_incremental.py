"""Incremental identity resolution: a night re-decides only what changed.

The nightly job relies on: an unchanged warehouse rewrites nothing; a new
record joins the right existing person without re-deciding unrelated ones;
the outcome equals a full resolution of the same data; settings changes,
large changes and `mode="full"` fall back to a full night.
"""
from __future__ import annotations

from datetime import datetime

import pytest

from enrich.identity import Params, resolve
from test_identity import NIGHT1, NIGHT2, Surface

EAGER = Params(incremental_max_share=1.0)   # tiny worlds: any change is a large share
NIGHT3 = datetime(2025, 1, 3, 2, 0)


@pytest.fixture
def s() -> Surface:
    return Surface()


def _world(s: Surface) -> None:
    s.identity("arxiv:2401.00001#1", "Jane Doe", "Initech")
    s.work("arxiv:2401.00001#1", "paper:2401.00001", "Sparse attention for long documents", ["cs.lg"])
    s.identity("github:jdoe", "Jane Doe", "Initech")
    s.identity("pycon:K1", "Karl Berg", "Spotify")
    s.identity("europy:K2", "Karl Berg", "Spotify AB")
    s.identity("arxiv:2402.00002#1", "Omar Haddad", "KAUST")
    s.work("arxiv:2402.00002#1", "paper:2402.00002", "Protein folding with transformers", ["q-bio.bm"])


def _new_paper(s: Surface) -> None:
    s.identity("arxiv:2403.00003#1", "Jane Doe", "Initech")
    s.work("arxiv:2403.00003#1", "paper:2403.00003", "Sparse attention for speech", ["cs.lg"])


def _partition(s: Surface) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for identity, person in s.persons().items():
        groups.setdefault(person, set()).add(identity)
    return {frozenset(g) for g in groups.values()}


def test_unchanged_warehouse_rewrites_nothing(s: Surface) -> None:
    _world(s)
    assert resolve(s.con, now=NIGHT1, params=EAGER).mode == "full"
    before = s.con.execute('SELECT * FROM "identity_person" ORDER BY 1').fetchall()
    stats = resolve(s.con, now=NIGHT2, params=EAGER)
    assert (stats.mode, stats.changed, stats.candidate_pairs) == ("unchanged", 0, 0)
    assert s.con.execute('SELECT * FROM "identity_person" ORDER BY 1').fetchall() == before


def test_new_record_joins_its_person_and_leaves_others_alone(s: Surface) -> None:
    _world(s)
    resolve(s.con, now=NIGHT1, params=EAGER)
    jane = s.persons()["arxiv:2401.00001#1"]
    _new_paper(s)
    stats = resolve(s.con, now=NIGHT2, params=EAGER)
    assert (stats.mode, stats.changed) == ("incremental", 1)
    assert stats.identities == 3                     # the three Jane Does, nobody else
    assert s.persons()["arxiv:2403.00003#1"] == jane
    untouched = s.con.execute('''SELECT "decided_at" FROM "identity_person"
                                 WHERE "identity_id" IN ('pycon:K1', 'europy:K2', 'arxiv:2402.00002#1')''')
    assert {d for (d,) in untouched.fetchall()} == {NIGHT1}
    fresh = Surface()
    _world(fresh)
    _new_paper(fresh)
    resolve(fresh.con, now=NIGHT2, params=EAGER)
    assert _partition(s) == _partition(fresh)


def test_identifier_added_to_an_old_record_rejoins_through_it(s: Surface) -> None:
    s.identity("pycon:M1", "Karin Müller", "Klarna")   # a common family name: no join on name alone
    s.identity("github:kberg", "Karin Müller", None)
    s.identity("arxiv:2402.00002#1", "Omar Haddad", "KAUST")
    resolve(s.con, now=NIGHT1, params=EAGER)
    assert not s.same("pycon:M1", "github:kberg")
    s.link("pycon:M1", "github", "kberg")
    stats = resolve(s.con, now=NIGHT2, params=EAGER)
    assert stats.mode == "incremental" and s.same("pycon:M1", "github:kberg")


def test_removed_record_re_decides_its_person(s: Surface) -> None:
    _world(s)
    _new_paper(s)
    resolve(s.con, now=NIGHT1, params=EAGER)
    s.con.execute('''DELETE FROM "identities" WHERE "identity_id" = 'arxiv:2403.00003#1' ''')
    s.con.execute('''DELETE FROM "evidence" WHERE "identity_id" = 'arxiv:2403.00003#1' ''')
    stats = resolve(s.con, now=NIGHT2, params=EAGER)
    assert (stats.mode, stats.changed) == ("incremental", 1)
    assert s.same("arxiv:2401.00001#1", "github:jdoe")


@pytest.mark.parametrize("second", [
    {"params": Params(incremental_max_share=1.0, accept_weight=13.0)},   # settings changed
    {"params": EAGER, "mode": "full"},                                  # asked for
])
def test_full_night_when_settings_change_or_asked(s: Surface, second: dict) -> None:
    _world(s)
    resolve(s.con, now=NIGHT1, params=EAGER)
    _new_paper(s)
    assert resolve(s.con, now=NIGHT2, **second).mode == "full"
    assert s.same("arxiv:2403.00003#1", "github:jdoe")


def test_large_change_and_stale_full_night_go_full(s: Surface) -> None:
    _world(s)
    resolve(s.con, now=NIGHT1, params=Params(incremental_max_share=0.1))
    _new_paper(s)                                    # 1 of 6 identities: more than 10%
    assert resolve(s.con, now=NIGHT2, params=Params(incremental_max_share=0.1)).mode == "full"
    s.identity("arxiv:2404.00004#1", "Omar Haddad", "KAUST")
    weekly = Params(incremental_max_share=1.0, full_every_days=1)
    resolve(s.con, now=NIGHT2, params=weekly)        # settings changed: full, stamps NIGHT2
    s.identity("arxiv:2405.00005#1", "Omar Haddad", "KAUST")
    assert resolve(s.con, now=NIGHT3, params=weekly).mode == "full"   # a day since the last full night


def test_bad_mode_is_refused(s: Surface) -> None:
    with pytest.raises(ValueError, match="mode must be one of"):
        resolve(s.con, mode="sometimes")


def test_scope_holds_only_records_a_pair_could_form_with(s: Surface) -> None:
    """The night stays small: a template title on many works, or a namesake
    block where neither side is an initial, pulls nobody into the scope."""
    for i in range(12):   # one talk title on twelve works: no same-work pair can come of it
        s.identity(f"pycon:T{i}", f"Person{i} Template", f"Org{i}")
        s.work(f"pycon:T{i}", f"talk:T{i}", "Introduction to machine learning", [], kind="talk")
    s.identity("arxiv:2401.00007#1", "Jie Wang", "Fudan University")    # same last+initial key, full first name
    s.identity("arxiv:2401.00008#1", "J. Wang", "Tsinghua University")  # an initial: could be anyone "J. Wang"
    resolve(s.con, now=NIGHT1, params=EAGER)
    s.identity("europy:N1", "Jun Wang", "Tsinghua University")
    s.work("europy:N1", "talk:N1", "Introduction to machine learning", [], kind="talk")
    stats = resolve(s.con, now=NIGHT2, params=EAGER)
    assert (stats.mode, stats.changed) == ("incremental", 1)
    assert stats.identities == 2      # Jun Wang and "J. Wang"; not Jie Wang, not the twelve template talks
    assert stats.candidate_pairs == 1  # the one pair tonight must decide
