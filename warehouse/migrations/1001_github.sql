-- GitHub branch (#3): repositories, pull requests, files, commits, reviews, comments, issues,
-- PR chains and sync cursors. Natural keys: (repo), (repo, number), (repo, number, path),
-- (repo, sha), (repo, review_id), (repo, kind, comment_id), (repo, chain_id).
CREATE TABLE IF NOT EXISTS github_repositories (
    repo VARCHAR,               -- "owner/name" (the partition key)
    default_branch VARCHAR,
    description VARCHAR,
    head_sha VARCHAR,           -- local clone: HEAD; API: empty
    source VARCHAR,             -- github_api | local_clone
    url VARCHAR,                -- html_url, or the local path
    updated_at TIMESTAMP,
    {{LINEAGE}}
);
CREATE TABLE IF NOT EXISTS github_pull_requests (
    repo VARCHAR,
    number INTEGER,
    title VARCHAR,
    body VARCHAR,
    state VARCHAR,              -- open | closed | merged
    author VARCHAR,
    created_at TIMESTAMP,
    updated_at TIMESTAMP,
    merged_at TIMESTAMP,
    closed_at TIMESTAMP,
    base_ref VARCHAR,
    head_ref VARCHAR,
    base_sha VARCHAR,
    head_sha VARCHAR,
    merge_commit_sha VARCHAR,
    merge_style VARCHAR,        -- merge_commit | squash (local clone) | api
    labels VARCHAR[],
    commit_shas VARCHAR[],      -- the PR's own commits, oldest first
    duplicate_shas VARCHAR[],   -- other commits carrying the same number (cherry-picks)
    linked_issues INTEGER[],    -- issues named after closing keywords
    source VARCHAR,
    -- task-mining flags (SWE-rebench style): recorded, never used to delete rows
    is_merged BOOLEAN,
    n_linked_issues INTEGER,
    links_one_issue BOOLEAN,
    touches_tests BOOLEAN,
    touches_code BOOLEAN,       -- non-test source files
    n_files INTEGER,
    files_1_to_15 BOOLEAN,
    language VARCHAR,           -- dominant language of the changed non-test code files
    task_candidate BOOLEAN,     -- all of: merged, one issue, tests + code, 1-15 files
    {{LINEAGE}}
);
CREATE TABLE IF NOT EXISTS github_pr_files (
    repo VARCHAR,
    number INTEGER,
    path VARCHAR,               -- as given by the source; never used as a filesystem path
    previous_path VARCHAR,
    status VARCHAR,             -- added | modified | removed | renamed | copied
    additions INTEGER,
    deletions INTEGER,
    patch VARCHAR,              -- unified-diff hunks; NULL when binary or too large
    is_binary BOOLEAN,
    patch_too_large BOOLEAN,
    patch_bytes BIGINT,
    patch_artifact VARCHAR,     -- path of the full patch under the artifacts root when too large
    is_test BOOLEAN,
    language VARCHAR,
    {{LINEAGE}}
);
CREATE TABLE IF NOT EXISTS github_commits (
    repo VARCHAR,
    sha VARCHAR,
    parents VARCHAR[],
    author VARCHAR,
    message VARCHAR,
    authored_at TIMESTAMP,
    pr_number INTEGER,          -- NULL for direct commits
    {{LINEAGE}}
);
CREATE TABLE IF NOT EXISTS github_reviews (
    repo VARCHAR,
    number INTEGER,
    review_id BIGINT,
    author VARCHAR,
    state VARCHAR,              -- APPROVED | CHANGES_REQUESTED | COMMENTED | ...
    body VARCHAR,
    commit_id VARCHAR,
    created_at TIMESTAMP,
    {{LINEAGE}}
);
CREATE TABLE IF NOT EXISTS github_comments (
    repo VARCHAR,
    number INTEGER,
    kind VARCHAR,               -- review (inline, has path/line) | issue (conversation)
    comment_id BIGINT,
    review_id BIGINT,
    author VARCHAR,
    body VARCHAR,
    path VARCHAR,
    line INTEGER,
    commit_id VARCHAR,
    created_at TIMESTAMP,
    {{LINEAGE}}
);
CREATE TABLE IF NOT EXISTS github_issues (
    repo VARCHAR,
    number INTEGER,
    title VARCHAR,
    body VARCHAR,
    state VARCHAR,
    author VARCHAR,
    created_at TIMESTAMP,
    closed_at TIMESTAMP,
    labels VARCHAR[],
    {{LINEAGE}}
);
CREATE TABLE IF NOT EXISTS github_pr_chains (
    repo VARCHAR,
    chain_id VARCHAR,           -- PR numbers joined by '-', unique within a repository
    pr_numbers INTEGER[],       -- in order
    length INTEGER,
    span_days DOUBLE,           -- first PR created -> last PR merged
    files_touched VARCHAR[],
    reasons VARCHAR[],          -- edge reason kinds on the chain, sorted, unique
    {{LINEAGE}}
);
CREATE TABLE IF NOT EXISTS github_pr_chain_edges (
    repo VARCHAR,
    chain_id VARCHAR,
    position INTEGER,           -- 0-based edge index along the chain
    from_pr INTEGER,
    to_pr INTEGER,
    reason VARCHAR,             -- e.g. 'file_succession(a.py); reverts'
    {{LINEAGE}}
);
CREATE TABLE IF NOT EXISTS github_sync_cursors (
    repo VARCHAR,
    source VARCHAR,
    cursor_updated_at TIMESTAMP, -- API: updated_at of the last fully written PR
    cursor_number INTEGER,       -- tie-break for equal updated_at
    head_sha VARCHAR,            -- local clone: HEAD at the last scan
    prs_written BIGINT,          -- PRs written by the last run
    requests BIGINT,             -- HTTP requests made by the last run (API)
    not_modified BIGINT,         -- of which 304 Not Modified (free of rate limit)
    status VARCHAR,              -- running | complete | failed
    synced_at TIMESTAMP,
    {{LINEAGE}}
);
