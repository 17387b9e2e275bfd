-- Execution-verified tasks: per-PR validation in the sandbox (tests before/after), per-test outcomes
-- and labels, and the test environments they ran in. source_key: the PR key "owner/repo#N"
-- (task_environments: the recipe key).
CREATE TABLE IF NOT EXISTS task_environments (
    env_id VARCHAR,             -- recipe key: sha256 of (python, requirements)[:16]
    repo VARCHAR,               -- the repository that first needed it
    python VARCHAR,
    requirements VARCHAR[],     -- what the recipe asked for (runtime + test, lint/docs tools left out)
    resolved_json VARCHAR,      -- {name: version} as installed
    recipe_json VARCHAR,        -- sources read, skipped requirements, import roots, version files
    status VARCHAR,             -- ready | failed
    error_tail VARCHAR,         -- last lines of the installer's error when failed
    built_seconds DOUBLE,       -- 0 when reused from the cache
    {{LINEAGE}}
);
CREATE TABLE IF NOT EXISTS task_validations (
    task_id VARCHAR,            -- "owner/repo#N"
    repo VARCHAR,
    pr_number BIGINT,
    title VARCHAR,
    author VARCHAR,
    base_sha VARCHAR,           -- the state the PR was applied to (first parent of the merge)
    merge_sha VARCHAR,          -- the merge result
    status VARCHAR,             -- filtered | not_selected | verified | unverified | timeout | env_failed | error
    reason VARCHAR,             -- why (the filter's reason, the missing FAIL_TO_PASS, the limit hit...)
    env_id VARCHAR,
    test_files VARCHAR[],       -- the test files the PR touches (what ran)
    n_fail_to_pass INTEGER,
    n_pass_to_pass INTEGER,
    n_regressions INTEGER,
    n_flaky INTEGER,
    n_runs INTEGER,
    fail_to_pass VARCHAR[],     -- test ids (classname::name)
    final_output VARCHAR,       -- output of the last run (FAIL_TO_PASS tests alone, at the merge)
    after_output VARCHAR,       -- output of the touched tests at the merge (first run)
    before_messages VARCHAR[],  -- failure messages of FAIL_TO_PASS tests at the base (what the tests pin down)
    limits_json VARCHAR,        -- sandbox limits
    seconds DOUBLE,             -- wall clock of the validation
    cpu_seconds DOUBLE,         -- CPU of its sandboxed test runs, measured inside the sandbox
    {{LINEAGE}}
);
CREATE TABLE IF NOT EXISTS task_test_results (
    task_id VARCHAR,
    test_id VARCHAR,            -- classname::name from pytest's JUnit XML
    phase VARCHAR,              -- before | after | final
    run INTEGER,
    outcome VARCHAR,            -- passed | failed | error | skipped
    duration_s DOUBLE,
    message VARCHAR,
    label VARCHAR,              -- FAIL_TO_PASS | PASS_TO_PASS | REGRESSION | FAIL_TO_FAIL | FLAKY | SKIPPED
    {{LINEAGE}}
);
