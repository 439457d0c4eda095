// The dashboard in a real browser: Debian's chromium driven by
// playwright-core, against the real binary serving a database imported from
// postings.jsonl. Expected numbers come from the fixture's own `_region` and
// `_python` keys, never from the API under test.
//
//   SKILLTRACK_BIN   the binary (default ../../target/debug/skilltrack)
//   CHROMIUM         the browser (default /usr/bin/chromium)
//
// Screenshots go to target/dashboard-test/.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "../..");
const BIN = process.env.SKILLTRACK_BIN ?? join(ROOT, "target/debug/skilltrack");
const SHOTS = join(ROOT, "target/dashboard-test");
const FIXTURE = join(HERE, "postings.jsonl");
/** The API's default `[trends] min_support`. */
const MIN_SUPPORT = 30;
const MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"];
const METRO = ["FR-IDF", "FR-ARA", "FR-NAQ", "FR-OCC", "FR-HDF", "FR-PDL", "FR-BRE", "FR-GES",
  "FR-PAC", "FR-NOR", "FR-BFC", "FR-CVL", "FR-20R"];
const OVERSEAS = ["FR-971", "FR-972", "FR-973", "FR-974", "FR-976"];
const QUERY = "skills=python,java&geo=FR-IDF&from=2026-01-01&to=2026-06-30&interval=month&value=share&lang=en";

const postings = readFileSync(FIXTURE, "utf8").trim().split("\n").map((l) => JSON.parse(l));

/** Python postings and all postings of a région in a month ("2026-03"), or in the whole of MONTHS. */
function known(region, month) {
  const inCell = postings.filter((p) => p._region === region && (month ? [month] : MONTHS).some((m) => p.posted_at.startsWith(m)));
  return { python: inCell.filter((p) => p._python), count: inCell.filter((p) => p._python).length, total: inCell.length };
}

let server;
let base;
let browser;
let dataDir;
const problems = [];

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "skilltrack-dash-"));
  const imported = spawnSync(BIN, ["import", "--data-dir", dataDir, "--source", "fixture", FIXTURE], { encoding: "utf8" });
  assert.equal(imported.status, 0, imported.stderr);
  server = spawn(BIN, ["serve", "--no-schedule", "--data-dir", dataDir, "--bind", "127.0.0.1:0"], {
    stdio: ["ignore", "pipe", "ignore"], env: { ...process.env, RUST_LOG: "warn" },
  });
  base = await new Promise((ok, fail) => {
    let out = "";
    server.stdout.on("data", (chunk) => {
      out += chunk;
      const found = out.match(/serving on (http:\/\/\S+)/);
      if (found) ok(found[1]);
    });
    server.on("exit", (code) => fail(new Error(`serve exited with ${code}: ${out}`)));
  });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu"],
  });
  mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.kill("SIGTERM");
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** A new page that records console errors, page errors and failed requests. */
async function open(query, viewport = { width: 1280, height: 1300 }) {
  const page = await browser.newPage({ viewport });
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
  page.on("response", (r) => { if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`); });
  await page.goto(`${base}/?${query}`);
  await ready(page);
  return page;
}

/** Waits until every view is drawn. */
async function ready(page) {
  await page.waitForSelector("body[data-ready]:not(.loading)");
}

/** The chart's points of `skill`, as the page holds them. */
async function points(page, skill) {
  return page.$$eval(`#chart .point[data-skill="${skill}"]`, (dots) => dots.map((d) => ({
    date: d.dataset.date, count: Number(d.dataset.count), total: Number(d.dataset.total),
    low: d.classList.contains("low-support"),
  })));
}

function csvRows(text) {
  const [head, ...rows] = text.trim().split("\n");
  const names = head.split(",");
  return rows.map((r) => Object.fromEntries(r.split(",").map((v, i) => [names[i], v])));
}

