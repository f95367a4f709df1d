"""Moving sessions into adk-store: from ADK's and sqlspec's stores, and between databases.

``open_source`` finds which store wrote a database's session tables and
returns a reader for them (``StoreSource`` reads another adk-store store);
``transfer`` writes what the destination lacks, whole sessions at a time and
never twice; ``verify`` compares the two sides. The ``adk-store import`` and
``adk-store copy`` commands are built from these.
"""

from adk_store.transfer.detect import SOURCE_KINDS, open_source
from adk_store.transfer.pipeline import TransferReport, transfer
from adk_store.transfer.sqlspec_tables import SqlspecTableNames
from adk_store.transfer.store_tables import StoreSource
from adk_store.transfer.verify import Verification, verify

__all__ = [
    "SOURCE_KINDS",
    "SqlspecTableNames",
    "StoreSource",
    "TransferReport",
    "Verification",
    "open_source",
    "transfer",
    "verify",
]
