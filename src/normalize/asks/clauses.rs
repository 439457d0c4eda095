//! Sentences and clauses in which a skill named is not asked for.
//!
//! Within the job's own sections, postings still name skills the hire will
//! not use: what another team works with ("our analytics team next door
//! works in R and Tableau; you won't need either"), what the job replaces
//! ("the last MySQL clusters are being migrated to Postgres", "nous avons
//! quitté Jenkins pour GitHub Actions"), what it rules out ("No Java here",
//! "Ruby (off Rails)", "vous ne ferez pas de WordPress"), the employer's
//! customers, investors and partners, and the employer describing itself
//! ("Grafana Labs is an open source company", "nos expertises data, cloud
//! et IA"). [`Clauses`] finds these by their cue words, in English and
//! French, and blanks:
//!
//! * a whole **sentence** (up to `.`, `!`, `?`, `:` or a line break) that
//!   puts the work on someone else ("next door", "not yours", "you won't",
//!   "hors périmètre"), names customers, investors or partners, or describes
//!   the employer;
//! * in a **clause** (a sentence cut further at `;`, dashes, parentheses,
//!   "but", "mais"): from a negation ("no", "not", "don't", "pas de",
//!   "ne … pas", "instead of") to the clause's end; the whole clause when
//!   something is "not required"; what a retirement or migration cue
//!   ("retire", "decommission", "moving off", "quitté", "migrated … to")
//!   leaves behind, up to the target it moves to ("to", "vers", "pour",
//!   "in favour of"), which is kept;
//! * "with the DevOps and QA teams" / "avec les équipes DevOps et QA": the
//!   teams the hire works with are not the hire's skills.
//!
//! The cues are linguistic, not lists of skills; they are checked on the
//! lowercase ASCII transliteration of the text ([`AsciiText`]), so "No
//! Java", "NO JAVA", "équipe" and "equipe" are read alike.

use std::ops::Range;

use regex::bytes::{Regex, RegexBuilder};

use super::ascii::AsciiText;

