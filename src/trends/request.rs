//! A trends query as asked ([`TrendRequest`]: what the API's query string or
//! the CLI's flags hold once parsed into types) and the one place it becomes
//! a [`TrendQuery`]: skills and geography checked against the taxonomy and
//! the gazetteer, defaults filled in, size limits applied. The API and
//! `skilltrack export trends` both go through [`TrendRequest::resolve`], so
//! they accept the same queries and refuse them with the same messages.

use super::{
    Compare, Interval, Options, QueryError, TrendQuery, MAX_SERIES, MAX_SKILLS, MAX_SMOOTH,
};
use crate::domain::{Day, GeoCode, SkillId};
use crate::store::Metric;

/// Default length of a trends range when `from` is not given.
pub const DEFAULT_RANGE_DAYS: i32 = 365;
/// Default bucket width.
pub const DEFAULT_INTERVAL: Interval = Interval::Week;
/// Default metric.
pub const DEFAULT_METRIC: Metric = Metric::New;

/// The names a query may use: skills of the taxonomy and geographies of the
/// gazetteer (implemented by `normalize::Normalizer`, in `api::query`).
pub trait Vocabulary {
    /// Whether `id` is a skill of the taxonomy.
    fn is_skill(&self, id: &str) -> bool;
    /// Every skill id, for a "did you mean" suggestion.
    fn skill_ids(&self) -> impl Iterator<Item = &str>;
    /// Whether `code` is a geography of the gazetteer (besides `WORLD`,
    /// `REMOTE` and `UNKNOWN`, which always are).
    fn is_geo(&self, code: &str) -> bool;
}

/// A trends query as asked, each part parsed into its type; what is left
/// out takes its default in [`TrendRequest::resolve`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrendRequest {
    /// Skill ids as given (blank ones are ignored, repeats merged with the
    /// first place kept).
    pub skills: Vec<String>,
    /// Geography codes, comma-separated (`FR-IDF,FR-ARA`; default `WORLD`;
    /// blank ones are ignored, repeats merged with the first place kept).
    pub geo: Option<String>,
    /// First day (default: [`DEFAULT_RANGE_DAYS`] before `to`).
    pub from: Option<Day>,
    /// Last day (default: today).
    pub to: Option<Day>,
    /// Bucket width (default [`DEFAULT_INTERVAL`]).
    pub interval: Option<Interval>,
    /// Metric (default [`DEFAULT_METRIC`]).
    pub metric: Option<Metric>,
    /// Trailing moving average over this many buckets, 1 to
    /// [`MAX_SMOOTH`] (default 1: none).
    pub smooth: Option<usize>,
    /// Base day of an index (100 = the share of its bucket); within the range.
    pub index: Option<Day>,
    /// Add the same bucket one year earlier.
    pub compare: Option<Compare>,
}

impl TrendRequest {
    /// Checks the request against `vocabulary`, fills in the defaults (`to`
    /// defaults to `today`) and applies the limits of
    /// [`TrendQuery::validate`]. More than [`MAX_SKILLS`] skills are refused
    /// before any is looked up.
    pub fn resolve(
        &self,
        vocabulary: &impl Vocabulary,
        today: Day,
    ) -> Result<TrendQuery, QueryError> {
        let geos = self.geo_codes();
        let skills = self.skills(vocabulary, geos.len())?;
        let geos = geos
            .into_iter()
            .map(|g| geo(vocabulary, g))
            .collect::<Result<Vec<_>, _>>()?;
        let (from, to) = default_range(self.from, self.to, today);
        let query = TrendQuery {
            skills,
            geos,
            from,
            to,
            interval: self.interval.unwrap_or(DEFAULT_INTERVAL),
            metric: self.metric.unwrap_or(DEFAULT_METRIC),
        };
        query.validate()?;
        Ok(query)
    }

    /// [`TrendRequest::resolve`], then the options beyond the plain series,
    /// checked against the resolved range ([`TrendRequest::options`]).
    pub fn resolve_with_options(
        &self,
        vocabulary: &impl Vocabulary,
        today: Day,
        min_support: u64,
    ) -> Result<(TrendQuery, Options), QueryError> {
        let query = self.resolve(vocabulary, today)?;
        let options = self.options(&query, min_support)?;
        Ok((query, options))
    }

