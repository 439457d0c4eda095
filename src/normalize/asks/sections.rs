//! Which sections of a description speak about the job.
//!
//! Postings follow a few well-worn outlines: a presentation of the company
//! ("Qui sommes-nous ?", "About us"), the job ("Vos missions", "What you'll
//! do"), the profile ("Profil recherché", "Requirements"), then benefits,
//! the hiring process and legal statements. Only the job and profile parts
//! say what the hire is asked for; the company part lists the group's
//! expertises and customers ("nos expertises : data, cloud et IA").
//!
//! A line is read as a heading when, once its bullets and trailing
//! punctuation are dropped, it starts with one of the phrases below and is
//! short, or the phrase is followed by `:`, `?` or `!` (an inline heading:
//! "Qui sommes-nous ? Acme est…"). A company, benefits, process or legal
//! heading starts a section that is skipped, up to the next job heading or
//! the next other line ending with `:` (a new labelled block such as "Stack
//! technique :"). Text before the first heading is read.

use std::sync::LazyLock;

use super::ascii::AsciiText;

/// A heading's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Heading {
    /// The job, the profile, the team, the stack: read.
    Job,
    /// The company, benefits, process, legal statements: skipped.
    Other,
}

/// Heading phrases about the job (folded: lowercase, no accents). Checked
/// before [`OTHER_HEADINGS`], so "about the role" is not "about …".
const JOB_HEADINGS: &[&str] = &[
    "about the role",
    "about the job",
    "your tasks",
    "tasks",
    "your team",
    "your profile",
    "your skills",
    "what you bring",
    "what you'll bring",
    "who we're looking for",
    "who we are looking for",
    "what you'll need",
    "what you need",
    "key skills",
    "desired skills",
    "preferred qualifications",
    "minimum qualifications",
    "basic qualifications",
    "bonus points",
    "a plus",
    "ce que tu feras",
    "ce que vous ferez",
    "tes responsabilites",
    "vos responsabilites",
    "ton quotidien",
    "votre quotidien",
    "au quotidien",
    "vos competences",
    "tes competences",
    "le job",
    "le role",
    "la mission",
    "atouts",
    "les plus",
    "un plus",
    "savoir-faire",
    "savoir-etre",
    "prerequis",
    "pre-requis",
    "formation",
    "diplome",
    "about the position",
    "about the team",
    "about you",
    "about this role",
    "about this job",
    "about this position",
    "a propos du poste",
    "a propos de la mission",
    "a propos de l'equipe",
    "a propos de toi",
    "a propos de vous",
    "le poste",
    "poste",
    "descriptif du poste",
    "description du poste",
    "description de la mission",
    "description de l'offre",
    "job description",
    "vos missions",
    "tes missions",
    "missions",
    "mission",
    "your mission",
    "the role",
    "role",
    "your role",
    "votre role",
    "ton role",
    "the job",
    "responsibilities",
    "key responsibilities",
    "what you'll do",
    "what you will do",
    "what you'll be doing",
    "what you will be doing",
    "profil",
    "votre profil",
    "ton profil",
    "profile",
    "requirements",
    "qualifications",
    "skills",
    "competences",
    "what we're looking for",
    "what we are looking for",
    "who you are",
    "you have",
    "you are",
    "nice to have",
    "bonus",
    "stack",
    "tech stack",
    "our stack",
    "notre stack",
    "la stack",
    "environnement technique",
    "technologies",
    "outils",
    "tools",
    "must have",
    "experience",
    "the team",
    "l'equipe",
    "votre equipe",
    "ton equipe",
    "notre equipe",
    "our team",
    "team",
    "le projet",
    "projet",
    "contexte",
    "context",
];

/// Heading phrases about anything but the job (folded).
const OTHER_HEADINGS: &[&str] = &[
    // The company.
    "about us",
    "about",
    "who we are",
    "qui sommes-nous",
    "qui sommes nous",
    "a propos",
    "l'entreprise",
    "entreprise",
    "la societe",
    "notre societe",
    "notre entreprise",
    "presentation de l'entreprise",
    "presentation de la societe",
    "presentation du groupe",
    "le groupe",
    "notre groupe",
    "our company",
    "the company",
    "company description",
    "company overview",
    "description de l'entreprise",
    "votre futur employeur",
    "l'employeur",
    "our mission",
    "notre mission",
    "our values",
    "nos valeurs",
    "our story",
    "notre histoire",
    // Benefits.
    "benefits",
    "perks",
    "what we offer",
    "what's in it for you",
    "why join us",
    "why join",
    "why you'll love",
    "our offer",
    "we offer",
    "avantages",
    "nos avantages",
    "les avantages",
    "ce que nous offrons",
    "ce que nous proposons",
    "ce que l'on offre",
    "ce qu'on t'offre",
    "ce qu'on vous offre",
    "pourquoi nous rejoindre",
    "pourquoi rejoindre",
    "remuneration",
    "salaire",
    "salary",
    "compensation",
    "informations complementaires",
    // Process.
    "recruitment process",
    "hiring process",
    "interview process",
    "our process",
    "processus de recrutement",
    "process de recrutement",
    "deroulement des entretiens",
    "le process",
    "how to apply",
    "comment postuler",
    "pour postuler",
    // Legal statements.
    "equal opportunity",
    "equal employment opportunity",
    "diversity",
    "diversite",
    "accessibility",
    "handicap",
    "inclusion",
    "privacy",
];

/// Longest heading line (in folded bytes) read as a heading without a
/// trailing `:`, `?` or `!`.
const MAX_HEADING: usize = 60;

/// Longest line (in words) that may be an unlisted heading: after a skipped
/// section, such a line ("Your mission", "Stack") starts reading again.
const MAX_UNLISTED_HEADING_WORDS: usize = 4;

