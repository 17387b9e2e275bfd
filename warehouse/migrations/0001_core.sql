-- Spine: the run registry every branch records into, benchmarks, and one quarantine table.
CREATE TABLE IF NOT EXISTS training_runs (
    training_run_id VARCHAR,
    kind VARCHAR,               -- e.g. 'lm_pretrain', 'sft', 'demix_component', 'grpo'
    base_model VARCHAR,         -- config name or checkpoint the run started from
    output_checkpoint VARCHAR,  -- directory written by save_pretrained
    dataset_asset VARCHAR,
    dataset_version VARCHAR,
    config_json VARCHAR,
    status VARCHAR,             -- running | succeeded | failed
    device VARCHAR,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    {{LINEAGE}}
);
CREATE TABLE IF NOT EXISTS training_metrics (
    training_run_id VARCHAR,
    step INTEGER,
    name VARCHAR,
    value DOUBLE,
    {{LINEAGE}}
);
CREATE TABLE IF NOT EXISTS eval_reports (
    report_id VARCHAR,
    subject_kind VARCHAR,       -- training_run | checkpoint | dataset
    subject VARCHAR,
    suite VARCHAR,
    summary_json VARCHAR,
    html_path VARCHAR,
    created_at TIMESTAMP,
    {{LINEAGE}}
);
CREATE TABLE IF NOT EXISTS eval_metrics (
    report_id VARCHAR,
    metric VARCHAR,
    value DOUBLE,
    n BIGINT,
    ci_low DOUBLE,
    ci_high DOUBLE,
    {{LINEAGE}}
);
CREATE TABLE IF NOT EXISTS quarantine (
    record_key VARCHAR,         -- natural key of the bad record, e.g. 'owner/repo#12' or a file path
    reason VARCHAR,
    record_json VARCHAR,        -- what could be read of the record, for debugging
    {{LINEAGE}}
);
CREATE TABLE IF NOT EXISTS benchmarks (
    benchmark VARCHAR,
    metric VARCHAR,
    value DOUBLE,
    unit VARCHAR,
    peer VARCHAR,
    peer_value DOUBLE,
    ratio DOUBLE,
    machine VARCHAR,
    measured_at TIMESTAMP DEFAULT current_timestamp,
    {{LINEAGE}}
);
CREATE TABLE IF NOT EXISTS corpus_documents (
    doc_id VARCHAR,
    origin VARCHAR,             -- stdlib | project_text | user path
    path VARCHAR,
    n_chars BIGINT,
    n_lines BIGINT,
    sha256 VARCHAR,
    {{LINEAGE}}
);
CREATE TABLE IF NOT EXISTS corpus_stats (
    origin VARCHAR,
    n_docs BIGINT,
    n_chars BIGINT,
    n_lines BIGINT,
    n_tokens BIGINT,
    {{LINEAGE}}
);
