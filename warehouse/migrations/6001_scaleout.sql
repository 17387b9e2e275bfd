-- Scale-out: the spine-level partitioned workload that demonstrates backfills across workers.
CREATE TABLE IF NOT EXISTS scaleout_doc_signatures (
    shard VARCHAR,              -- partition key, e.g. 'shard-03'
    doc_id VARCHAR,
    n_chars BIGINT,
    n_lines BIGINT,
    n_tokens BIGINT,
    sha256 VARCHAR,
    minhash VARCHAR,            -- hex of the min-hash signature (rounds x 64-bit)
    {{LINEAGE}}
);
