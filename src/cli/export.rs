//! `skilltrack export trends`, `export postings` and `export top`: CSV (or
//! JSON Lines) for analysts. The first two stream: postings one at a time
//! from the store's walk (or, with filters, the postings behind a count a
//! page at a time, written by the functions `/api/v1/postings.csv` uses),
//! trends one series at a time; `export top` writes the bytes
//! `/api/v1/top.csv` serves for the same filters.

use super::{
    csv_options, list_unreadable, normalizer, open_store, output, Exit, ExportPostingsArgs,
    ExportTopArgs, ExportTrendsArgs, PostingsFormat,
};

use crate::config::Config;
use crate::domain::Day;
use crate::export;
use crate::export::cell::{self, CellRequest};
use crate::store::{StoreError, UnreadableText};
use crate::{api, trends};

pub(super) fn export_postings(config: &Config, args: &ExportPostingsArgs) -> anyhow::Result<Exit> {
    if let Some(request) = args.request() {
        return export_cell(config, args, &request);
    }
    let store = open_store(config)?;
    let out = output(args.out.output.as_deref())?;
    let (mut writer, csv) = match args.format {
        PostingsFormat::Jsonl => (export::PostingsWriter::jsonl(out), false),
        PostingsFormat::Csv => (
            export::PostingsWriter::csv(out, csv_options(&args.out)?)?,
            true,
        ),
    };
    let mut left_out = Vec::new();
    let mut without_text = 0u64;
    for read in store.postings() {
        // CSV has no text column: a posting whose text is lost is complete
        // there. JSON Lines is re-imported, and a posting without its
        // description would come back with other skills: it is left out.
        let posting = match read {
            Ok(p) => p,
            Err(StoreError::UnreadableText(unreadable)) => {
                let UnreadableText { posting, cause } = *unreadable;
                if !csv {
                    left_out.push((posting.id, cause));
                    continue;
                }
                without_text += 1;
                posting
            }
            Err(other) => return Err(other.into()),
        };
        writer.write(&posting)?;
    }
    writer.finish()?;
    if without_text > 0 {
        tracing::warn!(
            postings = without_text,
            "Postings whose text cannot be read were exported (the CSV has no text column); `skilltrack backup` lists them."
        );
    }
    if left_out.is_empty() {
        return Ok(Exit::Success);
    }
    list_unreadable(
        left_out.iter().map(|(id, cause)| (id, cause)),
        "left out (re-imported without their description they would count other skills)",
    );
    Ok(Exit::Partial)
}

/// `export postings` with filters: the postings behind a count.
fn export_cell(
    config: &Config,
    args: &ExportPostingsArgs,
    request: &CellRequest,
) -> anyhow::Result<Exit> {
    let normalizer = normalizer()?;
    let listing = request
        .resolve(normalizer.as_ref(), Day::today(), None, None)
        .map_err(|e| anyhow::anyhow!("--{}: {e}", e.param()))?;
    let store = open_store(config)?;
    let mut out = output(args.out.output.as_deref())?;
    match args.format {
        PostingsFormat::Csv => {
            let options = csv_options(&args.out)?;
            cell::write_cell_csv(store.as_ref(), &listing, options, &mut out)?;
        }
        PostingsFormat::Jsonl => {
            let mut after = listing.after;
            let mut written = 0;
            while let Some(page) = cell::next_page(store.as_ref(), &listing, after, written)? {
                for p in &page.postings {
                    serde_json::to_writer(&mut out, &cell::PostingItem::of(p))?;
                    out.write_all(b"\n")?;
                }
                written += page.postings.len();
                match page.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
        }
    }
    out.flush()?;
    Ok(Exit::Success)
}

pub(super) fn export_trends(config: &Config, args: &ExportTrendsArgs) -> anyhow::Result<Exit> {
    let normalizer = normalizer()?;
    let (query, options) = args
        .request()
        .resolve_with_options(normalizer.as_ref(), Day::today(), config.trends.min_support)
        .map_err(|e| anyhow::anyhow!("{}: {e}", e.param()))?;
    let wide = args.wide.then(|| args.value.unwrap_or_default());
    let csv = export::TrendsCsv::new(csv_options(&args.out)?, &options, wide)
        .map_err(|e| anyhow::anyhow!("--{}: {e}", e.param))?;
    let store = open_store(config)?;
    // The same writer as the API's trends.csv: long, one series at a time
    // (memory holds one series); wide, every series at once.
    let out = output(args.out.output.as_deref())?;
    export::write_trends_csv_from_store(out, store.as_ref(), &query, &options, &csv)?;
    Ok(Exit::Success)
}

pub(super) fn export_top(config: &Config, args: &ExportTopArgs) -> anyhow::Result<Exit> {
    let normalizer = normalizer()?;
    let catalogue = api::top::catalogue(&normalizer);
    let query = args
        .request()
        .resolve(normalizer.as_ref(), &catalogue, Day::today())
        .map_err(|e| anyhow::anyhow!("{}: {e}", e.param()))?;
    let options = csv_options(&args.out)?;
    let store = open_store(config)?;
    let ranked = trends::top::top(
        store.as_ref(),
        &query,
        &catalogue,
        config.trends.min_support,
    )?;
    let mut out = output(args.out.output.as_deref())?;
    export::write_top_csv(&mut out, &ranked, options)?;
    out.flush()?;
    Ok(Exit::Success)
}
