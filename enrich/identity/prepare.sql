-- Macros shared by the identity-resolution steps (temporary: they live only
-- on the connection that runs resolve()).

-- Fold a string for comparison: letters without accents (NFKD-like, plus the
-- letters that have no decomposition: ł ø đ ı ß æ œ þ), lower case,
-- apostrophes dropped ("O'Neil" -> "oneil"), other punctuation -> space.
CREATE OR REPLACE TEMP MACRO "ir_fold"(s) AS trim(regexp_replace(
    lower(strip_accents(
        replace(replace(replace(replace(replace(replace(
            translate(coalesce(s, ''), 'łŁøØđĐıħĦþÞ', 'lLoOdDihHtT'),
            'ß', 'ss'), 'æ', 'ae'), 'Æ', 'Ae'), 'œ', 'oe'), '''', ''), '’', '')
    )),
    '[^a-z0-9]+', ' ', 'g'));

-- A work's key within its source: the evidence id without its identity prefix
-- ("arxiv:2401.1#2|paper:2401.1" -> "paper:2401.1"), so co-authors share it.
CREATE OR REPLACE TEMP MACRO "ir_work_key"(evidence_id, identity_id) AS
    CASE WHEN starts_with(evidence_id, identity_id || '|')
         THEN substr(evidence_id, length(identity_id) + 2) ELSE evidence_id END;

-- Name tokens without honorifics and suffixes ("Dr. J. Smith Jr." -> [j, smith]).
CREATE OR REPLACE TEMP MACRO "ir_name_tokens"(s) AS list_filter(
    string_split("ir_fold"(s), ' '),
    lambda t: t <> '' AND NOT list_contains(
        ['dr', 'prof', 'professor', 'mr', 'mrs', 'ms', 'miss', 'phd', 'jr', 'sr',
         'ii', 'iii', 'iv', 'md', 'msc', 'bsc', 'mba', 'sir', 'dipl', 'ing'], t));

-- Normalised affiliation tokens: legal forms and generic words removed,
-- and "no employer" values treated as missing.
CREATE OR REPLACE TEMP MACRO "ir_affil_tokens"(s) AS CASE
    WHEN "ir_fold"(s) IN ('', 'none', 'n a', 'na', 'freelance', 'freelancer', 'independent',
                           'self employed', 'selfemployed', 'student', 'retired', 'unemployed',
                           'consultant', 'independent consultant', 'open source', 'private')
    THEN []::VARCHAR[]
    ELSE list_filter(string_split("ir_fold"(s), ' '),
        lambda t: t <> '' AND NOT list_contains(
            ['inc', 'ltd', 'llc', 'gmbh', 'ag', 'sa', 'bv', 'plc', 'corp', 'corporation', 'co',
             'company', 'limited', 'the', 'of', 'and', 'at', 'de', 'der', 'la', 'group'], t))
    END;

-- Agreement level between two names given as (canonical-first) token lists:
-- 4 identical, 3 same first+last (middle dropped) or same tokens reordered,
-- 2 same last name and compatible first (initial, prefix), 1 one name is a
-- single token found in the other, 0 incompatible.
CREATE OR REPLACE TEMP MACRO "ir_name_level"(ta, tb) AS CASE
    WHEN len(ta) = 0 OR len(tb) = 0 THEN 0
    WHEN len(ta) >= 2 AND ta = tb THEN 4
    WHEN len(ta) >= 2 AND len(tb) >= 2
         AND ((ta[1] = tb[1] AND ta[-1] = tb[-1]) OR list_sort(ta) = list_sort(tb)) THEN 3
    WHEN len(ta) >= 2 AND len(tb) >= 2 AND ta[-1] = tb[-1] AND ta[1][1] = tb[1][1]
         AND (length(ta[1]) = 1 OR length(tb[1]) = 1
              OR starts_with(ta[1], tb[1]) OR starts_with(tb[1], ta[1])) THEN 2
    WHEN len(ta) >= 2 AND len(tb) >= 2 AND ta[1] = tb[-1] AND ta[-1][1] = tb[1][1]
         AND (length(ta[-1]) = 1 OR length(tb[1]) = 1) THEN 2
    WHEN len(ta) >= 2 AND len(tb) >= 2 AND tb[1] = ta[-1] AND tb[-1][1] = ta[1][1]
         AND (length(tb[-1]) = 1 OR length(ta[1]) = 1) THEN 2
    WHEN len(ta) = 1 AND length(ta[1]) >= 3 AND list_contains(tb, ta[1]) THEN 1
    WHEN len(tb) = 1 AND length(tb[1]) >= 3 AND list_contains(ta, tb[1]) THEN 1
    ELSE 0
END;

-- Does a handle/login fit a name (raw folded tokens)?  "jdoe", "johndoe",
-- "doej", "john-doe", "disconnect3d" for the name "disconnect3d"; also with a
-- trailing segment after a separator ("praman-ml", "hdubois-dev": GitHub
-- logins often carry a role suffix) and truncated to the first name plus at
-- least three letters of the last ("jennifersmi": GitHub's 39-char habit of
-- people cutting long logins short).
CREATE OR REPLACE TEMP MACRO "ir_login_letters"(login) AS
    regexp_replace(lower(coalesce(login, '')), '[^a-z]', '', 'g');

CREATE OR REPLACE TEMP MACRO "ir_login_forms"(login) AS list_distinct(list_filter(
    ["ir_login_letters"(login),
     "ir_login_letters"(regexp_replace(lower(coalesce(login, '')), '[-_.][a-z0-9]{1,4}$', ''))],
    lambda x: length(x) >= 3));

CREATE OR REPLACE TEMP MACRO "ir_name_forms"(t) AS
    CASE WHEN len(t) = 1 THEN [regexp_replace(t[1], '[^a-z]', '', 'g')]
    ELSE list_transform(
        [t[1] || t[-1], t[-1] || t[1], t[1][1] || t[-1], t[-1] || t[1][1],
         t[1] || t[-1][1], array_to_string(t, ''), t[1][1] || array_to_string(t[2:], '')],
        lambda x: regexp_replace(x, '[^a-z]', '', 'g'))
    END;

-- The forms above plus the truncated one (first name + three letters of the
-- last), as blocking keys for logins.
CREATE OR REPLACE TEMP MACRO "ir_name_keys"(t) AS list_distinct(list_filter(
    list_append("ir_name_forms"(t),
                CASE WHEN len(t) >= 2 AND length(t[-1]) >= 4
                     THEN regexp_replace(t[1] || t[-1][1:3], '[^a-z]', '', 'g') END),
    lambda x: x IS NOT NULL AND length(x) >= 4));

CREATE OR REPLACE TEMP MACRO "ir_login_fits"(login, t) AS (
    len(t) >= 1
    AND (list_has_any("ir_login_forms"(login), "ir_name_forms"(t))
         OR (len(t) >= 2 AND length(t[1]) >= 3 AND length(t[-1]) >= 4
             AND length("ir_login_letters"(login)) >= length(t[1]) + 3
             AND starts_with(regexp_replace(t[1] || t[-1], '[^a-z]', '', 'g'), "ir_login_letters"(login)))));

-- Broad research field of an arXiv category: a namesake signal (a physicist
-- and an HCI researcher with the same name are two people).
CREATE OR REPLACE TEMP MACRO "ir_field"(category) AS CASE
    WHEN regexp_matches(lower(category), '^(cs|stat|math|eess|econ|q-fin)\.[a-z]+$') THEN 'computing'
    WHEN regexp_matches(lower(category), '^(hep-[a-z]+|astro-ph(\.[a-z]+)?|cond-mat(\.[a-z-]+)?|physics\.[a-z-]+|quant-ph|gr-qc|nucl-[a-z]+|nlin\.[a-z]+|math-ph)$') THEN 'physics'
    WHEN regexp_matches(lower(category), '^q-bio(\.[a-z]+)?$') THEN 'biology'
END;

-- Do two normalised affiliation strings name the same organisation?
-- Equal, one's tokens contained in the other's ("lumen bank" in
-- "lumen bank research"), or a near-identical spelling.
CREATE OR REPLACE TEMP MACRO "ir_affil_match"(x, y) AS (
    x = y
    OR list_has_all(string_split(x, ' '), string_split(y, ' '))
    OR list_has_all(string_split(y, ' '), string_split(x, ' '))
    OR jaro_winkler_similarity(x, y) >= 0.94);

-- Any affiliation of one cluster matching any of the other's.
CREATE OR REPLACE TEMP MACRO "ir_affils_agree"(xs, ys) AS
    len(list_filter(xs, lambda x: len(list_filter(ys, lambda y: "ir_affil_match"(x, y))) > 0)) > 0;

-- Two clusters whose full names ('last|first', first at least two letters)
-- share a last name but carry incompatible first names (Jennifer vs John
-- Smith) are two people, whatever else they share.
CREATE OR REPLACE TEMP MACRO "ir_names_conflict"(xs, ys) AS
    len(list_filter(xs, lambda x: len(list_filter(ys, lambda y:
        split_part(x, '|', 1) = split_part(y, '|', 1)
        AND NOT starts_with(split_part(x, '|', 2), split_part(y, '|', 2))
        AND NOT starts_with(split_part(y, '|', 2), split_part(x, '|', 2)))) > 0)) > 0;

-- Name agreement of two records: the better of the canonical-token and
-- as-written comparisons, and level 2 when one side is a GitHub user known
-- only by a login that fits the other's name ("junche" ~ "Jun Chen").
CREATE OR REPLACE TEMP MACRO "ir_pair_level"(ta, tb, ra, rb, login_a, login_b) AS greatest(
    "ir_name_level"(ta, tb), "ir_name_level"(ra, rb),
    CASE WHEN (login_a IS NOT NULL AND login_b IS NULL AND "ir_login_fits"(login_a, rb))
           OR (login_b IS NOT NULL AND login_a IS NULL AND "ir_login_fits"(login_b, ra)) THEN 2 ELSE 0 END);