test("the chart shows the fixture's monthly counts and totals, low support marked", async () => {
  const page = await open(QUERY);
  for (const skill of ["python"]) {
    const shown = await points(page, skill);
    assert.deepEqual(shown.map((p) => p.date), MONTHS.map((m) => `${m}-01`));
    for (const [i, month] of MONTHS.entries()) {
      const k = known("FR-IDF", month);
      assert.equal(shown[i].count, k.count, `${month} count`);
      assert.equal(shown[i].total, k.total, `${month} total`);
      assert.equal(shown[i].low, k.total < MIN_SUPPORT, `${month} low support`);
    }
  }
  assert.equal(await page.locator("#chart path.band").count(), 2, "one interval band per series");
  // A small région: its low-support points are hollow.
  const small = await open(QUERY.replace("FR-IDF", "FR-BRE"));
  const bre = await points(small, "python");
  assert.ok(bre.some((p) => p.low), "Bretagne has low-support months");
  for (const [i, month] of MONTHS.entries()) assert.equal(bre[i].low, known("FR-BRE", month).total < MIN_SUPPORT);
  await small.close();
  // Hover shows count, total and share.
  await page.hover('#chart .point[data-skill="python"][data-date="2026-03-01"]');
  const k = known("FR-IDF", "2026-03");
  const tip = await page.locator("#chart .tooltip").innerText();
  assert.match(tip, new RegExp(`${k.count} of ${k.total}`));
  assert.match(tip, new RegExp(`${(100 * k.count / k.total).toFixed(1)}%`));
  await page.screenshot({ path: join(SHOTS, "chart-hover.png") });
  await page.close();
});

test("the map shows the 13 metropolitan régions and the 5 overseas ones, coloured by share", async () => {
  const page = await open(QUERY);
  const areas = await page.$$eval("#map g.area", (gs) => gs.map((g) => ({
    geo: g.dataset.geo, share: g.dataset.share, fill: g.getAttribute("fill"),
  })));
  assert.deepEqual(areas.map((a) => a.geo).sort(), [...METRO, ...OVERSEAS].sort());
  for (const a of areas) {
    const k = known(a.geo);
    assert.ok(Math.abs(Number(a.share) - k.count / k.total) < 1e-9, `${a.geo} share ${a.share}`);
    assert.notEqual(a.fill, "#e8e8e8", `${a.geo} is coloured`);
  }
  const fills = new Set(areas.map((a) => a.fill));
  assert.ok(fills.size >= 3, "shares of several classes");
  assert.ok(await page.locator("#legend .legend-item").count() >= 2, "a legend");
  // Focus (keyboard) shows the value.
  await page.focus('#map g.area[data-geo="FR-IDF"]');
  const k = known("FR-IDF");
  assert.match(await page.locator("#map-value").innerText(), new RegExp(`Île-de-France: ${k.count} of ${k.total}`));
  // Second level: the départements.
  await page.click('#map-level button[data-level="department"]');
  await ready(page);
  assert.equal(await page.locator("#map g.area").count(), 101);
  assert.ok(await page.locator('#map g.area[data-geo="FR-75"]').count() === 1);
  await page.close();
});

