//! The binary posting record (the value of a `P` key).
//!
//! A posting is written on every ingest and read on every re-seen posting,
//! duplicate-group look-up and recount, so its record is compact and cheap to
//! code: about 170 bytes (260 with names written out, 600 as JSON), and no
//! text (the text is in the [text log](super::texts); the record holds
//! where).
//!
//! Layout (integers little-endian, `len` = LEB128 varint):
//!
//! | bytes | field |
//! |---|---|
//! | 1 | record version ([`VERSION`]) |
//! | 8 + 8 | posting id, fingerprint (fixed places: the index is rebuilt from them, see [`header`]) |
//! | 8 + 4 + 2 | text offset, length and file generation in the text log |
//! | 8 + 8 | content hash, taxonomy fingerprint |
//! | 4 × 3 | posted (fixed place, for the index too), first seen, last seen (days since 1970-01-01) |
//! | 1 | flags: remote, date from source, the source's remote flag (given, value), and which optional fields follow |
//! | 4 | valid through, when flagged |
//! | strings | source, external id, title, then url, company, default country (a name) when flagged |
//! | lists | locations, places (country, flags, région, département), skills, implied skills, tags |
//!
//! Strings are `len` + UTF-8 bytes; lists are `len` + items. Skills and the
//! geography codes of places are *names*: since version 3, their number in
//! the store's name table ([`NameTable`]) as a `len`-style varint (one or
//! two bytes instead of about nine); version 2 records, which wrote them as
//! strings, are still read. Decoding checks
//! every length and validates ids, so a damaged record is an error naming its
//! key, never a wrong posting.

use super::index::Masks;
use super::keys::{NAME_GEO, NAME_SKILL};
use super::texts::TextRef;
use crate::domain::{Day, DomainError, GeoCode, Place, Posting, PostingId, SkillId, SourceId};

/// Version of the record layout written (first byte of every record).
/// Version 2 added the source's remote flag and the tags; version 3 writes
/// skills and geography codes as numbers of the store's name table
/// ([`NameTable`]) instead of their names: about 90 bytes less a posting.
pub const VERSION: u8 = 3;

/// The oldest layout read: version 2, names written out (records of a
/// database written before version 3 stay readable, and are written anew
/// in version 3 as they change).
pub const NAMED_VERSION: u8 = 2;

/// The store's table of interned skill and geography names, which version 3
/// records refer to by number (the same numbers as the counters' keys).
pub trait NameTable {
    /// The number of `name` of `kind` ([`keys::NAME_SKILL`](super::keys::NAME_SKILL) or
    /// [`keys::NAME_GEO`](super::keys::NAME_GEO)), assigned if it has none.
    /// A new number must be written to the database with (or before) the
    /// first record that uses it.
    fn number(&mut self, kind: u8, name: &str) -> u32;

    /// The name of a number, if it has one.
    fn name(&self, number: u32) -> Option<&str>;
}

const REMOTE: u8 = 1;
const DATE_FROM_SOURCE: u8 = 1 << 1;
const HAS_VALID_THROUGH: u8 = 1 << 2;
const HAS_URL: u8 = 1 << 3;
const HAS_COMPANY: u8 = 1 << 4;
const HAS_DEFAULT_COUNTRY: u8 = 1 << 5;
const HAS_SOURCE_REMOTE: u8 = 1 << 6;
const SOURCE_REMOTE: u8 = 1 << 7;

const PLACE_REGION: u8 = 1;
const PLACE_DEPARTMENT: u8 = 1 << 1;
const PLACE_GUESS: u8 = 1 << 2;

/// Encodes `p` (its text excepted) with the place of its text, its skills
/// and geography codes by their numbers in `names`.
pub fn encode(p: &Posting, text: TextRef, names: &mut dyn NameTable) -> Vec<u8> {
    encode_as(p, text, Some(names))
}

/// A version 2 record of `p`, names written out: what databases before
/// record version 3 hold (for the tests that read them).
#[cfg(test)]
pub(crate) fn encode_named(p: &Posting, text: TextRef) -> Vec<u8> {
    encode_as(p, text, None)
}

