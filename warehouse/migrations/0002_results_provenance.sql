-- Provenance for generated results (`trainyard results`): every evaluation report and benchmark
-- row says which machine and which git commit produced it, so docs/results.md is stamped from the
-- rows themselves.
ALTER TABLE eval_reports ADD COLUMN IF NOT EXISTS machine VARCHAR;     -- OS, CPU, cores, GPU, Python of the writing process
ALTER TABLE eval_reports ADD COLUMN IF NOT EXISTS git_commit VARCHAR;  -- commit of the code that wrote it ('+dirty' when the tree had changes)
ALTER TABLE benchmarks ADD COLUMN IF NOT EXISTS git_commit VARCHAR;    -- commit of the code that measured it
