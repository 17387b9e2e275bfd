-- Trajectories (#12): which generator wrote each thought (a model, or the labelled template fallback
-- when every model candidate failed the thought gate), in step order.
ALTER TABLE trajectories ADD COLUMN IF NOT EXISTS thought_generators VARCHAR[];
