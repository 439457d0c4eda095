//! The text in which a skill word can say what a job asks for.
//!
//! The matcher ([`super::skills`]) reads words; this module decides which
//! words of a posting it is given. [`AskText`] joins the title, the
//! description and the tags, and blanks what never names an ask:
//!
//! * **links and e-mail addresses**: `https://github.com/acme`,
//!   `www.acme.fr/jobs`, `acme.io/blog/goodbye-microservices`,
//!   `clic.php?v=42`, `jobs@rust-corp.io`. A dotted word that is a skill name
//!   of the taxonomy (`Sentry.io`, `ASP.NET`) is a name, not a link, and so is
//!   a word ending like a file or a library (`Node.js/Express`, `main.rs`).
//! * **the employer's own name** where it names the organisation, when it is
//!   also a product ("Datadog is hiring", "join GitLab", "chez Docker"),
//!   after its legal form is dropped (`Datadog, Inc.` → `Datadog`). Where it
//!   names the product the job works with ("demos in Grafana", "experience
//!   with Supabase") it counts, and so does a longer skill name that starts
//!   with it ("Red Hat Enterprise Linux" in a Red Hat posting is RHEL).
//! * **sections that are not about the job**: the company's presentation,
//!   benefits, the hiring process, legal statements (see `sections`);
//! * **sentences and clauses that rule a skill out**: other teams' tools,
//!   what the job retires, negations, customers and investors, the
//!   employer describing itself (see `clauses`).
//!
//! Blanked text is replaced by one space (a skipped section by one line
//! break), so the words around it stay apart.

mod ascii;
mod clauses;
mod sections;

use std::collections::BTreeSet;

use rustc_hash::FxHashSet;

use linkify::{LinkFinder, LinkKind};

use super::skills::Taxonomy;
use super::text::fold;

/// Endings of dotted words that are code, files or libraries rather than
/// web domains (`Node.js`, `config.yaml`): such a word is a link only with a
/// scheme, `www.` or a query string.
const CODE_SUFFIXES: &[&str] = &[
    "js", "mjs", "cjs", "ts", "jsx", "tsx", "py", "rs", "rb", "go", "php", "java", "kt", "scala",
    "swift", "sql", "sh", "ps1", "css", "scss", "html", "htm", "json", "yaml", "yml", "xml",
    "toml", "ini", "conf", "md", "txt", "csv", "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx",
    "exe", "dll", "jar", "war", "so", "lock", "tf", "proto", "ipynb", "vue", "svelte",
];

/// Words after an employer's name that are its legal form or a descriptor,
/// not part of the name its products share (`Datadog, Inc.`, `Grafana Labs`).
const LEGAL_FORMS: &[&str] = &[
    "inc",
    "inc.",
    "llc",
    "ltd",
    "ltd.",
    "limited",
    "gmbh",
    "ag",
    "sa",
    "s.a.",
    "sas",
    "sasu",
    "sarl",
    "bv",
    "b.v.",
    "nv",
    "n.v.",
    "plc",
    "corp",
    "corp.",
    "corporation",
    "co",
    "co.",
    "company",
    "group",
    "groupe",
    "labs",
    "lab",
    "hq",
    "france",
    "technologies",
    "software",
    "se",
    "srl",
    "oy",
    "ab",
    "as",
    "aps",
    "pty",
];

/// Joins a posting's fields into the text the skill matcher reads, with what
/// cannot name an ask blanked (see the module docs). Built once per taxonomy.
#[derive(Debug)]
pub struct AskText {
    /// Folded-lowercase dotted skill names (`sentry.io`, `asp.net`) that a
    /// link finder would take for domains.
    dotted_names: FxHashSet<String>,
    /// The clause-level cues (negation, retirement, other teams…).
    clauses: clauses::Clauses,
    /// Every skill form, folded, to tell an employer's name from a longer
    /// skill name that starts with it.
    forms: BTreeSet<String>,
}

impl AskText {
    /// The blanking rules for `taxonomy` (whose dotted names are kept).
    pub fn new(taxonomy: &Taxonomy) -> AskText {
        let dotted_names = taxonomy
            .skills()
            .iter()
            .flat_map(|s| s.aliases.iter().chain(&s.ambiguous))
            .filter(|form| form.contains('.'))
            .map(|form| form.to_lowercase())
            .collect();
        let forms = taxonomy
            .skills()
            .iter()
            .flat_map(|s| s.aliases.iter().chain(&s.ambiguous))
            .map(|form| fold(form).into_string())
            .collect();
        AskText {
            dotted_names,
            clauses: clauses::Clauses::new(),
            forms,
        }
    }

