-- Trajectories branch (#4): LLM prompt-hash cache, synthesized tasks, trajectories, gate decisions.
CREATE TABLE IF NOT EXISTS llm_cache (
    cache_key VARCHAR,          -- sha256 of backend id + task + messages + sampling params
    backend_id VARCHAR,
    task VARCHAR,               -- request task name (task_statement, thought, rubric, ...)
    completions_json VARCHAR,   -- JSON list of completion texts
    generator VARCHAR,
    created_at TIMESTAMP,
    {{LINEAGE}}
);
