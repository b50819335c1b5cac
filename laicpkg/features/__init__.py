"""Where features come from: dataset specifications, synthetic generators, image folders,
CLIP extraction, noun lists and the feature cache."""
