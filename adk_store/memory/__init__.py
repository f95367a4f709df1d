"""Memory on the store's database: ADK's ``BaseMemoryService`` with each engine's full-text search.

`adk_store.memory.service.SqlMemoryService` is the service; the text rules
(what is remembered, how a query becomes words) are in `text`, what differs
between engines in `engines`, the statements in `statements` and the
backfill from stored sessions in `ingest`.
"""
