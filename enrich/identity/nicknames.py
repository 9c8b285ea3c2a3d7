"""A small nickname table: variant first name -> canonical first name.

Why: "Bob Smith" and "Robert Smith" are written differently on a GitHub
profile and a speaker page. Canonicalising the *first* token before blocking
puts them in the same block and lets the name comparison call them equal.
Each variant maps to one canonical form; the table is deliberately short
(common English/European short forms) because a wrong equivalence only ever
*helps* a merge, and merges still need non-name evidence.
"""
from __future__ import annotations

_GROUPS: dict[str, tuple[str, ...]] = {
    "robert": ("bob", "bobby", "rob", "robbie", "bert"),
    "william": ("bill", "billy", "will", "willy", "liam"),
    "elizabeth": ("liz", "lizzie", "beth", "betty", "eliza", "elisabeth", "lisa"),
    "richard": ("rick", "ricky", "dick", "rich", "richie"),
    "james": ("jim", "jimmy", "jamie"),
    "john": ("johnny", "jack", "jon"),
    "michael": ("mike", "mikey", "mick", "micky"),
    "thomas": ("tom", "tommy"),
    "joseph": ("joe", "joey"),
    "charles": ("charlie", "chuck"),
    "christopher": ("chris", "kit"),
    "daniel": ("dan", "danny"),
    "david": ("dave", "davy"),
    "edward": ("ed", "eddie", "ted", "ned"),
    "anthony": ("tony",),
    "andrew": ("andy", "drew"),
    "alexander": ("alex", "sasha", "sascha", "alexandre", "alessandro", "aleksandr", "aleksander"),
    "benjamin": ("ben", "benny"),
    "matthew": ("matt",),
    "nicholas": ("nick", "nicolas", "nico", "nikolas", "niklas"),
    "jonathan": ("jonny",),
    "samuel": ("sam", "sammy"),
    "steven": ("steve", "stephen", "stefan", "stephan"),
    "timothy": ("tim", "timmy"),
    "patrick": ("pat", "paddy"),
    "peter": ("pete",),
    "gregory": ("greg",),
    "kenneth": ("ken", "kenny"),
    "ronald": ("ron", "ronnie"),
    "donald": ("don", "donnie"),
    "frederick": ("fred", "freddie", "freddy"),
    "lawrence": ("larry", "laurence"),
    "leonard": ("leo", "len", "lenny"),
    "raymond": ("ray",),
    "vincent": ("vince", "vinny"),
    "zachary": ("zach", "zack", "zak"),
    "joshua": ("josh",),
    "jeffrey": ("jeff", "geoff", "geoffrey"),
    "philip": ("phil", "phillip"),
    "douglas": ("doug",),
    "gerald": ("gerry", "jerry"),
    "harold": ("harry", "hal"),
    "henry": ("hank",),
    "jacob": ("jake", "jakob", "jakub"),
    "nathaniel": ("nate", "nathan", "nat"),
    "maximilian": ("max",),
    "sebastian": ("seb", "bastian"),
    "margaret": ("maggie", "meg", "peggy", "marge", "greta"),
    "katherine": ("kate", "katie", "kathy", "cathy", "catherine", "kathryn", "katharina", "katarzyna", "kasia"),
    "jennifer": ("jen", "jenny"),
    "jessica": ("jess", "jessie"),
    "rebecca": ("becky", "becca"),
    "susan": ("sue", "susie", "suzanne"),
    "patricia": ("patty", "trish", "tricia"),
    "deborah": ("debbie", "debby", "deb"),
    "victoria": ("vicky", "tori"),
    "abigail": ("abby", "abbie"),
    "samantha": ("sammie",),
    "christina": ("christine", "tina", "kristina", "christy"),
    "alexandra": ("alexa",),
    "jacqueline": ("jackie",),
    "stephanie": ("steph",),
    "kimberly": ("kim",),
    "pamela": ("pam",),
    "dorothy": ("dot", "dottie"),
    "eleanor": ("ellie", "nora", "elle"),
    "josephine": ("jo", "josie"),
    "theodore": ("theo",),
    "francis": ("frank", "frankie", "francesco", "francisco", "franz", "franciszek"),
    "giuseppe": ("beppe", "pino"),
    "wojciech": ("wojtek",),
    "lukasz": ("luke", "lucas", "lukas"),
    "mohammed": ("mohammad", "muhammad", "mohamed", "mohamad"),
}

NICKNAMES: dict[str, str] = {
    variant: canonical for canonical, variants in _GROUPS.items() for variant in variants
}


def canonical_first_name(token: str) -> str:
    """Canonical form of a folded, lower-case first-name token."""
    return NICKNAMES.get(token, token)
