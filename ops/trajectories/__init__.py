"""Repository back-translation (#4): PR chains → hidden-implementation tasks → agent trajectories
(OpenAI chat/tool-call format) → quality gates, MinHash dedup and decontamination → JSONL/Parquet
export → TRL SFT → evaluation report. See docs/trajectories.md."""
