"""The landing step: raw feeds written the way real ones arrive, split by week."""