/// Encodes `p` in version 3 with `names`, or in version 2 without.
fn encode_as(p: &Posting, text: TextRef, mut names: Option<&mut dyn NameTable>) -> Vec<u8> {
    let names_given = names.is_some();
    let mut put_name = |out: &mut Vec<u8>, kind: u8, name: &str| match names.as_deref_mut() {
        Some(names) => put_len(out, names.number(kind, name) as usize),
        None => put_str(out, name),
    };
    // Destructured so that a new field of `Posting` fails to compile here
    // until the record stores it.
    let Posting {
        id,
        source,
        external_id,
        url,
        title,
        company,
        locations,
        places,
        remote,
        source_remote,
        tags,
        default_country,
        posted,
        date_from_source,
        first_seen,
        last_seen,
        valid_through,
        skills,
        implied_skills,
        fingerprint,
        content_hash,
        taxonomy,
        text: _,
    } = p;
    let mut out = Vec::with_capacity(256);
    out.push(if names_given { VERSION } else { NAMED_VERSION });
    out.extend_from_slice(&id.as_u64().to_le_bytes());
    out.extend_from_slice(&fingerprint.to_le_bytes());
    out.extend_from_slice(&text.offset.to_le_bytes());
    out.extend_from_slice(&text.len.to_le_bytes());
    out.extend_from_slice(&text.file.to_le_bytes());
    out.extend_from_slice(&content_hash.to_le_bytes());
    out.extend_from_slice(&taxonomy.to_le_bytes());
    for day in [posted, first_seen, last_seen] {
        out.extend_from_slice(&day.epoch_days().to_le_bytes());
    }
    let mut flags = 0;
    for (set, flag) in [
        (*remote, REMOTE),
        (*date_from_source, DATE_FROM_SOURCE),
        (valid_through.is_some(), HAS_VALID_THROUGH),
        (url.is_some(), HAS_URL),
        (company.is_some(), HAS_COMPANY),
        (default_country.is_some(), HAS_DEFAULT_COUNTRY),
        (source_remote.is_some(), HAS_SOURCE_REMOTE),
        (*source_remote == Some(true), SOURCE_REMOTE),
    ] {
        if set {
            flags |= flag;
        }
    }
    out.push(flags);
    if let Some(day) = valid_through {
        out.extend_from_slice(&day.epoch_days().to_le_bytes());
    }
    put_str(&mut out, source.as_str());
    put_str(&mut out, external_id);
    put_str(&mut out, title);
    for s in [url.as_deref(), company.as_deref()].into_iter().flatten() {
        put_str(&mut out, s);
    }
    if let Some(country) = default_country {
        put_name(&mut out, NAME_GEO, country.as_str());
    }
    put_len(&mut out, locations.len());
    for l in locations {
        put_str(&mut out, l);
    }
    put_len(&mut out, places.len());
    for place in places {
        put_name(&mut out, NAME_GEO, place.country.as_str());
        let mut f = 0;
        if place.region.is_some() {
            f |= PLACE_REGION;
        }
        if place.department.is_some() {
            f |= PLACE_DEPARTMENT;
        }
        if place.guess {
            f |= PLACE_GUESS;
        }
        out.push(f);
        for code in place.region.iter().chain(&place.department) {
            put_name(&mut out, NAME_GEO, code.as_str());
        }
    }
    for list in [skills, implied_skills] {
        put_len(&mut out, list.len());
        for s in list {
            put_name(&mut out, NAME_SKILL, s.as_str());
        }
    }
    put_len(&mut out, tags.len());
    for t in tags {
        put_str(&mut out, t);
    }
    out
}

/// Where the posting day is in a record.
const POSTED_AT: usize = 1 + 8 + 8 + 8 + 4 + 2 + 8 + 8;

/// The id, fingerprint and posting day of an encoded record, without
/// decoding the rest.
pub fn header(bytes: &[u8]) -> Option<(PostingId, u64, Day)> {
    if !bytes
        .first()
        .is_some_and(|v| (NAMED_VERSION..=VERSION).contains(v))
    {
        return None;
    }
    let u64_at = |i: usize| -> Option<u64> {
        Some(u64::from_le_bytes(bytes.get(i..i + 8)?.try_into().ok()?))
    };
    let posted = bytes.get(POSTED_AT..POSTED_AT + 4)?.try_into().ok()?;
    Some((
        PostingId::from_u64(u64_at(1)?),
        u64_at(9)?,
        Day::from_epoch_days(i32::from_le_bytes(posted)),
    ))
}

