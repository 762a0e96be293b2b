"""A decision in progress: emits case events (folding each into the working state at once),
collects effects, and holds the helpers every rule needs (deadlines, tasks, levels, alerts)."""

from __future__ import annotations

from dataclasses import replace

from google.protobuf.message import Message

from incidentbus.correlator.domain import names, outputs
from incidentbus.correlator.domain.area import AreaState
from incidentbus.correlator.domain.chain import seal
from incidentbus.correlator.domain.evolve import evolve
from incidentbus.correlator.domain.model import JURISDICTION_LEVELS, MAX_PRIORITY, Case, Deadline
from incidentbus.correlator.domain.names import category_family
from incidentbus.correlator.domain.outputs import Output
from incidentbus.correlator.domain.rules import LEVELS, Rules
from incidentbus.kernel.envelope import wrap
from incidentbus.kernel.ids import stable_id
from incidentbus.v1 import bus_pb2, case_events_pb2, common_pb2

TASK_DEADLINES = ("ACKNOWLEDGE", "ARRIVE", "RESOLVE")


class Decision:
    """Mutable only while one input is decided; what it leaves is a new state and a list of outputs."""

    def __init__(
        self,
        state: AreaState,
        rules: Rules,
        cause: str,
        clock_ms: int,
        *,
        source_topic: str = "",
        publisher: str = "correlator",
    ) -> None:
        self.input_ms = clock_ms  # the input's own bus time; the clock never goes back
        # Where the cause was published, and by whom (the topic's agency): who spoke, for the record.
        self.source_topic, self.publisher = source_topic, publisher
        self.state = state
        state.advance(clock_ms)
        self.rules, self.cause = rules, cause
        self.outputs: list[Output] = []
        self.touched: list[str] = []

    @property
    def clock(self) -> int:
        return self.state.clock_ms

    def case(self, case_id: str) -> Case:
        return self.state.cases[case_id]

    def emit(
        self, case_id: str, field: str, body: Message, actor: str = "correlator", status: str = ""
    ) -> Case:
        """Append one event to a case's chain, fold it into the state, and return the new case.

        The event carries its case's status (ACTUAL, EXERCISE, TEST); `status` sets it at opening."""
        previous = self.state.cases.get(case_id)
        status = status or (previous.event_status if previous else "ACTUAL")
        sequence = (previous.sequence if previous else 0) + 1
        event = case_events_pb2.CaseEvent(
            case_id=case_id,
            sequence=sequence,
            previous_hash=previous.last_hash if previous else b"",
            cause_event_ids=[self.cause],
            actor=actor,
            source_topic=self.source_topic,
            envelope=outputs.envelope(
                body,
                ref=f"{case_id}#{sequence}",
                case_id=case_id,
                at_ms=self.clock,
                cause=self.cause,
                eid=stable_id("case-event", case_id, sequence),
                status=status,
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

    def assign(
        self,
        case_id: str,
        agency: str,
        role: str,
        rule: str,
        *,
        replaces: str = "",
        inherit: tuple[Deadline, ...] = (),
    ) -> None:
        """Give an agency a task on the case, with its deadlines, and send it on its dispatch topic.

        New work on a resolved case sends it back to work first (its pending verification is
        void), so a case is never resolved or closed while a task is active. `inherit` carries a
        declined task's deadlines over (no fresh time for the last resort)."""
        if agency not in self.rules.agencies:  # the rules and the callers keep this from happening
            rule, agency = f"{rule}:unknown-agency:{agency}", self.rules.default_owner
        case = self.case(case_id)
        if case.status in ("RESOLVED", "VERIFIED"):
            reopened = case_events_pb2.CaseReopened(
                reason=f"new work for {agency} ({rule})", verification_id=case.verification_id
            )
            case = self.emit(case_id, "case_reopened", reopened)
        task_id = f"{case_id}/t{case.task_count + 1}"
        inherited = {d.kind: d for d in inherit}
        deadlines = [
            replace(inherited[kind], task_id=task_id)
            if kind in inherited
            else self.deadline(case, kind, task_id)
            for kind in TASK_DEADLINES
        ]
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
            status=case.event_status,
        )
        self.effect(
            Output("dispatch", case.case_id, wrap(bus_pb2.TaskCommand, body, env), agency=task.agency)
        )

    def close(self, case_id: str, body: case_events_pb2.CaseClosed, actor: str = "correlator") -> None:
        """Close a case; any task still active is cancelled first, each on the record."""
        case = self.case(case_id)
        for task in case.active_tasks():
            self.cancel(self.case(case_id), task.task_id, "case closed")
        self.emit(case_id, "case_closed", body, actor=actor)

    def verify(self, case: Case, agency: str, report_refs: tuple[str, ...], reason: str) -> None:
        """Ask `agency` to confirm the case's resolution (回访), by its reporters of `report_refs`
        when there are any; a new verification id each time, with its deadline."""
        verification_id = f"{case.case_id}/v{case.verifications + 1}"
        due = self.deadline(case, "VERIFY", verification_id)
        request = case_events_pb2.VerificationRequested(
            verification_id=verification_id,
            agency=agency,
            deadline=outputs.deadline_pb(due),
            report_refs=report_refs,
            reason=reason,
        )
        case = self.emit(case.case_id, "verification_requested", request)
        self.effect(
            outputs.request_verification(
                case,
                verification_id,
                agency,
                due,
                at_ms=self.clock,
                cause=self.cause,
                report_refs=report_refs,
            )
        )

    def _hand_over(self, case: Case, missed: list[Deadline]) -> bool:
        """A reporter asked to confirm a resolution did not answer in time: the rules' verifier (the
        grid worker) revisits instead, and nothing escalates for a citizen's silence."""
        if case.status != "RESOLVED" or case.verifier in ("", self.rules.verifier):
            return False
        if [d.task_id for d in missed] != [case.verification_id]:
            return False
        self.verify(case, self.rules.verifier, (), f"unanswered {case.verification_id}")
        return True

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
        with every deadline of that case that was due set again from now.

        A deadline fires only once the clock is past it by the rules' allowed lateness, so a
        reply logged in time but stepped a little late (a lagging service) does not escalate."""
        while due := self._next_due():
            self._escalate(self.case(due[1]))

    @property
    def _fires_upto(self) -> int:
        """Deadlines due at or before this have waited the allowed lateness: they fire."""
        return self.clock - self.rules.deadlines.allowed_lateness_ms

    def _next_due(self) -> tuple[int, str] | None:
        """The earliest (due time, case id) that fires now: the deadline index's first."""
        return self.state.index(self.rules).next_due(self.state.cases, self._fires_upto)

    def _escalate(self, case: Case) -> None:
        upto = self._fires_upto
        missed = sorted(
            (d for d in case.deadlines if d.due_ms <= upto), key=lambda d: (d.due_ms, d.kind, d.task_id)
        )
        if self._hand_over(case, missed):
            return
        index = JURISDICTION_LEVELS.index(case.supervising)
        if index == len(JURISDICTION_LEVELS) - 1:
            self._remind(case, missed)
            return
        again = tuple(self.deadline(case, d.kind, d.task_id) for d in missed)
        what = ", ".join(f"{d.kind.lower()} of {d.task_id}" for d in missed)
        self.escalate(case, f"missed {what}", missed[0], again)

    def escalate(
        self, case: Case, why: str, missed: Deadline | None = None, again: tuple[Deadline, ...] = ()
    ) -> None:
        """One level up the jurisdiction ladder (never past its top), an alert to the new
        supervisor, and the response level raised when the ladder says so."""
        index = JURISDICTION_LEVELS.index(case.supervising)
        if index == len(JURISDICTION_LEVELS) - 1:
            return
        to = JURISDICTION_LEVELS[index + 1]
        body = case_events_pb2.CaseEscalated(
            from_level=names.jurisdiction_of(case.supervising),
            to_level=names.jurisdiction_of(to),
            jurisdiction_code=case.place.code_at(to),
            missed=names.deadline_of(missed.kind) if missed else common_pb2.DEADLINE_KIND_UNSPECIFIED,
            task_id=missed.task_id if missed else "",
            priority=min(MAX_PRIORITY, case.priority + 1),
            rescheduled=[outputs.deadline_pb(d) for d in again],
            reason="" if missed else why,
        )
        case = self.emit(case.case_id, "case_escalated", body)
        kind = bus_pb2.ALERT_KIND_DEADLINE_MISSED if missed else bus_pb2.ALERT_KIND_ESCALATED
        agencies = [t.agency for t in case.active_tasks()]
        self.alert(case, kind, agencies, to, f"{why}; escalated to {to} {case.place.code_at(to)}")
        if to == self.rules.response_levels.escalation.raise_at:
            next_level = LEVELS[min(LEVELS.index(case.level) + 1, len(LEVELS) - 1)]
            self.raise_level(case, next_level, f"escalated to {to}")

    def _remind(self, case: Case, missed: list[Deadline]) -> None:
        """At the top nobody is left to escalate to: remind, each time after a longer interval."""
        number = case.reminders + 1
        esc = self.rules.response_levels.escalation
        span = self.span_ms(case, missed[0].kind) * esc.reminder_backoff**number
        next_at = self.clock + max(1_000, round(min(span, esc.reminder_max_minutes * 60_000)))
        # every deadline falling before the next reminder waits for it: one reminder per round
        again = [replace(d, set_ms=self.clock, due_ms=next_at) for d in case.deadlines if d.due_ms < next_at]
        top = JURISDICTION_LEVELS[-1]
        body = case_events_pb2.ReminderIssued(
            missed=names.deadline_of(missed[0].kind),
            task_id=missed[0].task_id,
            reminder=number,
            jurisdiction_code=case.place.code_at(top),
            rescheduled=[outputs.deadline_pb(d) for d in again],
        )
        case = self.emit(case.case_id, "reminder_issued", body)
        what = ", ".join(f"{d.kind.lower()} of {d.task_id}" for d in missed)
        minutes = round((again[0].due_ms - self.clock) / 60_000)
        self.alert(
            case,
            bus_pb2.ALERT_KIND_REMINDER,
            [t.agency for t in case.active_tasks()],
            top,
            f"reminder {number}: still missed {what}; next reminder in {minutes} min",
        )

    # -- closing the decision ------------------------------------------------------------------

    def finish(self) -> None:
        """A snapshot of every case this input touched, in the order first touched."""
        for case_id in self.touched:
            self.effect(outputs.snapshot(self.case(case_id), cause=self.cause))
