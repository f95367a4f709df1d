"""Checks of adk-store's promises under concurrent load and injected faults.

``adk-store torture`` (and `Torture.run_and_check`) runs many worker processes
against one database and then checks, call by call, that an append that
returned is stored exactly once and an append that raised left nothing behind.
"""

from adk_store.reliability.invariants import Violation
from adk_store.reliability.torture import Torture, TortureReport

__all__ = ["Torture", "TortureReport", "Violation"]
