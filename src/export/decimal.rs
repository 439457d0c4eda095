//! Numbers with a fixed count of decimals, as `format!("{x:.N}")` writes
//! them, without its general path for the common case: a daily trends CSV
//! writes three or four such numbers per row.
//!
//! A finite double is exactly `m × 2^e` (`m` below 2⁵³). Below 2⁵³ (`e`
//! negative), `x × 10^places` is `m × 10^places / 2^-e`: the quotient and
//! the remainder of one 128-bit integer division by a power of two, so the
//! rounding is exact, with ties to even as `format!` rounds (`0.0078125`,
//! 1/128, gives `0.007812`). Larger values, more than nine decimals
//! (10⁹ × 2⁵³ still fits in 128 bits), and anything not finite go through
//! `format!`; tests compare both on hundreds of thousands of values, ties
//! included.

use std::fmt::Write as _;

/// Appends `x` with `places` decimals to `out`: the same text as
/// `write!(out, "{x:.places$}")`.
pub fn push_fixed(out: &mut String, x: f64, places: usize) {
    if !push_exact(out, x, places) {
        // Writing to a String cannot fail.
        let _ = write!(out, "{x:.places$}");
    }
}

/// The fast path: false (and nothing written) for what it does not handle.
/// Each count of places has its own copy, so that every division is by a
/// constant (a multiplication).
fn push_exact(out: &mut String, x: f64, places: usize) -> bool {
    match places {
        0 => push_exact_places::<0>(out, x),
        1 => push_exact_places::<1>(out, x),
        2 => push_exact_places::<2>(out, x),
        3 => push_exact_places::<3>(out, x),
        4 => push_exact_places::<4>(out, x),
        5 => push_exact_places::<5>(out, x),
        6 => push_exact_places::<6>(out, x),
        7 => push_exact_places::<7>(out, x),
        8 => push_exact_places::<8>(out, x),
        9 => push_exact_places::<9>(out, x),
        _ => false,
    }
}

/// [`push_exact`] with `PLACES` decimals (at most nine).
fn push_exact_places<const PLACES: u32>(out: &mut String, x: f64) -> bool {
    let places = PLACES as usize;
    if !x.is_finite() {
        return false;
    }
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    // x = mantissa × 2^exponent, exactly.
    let (mantissa, exponent) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | 1 << 52, biased - 1075)
    };
    if exponent >= 0 {
        // 2⁵³ and above: rare here, left to `format!`.
        return false;
    }
    let scale = 10u128.pow(PLACES);
    let scaled = u128::from(mantissa) * scale;
    let shift = exponent.unsigned_abs();
    let rounded = if shift >= 128 {
        // Below 2⁸³⁻¹²⁸: less than half a unit of the last place.
        0
    } else {
        let quotient = scaled >> shift;
        let remainder = scaled & ((1u128 << shift) - 1);
        let half = 1u128 << (shift - 1);
        if remainder > half || (remainder == half && quotient & 1 == 1) {
            quotient + 1
        } else {
            quotient
        }
    };
    // Digits are taken from a u64 (a 128-bit division per digit is slow):
    // up to 1.8 × 10¹⁹, all values below 2⁵³ with six decimals.
    let Ok(rounded) = u64::try_from(rounded) else {
        return false;
    };
    let scale = 10u64.pow(PLACES);
    // At most 20 digits, a point and a sign.
    let mut text = [0u8; 32];
    let mut at = text.len();
    let (mut whole, mut decimals) = (rounded / scale, rounded % scale);
    for _ in 0..places {
        at -= 1;
        text[at] = b'0' + (decimals % 10) as u8;
        decimals /= 10;
    }
    if places > 0 {
        at -= 1;
        text[at] = b'.';
    }
    loop {
        at -= 1;
        text[at] = b'0' + (whole % 10) as u8;
        whole /= 10;
        if whole == 0 {
            break;
        }
    }
    if x.is_sign_negative() {
        at -= 1;
        text[at] = b'-';
    }
    // Only ASCII digits, a point and a sign were written.
    out.push_str(std::str::from_utf8(&text[at..]).unwrap_or_default());
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(x: f64, places: usize) {
        let mut ours = String::new();
        push_fixed(&mut ours, x, places);
        assert_eq!(ours, format!("{x:.places$}"), "{x:e} with {places} places");
    }

    #[test]
    fn agrees_with_format_on_awkward_values() {
        let values = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            0.0000005,
            0.0000015,
            0.0000025,
            0.9999995,
            0.99999949,
            9.9999995,
            0.074586,
            0.211_286_089_238_845_15,
            1e-7,
            4.9e-7,
            5e-7,
            5.1e-7,
            1e-300,
            123_456.789_012_5,
            999_999_999.999_999_5,
            2.5,
            0.125,
            0.1 + 0.2,
            1.0 / 3.0,
            f64::MIN_POSITIVE,
            5e-324,
            1e9,
            1e15,
            1e23,
            f64::MAX,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for x in values {
            for places in [0, 1, 2, 6, 9, 12] {
                check(x, places);
                check(-x, places);
            }
        }
    }

    #[test]
    fn ties_round_to_even_as_format_does() {
        // Odd multiples of 2⁻ⁿ are exact midpoints at some number of places.
        for n in 1..=40 {
            for k in (1..2000u64).step_by(2) {
                let x = k as f64 / f64::from(1u32 << (n % 31)) / f64::from(1u32 << (n / 31 * 9));
                for places in 0..=9 {
                    check(x, places);
                    check(-x, places);
                }
            }
        }
        let mut ours = String::new();
        push_fixed(&mut ours, 1.0 / 128.0, 6);
        assert_eq!(ours, "0.007812");
    }

    #[test]
    fn agrees_with_format_on_shares_counts_and_random_doubles() {
        // Shares k/n as the trends compute them, and smoothed counts.
        for n in 1..=1500u32 {
            for k in (0..=n).step_by(7) {
                check(f64::from(k) / f64::from(n), 6);
                check(f64::from(k) / 7.0 * f64::from(n), 6);
            }
        }
        // Random doubles of every magnitude up to 10¹⁰, and random bits.
        let mut rng = fastrand::Rng::with_seed(19);
        for _ in 0..300_000 {
            let x = rng.f64() * 10f64.powi(rng.i32(-12..10));
            check(x, rng.usize(0..=9));
            let bits = f64::from_bits(rng.u64(..));
            check(bits, 6);
        }
    }
}
