// The dashboard: state kept in the URL, controls, and the four views
// (chart, map, top, postings), each drawn from the JSON API.

import { csvUrl, getJson } from "./api.js";
import { renderChart } from "./chart.js";
import { language, number, percent, setLanguage, t, translatePage } from "./i18n.js";
import { periodValues, renderLegend, renderMap } from "./map.js";

const $ = (id) => document.getElementById(id);
/** Most geographies in one trends request (the API allows 100 series). */
const GEOS_PER_REQUEST = 50;
const MAX_SKILLS = 6;

/** What the URL holds, with defaults. */
const DEFAULTS = {
  lang: "", skills: "python,java,javascript", geo: "FR", from: "", to: "", interval: "month",
  metric: "new", value: "count", level: "region", map: "", tab: "all", sort: "count", drill: "",
};
const state = { ...DEFAULTS };
/** Loaded once: skills by id, geographies by code, the map. */
const catalog = { skills: new Map(), geos: new Map(), map: null };
/** The period the last trends answer covered (the API fills in defaults). */
let period = { from: "", to: "" };
let skillTab = "skills";

function readUrl() {
  const params = new URLSearchParams(location.search);
  for (const key of Object.keys(DEFAULTS)) state[key] = params.get(key) ?? DEFAULTS[key];
  if (!state.lang) state.lang = navigator.language?.startsWith("fr") ? "fr" : "en";
}

function writeUrl() {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(state)) {
    if (value !== DEFAULTS[key] || key === "lang") params.set(key, value);
  }
  history.replaceState(null, "", `${location.pathname}?${params}`);
}

function chosenSkills() {
  return state.skills.split(",").filter((id) => catalog.skills.has(id));
}

function showError(error) {
  const box = $("error");
  box.hidden = !error;
  box.textContent = error ? String(error.message ?? error) : "";
}

function geoName(code) {
  return catalog.geos.get(code)?.name ?? (code === "remote" ? t("remote") : code);
}

/** Accents and case folded away, for matching typed text. */
function fold(text) {
  return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}

// ---- controls -------------------------------------------------------------

function fillCategories() {
  const select = $("category");
  const categories = [...new Set([...catalog.skills.values()].map((s) => s.category))]
    .filter((c) => c !== "certification").sort();
  select.replaceChildren(new Option(t("allCategories"), ""), ...categories.map((c) => new Option(c, c)));
  select.disabled = skillTab === "certs";
}

function fillGeos() {
  const select = $("geo");
  const geos = [...catalog.geos.values()];
  const group = (label, level, parent) => {
    const g = document.createElement("optgroup");
    g.label = label;
    for (const geo of geos.filter((x) => x.level === level && (!parent || x.parent === parent))) {
      g.append(new Option(geo.level === "department" ? `${geo.code.slice(3)} ${geo.name}` : geo.name, geo.code));
    }
    return g;
  };
  select.replaceChildren(
    group(t("france"), "country", null),
    group(t("regions"), "region", null),
    group(t("departments"), "department", null),
    group(t("remote"), "remote", null),
  );
  const france = select.querySelector('option[value="FR"]');
  if (france) select.querySelector("optgroup").replaceChildren(france);
  const countries = group(t("countries"), "country", null);
  countries.querySelector('option[value="FR"]')?.remove();
  select.append(countries);
  select.value = state.geo;
}

function searchSkills() {
  const query = fold($("skill-search").value.trim());
  const category = $("category").value;
  const list = $("skill-results");
  list.replaceChildren();
  const matches = [...catalog.skills.values()].filter((s) => {
    if (skillTab === "certs" ? s.category !== "certification" : s.category === "certification") return false;
    if (category && skillTab === "skills" && s.category !== category) return false;
    if (!query) return Boolean(category) || skillTab === "certs";
    return [s.id, s.label, ...(s.aliases ?? [])].some((w) => fold(w).includes(query));
  }).slice(0, 12);
  for (const s of matches) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = `${s.label} (${s.category})`;
    button.setAttribute("aria-label", `${t("add")} ${s.label}`);
    button.addEventListener("click", () => addSkill(s.id));
    item.append(button);
    list.append(item);
  }
}

