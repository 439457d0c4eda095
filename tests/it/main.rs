//! The integration test binary (one binary: faster to build and link).
//!
//! - `helpers`: a fixture HTTP server on 127.0.0.1:0 serving `tests/fixtures/`,
//!   the real API on a random port, temporary stores.
//! - `architecture`: on the source tree, only the sled store names sled and
//!   `extract` and `normalize` do no I/O.
//! - `collect`: a source run end to end against the fixture server: counts in
//!   the store, `/api/v1/trends`, CSV export.
//! - `html_text`: HTML descriptions read as tokens give the text a tree
//!   gives, on every HTML text of the fixtures.
//! - `import`: 1,000 generated postings imported, exact counts, idempotence;
//!   a failing input, over-long lines.
//! - `import_counts`: count snapshots written by the test through
//!   `import-counts` (replaced, no-op twice, `_CURRENT`, mismatches refused,
//!   bad rows), and a store's counts served the same after the trip.
//! - `config_check`: `config check` (unknown keys, types, origins, masked
//!   secrets, exit statuses) and `skilltrack.example.toml` against the defaults.
//! - `demo`: `skilltrack demo` end to end through the binary: the sample board
//!   collected, its trends visible through the API, all four kinds, SIGTERM.
//! - `readme`: the README's command and configuration references against
//!   clap and the key table; its `sh runnable` blocks run from a fresh clone.
//! - `cli`: the `skilltrack` binary as users run it (extract, import with bad
//!   lines, run + export, sources check) and fed bad input: a directory,
//!   damaged text logs, bad backups, bad configuration, a closed pipe.
//! - `csv_safety`: hostile titles, companies, ids, URLs and tags imported
//!   through the binary come out neutralised in every CSV; `;` files carry
//!   decimal commas a French number reader reads back as the JSON shares;
//!   `,` files keep today's bytes.
//! - `api`: routes, validation and JSON errors, query limits, HEAD, 414,
//!   dates at the calendar's end.
//! - `server_limits`: the server under abuse: store reads that block,
//!   slowloris, the connection cap, a shutdown with a request stuck.
//! - `lake`: the raw-postings lake without Spark: generated logs (cross-source
//!   duplicates, changes, `seen` lines, shards, duplicated lines and files)
//!   → `reindex --from-lake` and the `batch` filters equal a plain import,
//!   counter for counter; a taxonomy change from the lake; `collect --out`
//!   against the fixture server; `export lake`; `sources shards`.
//! - `layers`: the import rule of the tree, read from `src/`: no stage imports
//!   a later one, the store knows no upstream stage.
//! - `roundtrip`: `reindex` and `export postings` → `import` change nothing,
//!   on a corpus with tags, default countries, remote flags and duplicates.
//! - `fault_server`: a raw-TCP HTTP server on 127.0.0.1:0 that misbehaves on
//!   demand (resets, slow drip, hangs, 304s) and logs every request (method,
//!   headers, body).
//! - `fetch`: polite fetching against it: robots.txt, Crawl-delay, rate
//!   limits, retries, timeouts, body cap, redirects, charsets, gzip, 304 on
//!   the second run, a failing host next to a healthy one; `fetch::hops`:
//!   credentials and forms never cross origins, robots.txt on every redirect
//!   hop, a hanging host skipped for the rest of the run, what is not retried.
//! - `locations_eval`: the location evaluation set (~1,900 strings built
//!   from the official commune list, US/Canadian and international strings,
//!   remote phrasings): accuracy per form, misses, thresholds of issue 12.
//! - `sources`: every bundled source against its saved fixtures through the
//!   real pipeline (`--base-url` → fixture server).
//! - `sources_fr`: the French boards without credentials (issue 18) against
//!   fixtures in their real shape, POSTed JSON searches served by body, and
//!   `sources try --base-url` on one of them through the binary.
//! - `sources_api`: issue #15's visibility: `/api/v1/sources` and its runs
//!   over stored run reports (drift raised and cleared, a completeness drop,
//!   never ran, limits, a server that does not collect), the health gauges
//!   of `/metrics`, and real runs recording completeness and logging drift.
//! - `sources_cli`: `sources check` exact messages, `list`, `try`, and France
//!   Travail (OAuth2, range paging) through the binary.
//!
//! - `extraction_eval`: skills found by `skilltrack extract` on 200+ full-length
//!   postings labelled by reading: precision and recall targets.
//! - `openapi`: real responses of every route (parameter mixes, errors,
//!   405/413/414) validated against `/api/v1/openapi.json`'s schemas;
//!   routes and documented paths agree.
//! - `contract`: `/metrics` after real requests and a fixture run, 405 with
//!   `Allow`, 413 for a body, rejections in the error shape, CORS on and off.
//! - `trends_numbers`: honest trend numbers through `warp::test`: Wilson
//!   intervals, low support, smoothing, an index, year on year across an ISO
//!   week 53, each hand-computed; the new parameters' 400s.
//! - `postings`: the postings behind a number: for many cells of the trends
//!   series, the postings listed across all pages are as many as the series
//!   counts, and the expected ones; cursor paging, limits, 400s; the CSV
//!   route and `export postings --skill …` write the same bytes.
//! - `top`: top and rising skills through `warp::test` and `export top`:
//!   shares, growth and its interval, `min_support`, year before,
//!   certifications, `active`, limits and 400s, `ETag` → 304, CLI bytes
//!   equal to `/api/v1/top.csv`.
//! - `dashboard`: `/` and `/assets/{name}`: types, ETags and 304, an
//!   unknown asset's 404, HEAD; the skills' aliases the search box reads.
//! - `trends_views`: issue #14's trends views: several geographies, the CSV's
//!   appended columns, the wide layout, `export trends` byte for byte the
//!   served CSV, ETag / 304 and the cache of small answers.
//!
//! - `control`: issue #15's collection control in process: two sources
//!   firing, an overlapping tick skipped, catch-up at start, the admin
//!   trigger (403/401/202/409/404/405) and reload (422 keeping the set, 200
//!   applying a change). `control_binary`: the same through the binary:
//!   SIGTERM during a run (grace period, nothing lost, exit 0), a second
//!   signal (exit 130), SIGHUP reload, `run` while `serve` holds the
//!   database.
//!
//! No test touches the internet.

mod api;
mod architecture;
mod cli;
mod collect;
mod compression;
mod config_check;
mod contract;
mod control;
mod control_binary;
mod crash;
mod csv_safety;
mod dashboard;
mod demo;
mod extraction_eval;
mod fault_server;
mod fetch;
mod helpers;
mod html_text;
mod import;
mod import_counts;
mod lake;
mod layers;
mod locations_eval;
mod openapi;
mod postings;
mod readme;
mod roundtrip;
mod serve;
mod server_limits;
mod sources;
mod sources_api;
mod sources_cli;
mod sources_fr;
mod store;
mod top;
mod trends;
mod trends_numbers;
mod trends_views;
