// The line chart, drawn as SVG: one line per series, the 95 % interval as a
// band when the value is a share, low-support points hollow, every point
// focusable with its values shown on hover and focus.

import { number, percent, t } from "./i18n.js";

const SVG = "http://www.w3.org/2000/svg";
/** The drawing's width follows its box (so text keeps its size on a phone), within these. */
const MIN_WIDTH = 320;
const MAX_WIDTH = 900;
const MARGIN = { top: 12, right: 36, bottom: 36, left: 56 };
/** Line colours (colour-blind safe, Okabe-Ito). */
export const COLOURS = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000"];

/** Makes an SVG element with attributes. */
export function svg(name, attributes = {}) {
  const el = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) el.setAttribute(key, value);
  return el;
}

/** The plotted value of a point for `value` (count, share or index). */
export function pointValue(point, value) {
  if (value === "share") return point.share;
  if (value === "index") return point.index ?? null;
  return point.count;
}

/** One line of text describing a point: count / total, share and interval. */
export function describe(series, point) {
  const interval = point.low === undefined ? "" : ` [${percent(point.low)} – ${percent(point.high)}]`;
  const index = point.index === undefined || point.index === null ? "" : ` · ${t("index")} ${number(point.index, 1)}`;
  const low = point.low_support ? ` · ${t("lowSupport")}` : "";
  return `${series.label} · ${series.geoName} · ${point.date}${t("colon")}${number(point.count)} ${t("of")} ${number(point.total)} · ${percent(point.share)}${interval}${index}${low}`;
}

/** A few round tick values from 0 to at least `max`. */
function ticks(max) {
  if (!(max > 0)) return [0, 1];
  const step0 = max / 4;
  const magnitude = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= step0);
  const out = [];
  for (let v = 0; v <= max + step * 0.999; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/**
 * Draws `series` ([{skill, label, geo, geoName, points}]) into `container`.
 * `onPoint(series, point)` runs on a click or Enter on a point.
 */
export function renderChart(container, series, value, onPoint) {
  const WIDTH = Math.round(Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, container.clientWidth || 720)));
  const HEIGHT = Math.round(Math.min(320, Math.max(240, WIDTH * 0.6)));
  container.replaceChildren();
  const dates = series[0]?.points.map((p) => p.date) ?? [];
  const values = series.flatMap((s) => s.points.flatMap((p) => [pointValue(p, value), value === "share" ? p.high : null]));
  const max = Math.max(0, ...values.filter((v) => v !== null && v !== undefined));
  const yTicks = ticks(max);
  const top = yTicks[yTicks.length - 1];
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (i) => MARGIN.left + (dates.length < 2 ? plotW / 2 : (i * plotW) / (dates.length - 1));
  const y = (v) => MARGIN.top + plotH - (v / top) * plotH;
  const format = (v) => (value === "share" ? percent(v, 0) : number(v, value === "index" ? 0 : 1));

  const root = svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "group", "aria-label": t("trendTitle"), class: "chart-svg" });
  for (const v of yTicks) {
    root.append(svg("line", { x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y(v), y2: y(v), class: "grid" }));
    const label = svg("text", { x: MARGIN.left - 6, y: y(v) + 4, class: "axis", "text-anchor": "end" });
    label.textContent = format(v);
    root.append(label);
  }
  const every = Math.max(1, Math.ceil(dates.length / Math.floor(WIDTH / 90)));
  dates.forEach((d, i) => {
    if (i % every !== 0) return;
    const label = svg("text", { x: x(i), y: HEIGHT - 14, class: "axis", "text-anchor": "middle" });
    label.textContent = d;
    root.append(label);
  });

  const tip = document.createElement("div");
  tip.className = "tooltip";
  tip.hidden = true;
  series.forEach((s, k) => {
    const colour = COLOURS[k % COLOURS.length];
    if (value === "share") root.append(band(s.points, x, y, colour));
    const line = s.points.map((p, i) => [x(i), pointValue(p, value)]).filter(([, v]) => v !== null && v !== undefined);
    root.append(svg("path", { d: line.map(([px, v], i) => `${i ? "L" : "M"}${px.toFixed(1)},${y(v).toFixed(1)}`).join(""), stroke: colour, class: "line" }));
    s.points.forEach((p, i) => {
      const v = pointValue(p, value);
      if (v === null || v === undefined) return;
      root.append(marker(s, p, [x(i), y(v)], [WIDTH, HEIGHT], colour, tip, onPoint));
    });
  });
  const legend = document.createElement("ul");
  legend.className = "series-legend";
  series.forEach((s, k) => {
    const item = document.createElement("li");
    const swatch = document.createElement("span");
    swatch.className = `swatch c${k % COLOURS.length}`;
    item.append(swatch, `${s.label} · ${s.geoName}`);
    legend.append(item);
  });
  container.append(root, tip, legend);
}

/** The interval band of a series: high values left to right, low values back. */
function band(points, x, y, colour) {
  const upper = [];
  const lower = [];
  points.forEach((p, i) => {
    if (p.low === undefined || p.high === undefined || p.total === 0) return;
    upper.push(`${x(i).toFixed(1)},${y(p.high).toFixed(1)}`);
    lower.unshift(`${x(i).toFixed(1)},${y(p.low).toFixed(1)}`);
  });
  if (!upper.length) return svg("g");
  return svg("path", { d: `M${upper.join("L")}L${lower.join("L")}Z`, fill: colour, class: "band" });
}

/** One focusable point at `at` in a drawing of `size`, hollow when its support is low. */
function marker(series, point, at, size, colour, tip, onPoint) {
  const [px, py] = at;
  const [width, height] = size;
  const text = describe(series, point);
  const dot = svg("circle", {
    cx: px.toFixed(1), cy: py.toFixed(1), r: point.low_support ? 4.5 : 4,
    stroke: colour, fill: point.low_support ? "#fff" : colour,
    class: point.low_support ? "point low-support" : "point",
    tabindex: 0, role: "button", "aria-label": text,
    "data-skill": series.skill, "data-geo": series.geo, "data-date": point.date,
    "data-count": point.count, "data-total": point.total, "data-share": point.share ?? "",
  });
  const show = () => {
    tip.textContent = text;
    tip.hidden = false;
    tip.style.left = `${(px / width) * 100}%`;
    tip.style.top = `${(py / height) * 100}%`;
  };
  const hide = () => { tip.hidden = true; };
  dot.addEventListener("mouseenter", show);
  dot.addEventListener("focus", show);
  dot.addEventListener("mouseleave", hide);
  dot.addEventListener("blur", hide);
  dot.addEventListener("click", () => onPoint(series, point));
  dot.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      onPoint(series, point);
    }
  });
  return dot;
}
