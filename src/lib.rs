//! # skilltrack
//!
//! Tracks which open-source skills and certifications employers ask for,
//! where, and how that changes over time.
//!
//! ## Layout: one module per pipeline stage
//!
//! ```text
//! extractors/*.toml ─► fetch ─► extract ─► normalize ─► store ─► trends ─► api / export
//! ```
//!
//! - [`domain`]: newtypes every stage shares (`Day`, `SourceId`, `SkillId`, `GeoCode`, `PostingId`)
//!   and the plain data several stages hand each other (`Posting`, `RunReport`, `Validators`).
//! - [`fetch`]: the polite HTTP client (rate limits, retries, decoding).
//! - [`extract`]: source definitions and kinds; pages in, raw postings out. Pure.
//! - [`normalize`]: skills, places, duplicate keys; raw postings in, postings out. Pure.
//! - [`store`]: postings, daily counts, run reports (sled behind a trait).
//! - [`trends`]: series, totals and shares over the counts.
//! - [`api`]: the warp HTTP API; [`export`]: CSV.
//! - [`lake`]: the raw-postings lake (layout, raw lines, atomic writes, reading);
//!   [`batch`]: the pure batch stages that compute counts from it.
//! - [`pipeline`]: the only place stages are composed; [`schedule`]: cron
//!   schedules, catch-up at start, runs on demand, live reload.
//! - [`cli`], [`config`], [`telemetry`], [`shutdown`]: the edges;
//!   [`lines`]: bounded reading of JSON Lines input; [`demo`]: the sample
//!   job board `skilltrack demo` collects (data, its HTTP server, its sources).
//!
//! A stage never calls back up the pipeline (the import rule is a test:
//! `tests/it/layers.rs`); `extract` and `normalize` do no I/O.

pub mod api;
pub mod batch;
pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod export;
pub mod extract;
pub mod fetch;
pub mod lake;
pub mod lines;
pub mod normalize;
pub mod pipeline;
pub mod schedule;
pub mod shutdown;
pub mod store;
pub mod telemetry;
pub mod trends;