    /// Writes into `out` (cleared first) the title, a line break, the
    /// description and each tag on its own line, with links and e-mail
    /// addresses blanked, and in the description the sections that are not
    /// about the job and the employer's name (`company`) blanked.
    pub fn write(
        &self,
        title: &str,
        description: &str,
        tags: &[String],
        company: Option<&str>,
        out: &mut String,
    ) {
        out.clear();
        out.reserve(title.len() + description.len() + 16);
        self.push_blanked(title, out);
        out.push('\n');
        let mut job = String::with_capacity(description.len());
        sections::push_job_lines(description, &mut job);
        let mut without_links = String::with_capacity(job.len());
        self.push_blanked(&job, &mut without_links);
        let name = company.and_then(employer_name);
        match company.and_then(|c| self.employer(c)) {
            Some(employer) => {
                let mut asked = String::with_capacity(without_links.len());
                self.clauses
                    .push_asked(&without_links, name.as_deref(), &mut asked);
                employer.push_blanked(&asked, out);
            }
            None => self
                .clauses
                .push_asked(&without_links, name.as_deref(), out),
        }
        for tag in tags {
            out.push('\n');
            self.push_blanked(tag, out);
        }
    }

    /// Appends `text` to `out` with its links and e-mail addresses replaced by
    /// a space.
    fn push_blanked(&self, text: &str, out: &mut String) {
        // Every link has a dot; most tags and many titles have none.
        if !text.contains('.') {
            out.push_str(text);
            return;
        }
        let mut finder = LinkFinder::new();
        finder.url_must_have_scheme(false);
        let mut copied = 0;
        for link in finder.links(text) {
            if !self.is_link(link.kind(), link.as_str()) {
                continue;
            }
            out.push_str(&text[copied..link.start()]);
            out.push(' ');
            copied = link.end();
        }
        out.push_str(&text[copied..]);
    }

    /// The employer's name as it appears in text, with the longer skill
    /// names that start with it; `None` when no skill form is a word of it
    /// (nothing to blank).
    fn employer(&self, company: &str) -> Option<Employer> {
        let name = employer_name(company)?;
        let folded = fold(&name).into_string();
        if !self.names_any_skill(&folded) {
            return None;
        }
        let longer = self
            .forms
            .range(folded.clone()..)
            .take_while(|form| form.starts_with(folded.as_str()))
            .filter(|form| form[folded.len()..].starts_with(|c: char| !c.is_alphanumeric()))
            .cloned()
            .collect();
        Some(Employer {
            lower: name.to_lowercase(),
            longer,
        })
    }

    /// Whether some skill form is `folded` or whole words of it ("Datadog",
    /// "Acme Kubernetes Services").
    fn names_any_skill(&self, folded: &str) -> bool {
        let words: Vec<&str> = folded.split(' ').collect();
        (0..words.len())
            .any(|i| (i + 1..=words.len()).any(|j| self.forms.contains(&words[i..j].join(" "))))
    }

    /// Whether a span the link finder found is a link or an address (and not
    /// a dotted name such as `Node.js/Express` or `ASP.NET`).
    fn is_link(&self, kind: &LinkKind, span: &str) -> bool {
        if *kind == LinkKind::Email {
            return true;
        }
        let lower = span.to_lowercase();
        if lower.contains("://") || lower.starts_with("www.") {
            return true;
        }
        let host_end = lower.find(['/', '?', '#', ':']).unwrap_or(lower.len());
        let (host, rest) = lower.split_at(host_end);
        if self.dotted_names.contains(host) {
            return false;
        }
        let Some((_, tld)) = host.rsplit_once('.') else {
            return false;
        };
        if !(2..=12).contains(&tld.len()) || !tld.bytes().all(|b| b.is_ascii_alphabetic()) {
            return false;
        }
        !CODE_SUFFIXES.contains(&tld) || rest.starts_with('?')
    }
}

/// An employer's name to blank in its own posting.
#[derive(Debug)]
struct Employer {
    /// The name, lowercased (compared with the lowercased text).
    lower: String,
    /// Folded skill forms that start with the name and go on ("red hat
    /// enterprise linux"): an occurrence followed by one of them is kept.
    longer: Vec<String>,
}

