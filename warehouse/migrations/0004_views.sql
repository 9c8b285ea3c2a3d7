-- The documented surface: source_identities -> identities, identity_links,
-- evidence, people. Views only: they always reflect the raw tables and the
-- latest identity resolution (identity_person). Until resolution has run,
-- identity_person is empty and every identity is its own person.

CREATE OR REPLACE VIEW "source_identities" AS
SELECT 'arxiv:' || a."paper_id" || '#' || a."position"  AS "identity_id",
       'arxiv'                                            AS "source",
       'arxiv'                                            AS "source_kind",
       a."paper_id" || '#' || a."position"                AS "source_key",
       a."name", a."affiliation",
       NULL::VARCHAR AS "headline", NULL::VARCHAR AS "bio", NULL::VARCHAR AS "location",
       p."url", NULL::VARCHAR AS "email",
       a."first_seen", a."last_seen", FALSE AS "is_internal"
FROM "raw_arxiv_authors" a JOIN "raw_arxiv_papers" p USING ("paper_id")
UNION ALL
SELECT 'github:' || l."login", 'github', 'github', l."login",
       coalesce(u."name", l."login"), u."company", u."bio", u."bio", u."location",
       coalesce(u."html_url", 'https://github.com/' || l."login"), u."email",
       l."first_seen", l."last_seen", FALSE
FROM (SELECT "login", min("first_seen") AS "first_seen", max("last_seen") AS "last_seen"
      FROM (SELECT "login", "first_seen", "last_seen" FROM "raw_github_users"
            UNION ALL
            SELECT "login", "first_seen", "last_seen" FROM "raw_github_contributions")
      GROUP BY "login") l
LEFT JOIN "raw_github_users" u USING ("login")
UNION ALL
SELECT s."source" || ':' || s."speaker_key", s."source", 'conference', s."speaker_key",
       s."name", s."affiliation", s."tagline", s."bio", NULL,
       u."url", NULL, s."first_seen", s."last_seen", FALSE
FROM "raw_conference_speakers" s
-- a speaker's url: their first talk's page. A join on the unnested talk keys,
-- not a correlated subquery: that one compared every speaker with every talk
-- (67 s per read of this view at 100k people, and every night reads it often)
LEFT JOIN (
    SELECT sk."source", sk."speaker_key", min(t."url") AS "url"
    FROM (SELECT "source", "speaker_key", unnest("talk_keys") AS "talk_key" FROM "raw_conference_speakers") sk
    JOIN "raw_conference_talks" t ON t."source" = sk."source" AND t."talk_key" = sk."talk_key"
    GROUP BY sk."source", sk."speaker_key"
) u ON u."source" = s."source" AND u."speaker_key" = s."speaker_key"
UNION ALL
SELECT 'internal:' || i."email", 'internal', 'internal', i."email",
       i."name", i."team", i."team", NULL, NULL, NULL, i."email",
       i."first_seen", i."last_seen", TRUE
FROM "raw_internal_people" i
UNION ALL
SELECT a."source" || ':' || a."paper_key" || '#' || a."position", a."source", 'venue',
       a."paper_key" || '#' || a."position",
       a."name", a."affiliation", a."position_title", NULL, NULL, p."url",
       [l."value" FOR l IN a."links" IF l."kind" = 'email'][1],
       a."first_seen", a."last_seen", FALSE
FROM "raw_venue_authors" a JOIN "raw_venue_papers" p USING ("source", "paper_key")
UNION ALL
SELECT 'huggingface:' || u."username", 'huggingface', 'huggingface', u."username",
       coalesce(u."name", u."username"), NULL, u."details", u."details", NULL, u."url", NULL,
       u."first_seen", u."last_seen", FALSE
FROM "raw_hub_users" u WHERE NOT coalesce(u."is_org", FALSE);

CREATE OR REPLACE VIEW "identities" AS
SELECT s."identity_id",
       coalesce(ip."person_id", s."identity_id") AS "person_id",
       s."source", s."source_kind", s."source_key", s."name", s."affiliation",
       s."headline", s."bio", s."location", s."url", s."email",
       s."first_seen", s."last_seen", s."is_internal",
       ip."confidence" AS "link_confidence", ip."reason" AS "link_reason"
