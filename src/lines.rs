//! Line-by-line reading of JSON Lines input (`import`, `extract`, `restore`)
//! with a bound on the length of a line.
//!
//! [`BufRead::lines`] keeps a whole line in memory however long it is, turns
//! invalid UTF-8 into an error, and keeps returning the same error when the
//! input cannot be read at all (a directory, a failing device): a loop over it
//! then never ends. [`LineReader`] instead
//! - keeps at most `max_bytes` of a line: a longer line is skipped up to its
//!   newline without being buffered, and comes out as [`BadLine::TooLong`];
//! - returns a line that is not UTF-8 as [`BadLine::NotUtf8`] (a bad line, the
//!   next one is read);
//! - stops at the first read error, which it returns once ([`ReadError`]
//!   names the line), then ends.
//!
//! Line numbers are 1-based; a line's end (`\n` or `\r\n`) is not part of it
//! and does not count towards the limit.

use std::io::{self, BufRead};

/// Default longest line, in megabytes (`[import] max_line_mb`). A real posting
/// is under 100 KB; 4 MB leaves forty times that for a long description with
/// inline markup while bounding what one line costs: normalizing a line takes
/// about 20 times its size in memory at peak (measured: +79 MB for a 4.7 MB
/// line, +850 MB for a 58 MB one, which also took minutes), so a 4 MB line
/// costs under 100 MB.
pub const DEFAULT_MAX_LINE_MB: u64 = 4;

/// Default longest line, in bytes.
pub const DEFAULT_MAX_LINE_BYTES: usize = (DEFAULT_MAX_LINE_MB as usize) << 20;

/// Why one line was not returned as text; reading goes on with the next line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadLine {
    /// The line is longer than the limit; it was skipped.
    #[error("longer than {limit} bytes, skipped")]
    TooLong {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The line is not valid UTF-8.
    #[error("not UTF-8 text (invalid byte at byte {at} of the line), skipped")]
    NotUtf8 {
        /// 1-based position of the first invalid byte.
        at: usize,
    },
}

/// The input cannot be read further: nothing after `line` was read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read line {line}")]
pub struct ReadError {
    /// 1-based number of the line being read.
    pub line: u64,
    /// The read error.
    #[source]
    pub source: io::Error,
}

/// One line read: its number and its text, or why it has none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberedLine {
    /// 1-based number of the line.
    pub number: u64,
    /// Its text, without its end; or why it has none.
    pub text: Result<String, BadLine>,
}

/// Reads lines of at most `max_bytes` bytes (see the [module](self) docs).
pub struct LineReader<R> {
    inner: R,
    max_bytes: usize,
    line: u64,
    buf: Vec<u8>,
    done: bool,
}

impl<R: BufRead> LineReader<R> {
    /// Reads `inner`, keeping at most `max_bytes` bytes of a line (at least 1).
    pub fn new(inner: R, max_bytes: usize) -> LineReader<R> {
        LineReader {
            inner,
            max_bytes: max_bytes.max(1),
            line: 0,
            buf: Vec::new(),
            done: false,
        }
    }

    /// The longest line returned, in bytes.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// Number of lines read so far.
    pub fn lines_read(&self) -> u64 {
        self.line
    }

    /// Consumes the input up to and including the next `\n` (or its end)
    /// without keeping it.
    fn skip_rest_of_line(&mut self) -> io::Result<()> {
        loop {
            let (found, used) = {
                let available = match self.inner.fill_buf() {
                    Ok(bytes) => bytes,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                };
                if available.is_empty() {
                    return Ok(());
                }
                match available.iter().position(|b| *b == b'\n') {
                    Some(i) => (true, i + 1),
                    None => (false, available.len()),
                }
            };
            self.inner.consume(used);
            if found {
                return Ok(());
            }
        }
    }

    fn fail(&mut self, line: u64, source: io::Error) -> Option<Result<NumberedLine, ReadError>> {
        self.done = true;
        Some(Err(ReadError { line, source }))
    }
}

impl<R: BufRead> Iterator for LineReader<R> {
    type Item = Result<NumberedLine, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let number = self.line + 1;
        self.buf.clear();
        // The longest line, then `\r\n`: a longer read means a longer line.
        let limit = self.max_bytes as u64 + 2;
        let read = match read_line(&mut self.inner, limit, &mut self.buf) {
            Ok(0) => {
                self.done = true;
                return None;
            }
            Ok(n) => n,
            Err(e) => return self.fail(number, e),
        };
        self.line = number;
        let ended = self.buf.last() == Some(&b'\n');
        if ended {
            self.buf.pop();
            if self.buf.last() == Some(&b'\r') {
                self.buf.pop();
            }
        }
        if self.buf.len() > self.max_bytes {
            if !ended && read as u64 == limit {
                if let Err(e) = self.skip_rest_of_line() {
                    return self.fail(number, e);
                }
            }
            self.buf.clear();
            let limit = self.max_bytes;
            return Some(Ok(NumberedLine {
                number,
                text: Err(BadLine::TooLong { limit }),
            }));
        }
        let bytes = std::mem::take(&mut self.buf);
        Some(Ok(NumberedLine {
            number,
            text: String::from_utf8(bytes).map_err(|e| BadLine::NotUtf8 {
                at: e.utf8_error().valid_up_to() + 1,
            }),
        }))
    }
}

