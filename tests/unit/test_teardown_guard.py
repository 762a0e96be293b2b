"""The integration tests' bound on asyncio.run's teardown (tests/integration/teardown.py)."""

from __future__ import annotations

import asyncio
import asyncio.runners

import pytest

from tests.integration import teardown


async def _stubborn() -> None:
    """Ignores its cancellation once, then waits for ever (what hung the suite)."""
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        await asyncio.Event().wait()


async def _polite() -> None:
    await asyncio.sleep(3600)


def _bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(teardown, "CEILING", 0.2)
    monkeypatch.setattr(asyncio.runners, "_cancel_all_tasks", teardown._cancel_all_tasks)


def test_a_task_that_outlives_its_cancellation_fails_with_its_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    _bounded(monkeypatch)

    async def main() -> None:
        asyncio.get_running_loop().create_task(_stubborn(), name="stubborn-one")
        await asyncio.sleep(0)

    with pytest.raises(teardown.TeardownHangError, match="stubborn-one") as raised:
        asyncio.run(main())
    assert "_stubborn" in str(raised.value)  # the stack says where it waits


def test_tasks_that_end_when_cancelled_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    _bounded(monkeypatch)

    async def main() -> str:
        asyncio.get_running_loop().create_task(_polite())
        await asyncio.sleep(0)
        return "done"

    assert asyncio.run(main()) == "done"
