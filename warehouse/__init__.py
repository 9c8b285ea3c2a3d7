"""The DuckDB warehouse: migrations, loaders, views, runs, atomic publication.

Knows DuckDB and nothing of HTTP. See docs/ARCHITECTURE.md for the views.
"""
from warehouse.connection import connect, deferred_checkpoints, quote_ident
from warehouse.load import load_page
from warehouse.migrate import migrate
from warehouse.publish import NightlyBuild

__all__ = ["connect", "deferred_checkpoints", "quote_ident", "load_page", "migrate", "NightlyBuild"]
