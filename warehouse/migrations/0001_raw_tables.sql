-- Raw tables: one per source record type, keyed by the upstream's natural key.
-- first_seen is set once; last_seen moves every night the record is seen again
-- (retention purges on it). Content columns are replaced by the latest version.

CREATE TABLE IF NOT EXISTS "raw_arxiv_papers" (
    "paper_id"         VARCHAR PRIMARY KEY,
    "version"          INTEGER,
    "title"            VARCHAR NOT NULL,
    "abstract"         VARCHAR,
    "categories"       VARCHAR[],
    "primary_category" VARCHAR,
    "published"        TIMESTAMP,
    "updated"          TIMESTAMP,
    "url"              VARCHAR,
    "pdf_url"          VARCHAR,
    "comment"          VARCHAR,
    "journal_ref"      VARCHAR,
    "doi"              VARCHAR,
    "code_urls"        VARCHAR[],
    "query"            VARCHAR,
    "first_seen"       TIMESTAMP NOT NULL,
    "last_seen"        TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS "raw_arxiv_authors" (
    "paper_id"    VARCHAR NOT NULL,
    "position"    INTEGER NOT NULL,
    "name"        VARCHAR NOT NULL,
    "affiliation" VARCHAR,
    "first_seen"  TIMESTAMP NOT NULL,
    "last_seen"   TIMESTAMP NOT NULL,
    PRIMARY KEY ("paper_id", "position")
);

CREATE TABLE IF NOT EXISTS "raw_github_repos" (
    "full_name"   VARCHAR PRIMARY KEY,
    "html_url"    VARCHAR NOT NULL,
    "description" VARCHAR,
    "topics"      VARCHAR[],
    "languages"   STRUCT("name" VARCHAR, "bytes" BIGINT)[],
    "stars"       INTEGER,
    "forks"       INTEGER,
    "pushed_at"   TIMESTAMP,
    "homepage"    VARCHAR,
    "first_seen"  TIMESTAMP NOT NULL,
    "last_seen"   TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS "raw_github_contributions" (
    "repo"          VARCHAR NOT NULL,
    "login"         VARCHAR NOT NULL,
    "contributions" INTEGER,
    "first_seen"    TIMESTAMP NOT NULL,
    "last_seen"     TIMESTAMP NOT NULL,
    PRIMARY KEY ("repo", "login")
);

CREATE TABLE IF NOT EXISTS "raw_github_users" (
    "login"            VARCHAR PRIMARY KEY,
    "html_url"         VARCHAR NOT NULL,
    "user_id"          BIGINT,
    "name"             VARCHAR,
    "company"          VARCHAR,
    "blog"             VARCHAR,
    "location"         VARCHAR,
    "bio"              VARCHAR,
    "twitter_username" VARCHAR,
    "email"            VARCHAR,
    "followers"        INTEGER,
    "public_repos"     INTEGER,
    "created_at"       TIMESTAMP,
    "user_type"        VARCHAR,
    "links"            STRUCT("kind" VARCHAR, "url" VARCHAR, "value" VARCHAR)[],
    "first_seen"       TIMESTAMP NOT NULL,
    "last_seen"        TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS "raw_conference_speakers" (
    "source"      VARCHAR NOT NULL,
    "speaker_key" VARCHAR NOT NULL,
    "name"        VARCHAR NOT NULL,
    "event"       VARCHAR,
    "affiliation" VARCHAR,
    "tagline"     VARCHAR,
    "bio"         VARCHAR,
    "links"       STRUCT("kind" VARCHAR, "url" VARCHAR, "value" VARCHAR)[],
    "talk_keys"   VARCHAR[],
    "first_seen"  TIMESTAMP NOT NULL,
    "last_seen"   TIMESTAMP NOT NULL,
    PRIMARY KEY ("source", "speaker_key")
);

CREATE TABLE IF NOT EXISTS "raw_conference_talks" (
    "source"       VARCHAR NOT NULL,
    "talk_key"     VARCHAR NOT NULL,
    "title"        VARCHAR NOT NULL,
    "event"        VARCHAR,
    "abstract"     VARCHAR,
    "happened_on"  DATE,
    "url"          VARCHAR,
    "track"        VARCHAR,
    "speaker_keys" VARCHAR[],
    "first_seen"   TIMESTAMP NOT NULL,
    "last_seen"    TIMESTAMP NOT NULL,
    PRIMARY KEY ("source", "talk_key")
);

CREATE TABLE IF NOT EXISTS "raw_internal_people" (
    "email"        VARCHAR PRIMARY KEY,
    "name"         VARCHAR NOT NULL,
    "team"         VARCHAR,
    "skills"       VARCHAR[],
    "github_login" VARCHAR,
    "first_seen"   TIMESTAMP NOT NULL,
    "last_seen"    TIMESTAMP NOT NULL
);
