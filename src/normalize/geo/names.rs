//! The name index: each folded place name with its readings, and for each
//! first word the number of words of the longest name it starts.
//!
//! Folding, de-duplicating and sorting some 36,000 names was two thirds of
//! the gazetteer's build, which every process paid before its first
//! location. `build.rs` now runs that build once, when skilltrack is
//! compiled (with this file and the rest of the build's code), and writes
//! the index's parts ([`IndexBytes`]); the binary embeds them. At start-up
//! the hash maps are filled with keys borrowed from the embedded text: no
//! folding, no allocation per name, and look-ups as fast as before. (An
//! `fst` map read in place was tried: start-up the same, but location
//! strings resolved at half the speed, `benches/geo_resolve.rs`.)

use super::data::Reading;
use super::error::GeoError;
use super::fold::FastMap;
use super::rows::split_byte;

/// Folded name → readings (and whether it is a lone commune name); first
/// word → longest name starting with it, in words.
#[derive(Debug)]
pub(crate) struct NameIndex {
    /// Folded name → where its readings are.
    names: FastMap<&'static str, Slot>,
    /// First folded word → number of words of the longest name it starts.
    first: FastMap<&'static str, u8>,
    /// Every reading, name after name in the order of the names.
    readings: Vec<Reading>,
}

/// One name's readings: where they are in [`NameIndex::readings`], and
/// whether the name is a lone commune name ([`NameIndex::lookup`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    start: u32,
    len: u16,
    lone: bool,
}

impl Slot {
    // Used by build.rs (and tests), not at run time.
    #[cfg_attr(not(test), allow(dead_code))]
    fn pack(self) -> u64 {
        u64::from(self.start) | (u64::from(self.len) << 32) | (u64::from(self.lone) << 48)
    }

    fn unpack(v: u64) -> Slot {
        Slot {
            start: v as u32,
            len: (v >> 32) as u16,
            lone: (v >> 48) & 1 == 1,
        }
    }
}

/// One name for [`OwnedIndexBytes::build`]: folded, with its readings and whether
/// it is a lone commune name.
pub(crate) struct NameEntry {
    pub key: String,
    pub readings: Vec<Reading>,
    pub lone: bool,
}

/// The index's parts, as `build.rs` writes them and the binary embeds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IndexBytes<'a> {
    /// The folded names, sorted, one per line.
    pub names: &'a str,
    /// Where each name's readings are: eight little-endian bytes per name.
    pub slots: &'a [u8],
    /// The first words of the names, sorted, one per line.
    pub first_words: &'a str,
    /// For each first word, the number of words of its longest name.
    pub first_lengths: &'a [u8],
    /// The readings, eight little-endian bytes each.
    pub readings: &'a [u8],
}

/// [`IndexBytes`], owned: the index laid out by [`OwnedIndexBytes::build`].
// Used by build.rs (and tests), not at run time.
#[cfg_attr(not(test), allow(dead_code))]
#[derive(Debug, Default)]
pub(crate) struct OwnedIndexBytes {
    names: String,
    slots: Vec<u8>,
    first_words: String,
    first_lengths: Vec<u8>,
    readings: Vec<u8>,
}

// Used by build.rs (and tests), not at run time.
#[cfg_attr(not(test), allow(dead_code))]
impl OwnedIndexBytes {
    /// The parts, borrowed.
    pub(crate) fn parts(&self) -> IndexBytes<'_> {
        IndexBytes {
            names: &self.names,
            slots: &self.slots,
            first_words: &self.first_words,
            first_lengths: &self.first_lengths,
            readings: &self.readings,
        }
    }

    /// Lays out the index of these names. Their order does not matter; a
    /// name given twice, or with a line break, is an error.
    pub(crate) fn build(mut names: Vec<NameEntry>) -> Result<OwnedIndexBytes, GeoError> {
        names.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        let mut out = OwnedIndexBytes::default();
        let mut readings = 0u32;
        // (first word, words) of every name: one word may start many names
        let mut first: Vec<(&str, u8)> = Vec::with_capacity(names.len());
        for (i, n) in names.iter().enumerate() {
            if n.key.contains('\n') {
                return Err(unbuilt(format!("the name {:?} has a line break", n.key)));
            }
            if i > 0 && names[i - 1].key == n.key {
                return Err(unbuilt(format!("the name {:?} is given twice", n.key)));
            }
            let slot = Slot {
                start: readings,
                len: n.readings.len() as u16,
                lone: n.lone,
            };
            readings += u32::from(slot.len);
            line(&mut out.names, &n.key);
            out.slots.extend(slot.pack().to_le_bytes());
            out.readings
                .extend(n.readings.iter().flat_map(|&r| encode(r).to_le_bytes()));
            let words = n.key.split(' ').count().min(255) as u8;
            first.push((n.key.split(' ').next().unwrap_or(""), words));
        }
        first.sort_unstable();
        for (i, &(word, words)) in first.iter().enumerate() {
            // sorted by word, then length: the last of a word is its longest
            if first.get(i + 1).is_none_or(|next| next.0 != word) {
                line(&mut out.first_words, word);
                out.first_lengths.push(words);
            }
        }
        Ok(out)
    }
}

