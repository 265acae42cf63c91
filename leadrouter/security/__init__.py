"""The security baseline: login throttling, API rate limits, CSP support, log hygiene."""
