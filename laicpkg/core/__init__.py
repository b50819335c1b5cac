"""The numerical core: k-means, metrics, GradNorm's score and classifier (Eq. 3-8), the baselines'
filter arithmetic, text counterparts (Eq. 9), density cores (IDCL Eq. 9-11), zero-shot (Eq. 1)."""
