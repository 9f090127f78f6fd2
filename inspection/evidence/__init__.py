"""Evidence in: read, normalise, validate and load Annex A, CIN census and agency extracts."""