/// Appends `s` and a line break.
#[cfg_attr(not(test), allow(dead_code))]
fn line(text: &mut String, s: &str) {
    text.push_str(s);
    text.push('\n');
}

/// An error laying out the index.
#[cfg_attr(not(test), allow(dead_code))]
fn unbuilt(why: String) -> GeoError {
    GeoError::Index(format!("cannot build it: {why}"))
}

/// An error reading the embedded index.
fn corrupt(what: &str, why: impl std::fmt::Display) -> GeoError {
    GeoError::Index(format!(
        "the embedded {what} are unreadable ({why}): rebuild skilltrack"
    ))
}

/// The lines of `text`, which ends with a line break (or is empty).
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let text = text.strip_suffix('\n').unwrap_or(text);
    split_byte(text, b'\n').filter(|_| !text.is_empty())
}

/// Eight-byte little-endian words.
fn words(bytes: &[u8]) -> impl Iterator<Item = u64> + '_ {
    bytes
        .chunks_exact(8)
        .map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0xff; 8])))
}

/// The items of `a` and `b` side by side; when one ends before the other,
/// an error saying whether `b` had too few (`"too few"`) or too many items.
fn pairs<A, B>(
    mut a: impl Iterator<Item = A>,
    mut b: impl Iterator<Item = B>,
) -> impl Iterator<Item = Result<(A, B), &'static str>> {
    std::iter::from_fn(move || match (a.next(), b.next()) {
        (Some(a), Some(b)) => Some(Ok((a, b))),
        (None, None) => None,
        (Some(_), None) => Some(Err("too few")),
        (None, Some(_)) => Some(Err("too many")),
    })
}

impl NameIndex {
    /// Reads the index from its parts. The names stay where they are: the
    /// maps borrow them.
    pub(crate) fn from_bytes(b: IndexBytes<'static>) -> Result<NameIndex, GeoError> {
        let count = b.slots.len() / 8;
        if !b.readings.len().is_multiple_of(8) {
            return Err(corrupt("readings", "their length is not a multiple of 8"));
        }
        let readings = words(b.readings)
            .map(|v| decode(v).ok_or_else(|| corrupt("readings", format!("bad reading {v:#x}"))))
            .collect::<Result<Vec<_>, _>>()?;
        if !b.slots.len().is_multiple_of(8) {
            return Err(corrupt("name slots", "their length is not a multiple of 8"));
        }
        let mut names = FastMap::with_capacity_and_hasher(count, Default::default());
        for pair in pairs(lines(b.names), words(b.slots)) {
            let (key, slot) =
                pair.map_err(|n| corrupt("names", format!("{n} slots for their names")))?;
            let slot = Slot::unpack(slot);
            if slot.start as usize + slot.len as usize > readings.len() {
                return Err(corrupt(
                    "name slots",
                    format!("{key:?} points past the readings"),
                ));
            }
            if names.insert(key, slot).is_some() {
                return Err(corrupt("names", format!("{key:?} is there twice")));
            }
        }
        let count = b.first_lengths.len();
        let mut first = FastMap::with_capacity_and_hasher(count, Default::default());
        for pair in pairs(lines(b.first_words), b.first_lengths.iter().copied()) {
            let (word, words) =
                pair.map_err(|n| corrupt("first words", format!("{n} lengths for their words")))?;
            first.insert(word, words);
        }
        Ok(NameIndex {
            names,
            first,
            readings,
        })
    }

    /// The readings of a folded name, and whether it is a *lone* commune
    /// name: it designates a single commune of France (current, or former
    /// mapped to its current one), is not a stop-name and has at least
    /// [`super::data::LONE_MIN_LEN`] letters, so that alone in its segment it
    /// is trusted whatever the population.
    #[inline]
    pub(crate) fn lookup(&self, key: &str) -> Option<(&[Reading], bool)> {
        let slot = self.names.get(key)?;
        let start = slot.start as usize;
        Some((&self.readings[start..start + slot.len as usize], slot.lone))
    }

    /// Whether a folded name is known.
    #[inline]
    pub(crate) fn contains(&self, key: &str) -> bool {
        self.names.contains_key(key)
    }

    /// The number of words of the longest name that starts with this folded
    /// word; `None` when no name does.
    #[inline]
    pub(crate) fn longest_from(&self, word: &str) -> Option<usize> {
        self.first.get(word).map(|&n| usize::from(n))
    }

    /// The number of names.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }
}

// A reading in 64 bits: its kind in the top byte, a u16 in bits 32..48, a u32
// in the low half (`u32::MAX` for no commune).
const COMMUNE: u64 = 0;
const DEPT: u64 = 1;
const REGION: u64 = 2;
const COUNTRY: u64 = 3;
const FOREIGN: u64 = 4;
const ADMIN: u64 = 5;
const EXTRA: u64 = 6;
const REMOTE: u64 = 7;
const REMOTE_FULL: u64 = 8;
const NOISE: u64 = 9;
const WEAK: u64 = 10;

