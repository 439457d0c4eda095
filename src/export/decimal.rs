//! Numbers with a fixed count of decimals, as `format!("{x:.N}")` writes
//! them, without its exact-arithmetic path for the common case: a daily
//! trends CSV writes three or four such numbers per row.
//!
//! The shortest decimal that reads back as `x` (`zmij`, the formatter
//! serde_json uses) is rounded to `places` decimals. That gives the same
//! digits as rounding `x`'s exact binary value, unless a rounding midpoint
//! lies between the two: that needs the shortest form itself to end on a
//! midpoint (its last digit a 5 right after the kept ones), or a gap
//! between neighbouring doubles wider than a unit of the last place kept
//! (then the exact value also has other digits where the shortest form
//! has zeros). Those cases (values from 10¹⁵⁻ᵖˡᵃᶜᵉˢ up, 10⁹ for six
//! decimals), and anything not finite, go through `format!`; a test
//! compares both on hundreds of thousands of values.

use std::fmt::Write as _;

/// Most decimals the fast path writes.
const MAX_PLACES: usize = 9;

/// Appends `x` with `places` decimals to `out`: the same text as
/// `write!(out, "{x:.places$}")`.
pub fn push_fixed(out: &mut String, x: f64, places: usize) {
    let exact_enough = places <= MAX_PLACES && x.abs() < 1e15 / 10f64.powi(places as i32);
    if !(x.is_finite() && exact_enough && push_rounded(out, x, places)) {
        // Writing to a String cannot fail.
        let _ = write!(out, "{x:.places$}");
    }
}

/// The fast path: false (and nothing written) when it cannot decide.
fn push_rounded(out: &mut String, x: f64, places: usize) -> bool {
    let mut buffer = zmij::Buffer::new();
    let shortest = buffer.format_finite(x.abs());
    // Digits without the point, and where the point goes: the value is
    // 0.d₀d₁… × 10^point.
    let mut digits = [0u8; 40];
    let mut n = 0;
    let mut point: i32 = 0;
    let mut seen_point = false;
    let (mantissa, exponent) = match shortest.split_once(['e', 'E']) {
        Some((m, e)) => match e.parse::<i32>() {
            Ok(e) => (m, e),
            Err(_) => return false,
        },
        None => (shortest, 0),
    };
    for b in mantissa.bytes() {
        match b {
            b'.' => seen_point = true,
            b'0'..=b'9' => {
                if n == 0 && b == b'0' {
                    // Leading zeros move the point, they are not digits.
                    if seen_point {
                        point -= 1;
                    }
                    continue;
                }
                if n == digits.len() {
                    return false;
                }
                digits[n] = b - b'0';
                n += 1;
                if !seen_point {
                    point += 1;
                }
            }
            _ => return false,
        }
    }
    point += exponent;
    // The first digit dropped.
    let cut = point + places as i32;
    if cut < 0 {
        n = 0;
    } else if (cut as usize) < n {
        let cut = cut as usize;
        if digits[cut] == 5 && cut + 1 == n {
            return false;
        }
        let up = digits[cut] >= 5;
        n = cut;
        if up {
            let mut i = n;
            loop {
                if i == 0 {
                    // 9.99… rounded up to 10: one more digit in front.
                    digits.copy_within(0..n, 1);
                    digits[0] = 1;
                    n += 1;
                    point += 1;
                    break;
                }
                i -= 1;
                if digits[i] == 9 {
                    digits[i] = 0;
                } else {
                    digits[i] += 1;
                    break;
                }
            }
        }
    }
    if x.is_sign_negative() {
        out.push('-');
    }
    let digit = |i: i32| -> char {
        if i >= 0 && (i as usize) < n {
            char::from(b'0' + digits[i as usize])
        } else {
            '0'
        }
    };
    if point <= 0 {
        out.push('0');
    } else {
        for i in 0..point {
            out.push(digit(i));
        }
    }
    if places > 0 {
        out.push('.');
        for i in point..point + places as i32 {
            out.push(digit(i));
        }
    }
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
