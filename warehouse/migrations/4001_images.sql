-- Images (issue #6): ISC-style copy detection between a benchmark set and a reference corpus.
CREATE TABLE IF NOT EXISTS image_files (
    image_id VARCHAR,           -- path relative to the source root (or the listing's image_id)
    role VARCHAR,               -- benchmark | reference
    path VARCHAR,
    width INTEGER,              -- pixels after EXIF rotation
    height INTEGER,
    original_mode VARCHAR,      -- PIL mode before normalisation to RGB (CMYK, I;16, P, RGBA, ...)
    notes VARCHAR,              -- normalisations applied, comma-separated (exif_rotated_6, alpha_on_white, ...)
    n_vectors INTEGER,          -- descriptor vectors stored (keypoints for rootsift, incl. mirrored view)
    descriptor VARCHAR,
    {{LINEAGE}}
);
CREATE TABLE IF NOT EXISTS image_duplicate_pairs (
    query_id VARCHAR,           -- benchmark image id
    reference_id VARCHAR,       -- matched image id (reference corpus, or benchmark when kind = 'within_benchmark')
    kind VARCHAR,               -- against_reference | within_benchmark
    score DOUBLE,               -- the thresholded score: raw cosine, ISC-normalised margin, or calibrated inliers
    raw_score DOUBLE,           -- raw cosine (global descriptors) or RANSAC inlier count (rootsift)
    n_inliers INTEGER,          -- geometric-verification inliers (0 when not verified)
    verified BOOLEAN,           -- passed geometric verification
    threshold DOUBLE,
    descriptor VARCHAR,
    {{LINEAGE}}
);
CREATE TABLE IF NOT EXISTS image_decisions (
    image_id VARCHAR,           -- benchmark image id
    decision VARCHAR,           -- keep | remove | quarantined
    reason VARCHAR,             -- unique | cluster_representative | copy_of_reference | near_copy_of_reference | duplicate_in_benchmark | <load error>
    cluster_id VARCHAR,         -- union-find root ('' when unique)
    matched_id VARCHAR,         -- strongest match, or the kept representative
    score DOUBLE,
    {{LINEAGE}}
);
CREATE TABLE IF NOT EXISTS image_copy_eval_pairs (
    query_id VARCHAR,           -- generated transformed copy (or distractor copy)
    reference_id VARCHAR,
    is_copy BOOLEAN,            -- ground truth: query was made from this reference
    transforms VARCHAR,         -- transforms applied to the query, '+'-joined
    score DOUBLE,
    n_inliers INTEGER,
    {{LINEAGE}}
);