test("a point, a région or a row lists exactly the postings behind it; the CSV links return the rows shown", async () => {
  const page = await open(QUERY);
  await page.click('#chart .point[data-skill="python"][data-date="2026-03-01"]');
  const k = known("FR-IDF", "2026-03");
  await page.waitForFunction((n) => document.querySelectorAll("#drill-list li").length === n, k.count);
  const listed = await page.$$eval("#drill-list li a", (as) => as.map((a) => a.href).sort());
  assert.deepEqual(listed, k.python.map((p) => p.url).sort());
  const csv = await page.request.get(await page.locator("#drill-csv").getAttribute("href", { timeout: 1000 }).then((h) => new URL(h, base).href));
  assert.equal(csv.status(), 200);
  assert.deepEqual(csvRows(await csv.text()).map((r) => r.url).sort(), k.python.map((p) => p.url).sort());
  // The trend's CSV: the rows of the chart.
  const trendHref = new URL(await page.locator("#trend-csv").getAttribute("href"), base).href;
  const rows = csvRows(await (await page.request.get(trendHref)).text());
  const python = rows.filter((r) => r.skill === "python");
  assert.deepEqual(python.map((r) => Number(r.count)), MONTHS.map((m) => known("FR-IDF", m).count));
  assert.deepEqual(python.map((r) => Number(r.total)), MONTHS.map((m) => known("FR-IDF", m).total));
  assert.equal(rows.filter((r) => r.skill === "java").length, MONTHS.length);
  // A région on the map, by keyboard.
  await page.focus('#map g.area[data-geo="FR-BRE"]');
  await page.keyboard.press("Enter");
  const bre = known("FR-BRE");
  await page.waitForFunction((n) => document.querySelectorAll("#drill-list li").length === n, bre.count);
  // A row of the top table, by keyboard: Python over the period in Île-de-France.
  await page.focus('#top tbody tr[data-skill="python"]');
  await page.keyboard.press("Enter");
  const idf = known("FR-IDF");
  await page.waitForFunction((n) => document.querySelectorAll("#drill-list li").length === n, Math.min(idf.count, 50));
  assert.equal(await page.isVisible("#drill-more"), idf.count > 50, "a next page when there is one");
  // The top table's CSV: the rows of the table, same order and counts.
  const table = await page.$$eval("#top tbody tr", (trs) => trs.map((tr) => [tr.dataset.skill, tr.children[2].textContent]));
  const topHref = new URL(await page.locator("#top-csv").getAttribute("href"), base).href;
  const top = csvRows(await (await page.request.get(topHref)).text());
  assert.deepEqual(top.map((r) => [r.skill, r.count]), table);
  assert.equal(top.find((r) => r.skill === "python").count, String(idf.count));
  await page.screenshot({ path: join(SHOTS, "drill-down.png"), fullPage: true });
  await page.close();
});

test("the state survives a reload from the URL", async () => {
  const page = await open(QUERY);
  await page.selectOption("#value", "index");
  await ready(page);
  await page.click('#top-tabs button[data-tab="certification"]');
  await ready(page);
  // A point, by keyboard this time.
  await page.focus('#chart .point[data-skill="python"][data-date="2026-02-01"]');
  await page.keyboard.press("Enter");
  const k = known("FR-IDF", "2026-02");
  await page.waitForFunction((n) => document.querySelectorAll("#drill-list li").length === n, k.count);
  const url = page.url();
  assert.match(url, /value=index/);
  assert.match(url, /tab=certification/);
  await page.reload();
  await ready(page);
  assert.equal(page.url(), url);
  assert.equal(await page.inputValue("#value"), "index");
  assert.equal(await page.inputValue("#geo"), "FR-IDF");
  assert.equal(await page.inputValue("#from"), "2026-01-01");
  assert.equal(await page.getAttribute('#top-tabs button[data-tab="certification"]', "aria-pressed"), "true");
  await page.waitForFunction((n) => document.querySelectorAll("#drill-list li").length === n, k.count);
  assert.deepEqual((await points(page, "python")).map((p) => p.count), MONTHS.map((m) => known("FR-IDF", m).count));
  await page.close();
});

test("skills are found by alias, the interface speaks French and English, a phone needs no sideways scroll", async () => {
  const page = await open(QUERY.replace("lang=en", "lang=fr"));
  assert.equal(await page.locator("#trend-title").innerText(), "Évolution");
  await page.fill("#skill-search", "postgres");
  await page.locator("#skill-results button").first().click();
  await ready(page);
  assert.match(page.url(), /skills=python%2Cjava%2Cpostgresql/);
  await page.click('#skill-tabs button[data-tab="certs"]');
  await page.fill("#skill-search", "red hat certified system");
  assert.match(await page.locator("#skill-results button").first().innerText(), /RHCSA/);
  await page.click("#lang");
  await ready(page);
  assert.equal(await page.locator("#trend-title").innerText(), "Trend");
  await page.close();
  const phone = await open(QUERY, { width: 390, height: 844 });
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${overflow}px wider than the phone`);
  await phone.screenshot({ path: join(SHOTS, "phone.png"), fullPage: true });
  await phone.close();
});

test("the overview screenshot, and no console error anywhere", async () => {
  const page = await open(QUERY.replace("lang=en", "lang=fr"));
  await page.screenshot({ path: join(SHOTS, "dashboard.png") });
  await page.close();
  assert.deepEqual(problems, []);
});