/// Appends to `out` the lines of `description` that are not in a company,
/// benefits, process or legal section; each skipped run of lines becomes
/// one line break.
pub(crate) fn push_job_lines(description: &str, out: &mut String) {
    let mut reading = true;
    let mut skipped = false;
    for line in description.split_inclusive('\n') {
        match heading(line) {
            Some(Heading::Job) => reading = true,
            Some(Heading::Other) => reading = false,
            None if !reading && (line.trim_end().ends_with(':') || looks_like_heading(line)) => {
                reading = true;
            }
            None => {}
        }
        if reading {
            out.push_str(line);
            skipped = false;
        } else if !skipped {
            out.push('\n');
            skipped = true;
        }
    }
}

/// Whether `line` looks like a heading the lists do not have: a few words,
/// capitalised, with no sentence punctuation and no figures.
fn looks_like_heading(line: &str) -> bool {
    let line = line
        .trim()
        .trim_start_matches(|c: char| !c.is_alphanumeric())
        .trim_end_matches([':', '?', '!', ' ']);
    line.chars().next().is_some_and(char::is_uppercase)
        && line.split_whitespace().count() <= MAX_UNLISTED_HEADING_WORDS
        && !line.contains(['.', ',', ';', '€', '$', '%'])
        && !line.chars().any(|c| c.is_ascii_digit())
}

/// The kind of heading `line` starts with, if any.
fn heading(line: &str) -> Option<Heading> {
    let line = line.trim_start_matches(|c: char| !c.is_alphanumeric());
    // Only the head of a long line can be a heading.
    let mut head_end = line.len().min(MAX_HEADING * 2);
    while !line.is_char_boundary(head_end) {
        head_end -= 1;
    }
    let head = AsciiText::new(&line[..head_end]);
    let head = head.as_str().trim();
    let whole_line = line.len() == head_end;
    let short = whole_line && head.len() <= MAX_HEADING;
    let first = *head.as_bytes().first()?;
    // Job phrases come first in each bucket: a line that starts both a job
    // phrase and another ("about the role", "about") is about the job.
    PHRASES_BY_FIRST_BYTE[usize::from(first)]
        .iter()
        .find(|(_, phrase)| starts_heading(head, phrase, short))
        .map(|&(kind, _)| kind)
}

/// The heading phrases by their first byte, job phrases before the others
/// in each list: every line of every description is looked up here.
static PHRASES_BY_FIRST_BYTE: LazyLock<Vec<Vec<(Heading, &'static str)>>> = LazyLock::new(|| {
    let mut by_first = vec![Vec::new(); 256];
    let job = JOB_HEADINGS.iter().map(|p| (Heading::Job, *p));
    let other = OTHER_HEADINGS.iter().map(|p| (Heading::Other, *p));
    for (kind, phrase) in job.chain(other) {
        if let Some(&first) = phrase.as_bytes().first() {
            by_first[usize::from(first)].push((kind, phrase));
        }
    }
    by_first
});

/// Whether `head` (a folded line start) is a heading made of `phrase`.
fn starts_heading(head: &str, phrase: &str, short: bool) -> bool {
    let Some(rest) = head.strip_prefix(phrase) else {
        return false;
    };
    if rest.starts_with(|c: char| c.is_alphanumeric()) {
        return false;
    }
    // Up to 4 words may follow the phrase ("About Acme", "Profil
    // recherché"), then `:`, `?`, `!` or the end of a short line.
    let rest = rest.trim_start();
    let (words, marked) = match rest.find([':', '?', '!']) {
        Some(at) => (&rest[..at], true),
        None => (rest, false),
    };
    let few_words = !words.contains(['.', ',', ';']) && words.split_whitespace().count() <= 4;
    few_words && (marked || short)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job_lines(description: &str) -> String {
        let mut out = String::new();
        push_job_lines(description, &mut out);
        out
    }

    #[test]
    fn company_benefits_and_process_sections_are_skipped() {
        let text = "Qui sommes-nous ?\n\
                    Acme est une ESN de 800 personnes. Nos expertises : data, cloud et IA.\n\
                    Vos missions\n\
                    Administrer les serveurs Linux.\n\
                    Profil recherché :\n\
                    Ansible, PostgreSQL.\n\
                    Avantages\n\
                    Tickets restaurant, formations AWS.\n\
                    Déroulement des entretiens\n\
                    Un test technique Python.\n";
        assert_eq!(
            job_lines(text),
            "\nVos missions\nAdministrer les serveurs Linux.\nProfil recherché :\nAnsible, PostgreSQL.\n\n"
        );
    }

    #[test]
    fn inline_headings_and_labelled_blocks() {
        let text = "About Acme: we build observability tools used by Kubernetes teams.\n\
                    Our values\n\
                    Ownership.\n\
                    Tech stack:\n\
                    Go, Kafka.\n";
        assert_eq!(job_lines(text), "\nTech stack:\nGo, Kafka.\n");
        // "About the role" is the job, not the company.
        let role = "About the role\nRust services.\n";
        assert_eq!(job_lines(role), role);
        // An unlisted heading after a skipped section starts reading again.
        let tasks = "About us\nAcme sells solar parks.\nDeine Aufgaben\nPython and pandas.\n";
        assert_eq!(job_lines(tasks), "\nDeine Aufgaben\nPython and pandas.\n");
    }

    #[test]
    fn sentences_that_start_like_headings_are_text() {
        // Long lines with no colon are sentences, not headings.
        let text = "Benefits of working with Terraform at scale are obvious to you and you have shipped modules.\n\
                    About 20 engineers use Rust daily here, with Tokio and Axum in production services.\n";
        assert_eq!(job_lines(text), text);
    }
}
