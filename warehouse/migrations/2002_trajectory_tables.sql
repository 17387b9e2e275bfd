-- Trajectories branch (#4): task statements, trajectories, gate decisions, dataset rows, SFT inputs.
-- source_key on every row: the PR key(s) "owner/repo#N" it came from (comma-separated for chains).
CREATE TABLE IF NOT EXISTS trajectory_tasks (
    task_id VARCHAR,            -- "owner/repo#N" (PR) or "owner/repo/chain/ID" (chain)
    kind VARCHAR,               -- pr | chain
    repo VARCHAR,
    pr_keys VARCHAR[],          -- PRs the task came from, in chain order
    task_text VARCHAR,          -- the issue-voice statement (no implementation)
    generator VARCHAR,          -- template | openai:<model> | transformers:<path> | vllm:<model>
    leak_score DOUBLE,          -- share of task 5-grams copied from the diff's added lines (1 = verbatim line)
    leak_detail VARCHAR,
    {{LINEAGE}}
);
CREATE TABLE IF NOT EXISTS trajectories (
    trajectory_id VARCHAR,      -- task_id + "/cand<k>" (k = rejection-sampling candidate)
    task_id VARCHAR,
    kind VARCHAR,
    repo VARCHAR,
    pr_keys VARCHAR[],
    generator VARCHAR,          -- who wrote the thoughts
    score DOUBLE,               -- rejection-sampling score (0..1)
    n_messages INTEGER,
    n_tool_calls INTEGER,
    n_self_corrections INTEGER, -- review-driven fix steps
    n_real_observations INTEGER,      -- search/open_file from git
    n_replayed_observations INTEGER,  -- edit_file with the real hunks
    n_synthetic_observations INTEGER, -- run_tests/submit: derived, never executed
    files INTEGER,
    hunks INTEGER,
    lines INTEGER,
    chain_length INTEGER,
    difficulty VARCHAR,         -- easy | medium | hard
    tags VARCHAR[],             -- files:N hunks:N lines:N chain:N level:X
    notes VARCHAR[],            -- replay notes (binary files skipped, fallbacks)
    messages_json VARCHAR,      -- OpenAI chat/tool-call messages
    observation_kinds_json VARCHAR,
    {{LINEAGE}}
);
CREATE TABLE IF NOT EXISTS trajectory_decisions (
    item_id VARCHAR,            -- trajectory id or task id
    task_id VARCHAR,
    gate VARCHAR,               -- swe_master | rejection_sampling | difficulty | dedup | contamination
    keep BOOLEAN,
    reason VARCHAR,
    score DOUBLE,
    {{LINEAGE}}
);
CREATE TABLE IF NOT EXISTS trajectory_dataset (
    trajectory_id VARCHAR,
    task_id VARCHAR,
    repo VARCHAR,
    pr_keys VARCHAR[],
    split VARCHAR,              -- train | heldout
    split_unit VARCHAR,         -- repository | pr_component (one repository only)
    export_dir VARCHAR,         -- JSONL/Parquet files
    {{LINEAGE}}
);
CREATE TABLE IF NOT EXISTS trajectory_run_inputs (
    training_run_id VARCHAR,
    trajectory_id VARCHAR,
    split VARCHAR,
    {{LINEAGE}}
);
