//! Command-line arguments (clap): every subcommand and its options.

use std::path::PathBuf;

use clap::builder::PossibleValue;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::domain::Day;
use crate::export::cell::CellRequest;
use crate::export::{DecimalMark, WideValue};
use crate::normalize::geo::GeoLevel;
use crate::store::Metric;
use crate::trends::top::{Sort, TopRequest};
use crate::trends::{Compare, Interval, TrendRequest, DEFAULT_INTERVAL, DEFAULT_METRIC};

/// Tracks which open-source skills and certifications employers ask for,
/// where, and how that changes over time.
#[derive(Debug, Parser)]
#[command(name = "skilltrack", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file (TOML). Environment variables SKILLTRACK_* override it.
    #[arg(long, global = true, env = "SKILLTRACK_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Database directory (default var/db).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Directory of source definitions (default extractors/).
    #[arg(long, global = true, value_name = "DIR")]
    pub extractors: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API and collect on schedule.
    Serve(ServeArgs),
    /// Collect the named sources now, print a summary, exit.
    Run(RunArgs),
    /// Ingest postings from a JSON Lines file (or - for stdin).
    Import(ImportArgs),
    /// Find skills and places in postings (JSON Lines in, JSON Lines out); stores nothing.
    Extract(ExtractArgs),
    /// Write CSV for analysts.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Inspect source definitions.
    #[command(subcommand)]
    Sources(SourcesCommand),
    /// List the skill taxonomy.
    Skills(SkillsArgs),
    /// List geography codes (countries, French régions and départements).
    Geos(GeosArgs),
    /// Recompute skills, places and every count from the stored postings
    /// (after a taxonomy or geography change), or from a raw-postings lake.
    Reindex(ReindexArgs),
    /// Write every stored posting to a versioned JSON Lines backup file.
    Backup {
        /// Output file (- for stdout).
        file: PathBuf,
    },
    /// Restore a backup into an empty database, then recount.
    Restore {
        /// Backup file (- for stdin).
        file: PathBuf,
    },
    /// Check the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Collect a bundled sample job board (offline) into a temporary data
    /// directory (or --data-dir), then serve the API and dashboard.
    Demo(DemoArgs),
    /// Collect sources into a raw-postings lake (no database): once, or on
    /// their schedules until SIGTERM.
    Collect(CollectArgs),
    /// Replace every count of the database by a count snapshot (computed by
    /// the Spark job from a raw-postings lake), atomically.
    ImportCounts(ImportCountsArgs),
    /// One pure batch stage over a lake's raw lines (stdin → stdout; no
    /// database, no network): what a Spark job runs, or a shell pipeline.
    #[command(subcommand)]
    Batch(BatchCommand),
}

/// `reindex` options.
#[derive(Debug, Args)]
pub struct ReindexArgs {
    /// Recompute from every raw line of this lake instead (the batch
    /// stages in this process): the lake's postings are stored and every
    /// counter replaced by the lake's counts.
    #[arg(long, value_name = "LAKE")]
    pub from_lake: Option<PathBuf>,
}

/// `export lake` options.
#[derive(Debug, Args)]
pub struct ExportLakeArgs {
    /// The lake's root directory (raw lines go under raw/v1/).
    #[arg(long, value_name = "LAKE")]
    pub out: PathBuf,
}

/// `collect` options.
#[derive(Debug, Args)]
pub struct CollectArgs {
    /// The lake's root directory (raw lines go under raw/v1/).
    #[arg(long, value_name = "LAKE")]
    pub out: PathBuf,
    /// This collector's shard, I/N (0-based): it collects the sources
    /// whose rate-limit host hashes to I among N (see `sources shards`).
    #[arg(long, value_name = "I/N", default_value = "0/1")]
    pub shard: crate::lake::Shard,
    /// Collect once and exit (the default).
    #[arg(long, conflicts_with = "daemon")]
    pub once: bool,
    /// Run each source on its schedule until SIGTERM or Ctrl-C (a run in
    /// progress stops after its page in hand and publishes its file).
    #[arg(long)]
    pub daemon: bool,
    /// Replace the sources' base_url (a mirror, a local fixture server).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// The runs' start time (RFC 3339; default now): the run ids, and so
    /// the file names, derive from it (replaying a run replaces its file).
    #[arg(long, value_name = "TIME", conflicts_with = "daemon")]
    pub started_at: Option<String>,
    /// Source ids (default: every enabled source of the shard).
    pub sources: Vec<String>,
}

