"""A decision in progress: emits case events (folding each into the working state at once),
collects effects, and holds the helpers every rule needs (deadlines, tasks, levels, alerts)."""

from __future__ import annotations

from dataclasses import replace

from google.protobuf.message import Message

from incidentbus.correlator.domain import names, outputs
from incidentbus.correlator.domain.chain import seal
from incidentbus.correlator.domain.evolve import evolve
from incidentbus.correlator.domain.model import JURISDICTION_LEVELS, MAX_PRIORITY, AreaState, Case, Deadline
from incidentbus.correlator.domain.names import category_family
from incidentbus.correlator.domain.outputs import Output
from incidentbus.correlator.domain.rules import LEVELS, Rules
from incidentbus.kernel.envelope import wrap
from incidentbus.kernel.ids import stable_id
from incidentbus.v1 import bus_pb2, case_events_pb2

TASK_DEADLINES = ("ACKNOWLEDGE", "ARRIVE", "RESOLVE")


class Decision:
    """Mutable only while one input is decided; what it leaves is a new state and a list of outputs."""

    def __init__(self, state: AreaState, rules: Rules, cause: str, clock_ms: int) -> None:
        self.state = replace(state, clock_ms=max(state.clock_ms, clock_ms))
        self.rules, self.cause = rules, cause
        self.outputs: list[Output] = []
        self.touched: list[str] = []

    @property
    def clock(self) -> int:
        return self.state.clock_ms

    def case(self, case_id: str) -> Case:
        return self.state.cases[case_id]

    def emit(self, case_id: str, field: str, body: Message, actor: str = "correlator") -> Case:
        """Append one event to a case's chain, fold it into the state, and return the new case."""
        previous = self.state.cases.get(case_id)
        sequence = (previous.sequence if previous else 0) + 1
        event = case_events_pb2.CaseEvent(
            case_id=case_id,
            sequence=sequence,
            previous_hash=previous.last_hash if previous else b"",
            cause_event_ids=[self.cause],
            actor=actor,
            envelope=outputs.envelope(
                body,
                ref=f"{case_id}#{sequence}",
                case_id=case_id,
                at_ms=self.clock,
                cause=self.cause,
                eid=stable_id("case-event", case_id, sequence),
            ),
        )
        getattr(event, field).CopyFrom(body)
        self.state = evolve(self.state, seal(event))
        self.outputs.append(Output("case_event", case_id, event))
        if case_id not in self.touched:
            self.touched.append(case_id)
        return self.case(case_id)

    def effect(self, output: Output) -> None:
        self.outputs.append(output)

    def reject(self, key: str, reason: str, detail: str) -> None:
        self.outputs.append(Output("reject", key, reason=reason, detail=detail))

    # -- deadlines -------------------------------------------------------------------------------

    def span_ms(self, case: Case, kind: str) -> int:
        minutes = self.rules.step_minutes(case.severity.lower(), category_family(case.category), kind.lower())
        factor = self.rules.response_levels.factor(case.level)
        return max(1_000, round(minutes * 60_000 * factor))

    def deadline(self, case: Case, kind: str, task_id: str) -> Deadline:
        return Deadline(kind, task_id, self.clock, self.clock + self.span_ms(case, kind))

    def assign(self, case_id: str, agency: str, role: str, rule: str, replaces: str = "") -> None:
        """Give an agency a task on the case, with its deadlines, and send it on its dispatch topic."""
        case = self.case(case_id)
        task_id = f"{case_id}/t{case.task_count + 1}"
        deadlines = [self.deadline(case, kind, task_id) for kind in TASK_DEADLINES]
        body = case_events_pb2.TaskAssigned(
            task_id=task_id,
            agency=agency,
            role=names.role_of(role),
            rule=rule,
            replaces_task_id=replaces,
            deadlines=[outputs.deadline_pb(d) for d in deadlines],
        )
        case = self.emit(case_id, "task_assigned", body)
        self.effect(
            outputs.dispatch(case, task_id, agency, role, deadlines, at_ms=self.clock, cause=self.cause)
        )

    def cancel(self, case: Case, task_id: str, reason: str) -> None:
        task = case.task(task_id)
        if task is None or not task.active:
            return
        change = case_events_pb2.TaskStatusChanged(
            task_id=task_id, agency=task.agency, status=names.task_status_of("CANCELLED"), detail=reason
        )
        case = self.emit(case.case_id, "task_status_changed", change)
        body = bus_pb2.CancelTask(task_id=task_id, case_id=case.case_id, reason=reason)
        env = outputs.envelope(
            body,
            ref=f"{task_id}/cancel",
            case_id=case.case_id,
            at_ms=self.clock,
            cause=self.cause,
            eid=stable_id("cancel", task_id),
        )
        self.effect(
            Output("dispatch", case.case_id, wrap(bus_pb2.TaskCommand, body, env), agency=task.agency)
        )

    # -- alerts and levels ---------------------------------------------------------------------

    def alert(self, case: Case, kind: int, notify: list[str], level: str, message: str) -> None:
        self.effect(
            outputs.alert(
                case, kind, notify, level=level, message=message, at_ms=self.clock, cause=self.cause
            )
        )

    def raise_level(self, case: Case, to: str, reason: str) -> Case:
        """Raise the response level (never lower it here); pending deadlines are retuned."""
        if LEVELS.index(to) <= LEVELS.index(case.level):
            return case
        levels = self.rules.response_levels
        ratio = levels.factor(to) / levels.factor(case.level)
        retuned = [replace(d, due_ms=d.set_ms + round((d.due_ms - d.set_ms) * ratio)) for d in case.deadlines]
        notify = levels.notified(to)
        body = case_events_pb2.ResponseLevelChanged(
            from_level=names.level_of(case.level),
            to_level=names.level_of(to),
            reason=reason,
            retuned=[outputs.deadline_pb(d) for d in retuned],
            notify_agencies=sorted(set(notify)),
        )
        case = self.emit(case.case_id, "response_level_changed", body)
        agencies = notify + [t.agency for t in case.active_tasks()]
        self.alert(
            case,
            bus_pb2.ALERT_KIND_RESPONSE_LEVEL_CHANGED,
            agencies,
            case.supervising,
            f"response level {to} ({reason})",
        )
        return case

    # -- escalation ----------------------------------------------------------------------------

    def fire_deadlines(self) -> None:
        """Escalate cases whose deadlines are due, earliest first; one level per case per round,
        with every deadline of that case that was due set again from now."""
        while due := self._next_due():
            self._escalate(self.case(due[1]))

    def _next_due(self) -> tuple[int, str] | None:
        due = [
            (d.due_ms, c.case_id)
            for c in self.state.cases.values()
            if c.is_open
            for d in c.deadlines
            if d.due_ms <= self.clock
        ]
        return min(due) if due else None

    def _escalate(self, case: Case) -> None:
        missed = sorted(
            (d for d in case.deadlines if d.due_ms <= self.clock), key=lambda d: (d.due_ms, d.kind, d.task_id)
        )
        first = missed[0]
        index = JURISDICTION_LEVELS.index(case.supervising)
        to = JURISDICTION_LEVELS[min(index + 1, len(JURISDICTION_LEVELS) - 1)]
        again = [self.deadline(case, d.kind, d.task_id) for d in missed]
        body = case_events_pb2.CaseEscalated(
            from_level=names.jurisdiction_of(case.supervising),
            to_level=names.jurisdiction_of(to),
            jurisdiction_code=case.place.code_at(to),
            missed=names.deadline_of(first.kind),
            task_id=first.task_id,
            priority=min(MAX_PRIORITY, case.priority + 1),
            rescheduled=[outputs.deadline_pb(d) for d in again],
        )
        case = self.emit(case.case_id, "case_escalated", body)
        agencies = [t.agency for t in case.active_tasks()]
        what = ", ".join(f"{d.kind.lower()} of {d.task_id}" for d in missed)
        self.alert(
            case,
            bus_pb2.ALERT_KIND_DEADLINE_MISSED,
            agencies,
            to,
            f"missed {what}; escalated to {to} {case.place.code_at(to)}",
        )
        if to == self.rules.response_levels.escalation.raise_at and to != JURISDICTION_LEVELS[index]:
            next_level = LEVELS[min(LEVELS.index(case.level) + 1, len(LEVELS) - 1)]
            self.raise_level(case, next_level, f"escalated to {to}")

    # -- closing the decision ------------------------------------------------------------------

    def finish(self) -> None:
        """A snapshot of every case this input touched, in the order first touched."""
        for case_id in self.touched:
            self.effect(outputs.snapshot(self.case(case_id), cause=self.cause))
