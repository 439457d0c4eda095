//! Normalize: a [`RawPosting`] in, a [`Posting`] out.
//!
//! Finds the skills and certifications the text asks for ([`skills`]), maps
//! location strings to département → région → country or remote ([`geo`]), and
//! computes the keys that recognise duplicates ([`dedup`]). The [`Posting`] it
//! makes is a [`crate::domain`] type. Everything here is
//! pure: built once from bundled data, then no I/O.

pub mod asks;
pub mod dedup;
pub mod geo;
pub mod skills;
pub mod text;

use serde::{Deserialize, Serialize};

use crate::domain::{content_hash, Day, GeoCode, PostingId, SkillId, SourceId};
/// The posting types live in [`crate::domain`] (the store keeps them);
/// re-exported here, where they are made.
pub use crate::domain::{Place, Posting};
use crate::extract::RawPosting;
use asks::AskText;
use geo::Gazetteer;
use skills::{SkillMatcher, Taxonomy};

/// Why a raw posting could not be normalized.
#[derive(Debug, thiserror::Error)]
pub enum NormalizeError {
    /// The posting has no usable id.
    #[error("posting has an empty id")]
    EmptyId,
    /// The posting has no title.
    #[error("posting {id:?} has an empty title")]
    EmptyTitle {
        /// The posting's id at its source.
        id: String,
    },
    /// The bundled taxonomy failed to load.
    #[error(transparent)]
    Taxonomy(#[from] skills::TaxonomyError),
    /// The bundled geography failed to load.
    #[error(transparent)]
    Geo(#[from] geo::GeoError),
    /// A skill id in the taxonomy is not a valid id.
    #[error("taxonomy: {0}")]
    SkillId(#[from] crate::domain::DomainError),
}

/// What the normalizer found in one posting, without storing anything:
/// the `extract` command's output line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extraction {
    /// The posting's id at its source.
    pub id: String,
    /// Skills mentioned directly.
    pub skills: Vec<SkillId>,
    /// Skills added by implication.
    pub implied_skills: Vec<SkillId>,
    /// Resolved places.
    pub places: Vec<Place>,
    /// Remote or not.
    pub remote: bool,
}

/// The normalizer: taxonomy, matcher and gazetteer, built once and shared.
pub struct Normalizer {
    taxonomy: Taxonomy,
    matcher: SkillMatcher,
    asks: AskText,
    gazetteer: Gazetteer,
}

/// The taxonomy with the matchers built from it: the half of a
/// [`Normalizer`] that does not need the gazetteer.
struct Skills {
    taxonomy: Taxonomy,
    matcher: SkillMatcher,
    asks: AskText,
}

impl Skills {
    fn of(taxonomy: Taxonomy) -> Skills {
        let matcher = SkillMatcher::new(&taxonomy);
        let asks = AskText::new(&taxonomy);
        Skills {
            taxonomy,
            matcher,
            asks,
        }
    }

    fn with(self, gazetteer: Gazetteer) -> Normalizer {
        Normalizer {
            taxonomy: self.taxonomy,
            matcher: self.matcher,
            asks: self.asks,
            gazetteer,
        }
    }
}

impl Normalizer {
    /// Builds the normalizer from the data bundled in the binary. The
    /// gazetteer (most of the work) is built on a second thread while this
    /// one builds the taxonomy and its matchers.
    pub fn bundled() -> Result<Normalizer, NormalizeError> {
        std::thread::scope(|scope| {
            let gazetteer = scope.spawn(Gazetteer::bundled);
            let skills = Taxonomy::bundled().map(Skills::of);
            let gazetteer = gazetteer
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            Ok(skills?.with(gazetteer?))
        })
    }

    /// Builds the normalizer from a taxonomy and a gazetteer.
    pub fn new(taxonomy: Taxonomy, gazetteer: Gazetteer) -> Normalizer {
        Skills::of(taxonomy).with(gazetteer)
    }

    /// The skill taxonomy.
    pub fn taxonomy(&self) -> &Taxonomy {
        &self.taxonomy
    }

    /// The geography.
    pub fn gazetteer(&self) -> &Gazetteer {
        &self.gazetteer
    }

    /// A fingerprint of the data counts depend on (taxonomy and geography):
    /// when it changes, stored counts should be recomputed.
    pub fn data_fingerprint(&self) -> u64 {
        data_fingerprint_of(
            self.taxonomy.fingerprint(),
            self.gazetteer.data_fingerprint(),
        )
    }

    /// Skills and places of a raw posting, without building a stored posting.
    pub fn extract(&self, raw: &RawPosting) -> Extraction {
        let (skills, implied_skills) = self.skills_of(
            &raw.title,
            &raw.description,
            &raw.tags,
            raw.company.as_deref(),
        );
        let (places, remote) = self.places_of(&raw.locations, raw.remote);
        Extraction {
            id: raw.external_id.clone(),
            skills,
            implied_skills,
            places,
            remote,
        }
    }

    /// Normalizes a posting collected from `source` on day `seen`.
    pub fn normalize(
        &self,
        raw: &RawPosting,
        source: &SourceId,
        default_country: Option<&GeoCode>,
        seen: Day,
    ) -> Result<Posting, NormalizeError> {
        let external_id = raw.external_id.trim();
        if external_id.is_empty() {
            return Err(NormalizeError::EmptyId);
        }
        let title = raw.title.trim();
        if title.is_empty() {
            return Err(NormalizeError::EmptyTitle {
                id: external_id.to_owned(),
            });
        }
        let extraction = self.extract(raw);
        let company = raw
            .company
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty());
        let posted = raw.posted_at.unwrap_or(seen);
        let fingerprint = fingerprint_of(company, title, &extraction.places);
        let mut posting = Posting {
            id: PostingId::new(source, external_id),
            source: source.clone(),
            external_id: external_id.to_owned(),
            url: raw.url.clone().filter(|u| !u.trim().is_empty()),
            title: title.to_owned(),
            company: company.map(str::to_owned),
            locations: raw.locations.clone(),
            places: extraction.places,
            remote: extraction.remote,
            source_remote: raw.remote,
            tags: raw.tags.clone(),
            default_country: default_country.cloned(),
            posted,
            date_from_source: raw.posted_at.is_some(),
            first_seen: seen,
            last_seen: seen,
            valid_through: raw.valid_through,
            skills: extraction.skills,
            implied_skills: extraction.implied_skills,
            fingerprint,
            content_hash: 0,
            taxonomy: self.taxonomy.fingerprint(),
            text: raw.description.clone(),
        };
        posting.content_hash = content_hash(&posting);
        Ok(posting)
    }

    /// Recomputes skills and places of a stored posting with the current data
    /// (used by `reindex` after a taxonomy or geography change). It reads
    /// what [`Normalizer::normalize`] read — title, text, tags, locations and
    /// the source's own remote flag — so with unchanged data the result
    /// equals `posting`.
    pub fn renormalize(&self, mut posting: Posting) -> Posting {
        let (skills, implied_skills) = self.skills_of(
            &posting.title,
            &posting.text,
            &posting.tags,
            posting.company.as_deref(),
        );
        let (places, remote) = self.places_of(&posting.locations, posting.source_remote);
        posting.skills = skills;
        posting.implied_skills = implied_skills;
        posting.places = places;
        posting.remote = remote;
        posting.taxonomy = self.taxonomy.fingerprint();
        posting.fingerprint =
            fingerprint_of(posting.company.as_deref(), &posting.title, &posting.places);
        posting.content_hash = content_hash(&posting);
        posting
    }

    /// Skills named by the title, the description and the tags where they
    /// can name an ask (not in links, not as the employer's name, see
    /// [`asks`]): direct, implied.
    fn skills_of(
        &self,
        title: &str,
        description: &str,
        tags: &[String],
        company: Option<&str>,
    ) -> (Vec<SkillId>, Vec<SkillId>) {
        let mut text = String::new();
        self.asks
            .write(title, description, tags, company, &mut text);
        let found = self.matcher.find(&text);
        (to_skill_ids(found.skills), to_skill_ids(found.implied))
    }

    /// Places of the location strings, and whether the job is remote (the
    /// source's flag, or a location that says so).
    fn places_of(&self, locations: &[String], source_remote: Option<bool>) -> (Vec<Place>, bool) {
        let mut places: Vec<Place> = Vec::new();
        let mut remote = source_remote.unwrap_or(false);
        for location in locations {
            let resolution = self.gazetteer.resolve(location);
            remote |= resolution.remote;
            for p in resolution.places {
                if let Some(place) = to_place(p) {
                    if !places.contains(&place) {
                        places.push(place);
                    }
                }
            }
        }
        (places, remote)
    }
}

/// The duplicate fingerprint of a posting, or 0 (never merged) without a company.
fn fingerprint_of(company: Option<&str>, title: &str, places: &[Place]) -> u64 {
    let Some(company) = company.filter(|c| !c.trim().is_empty()) else {
        return 0;
    };
    let department = places
        .iter()
        .find_map(|p| p.department.as_ref().map(GeoCode::as_str));
    dedup::fingerprint(company, title, department).max(1)
}

fn to_skill_ids(ids: Vec<&str>) -> Vec<SkillId> {
    // The taxonomy validates ids at load; an id it let through that is not a
    // valid SkillId would be a taxonomy bug, and is dropped rather than counted.
    ids.iter()
        .filter_map(|id| SkillId::parse(id).ok())
        .collect()
}

fn to_place(p: geo::Place) -> Option<Place> {
    Some(Place {
        country: GeoCode::parse(&p.country).ok()?,
        region: p.region.as_deref().and_then(|c| GeoCode::parse(c).ok()),
        department: p.department.as_deref().and_then(|c| GeoCode::parse(c).ok()),
        guess: p.guess,
    })
}

/// The [data fingerprint](Normalizer::data_fingerprint) of a taxonomy and a
/// geography, from their own fingerprints (for counts computed elsewhere,
/// whose snapshot names both).
pub fn data_fingerprint_of(taxonomy: u64, geography: u64) -> u64 {
    let mut bytes = taxonomy.to_be_bytes().to_vec();
    bytes.extend_from_slice(&geography.to_be_bytes());
    xxhash_rust::xxh3::xxh3_64(&bytes)
}

#[cfg(test)]
mod tests;
