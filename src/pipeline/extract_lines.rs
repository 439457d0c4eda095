//! `skilltrack extract`: the normalizer on its own, over JSON Lines
//! postings read with bounded lines; nothing is stored.

use std::io::BufRead;

use super::line_error;
use crate::extract::import;
use crate::lines::{LineReader, NumberedLine, ReadError};
use crate::normalize::Normalizer;

/// `skilltrack extract`: reads JSON Lines postings, writes one extraction
/// (skills, implied skills, places, remote) per posting to `out`, stores
/// nothing. A bad line (not a posting, not UTF-8, longer than
/// `max_line_bytes`) goes to `on_bad` with its number and is skipped; a read
/// error stops at once. Returns the number of bad lines.
pub fn extract_lines<R: BufRead, W: std::io::Write>(
    normalizer: &Normalizer,
    reader: R,
    max_line_bytes: usize,
    mut out: W,
    mut on_bad: impl FnMut(import::LineError),
) -> Result<u64, ExtractError> {
    let mut bad = 0;
    for line in LineReader::new(reader, max_line_bytes) {
        let NumberedLine { number, text } = line?;
        let parsed = text
            .map_err(|e| line_error(number, &e))
            .and_then(|text| import::parse_line(&text, number as usize));
        match parsed {
            Ok(Some(raw)) => {
                serde_json::to_writer(&mut out, &normalizer.extract(&raw))
                    .map_err(std::io::Error::from)
                    .and_then(|()| out.write_all(b"\n"))
                    .map_err(ExtractError::Write)?;
            }
            Ok(None) => {}
            Err(e) => {
                bad += 1;
                on_bad(e);
            }
        }
    }
    out.flush().map_err(ExtractError::Write)?;
    Ok(bad)
}

/// Why `skilltrack extract` stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// The input cannot be read further.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The output cannot be written.
    #[error("cannot write the output")]
    Write(#[source] std::io::Error),
}
