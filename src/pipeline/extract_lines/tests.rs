//! `extract` on several threads writes what one thread writes; an empty
//! input never builds the normalizer; read and write errors stop it.

use std::io::{self, Read};

use super::*;

fn normalizer() -> &'static Normalizer {
    static NORMALIZER: std::sync::OnceLock<Normalizer> = std::sync::OnceLock::new();
    NORMALIZER.get_or_init(|| Normalizer::bundled().expect("bundled data"))
}

fn options(workers: usize, batch_lines: usize) -> ExtractOptions {
    ExtractOptions {
        max_line_bytes: 2_000,
        workers,
        batch_lines,
        batch_bytes: EXTRACT_BATCH_BYTES,
    }
}

/// Postings with skills and places, blank lines, lines that are not
/// postings, a line that is not UTF-8 and one over the line cap.
fn mixed_input() -> Vec<u8> {
    let titles = [
        "Développeur Rust / PostgreSQL",
        "DevOps Kubernetes (H/F)",
        "Data engineer Python, Spark",
        "Ingénieur SÉCURITÉ Linux",
    ];
    let places = [
        "Lyon",
        "Paris 9e",
        "75011 Paris",
        "Remote",
        "Nantes (44)",
        "Berlin",
    ];
    let mut input = Vec::new();
    for i in 0..97 {
        let line = match i % 11 {
            3 => String::new(),
            5 => "{not json".to_owned(),
            7 => r#"{"id": "x"}"#.to_owned(),
            9 => format!(r#"{{"id": "long", "title": "t", "description": "{}"}}"#, "a ".repeat(1_500)),
            _ => serde_json::json!({
                "id": i.to_string(),
                "title": titles[i % titles.len()],
                "description": format!("<p>Nous cherchons <b>Terraform</b> &amp; Ansible, {i} ans de Go.</p>"),
                "location": places[i % places.len()],
            })
            .to_string(),
        };
        input.extend_from_slice(line.as_bytes());
        input.push(b'\n');
        if i == 40 {
            input.extend_from_slice(b"{\"id\": \"\xff\"}\n");
        }
    }
    input
}

/// Output bytes, bad lines (as reported, in order) and the count returned.
fn run(input: &[u8], options: &ExtractOptions) -> (Vec<u8>, Vec<String>, u64) {
    let mut out = Vec::new();
    let mut bad = Vec::new();
    let count = extract_lines_with(
        || Ok(normalizer()),
        input,
        options,
        &mut out,
        |e| bad.push(e.to_string()),
    )
    .expect("extract runs");
    (out, bad, count)
}

#[test]
fn every_core_writes_what_one_thread_writes_in_input_order() {
    let input = mixed_input();
    let (one, one_bad, one_count) = run(&input, &options(1, 1_000));
    let lines = one.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count();
    assert!(lines > 50, "postings extracted: {lines}");
    assert!(one_count >= 20, "bad lines: {one_count}");
    assert_eq!(one_count as usize, one_bad.len());
    for workers in [1, 2, 3, 4] {
        for batch_lines in [1, 2, 7, 64] {
            let (out, bad, count) = run(&input, &options(workers, batch_lines));
            assert!(out == one, "{workers} workers, batches of {batch_lines}");
            assert_eq!(bad, one_bad, "{workers} workers, batches of {batch_lines}");
            assert_eq!(count, one_count);
        }
    }
}

#[test]
fn output_ids_follow_the_input_order() {
    let input = mixed_input();
    let (out, _, _) = run(&input, &options(3, 1));
    let ids: Vec<u64> = out
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_slice(l).expect("JSON line");
            v["id"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .expect("numeric id")
        })
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
}

