//! The posting as the store keeps it: plain data handed from `normalize` to
//! `store`, `trends` and the exports, with the pure keys computed from it.

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3;

use super::{Day, GeoCode, PostingId, SkillId, SourceId};

/// One place of a posting, from the most precise level known upwards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    /// ISO 3166-1 alpha-2 country.
    pub country: GeoCode,
    /// French région (`FR-IDF`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<GeoCode>,
    /// French département (`FR-75`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<GeoCode>,
    /// True when an ambiguous commune name was resolved to its most populous candidate.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub guess: bool,
}

impl Place {
    /// The codes of this place from the most precise level up to the country.
    pub fn codes(&self) -> impl Iterator<Item = &GeoCode> {
        self.department
            .iter()
            .chain(self.region.iter())
            .chain(std::iter::once(&self.country))
    }
}

/// A normalized posting: what the store keeps and counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posting {
    /// Stable id derived from source and external id.
    pub id: PostingId,
    /// Where it was collected.
    pub source: SourceId,
    /// The source's own id of the posting.
    pub external_id: String,
    /// Link to the posting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Job title.
    pub title: String,
    /// Employer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// Location strings as the source wrote them.
    #[serde(default)]
    pub locations: Vec<String>,
    /// Places resolved from `locations`.
    #[serde(default)]
    pub places: Vec<Place>,
    /// Whether the job can be done remotely: the source's flag, or a
    /// location that says so.
    pub remote: bool,
    /// The source's own remote flag, when it gave one (what `remote` was
    /// derived from, with the locations; kept so `reindex` can derive it again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_remote: Option<bool>,
    /// Free tags the source gave (skills, categories): read by the skill
    /// matcher with the text, so kept for `reindex` and exports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Default country of the source, used when no place is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_country: Option<GeoCode>,
    /// Posting day: the source's date, else the first day it was seen.
    pub posted: Day,
    /// Whether `posted` came from the source (else it is the first-seen day).
    #[serde(default)]
    pub date_from_source: bool,
    /// First day the tracker saw it.
    pub first_seen: Day,
    /// Last day the tracker saw it.
    pub last_seen: Day,
    /// Last day the posting is open, when the source says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_through: Option<Day>,
    /// Skills the text mentions directly (sorted).
    pub skills: Vec<SkillId>,
    /// Skills added by implication rules (sorted, disjoint from `skills`).
    #[serde(default)]
    pub implied_skills: Vec<SkillId>,
    /// Cross-source duplicate key (see `normalize::dedup`); 0 when the posting has no
    /// company and is never merged.
    pub fingerprint: u64,
    /// Hash of everything that affects counts ([`content_hash`]); a change moves the counts.
    pub content_hash: u64,
    /// Fingerprint of the taxonomy the skills were found with.
    pub taxonomy: u64,
    /// The posting's description as text, kept so counts can be recomputed.
    #[serde(default)]
    pub text: String,
}

impl Posting {
    /// Every geography this posting counts in: each place's département,
    /// région and country, `REMOTE` when remote, the source's default country
    /// (else `UNKNOWN`) when no place is known, and always `WORLD`. Sorted, unique.
    pub fn geos(&self) -> Vec<GeoCode> {
        let mut geos: Vec<GeoCode> = self
            .places
            .iter()
            .flat_map(|p| p.codes().cloned())
            .collect();
        if geos.is_empty() {
            geos.push(
                self.default_country
                    .clone()
                    .unwrap_or_else(GeoCode::unknown),
            );
        }
        if self.remote {
            geos.push(GeoCode::remote());
        }
        geos.push(GeoCode::world());
        geos.sort();
        geos.dedup();
        geos
    }

    /// Every skill this posting counts for: direct and implied.
    pub fn all_skills(&self) -> impl Iterator<Item = &SkillId> {
        self.skills.iter().chain(self.implied_skills.iter())
    }
}

/// The posting to keep when `new` is seen again and `old` was kept: the
/// later version's content, with the first day seen the earliest of both,
/// the last day seen the latest, and the posting day kept unless the source
/// dates the new version. The one merge rule of a re-sighting: the store's
/// ingest and `skilltrack batch reduce-postings` both fold with it.
pub fn merge_seen(old: &Posting, mut new: Posting) -> Posting {
    new.first_seen = old.first_seen.min(new.first_seen);
    new.last_seen = old.last_seen.max(new.last_seen);
    if !new.date_from_source {
        new.posted = old.posted;
    }
    new.content_hash = content_hash(&new);
    new
}

/// Hash of everything in a posting that affects its counts.
pub fn content_hash(p: &Posting) -> u64 {
    let mut h = Xxh3::new();
    let mut field = |bytes: &[u8]| {
        h.update(&(bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    field(p.title.as_bytes());
    field(p.company.as_deref().unwrap_or("").as_bytes());
    field(p.text.as_bytes());
    for location in &p.locations {
        field(location.as_bytes());
    }
    field(&(p.tags.len() as u64).to_le_bytes());
    for tag in &p.tags {
        field(tag.as_bytes());
    }
    field(&[u8::from(p.remote)]);
    field(&p.posted.epoch_days().to_le_bytes());
    field(
        &p.valid_through
            .map_or(i32::MIN, |d| d.epoch_days())
            .to_le_bytes(),
    );
    h.digest()
}
