// The live alert strip (fast path, escalations, response level changes) and the agency tiles.

import { t, tEnum } from "./i18n.js";
import { state, visible } from "./state.js";
import { duration } from "./list.js";

const $ = (id) => document.getElementById(id);
// The same symbols as the map's legend: Ⅰ/Ⅱ only for a change to level I or II, ◆ for the others.
function symbol(a) {
  if (a.kind === "level_changed") return ["I", "II"].includes(a.detail.to_level) ? "Ⅰ/Ⅱ" : "◆";
  return { fast_path: "✱", escalated: "⚠", resolved: "✓", closed: "✓", merged: "⇢", reopened: "↺" }[a.kind] || "!";
}

function clock(ms) {
  return new Date(ms).toLocaleTimeString(document.documentElement.lang, { hour12: false });
}

function alertText(a) {
  const d = a.detail;
  if (a.kind === "fast_path") return `${tEnum("category", d.category)} · ${d.grid}`;
  if (a.kind === "resolved") return "";
  if (a.kind === "closed") return "";
  if (a.kind === "merged") return `← ${d.merged_case}`;
  if (a.kind === "reopened") return d.reason || "";
  if (a.kind === "escalated") return `→ ${tEnum("level", d.to_level)} ${d.jurisdiction} (${tEnum("deadline", d.missed)})`;
  const level = (code) => (code ? tEnum("response", code) : t("routine"));
  return `${level(d.from_level)} → ${level(d.to_level)}`;
}

export function drawAlerts(openCase) {
  const all = state.alerts.filter((a) => state.filters.drills || a.event_status === "ACTUAL");
  const shown = all.slice(-12).reverse();
  $("alert-count").textContent = all.length ? `(${all.length})` : "";
  const items = shown.map((a) => {
    const li = document.createElement("li");
    li.className = `alert ${a.kind}`;
    li.dataset.kind = a.kind;
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = `${symbol(a)} ${clock(a.at)} ${tEnum("alert", a.kind)}: ${a.case_id} ${alertText(a)}`;
    button.addEventListener("click", () => openCase(a.case_id));
    li.append(button);
    return li;
  });
  if (!items.length) {
    const li = document.createElement("li");
    li.textContent = t("noAlerts");
    items.push(li);
  }
  $("alert-list").replaceChildren(...items);
}

function figure(label, value, warn = false) {
  const div = document.createElement("div");
  div.className = warn ? "figure warn" : "figure";
  const dt = document.createElement("dt");
  dt.textContent = label;
  const dd = document.createElement("dd");
  dd.textContent = warn ? `⚠ ${value}` : value;
  div.append(dt, dd);
  return div;
}

export function drawTiles() {
  const tiles = Object.entries(state.tiles).map(([agency, tile]) => {
    const section = document.createElement("section");
    section.className = "tile";
    section.dataset.agency = agency;
    const h = document.createElement("h3");
    h.textContent = tEnum("agency", agency);
    const dl = document.createElement("dl");
    const ack = tile.median_s_to_acknowledge;
    const compliance = tile.deadline_compliance;
    dl.append(
      figure(t("openTasks"), String(tile.open_tasks)),
      figure(t("overdueTasks"), String(tile.overdue_tasks), tile.overdue_tasks > 0),
      figure(t("medianAck"), ack === null ? t("none") : duration(ack * 1000)),
      figure(t("compliance"), compliance === null ? t("none") : `${Math.round(compliance * 100)}%`),
    );
    section.append(h, dl);
    return section;
  });
  $("tile-list").replaceChildren(...tiles);
  const openShown = [...state.rows.values()].filter((r) => r.open && visible(r)).length;
  $("open-total").textContent = String(openShown);
}
