"""Connectors: feed files in, batches of records out (see SPEC §1)."""
