"""ISC-style image dedup (issue #6): sources → copy-detection descriptors → FAISS range search →
duplicate clusters and per-image decisions, plus a DISC21-like copy-detection evaluation.
Nothing here imports dagster; faiss/torch are imported inside the functions that need them."""
