// The grid layer on a Leaflet map without tiles (a command centre's closed network has none): each
// grid shaded by its open cases, a dashed border and a ⚠ mark where a case is overdue or escalated,
// ✱ for the six unknowns, Ⅰ/Ⅱ for response levels I and II. Shape never rests on colour alone.

import * as L from "./vendor/leaflet/leaflet-src.esm.js";
import { t } from "./i18n.js";
import { changed, isOverdue, now, state, visible } from "./state.js";

const STEPS = [
  [8, "#7f2704"],
  [4, "#d94801"],
  [2, "#fd8d3c"],
  [1, "#fdd0a2"],
];

let map;
const layers = new Map(); // grid code -> polygon layer
let marks;
const marked = new Map(); // grid code -> {marker, text}
let current = new Map(); // grid code -> its figures, as last drawn
const EMPTY = { open: 0, late: 0, six: 0, major: 0 };

function label(code) {
  const f = current.get(code) || EMPTY;
  return `${code}: ${f.open} ${t("legendOpen")}` + (f.late ? `, ${f.late} ${t("overdue")}` : "");
}

export async function initMap(element) {
  map = L.map(element, { attributionControl: false, zoomSnap: 0.25, keyboard: true, preferCanvas: false });
  const response = await fetch("/layers/grids.geojson");
  const data = await response.json();
  const grid = L.geoJSON(data, {
    style: () => style({ open: 0, late: 0 }),
    onEachFeature: (feature, layer) => {
      const code = feature.properties.grid_code;
      layers.set(code, layer);
      layer.bindTooltip(() => label(code), { sticky: true });
      layer.on("click", () => {
        Object.assign(state.filters, { level: "grid", area: code });
        state.page = 0;
        changed("filter");
      });
    },
  }).addTo(map);
  // the map draws its layers once it has a view: name each grid's path after that
  if (grid.getBounds().isValid()) map.fitBounds(grid.getBounds(), { padding: [8, 8] });
  else map.setView([31.23, 121.47], 12);
  // grids are named for the tests and taken out of the Tab order: 600+ stops before the case list
  // would strand a keyboard user; the area filter selects a grid by keyboard instead
  for (const [code, layer] of layers) {
    const path = layer.getElement();
    path?.setAttribute("data-grid", code);
    path?.setAttribute("tabindex", "-1");
  }
  window.addEventListener("resize", () => {
    map.invalidateSize();
    if (grid.getBounds().isValid()) map.fitBounds(grid.getBounds(), { padding: [8, 8] });
  });
  marks = L.layerGroup().addTo(map);
  element.dataset.grids = String(layers.size);
}

function style(figures) {
  const step = STEPS.find(([n]) => figures.open >= n);
  return {
    color: figures.late ? "#7a0019" : "#4a5568",
    weight: figures.late ? 3 : 0.6,
    dashArray: figures.late ? "6 4" : null,
    fillColor: step ? step[1] : "#f7fafc",
    fillOpacity: step ? 0.75 : 0.25,
  };
}

function byGrid() {
  const at = now();
  const figures = new Map();
  for (const row of state.rows.values()) {
    if (!row.open || !visible(row)) continue;
    const f = figures.get(row.grid) || { ...EMPTY };
    f.open += 1;
    f.late += isOverdue(row, at) ? 1 : 0;
    f.six += row.six_unknowns ? 1 : 0;
    f.major += row.major ? 1 : 0;
    figures.set(row.grid, f);
  }
  return figures;
}

// ⚠ marks every overdue grid while there are few; beyond that the dashed borders carry it alone
// (thousands of DOM marks would stall the page, and a wall of ⚠ tells a duty officer nothing).
const LATE_MARKS_UP_TO = 200;

function markText(f, lateMarks) {
  return [f.late && lateMarks ? "⚠" : "", f.six ? "✱" : "", f.major ? "Ⅰ/Ⅱ" : ""].join("");
}

function same(a, b) {
  return a.open === b.open && a.late === b.late && a.six === b.six && a.major === b.major;
}

let drawn = null; // the figures and settings last drawn: only grids whose figures changed are redrawn

function mark(code, layer, text) {
  const old = marked.get(code);
  if (old && old.text === text) return;
  if (old) marks.removeLayer(old.marker);
  marked.delete(code);
  if (!text) return;
  const icon = L.divIcon({ className: "grid-mark", html: text, iconSize: null });
  const marker = L.marker(layer.getBounds().getCenter(), { icon, title: label(code), keyboard: true });
  marker.on("click", () => layer.fire("click"));
  marks.addLayer(marker);
  marked.set(code, { marker, text });
}

// Redraw the grids whose figures changed since the last draw (all of them the first time). With
// `data` false (a filter changed) only a change of the drills setting can change the figures.
export function drawMap(data = true) {
  if (!map) return;
  const drills = state.filters.drills;
  if (!data && drawn && drawn.drills === drills) return;
  const next = byGrid();
  let late = 0;
  for (const f of next.values()) late += f.late ? 1 : 0;
  const lateMarks = late <= LATE_MARKS_UP_TO;
  const redrawAll = !drawn || drawn.lateMarks !== lateMarks;
  const before = current;
  current = next; // label() reads it
  for (const [code, layer] of layers) {
    const f = next.get(code) || EMPTY;
    if (!redrawAll && same(f, before.get(code) || EMPTY)) continue;
    layer.setStyle(style(f));
    const path = layer.getElement();
    if (path) Object.assign(path.dataset, { open: String(f.open), late: String(f.late) });
    mark(code, layer, markText(f, lateMarks));
    if (layer.isTooltipOpen()) layer.setTooltipContent(label(code)); // an open tooltip keeps up
  }
  drawn = { drills, lateMarks };
  map.getContainer().dataset.shaded = String(next.size);
  map.getContainer().dataset.marked = String(marked.size);
}
