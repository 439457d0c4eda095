//! Tests of the text log.
use super::codec::{MAGIC_PLAIN, SAMPLE_BYTES};
use super::*;

/// Where the first record of a new file without a dictionary starts.
const FIRST: u64 = 12;
/// Bytes before each compressed record's frame.
const HEADER: u64 = 12;

#[test]
fn texts_round_trip_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let log = TextLog::open(dir.path()).unwrap();
    let a = log.append("Développeur Rust — télétravail").unwrap();
    assert_eq!(a.offset, FIRST);
    let b = log.append("second").unwrap();
    assert_eq!(log.append("").unwrap(), TextRef::EMPTY);
    log.write_out().unwrap();
    assert_eq!(log.read(a).unwrap(), "Développeur Rust — télétravail");
    assert_eq!(log.read(b).unwrap(), "second");
    assert_eq!(log.read(TextRef::EMPTY).unwrap(), "");
    assert!(log.holds(a).unwrap() && log.holds(b).unwrap());
    assert!(!log
        .holds(TextRef {
            len: b.len + 1,
            ..b
        })
        .unwrap());
    let end = b.offset + HEADER + u64::from(b.len);
    drop(log);

    let log = TextLog::open(dir.path()).unwrap();
    assert_eq!(log.read(b).unwrap(), "second");
    let c = log.append("third").unwrap();
    assert_eq!(c.offset, end);
    log.sync().unwrap();
    assert_eq!(log.read(c).unwrap(), "third");
}

#[test]
fn generations_stay_readable_until_removed() {
    let dir = tempfile::tempdir().unwrap();
    let log = TextLog::open(dir.path()).unwrap();
    let old = log.append("old copy").unwrap();
    assert_eq!(old.file, 0);
    assert_eq!(log.start_generation().unwrap(), 1);
    let new = log.append("new copy").unwrap();
    assert_eq!((new.file, new.offset), (1, FIRST));
    log.write_out().unwrap();
    assert_eq!(log.read(old).unwrap(), "old copy");
    assert!(log.holds(old).unwrap() && log.holds(new).unwrap());
    drop(log);

    // Reopened mid-way (a compaction cut short): both are read, appends
    // go to the newest.
    let log = TextLog::open(dir.path()).unwrap();
    assert_eq!(log.read(old).unwrap(), "old copy");
    assert_eq!(log.append("more").unwrap().file, 1);
    log.remove_older_than(1).unwrap();
    assert!(!dir.path().join(file_name(0)).exists());
    assert!(log.read(old).is_err() && !log.holds(old).unwrap());
    assert_eq!(log.read(new).unwrap(), "new copy");
}

#[test]
fn damage_is_reported_not_returned() {
    let dir = tempfile::tempdir().unwrap();
    let log = TextLog::open(dir.path()).unwrap();
    let a = log.append("hello world").unwrap();
    log.write_out().unwrap();
    // A reference with the wrong length, past the end, or a flipped byte.
    let err = log.read(TextRef { len: 5, ..a }).unwrap_err().to_string();
    assert!(err.contains("does not match"), "{err}");
    let err = log
        .read(TextRef {
            offset: 1 << 20,
            ..a
        })
        .unwrap_err()
        .to_string();
    assert!(err.contains("cannot read"), "{err}");
    let err = log.read(TextRef { file: 7, ..a }).unwrap_err().to_string();
    assert!(err.contains("missing"), "{err}");
    drop(log);
    let path = dir.path().join(file_name(0));
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let log = TextLog::open(dir.path()).unwrap();
    assert!(log.read(a).is_err());
}