function addSkill(id) {
  const skills = chosenSkills();
  if (!skills.includes(id)) skills.push(id);
  state.skills = skills.slice(-MAX_SKILLS).join(",");
  $("skill-search").value = "";
  $("skill-results").replaceChildren();
  refresh();
}

function showChosen() {
  const list = $("chosen");
  list.replaceChildren();
  for (const id of chosenSkills()) {
    const item = document.createElement("li");
    const label = catalog.skills.get(id).label;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = "×";
    remove.setAttribute("aria-label", `${t("remove")} ${label}`);
    remove.addEventListener("click", () => {
      state.skills = chosenSkills().filter((x) => x !== id).join(",");
      refresh();
    });
    item.append(label, remove);
    list.append(item);
  }
}

function syncControls() {
  for (const key of ["from", "to", "interval", "metric", "value"]) $(key).value = state[key];
  $("geo").value = state.geo;
  $("lang").textContent = t("lang");
  $("lang").setAttribute("aria-label", t("langName"));
  for (const b of document.querySelectorAll("#map-level button")) b.setAttribute("aria-pressed", String(b.dataset.level === state.level));
  for (const b of document.querySelectorAll("#top-tabs button")) b.setAttribute("aria-pressed", String(b.dataset.tab === state.tab));
  for (const b of document.querySelectorAll("#skill-tabs button")) b.setAttribute("aria-pressed", String(b.dataset.tab === skillTab));
  for (const th of document.querySelectorAll("#top th[aria-sort]")) {
    th.setAttribute("aria-sort", th.querySelector("button").dataset.sort === state.sort ? "descending" : "none");
  }
  const skills = chosenSkills();
  const mapSkill = $("map-skill");
  mapSkill.replaceChildren(...skills.map((id) => new Option(catalog.skills.get(id).label, id)));
  if (!skills.includes(state.map)) state.map = skills[0] ?? "";
  mapSkill.value = state.map;
  showChosen();
}

function bindControls() {
  for (const key of ["from", "to", "interval", "metric", "value", "geo"]) {
    $(key).addEventListener("change", () => { state[key] = $(key).value; refresh(); });
  }
  $("map-skill").addEventListener("change", () => { state.map = $("map-skill").value; refresh(); });
  $("lang").addEventListener("click", () => { state.lang = language() === "fr" ? "en" : "fr"; start(false); });
  $("skill-search").addEventListener("input", searchSkills);
  $("skill-search").addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      $("skill-results").querySelector("button")?.click();
    }
  });
  $("category").addEventListener("change", searchSkills);
  $("controls").addEventListener("submit", (e) => e.preventDefault());
  for (const b of document.querySelectorAll("#skill-tabs button")) {
    b.addEventListener("click", () => { skillTab = b.dataset.tab; fillCategories(); syncControls(); searchSkills(); });
  }
  for (const b of document.querySelectorAll("#map-level button")) {
    b.addEventListener("click", () => { state.level = b.dataset.level; refresh(); });
  }
  for (const b of document.querySelectorAll("#top-tabs button")) {
    b.addEventListener("click", () => { state.tab = b.dataset.tab; refresh(); });
  }
  for (const b of document.querySelectorAll("#top th button")) {
    b.addEventListener("click", () => { state.sort = b.dataset.sort; refresh(); });
  }
  $("drill-more").addEventListener("click", () => moreDrill());
}

// ---- views ----------------------------------------------------------------

function trendParams(skills, geo) {
  return {
    skills: skills.join(","), geo, from: state.from, to: state.to, interval: state.interval,
    metric: state.metric, index: state.value === "index" ? state.from || period.from : "",
  };
}

/** Draws the last trends answer again (the chart's width follows its box). */
let drawChart = () => {};
let resizing = null;
window.addEventListener("resize", () => {
  clearTimeout(resizing);
  resizing = setTimeout(() => drawChart(), 150);
});