    /// The request's `smooth`, `index` and `compare` for the resolved
    /// `query`: a window of 1 to [`MAX_SMOOTH`], an index day within the
    /// query's range.
    pub fn options(&self, query: &TrendQuery, min_support: u64) -> Result<Options, QueryError> {
        let smooth = self.smooth.unwrap_or(1);
        if !(1..=MAX_SMOOTH).contains(&smooth) {
            return Err(QueryError::BadSmooth { smooth });
        }
        if let Some(day) = self.index.filter(|d| *d < query.from || *d > query.to) {
            return Err(QueryError::IndexOutOfRange {
                day,
                from: query.from,
                to: query.to,
            });
        }
        Ok(Options {
            smooth,
            index: self.index,
            compare: self.compare,
            min_support,
        })
    }

    /// The skills asked, repeats merged, each known to `vocabulary`. More
    /// than [`MAX_SKILLS`] skills, or [`MAX_SERIES`] series with `geos`
    /// geographies, are refused before any skill is looked up.
    fn skills(
        &self,
        vocabulary: &impl Vocabulary,
        geos: usize,
    ) -> Result<Vec<SkillId>, QueryError> {
        let mut seen = std::collections::HashSet::new();
        let asked: Vec<&str> = self
            .skills
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty() && seen.insert(*s))
            .collect();
        if asked.len() > MAX_SKILLS {
            return Err(QueryError::TooManySkills { asked: asked.len() });
        }
        if asked.len().saturating_mul(geos) > MAX_SERIES {
            return Err(QueryError::TooManySeries {
                skills: asked.len(),
                geos,
            });
        }
        let mut skills = Vec::with_capacity(asked.len());
        for s in asked {
            if s != SkillId::ALL_POSTINGS && !vocabulary.is_skill(s) {
                return Err(QueryError::UnknownSkill {
                    skill: s.to_owned(),
                    suggestion: crate::domain::suggest(s, vocabulary.skill_ids())
                        .map(str::to_owned),
                });
            }
            skills.push(SkillId::parse(s).map_err(|why| QueryError::BadSkill {
                skill: s.to_owned(),
                why,
            })?);
        }
        if skills.is_empty() {
            return Err(QueryError::NoSkill);
        }
        Ok(skills)
    }

    /// The geography codes asked, not yet checked: the comma-separated
    /// list (default `WORLD`), blanks ignored, repeats merged with the first
    /// place kept. A list of blanks stays one (unknown) code.
    fn geo_codes(&self) -> Vec<&str> {
        let text = self.geo.as_deref().unwrap_or(GeoCode::WORLD);
        let mut seen = std::collections::HashSet::new();
        let asked: Vec<&str> = text
            .split(',')
            .map(str::trim)
            .filter(|g| !g.is_empty() && seen.insert(*g))
            .collect();
        if asked.is_empty() {
            return vec![text];
        }
        asked
    }
}

/// The range of a query as asked: `to` defaults to `today`, `from` to
/// [`DEFAULT_RANGE_DAYS`] before `to` (trends and top alike; check it with
/// [`check_range`](super::check_range)).
pub(super) fn default_range(from: Option<Day>, to: Option<Day>, today: Day) -> (Day, Day) {
    let to = to.unwrap_or(today);
    let from = from.unwrap_or_else(|| to.checked_add_days(-DEFAULT_RANGE_DAYS).unwrap_or(Day::MIN));
    (from, to)
}

/// The geography `text`, known to `vocabulary` (trends and top alike).
pub(super) fn geo(vocabulary: &impl Vocabulary, text: &str) -> Result<GeoCode, QueryError> {
    GeoCode::parse(text)
        .ok()
        .filter(|g| {
            matches!(
                g.as_str(),
                GeoCode::WORLD | GeoCode::REMOTE | GeoCode::UNKNOWN
            ) || vocabulary.is_geo(g.as_str())
        })
        .ok_or_else(|| QueryError::UnknownGeo {
            geo: text.to_owned(),
        })
}
