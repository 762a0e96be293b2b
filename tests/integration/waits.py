"""How long an integration test waits for something before calling it a failure.

Every wait in these tests ends as soon as what it waits for is observed: a record on a topic, a
case event, a committed offset, a port that answers, a process that exits. The ceilings below only
decide when to give up, and they are generous on purpose: `make test` must hold on a loaded
machine (two CPU hogs beside it on two cores), where starting a service, a rebalance or a
metadata refresh takes several times as long as on an idle one. A fixed sleep "long enough" is
not used: where a test must be sure something did NOT happen, it waits for a later thing that
would have come after it (a sentinel behind it on the same partition, an offset committed past it).
"""

from __future__ import annotations

CEILING = 180.0  # seconds: anything the bus should do
PROCESS_CEILING = 300.0  # seconds: a command or benchmark run as a process, which must end by itself
