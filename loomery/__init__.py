"""The top layer: the ``loomery`` command line and the demo, which compose engine, filters,
recaption and jobs (see DESIGN.md's layers)."""
