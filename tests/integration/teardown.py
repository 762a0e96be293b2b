"""`asyncio.run`'s teardown with a ceiling: a task that outlives its cancellation fails the test,
with its stack, instead of hanging the suite.

Seen twice on a loaded machine (once in a CI run, in `test_query`; once in
`test_declined_task_is_rerouted`): the test's own waits and assertions were done, and
`asyncio.run` then waited forever in `_cancel_all_tasks` for a task that did not end when
cancelled. With no ceiling there, nothing said which task. Now the suite goes on and the failure
names it. (`asyncio.runners._cancel_all_tasks` is private; the tests pin Python 3.11+, whose
`Runner.close` calls it.)
"""

from __future__ import annotations

import asyncio
import asyncio.runners
import io

from tests.integration.waits import CEILING

_original = asyncio.runners._cancel_all_tasks  # type: ignore[attr-defined]


class TeardownHangError(RuntimeError):
    """Tasks still running a ceiling after `asyncio.run` cancelled them."""


def _cancel_all_tasks(loop: asyncio.AbstractEventLoop) -> None:
    tasks = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in tasks:
        task.cancel()
    if not tasks:
        return
    done, pending = loop.run_until_complete(asyncio.wait(tasks, timeout=CEILING))
    for task in done:  # what the original reports: a task that failed while being cancelled
        if not task.cancelled() and task.exception() is not None:
            loop.call_exception_handler(
                {
                    "message": "unhandled exception during asyncio.run() shutdown",
                    "exception": task.exception(),
                    "task": task,
                }
            )
    if pending:
        stacks = io.StringIO()
        for task in pending:
            stacks.write(f"{task!r}\n")
            task.print_stack(file=stacks)
        raise TeardownHangError(
            f"{len(pending)} task(s) still running {CEILING:.0f} s after asyncio.run cancelled them:\n"
            + stacks.getvalue()
        )
    _original(loop)


def install() -> None:
    """Bound every `asyncio.run` teardown in this test process."""
    asyncio.runners._cancel_all_tasks = _cancel_all_tasks  # type: ignore[attr-defined]
