"""Rubric preference data (issue #7): preference pairs → DeepResearch-Bench-style rubrics →
per-criterion scores → metrics → hybrid reward → GRPO of a rubric generator.

Modules: ``pairs`` (schema + adapters), ``embedded`` (default data written for the project),
``rubric`` (format + validation), ``bank`` (criteria bank), ``generators`` (generic, template, llm),
``learned`` (criteria/weights learned from pairs), ``scorer`` (offline MiniLM + rules), ``judge``
(LLM judge via ``ops.llm``), ``metrics``, ``reward``, ``grpo``, ``study`` (generator comparison),
``eval_cli`` (``trainyard rubrics eval|drb|probe``; ``rubrics-eval`` deprecated alias), ``evaluation`` (query-disjoint
seeds, free baselines, paired bootstrap), ``drb`` (query-specific DeepResearch Bench rubrics),
``satisfaction`` (criterion-satisfaction scorers: MiniLM cosine, SmolLM2 judge), ``criterion_checks``
(criterion routed to a checkable property, rule detectors), ``satisfaction_dev`` (development cases),
``probe`` (hand-written held-out probe set), ``sizes`` (per-profile sizes).
"""
