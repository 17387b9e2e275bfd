-- Rubric preference data (issue #7): pairs, rubrics, per-criterion scores, totals, rewards.
CREATE TABLE IF NOT EXISTS rubric_pairs (
    pair_id VARCHAR,            -- '<source>:<content hash>'; stable across re-reads
    query VARCHAR,              -- the context both answers reply to (hh-rlhf: shared dialogue prefix)
    answer_a VARCHAR,
    answer_b VARCHAR,
    preferred VARCHAR,          -- 'a' | 'b'
    source VARCHAR,             -- e.g. 'embedded:trainyard', 'hh-rlhf', 'deep_research_bench'
    language VARCHAR,           -- 'en' | 'zh' | 'mixed'
    split VARCHAR,              -- 'train' (fits the learned generator) | 'test' (metrics)
    {{LINEAGE}}
);
CREATE TABLE IF NOT EXISTS rubrics (
    rubric_id VARCHAR,          -- '<generator>:<query hash>'
    generator VARCHAR,          -- generic | template | llm | learned
    generator_id VARCHAR,       -- which model/template produced it (e.g. 'template', 'openai:gpt-x')
    query VARCHAR,              -- one query the rubric was written for
    n_criteria INTEGER,
    rubric_json VARCHAR,        -- DeepResearch Bench format, validated before writing
    {{LINEAGE}}
);
CREATE TABLE IF NOT EXISTS rubric_scores (
    pair_id VARCHAR,
    rubric_id VARCHAR,
    generator VARCHAR,
    scorer VARCHAR,             -- 'offline:minilm+rules' or 'judge:<backend>'
    criterion_idx INTEGER,      -- position in the rubric's flattened criteria
    dimension VARCHAR,
    criterion VARCHAR,
    check_name VARCHAR,         -- offline-scorer check ('' = semantic similarity)
    weight DOUBLE,              -- effective weight = dimension weight × criterion weight (sums to 1)
    score_a DOUBLE,             -- criterion score of answer A, in [0, 1]
    score_b DOUBLE,
    {{LINEAGE}}
);
CREATE TABLE IF NOT EXISTS rubric_totals (
    pair_id VARCHAR,
    rubric_id VARCHAR,
    generator VARCHAR,
    scorer VARCHAR,
    split VARCHAR,
    source VARCHAR,
    language VARCHAR,
    total_preferred DOUBLE,     -- Σ weight × score of the human-preferred answer
    total_rejected DOUBLE,
    correct DOUBLE,             -- 1 preferred total higher, 0.5 tie, 0 lower
    {{LINEAGE}}
);
CREATE TABLE IF NOT EXISTS rubric_rewards (
    query_key VARCHAR,          -- hash of the query
    rubric_id VARCHAR,
    generator VARCHAR,
    n_pairs INTEGER,            -- this query's pairs the consistency is measured on
    consistency DOUBLE,         -- mean over pairs of sigmoid(margin / temperature), preferred − rejected
    judge_quality DOUBLE,       -- judge's 0–1 rating of the rubric itself
    format_valid DOUBLE,        -- 1 valid DRB format, 0 rejected
    reward DOUBLE,              -- weighted sum with weights_json
    weights_json VARCHAR,
    {{LINEAGE}}
);