/// What is wrong with the bytes of a record.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// Written by another version of the format.
    #[error("record version {0}, this build reads versions {NAMED_VERSION} to {VERSION}")]
    Version(u8),
    /// A skill or geography number the name table does not hold.
    #[error("name number {0} is not in the name table")]
    UnknownName(u32),
    /// Shorter than its fields say.
    #[error("truncated: {wanted} bytes wanted at offset {at} of {len}")]
    Truncated {
        /// Bytes the next field needs.
        wanted: usize,
        /// Where it starts.
        at: usize,
        /// The record's length.
        len: usize,
    },
    /// A length whose encoding does not end within 64 bits.
    #[error("a length is longer than 64 bits")]
    LengthTooLong,
    /// A string that is not UTF-8.
    #[error("bad UTF-8: {0}")]
    Utf8(std::str::Utf8Error),
    /// A source, skill or geography that does not parse.
    #[error("{0}")]
    Name(DomainError),
    /// Bytes after the last field.
    #[error("{0} unexpected bytes at the end")]
    Trailing(usize),
}

/// Decodes a record: the posting (with an empty text) and where its text is.
/// The error says what is wrong with the bytes.
/// The id, fingerprint, posting day and [`Masks`] of an encoded record,
/// read without allocating (the posting index is built from these at open):
/// the same masks as [`Masks::of`] the decoded posting.
pub fn masks(
    bytes: &[u8],
    names: &dyn NameTable,
) -> Result<(PostingId, u64, Day, Masks), RecordError> {
    let mut r = Reader { bytes, at: 0 };
    let names = r.version(names)?;
    let id = PostingId::from_u64(r.u64()?);
    let fingerprint = r.u64()?;
    // Text offset, length and file; content hash; taxonomy.
    r.u64()?;
    r.u32()?;
    r.u16()?;
    r.u64()?;
    r.u64()?;
    let posted = r.day()?;
    r.day()?;
    r.day()?;
    let flags = r.u8()?;
    let has = |flag: u8| flags & flag != 0;
    if has(HAS_VALID_THROUGH) {
        r.day()?;
    }
    // Source, external id, title, then the optional strings.
    for _ in 0..3 {
        r.str()?;
    }
    if has(HAS_URL) {
        r.str()?;
    }
    if has(HAS_COMPANY) {
        r.str()?;
    }
    let default_country = if has(HAS_DEFAULT_COUNTRY) {
        Some(r.name(names)?)
    } else {
        None
    };
    for _ in 0..r.len()? {
        r.str()?;
    }
    let mut masks = Masks::default();
    let places = r.len()?;
    for _ in 0..places {
        masks.add_geo(r.name(names)?);
        let f = r.u8()?;
        if f & PLACE_REGION != 0 {
            masks.add_geo(r.name(names)?);
        }
        if f & PLACE_DEPARTMENT != 0 {
            masks.add_geo(r.name(names)?);
        }
    }
    if places == 0 {
        masks.add_geo(default_country.unwrap_or(GeoCode::UNKNOWN));
    }
    if has(REMOTE) {
        masks.add_geo(GeoCode::REMOTE);
    }
    masks.add_geo(GeoCode::WORLD);
    masks.add_skill(SkillId::ALL_POSTINGS);
    for _ in 0..2 {
        for _ in 0..r.len()? {
            masks.add_skill(r.name(names)?);
        }
    }
    Ok((id, fingerprint, posted, masks))
}

pub fn decode(bytes: &[u8], names: &dyn NameTable) -> Result<(Posting, TextRef), RecordError> {
    let mut r = Reader { bytes, at: 0 };
    let names = r.version(names)?;
    let id = PostingId::from_u64(r.u64()?);
    let fingerprint = r.u64()?;
    let offset = r.u64()?;
    let len = r.u32()?;
    let text = TextRef {
        file: r.u16()?,
        offset,
        len,
    };
    let content_hash = r.u64()?;
    let taxonomy = r.u64()?;
    let posted = r.day()?;
    let first_seen = r.day()?;
    let last_seen = r.day()?;
    let flags = r.u8()?;
    let has = |flag: u8| flags & flag != 0;
    let valid_through = if has(HAS_VALID_THROUGH) {
        Some(r.day()?)
    } else {
        None
    };
    let source = SourceId::parse(r.str()?).map_err(RecordError::Name)?;
    let external_id = r.str()?.to_owned();
    let title = r.str()?.to_owned();
    let url = has(HAS_URL)
        .then(|| r.str().map(str::to_owned))
        .transpose()?;
    let company = has(HAS_COMPANY)
        .then(|| r.str().map(str::to_owned))
        .transpose()?;
    let default_country = has(HAS_DEFAULT_COUNTRY).then(|| r.geo(names)).transpose()?;
    let n = r.len()?;
    let mut locations = Vec::with_capacity(n.min(64));
    for _ in 0..n {
        locations.push(r.str()?.to_owned());
    }
    let n = r.len()?;
    let mut places = Vec::with_capacity(n.min(64));
    for _ in 0..n {
        let country = r.geo(names)?;
        let f = r.u8()?;
        let region = (f & PLACE_REGION != 0).then(|| r.geo(names)).transpose()?;
        let department = (f & PLACE_DEPARTMENT != 0)
            .then(|| r.geo(names))
            .transpose()?;
        places.push(Place {
            country,
            region,
            department,
            guess: f & PLACE_GUESS != 0,
        });
    }
    let skills = r.skills(names)?;
    let implied_skills = r.skills(names)?;
    let n = r.len()?;
    let mut tags = Vec::with_capacity(n.min(64));
    for _ in 0..n {
        tags.push(r.str()?.to_owned());
    }
    if r.at != bytes.len() {
        return Err(RecordError::Trailing(bytes.len() - r.at));
    }
    let posting = Posting {
        id,
        source,
        external_id,
        url,
        title,
        company,
        locations,
        places,
        remote: has(REMOTE),
        source_remote: has(HAS_SOURCE_REMOTE).then(|| has(SOURCE_REMOTE)),
        tags,
        default_country,
        posted,
        date_from_source: has(DATE_FROM_SOURCE),
        first_seen,
        last_seen,
        valid_through,
        skills,
        implied_skills,
        fingerprint,
        content_hash,
        taxonomy,
        text: String::new(),
    };
    Ok((posting, text))
}

