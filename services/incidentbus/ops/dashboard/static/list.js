// The case list: filters by jurisdiction level and area, category, status and text; most urgent
// first; 100 rows a page. Countdowns tick every second; flags are words and symbols, not colour alone.

import { enumCodes, t, tEnum } from "./i18n.js";
import { changed, isOverdue, matches, now, state, urgency, visible } from "./state.js";

const PAGE_ROWS = 100;
const CLOSED_SHOWN_MS = 24 * 3600 * 1000; // ops/dashboard/board.py CLOSED_SHOWN_MS
const $ = (id) => document.getElementById(id);

export function duration(ms) {
  const s = Math.max(0, Math.round(Math.abs(ms) / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${String(m).padStart(2, "0")}m`;
  return `${m}m ${String(sec).padStart(2, "0")}s`;
}

function option(value, label, selected) {
  const o = document.createElement("option");
  o.value = value;
  o.textContent = label;
  o.selected = value === selected;
  return o;
}

// Options are rebuilt from the codes the rows carry (areas) and the bus's tables (the rest).
export function drawFilters() {
  const f = state.filters;
  const levels = ["district", "street", "community", "grid"];
  $("f-level").replaceChildren(option("", t("all"), f.level), ...levels.map((l) => option(l, tEnum("level", l.toUpperCase()), f.level)));
  const areas = new Set();
  if (f.level) for (const row of state.rows.values()) if (visible(row) && row[f.level]) areas.add(row[f.level]);
  if (f.area) areas.add(f.area);
  const name = (code) => (f.level === "district" && state.districts[code] ? `${code} ${state.districts[code]}` : code);
  $("f-area").replaceChildren(option("", t("all"), f.area), ...[...areas].sort().map((a) => option(a, name(a), f.area)));
  $("f-area").disabled = !f.level;
  $("f-category").replaceChildren(option("", t("all"), f.category), ...enumCodes("category").map((c) => option(c, tEnum("category", c), f.category)));
  const statuses = [["open", t("openAll")], ...enumCodes("status").map((s) => [s, tEnum("status", s)]), ["closed", t("closedAll")]];
  $("f-status").replaceChildren(...statuses.map(([v, l]) => option(v, l, f.status)));
  $("f-text").value = f.text;
  $("f-drills").checked = f.drills;
}

export function bindFilters(openCase) {
  const read = () => {
    const level = $("f-level").value;
    Object.assign(state.filters, {
      level,
      area: level === state.filters.level ? $("f-area").value : "",
      category: $("f-category").value,
      status: $("f-status").value,
      text: $("f-text").value.trim(),
      drills: $("f-drills").checked,
    });
    state.page = 0;
    changed("filter");
  };
  $("filters").addEventListener("submit", (e) => e.preventDefault());
  for (const id of ["f-level", "f-area", "f-category", "f-status", "f-drills"]) $(id).addEventListener("change", read);
  $("f-text").addEventListener("input", read);
  $("f-clear").addEventListener("click", () => {
    Object.assign(state.filters, { level: "", area: "", category: "", status: "open", text: "", drills: false });
    state.page = 0;
    changed("filter");
  });
  $("prev").addEventListener("click", () => { state.page = Math.max(0, state.page - 1); changed("page"); });
  $("next").addEventListener("click", () => { state.page += 1; changed("page"); });
  $("case-rows").addEventListener("click", (e) => {
    const button = e.target.closest("button[data-case]");
    if (button) openCase(button.dataset.case);
  });
}

function badge(kind, text) {
  const span = document.createElement("span");
  span.className = `badge ${kind}`;
  span.textContent = text;
  return span;
}

function cell(text, className = "") {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

// A closed or merged case's age stops at its last change.
function age(row, at) {
  return (row.open ? at : row.updated) - row.opened;
}

function dueText(row, at) {
  if (row.due === null) return t("none");
  const left = row.due - at;
  const kind = tEnum("deadline", row.due_kind);
  return `${kind} ${left >= 0 ? t("left", { t: duration(left) }) : t("late", { t: duration(left) })}`;
}

function escalationText(row) {
  const level = tEnum("level", row.level);
  return row.escalations ? `${level} ⬆ ${t("times", { n: row.escalations })}` : level;
}

function line(row, at) {
  const tr = document.createElement("tr");
  tr.dataset.caseId = row.id;
  const late = isOverdue(row, at);
  tr.className = late ? "late" : "";
  const id = document.createElement("td");
  const button = document.createElement("button");
  button.type = "button";
  button.dataset.case = row.id;
  button.textContent = row.id;
  id.append(button);
  const flags = document.createElement("td");
  if (late) flags.append(badge("late", `⚠ ${row.escalations ? t("escalated") : t("overdue")}`));
  if (row.six_unknowns) flags.append(badge("six", `✱ ${t("sixUnknowns")}`));
  if (row.major) flags.append(badge("major", tEnum("response", row.response)));
  if (row.event_status !== "ACTUAL") flags.append(badge("drill", `${t("drill")} ${row.event_status}`));
  tr.append(
    id,
    flags,
    cell(tEnum("status", row.status)),
    cell(`${tEnum("category", row.category)} · ${row.type}`, "category"),
    cell(duration(age(row, at)), "age"),
    cell(dueText(row, at), "due"),
    cell(escalationText(row)),
    cell(row.response ? tEnum("response", row.response) : t("none")),
    cell(row.lead ? tEnum("agency", row.lead) : t("none")),
  );
  return tr;
}

let shownRows = [];

export function drawList() {
  const at = now();
  const all = [...state.rows.values()].filter((r) => matches(r)).sort((a, b) => urgency(a, b, at));
  const pages = Math.max(1, Math.ceil(all.length / PAGE_ROWS));
  state.page = Math.min(state.page, pages - 1);
  shownRows = all.slice(state.page * PAGE_ROWS, (state.page + 1) * PAGE_ROWS);
  const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.case : null;
  $("case-rows").replaceChildren(...shownRows.map((r) => line(r, at)));
  if (focused) {
    const again = $("case-rows").querySelector(`button[data-case="${CSS.escape(focused)}"]`);
    if (again) again.focus();
  }
  $("count").textContent = t("count", { shown: shownRows.length, total: all.length });
  $("page").textContent = t("page", { page: state.page + 1, pages });
  $("prev").disabled = state.page === 0;
  $("next").disabled = state.page >= pages - 1;
}

let lastTick = 0;
let deadlinePassed = false;
let lastDeadlineRedraw = 0;
const DEADLINE_REDRAW_MS = 2000; // with thousands of cases a deadline passes nearly every second

// Every second: countdowns and ages of the rows on screen; any case whose deadline passed since the
// last tick turns overdue on the list and the map without waiting for the correlator's escalation.
export function tick() {
  const at = now();
  const body = $("case-rows");
  shownRows.forEach((row, i) => {
    const tr = body.children[i];
    if (!tr) return;
    tr.querySelector(".age").textContent = duration(age(row, at));
    tr.querySelector(".due").textContent = dueText(row, at);
  });
  for (const [id, row] of state.rows) {
    if (!row.open && row.updated < at - CLOSED_SHOWN_MS) {
      state.rows.delete(id); // as the server's board: closed cases stay a day
      changed("expired");
    } else if (row.open && row.due !== null && row.due <= at && row.due > lastTick) {
      deadlinePassed = true;
    }
  }
  lastTick = at;
  if (deadlinePassed && at - lastDeadlineRedraw >= DEADLINE_REDRAW_MS) {
    deadlinePassed = false;
    lastDeadlineRedraw = at;
    changed("deadline");
  }
}
