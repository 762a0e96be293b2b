"""The rules: what each kind of input does to the cases of its area."""

from __future__ import annotations

from dataclasses import replace

from incidentbus.correlator.domain import names, outputs
from incidentbus.correlator.domain.decision import Decision
from incidentbus.correlator.domain.inputs import Input
from incidentbus.correlator.domain.matching import Score, best_matches, may_merge
from incidentbus.correlator.domain.model import Case, Report
from incidentbus.correlator.domain.names import category_family
from incidentbus.correlator.domain.repeats import reopens, repeated_case
from incidentbus.correlator.domain.replies import last_lead
from incidentbus.correlator.domain.rules import LEVELS
from incidentbus.kernel.ids import stable_id
from incidentbus.v1 import agency_events_pb2, bus_pb2, case_events_pb2

SEVERITY_PRIORITY = {"MINOR": 1, "MODERATE": 2, "MAJOR": 3, "CRITICAL": 4}
NAMED = Score(1.0, 1.0, 1.0, 1.0, "named_case")


def linked_body(
    report: Report, score: Score, item_report: agency_events_pb2.IncidentReported | None
) -> case_events_pb2.ReportLinked:
    body = case_events_pb2.ReportLinked(
        report=outputs.report_ref(report),
        score=match_pb(score),
        category=names.category_of(report.category),
        incident_type=report.incident_type,
        severity=names.severity_of(report.severity),
        casualties=report.casualties,
        contactable=report.contactable,
    )
    body.reported_at.FromMilliseconds(report.reported_ms)
    body.location.CopyFrom(
        item_report.location if item_report is not None else outputs.location_pb(report.place)
    )
    return body


def match_pb(score: Score) -> case_events_pb2.MatchScore:
    """Every part of a score, as recorded with a link or a merge."""
    found = case_events_pb2.MatchScore(
        total=score.total,
        place=score.place,
        category=score.category,
        time=score.time,
        rule=score.rule,
        radius_m=score.radius_m,
    )
    if score.distance_m is not None:
        found.distance_m = round(score.distance_m, 1)
    return found


def level_for(d: Decision, case: Case) -> str:
    """The response level the case's facts call for (casualties, category)."""
    rl = d.rules.response_levels
    level = "NONE"
    for rule in rl.casualties:
        if case.casualties >= rule.at_least and LEVELS.index(rule.level) > LEVELS.index(level):
            level = rule.level
    by_category = rl.category.get(category_family(case.category), "NONE")
    return by_category if LEVELS.index(by_category) > LEVELS.index(level) else level


def correlate(
    d: Decision,
    report: Report,
    body: agency_events_pb2.IncidentReported,
    status: str,
    skip: str = "",
) -> None:
    """Link a report to the case it names or matches (merging the others it matches), or open one.

    Only cases of the report's own status are candidates: a drill never joins a real case."""
    named = _named_case(d, body, status)
    if named is not None:
        link(d, named, report, NAMED, body)
        return
    matches = _matches(d, report, status, skip)
    if not matches:
        if not repeat(d, report, body, status):
            _open(d, report, body, status)
        return
    score, best = matches[0]
    link(d, best, report, score, body)
    for _, other in matches[1:]:
        survivor, absorbed = d.case(best.case_id), d.case(other.case_id)
        evidence = may_merge(report, survivor, absorbed, d.rules)
        if evidence is not None:
            _merge(d, survivor, absorbed, evidence)


def repeat(d: Decision, report: Report, body: agency_events_pb2.IncidentReported, status: str) -> bool:
    """Link the report to the recently closed case it repeats, reopening it with a lead task
    where the rules say; False when it repeats none (repeats.py)."""
    found = repeated_case(d, report, status)
    if found is None:
        return False
    score, case = found
    if not reopens(d, case):
        d.emit(case.case_id, "report_linked", linked_body(report, score, body), actor=d.publisher)
        return True
    minutes = (report.reported_ms - case.updated_ms) // 60_000
    reason = f"repeat report {report.source_agency} {report.source_ref} {minutes} min after closing"
    reopened = case_events_pb2.CaseReopened(reason=reason)
    case = d.emit(case.case_id, "case_reopened", reopened, actor=d.publisher)
    d.assign(case.case_id, last_lead(d, case), "LEAD", "repeat")
    link(d, d.case(case.case_id), report, score, body)
    return True


def destination(d: Decision, report: Report, status: str, skip: str) -> str:
    """The case a report would join (or open), without deciding anything."""
    matches = _matches(d, report, status, skip)
    return matches[0][1].case_id if matches else new_case_id(report)


def _matches(d: Decision, report: Report, status: str, skip: str) -> list[tuple[Score, Case]]:
    """Open cases of the report's status (but `skip`) that it matches, best first: scored are
    only the cases the place index finds near it."""
    cases, radius = d.state.cases, d.rules.radius_m(report.incident_type, report.category)
    found = d.state.index(d.rules).candidates("open", report, radius) - {skip}
    candidates = [cases[i] for i in sorted(found) if cases[i].event_status == status]
    return best_matches(report, candidates, d.rules)


def _named_case(d: Decision, body: agency_events_pb2.IncidentReported, status: str) -> Case | None:
    case = d.state.resolve(body.case_ref) if body.case_ref else None
    if case is None and body.task_ref:
        case = d.state.case_of_task(body.task_ref)
    return case if case is not None and case.is_open and case.event_status == status else None


