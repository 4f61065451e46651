"""Subcommands of ``loomery``: each module defines ``register(subparsers)``."""
