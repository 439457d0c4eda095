// The map of France by région or département (data/maps/france.json,
// Natural Earth boundaries), each area coloured by the skill's share of
// postings over the period, its value shown on hover and focus.

import { svg } from "./chart.js";
import { number, percent, t } from "./i18n.js";

/** Sequential colour classes, light to dark (ColorBrewer Blues). */
const CLASSES = ["#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"];
const NO_DATA = "#e8e8e8";

/** The colour of `share` on a scale from 0 to `max`. */
export function colour(share, max) {
  if (share === null || share === undefined || !(max > 0)) return NO_DATA;
  const k = Math.min(CLASSES.length - 1, Math.floor((share / max) * CLASSES.length));
  return CLASSES[k];
}

/**
 * Each area's count, total and share over the period from trends series
 * (one per geography): for `new` the buckets added up, for `active` the last
 * bucket (the stock at the period's end).
 */
export function periodValues(series, metric) {
  const values = new Map();
  for (const s of series) {
    const points = metric === "active" ? s.points.slice(-1) : s.points;
    const count = points.reduce((n, p) => n + p.count, 0);
    const total = points.reduce((n, p) => n + p.total, 0);
    values.set(s.geo, { count, total, share: total > 0 ? count / total : null });
  }
  return values;
}

/**
 * Draws the map into `container`: `shapes` grouped by `level` ("region" or
 * "department"), coloured from `values` (code → {count, total, share});
 * `names` gives each code's name. `show(text)` is called on hover and focus,
 * `onArea(code)` on a click or Enter.
 */
export function renderMap(container, map, level, values, names, show, onArea) {
  container.replaceChildren();
  const max = Math.max(0, ...[...values.values()].map((v) => v.share ?? 0));
  const root = svg("svg", { viewBox: map.viewBox, class: `map-svg level-${level}`, role: "group", "aria-label": t("mapTitle") });
  const groups = new Map();
  for (const shape of map.shapes) {
    const code = level === "region" ? shape.region : shape.code;
    if (!groups.has(code)) groups.set(code, []);
    groups.get(code).push(shape.d);
  }
  for (const inset of map.insets) {
    root.append(svg("rect", { x: inset.x, y: inset.y, width: inset.size, height: inset.size, class: "inset" }));
  }
  for (const [code, paths] of groups) {
    const v = values.get(code);
    const name = names.get(code) ?? code;
    const text = v && v.total > 0
      ? `${name}${t("colon")}${number(v.count)} ${t("of")} ${number(v.total)} · ${percent(v.share)}`
      : `${name}${t("colon")}${t("noData")}`;
    const area = svg("g", {
      class: "area", tabindex: 0, role: "button", "aria-label": text,
      "data-geo": code, "data-share": v?.share ?? "", fill: colour(v?.share, max),
    });
    // A région's départements share its colour, their seams hidden under it.
    if (level === "region") area.setAttribute("stroke", area.getAttribute("fill"));
    const title = svg("title");
    title.textContent = text;
    area.append(title, ...paths.map((d) => svg("path", { d })));
    area.addEventListener("mouseenter", () => show(text));
    area.addEventListener("focus", () => show(text));
    area.addEventListener("click", () => onArea(code));
    area.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        onArea(code);
      }
    });
    root.append(area);
  }
  // Région borders over the areas (départements' own borders only at that level).
  for (const line of map.outlines ?? []) {
    root.append(svg("path", { d: line.d, class: "outline", "aria-hidden": "true" }));
  }
  for (const inset of map.insets) {
    const label = svg("text", { x: inset.x + inset.size / 2, y: inset.y + inset.size - 3, class: "inset-label", "text-anchor": "middle" });
    label.textContent = names.get(inset.code) ?? inset.code;
    root.append(label);
  }
  container.append(root);
  return max;
}

/** The legend: one swatch per colour class with its share range. */
export function renderLegend(container, max) {
  container.replaceChildren();
  const title = document.createElement("span");
  title.textContent = `${t("legend")}${t("colon").trimEnd()}`;
  container.append(title);
  const entries = CLASSES.map((c, k) => [c, `${percent((max * k) / CLASSES.length, 0)}–${percent((max * (k + 1)) / CLASSES.length, 0)}`]);
  entries.push([NO_DATA, t("noData")]);
  for (const [c, text] of entries) {
    const item = document.createElement("span");
    item.className = "legend-item";
    const swatch = svg("svg", { width: 14, height: 14, "aria-hidden": "true" });
    swatch.append(svg("rect", { width: 14, height: 14, fill: c }));
    item.append(swatch, text);
    container.append(item);
  }
}
