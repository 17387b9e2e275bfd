"""DeMix data-mixture search: domain corpora → base + per-domain component models → weighted
linear merges as training-free proxies for mixtures → LightGBM search over Dirichlet candidates →
fidelity check against really-trained mixtures → final run. Plain Python; never imports dagster."""
