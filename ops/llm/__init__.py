"""LLM backends behind one interface (template, transformers, openai, vllm)."""