#[test]
fn the_old_entry_point_writes_the_same() {
    let input = mixed_input();
    let (one, one_bad, _) = run(&input, &options(1, 1_000));
    let mut out = Vec::new();
    let mut bad = Vec::new();
    extract_lines(normalizer(), &input[..], 2_000, &mut out, |e| {
        bad.push(e.to_string())
    })
    .expect("extract runs");
    assert!(out == one);
    assert_eq!(bad, one_bad);
}

#[test]
fn an_empty_input_never_builds_the_normalizer() {
    for workers in [1, 2] {
        let mut out = Vec::new();
        let count = extract_lines_with::<&Normalizer, _, _>(
            || panic!("the normalizer was built"),
            &b""[..],
            &options(workers, 4),
            &mut out,
            |e| panic!("bad line {e}"),
        )
        .expect("nothing to do");
        assert_eq!(count, 0);
        assert!(out.is_empty());
    }
}

#[test]
fn a_normalizer_that_cannot_be_built_is_an_error_once_a_line_comes() {
    let error = extract_lines_with::<&Normalizer, _, _>(
        || Err(NormalizeError::EmptyId),
        &b"\n"[..],
        &options(2, 4),
        Vec::new(),
        |_| {},
    )
    .expect_err("no normalizer");
    assert!(matches!(error, ExtractError::Normalizer(_)), "{error:?}");
}

/// Gives `good` bytes, then fails.
struct FailingAfter {
    good: io::Cursor<Vec<u8>>,
}

impl Read for FailingAfter {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.good.read(buf)? {
            0 => Err(io::Error::other("disk gone")),
            n => Ok(n),
        }
    }
}

#[test]
fn a_read_error_stops_after_the_lines_before_it_are_written() {
    let input = mixed_input();
    // Cut inside a line near the end: every whole line before it is written.
    let cut = input.len() - 10;
    let whole_lines = input[..cut].iter().filter(|&&b| b == b'\n').count();
    let last_end = input[..cut]
        .iter()
        .rposition(|&b| b == b'\n')
        .expect("a line end")
        + 1;
    let (expected, _, _) = run(&input[..last_end], &options(1, 1_000));
    for workers in [1, 2, 3] {
        let reader = io::BufReader::with_capacity(
            64,
            FailingAfter {
                good: io::Cursor::new(input[..cut].to_vec()),
            },
        );
        let mut out = Vec::new();
        let error = extract_lines_with(
            || Ok(normalizer()),
            reader,
            &options(workers, 3),
            &mut out,
            |_| {},
        )
        .expect_err("the read fails");
        match error {
            ExtractError::Read(e) => {
                assert_eq!(e.line, whole_lines as u64 + 1, "{workers} workers")
            }
            other => panic!("{other:?}"),
        }
        assert!(out == expected, "{workers} workers");
    }
}

/// Accepts `room` bytes, then fails.
struct FullDisk {
    room: usize,
}

impl io::Write for FullDisk {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.len() > self.room {
            return Err(io::Error::other("disk full"));
        }
        self.room -= buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_write_error_stops_every_worker() {
    let input = mixed_input().repeat(5);
    for workers in [1, 2, 3] {
        let error = extract_lines_with(
            || Ok(normalizer()),
            &input[..],
            &options(workers, 2),
            FullDisk { room: 1_000 },
            |_| {},
        )
        .expect_err("the write fails");
        assert!(matches!(error, ExtractError::Write(_)), "{error:?}");
    }
}

#[test]
fn batches_close_at_their_byte_budget() {
    let input = mixed_input();
    let mut lines = LineReader::new(&input[..], 2_000);
    let small = ExtractOptions {
        batch_bytes: 300,
        ..options(2, 1_000)
    };
    let batch = read_batch(&mut lines, 0, &small);
    let bytes: usize = batch
        .lines
        .iter()
        .map(|l| l.text.as_ref().map_or(0, String::len))
        .sum();
    assert!(
        batch.lines.len() > 1 && batch.lines.len() < 10,
        "{}",
        batch.lines.len()
    );
    assert!(bytes >= 300, "{bytes}");
}