/// `batch` subcommands: the three stages from raw lines to count rows, and
/// what the counts depend on besides the lines.
#[derive(Debug, Subcommand)]
pub enum BatchCommand {
    /// Raw lines in; `<posting id>\t<seen key>\t<posting JSON>` rows out.
    Extract,
    /// Stage-1 rows sorted by posting id in; one merged posting per id
    /// out, `<group key>\t<posting id>\t<posting JSON>`.
    ReducePostings,
    /// Stage-2 rows sorted by group key in; count rows out,
    /// `<skill>\t<geo>\t<o|c>\t<day>\t<delta>`.
    ReduceClusters,
    /// Print, as JSON, what counts depend on besides the postings (binary
    /// version, taxonomy and geography fingerprints, counting rules): the
    /// Spark job copies it into the snapshot's manifest.
    Fingerprint,
}

/// `import-counts` options.
#[derive(Debug, Args)]
pub struct ImportCountsArgs {
    /// The snapshots' directory (`LAKE/counts/v1`).
    pub dir: PathBuf,
    /// The snapshot to load (default: the one `_CURRENT` names).
    #[arg(long, value_name = "ID")]
    pub snapshot: Option<String>,
    /// Load a snapshot computed with another taxonomy, geography or
    /// counting rules than this binary's (its counts then disagree with what
    /// this binary would count; `serve` warns).
    #[arg(long)]
    pub allow_mismatch: bool,
}

/// `config` subcommands.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate a configuration file (unknown keys, types, ranges, the
    /// environment), then print the effective configuration with where each
    /// value came from, secrets masked; exit 3 on any problem.
    Check {
        /// The file (default: --config, else no file: defaults and environment).
        file: Option<PathBuf>,
    },
}

/// `demo` options.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Address to serve the API and dashboard on (default 127.0.0.1:8080;
    /// 127.0.0.1:0 picks a free port).
    #[arg(long)]
    pub bind: Option<std::net::SocketAddr>,
}

/// `serve` options.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long)]
    pub bind: Option<std::net::SocketAddr>,
    /// Serve the API only; do not collect on schedule.
    #[arg(long)]
    pub no_schedule: bool,
    /// Do not run at start the sources that never ran or missed their last
    /// scheduled time (config `[schedule] catch_up`).
    #[arg(long)]
    pub no_catch_up: bool,
}

/// `run` options.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Source ids (file stems in extractors/).
    #[arg(required = true)]
    pub sources: Vec<String>,
    /// Replace the sources' base_url (a mirror, a local fixture server).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Replace the OAuth2 token URL (default: follows --base-url).
    #[arg(long, value_name = "URL")]
    pub auth_url: Option<String>,
    /// The running server to ask when it holds the database (default: the
    /// configured `bind` address); needs the admin token.
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
}

/// `import` options.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// JSON Lines file, or - for stdin.
    pub file: PathBuf,
    /// Source id the postings are recorded under.
    #[arg(long, default_value = "import")]
    pub source: String,
}

/// `extract` options.
#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// JSON Lines file, or - (default) for stdin.
    #[arg(default_value = "-")]
    pub file: PathBuf,
}

/// `export` subcommands.
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Trend series as CSV (long format).
    Trends(ExportTrendsArgs),
    /// Stored postings, as JSON Lines (re-importable) or CSV.
    Postings(ExportPostingsArgs),
    /// Top and rising skills of a period as CSV (the bytes of /api/v1/top.csv).
    Top(ExportTopArgs),
    /// Every stored posting as raw lines of a lake (seeds a lake from a
    /// database: `reindex --from-lake` gives back the same counts).
    Lake(ExportLakeArgs),
}

/// The format of `export postings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PostingsFormat {
    /// JSON Lines, the import format: re-imports to identical counts.
    Jsonl,
    /// CSV, without the description text.
    Csv,
}

