// The case view: the timeline `incidentbus trace` shows (who, what, when, why, pending deadlines),
// the source reports with topic/partition/offset, merges and splits. Reporters stay sealed.

import { t, tEnum } from "./i18n.js";

const $ = (id) => document.getElementById(id);

function el(tag, text = "", className = "") {
  const node = document.createElement(tag);
  if (text) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function table(headers, rows) {
  const tbl = el("table");
  const head = el("tr");
  for (const h of headers) {
    const th = el("th", h);
    th.scope = "col";
    head.append(th);
  }
  const thead = el("thead");
  thead.append(head);
  const tbody = el("tbody");
  for (const cells of rows) {
    const tr = el("tr");
    for (const c of cells) {
      const td = el("td");
      if (c instanceof Node) td.append(c);
      else td.textContent = String(c);
      tr.append(td);
    }
    tbody.append(tr);
  }
  tbl.append(thead, tbody);
  return tbl;
}

function caseLink(id, openCase) {
  const b = el("button", id);
  b.type = "button";
  b.addEventListener("click", () => openCase(id));
  return b;
}

function timeline(events) {
  const ol = el("ol", "", "timeline");
  for (const e of events) {
    const li = el("li");
    li.dataset.eventType = e.event_type;
    const head = el("p", "", "step");
    head.append(
      el("time", new Date(e.time).toLocaleString(document.documentElement.lang, { hour12: false })),
      el("strong", ` ${tEnum("event", e.event_type)} `),
      el("span", `${t("who")}: ${e.actor ? tEnum("agency", e.actor) : t("none")}`, "actor"),
    );
    li.append(head, el("p", e.summary, "summary"));
    const pending = e.pending_deadlines || [];
    if (pending.length) {
      const text = pending.map((d) => `${tEnum("deadline", d.kind)} ${d.task_id.split("/").pop()} ≤ ${new Date(d.due).toLocaleTimeString(document.documentElement.lang, { hour12: false })}`);
      li.append(el("p", `${t("pending")}: ${text.join("; ")}`, "pending"));
    }
    li.append(el("p", `${tEnum("status", e.status)} · ${e.position} · ${e.event_id}`, "meta"));
    ol.append(li);
  }
  return ol;
}

function merges(view, openCase) {
  const div = el("div");
  const lines = [
    [t("mergedInto"), view.merged_into],
    [t("absorbed"), view.absorbed],
    [t("splitInto"), view.split_into],
  ].filter(([, ids]) => ids.length);
  if (!lines.length) div.append(el("p", t("noMerges")));
  for (const [label, ids] of lines) {
    const p = el("p", `${label}: `);
    ids.forEach((id) => p.append(caseLink(id, openCase), " "));
    div.append(p);
  }
  return div;
}

export async function openCase(caseId) {
  const dialog = $("case-view");
  const body = $("cv-body");
  $("cv-title").textContent = `${t("view")} ${caseId}`;
  body.replaceChildren(el("p", t("loading")));
  if (!dialog.open) dialog.showModal();
  const response = await fetch(`/cases/${encodeURIComponent(caseId)}/view`);
  if (!response.ok) {
    body.replaceChildren(el("p", t("notFound")));
    return;
  }
  const view = await response.json();
  const c = view.case;
  const summary = el("p", `${tEnum("status", c.status)} · ${tEnum("category", c.category)} · ${c.type} · ${c.grid} · ${tEnum("level", c.level)}${c.response ? " · " + tEnum("response", c.response) : ""}`, "case-summary");
  const reports = table(
    [t("agency"), t("ref"), t("topic"), t("partition"), t("offset"), t("rule")],
    view.reports.map((r) => [tEnum("agency", r.source_agency), r.source_ref, r.topic, r.partition, r.offset, r.rule]),
  );
  reports.id = "cv-reports";
  body.replaceChildren(
    summary,
    el("h3", t("timeline")),
    timeline(view.events),
    el("h3", t("sources")),
    reports,
    el("h3", t("merges")),
    merges(view, openCase),
    el("p", t("sealed"), "sealed"),
  );
  body.dataset.caseId = caseId;
}
