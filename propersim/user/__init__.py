"""The user agent: evaluative memory and judges."""