#[test]
fn a_damaged_header_leaves_the_file_aside_and_appends_to_a_new_generation() {
    let dir = tempfile::tempdir().unwrap();
    let log = TextLog::open(dir.path()).unwrap();
    let a = log.append("written before the damage").unwrap();
    log.sync().unwrap();
    drop(log);
    let path = dir.path().join(file_name(0));
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[..8].copy_from_slice(b"\0\0\0\0\0\0\0\0");
    std::fs::write(&path, &bytes).unwrap();

    let log = TextLog::open(dir.path()).unwrap();
    let err = log.read(a).unwrap_err().to_string();
    assert!(
        err.contains("damaged") && err.contains("not a skilltrack text log"),
        "{err}"
    );
    assert!(
        !log.holds(a).unwrap(),
        "a posting seen again gets its text anew"
    );
    let b = log.append("written after").unwrap();
    assert_eq!(b.file, 1);
    log.write_out().unwrap();
    assert_eq!(log.read(b).unwrap(), "written after");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "the damaged file is left as it is"
    );
    drop(log);
    // Reopened: the same, appends go on in generation 1.
    let log = TextLog::open(dir.path()).unwrap();
    assert_eq!(log.read(b).unwrap(), "written after");
    assert!(log.read(a).is_err());
    assert_eq!(log.append("more").unwrap().file, 1);
    // A compaction removes it with the other old generations.
    log.remove_older_than(1).unwrap();
    assert!(!path.exists());
}

#[test]
fn a_foreign_or_torn_file_does_not_stop_the_log() {
    for content in [&b"something else entirely"[..], b"SKT"] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(file_name(0)), content).unwrap();
        let log = TextLog::open(dir.path()).unwrap();
        let r = log.append("new").unwrap();
        assert_eq!(r.file, 1);
        log.write_out().unwrap();
        assert_eq!(log.read(r).unwrap(), "new");
    }
}

#[test]
fn a_lost_text_reads_as_an_error_and_is_not_held() {
    let dir = tempfile::tempdir().unwrap();
    let log = TextLog::open(dir.path()).unwrap();
    let err = log.read(TextRef::LOST).unwrap_err().to_string();
    assert!(err.contains("lost"), "{err}");
    assert!(!log.holds(TextRef::LOST).unwrap());
}

/// A posting-like text: shared sentences (what a dictionary learns) and a
/// part of its own.
fn posting_text(i: usize) -> String {
    let mut text = format!("Offre {i} — Développeur Rust (H/F), équipe n°{}. ", i % 97);
    for k in 0..12 {
        text.push_str(match (i + k) % 4 {
            0 => "Vous rejoindrez une équipe bienveillante qui place la qualité au cœur de son travail. ",
            1 => "You will work closely with product managers and designers to ship features. ",
            2 => "Le processus de recrutement comprend un entretien RH et un exercice technique. ",
            _ => "Salary range depends on experience; we publish our salary grid internally. ",
        });
    }
    text
}

#[test]
fn texts_are_stored_compressed_and_a_dictionary_is_trained_on_the_first_ones() {
    let dir = tempfile::tempdir().unwrap();
    let log = TextLog::open(dir.path()).unwrap();
    let mut refs = Vec::new();
    let mut plain = 0usize;
    let mut i = 0;
    // Until the log moves on to a generation with a dictionary, then as
    // many texts again.
    while refs
        .last()
        .is_none_or(|(_, r): &(String, TextRef)| r.file == 0)
    {
        let text = posting_text(i);
        plain += text.len();
        refs.push((text.clone(), log.append(&text).unwrap()));
        i += 1;
    }
    assert!(plain >= SAMPLE_BYTES, "trained after {plain} bytes");
    let before = refs.len();
    for _ in 0..before {
        let text = posting_text(i);
        refs.push((text.clone(), log.append(&text).unwrap()));
        i += 1;
    }
    log.write_out().unwrap();
    let header = codec::read_header(
        &File::open(dir.path().join(file_name(1))).unwrap(),
        &dir.path().join(file_name(1)),
        1 << 30,
    )
    .unwrap();
    assert!(
        !header.dictionary.is_empty(),
        "generation 1 has a dictionary"
    );
    let stored = |file: u16| -> (usize, usize) {
        let of: Vec<_> = refs.iter().filter(|(_, r)| r.file == file).collect();
        let frames: usize = of.iter().map(|(_, r)| r.len as usize).sum();
        let texts: usize = of.iter().map(|(t, _)| t.len()).sum();
        (frames, texts)
    };
    let (frames0, texts0) = stored(0);
    let (frames1, texts1) = stored(1);
    assert!(
        frames0 * 3 < texts0,
        "zstd alone: {frames0} of {texts0} bytes"
    );
    assert!(
        frames1 * 20 < texts1,
        "with the dictionary: {frames1} of {texts1} bytes"
    );
    assert!(
        (frames1 as f64 / texts1 as f64) < (frames0 as f64 / texts0 as f64) / 2.0,
        "the dictionary at least halves what zstd alone stores"
    );
    for (text, r) in &refs {
        assert_eq!(&log.read(*r).unwrap(), text);
        assert!(log.holds(*r).unwrap());
    }
    drop(log);
    // Reopened: both read back, appends go on in generation 1 with its
    // dictionary.
    let log = TextLog::open(dir.path()).unwrap();
    for (text, r) in refs.iter().step_by(97) {
        assert_eq!(&log.read(*r).unwrap(), text);
    }
    let next = log.append(&posting_text(i)).unwrap();
    assert_eq!(next.file, 1);
    assert!((next.len as usize) * 20 < posting_text(i).len());
    log.write_out().unwrap();
    assert_eq!(log.read(next).unwrap(), posting_text(i));
}

