-- Accepted-paper lists (conference format "papers") and the Hugging Face Hub.
-- Same conventions as 0001: natural keys, first_seen set once, last_seen
-- moved every night the record is seen again.

CREATE TABLE IF NOT EXISTS "raw_venue_papers" (
    "source"      VARCHAR NOT NULL,
    "paper_key"   VARCHAR NOT NULL,
    "title"       VARCHAR NOT NULL,
    "venue"       VARCHAR,
    "year"        INTEGER,
    "track"       VARCHAR,
    "status"      VARCHAR,
    "forum_id"    VARCHAR,
    "code_url"    VARCHAR,
    "url"         VARCHAR,
    "abstract"    VARCHAR,
    "keywords"    VARCHAR[],
    "first_seen"  TIMESTAMP NOT NULL,
    "last_seen"   TIMESTAMP NOT NULL,
    PRIMARY KEY ("source", "paper_key")
);

CREATE TABLE IF NOT EXISTS "raw_venue_authors" (
    "source"         VARCHAR NOT NULL,
    "paper_key"      VARCHAR NOT NULL,
    "position"       INTEGER NOT NULL,
    "name"           VARCHAR NOT NULL,
    "affiliation"    VARCHAR,
    "position_title" VARCHAR,
    "links"          STRUCT("kind" VARCHAR, "url" VARCHAR, "value" VARCHAR)[],
    "first_seen"     TIMESTAMP NOT NULL,
    "last_seen"      TIMESTAMP NOT NULL,
    PRIMARY KEY ("source", "paper_key", "position")
);

CREATE TABLE IF NOT EXISTS "raw_hub_repos" (
    "repo_type"     VARCHAR NOT NULL,
    "repo_id"       VARCHAR NOT NULL,
    "author"        VARCHAR,
    "url"           VARCHAR NOT NULL,
    "pipeline_tag"  VARCHAR,
    "library"       VARCHAR,
    "downloads"     BIGINT,
    "likes"         INTEGER,
    "created_at"    TIMESTAMP,
    "last_modified" TIMESTAMP,
    "tags"          VARCHAR[],
    "arxiv_ids"     VARCHAR[],
    "github_urls"   VARCHAR[],
    "query"         VARCHAR,
    "first_seen"    TIMESTAMP NOT NULL,
    "last_seen"     TIMESTAMP NOT NULL,
    PRIMARY KEY ("repo_type", "repo_id")
);

CREATE TABLE IF NOT EXISTS "raw_hub_users" (
    "username"      VARCHAR PRIMARY KEY,
    "url"           VARCHAR NOT NULL,
    "name"          VARCHAR,
    "details"       VARCHAR,
    "is_org"        BOOLEAN,
    "num_models"    INTEGER,
    "num_datasets"  INTEGER,
    "num_spaces"    INTEGER,
    "num_followers" INTEGER,
    "num_papers"    INTEGER,
    "orgs"          VARCHAR[],
    "first_seen"    TIMESTAMP NOT NULL,
    "last_seen"     TIMESTAMP NOT NULL
);
