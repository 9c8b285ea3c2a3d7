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
    WHEN len(ta) = 1 AND length(ta[1]) >= 3 AND list_contains(tb, ta[1]) THEN 1
    WHEN len(tb) = 1 AND length(tb[1]) >= 3 AND list_contains(ta, tb[1]) THEN 1
    ELSE 0
END;

-- Does a handle/login fit a name (raw folded tokens)?  "jdoe", "johndoe",
-- "doej", "john-doe", "disconnect3d" for the name "disconnect3d".
CREATE OR REPLACE TEMP MACRO "ir_login_fits"(login, t) AS (
    len(t) >= 1
    AND length(regexp_replace(lower(coalesce(login, '')), '[^a-z]', '', 'g')) >= 3
    AND list_contains(
        CASE WHEN len(t) = 1 THEN [regexp_replace(t[1], '[^a-z]', '', 'g')]
        ELSE list_transform(
            [t[1] || t[-1], t[-1] || t[1], t[1][1] || t[-1], t[-1] || t[1][1],
             t[1] || t[-1][1], array_to_string(t, ''), t[1][1] || array_to_string(t[2:], '')],
            lambda x: regexp_replace(x, '[^a-z]', '', 'g'))
        END,
        regexp_replace(lower(login), '[^a-z]', '', 'g')));