def new_case_id(report: Report) -> str:
    return f"C-{report.place.path[1]}-{stable_id('case', report.event_id)[:13].replace('-', '')}"


def _open(d: Decision, report: Report, body: agency_events_pb2.IncidentReported, status: str) -> None:
    _start(d, new_case_id(report), [report], "opened", body, status=status)


def _start(
    d: Decision,
    case_id: str,
    reports: list[Report],
    rule: str,
    body: agency_events_pb2.IncidentReported | None = None,
    *,
    status: str = "ACTUAL",
) -> None:
    """Open a case from its first report(s): link them, set the level, route the tasks, alert."""
    first = reports[0]
    fast = first.category.startswith("unknown_")
    opened = case_events_pb2.CaseOpened(
        category=names.category_of(first.category),
        incident_type=first.incident_type,
        severity=names.severity_of(first.severity),
        location=body.location if body is not None else outputs.location_pb(first.place),
        priority=5 if fast else SEVERITY_PRIORITY.get(first.severity, 2),
        fast_path=fast,
        first_report=outputs.report_ref(first),
    )
    d.emit(case_id, "case_opened", opened, actor=d.publisher, status=status)
    for report in reports:
        d.emit(
            case_id,
            "report_linked",
            linked_body(report, Score(1.0, 1.0, 1.0, 1.0, rule), body),
            actor=d.publisher,
        )
    case = d.raise_level(d.case(case_id), level_for(d, d.case(case_id)), rule)
    route = d.rules.route(first.incident_type, case.area)
    d.assign(case_id, route.lead, "LEAD", _rule_name(route.types))
    for agency in route.support:
        d.assign(case_id, agency, "SUPPORT", _rule_name(route.types))
    if fast:
        d.alert(
            d.case(case_id),
            bus_pb2.ALERT_KIND_FAST_PATH,
            list(d.rules.fast_path_agencies),
            "community",
            f"fast path: {first.incident_type} from {first.source_agency} in grid {first.place.grid}",
        )


def on_split(d: Decision, item: Input) -> None:
    """An operator splits wrongly merged reports into a case of their own, with its own tasks."""
    command, actor = item.event.split_case, item.publisher
    case = d.state.resolve(command.case_id)
    wanted = set(command.report_event_ids)
    moving = [r for r in case.reports if r.event_id in wanted] if case is not None and case.is_open else []
    if case is None or not moving or len(moving) != len(wanted) or len(moving) == len(case.reports):
        d.reject(
            command.case_id,
            "correlator.split_invalid",
            "split needs an open case and some, not all, of its own report event ids",
        )
        return
    # The command's own id is part of the new id: the same reports can be split out again after
    # a merge brought them back, and an id must never name two cases.
    digest = stable_id("split", case.case_id, item.event.envelope.event_id, *sorted(wanted))
    new_id = f"C-{case.area}-{digest[:13].replace('-', '')}"
    split = case_events_pb2.CaseSplit(
        new_case_id=new_id,
        moved_reports=[outputs.report_ref(r) for r in moving],
        reason=command.reason,
        requested_by=command.requested_by,
    )
    d.emit(case.case_id, "case_split", split, actor=actor)
    _start(d, new_id, moving, "split", status=case.event_status)


def _rule_name(types: tuple[str, ...]) -> str:
    return "route:" + ",".join(types)


def link(
    d: Decision, case: Case, report: Report, score: Score, body: agency_events_pb2.IncidentReported | None
) -> None:
    if any(r.event_id == report.event_id for r in case.reports):
        return
    case = d.emit(case.case_id, "report_linked", linked_body(report, score, body), actor=report.source_agency)
    ensure_routing(d, case, report.incident_type)
    d.raise_level(d.case(case.case_id), level_for(d, d.case(case.case_id)), f"report {report.source_ref}")


def ensure_routing(d: Decision, case: Case, incident_type: str) -> None:
    """Every agency the report's type routes to has an active task (declined ones excepted)."""
    route = d.rules.route(incident_type, case.area)
    holding = {t.agency for t in case.active_tasks()}
    for agency in (route.lead, *route.support):
        if agency not in holding and agency not in case.declined:
            d.assign(case.case_id, agency, "SUPPORT", _rule_name(route.types))
            holding.add(agency)


def _merge(d: Decision, survivor: Case, absorbed: Case, score: Score) -> None:
    """Two open cases turned out to be one: the survivor takes the reports and the work."""
    moved = [outputs.report_ref(r) for r in absorbed.reports]
    evidence = match_pb(score)  # what the report that bridged them scored against the absorbed case
    d.emit(
        survivor.case_id,
        "cases_merged",
        case_events_pb2.CasesMerged(merged_case_id=absorbed.case_id, moved_reports=moved, evidence=evidence),
    )
    for report in absorbed.reports:
        d.emit(
            survivor.case_id,
            "report_linked",
            linked_body(report, replace(score, rule="merged"), None),
        )
    holding = {t.agency for t in d.case(survivor.case_id).active_tasks()}
    for task in absorbed.active_tasks():
        d.cancel(d.case(absorbed.case_id), task.task_id, f"merged into {survivor.case_id}")
        if task.agency not in holding:
            d.assign(survivor.case_id, task.agency, task.role, "merged", replaces=task.task_id)
            holding.add(task.agency)
    closed = case_events_pb2.CaseClosed(
        reason=case_events_pb2.CLOSURE_REASON_MERGED, merged_into=survivor.case_id
    )
    d.close(absorbed.case_id, closed)
