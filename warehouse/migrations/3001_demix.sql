-- DeMix data-mixture search (issue #5). Weights are JSON objects {domain: weight} summing to 1.
CREATE TABLE IF NOT EXISTS demix_domains (
    domain VARCHAR,
    source VARCHAR,             -- 'embedded:code|prose|math' or the user file path
    split VARCHAR,              -- train | held_out
    n_docs BIGINT,
    n_chars BIGINT,
    n_tokens BIGINT,            -- tokens under the study's locally trained BPE
    {{LINEAGE}}
);
CREATE TABLE IF NOT EXISTS demix_real_evals (
    mixture_id VARCHAR,         -- e.g. 'base', 'component/plain/code', 'fidelity/03', 'final/chosen'
    purpose VARCHAR,            -- base | component | fidelity | regmix | final
    variant VARCHAR,            -- component-training variant ('' when not a component)
    weights_json VARCHAR,
    domain VARCHAR,
    loss DOUBLE,                -- held-out next-token loss, nats/token
    training_run_id VARCHAR,
    {{LINEAGE}}
);
CREATE TABLE IF NOT EXISTS demix_proxy_evals (
    mixture_id VARCHAR,         -- 'fidelity/03' (same mixture as in demix_real_evals) or 'search/<pool index>'
    purpose VARCHAR,            -- fidelity | search
    variant VARCHAR,            -- which components were merged
    round INTEGER,              -- search round (-1 for fidelity)
    weights_json VARCHAR,
    domain VARCHAR,
    loss DOUBLE,                -- merged proxy's held-out loss, nats/token
    {{LINEAGE}}
);
CREATE TABLE IF NOT EXISTS demix_fidelity (
    variant VARCHAR,            -- component variant the proxies/baseline used ('-' for regmix)
    method VARCHAR,             -- proxy | neg_entropy | weighted_component_loss | regmix
    domain VARCHAR,             -- a domain, or 'aggregate' (mean loss over domains)
    spearman DOUBLE,            -- rank correlation with really-trained mixtures' held-out loss
    ci_low DOUBLE,              -- 95 % bootstrap interval over mixtures
    ci_high DOUBLE,
    k INTEGER,                  -- number of really-trained mixtures
    {{LINEAGE}}
);
CREATE TABLE IF NOT EXISTS demix_candidates (
    candidate_index INTEGER,    -- row of the Dirichlet pool
    weights_json VARCHAR,
    round INTEGER,              -- prediction after this many scored rounds (last = final fit)
    predicted_aggregate DOUBLE, -- LightGBM-predicted mean held-out loss, nats/token
    scored_in_round INTEGER,    -- round whose proxy batch included it (NULL: never scored)
    in_top_k BOOLEAN,           -- among the top-k averaged into the chosen mixture
    {{LINEAGE}}
);
CREATE TABLE IF NOT EXISTS demix_choice (
    choice VARCHAR,             -- 'chosen'
    variant VARCHAR,            -- components the search merged
    weights_json VARCHAR,
    top_k INTEGER,
    proxies_scored INTEGER,
    regressor_cv_spearman DOUBLE, -- out-of-fold Spearman of the aggregate regressor on scored proxies
    proxy_loss_json VARCHAR,    -- the chosen mixture's own merged proxy, per domain
    mergekit_yaml VARCHAR,      -- the chosen merge as a mergekit config
    merged_checkpoint VARCHAR,
    {{LINEAGE}}
);
