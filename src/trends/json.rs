//! Series written as JSON by hand, byte for byte what `serde_json` writes for
//! them (a test holds the two together), several times faster: a daily series
//! over three years is thousands of points, and through serde every key is
//! escaped and every date formatted through `core::fmt`.

use super::{Point, Series};

impl Series {
    /// Appends this series as a JSON object to `out`: the same bytes as
    /// `serde_json::to_writer(out, self)`.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        // About 130 bytes a point with its interval.
        out.reserve(64 + self.points.len() * 136);
        out.extend_from_slice(b"{\"skill\":");
        string(out, self.skill.as_str());
        out.extend_from_slice(b",\"geo\":");
        string(out, self.geo.as_str());
        out.extend_from_slice(b",\"points\":[");
        for (i, point) in self.points.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            point.write_json(out);
        }
        out.extend_from_slice(b"]}");
    }
}

impl Point {
    /// Appends this point as a JSON object to `out`: the same bytes as its
    /// `Serialize` implementation through `serde_json`.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"date\":\"");
        out.extend_from_slice(&self.date.iso_bytes());
        out.extend_from_slice(b"\",\"count\":");
        match self.smoothed {
            None => {
                integer(out, self.count);
                out.extend_from_slice(b",\"total\":");
                integer(out, self.total);
            }
            Some((count, total)) => {
                float(out, count);
                out.extend_from_slice(b",\"total\":");
                float(out, total);
            }
        }
        out.extend_from_slice(b",\"share\":");
        optional(out, self.share);
        out.extend_from_slice(b",\"low\":");
        optional(out, self.low);
        out.extend_from_slice(b",\"high\":");
        optional(out, self.high);
        out.extend_from_slice(if self.low_support {
            b",\"low_support\":true"
        } else {
            b",\"low_support\":false"
        });
        if let Some(index) = self.index {
            out.extend_from_slice(b",\"index\":");
            optional(out, index);
        }
        if let Some(yoy) = self.yoy {
            out.extend_from_slice(b",\"yoy_count\":");
            match (yoy.count, self.smoothed) {
                // Unsmoothed counts are whole numbers: written as such.
                (Some(c), None) => integer(out, c as i64),
                (c, _) => optional(out, c),
            }
            out.extend_from_slice(b",\"yoy_share\":");
            optional(out, yoy.share);
        }
        out.push(b'}');
    }
}

fn integer(out: &mut Vec<u8>, n: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// As `serde_json` writes an `f64`: the shortest form that reads back the
/// same (`zmij`, as serde_json uses), `null` when not finite.
fn float(out: &mut Vec<u8>, x: f64) {
    if x.is_finite() {
        out.extend_from_slice(zmij::Buffer::new().format_finite(x).as_bytes());
    } else {
        out.extend_from_slice(b"null");
    }
}

fn optional(out: &mut Vec<u8>, x: Option<f64>) {
    match x {
        Some(x) => float(out, x),
        None => out.extend_from_slice(b"null"),
    }
}

/// A JSON string; ids need no escaping, but the writer does not assume it.
fn string(out: &mut Vec<u8>, s: &str) {
    if s.bytes()
        .all(|b| b >= 0x20 && b != b'"' && b != b'\\' && b < 0x7f)
    {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        // Writing to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Day, GeoCode, SkillId};
    use crate::trends::YearBefore;

    /// Points with every combination of the optional parts and awkward
    /// floats (whole, tiny, huge, negative zero, not finite).
    fn points() -> Vec<Point> {
        let floats = [
            None,
            Some(0.0),
            Some(-0.0),
            Some(1.0),
            Some(0.211_286_089_238_845_15),
            Some(1e-7),
            Some(123_456_789.5),
            Some(3e21),
            Some(f64::NAN),
            Some(f64::INFINITY),
        ];
        let mut out = Vec::new();
        let mut day = "2020-02-27".parse::<Day>().unwrap();
        for (i, &share) in floats.iter().enumerate() {
            for smoothed in [None, Some((2.5, 10.0)), Some((3.0, f64::NAN))] {
                for index in [None, Some(None), Some(share)] {
                    for yoy in [
                        None,
                        Some(YearBefore {
                            count: None,
                            share: None,
                        }),
                        Some(YearBefore {
                            count: Some(7.0),
                            share,
                        }),
                        Some(YearBefore {
                            count: Some(2.25),
                            share: Some(0.5),
                        }),
                    ] {
                        out.push(Point {
                            date: day,
                            count: i as i64 * 1_000_003 - 5,
                            total: i64::MAX - i as i64,
                            share,
                            low: floats[(i + 3) % floats.len()],
                            high: floats[(i + 7) % floats.len()],
                            low_support: i % 2 == 0,
                            smoothed,
                            index,
                            yoy,
                        });
                        day = day.add_days(1);
                    }
                }
            }
        }
        out
    }

    #[test]
    fn points_are_written_as_serde_writes_them() {
        for p in points() {
            let mut ours = Vec::new();
            p.write_json(&mut ours);
            let theirs = serde_json::to_vec(&p).unwrap();
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                String::from_utf8(theirs).unwrap(),
                "{p:?}"
            );
        }
    }

    #[test]
    fn series_are_written_as_serde_writes_them() {
        for points in [Vec::new(), points()] {
            let series = Series {
                skill: SkillId::parse("scikit-learn").unwrap(),
                geo: GeoCode::parse("FR-IDF").unwrap(),
                points,
            };
            let mut ours = b"[".to_vec();
            series.write_json(&mut ours);
            let mut theirs = b"[".to_vec();
            serde_json::to_writer(&mut theirs, &series).unwrap();
            assert_eq!(ours, theirs);
        }
    }

    #[test]
    fn strings_that_need_escaping_are_escaped() {
        let mut out = Vec::new();
        string(&mut out, "a\"b\\c\né");
        assert_eq!(out, serde_json::to_vec("a\"b\\c\né").unwrap());
    }
}
