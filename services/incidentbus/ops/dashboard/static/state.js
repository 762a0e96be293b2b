// What the page holds: the case rows by id (from the stream's `board`, then `cases` upserts), agency
// tiles, the latest alerts, the filters. Views subscribe and redraw at most once per frame.

export const state = {
  rows: new Map(),
  tiles: {},
  alerts: [],
  districts: {},
  offsetMs: 0, // server clock minus this browser's clock
  filters: { level: "", area: "", category: "", status: "open", text: "", drills: false },
  page: 0,
};

const listeners = [];
let pending = new Set();

export function subscribe(fn) {
  listeners.push(fn);
}

// Redraw on the next frame, once for every reason given since the last one (board, cases, alert,
// summary, deadline, expired, filter, page, lang, map); each view redraws only for the reasons
// that concern it. `window.ibus.renderedAt` records when (for the tests and the benchmark).
export function changed(reason) {
  if (pending.size === 0) {
    requestAnimationFrame(() => {
      const reasons = pending;
      pending = new Set();
      for (const fn of listeners) fn(reasons);
      window.ibus.renders += 1;
      window.ibus.renderedAt = performance.now();
    });
  }
  pending.add(reason);
}

// The reasons that change what cases the page holds (the map and the counts follow them).
export const DATA = ["board", "cases", "deadline", "expired", "map"];

export function concerns(reasons, wanted) {
  return wanted.some((r) => reasons.has(r));
}

export function now() {
  return Date.now() + state.offsetMs;
}

export function setClock(serverNow) {
  state.offsetMs = serverNow - Date.now();
}

// A case counts as overdue once escalated or once its next deadline has passed (by the server's clock).
export function isOverdue(row, at = now()) {
  return row.open && (row.escalations > 0 || (row.due !== null && row.due < at));
}

export function visible(row) {
  return state.filters.drills || row.event_status === "ACTUAL";
}

const AREA_OF = { district: "district", street: "street", community: "community", grid: "grid" };

export function matches(row, f = state.filters) {
  if (!visible(row)) return false;
  if (f.status === "open" ? !row.open : f.status === "closed" ? row.open : f.status && row.status !== f.status) return false;
  if (f.category && row.category !== f.category) return false;
  if (f.level && f.area && row[AREA_OF[f.level]] !== f.area) return false;
  if (f.text) {
    const needle = f.text.toLowerCase();
    if (!row.id.toLowerCase().includes(needle) && !row.type.toLowerCase().includes(needle)) return false;
  }
  return true;
}

// Most urgent first: overdue, then level I/II and six unknowns, then the nearest deadline, then newest.
export function urgency(a, b, at = now()) {
  const rank = (r) => (!r.open ? 3 : isOverdue(r, at) ? 0 : r.major || r.six_unknowns ? 1 : 2);
  return (
    rank(a) - rank(b) ||
    (a.due ?? Infinity) - (b.due ?? Infinity) ||
    b.opened - a.opened ||
    (a.id < b.id ? -1 : 1)
  );
}

export function upsert(rows, removed = []) {
  for (const row of rows) state.rows.set(row.id, row);
  for (const id of removed) state.rows.delete(id);
}