/// `export postings` options. Without any of the filters, every stored
/// posting; with one or more, the postings behind a count, as
/// `/api/v1/postings.csv` lists them (same filters, same bytes).
#[derive(Debug, Args)]
pub struct ExportPostingsArgs {
    /// jsonl (the import format: re-imports to identical counts; with
    /// filters, the API's items, one a line) or csv.
    #[arg(long, value_enum, default_value_t = PostingsFormat::Jsonl)]
    pub format: PostingsFormat,
    /// Filter: the postings counted for this skill (or * for all).
    #[arg(long)]
    pub skill: Option<String>,
    /// Filter: in this geography (default WORLD when filtering).
    #[arg(long)]
    pub geo: Option<String>,
    /// Filter: first day, YYYY-MM-DD (default: a year before --to).
    #[arg(long, value_name = "DAY")]
    pub from: Option<Day>,
    /// Filter: last day, YYYY-MM-DD (default: today).
    #[arg(long, value_name = "DAY")]
    pub to: Option<Day>,
    /// Filter: new (posted in the range) or active (open on --to).
    #[arg(long, value_enum)]
    pub metric: Option<Metric>,
    /// Filter: only postings from this source (a part of the count).
    #[arg(long)]
    pub source: Option<String>,
    /// Filter: at most this many postings (newest first).
    #[arg(long)]
    pub limit: Option<usize>,
    #[command(flatten)]
    pub out: CsvOutputArgs,
}

impl ExportPostingsArgs {
    /// The listing the filters ask for, resolved like the API's query
    /// string; `None` without any filter (every stored posting).
    pub fn request(&self) -> Option<CellRequest> {
        let request = CellRequest {
            skill: self.skill.clone(),
            geo: self.geo.clone(),
            from: self.from,
            to: self.to,
            metric: self.metric,
            source: self.source.clone(),
            limit: self.limit,
            cursor: None,
        };
        (request != CellRequest::default()).then_some(request)
    }
}

/// `export trends` options.
#[derive(Debug, Args)]
pub struct ExportTrendsArgs {
    /// Skill ids, comma-separated (or the flag repeated).
    #[arg(long, required = true, value_delimiter = ',')]
    pub skills: Vec<String>,
    /// Geography codes, comma-separated (WORLD, FR, FR-IDF, FR-75,
    /// REMOTE…): one series per skill and geography.
    #[arg(long, default_value = "WORLD")]
    pub geo: String,
    /// First day, YYYY-MM-DD (default: a year before --to).
    #[arg(long, value_name = "DAY")]
    pub from: Option<Day>,
    /// Last day, YYYY-MM-DD (default: today).
    #[arg(long, value_name = "DAY")]
    pub to: Option<Day>,
    /// Width of the buckets.
    #[arg(long, value_enum, default_value_t = DEFAULT_INTERVAL)]
    pub interval: Interval,
    /// new (postings published in the bucket) or active (postings open on its last day).
    #[arg(long, value_enum, default_value_t = DEFAULT_METRIC)]
    pub metric: Metric,
    /// Trailing moving average over N buckets (1 to 52; counts become decimals).
    #[arg(long, value_name = "N")]
    pub smooth: Option<usize>,
    /// Add an `index` column: 100 = the share of the bucket holding DAY.
    #[arg(long, value_name = "DAY")]
    pub index: Option<Day>,
    /// Add `yoy_count,yoy_share`: the same bucket one year earlier.
    #[arg(long, value_enum)]
    pub compare: Option<Compare>,
    /// Wide layout: one row per bucket, one column per series.
    #[arg(long)]
    pub wide: bool,
    /// The value of the wide layout's cells.
    #[arg(long, value_enum, requires = "wide")]
    pub value: Option<WideValue>,
    #[command(flatten)]
    pub out: CsvOutputArgs,
}

impl ExportTrendsArgs {
    /// The query the flags ask for, to be resolved like the API's.
    pub fn request(&self) -> TrendRequest {
        TrendRequest {
            skills: self.skills.clone(),
            geo: Some(self.geo.clone()),
            from: self.from,
            to: self.to,
            interval: Some(self.interval),
            metric: Some(self.metric),
            smooth: self.smooth,
            index: self.index,
            compare: self.compare,
        }
    }
}

/// `export top` options (defaults: those of `/api/v1/top`).
#[derive(Debug, Args)]
pub struct ExportTopArgs {
    /// Geography code (WORLD, FR, FR-IDF, FR-75, REMOTE…; default WORLD).
    #[arg(long)]
    pub geo: Option<String>,
    /// First day, YYYY-MM-DD (default: a year before --to).
    #[arg(long, value_name = "DAY")]
    pub from: Option<Day>,
    /// Last day, YYYY-MM-DD (default: today).
    #[arg(long, value_name = "DAY")]
    pub to: Option<Day>,
    /// new (postings published in the period, the default) or active
    /// (postings open on its last day).
    #[arg(long, value_enum)]
    pub metric: Option<Metric>,
    /// Only the skills of this taxonomy category (e.g. certification).
    #[arg(long)]
    pub category: Option<String>,
    /// Ranked skills to write, 1 to 200 (default 20).
    #[arg(long)]
    pub limit: Option<usize>,
    /// count (default), share, or growth (surest risers first).
    #[arg(long, value_enum)]
    pub sort: Option<Sort>,
    #[command(flatten)]
    pub out: CsvOutputArgs,
}