fn put_len(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_len(out, s.len());
    out.extend_from_slice(s.as_bytes());
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], RecordError> {
        let end = self.at.checked_add(n).filter(|e| *e <= self.bytes.len());
        match end {
            Some(end) => {
                let s = &self.bytes[self.at..end];
                self.at = end;
                Ok(s)
            }
            None => Err(RecordError::Truncated {
                wanted: n,
                at: self.at,
                len: self.bytes.len(),
            }),
        }
    }

    fn u8(&mut self) -> Result<u8, RecordError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, RecordError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, RecordError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, RecordError> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(a))
    }

    fn day(&mut self) -> Result<Day, RecordError> {
        Ok(Day::from_epoch_days(self.u32()? as i32))
    }

    fn len(&mut self) -> Result<usize, RecordError> {
        let mut n: usize = 0;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            n |= usize::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err(RecordError::LengthTooLong)
    }

    fn str(&mut self) -> Result<&'a str, RecordError> {
        let n = self.len()?;
        std::str::from_utf8(self.take(n)?).map_err(RecordError::Utf8)
    }

    /// Reads the version byte: the name table to read names with, or
    /// `None` for a version 2 record (names written out).
    fn version<'t>(
        &mut self,
        names: &'t dyn NameTable,
    ) -> Result<Option<&'t dyn NameTable>, RecordError> {
        match self.u8()? {
            VERSION => Ok(Some(names)),
            NAMED_VERSION => Ok(None),
            other => Err(RecordError::Version(other)),
        }
    }

    /// A skill or geography code: a number in `names`, or (version 2) a string.
    fn name<'s>(&mut self, names: Option<&'s dyn NameTable>) -> Result<&'s str, RecordError>
    where
        'a: 's,
    {
        match names {
            Some(names) => {
                let number = u32::try_from(self.len()?).map_err(|_| RecordError::LengthTooLong)?;
                names.name(number).ok_or(RecordError::UnknownName(number))
            }
            None => self.str(),
        }
    }

    fn geo(&mut self, names: Option<&dyn NameTable>) -> Result<GeoCode, RecordError> {
        GeoCode::parse(self.name(names)?).map_err(RecordError::Name)
    }

    fn skills(&mut self, names: Option<&dyn NameTable>) -> Result<Vec<SkillId>, RecordError> {
        let n = self.len()?;
        let mut out = Vec::with_capacity(n.min(256));
        for _ in 0..n {
            out.push(SkillId::parse(self.name(names)?).map_err(RecordError::Name)?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::bench_support::RecordNames;

    fn full() -> Posting {
        let day = |s: &str| s.parse::<Day>().unwrap();
        let geo = |s: &str| GeoCode::parse(s).unwrap();
        let source = SourceId::parse("france-travail").unwrap();
        Posting {
            id: PostingId::new(&source, "187ZXKQ"),
            source,
            external_id: "187ZXKQ".into(),
            url: Some("https://example.org/offre/187ZXKQ?x=é".into()),
            title: "Développeur Rust (H/F)".into(),
            company: Some("Société Générale des Eaux".into()),
            locations: vec!["75 - PARIS 09".into(), "Lyon".into()],
            places: vec![
                Place {
                    country: geo("FR"),
                    region: Some(geo("FR-IDF")),
                    department: Some(geo("FR-75")),
                    guess: false,
                },
                Place {
                    country: geo("FR"),
                    region: Some(geo("FR-ARA")),
                    department: None,
                    guess: true,
                },
            ],
            remote: true,
            source_remote: Some(false),
            tags: vec!["Kubernetes".into(), "Go".into(), "DevOps & SRE".into()],
            default_country: Some(geo("FR")),
            posted: day("2024-02-29"),
            date_from_source: true,
            first_seen: day("2024-03-01"),
            last_seen: day("2024-04-10"),
            valid_through: Some(day("2024-05-01")),
            skills: vec![
                SkillId::parse("rust").unwrap(),
                SkillId::parse("rhcsa").unwrap(),
            ],
            implied_skills: vec![SkillId::parse("linux").unwrap()],
            fingerprint: 0xdead_beef_0123_4567,
            content_hash: u64::MAX,
            taxonomy: 42,
            text: String::new(),
        }
    }

    #[test]
    fn every_field_round_trips() {
        let p = full();
        let text = TextRef {
            file: 3,
            offset: 1 << 40,
            len: 3_000,
        };
        let mut names = RecordNames::default();
        let bytes = encode(&p, text, &mut names);
        assert_eq!(header(&bytes), Some((p.id, p.fingerprint, p.posted)));
        assert_eq!(decode(&bytes, &names).unwrap(), (p.clone(), text));
        // Names as numbers: shorter than the same record with names written out.
        let named = encode_named(&p, text);
        assert_eq!(header(&named), header(&bytes));
        assert_eq!(decode(&named, &names).unwrap(), (p.clone(), text));
        assert!(
            bytes.len() + 20 < named.len(),
            "{} vs {}",
            bytes.len(),
            named.len()
        );

        // And with every optional field absent.
        let bare = Posting {
            url: None,
            company: None,
            locations: vec![],
            places: vec![],
            remote: false,
            source_remote: None,
            tags: vec![],
            default_country: None,
            date_from_source: false,
            valid_through: None,
            skills: vec![],
            implied_skills: vec![],
            fingerprint: 0,
            ..p
        };
        let bytes = encode(&bare, TextRef::EMPTY, &mut names);
        assert_eq!(decode(&bytes, &names).unwrap(), (bare, TextRef::EMPTY));
        assert!(bytes.len() < 120, "{} bytes", bytes.len());
    }

    #[test]
    fn masks_read_from_a_record_are_those_of_the_posting() {
        let p = full();
        let variants = [
            p.clone(),
            Posting {
                places: vec![],
                ..p.clone()
            },
            Posting {
                places: vec![],
                default_country: None,
                remote: false,
                ..p.clone()
            },
            Posting {
                skills: vec![],
                implied_skills: vec![],
                url: None,
                company: None,
                valid_through: None,
                ..p.clone()
            },
        ];
        let mut names = RecordNames::default();
        for v in variants {
            for bytes in [
                encode(&v, TextRef::EMPTY, &mut names),
                encode_named(&v, TextRef::EMPTY),
            ] {
                let read = masks(&bytes, &names).unwrap();
                assert_eq!(
                    read,
                    (v.id, v.fingerprint, v.posted, Masks::of(&v)),
                    "{v:?}"
                );
            }
        }
        assert!(masks(&[9, 0, 0], &names).is_err());
    }

    #[test]
    fn a_long_string_uses_a_multi_byte_length() {
        let p = Posting {
            title: "x".repeat(70_000),
            ..full()
        };
        let mut names = RecordNames::default();
        let bytes = encode(&p, TextRef::EMPTY, &mut names);
        assert_eq!(decode(&bytes, &names).unwrap().0.title.len(), 70_000);
    }

    #[test]
    fn damaged_records_are_errors() {
        let p = full();
        let mut names = RecordNames::default();
        let bytes = encode(&p, TextRef::EMPTY, &mut names);
        // A number the table does not hold is named, never read as another name.
        let err = decode(&bytes, &RecordNames::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("not in the name table"), "{err}");
        for cut in [0, 1, 20, bytes.len() / 2, bytes.len() - 1] {
            let err = decode(&bytes[..cut], &names).unwrap_err().to_string();
            assert!(err.contains("truncated"), "cut at {cut}: {err}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode(&longer, &names)
            .unwrap_err()
            .to_string()
            .contains("unexpected bytes"));
        let mut other = bytes;
        other[0] = 9;
        assert!(decode(&other, &names)
            .unwrap_err()
            .to_string()
            .contains("record version 9"));
        assert_eq!(header(&other), None);
    }
}
