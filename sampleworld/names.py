"""Name pools and the ways one person's name is written differently per source.

Why: identity resolution is only tested honestly when the same person is
spelled the way real sources spell people ("J. Smith", "Jose Alvarez" for
"José Álvarez", "Bob" for "Robert", "Wang Li" for "Li Wang", a middle name
on one site only).  All names are synthetic combinations; none is meant to
describe a real person.
"""
from __future__ import annotations

import re
import unicodedata

GIVEN = (
    "Jennifer", "Robert", "William", "Elizabeth", "Katherine", "Michael", "Alexander",
    "Daniel", "Sofia", "José", "Zoë", "Łukasz", "Søren", "François", "Anaïs", "Chloé",
    "Mateus", "Ingrid", "Amara", "Kwame", "Aisha", "Priya", "Arjun", "Olu", "Fatima",
    "Mehmet", "Noor", "Lucía", "Björn", "Eliška", "Ramón", "Nadia", "Tomás", "Hana",
    "Yusuf", "Elena", "Dmitri", "Marta", "Iris", "Jonas", "Leila", "Samuel", "Ruth",
    "Pedro", "Inês", "Chiara", "Emre", "Thomas", "Christopher", "Benjamin", "Nicholas",
    "Andrew", "Margaret", "Susan", "Patricia", "Richard", "Joseph", "Rebecca",
)
FAMILY = (
    "Smith", "Miller", "Álvarez", "Müller", "García", "Kowalski", "Okafor", "Adeyemi",
    "Raman", "Patel", "Sharma", "Jensen", "Lindqvist", "Novak", "Dubois", "Rossi",
    "Nowak", "Ivanova", "Petrova", "Haddad", "Mensah", "Costa", "Fernández", "Nyström",
    "Öztürk", "Brennan", "O'Neill", "Schäfer", "Dvořák", "Horváth", "Kaya", "Silva",
    "Moreau", "Berg", "Hughes", "Reyes", "Tanaka", "Sato", "Nakamura", "Ferreira",
    "Okonkwo", "Andersen", "Kovač", "Laurent", "Mendes", "Quinn", "Abara", "Weiss",
)
EAST_ASIAN_FAMILY = ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Kim", "Park", "Lee")
EAST_ASIAN_GIVEN = ("Wei", "Li", "Ming", "Jun", "Hao", "Yan", "Lei", "Xin", "Min-jun", "Ji-woo", "Jing", "Yu", "Tao")
MIDDLE = ("Anne", "Marie", "James", "K.", "Lee", "Rose", "John", "Elise", "Paul", "Grace", "Ray", "Louise")
NICKNAMES = {
    "Robert": "Bob", "William": "Bill", "Elizabeth": "Liz", "Katherine": "Kate",
    "Michael": "Mike", "Alexander": "Alex", "Daniel": "Dan", "Jennifer": "Jen",
    "Samuel": "Sam", "Thomas": "Tom", "Christopher": "Chris", "Benjamin": "Ben",
    "Nicholas": "Nick", "Andrew": "Andy", "Margaret": "Maggie", "Susan": "Sue",
    "Patricia": "Trish", "Richard": "Rick", "Joseph": "Joe", "Rebecca": "Becky",
}
_FOLD_EXTRA = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "đ": "d", "Đ": "D"})


def ascii_fold(text: str) -> str:
    """'José Łukasz Nyström' -> 'Jose Lukasz Nystrom' (what ASCII-only sites print)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD_EXTRA))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def slugify(text: str) -> str:
    """Stable slug for html/pyvideo speaker keys: ascii-folded, lower, hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", ascii_fold(text).lower()).strip("-")


def initial(word: str) -> str:
    """'Min-jun' -> 'M.'; arXiv author lists abbreviate like this."""
    return word[0] + "." if word else ""


def render(given: str, family: str, middle: str | None, nickname: str | None,
           style: str) -> str:
    """One written form of a name; unknown/unavailable styles fall back to full."""
    if style == "initials":
        return f"{initial(given)} {family}"
    if style == "middle_initial" and middle:
        return f"{given} {initial(middle.rstrip('.'))} {family}"
    if style == "full_middle" and middle:
        return f"{given} {middle} {family}"
    if style == "ascii":
        return ascii_fold(f"{given} {family}")
    if style == "nickname" and nickname:
        return f"{nickname} {family}"
    if style == "reversed":
        return f"{family} {given}"
    return f"{given} {family}"


def login_base(given: str, family: str, pattern: int) -> str:
    """A GitHub-valid login stem from a name (letters, digits, single hyphens)."""
    g = re.sub(r"[^a-z0-9]", "", ascii_fold(given).lower()) or "x"
    f = re.sub(r"[^a-z0-9]", "", ascii_fold(family).lower()) or "y"
    options = (f"{g}{f}", f"{g[0]}{f}", f"{g}-{f}", f"{f}{g[0]}", f"{g}{f[:3]}", f"{g[0]}{f}-dev")
    return options[pattern % len(options)]
