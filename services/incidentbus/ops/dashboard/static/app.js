// The dashboard: follows the query service's event stream (one `board`, then `cases`, `alert` and
// `summary` events) and redraws the map, the list, the alerts and the tiles from what it holds.

import { applyLabels, lang, setLang, t } from "./i18n.js";
import { bindFilters, drawFilters, drawList, tick } from "./list.js";
import { drawMap, initMap } from "./map.js";
import { drawAlerts, drawTiles } from "./panels.js";
import { DATA, changed, concerns, setClock, state, subscribe, upsert } from "./state.js";
import { openCase } from "./view.js";

// What the browser tests and the benchmark read: when the first board was drawn, the last update.
window.ibus = { renders: 0, renderedAt: 0, boardAt: 0, firstRender: null, lastUpdate: null };

const $ = (id) => document.getElementById(id);

const CONNECTION = { connecting: "connecting", live: "live", offline: "offline" };

function status(state_) {
  const el = $("conn");
  el.dataset.state = state_;
  el.textContent = t(CONNECTION[state_]);
}

// Each part redraws only for what concerns it: a filter or a page change leaves the map alone,
// an alert leaves the list alone (with 10,000 cases the map is the costly part).
function drawAll(reasons) {
  const data = concerns(reasons, DATA);
  if (data || concerns(reasons, ["filter", "lang"])) drawFilters();
  if (data || concerns(reasons, ["filter", "page", "lang"])) drawList();
  if (data || reasons.has("filter")) drawMap(data);
  if (concerns(reasons, ["board", "alert", "filter", "lang"])) drawAlerts(openCase);
  if (data || concerns(reasons, ["summary", "filter", "lang"])) drawTiles();
  if (concerns(reasons, ["board", "lang"])) {
    $("lang").textContent = t("lang"); // the other language's name, in that language
    $("lang").lang = lang() === "zh" ? "en" : "zh-CN";
    $("lang").title = t("langName");
    status($("conn").dataset.state);
    applyLabels();
  }
}

subscribe(drawAll);

function measured(kind, receivedAt, rows) {
  requestAnimationFrame(() =>
    setTimeout(() => {
      const figure = { receivedAt, renderedAt: performance.now(), rows };
      if (kind === "board" && window.ibus.firstRender === null) window.ibus.firstRender = figure;
      else window.ibus.lastUpdate = figure;
    }),
  );
}

function follow() {
  const stream = new EventSource("/events");
  status("connecting");
  stream.addEventListener("open", () => status("live"));
  stream.addEventListener("error", () => status("offline"));
  stream.addEventListener("board", (e) => {
    const at = performance.now();
    const board = JSON.parse(e.data);
    setClock(board.now);
    state.rows.clear();
    upsert(board.rows);
    Object.assign(state, { tiles: board.tiles, alerts: board.alerts, districts: board.districts });
    window.ibus.boardAt = at;
    changed("board");
    measured("board", at, board.rows.length);
  });
  stream.addEventListener("cases", (e) => {
    const at = performance.now();
    const update = JSON.parse(e.data);
    setClock(update.now);
    upsert(update.rows, update.removed);
    changed("cases");
    measured("cases", at, update.rows.length);
  });
  stream.addEventListener("alert", (e) => {
    state.alerts.push(JSON.parse(e.data));
    state.alerts = state.alerts.slice(-50);
    changed("alert");
  });
  stream.addEventListener("summary", (e) => {
    const summary = JSON.parse(e.data);
    setClock(summary.now);
    state.tiles = summary.tiles;
    changed("summary");
  });
}

async function main() {
  setLang(lang());
  applyLabels();
  $("lang").addEventListener("click", () => {
    setLang(lang() === "zh" ? "en" : "zh");
    changed("lang");
  });
  $("cv-close").addEventListener("click", () => $("case-view").close());
  bindFilters(openCase);
  follow(); // the board streams in while the grid layer loads
  setInterval(tick, 1000);
  await initMap($("map"));
  changed("map");
}

main();