/// Words before an employer's name that make it the organisation ("at
/// Datadog", "rejoindre Docker").
const ORGANISATION_BEFORE: &[&str] = &[
    "at",
    "join",
    "joining",
    "about",
    "chez",
    "rejoindre",
    "rejoins",
    "rejoignez",
    "propos de",
    "work for",
    "working for",
    "works for",
    "travailler pour",
    "founded",
    "by",
];

/// Words after an employer's name that make it the organisation ("Datadog
/// is", "Docker's mission", "GitLab team members").
const ORGANISATION_AFTER: &[&str] = &[
    "is",
    "was",
    "has",
    "have",
    "are",
    "'s",
    "’s",
    "est",
    "a",
    "team",
    "teams",
    "engineers",
    "employees",
    "helps",
    "builds",
    "provides",
    "offers",
    "makes",
    "powers",
    "creates",
    "develops",
    "designs",
    "recrute",
    "propose",
    "développe",
    "accompagne",
    "offre",
    "compte",
    "conçoit",
    "édite",
    "fournit",
    "aide",
    "inc",
    "gmbh",
    "labs",
    "sas",
    "ltd",
    "llc",
    "group",
    "groupe",
    "hq",
    "employs",
    "emploie",
    "values",
    "culture",
    "office",
    "offices",
    "headquarters",
];

impl Employer {
    /// Appends `text` to `out` with each whole-word occurrence of the name
    /// that names the organisation replaced by a space (unless a longer
    /// skill name starts there).
    fn push_blanked(&self, text: &str, out: &mut String) {
        let lower = text.to_lowercase();
        if lower.len() != text.len() {
            // Lowercasing changed byte lengths (rare letters): offsets would
            // not line up, so keep the text as it is.
            out.push_str(text);
            return;
        }
        let mut copied = 0;
        for (at, _) in lower.match_indices(self.lower.as_str()) {
            let end = at + self.lower.len();
            if at < copied
                || !is_word_boundary(&lower, at, end)
                || !names_organisation(&lower, at, end)
                || self.starts_longer(text, at)
            {
                continue;
            }
            out.push_str(&text[copied..at]);
            out.push(' ');
            copied = end;
        }
        out.push_str(&text[copied..]);
    }

    /// Whether a longer skill name starts at byte `at` of `text`.
    fn starts_longer(&self, text: &str, at: usize) -> bool {
        if self.longer.is_empty() {
            return false;
        }
        let mut end = (at + 96).min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let window = fold(&text[at..end]).into_string();
        self.longer.iter().any(|form| {
            window
                .strip_prefix(form.as_str())
                .is_some_and(|rest| !rest.starts_with(|c: char| c.is_alphanumeric()))
        })
    }
}

/// Whether the name at `lower[at..end]` names the organisation: a word of
/// [`ORGANISATION_BEFORE`] before it, or of [`ORGANISATION_AFTER`] after it,
/// or it opens a sentence.
fn names_organisation(lower: &str, at: usize, end: usize) -> bool {
    let before = lower[..at].trim_end();
    let after = lower[end..].trim_start_matches([' ', ',']);
    let opens = before.is_empty() || before.ends_with(['.', '!', '?', '\n', ':']);
    opens
        || ORGANISATION_BEFORE.iter().any(|w| {
            before
                .strip_suffix(w)
                .is_some_and(|b| !b.ends_with(|c: char| c.is_alphanumeric()))
        })
        || ORGANISATION_AFTER.iter().any(|w| {
            after
                .strip_prefix(w)
                .is_some_and(|a| !a.starts_with(|c: char| c.is_alphanumeric()))
        })
}

/// Whether `text[at..end]` is a whole word (or words).
fn is_word_boundary(text: &str, at: usize, end: usize) -> bool {
    let before = text[..at].chars().next_back();
    let after = text[end..].chars().next();
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
}