FROM "source_identities" s
LEFT JOIN "identity_person" ip USING ("identity_id");

-- Strong identifiers per identity (normalised by the loaders / sources.links).
CREATE OR REPLACE VIEW "identity_links" AS
SELECT 'github:' || u."login" AS "identity_id", 'github' AS "kind", u."login" AS "value", u."html_url" AS "url"
FROM "raw_github_users" u
UNION ALL
SELECT 'github:' || u."login", l."kind", l."value", l."url"
FROM "raw_github_users" u, unnest(u."links") AS t(l)
WHERE l."value" IS NOT NULL
UNION ALL
SELECT s."source" || ':' || s."speaker_key", l."kind", l."value", l."url"
FROM "raw_conference_speakers" s, unnest(s."links") AS t(l)
WHERE l."value" IS NOT NULL
UNION ALL
SELECT 'internal:' || i."email", 'email', i."email", 'mailto:' || i."email"
FROM "raw_internal_people" i
UNION ALL
SELECT 'internal:' || i."email", 'github', i."github_login", 'https://github.com/' || i."github_login"
FROM "raw_internal_people" i WHERE i."github_login" IS NOT NULL
UNION ALL
SELECT 'arxiv:' || a."paper_id" || '#' || a."position", 'paper_code_github',
       lower(regexp_extract(c."url", 'github\.com/([A-Za-z0-9][A-Za-z0-9-]*)', 1)), c."url"
FROM "raw_arxiv_authors" a
JOIN (SELECT "paper_id", unnest("code_urls") AS "url" FROM "raw_arxiv_papers") c USING ("paper_id")
WHERE regexp_extract(c."url", 'github\.com/([A-Za-z0-9][A-Za-z0-9-]*)', 1) <> ''
UNION ALL
SELECT a."source" || ':' || a."paper_key" || '#' || a."position", l."kind", l."value", l."url"
FROM "raw_venue_authors" a, unnest(a."links") AS t(l)
WHERE l."value" IS NOT NULL
UNION ALL
SELECT a."source" || ':' || a."paper_key" || '#' || a."position", 'paper_code_github',
       lower(regexp_extract(p."code_url", 'github\.com/([A-Za-z0-9][A-Za-z0-9-]*)', 1)), p."code_url"
FROM "raw_venue_authors" a JOIN "raw_venue_papers" p USING ("source", "paper_key")
WHERE regexp_extract(coalesce(p."code_url", ''), 'github\.com/([A-Za-z0-9][A-Za-z0-9-]*)', 1) <> ''
UNION ALL
SELECT 'huggingface:' || u."username", 'huggingface', u."username", u."url"
FROM "raw_hub_users" u WHERE NOT coalesce(u."is_org", FALSE)
UNION ALL
-- a GitHub URL in a card: the user's own account only when the login is their
-- Hub username; otherwise a hint (a repo they used or built with others)
SELECT DISTINCT 'huggingface:' || r."author",
       CASE WHEN lower(regexp_extract(g."url", 'github\.com/([A-Za-z0-9][A-Za-z0-9-]*)', 1)) = r."author"
            THEN 'github' ELSE 'hub_github' END,
       lower(regexp_extract(g."url", 'github\.com/([A-Za-z0-9][A-Za-z0-9-]*)', 1)), g."url"
FROM "raw_hub_repos" r
JOIN "raw_hub_users" u ON u."username" = r."author" AND NOT coalesce(u."is_org", FALSE),
     unnest(r."github_urls") AS g("url")
WHERE regexp_extract(g."url", 'github\.com/([A-Za-z0-9][A-Za-z0-9-]*)', 1) <> ''
UNION ALL
SELECT DISTINCT 'huggingface:' || r."author", 'arxiv_paper', x."id", 'https://arxiv.org/abs/' || x."id"
FROM "raw_hub_repos" r
JOIN "raw_hub_users" u ON u."username" = r."author" AND NOT coalesce(u."is_org", FALSE),
     unnest(r."arxiv_ids") AS x("id");