impl ExportTopArgs {
    /// The query the flags ask for, to be resolved like the API's.
    pub fn request(&self) -> TopRequest {
        TopRequest {
            geo: self.geo.clone(),
            from: self.from,
            to: self.to,
            metric: self.metric,
            category: self.category.clone(),
            limit: self.limit,
            sort: self.sort,
        }
    }
}

/// Where an export goes and, for CSV, how it is written.
#[derive(Debug, Args)]
pub struct CsvOutputArgs {
    /// Output file (default: stdout).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// CSV field delimiter: , or ; (French Excel).
    #[arg(long, default_value = ",")]
    pub delimiter: char,
    /// CSV: start with a UTF-8 byte-order mark (for Excel).
    #[arg(long)]
    pub bom: bool,
    /// CSV: write decimals with a comma (0,074586), which French-locale
    /// spreadsheets read as numbers. On by default with --delimiter ';'.
    #[arg(long, overrides_with = "decimal_point")]
    pub decimal_comma: bool,
    /// CSV: write decimals with a point (0.074586), even with --delimiter ';'.
    /// The default with any other delimiter.
    #[arg(long, overrides_with = "decimal_comma")]
    pub decimal_point: bool,
}

impl CsvOutputArgs {
    /// The decimal mark asked for, if any (the last of --decimal-comma and
    /// --decimal-point wins); `None` leaves it to the delimiter.
    pub fn decimal(&self) -> Option<DecimalMark> {
        if self.decimal_comma {
            Some(DecimalMark::Comma)
        } else if self.decimal_point {
            Some(DecimalMark::Point)
        } else {
            None
        }
    }
}

/// `sources` subcommands.
#[derive(Debug, Subcommand)]
pub enum SourcesCommand {
    /// Validate source files; print every problem; exit 3 if any.
    Check {
        /// Files to check (default: every file in the extractors directory).
        files: Vec<PathBuf>,
    },
    /// List sources: id, kind, schedule, enabled, last run.
    List,
    /// Fetch, extract and normalize a source's postings and print them; stores nothing.
    Try(TryArgs),
    /// Which collector shard collects each source: source, host, shard.
    Shards {
        /// Number of shards (collectors).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        of: u32,
    },
}

/// `sources try` options.
#[derive(Debug, Args)]
pub struct TryArgs {
    /// Source id (file stem in extractors/).
    pub source: String,
    /// Replace the source's base_url (a mirror, a local fixture server).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Replace the OAuth2 token URL (default: follows --base-url).
    #[arg(long, value_name = "URL")]
    pub auth_url: Option<String>,
    /// Stop after this many postings.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// One JSON object per posting per line.
    #[arg(long)]
    pub json: bool,
}

/// `skills` options.
#[derive(Debug, Args)]
pub struct SkillsArgs {
    /// One JSON object per line instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Only this category.
    #[arg(long)]
    pub category: Option<String>,
}

/// `geos` options.
#[derive(Debug, Args)]
pub struct GeosArgs {
    /// One JSON object per line instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Only this level.
    #[arg(long, value_enum)]
    pub level: Option<GeoLevel>,
}

/// `clap::ValueEnum` for a library enum, by the names its `as_str` gives
/// (the library itself knows nothing of clap).
macro_rules! value_enum {
    ($ty:ty: $($variant:expr),+ $(,)?) => {
        impl ValueEnum for $ty {
            fn value_variants<'a>() -> &'a [Self] {
                &[$($variant),+]
            }

            fn to_possible_value(&self) -> Option<PossibleValue> {
                Some(PossibleValue::new(self.as_str()))
            }
        }
    };
}

value_enum!(Interval: Interval::Day, Interval::Week, Interval::Month, Interval::Quarter, Interval::Year);
value_enum!(Metric: Metric::New, Metric::Active);
value_enum!(Sort: Sort::Count, Sort::Share, Sort::Growth);
value_enum!(Compare: Compare::Yoy);
value_enum!(WideValue: WideValue::Count, WideValue::Share, WideValue::Total);
value_enum!(
    GeoLevel: GeoLevel::World,
    GeoLevel::Country,
    GeoLevel::Region,
    GeoLevel::Department,
    GeoLevel::Remote,
);