/// The name an employer goes by in its postings: the company field up to a
/// comma or parenthesis, without its legal form (`Datadog, Inc.` → `Datadog`,
/// `Grafana Labs` → `Grafana`). `None` for names too short to search safely.
fn employer_name(company: &str) -> Option<String> {
    let head = company
        .split([',', '(', '|'])
        .next()
        .unwrap_or_default()
        .split(" - ")
        .next()
        .unwrap_or_default();
    let mut words: Vec<&str> = head.split_whitespace().collect();
    while words.len() > 1
        && words
            .last()
            .is_some_and(|w| LEGAL_FORMS.contains(&w.to_lowercase().as_str()))
    {
        words.pop();
    }
    let name = words.join(" ");
    (name.chars().filter(|c| c.is_alphanumeric()).count() >= 3).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask_text(description: &str) -> String {
        let taxonomy = Taxonomy::bundled().expect("bundled taxonomy");
        let mut out = String::new();
        AskText::new(&taxonomy).write("Title", description, &[], None, &mut out);
        out.trim_start_matches("Title\n").to_owned()
    }

    #[test]
    fn links_and_addresses_are_blanked() {
        for (text, want) in [
            (
                "Apply: https://jobs.example.fr/clic.php?v=12&src=php today",
                "Apply:   today",
            ),
            ("Code on github.com/acme-labs/api.", "Code on  ."),
            (
                "Read acme.io/blog/goodbye-microservices first",
                "Read   first",
            ),
            (
                "Écrire à jobs@rust-corp.io (réf. 42)",
                "Écrire à   (réf. 42)",
            ),
            ("Voir www.acme.fr/carrieres", "Voir  "),
            ("tracking clic.php?v=9f3 here", "tracking   here"),
            ("docs at kubernetes.io.", "docs at  ."),
            ("(https://example.com/python)", "( )"),
        ] {
            assert_eq!(ask_text(text), want, "{text}");
        }
    }

    #[test]
    fn dotted_skill_names_and_file_names_are_kept() {
        for text in [
            "Stack: Node.js/Express, Vue.js, Next.js",
            "ASP.NET/C# et VB.NET",
            "Monitoring with Sentry.io and Grafana",
            "Python 3.11/3.12, Django 5.0",
            "edit main.rs and config.yaml",
            "C++/Qt, C#.NET",
            "Scala/Akka. Ruby, Go.",
        ] {
            assert_eq!(ask_text(text), text);
        }
    }

    #[test]
    fn title_and_tags_are_joined_by_line_breaks() {
        let taxonomy = Taxonomy::bundled().expect("bundled taxonomy");
        let mut out = String::from("stale");
        AskText::new(&taxonomy).write(
            "Rust engineer",
            "See https://acme.dev/jobs",
            &["rust".to_owned(), "backend".to_owned()],
            None,
            &mut out,
        );
        assert_eq!(out, "Rust engineer\nSee  \nrust\nbackend");
    }

    fn employer_blanked(company: &str, description: &str) -> String {
        let taxonomy = Taxonomy::bundled().expect("bundled taxonomy");
        let mut out = String::new();
        AskText::new(&taxonomy).write("T", description, &[], Some(company), &mut out);
        out.trim_start_matches("T\n").to_owned()
    }

    #[test]
    fn the_employers_name_is_blanked_when_it_is_a_skill_name() {
        assert_eq!(
            employer_blanked(
                "Datadog, Inc.",
                "At Datadog, we monitor. You'll ship the Datadog agent."
            ),
            "At  , we monitor. You'll ship the Datadog agent."
        );
        assert_eq!(
            employer_blanked(
                "GitLab Inc.",
                "Join GitLab; the GitLab team runs GitLab on Go."
            ),
            "Join  ; the   team runs GitLab on Go."
        );
        // Not a skill name: nothing to blank.
        assert_eq!(
            employer_blanked("Acme Corp", "Acme uses Kafka."),
            "Acme uses Kafka."
        );
        // Inside another word: kept.
        assert_eq!(
            employer_blanked("Datadog", "Datadogs and DatadogHQ"),
            "Datadogs and DatadogHQ"
        );
    }

    #[test]
    fn a_longer_skill_name_starting_with_the_employers_name_counts() {
        let taxonomy = Taxonomy::bundled().expect("bundled taxonomy");
        let ask = AskText::new(&taxonomy);
        let Some(employer) = ask.employer("Elastic N.V.") else {
            panic!("\"elastic\" is a skill form");
        };
        let mut out = String::new();
        employer.push_blanked("Elastic builds the Elastic Stack.", &mut out);
        assert_eq!(out, "  builds the Elastic Stack.");
    }

    #[test]
    fn employer_names_lose_their_legal_form() {
        assert_eq!(employer_name("Datadog, Inc.").as_deref(), Some("Datadog"));
        assert_eq!(employer_name("Grafana Labs").as_deref(), Some("Grafana"));
        assert_eq!(
            employer_name("MongoDB (NASDAQ: MDB)").as_deref(),
            Some("MongoDB")
        );
        assert_eq!(
            employer_name("Docker GmbH - Berlin").as_deref(),
            Some("Docker")
        );
        assert_eq!(employer_name("SAS").as_deref(), Some("SAS"));
        assert_eq!(employer_name("R").as_deref(), None);
    }
}
