"""Model factory shared by every branch that trains or generates: ``ModelSpec`` (checkpoint
directory | GGUF | ``smollm2`` | fresh sizes; dtype; device), a locally trained tokenizer, one
training loop (warmup + cosine, accumulation, bf16 autocast on CUDA, resumable checkpoints) and
batched generation."""