/// Cues that put a whole sentence outside the job (see the module docs).
const SENTENCE_CUES: &str = r"(?x)
    \b(?:
      # The work belongs to someone else.
      next\ door | sister\ (?:teams?|squads?) | another\ (?:team|squad)\ (?:builds|owns|runs|writes|maintains|handles) | separate\ (?:teams?|squads?)
    | different\ (?:teams?|squads?) | sans\ en\ (?:faire|etre)\ partie | without\ being\ part\ of
    | neighbou?ring\ teams? | their\ world | not\ yours | not\ you\b | not\ (?:part\ of\ )?this\ (?:role|job|position)
    | outside\ (?:this|the)\ (?:role|job|scope) | out\ of\ scope | not\ in\ scope
    | you(?:'ll|\ will)?\ (?:won't|will\ not|never|don't|do\ not)\ (?:need|have\ to|touch|work|use|write|maintain|be)\b(?:\ \w+){0,4}?\ (?:it|them|either|those|these|any\ of|that)\b
    | (?:aren't|are\ not|isn't|is\ not)\ expected | won't\ be\ asked | not\ be\ asked
    | (?:n't|not)\ (?:write|maintain|touch|own|work\ on|need\ to\ write)\ (?:it|them|its|their|that|any)\b
    | nobody\ expects\ you | (?:isn't|is\ not)\ the\ job | not\ the\ (?:job|role)\ for\ you
    | (?:teams?|squads?|equipes?)\ (?:does|do|handles|handle|owns|own|takes\ care\ of|s'en\ charge|s'en\ occupe)\ (?:that|it|this|those)\b
    | (?:handled|owned|maintained|done|run|built|managed|looked\ after|written|developed)\ by\ (?:the|our|a|an|another|its)\ (?:[\w-]+\ ){0,3}?(?:teams?|squads?|vendors?|partners?|contractors?)\b
    | (?:realisee?s?|geree?s?|maintenue?s?|assuree?s?|pris(?:e|es)?\ en\ charge|developpee?s?|portee?s?)\ par\ (?:l'|les\ |une\ |un\ |notre\ |nos\ |le\ |la\ )?(?:equipes?|editeurs?|prestataires?|integrateurs?|fournisseurs?)
    | equipes?\ (?:[\w&-]+\ ){0,3}?voisines? | une\ autre\ equipe | n'est\ pas\ rattach | ne\ sont\ pas\ rattach
    | vous\ n'aurez\ pas | tu\ n'auras\ pas | vous\ ne\ serez\ pas | tu\ ne\ seras\ pas
    | hors\ (?:du\ )?perimetre | ne\ fai?t\ pas\ partie | ne\ font\ pas\ partie
    | (?:n'est|ne\ sont)\ pas\ attendu | pas\ attendue?s? | (?:vous|te|t')\ sera\ pas\ demand
    | ce\ n'est\ pas\ (?:ton|votre)\ | n'en\ croiser | pas\ besoin
      # Customers, investors, partners.
    | customers?\ (?:include|includes|including|such\ as|like) | clients?\ (?:include|includes|including|such\ as|like)
    | trusted\ by | (?:are|is|we're|proudly)\ backed\ by | funded\ by | angels?\ from | investors? | venture\ capital
    | nos\ clients\ (?:sont|incluent|comptent|comme|tels|figurent|:|\() | parmi\ nos\ clients | nos\ references
    | ils\ nous\ font\ confiance | investisseurs? | levee\ de\ fonds
    | (?:sommes|est|comme|en\ tant\ que)\ partenaires? | partenaires?\ (?:officiels?|certifi\w*|premier|gold|platinum)
    | partners?\ (?:of|program|network|status)
    | (?:aws|google|microsoft|azure|gcp|red\ hat|sap|oracle)\ (?:advanced\ |premier\ |gold\ )?partner
    | (?:official|native)\ integrations?\ with | github\ stars | stars\ on\ github | etoiles\ sur\ github
      # The employer describing itself or its product.
    | (?:\bour|\bnotre|'s)\ (?:[\w-]+\ ){0,6}?(?:platform|plateforme|product|produit|solution|engine|database|software|logiciel|tool|outil|service|app|application)s?\ (?:permet|permettent|lets|helps|runs|allows|enables|aide|offers|propose|gives|makes|powers)\b
    | nos\ expertises | notre\ expertise | nos\ metiers | nos\ domaines\ d'expertise | nos\ offres
    | our\ expertise | our\ customers\ (?:include|are|range) | we\ are\ (?:a|an)\ | we're\ (?:a|an)\ | nous\ sommes\ (?:un|une)\ 
    | founded\ in | fondee?\ en | creee?\ en | certified\ company | certifiee?\ iso
    )";

/// A team other than the hire's doing something in a sentence
/// ("our mobile team ships the apps in React Native")…
const TEAM_SUBJECT: &str = r"(?x)
    \b(?:
      (?:our|the|their)\ (?:[\w-]+\ ){0,3}?(?:teams?|squads?|engineers|developers|analysts|scientists|designers)
    | (?:l'|les\ |nos\ )equipes?\ [\w-]+
    )\b";

/// …that the same sentence then sets apart from the hire ("; you'll agree
/// API contracts with them", "this role is backend only").
const SET_APART: &str = r"(?x)
    \b(?:
      you(?:'ll|\ will|'re|\ are)?\b[^.!?\n]*?\b(?:them|their|they|that)\b
    | this\ (?:role|job|position)\ is | ce\ poste\ (?:est|n'est|porte)
    | (?:vous|tu)\b[^.!?\n]*?\b(?:leur|eux|avec\ elles?)\b
    )";

/// People the hire works alongside ("alongside data scientists", "avec des
/// data engineers") or counts of them ("4 data scientists").
const PEOPLE: &str = r"(?x)
    \b(?:
      (?:with|alongside|avec|aux\ cotes\ des?)\ (?:des\ |les\ |our\ |the\ |nos\ )?(?:[\w-]+\ ){0,2}?
    | \d+\ (?:[\w-]+\ ){0,2}?
    )(?:scientists|engineers|analysts|developers|developpeu(?:r|se)s|ingenieur(?:e)?s|experts)\b";

/// Negations: blank from the cue to the end of its clause.
const NEGATION_CUES: &str = r"(?x)
    \b(?:
      no | not | never | nor | neither | nothing | none
    | don't | do\ not | doesn't | does\ not | didn't | did\ not | won't | will\ not | wouldn't
    | isn't | aren't | wasn't | weren't | can't | cannot
    | instead\ of | rather\ than | no\ longer
    | pas\ (?:de|d'|du|des) | aucune? | ni | au\ lieu\ de | plutot\ que
    | (?:ne\ |n')[^.;:\n]{0,50}?\b(?:pas|plus|jamais|rien|aucune?)
    )\b";

/// Words after a negation cue that make it no negation ("not only",
/// "no matter", "don't hesitate").
const NOT_NEGATIONS: &[&str] = &[
    "only",
    "just",
    "limited",
    "necessarily",
    "least",
    "to mention",
    "matter",
    "later",
    "more than",
    "less than",
    "doubt",
    "worry",
    "hesitate",
    "-",
    "problem",
];

/// Words after a comma that end a negation's scope.
const NEGATION_STOPS: &[&str] = &[
    "just",
    "only",
    "but",
    "instead",
    "rather",
    "we",
    "you",
    "our",
    "nous",
    "vous",
    "on",
    "mais",
    "juste",
    "seulement",
    "plutôt",
    "so",
    "and we",
    "and you",
    "et nous",
    "et vous",
    "we're",
    "you'll",
    "we'll",
];

/// "X is not required": the whole clause.
const NOT_REQUIRED: &str = r"(?x)
    \b(?:
      (?:is|are)\ not\ (?:required|needed|necessary|mandatory|expected)
    | (?:n'est|ne\ sont)\ pas\ (?:requise?s?|demandee?s?|obligatoires?|necessaires?|exigee?s?)
    | non\ (?:requise?s?|obligatoires?|exigee?s?) | pas\ (?:requise?s?|obligatoires?|necessaires?)
    )\b";

/// Retirement: what follows the cue (or the sentence's subject, in the
/// passive) is on its way out, up to a target marker.
const RETIREMENT_CUES: &str = r"(?x)
    \b(?:
      retir(?:e|es|ed|ing) | decommission\w* | (?:we|have|has|had)\ left | migration\ of | eteint\w* | sunset\w* | deprecat\w* | phas(?:e|es|ed|ing)\ out
    | switch(?:es|ed|ing)?\ off | turn(?:s|ed|ing)?\ off | shut(?:s|ting)?\ down
    | (?:mov|migrat|switch|port)\w*\ (?:\w+\ ){0,3}?(?:away\ )?(?:off|from) | off\ of
    | (?:leav(?:e|es|ing)|left)\ (?:\w+\ ){0,3}behind | get(?:ting)?\ rid\ of | got\ rid\ of
    | replac(?:e|es|ed|ing) | rewrit(?:e|es|ing|ten) | rewrote | remov(?:e|es|ed|ing) | delet(?:e|es|ed|ing)
    | drop(?:s|ped|ping)? | ditch(?:es|ed|ing)? | sunsetting | legacy\ (?:\w+\ )?(?:being|to\ be)
    | quitt\w* | abandonn\w* | decommission\w* | remplac\w* | supprim\w* | reecri\w*
    | debranch\w* | demantel\w* | sortie\ (?:de|d'|du|des) | exit | fin\ de\ vie
    | arret(?:er|ee?s?)?\ (?:de|d'|du|des|le|la|les)
    | migr\w*\ (?:de|d'|depuis|du|des) | migration\ (?:de|d'|depuis|du|des)
    )\b";

/// Migration without a "from": only what comes before its target moves out
/// ("the last MySQL clusters are being migrated to Postgres").
const MIGRATION_CUES: &str = r"(?x)
    \b(?:migrat\w* | mov(?:e|es|ed|ing) | switch(?:es|ed|ing)? | transition\w* | port(?:ed|ing)
    | migr\w* | passage | bascul\w*)\b";

/// Where a retirement or migration lands: what follows is kept.
const TARGET_MARKERS: &str = r"(?x)
    \b(?:to|towards|into|onto|in\ favou?r\ of|with|by|for|in|vers|pour|par|au\ profit\ de|en\ faveur\ de|en|sur)\b";

/// The teams the hire works with ("with the DevOps and QA teams", "avec les
/// équipes DevOps et QA").
const WITH_TEAMS: &str = r"(?x)
    \b(?:with|alongside|to|for|avec|aux\ cotes\ des?|en\ lien\ avec|a|aupres\ des?)\ 
    (?:
      (?:the|our|other|its|their)\ 
      (?:[\w/&+.-]+(?:,\ |\ and\ |\ |/)){0,5}?(?:teams?|squads?|engineers|developers|analysts|scientists)\b
    | (?:[\w/&+.-]+(?:,\ |\ and\ |\ or\ |\ |/)){1,5}?(?:teams|squads)\b
    | (?:les|nos|des|l'|d'autres)\ ?equipes?\ 
    )";

/// Words that end the names after "avec les équipes …".
const TEAM_NAMES_END: &[&str] = &[
    "sur", "pour", "afin", "dans", "à", "a", "au", "aux", "de", "du", "des", "qui", "que", "en",
    "chez", "autour", "lors", "selon", "par", "avec", "to", "for", "on", "in",
];

/// Passive auxiliaries before a retirement cue: the subject before them is
/// what retires ("the Nagios box is switched off").
const PASSIVE: &[&str] = &[
    "is", "are", "was", "were", "be", "been", "being", "get", "gets", "getting", "est", "sont",
    "sera", "seront", "été", "etre", "être",
];

/// The patterns that start a blank: all above but the target markers and
/// `SET_APART`, which are only read after another one, and "(off "
/// ("Ruby (off Rails)": what follows is blanked up to the parenthesis).
#[cfg(test)]
const CUES: [(&str, &str); 9] = [
    ("SENTENCE_CUES", SENTENCE_CUES),
    ("TEAM_SUBJECT", TEAM_SUBJECT),
    ("NOT_REQUIRED", NOT_REQUIRED),
    ("NEGATION_CUES", NEGATION_CUES),
    ("RETIREMENT_CUES", RETIREMENT_CUES),
    ("MIGRATION_CUES", MIGRATION_CUES),
    ("WITH_TEAMS", WITH_TEAMS),
    ("PEOPLE", PEOPLE),
    ("OFF", r"\(off\ "),
];

/// Words that every match of the cue patterns above contains, each at a
/// place where the pattern puts the same word boundaries: a piece of text
/// without any of them matches none of the cues, so it is copied without
/// being searched for each (see [`Clauses::push_asked`]).
///
/// Nearly all are literals, which the regex crate finds with a SIMD
/// prefilter and a small automaton, where the union of the cues themselves
/// (their optional words and `{0,6}` runs) made a lazy DFA that kept
/// growing: on the real-postings corpus of `benches/extract_compare.sh`
/// that union took a fifth of `skilltrack extract`'s CPU (BENCHMARKS.md).
/// A marker found where no cue matches costs a search of that piece for
/// each cue, nothing more, so a marker may be looser than its cue; a cue
/// matching where no marker is would be missed, which
/// `tests::every_cue_match_contains_a_marker` checks on an example of
/// every alternative and on every posting of the evaluation sets. Keep
/// them in step with the patterns: a new alternative needs a word here.
const MARKERS: &str = r#"(?x)
    \b(?:
      # Negations and "not required" (NEGATION_CUES, NOT_REQUIRED), and the
      # sentence cues built on one ("you won't need", "vous n'aurez pas").
      (?:no|not|never|nor|neither|nothing|none|nobody|cannot|instead|rather|pas|aucune?|ni|ne
        |plutot)\b
    | au\ lieu\ de | non\ (?:requis|obligatoire|exige)
      # The other sentence cues (SENTENCE_CUES).
    | next\ door | (?:sister|separate|different)\ (?:team|squad) | neighbou?ring\ team
    | without\ being | sans\ en\ | their\ world | outside\ | out\ of\ scope
    | hors\ (?:du\ )?perimetre
    | (?:customers?|clients?)\ (?:include|includes|including|such\ as|like|are|range)
    | nos\ clients\ (?:sont|incluent|comptent|comme|tels|figurent|:|\() | parmi\ nos\ clients
    | trusted\ by | (?:are|is|we're|proudly)\ backed\ by | funded\ by | angels?\ from
    | investor | investisseur | venture\ capital | nos\ references | ils\ nous\ font
    | levee\ de\ fonds | (?:sommes|est|comme|en\ tant\ que)\ partenaire
    | partenaires?\ (?:officiel|certifi|premier|gold|platinum)
    | partners?\ (?:of|program|network|status)
    | (?:aws|google|microsoft|azure|gcp|red\ hat|sap|oracle)\ (?:advanced\ |premier\ |gold\ )?partner
    | (?:official|native)\ integrations?\ with | github\ stars | stars\ on\ github | etoiles\ sur
    | (?:platform|plateforme|product|produit|solution|engine|database|software|logiciel|tool|outil
        |service|app|application)s?\ (?:permet|permettent|lets|helps|runs|allows|enables|aide
        |offers|propose|gives|makes|powers)\b
    | nos\ (?:expertises|metiers|domaines|offres) | notre\ expertise | our\ expertise
    | we\ are\ an?\ | we're\ an?\ | nous\ sommes\ une?\ 
    | founded\ in | fondee?\ en | creee?\ en | certified\ company | certifiee?\ iso
    | (?:handled|owned|maintained|done|run|built|managed|looked\ after|written|developed)\ by\ 
    | par\ (?:l'|les\ |une\ |un\ |notre\ |nos\ |le\ |la\ )?
        (?:equipes?|editeurs?|prestataires?|integrateurs?|fournisseurs?)
    | (?:teams?|squads?|equipes?)\ (?:does|do|handles|handle|owns|own|takes\ care\ of|s'en\ charge
        |s'en\ occupe)\ 
    | une\ autre\ equipe | voisine
      # Teams and people (TEAM_SUBJECT, WITH_TEAMS, PEOPLE).
    | (?:teams?|squads?|engineers|developers|analysts|scientists|developpeurs|developpeuses
        |ingenieurs|ingenieures|experts)\b
    | (?:our|the|their)\ (?:[\w-]+\ ){0,3}?designers\b
      # Retirement and migration (RETIREMENT_CUES, MIGRATION_CUES).
    | retir(?:e|es|ed|ing)\b | decommission | left\b | migr | eteint | sunset | deprecat
    | phas(?:e|es|ed|ing)\ out\b | switch | turn(?:s|ed|ing)?\ off\b | shut(?:s|ting)?\ down\b
    | mov(?:e|es|ed|ing)\b | port(?:ed|ing)\b | off\ of\b
    | (?:mov|migrat|switch|port)\w*\ (?:\w+\ ){0,3}?(?:away\ )?(?:off|from)\b
    | behind\b | rid\ of\b | replac(?:e|es|ed|ing)\b
    | rewrit(?:e|es|ing|ten)\b | rewrote\b | remov(?:e|es|ed|ing)\b | delet(?:e|es|ed|ing)\b
    | drop(?:s|ped|ping)?\b | ditch(?:es|ed|ing)?\b | legacy\ | quitt | abandonn | remplac
    | supprim | reecri | debranch | demantel | sortie\ d | exit\b | fin\ de\ vie\b
    | arret(?:er|ee?s?)?\ | transition | passage\b | bascul
    )
    # Contractions ("don't", "isn't", "n'est"), the teams after an article
    # ("l'équipe", "les équipes", "d'autres équipes") and "(off Rails)".
    | n't\b | \bn' | (?:s\ ?|')equipes?\  | \(off\ "#;

/// The clause-level reader of a description (see the module docs).
#[derive(Debug)]
pub(crate) struct Clauses {
    /// [`MARKERS`]: where none is, a sentence or clause is copied without
    /// being searched for each cue.
    markers: Regex,
    sentence: Regex,
    negation: Regex,
    not_required: Regex,
    retirement: Regex,
    migration: Regex,
    target: Regex,
    with_teams: Regex,
    team_subject: Regex,
    set_apart: Regex,
    people: Regex,
}

impl Clauses {
    /// Compiles the cue patterns.
    pub(crate) fn new() -> Clauses {
        // The patterns run on the lowercase ASCII transliteration: no case
        // folding, ASCII word boundaries (the fast automata).
        let compile = |pattern: &str| {
            RegexBuilder::new(pattern)
                .unicode(false)
                .build()
                .expect("the clause cue patterns are valid")
        };
        Clauses {
            markers: compile(MARKERS),
            sentence: compile(SENTENCE_CUES),
            negation: compile(NEGATION_CUES),
            not_required: compile(NOT_REQUIRED),
            retirement: compile(RETIREMENT_CUES),
            migration: compile(MIGRATION_CUES),
            target: compile(TARGET_MARKERS),
            with_teams: compile(WITH_TEAMS),
            team_subject: compile(TEAM_SUBJECT),
            set_apart: compile(SET_APART),
            people: compile(PEOPLE),
        }
    }

    /// Appends `text` to `out` with every span that names no ask replaced
    /// by a space. `employer` is the employer's name: a sentence of which it
    /// is the subject describes the company.
    pub(crate) fn push_asked(&self, text: &str, employer: Option<&str>, out: &mut String) {
        let ascii = AsciiText::new(text);
        let lower = ascii.as_str();
        let employer = employer.map(|e| AsciiText::new(e).as_str().to_owned());
        // The markers run once over the whole text; a sentence or clause
        // is only searched for each cue when a marker touches it (most
        // have none).
        let mut cue_hits = self.cue_hits(lower.as_bytes());
        let mut blank: Vec<Range<usize>> = Vec::new();
        // A cue before a colon rules out what the colon introduces too
        // ("Nos expertises : data, cloud et IA").
        let mut introduced = false;
        let mut previous = Previous::default();
        for sentence in split(lower, 0..lower.len(), is_sentence_end) {
            let s = &lower[sentence.clone()];
            let ends_with_colon = lower.as_bytes().get(sentence.end) == Some(&b':');
            let touched = cue_hits.touches(&sentence);
            // A sentence cue, or another team set apart from the hire
            // (each searched only when the one before did not decide).
            let elsewhere =
                |s: &str| self.sentence.is_match(s.as_bytes()) || self.set_apart_team(s);
            if introduced
                || (touched && elsewhere(s))
                || employer.as_deref().is_some_and(|e| describes(s, e))
            {
                introduced = ends_with_colon && !introduced;
                previous.set(sentence.clone());
                blank.push(sentence);
                continue;
            }
            introduced = false;
            if !touched {
                // No cue in it: nothing of it is blanked, and it is cut into
                // clauses only if a later pronoun needs its last one.
                previous.skip(sentence);
                continue;
            }
            for clause in split(lower, sentence, is_clause_end) {
                if self.blank_in_clause(lower, clause.clone(), &mut cue_hits, &mut blank) {
                    // "…on an Oracle database; it will be retired": what
                    // the pronoun stands for is in the piece before.
                    if let Some(before) = previous.get(lower) {
                        blank.push(before);
                    }
                }
                previous.set(clause);
            }
        }
        let mut blank: Vec<Range<usize>> = blank.into_iter().map(|r| ascii.source(r)).collect();
        blank.sort_by_key(|r| r.start);
        let mut copied = 0;
        for r in blank {
            if r.end <= copied {
                continue;
            }
            let start = r.start.max(copied);
            out.push_str(&text[copied..start]);
            out.push(' ');
            copied = r.end;
        }
        out.push_str(&text[copied..]);
    }

    /// Where the markers of the cues are in the whole (transliterated) text.
    fn cue_hits(&self, text: &[u8]) -> Hint {
        Hint {
            hits: self.markers.find_iter(text).map(|m| m.range()).collect(),
            next: 0,
        }
    }

    /// Whether sentence `s` has another team doing something and then sets
    /// the hire apart from it.
    fn set_apart_team(&self, s: &str) -> bool {
        self.team_subject
            .find(s.as_bytes())
            .is_some_and(|team| self.set_apart.is_match(&s.as_bytes()[team.end()..]))
    }

    /// Adds the spans of one clause (`lower[clause]`) that name no ask to
    /// `blank`. Returns whether the clause retires something it names by a
    /// pronoun ("it will be retired", "help us retire them"): the piece
    /// before names it.
    fn blank_in_clause(
        &self,
        lower: &str,
        clause: Range<usize>,
        cue_hits: &mut Hint,
        blank: &mut Vec<Range<usize>>,
    ) -> bool {
        let c = &lower[clause.clone()];
        let at = |r: Range<usize>| clause.start + r.start..clause.start + r.end;
        let bytes = c.as_bytes();
        if !cue_hits.touches(&clause) {
            return false;
        }
        if self.not_required.is_match(c.as_bytes()) {
            blank.push(clause);
            return false;
        }
        // "Ruby (off Rails)": up to the closing parenthesis.
        if let Some(off) = c.find("(off ") {
            let end = c[off..].find(')').map_or(c.len(), |e| off + e);
            blank.push(at(off..end));
        }
        let negations = self.negation.find_iter(bytes);
        let mut negated_until = 0;
        for m in negations.filter(|m| {
            !NOT_NEGATIONS
                .iter()
                .any(|w| c[m.end()..].trim_start().starts_with(w))
        }) {
            if m.start() < negated_until {
                continue; // already inside the previous negation's scope
            }
            negated_until = negation_end(c, m.end());
            blank.push(at(m.start()..negated_until));
        }
        let mut by_pronoun = false;
        for m in self.retirement.find_iter(bytes) {
            // Look at most REACH bytes either side: a cue's noun phrase and
            // target are near it, and a long clause stays linear.
            let from = m.start().saturating_sub(REACH);
            let until = (m.end() + REACH).min(c.len());
            let before = &c[from..m.start()];
            let object_before = passive_before(before) || relative_before(before);
            let start = if object_before {
                from + noun_phrase_start(before)
            } else {
                m.start()
            };
            by_pronoun |= (object_before && is_pronoun_subject(&c[start..m.start()]))
                || starts_with_pronoun_object(&c[m.end()..]);
            // Up to the target, or the end of a parenthesis the cue is in
            // ("(we replaced Jest last year) and Playwright").
            let target = self
                .target
                .find_at(&bytes[..until], m.end())
                .map_or(until, |t| t.start());
            let inside = before.rfind('(') > before.rfind(')');
            let closing = c[m.end()..until].find(')').map(|p| m.end() + p);
            let end = match closing {
                Some(p) if inside => target.min(p),
                _ => target,
            };
            blank.push(at(start..end));
        }
        if let Some(m) = self.migration.find(bytes) {
            // What moves out comes before the target: "the last MySQL
            // clusters are being migrated to Postgres", "port the AngularJS
            // modules to React"; "interest in moving to Go" moves nothing.
            if let Some(t) = self.target.find_at(c.as_bytes(), m.end()) {
                let before = &c[..m.start()];
                let start = if passive_before(before) {
                    noun_phrase_start(before)
                } else {
                    m.start()
                };
                blank.push(at(start..t.start()));
            }
        }
        for m in self.with_teams.find_iter(bytes) {
            // "with our GraphQL and REST APIs alongside backend engineers":
            // the team phrase starts at the last preposition inside.
            let start =
                last_preposition(&c[m.start()..m.end()]).map_or(m.start(), |p| m.start() + p);
            let mut end = if m.as_bytes().ends_with(b" ") {
                // "avec les équipes DevOps et QA sur …": the names follow.
                m.end() + team_names_len(&c[m.end()..])
            } else {
                m.end()
            };
            // "…, qui maintiennent notre data warehouse": their work too.
            let rest = c[end..].trim_start_matches([' ', ',']);
            if ["qui ", "who ", "which ", "that ", "dont "]
                .iter()
                .any(|w| rest.starts_with(w))
            {
                end = c.len();
            }
            blank.push(at(start..end));
        }
        for m in self.people.find_iter(bytes) {
            blank.push(at(m.range()));
        }
        by_pronoun
    }
}

/// Where the last preposition after the first word of a team phrase
/// starts ("with our APIs alongside backend engineers" → "alongside").
fn last_preposition(phrase: &str) -> Option<usize> {
    let first_space = phrase.find(' ')?;
    [
        " alongside ",
        " with ",
        " for ",
        " to ",
        " in ",
        " on ",
        " avec ",
        " pour ",
        " aux ",
        " dans ",
    ]
    .iter()
    .filter_map(|p| {
        phrase[first_space..]
            .rfind(p)
            .map(|at| first_space + at + 1)
    })
    .max()
}

/// Where one pattern matched in the whole text, consulted piece by piece in
/// text order.
#[derive(Debug)]
struct Hint {
    /// Match ranges, in order, not overlapping.
    hits: Vec<Range<usize>>,
    /// The first match that may still touch a later piece.
    next: usize,
}

impl Hint {
    /// Whether a match touches `piece`; pieces must come in text order.
    fn touches(&mut self, piece: &Range<usize>) -> bool {
        while self
            .hits
            .get(self.next)
            .is_some_and(|h| h.end <= piece.start)
        {
            self.next += 1;
        }
        self.hits
            .get(self.next)
            .is_some_and(|h| h.start < piece.end)
    }
}

/// The piece before the one being read: what a pronoun at the start of a
/// clause stands for. A sentence without cues is not cut into clauses, so
/// its last clause is found only when asked for.
#[derive(Debug, Default)]
struct Previous {
    piece: Option<Range<usize>>,
    /// A sentence read whole after `piece`: its last clause, if it has
    /// one, is the previous piece.
    skipped: Option<Range<usize>>,
}

impl Previous {
    /// The previous piece is `piece`.
    fn set(&mut self, piece: Range<usize>) {
        self.piece = Some(piece);
        self.skipped = None;
    }

    /// The previous piece is the last clause of `sentence`.
    fn skip(&mut self, sentence: Range<usize>) {
        self.skipped = Some(sentence);
    }

    /// The previous piece of `lower`.
    fn get(&mut self, lower: &str) -> Option<Range<usize>> {
        if let Some(sentence) = self.skipped.take() {
            if let Some(last) = split(lower, sentence, is_clause_end).last() {
                self.piece = Some(last);
            }
        }
        self.piece.clone()
    }
}

/// How far, in bytes, a negation reaches, and a retirement cue looks for its
/// noun phrase and its target: a sentence's length, so that a clause of
/// megabytes with a cue every few words stays linear.
const REACH: usize = 240;

/// Where a negation ending at `from` stops in `clause`: at its end, at a
/// closing parenthesis, at a comma that opens another thought ("No React
/// here, just Hotwire"), or [`REACH`] bytes on.
fn negation_end(clause: &str, from: usize) -> usize {
    let clause = &clause[..(from + REACH).min(clause.len())];
    let clause = &clause[..clause[from..].find(')').map_or(clause.len(), |p| from + p)];
    let mut at = from;
    while let Some(comma) = clause[at..].find(", ") {
        let next = &clause[at + comma + 2..];
        if NEGATION_STOPS.iter().any(|w| {
            next.strip_prefix(w)
                .is_some_and(|r| r.starts_with([' ', ',']))
        }) {
            return at + comma;
        }
        at += comma + 2;
    }
    clause.len()
}

/// The length of the team names at the start of `text` ("DevOps et QA"
/// in "DevOps et QA sur la plateforme"): up to four words, stopping at a
/// preposition, an infinitive or punctuation other than a comma.
fn team_names_len(text: &str) -> usize {
    let mut len = 0;
    for (n, word) in text.split_inclusive(' ').enumerate() {
        let bare = word.trim_end_matches([' ', ',']);
        let infinitive = bare.len() >= 5
            && (bare.ends_with("er") || bare.ends_with("ir"))
            && bare.starts_with(|c: char| c.is_lowercase());
        if n >= 4 || bare.is_empty() || infinitive || TEAM_NAMES_END.contains(&bare) {
            break;
        }
        len += word.len();
        if bare.ends_with(['.', ';', ':', ')']) {
            break;
        }
    }
    len
}

/// Whether `sentence` has the employer as its subject ("Acme is a…",
/// "Acme développe…").
fn describes(sentence: &str, employer: &str) -> bool {
    let s = sentence.trim_start();
    let s = s.strip_prefix("at ").unwrap_or(s);
    // The whole name, or its first word when it is a word of its own
    // ("Driftwood" for "Driftwood Data").
    let first = employer.split(' ').next().filter(|w| w.len() >= 4);
    let Some(rest) = s
        .strip_prefix(employer)
        .or_else(|| first.and_then(|f| s.strip_prefix(f)))
    else {
        return false;
    };
    let Some(rest) = rest.strip_prefix([' ', ',']) else {
        return false;
    };
    // Skip a legal form or descriptor ("Grafana Labs is").
    let verb = rest
        .split([' ', ','])
        .filter(|w| !w.is_empty())
        .find(|w| !super::LEGAL_FORMS.contains(w))
        .unwrap_or_default();
    matches!(
        verb,
        "is" | "was"
            | "builds"
            | "develops"
            | "provides"
            | "helps"
            | "offers"
            | "makes"
            | "powers"
            | "creates"
            | "designs"
            | "publishes"
            | "est"
            | "developpe"
            | "propose"
            | "accompagne"
            | "edite"
            | "concoit"
            | "fournit"
            | "aide"
    )
}

/// Whether a relative clause has the retired thing before it ("an app
/// that we're sunsetting", "les scripts que nous abandonnons").
fn relative_before(before: &str) -> bool {
    before
        .split_whitespace()
        .rev()
        .take(3)
        .any(|w| matches!(w, "that" | "which" | "que" | "qu'on" | "qu'il" | "qu'elle"))
}

/// Where the noun phrase before a cue starts in `before`: after the last
/// ", and", ", while", ", but", ", after which", ", et", ", mais" or ";",
/// else at its start.
fn noun_phrase_start(before: &str) -> usize {
    [
        ", and ",
        ", while ",
        ", but ",
        ", after which ",
        ", et ",
        ", mais ",
        " tandis que ",
        "; ",
    ]
    .iter()
    .filter_map(|w| before.rfind(w).map(|at| at + w.len()))
    .max()
    .unwrap_or(0)
}

/// Whether the noun phrase of a passive is only a pronoun ("it will be",
/// "they are being", "elle sera").
fn is_pronoun_subject(phrase: &str) -> bool {
    phrase.split_whitespace().next().is_some_and(|w| {
        matches!(
            w,
            "it" | "they" | "this" | "these" | "those" | "il" | "elle" | "ils" | "elles"
        )
    })
}

/// Whether the words after a retirement cue start with a pronoun object
/// ("retire them", "moved off it").
fn starts_with_pronoun_object(after: &str) -> bool {
    after
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .find(|w| !w.is_empty())
        .is_some_and(|w| matches!(w, "it" | "them" | "those" | "these"))
}

/// Whether the words before a retirement cue end with a passive auxiliary.
fn passive_before(before: &str) -> bool {
    before.trim_end().ends_with("en cours de")
        || before
            .split_whitespace()
            .next_back()
            .is_some_and(|w| PASSIVE.contains(&w))
}

/// Whether a sentence ends at byte `i` of `text` (at `.`, `!`, `?` or `:`
/// followed by a space or the end, or at a line break).
fn is_sentence_end(text: &[u8], i: usize) -> bool {
    match text[i] {
        b'\n' => true,
        b'.' | b'!' | b'?' | b':' => text.get(i + 1).is_none_or(|b| b.is_ascii_whitespace()),
        _ => false,
    }
}

/// Whether a clause ends at byte `i`: a sentence end, `;`, a spaced dash,
/// or before " but ", " mais ", " however", " whereas ", " alors que ",
/// " tandis que ", ", then ".
fn is_clause_end(text: &[u8], i: usize) -> bool {
    const BEFORE: [&str; 7] = [
        " but ",
        " mais ",
        " however",
        " whereas ",
        " alors que ",
        " tandis que ",
        ", then ",
    ];
    match text[i] {
        b';' => true,
        b' ' | b',' => {
            let rest = &text[i..];
            rest.starts_with(b" - ") || BEFORE.iter().any(|w| rest.starts_with(w.as_bytes()))
        }
        _ => is_sentence_end(text, i),
    }
}

/// The non-empty pieces of `text[range]` between the bytes where `end`
/// says a piece ends (the ending byte belongs to no piece).
fn split<'t>(
    text: &'t str,
    range: Range<usize>,
    end: impl Fn(&[u8], usize) -> bool + 't,
) -> impl Iterator<Item = Range<usize>> + 't {
    let bytes = text.as_bytes();
    let mut start = range.start;
    let mut i = range.start;
    std::iter::from_fn(move || {
        while i < range.end {
            let here = i;
            i += 1;
            if end(bytes, here) {
                let piece = start..here;
                start = here + 1;
                if !text[piece.clone()].trim().is_empty() {
                    return Some(piece);
                }
            }
        }
        if start < range.end {
            let piece = start..range.end;
            start = range.end;
            if !text[piece.clone()].trim().is_empty() {
                return Some(piece);
            }
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(text: &str, employer: Option<&str>) -> String {
        let mut out = String::new();
        Clauses::new().push_asked(text, employer, &mut out);
        // Compare words only: blanks leave spaces and stray punctuation.
        out.split_whitespace()
            .filter(|w| w.chars().any(char::is_alphanumeric))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn other_teams_and_their_tools_are_not_the_hires() {
        assert_eq!(
            asked("Our analytics team next door works in R and Tableau; you won't need either. You'll write Go.", None),
            "You'll write Go."
        );
        assert_eq!(
            asked(
                "Vous travaillerez en lien avec les équipes DevOps et QA sur la plateforme Java.",
                None
            ),
            "Vous travaillerez en lien sur la plateforme Java."
        );
        assert_eq!(
            asked("You'll partner closely with our SRE, security and data platform teams to ship Kotlin services.", None),
            "You'll partner closely to ship Kotlin services."
        );
    }

    #[test]
    fn a_pronoun_stands_for_the_last_clause_of_a_sentence_without_cues() {
        // The first sentence has no cue, so it is read whole; "it" still
        // finds its last clause.
        assert_eq!(
            asked(
                "Reporting runs on an Oracle database; billing runs on SQL Server. It will be retired next year. You'll write Python.",
                None
            ),
            "Reporting runs on an Oracle database; You'll write Python."
        );
        // Several sentences without cues: only the last clause of the last one.
        assert_eq!(
            asked(
                "Daily work in Go. Reporting on Oracle, billing on SQL Server; alerts in Nagios. Help us retire it this year. Python too.",
                None
            ),
            "Daily work in Go. Reporting on Oracle, billing on SQL Server; Help us Python too."
        );
        // A sentence of only punctuation has no clause: the one before it is
        // still the previous piece.
        assert_eq!(
            asked("Billing on SQL Server. ; It will be retired. Rust.", None),
            "Rust."
        );
    }

    #[test]
    fn negations_rule_out_what_follows() {
        assert_eq!(
            asked("No Java, no Spring here. Python daily.", None),
            "Python daily."
        );
        assert_eq!(
            asked("Ruby (off Rails), PostgreSQL", None),
            "Ruby PostgreSQL"
        );
        assert_eq!(
            asked(
                "Vous ne ferez pas de WordPress. Symfony au quotidien.",
                None
            ),
            "Vous Symfony au quotidien."
        );
        assert_eq!(
            asked("Pas de React chez nous : du Svelte.", None),
            "du Svelte."
        );
        assert_eq!(
            asked("Kubernetes is not required, but Docker is a plus.", None),
            "but Docker is a plus."
        );
        // Not a negation.
        let list = "Languages including but not limited to Python, Go and Rust.";
        assert_eq!(asked(list, None), list);
        assert_eq!(
            asked("Don't hesitate: Rust is our stack.", None),
            "Don't hesitate: Rust is our stack."
        );
    }

    #[test]
    fn what_the_job_retires_is_not_asked_but_its_target_is() {
        assert_eq!(
            asked(
                "The last MySQL 5.7 clusters are being migrated to Postgres this year.",
                None
            ),
            "to Postgres this year."
        );
        assert_eq!(
            asked("Moving our monitoring from Nagios to Zabbix.", None),
            "to Zabbix."
        );
        assert_eq!(
            asked("Nous avons quitté Jenkins pour GitHub Actions.", None),
            "Nous avons pour GitHub Actions."
        );
        assert_eq!(asked("Help us retire our Perl scripts.", None), "Help us");
        assert_eq!(
            asked("The Nagios box is switched off in Q1.", None),
            "in Q1."
        );
        assert_eq!(
            asked("Migration d'Oracle vers PostgreSQL.", None),
            "vers PostgreSQL."
        );
        // A migration with no "from" and no target keeps its words.
        assert_eq!(
            asked("Migrate data pipelines on Airflow.", None),
            "Migrate data pipelines on Airflow."
        );
    }

    #[test]
    fn customers_investors_and_the_company_itself() {
        assert_eq!(
            asked(
                "Our customers include DigitalOcean and New Relic. You will run Kafka.",
                None
            ),
            "You will run Kafka."
        );
        assert_eq!(
            asked(
                "Nos expertises : data, cloud et IA.\nVous développerez en Python.",
                None
            ),
            "Vous développerez en Python."
        );
        assert_eq!(
            asked(
                "Grafana Labs is a remote-first, open source company. You'll use Go.",
                Some("Grafana Labs")
            ),
            "You'll use Go."
        );
    }

    /// Phrases worded as postings word them that, together, match every
    /// alternative of the cue patterns (most phrases match several).
    const CUE_EXAMPLES: &[&str] = &[
        // The work belongs to someone else.
        "The analytics team next door works in R.",
        "Our sister team owns the data lake; a sister squadron flies.",
        "Another squad builds the mobile apps.",
        "Separate teams handle billing, and different squads run the CRM.",
        "Vous suivrez la supervision sans en faire partie.",
        "You will sit with Ops without being part of it.",
        "Neighbouring teams use Java and the neighboring team uses Go.",
        "Kubernetes is their world, not yours.",
        "That is not you. Kafka is not part of this role.",
        "Outside this role we use Scala; PHP is out of scope and mobile not in scope.",
        "You'll never need to touch any of those. You won't have to write them.",
        "Go skills aren't expected and you won't be asked to code, you will not be asked.",
        "You don't write them and do not maintain any of it.",
        "Nobody expects you to know Rust; this isn't the job, not the role for you.",
        "The SRE team handles that and the platform squad takes care of it.",
        "Les équipes s'en charge that.",
        "The pipelines are maintained by the data engineering team, managed by our partners.",
        "La supervision est assurée par l'équipe exploitation, développée par nos prestataires.",
        "Les équipes produit voisines utilisent Angular; une autre équipe gère le front.",
        "Ce périmètre n'est pas rattaché au poste et les serveurs ne sont pas rattachés.",
        "Vous n'aurez pas à coder, tu n'auras pas de Java.",
        "Vous ne serez pas d'astreinte et tu ne seras pas seul.",
        "Le mainframe est hors périmètre, hors du périmètre du poste.",
        "Le COBOL ne fait pas partie du poste et les outils ne font pas partie du rôle.",
        "Le Java n'est pas attendu; PHP : pas attendues. Il ne vous sera pas demandé de coder.",
        "Ce n'est pas ton rôle. Tu n'en croiseras pas. Pas besoin de connaître Scala.",
        // Customers, investors, partners.
        "Our customers include Airbus; clients such as Total; customers like EDF.",
        "Nos clients sont des banques. Parmi nos clients : Thales. Nos références : EDF.",
        "Trusted by 500 companies, we are backed by Sequoia, funded by Accel, angels from Stripe.",
        "Our investors and venture capital firms.",
        "Ils nous font confiance. Nos investisseurs ont mené une levée de fonds.",
        "Nous sommes partenaires AWS, partenaire officiel Microsoft, partenaires certifiés.",
        "A partner of Google, AWS advanced partner, Red Hat premier partner, partners program.",
        "Official integrations with Slack and native integration with Jira.",
        "20k GitHub stars, stars on GitHub, étoiles sur GitHub.",
        // The employer describing itself.
        "Our data platform lets analysts query; notre plateforme permet de publier.",
        "Acme's open source engine powers search; our tools help teams.",
        "Nos expertises, notre expertise, nos métiers, nos domaines d'expertise, nos offres.",
        "Our expertise is data. Our customers range from banks to airlines.",
        "We are a SaaS company; we're an agency; nous sommes une ESN.",
        "Founded in 2012, fondée en 2010, créée en 2001, a certified company, certifiée ISO 27001.",
        // Teams doing something, people the hire works with.
        "Our mobile team ships the apps in React Native; the data scientists use R.",
        "Our designers use Figma; their analysts use Tableau.",
        "L'équipe data utilise dbt et nos équipes DevOps gèrent Terraform.",
        "You'll work with the DevOps and QA teams, for our security, data and platform squads.",
        "Close to security teams and to SRE/platform squads.",
        "Avec les équipes DevOps, en lien avec d'autres équipes, aux côtés des équipes produit.",
        "Auprès des équipes métier et à l'équipe support.",
        "Work with data scientists, alongside 4 ML engineers, avec des développeurs.",
        "Aux côtés des ingénieures, avec les développeuses et 12 experts.",
        // "Not required".
        "Java is not required and certifications are not mandatory.",
        "Python n'est pas requis, les diplômes ne sont pas exigés, anglais non obligatoire.",
        "Kafka : pas nécessaire.",
        // Negations.
        "No Java, not PHP, never Perl, nor Ruby, neither C, nothing else, none of them.",
        "We don't, do not, doesn't, does not, didn't, did not use it.",
        "It won't, will not, wouldn't; it isn't, aren't, wasn't, weren't; can't, cannot.",
        "Go instead of Java, Rust rather than C, no longer Perl.",
        "Pas de PHP, pas d'Angular, aucun Windows, aucune licence, ni Oracle.",
        "Go au lieu de Java, Rust plutôt que C.",
        "Vous ne ferez pas de WordPress et n'utiliserez plus Jenkins.",
        // Retirement.
        "We retire Nagios, retired Zabbix, are decommissioning the DC; we left Heroku.",
        "The migration of the Oracle base; le serveur est éteint; sunsetting Flash.",
        "Deprecated APIs, phasing out Perl, switched off the old cluster, turning off Jenkins.",
        "We shut down the DC, are moving away from AWS, ported off Python 2, off of Heroku.",
        "Leaving Jenkins behind, getting rid of Puppet, we got rid of Chef.",
        "Replacing Bamboo, rewriting the monolith, we rewrote it, removed MySQL.",
        "Deleting crons, dropped Mongo, ditching Angular, legacy code being replaced.",
        "Nous avons quitté Jenkins, abandonné SVN, décommissionné le DC, remplacé Nagios.",
        "Nous avons supprimé les crons, réécrire le monolithe, débranché Zabbix, démantelé Hadoop.",
        "La sortie de Oracle, exit Windows, fin de vie de CentOS, arrêt de Perl, arrêter le Flash.",
        "Migrer depuis MySQL, migration depuis Oracle.",
        // Migration.
        "Migrating to Postgres, moved to Go, switching to Rust, the transition to GCP.",
        "Porting to Kotlin, migré vers Azure, le passage à Kubernetes, basculer vers GitLab.",
        // "(off …)".
        "Ruby (off Rails) and Sinatra.",
    ];

    /// Texts written as postings are: the evaluation sets' descriptions.
    fn posting_texts() -> Vec<String> {
        let sets = [
            include_str!("../../../tests/fixtures/skills_eval.jsonl"),
            include_str!("../../../tests/fixtures/postings_eval/en-ats.jsonl"),
            include_str!("../../../tests/fixtures/postings_eval/en-remote-boards.jsonl"),
            include_str!("../../../tests/fixtures/postings_eval/fr-companies.jsonl"),
            include_str!("../../../tests/fixtures/postings_eval/fr-public-consulting.jsonl"),
            include_str!("../../../tests/fixtures/postings_eval/heldout.jsonl"),
        ];
        let texts: Vec<String> = sets
            .iter()
            .flat_map(|set| set.lines())
            .filter_map(|line| {
                let value: serde_json::Value = serde_json::from_str(line).ok()?;
                let text = value.get("description").or_else(|| value.get("text"))?;
                text.as_str().map(str::to_owned)
            })
            .collect();
        assert!(texts.len() > 300, "the evaluation sets were read");
        texts
    }

    /// The ranges where `pattern` matches in `lower`, in the whole text
    /// and in each sentence and clause, as `push_asked` searches them.
    fn cue_matches(pattern: &Regex, lower: &str) -> Vec<Range<usize>> {
        let whole = 0..lower.len();
        let mut pieces = vec![whole.clone()];
        for sentence in split(lower, whole, is_sentence_end) {
            pieces.extend(split(lower, sentence.clone(), is_clause_end));
            pieces.push(sentence);
        }
        pieces
            .into_iter()
            .flat_map(|piece| {
                pattern
                    .find_iter(lower[piece.clone()].as_bytes())
                    .map(move |m| piece.start + m.start()..piece.start + m.end())
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn every_cue_match_contains_a_marker() {
        let clauses = Clauses::new();
        let cues: Vec<Regex> = CUES
            .iter()
            .map(|(_, p)| RegexBuilder::new(p).unicode(false).build().unwrap())
            .collect();
        let mut checked = 0;
        for example in CUE_EXAMPLES {
            let ascii = AsciiText::new(example);
            let lower = ascii.as_str();
            let found = cues.iter().any(|cue| cue.is_match(lower.as_bytes()));
            assert!(found, "no cue pattern matches the example {example:?}");
        }
        let texts = posting_texts();
        for text in CUE_EXAMPLES
            .iter()
            .copied()
            .chain(texts.iter().map(String::as_str))
        {
            let ascii = AsciiText::new(text);
            let lower = ascii.as_str();
            let hits = clauses.cue_hits(lower.as_bytes()).hits;
            for (cue, (name, _)) in cues.iter().zip(CUES) {
                for m in cue_matches(cue, lower) {
                    checked += 1;
                    assert!(
                        hits.iter().any(|h| h.start < m.end && m.start < h.end),
                        "no marker touches {:?}, a match of {name}: add a word of it to MARKERS",
                        &lower[m.clone()],
                    );
                }
            }
        }
        assert!(checked > 1_000, "only {checked} cue matches were checked");
    }

    #[test]
    fn markers_leave_most_sentences_unsearched() {
        // The markers are a gate: if they matched everywhere, every
        // sentence would be searched for each cue again.
        let clauses = Clauses::new();
        let (mut sentences, mut touched) = (0, 0);
        for text in posting_texts() {
            let ascii = AsciiText::new(&text);
            let lower = ascii.as_str();
            let mut hint = clauses.cue_hits(lower.as_bytes());
            for sentence in split(lower, 0..lower.len(), is_sentence_end) {
                sentences += 1;
                touched += usize::from(hint.touches(&sentence));
            }
        }
        assert!(
            touched * 3 < sentences,
            "{touched} of {sentences} sentences have a marker"
        );
    }
}
