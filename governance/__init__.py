"""Data governance: the PII policy, tokenisation, Presidio masking. Imports nothing else of ours."""