CREATE OR REPLACE VIEW "source_evidence" AS
SELECT 'arxiv:' || a."paper_id" || '#' || a."position" AS "identity_id",
       'arxiv' AS "source", 'paper' AS "kind",
       'paper:' || a."paper_id" AS "work_key",
       p."title", p."url", p."published"::DATE AS "happened_on",
       concat_ws(' ', p."abstract", p."comment") AS "text",
       p."categories" AS "tags", NULL::INTEGER AS "amount",
       coalesce(p."journal_ref", p."primary_category") AS "venue"
FROM "raw_arxiv_authors" a JOIN "raw_arxiv_papers" p USING ("paper_id")
UNION ALL
SELECT 'arxiv:' || a."paper_id" || '#' || a."position", 'arxiv', 'repo',
       'code:' || a."paper_id" || ':' || c."url",
       'code for "' || p."title" || '"', c."url", p."published"::DATE,
       p."abstract", p."categories", NULL, coalesce(p."journal_ref", p."primary_category")
FROM "raw_arxiv_authors" a JOIN "raw_arxiv_papers" p USING ("paper_id"),
     unnest(p."code_urls") AS c("url")
UNION ALL
SELECT 'github:' || c."login", 'github', 'contribution',
       'contribution:' || c."repo",
       r."full_name", r."html_url" || '/commits?author=' || c."login", r."pushed_at"::DATE,
       r."description",
       list_concat(coalesce(r."topics", []), coalesce([l."name" FOR l IN r."languages"], [])),
       c."contributions", r."full_name"
FROM "raw_github_contributions" c JOIN "raw_github_repos" r ON r."full_name" = c."repo"
UNION ALL
SELECT 'github:' || u."login", 'github', 'profile', 'profile:github:' || u."login",
       'GitHub profile ' || u."login", u."html_url", u."created_at"::DATE,
       concat_ws(' ', u."bio", u."company"), []::VARCHAR[], u."followers", NULL
FROM "raw_github_users" u
UNION ALL
SELECT s."source" || ':' || s."speaker_key", s."source", 'talk',
       'talk:' || s."source" || ':' || t."talk_key",
       t."title", t."url", t."happened_on", t."abstract",
       CASE WHEN t."track" IS NULL THEN []::VARCHAR[] ELSE [t."track"] END, NULL,
       coalesce(t."event", s."event", s."source")
-- a speaker gives a talk when either side lists the other: equi-joins on the
-- unnested keys (a join on list_contains compared every speaker with every talk)
FROM (
    SELECT DISTINCT "source", "speaker_key", "talk_key" FROM (
        SELECT "source", "speaker_key", unnest("talk_keys") AS "talk_key" FROM "raw_conference_speakers"
        UNION ALL
        SELECT "source", unnest("speaker_keys") AS "speaker_key", "talk_key" FROM "raw_conference_talks")
) st
JOIN "raw_conference_speakers" s ON s."source" = st."source" AND s."speaker_key" = st."speaker_key"
JOIN "raw_conference_talks" t ON t."source" = st."source" AND t."talk_key" = st."talk_key"
UNION ALL
SELECT s."source" || ':' || s."speaker_key", s."source", 'profile',
       'profile:' || s."source" || ':' || s."speaker_key",
       coalesce(s."tagline", 'Speaker profile'), NULL, NULL,
       concat_ws(' ', s."tagline", s."affiliation", s."bio"), []::VARCHAR[], NULL,
       coalesce(s."event", s."source")
FROM "raw_conference_speakers" s
WHERE s."tagline" IS NOT NULL OR s."bio" IS NOT NULL
UNION ALL
SELECT 'internal:' || i."email", 'internal', 'profile', 'profile:internal:' || i."email",
       'Internal: ' || coalesce(i."team", 'unknown team'), NULL, NULL,
       concat_ws(' ', i."team", array_to_string(i."skills", ', ')), i."skills", NULL, 'internal'