#[test]
fn a_file_of_the_first_plain_format_is_read_and_left_for_a_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let texts = ["Développeur Rust — télétravail", "second"];
    let mut bytes = MAGIC_PLAIN.to_vec();
    let mut refs = Vec::new();
    for text in texts {
        let r = TextRef {
            file: 0,
            offset: bytes.len() as u64,
            len: text.len() as u32,
        };
        bytes.extend_from_slice(&(text.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&check(text.as_bytes()).to_le_bytes());
        bytes.extend_from_slice(text.as_bytes());
        refs.push(r);
    }
    let path = dir.path().join(file_name(0));
    std::fs::write(&path, &bytes).unwrap();

    let log = TextLog::open(dir.path()).unwrap();
    for (text, r) in texts.iter().zip(&refs) {
        assert_eq!(&log.read(*r).unwrap(), text);
        assert!(log.holds(*r).unwrap());
    }
    assert!(!log
        .holds(TextRef {
            len: refs[1].len + 1,
            ..refs[1]
        })
        .unwrap());
    let new = log.append("third").unwrap();
    assert_eq!((new.file, new.offset), (1, FIRST));
    log.write_out().unwrap();
    assert_eq!(log.read(new).unwrap(), "third");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "the old file is not appended to"
    );
    // A compaction removes it once nothing points into it.
    log.remove_older_than(1).unwrap();
    assert!(!path.exists());
}

#[test]
fn a_damaged_dictionary_leaves_the_file_aside() {
    let dir = tempfile::tempdir().unwrap();
    let log = TextLog::open(dir.path()).unwrap();
    let a = log.append("written before the damage").unwrap();
    log.sync().unwrap();
    drop(log);
    // The header now says its dictionary is longer than the file.
    let path = dir.path().join(file_name(0));
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[8..12].copy_from_slice(&(1u32 << 19).to_le_bytes());
    std::fs::write(&path, &bytes).unwrap();

    let log = TextLog::open(dir.path()).unwrap();
    let err = log.read(a).unwrap_err().to_string();
    assert!(err.contains("damaged"), "{err}");
    let b = log.append("written after").unwrap();
    assert_eq!(b.file, 1);
    log.write_out().unwrap();
    assert_eq!(log.read(b).unwrap(), "written after");
}

#[test]
fn a_damaged_frame_reads_as_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let log = TextLog::open(dir.path()).unwrap();
    let text = posting_text(1);
    let a = log.append(&text).unwrap();
    log.sync().unwrap();
    drop(log);
    let path = dir.path().join(file_name(0));
    let mut bytes = std::fs::read(&path).unwrap();
    // A byte in the middle of the frame, then the stored plain length.
    let middle = (a.offset + HEADER) as usize + a.len as usize / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&path, &bytes).unwrap();
    let log = TextLog::open(dir.path()).unwrap();
    let err = log.read(a).unwrap_err().to_string();
    assert!(err.contains("text at offset"), "{err}");
    drop(log);
    bytes[middle] ^= 0x55;
    bytes[a.offset as usize + 8] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let log = TextLog::open(dir.path()).unwrap();
    assert!(log.read(a).is_err());
    bytes[a.offset as usize + 8] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    drop(log);
    let log = TextLog::open(dir.path()).unwrap();
    assert_eq!(log.read(a).unwrap(), text);
}
