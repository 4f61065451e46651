"""Verifiers: each scores the claims it can judge against a record's evidence (see ``base``)."""
