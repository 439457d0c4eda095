//! The ASCII fast path of the folder: eight bytes at a time while they are
//! printable ASCII with single inner spaces (most of a posting), one byte at
//! a time through a class table otherwise.

use super::folder::Folder;

const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
const LOW_BITS: u64 = 0x0101_0101_0101_0101;

/// ASCII byte classes for [`Folder::push_ascii`].
pub(super) const PLAIN: u8 = 0;
/// Whitespace: one pending space.
pub(super) const SPACE: u8 = 1;
/// Control bytes: dropped.
pub(super) const DROP: u8 = 2;

/// The class of every ASCII byte.
pub(super) static ASCII_CLASS: [u8; 128] = {
    let mut t = [PLAIN; 128];
    let mut b = 0;
    while b < 128 {
        let byte = b as u8;
        t[b] = if byte.is_ascii_whitespace() || byte == 0x0b {
            SPACE
        } else if byte.is_ascii_control() {
            DROP
        } else {
            PLAIN
        };
        b += 1;
    }
    t
};

impl Folder<'_> {
    /// Folds the ASCII byte at `bytes[i]` and, when eight bytes are left,
    /// as many of the following ones as the bulk path allows; returns the
    /// position of the first byte not folded.
    #[inline(always)]
    pub(super) fn push_ascii_from(&mut self, bytes: &[u8], i: usize) -> usize {
        let Some(chunk) = bytes.get(i..i + 8) else {
            self.push_ascii(bytes[i]);
            return i + 1;
        };
        let x = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        let bad = chunk_breaks(x);
        // Lowercase and case flags (no carry leaves an ASCII byte, so they
        // are right for every byte before the first break).
        let up = (x.wrapping_add(0x3f3f_3f3f_3f3f_3f3f) & !x.wrapping_add(0x2525_2525_2525_2525))
            & HIGH_BITS;
        let lower = (x | (up >> 2)).to_le_bytes();
        let flags = (up >> 7).to_le_bytes();
        if bad == 0 {
            // Printable ASCII and single inner spaces: the per-byte path
            // would emit these 8 bytes lowercased, as they are.
            self.push_lowered(&lower, &flags);
            return i + 8;
        }
        // Bytes before the first break are printable ASCII with single inner
        // spaces, the first one not a space: emit them at once up to the last
        // non-space one.
        let k = (bad.trailing_zeros() / 8) as usize;
        let m = if k > 0 && bytes[i + k - 1] == b' ' {
            k - 1
        } else {
            k
        };
        if m > 0 {
            self.push_lowered(&lower[..m], &flags[..m]);
        }
        for &c in &bytes[i + m..i + k] {
            self.push_ascii(c);
        }
        if bytes[i + k] < 0x80 {
            self.push_ascii(bytes[i + k]);
            return i + k + 1;
        }
        i + k
    }

    /// Emits bytes already lowercased, with their case flags (non-zero:
    /// uppercase).
    #[inline(always)]
    fn push_lowered(&mut self, lower: &[u8], flags: &[u8]) {
        self.emit_space_if_pending();
        self.text.extend_from_slice(lower);
        self.upper.extend(flags.iter().map(|&f| f != 0));
    }
}

/// For 8 bytes read little-endian: a mask with the high bit set in (at
/// least) the first byte where the bulk ASCII path does not apply: a
/// non-ASCII byte, a control byte (whitespace included), DEL, a space at
/// either end, or the second of two adjacent spaces. Zero when the bulk path
/// applies.
#[inline(always)]
fn chunk_breaks(x: u64) -> u64 {
    let non_ascii = x & HIGH_BITS;
    let x7 = x & !HIGH_BITS;
    // Every partial sum stays below 0x100 per byte: no carries.
    let control = !(x7 + 0x60 * LOW_BITS) & HIGH_BITS;
    let del = (x7 + LOW_BITS) & HIGH_BITS;
    let y = x7 ^ (0x20 * LOW_BITS);
    let space = !(((y & !HIGH_BITS) + !HIGH_BITS) | y | !HIGH_BITS);
    let edges = 0x80 | (0x80 << 56);
    non_ascii | control | del | (space & (space << 8)) | (space & edges)
}