FROM "raw_internal_people" i
UNION ALL
SELECT a."source" || ':' || a."paper_key" || '#' || a."position", a."source", 'paper',
       'venue_paper:' || a."source" || ':' || a."paper_key",
       p."title", p."url", NULL::DATE, p."abstract", coalesce(p."keywords", []::VARCHAR[]), NULL,
       coalesce(p."venue", p."source")
FROM "raw_venue_authors" a JOIN "raw_venue_papers" p USING ("source", "paper_key")
UNION ALL
SELECT a."source" || ':' || a."paper_key" || '#' || a."position", a."source", 'repo',
       'code:' || a."source" || ':' || a."paper_key",
       'code for "' || p."title" || '"', p."code_url", NULL::DATE, p."abstract",
       coalesce(p."keywords", []::VARCHAR[]), NULL, coalesce(p."venue", p."source")
FROM "raw_venue_authors" a JOIN "raw_venue_papers" p USING ("source", "paper_key")
WHERE p."code_url" IS NOT NULL
UNION ALL
SELECT 'huggingface:' || r."author", 'huggingface', r."repo_type",
       'hub:' || r."repo_type" || ':' || r."repo_id",
       r."repo_id", r."url", r."last_modified"::DATE,
       concat_ws(' ', r."repo_id", r."pipeline_tag", r."library"),
       list_filter(list_concat(coalesce(r."tags", []::VARCHAR[]), [r."pipeline_tag", r."library"]),
                   lambda t: t IS NOT NULL AND NOT starts_with(t, 'region:')),
       least(r."downloads", 2147483647)::INTEGER, 'Hugging Face Hub'
FROM "raw_hub_repos" r
JOIN "raw_hub_users" u ON u."username" = r."author" AND NOT coalesce(u."is_org", FALSE)
UNION ALL
SELECT 'huggingface:' || u."username", 'huggingface', 'profile', 'profile:huggingface:' || u."username",
       'Hugging Face profile ' || u."username", u."url", NULL::DATE,
       u."details", []::VARCHAR[], u."num_followers", 'Hugging Face Hub'
FROM "raw_hub_users" u
WHERE NOT coalesce(u."is_org", FALSE) AND u."details" IS NOT NULL;

-- Every evidence row's identity is a source identity: each branch above reads
-- the same rows as its branch of `source_identities`.  So the person is looked
-- up in `identity_person` directly, as `identities` does, without evaluating
-- `identities` (every source identity, for a join key: a third of each read
-- of this view, which identity resolution and ranking read every night).
CREATE OR REPLACE VIEW "evidence" AS
SELECT e."identity_id" || '|' || e."work_key" AS "evidence_id",
       e."identity_id", coalesce(ip."person_id", e."identity_id") AS "person_id",
       e."source", e."kind", e."title", e."url",
       e."happened_on", e."text", e."tags", e."amount", e."venue"
FROM "source_evidence" e LEFT JOIN "identity_person" ip USING ("identity_id");

-- One display value per person, deterministically: names prefer a non-arXiv
-- record (arXiv often abbreviates), then the accented spelling, then the
-- longest; other fields prefer the most recently seen value.
CREATE OR REPLACE VIEW "people" AS
SELECT "person_id",
       arg_max("name", ("source_kind" <> 'arxiv', strip_accents("name") <> "name", length("name"), "name")) AS "name",
       list(DISTINCT "source" ORDER BY "source") AS "sources",
       count(*) AS "n_identities",
       min("first_seen") AS "first_seen",
       max("last_seen") AS "last_seen",
       bool_or("is_internal") AS "is_internal",
       arg_max("affiliation", ("last_seen", "affiliation")) FILTER (WHERE nullif(trim("affiliation"), '') IS NOT NULL) AS "affiliation",
       arg_max("location", ("last_seen", "location")) FILTER (WHERE nullif(trim("location"), '') IS NOT NULL) AS "location",
       arg_max("headline", ("last_seen", "headline")) FILTER (WHERE nullif(trim("headline"), '') IS NOT NULL) AS "headline"
FROM "identities"
GROUP BY "person_id";
