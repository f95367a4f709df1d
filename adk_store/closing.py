"""``async with service:``: the services close what they opened when the block ends."""

from __future__ import annotations

from abc import abstractmethod
from types import TracebackType
from typing import Self


class ClosesOnExit:
    """An async context manager whose exit calls ``close()``."""

    @abstractmethod
    async def close(self) -> None:
        """Release what the object opened (its engine, when it made one)."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
