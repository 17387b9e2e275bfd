-- DeMix held-out fidelity (issue #18): the fidelity mixtures are split into a selection half
-- (variant chosen there) and an evaluation half (the reported figure); the search regressor is
-- scored against really-trained mixtures.
ALTER TABLE demix_fidelity ADD COLUMN IF NOT EXISTS split VARCHAR;  -- selection | evaluation | all
ALTER TABLE demix_choice ADD COLUMN IF NOT EXISTS regressor_trained_spearman DOUBLE;  -- vs trained mixtures (evaluation half)
ALTER TABLE demix_choice ADD COLUMN IF NOT EXISTS regressor_trained_ci_low DOUBLE;
ALTER TABLE demix_choice ADD COLUMN IF NOT EXISTS regressor_trained_ci_high DOUBLE;
ALTER TABLE demix_choice ADD COLUMN IF NOT EXISTS regressor_trained_k INTEGER;