async function showTrend() {
  const mine = generation;
  const skills = chosenSkills();
  if (!skills.length) {
    $("chart").textContent = t("choose");
    return false;
  }
  const params = trendParams(skills, state.geo);
  if (state.value === "index" && !params.index) {
    // The index needs its base day: the period's first, known once answered.
    const first = await getJson("/api/v1/trends", { ...params, index: "" });
    period = { from: first.from, to: first.to };
    params.index = first.from;
  }
  const answer = await getJson("/api/v1/trends", params);
  if (mine !== generation) return false; // a newer refresh draws instead
  period = { from: answer.from, to: answer.to };
  const series = answer.series.map((s) => ({ ...s, label: catalog.skills.get(s.skill)?.label ?? s.skill, geoName: geoName(s.geo) }));
  drawChart = () => renderChart($("chart"), series, state.value, (s, p) => drill(s.skill, s.geo, p.date, bucketEnd(p.date)));
  drawChart();
  $("trend-csv").href = csvUrl("/api/v1/trends", params);
  return true;
}

/** The last day of the bucket starting on `date`, within the period. */
function bucketEnd(date) {
  const d = new Date(`${date}T00:00:00Z`);
  const months = { month: 1, quarter: 3, year: 12 }[state.interval];
  if (months) d.setUTCMonth(d.getUTCMonth() + months);
  else d.setUTCDate(d.getUTCDate() + (state.interval === "week" ? 7 : 1));
  d.setUTCDate(d.getUTCDate() - 1);
  const end = d.toISOString().slice(0, 10);
  return end > period.to ? period.to : end;
}

/**
 * The codes the map colours: régions (the overseas ones are départements
 * of France in the gazetteer, each its own région) or départements.
 */
function mapCodes(level) {
  const overseas = (g) => g.level === "department" && g.parent === "FR";
  return [...catalog.geos.values()]
    .filter((g) => g.code.startsWith("FR-") && (g.level === level || (level === "region" && overseas(g))))
    .map((g) => g.code);
}

async function showMap() {
  const mine = generation;
  const skill = state.map;
  if (!skill) return;
  const codes = mapCodes(state.level);
  const requests = [];
  for (let i = 0; i < codes.length; i += GEOS_PER_REQUEST) {
    requests.push(getJson("/api/v1/trends", { ...trendParams([skill], codes.slice(i, i + GEOS_PER_REQUEST).join(",")), from: period.from, to: period.to, index: "" }));
  }
  const answers = await Promise.all(requests);
  if (mine !== generation) return;
  const values = periodValues(answers.flatMap((a) => a.series), state.metric);
  const names = new Map([...catalog.geos.values()].map((g) => [g.code, g.name]));
  const max = renderMap($("map"), catalog.map, state.level, values, names, (text) => { $("map-value").textContent = text; },
    (code) => drill(skill, code, period.from, period.to));
  renderLegend($("legend"), max);
  $("map-csv").href = csvUrl("/api/v1/trends", { ...trendParams([skill], codes.join(",")), from: period.from, to: period.to, index: "" });
}

function topParams() {
  return {
    geo: state.geo, from: period.from, to: period.to, metric: state.metric,
    category: state.tab === "certification" ? "certification" : "", sort: state.sort, limit: 20,
  };
}

