"""Model factory shared by every branch that trains: a locally trained tokenizer, a small causal
LM from a config (or any local checkpoint), and one plain PyTorch training loop."""