// Used by build.rs (and tests), not at run time.
#[cfg_attr(not(test), allow(dead_code))]
fn encode(r: Reading) -> u64 {
    let (kind, small, large) = match r {
        Reading::Commune(c) => (COMMUNE, 0, c),
        Reading::Dept(x) => (DEPT, x, 0),
        Reading::Region(x) => (REGION, x, 0),
        Reading::Country(x) => (COUNTRY, x, 0),
        Reading::Foreign(x) => (FOREIGN, x, 0),
        Reading::Admin(x) => (ADMIN, x, 0),
        Reading::Extra(x, c) => (EXTRA, x, c.unwrap_or(u32::MAX)),
        Reading::Remote => (REMOTE, 0, 0),
        Reading::RemoteFull => (REMOTE_FULL, 0, 0),
        Reading::Noise => (NOISE, 0, 0),
        Reading::Weak(x) => (WEAK, x, 0),
    };
    kind << 56 | u64::from(small) << 32 | u64::from(large)
}

fn decode(v: u64) -> Option<Reading> {
    let small = (v >> 32) as u16;
    let large = v as u32;
    Some(match v >> 56 {
        COMMUNE => Reading::Commune(large),
        DEPT => Reading::Dept(small),
        REGION => Reading::Region(small),
        COUNTRY => Reading::Country(small),
        FOREIGN => Reading::Foreign(small),
        ADMIN => Reading::Admin(small),
        EXTRA => Reading::Extra(small, (large != u32::MAX).then_some(large)),
        REMOTE => Reading::Remote,
        REMOTE_FULL => Reading::RemoteFull,
        NOISE => Reading::Noise,
        WEAK => Reading::Weak(small),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_reading_survives_its_encoding() {
        let all = [
            Reading::Commune(0),
            Reading::Commune(u32::MAX - 1),
            Reading::Dept(101),
            Reading::Region(17),
            Reading::Country(u16::MAX),
            Reading::Foreign(3),
            Reading::Admin(250),
            Reading::Extra(75, Some(34_000)),
            Reading::Extra(13, None),
            Reading::Remote,
            Reading::RemoteFull,
            Reading::Noise,
            Reading::Weak(2 << 1 | 1),
        ];
        for r in all {
            assert_eq!(decode(encode(r)), Some(r), "{r:?} as {:#x}", encode(r));
        }
        assert_eq!(decode(11 << 56), None);
    }

    #[test]
    fn names_in_any_order_give_the_same_index() {
        let entry = |key: &str, readings: Vec<Reading>, lone| NameEntry {
            key: key.to_string(),
            readings,
            lone,
        };
        let names = || {
            vec![
                entry(
                    "saint denis",
                    vec![Reading::Commune(1), Reading::Commune(2)],
                    false,
                ),
                entry("saint", vec![Reading::Noise], false),
                entry("saint etienne du rouvray", vec![Reading::Commune(3)], true),
                entry("lyon", vec![Reading::Commune(4)], true),
            ]
        };
        let sorted = OwnedIndexBytes::build(names()).expect("built");
        let mut reversed = names();
        reversed.reverse();
        let reversed = OwnedIndexBytes::build(reversed).expect("built");
        assert_eq!(sorted.parts(), reversed.parts());
        let index = NameIndex::from_bytes(Box::leak(Box::new(sorted)).parts()).expect("read");
        let two = [Reading::Commune(1), Reading::Commune(2)];
        assert_eq!(index.lookup("saint denis"), Some((&two[..], false)));
        let three = [Reading::Commune(3)];
        assert_eq!(
            index.lookup("saint etienne du rouvray"),
            Some((&three[..], true))
        );
        assert_eq!(index.lookup("saint etienne"), None);
        assert_eq!(index.longest_from("saint"), Some(4));
        assert_eq!(index.longest_from("lyon"), Some(1));
        assert_eq!(index.longest_from("denis"), None);
        assert!(index.contains("saint") && !index.contains("sain"));
        assert_eq!(index.len(), 4);
        let empty = NameIndex::from_bytes(Box::leak(Box::<OwnedIndexBytes>::default()).parts())
            .expect("read");
        assert_eq!((empty.len(), empty.lookup("lyon")), (0, None));
    }

    #[test]
    fn a_name_given_twice_or_broken_is_refused() {
        let entry = |key: &str| NameEntry {
            key: key.to_string(),
            readings: vec![Reading::Commune(4)],
            lone: true,
        };
        let twice = OwnedIndexBytes::build(vec![entry("lyon"), entry("paris"), entry("lyon")]);
        let twice = twice.expect_err("twice").to_string();
        assert!(twice.contains("\"lyon\" is given twice"), "{twice}");
        let broken = OwnedIndexBytes::build(vec![entry("ly\non")]).expect_err("broken");
        assert!(broken.to_string().contains("line break"), "{broken}");
    }
}