async function showTop() {
  const params = topParams();
  const mine = generation;
  const answer = await getJson("/api/v1/top", params);
  if (mine !== generation) return;
  const body = $("top").querySelector("tbody");
  body.replaceChildren();
  for (const item of answer.skills) {
    const row = document.createElement("tr");
    row.tabIndex = 0;
    row.dataset.skill = item.skill;
    // growth is share / previous share: a ratio, shown as one (×1.25).
    const growth = item.growth === null || item.growth === undefined ? "–" : `×${number(item.growth, 2)}`;
    const cells = [item.rank, item.label, number(item.count), percent(item.share), growth];
    for (const text of cells) {
      const cell = document.createElement("td");
      cell.textContent = String(text);
      row.append(cell);
    }
    const interval = document.createElement("small");
    interval.textContent = ` [${percent(item.low, 0)}–${percent(item.high, 0)}]`;
    row.children[3].append(interval);
    if (item.growth_low !== null && item.growth_low !== undefined && item.growth !== null) {
      const range = document.createElement("small");
      range.textContent = ` [${number(item.growth_low, 2)}–${number(item.growth_high, 2)}]`;
      row.children[4].append(range);
    }
    const open = () => drill(item.skill, state.geo, period.from, period.to);
    row.addEventListener("click", open);
    row.addEventListener("keydown", (e) => { if (e.key === "Enter") open(); });
    body.append(row);
  }
  $("top-csv").href = csvUrl("/api/v1/top", params);
}

// ---- drill-down -----------------------------------------------------------

let drillCursor = null;

function drillParams() {
  const [skill, geo, from, to] = state.drill.split("~");
  return { skill, geo, from, to, metric: state.metric, limit: 50 };
}

function drill(skill, geo, from, to) {
  state.drill = [skill, geo, from, to].join("~");
  writeUrl();
  showDrill().catch(showError);
}

function placeText(places, remote) {
  const names = places.map((p) => geoName(p.department ?? p.region ?? p.country));
  if (remote) names.push(t("remote"));
  return names.join(", ");
}

async function showDrill(cursor = null) {
  const section = $("drill");
  if (!state.drill) {
    section.hidden = true;
    return;
  }
  const params = drillParams();
  const mine = generation;
  const answer = await getJson("/api/v1/postings", { ...params, cursor });
  if (mine !== generation) return;
  section.hidden = false;
  const label = catalog.skills.get(params.skill)?.label ?? params.skill;
  $("drill-what").textContent = `${label} · ${geoName(params.geo)} · ${params.from} → ${params.to} (${t(state.metric)})`;
  const list = $("drill-list");
  if (!cursor) list.replaceChildren();
  for (const p of answer.postings) {
    const item = document.createElement("li");
    const link = document.createElement(p.url ? "a" : "span");
    if (p.url) {
      link.href = p.url;
      link.rel = "noopener noreferrer";
    }
    link.textContent = p.title;
    item.append(link, ` — ${p.company ?? ""} — ${placeText(p.places, p.remote)} — `);
    const time = document.createElement("time");
    time.dateTime = p.posted;
    time.textContent = p.posted;
    item.append(time);
    list.append(item);
  }
  if (!list.children.length) list.textContent = t("none");
  drillCursor = answer.next_cursor ?? null;
  $("drill-more").hidden = !drillCursor;
  $("drill-csv").href = csvUrl("/api/v1/postings", { ...params, limit: "" });
}

function moreDrill() {
  if (drillCursor) showDrill(drillCursor).catch(showError);
}

// ---- start ----------------------------------------------------------------

/** Counts refreshes: an answer that arrives after a newer refresh began is dropped. */
let generation = 0;

/** Redraws every view from the state, and writes the state to the URL. */
async function refresh() {
  const mine = ++generation;
  writeUrl();
  syncControls();
  document.body.classList.add("loading");
  try {
    showError(null);
    if (await showTrend()) {
      await Promise.all([showMap(), showTop(), showDrill()]);
    }
  } catch (error) {
    showError(error);
  } finally {
    if (mine === generation) {
      document.body.classList.remove("loading");
      document.body.dataset.ready = String(mine);
    }
  }
}

async function start(first) {
  setLanguage(state.lang);
  translatePage();
  if (first) {
    const [skills, geos, map] = await Promise.all([
      getJson("/api/v1/skills"), getJson("/api/v1/geos"), getJson("/assets/france.json"),
    ]);
    for (const s of skills.skills) catalog.skills.set(s.id, s);
    for (const g of geos.geos) catalog.geos.set(g.code, g);
    catalog.map = map;
    bindControls();
  }
  fillCategories();
  fillGeos();
  await refresh();
}

readUrl();
start(true).catch(showError);