/// Appends to `buf` the bytes of `reader` up to and including the next
/// `\n`, at most `limit` of them; how many. `BufRead::read_until`, with the
/// SIMD search of the `memchr` crate (std's is a plain word-at-a-time loop)
/// and the limit of `Read::take`.
fn read_line<R: BufRead>(reader: &mut R, limit: u64, buf: &mut Vec<u8>) -> io::Result<usize> {
    let mut read = 0;
    loop {
        let left = usize::try_from(limit - read as u64).unwrap_or(usize::MAX);
        if left == 0 {
            return Ok(read);
        }
        let available = match reader.fill_buf() {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(read);
        }
        let window = &available[..available.len().min(left)];
        let (used, done) = match memchr::memchr(b'\n', window) {
            Some(at) => (at + 1, true),
            None => (window.len(), false),
        };
        buf.extend_from_slice(&window[..used]);
        reader.consume(used);
        read += used;
        if done {
            return Ok(read);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufReader, Cursor, Read};

    /// Every line of `input` as (number, text or why none).
    fn all(input: &[u8], max: usize) -> Vec<(u64, Result<String, BadLine>)> {
        LineReader::new(Cursor::new(input.to_vec()), max)
            .map(|r| r.expect("no read error"))
            .map(|line| (line.number, line.text))
            .collect()
    }

    #[test]
    fn reading_a_line_is_read_until_with_a_limit() {
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..3_000 {
            let len = rng.usize(0..60);
            let input: Vec<u8> = (0..len).map(|_| *rng.choice(b"ab\n\r").unwrap()).collect();
            let capacity = rng.usize(1..8);
            let limit = rng.u64(0..20);
            let (mut ours, mut theirs) = (
                BufReader::with_capacity(capacity, Cursor::new(input.clone())),
                BufReader::with_capacity(capacity, Cursor::new(input.clone())),
            );
            // Line after line until both are at the end: same counts, same
            // bytes, and the reader left at the same place.
            loop {
                let (mut a, mut b) = (vec![b'>'], vec![b'>']);
                let n = read_line(&mut ours, limit, &mut a).unwrap();
                let m = (&mut theirs).take(limit).read_until(b'\n', &mut b).unwrap();
                assert_eq!(
                    (n, &a),
                    (m, &b),
                    "{input:?} capacity {capacity} limit {limit}"
                );
                if n == 0 {
                    break;
                }
            }
        }
    }

    #[test]
    fn lines_are_numbered_and_ends_stripped() {
        let got = all(b"one\r\ntwo\n\nlast", 10);
        let texts: Vec<_> = got.iter().map(|(n, t)| (*n, t.clone().unwrap())).collect();
        assert_eq!(
            texts,
            [
                (1, "one".into()),
                (2, "two".into()),
                (3, String::new()),
                (4, "last".into())
            ]
        );
        assert!(all(b"", 10).is_empty());
    }

    #[test]
    fn a_line_over_the_limit_is_skipped_and_the_next_one_read() {
        let long = "x".repeat(100);
        let input = format!("ok\n{long}\nexactly10!\n12345678901\n{long}");
        // A small buffer: the long line spans many refills.
        let reader = LineReader::new(BufReader::with_capacity(7, Cursor::new(input)), 10);
        let got: Vec<_> = reader
            .map(Result::unwrap)
            .map(|line| (line.number, line.text))
            .collect();
        let too_long = Err(BadLine::TooLong { limit: 10 });
        assert_eq!(
            got,
            [
                (1, Ok("ok".into())),
                (2, too_long.clone()),
                (3, Ok("exactly10!".into())),
                (4, too_long.clone()),
                (5, too_long.clone()),
            ]
        );
        assert_eq!(
            BadLine::TooLong { limit: 10 }.to_string(),
            "longer than 10 bytes, skipped"
        );
        // `\r\n` does not count towards the limit.
        assert_eq!(all(b"exactly10!\r\nz", 10)[0].1, Ok("exactly10!".into()));
    }

    #[test]
    fn invalid_utf8_is_a_bad_line_not_a_stop() {
        let got = all(b"good\nbad \xff line\nafter\n", 100);
        assert_eq!(got[1], (2, Err(BadLine::NotUtf8 { at: 5 })));
        assert_eq!(got[2], (3, Ok("after".into())));
    }

    /// Gives `good` bytes, then fails on every read.
    struct Failing {
        good: Cursor<Vec<u8>>,
        failures: u32,
    }

    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.good.read(buf)? {
                0 => {
                    self.failures += 1;
                    Err(io::Error::other("device failure"))
                }
                n => Ok(n),
            }
        }
    }

    #[test]
    fn a_read_error_is_returned_once_with_its_line_then_reading_ends() {
        let mut failing = Failing {
            good: Cursor::new(b"a\nb\npartial".to_vec()),
            failures: 0,
        };
        let got: Vec<_> = LineReader::new(BufReader::new(&mut failing), 100).collect();
        assert_eq!(got.len(), 3);
        assert_eq!(
            got[1].as_ref().unwrap(),
            &NumberedLine {
                number: 2,
                text: Ok("b".into())
            }
        );
        let err = got[2].as_ref().unwrap_err();
        assert_eq!(err.line, 3);
        assert_eq!(err.to_string(), "cannot read line 3");
        assert_eq!(err.source.to_string(), "device failure");
        assert_eq!(failing.failures, 1, "the input is not read again");
    }

    #[cfg(unix)]
    #[test]
    fn a_directory_is_a_read_error_on_line_1() {
        let dir = tempfile::tempdir().unwrap();
        let file = std::fs::File::open(dir.path()).unwrap();
        let mut reader = LineReader::new(BufReader::new(file), 100);
        let err = reader.next().unwrap().unwrap_err();
        assert_eq!(err.line, 1);
        assert!(reader.next().is_none());
    }
}
