-- GitHub (#14): merge-base diffs, blame-backed PR-chain edges with their evidence, title and
-- author provenance. Adds columns (1001 stays as it was) and one table.
ALTER TABLE github_pull_requests ADD COLUMN IF NOT EXISTS merge_base_sha VARCHAR;  -- the diff's start: merge base of the merge's parents / squash parent
ALTER TABLE github_pull_requests ADD COLUMN IF NOT EXISTS title_source VARCHAR;    -- api | merge_body | commit_subject | branch_name | merge_subject
ALTER TABLE github_pull_requests ADD COLUMN IF NOT EXISTS author_kind VARCHAR;     -- github_login (API) | git_name (local clone)
ALTER TABLE github_pull_requests ADD COLUMN IF NOT EXISTS author_login VARCHAR;    -- GitHub login when known, else ''
ALTER TABLE github_pr_chain_edges ADD COLUMN IF NOT EXISTS evidence_path VARCHAR;  -- first blame evidence: file (old side)
ALTER TABLE github_pr_chain_edges ADD COLUMN IF NOT EXISTS evidence_lines VARCHAR; -- its line range at the later PR's merge base, 'a-b'
ALTER TABLE github_pr_chain_edges ADD COLUMN IF NOT EXISTS evidence_sha VARCHAR;   -- the commit git blame attributes those lines to
ALTER TABLE github_pr_chain_edges ADD COLUMN IF NOT EXISTS n_evidence INTEGER;     -- blame evidence ranges behind the edge (0: textual reasons only)
-- Every blame link found at scan time (local clones): PR `number` rewrites lines
-- line_start..line_end of `path` at base_sha that git blame attributes to blamed_sha, a commit of
-- PR `from_pr` (an ancestor of base_sha). Chains use the ones inside their time window.
CREATE TABLE IF NOT EXISTS github_pr_blame_links (
    repo VARCHAR,
    number INTEGER,             -- the later PR
    from_pr INTEGER,            -- the PR that last wrote those lines
    path VARCHAR,
    line_start INTEGER,
    line_end INTEGER,
    blamed_sha VARCHAR,
    base_sha VARCHAR,           -- the later PR's merge base, where blame ran
    {{LINEAGE}}
);
