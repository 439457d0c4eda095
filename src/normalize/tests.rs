//! The normalizer on the words that are not asks (issue 12, item 5): each
//! example goes through [`Normalizer::extract`], as `skilltrack extract` does.

use super::*;

/// The bundled normalizer, built once for all the tests here.
fn normalizer() -> &'static Normalizer {
    static NORMALIZER: std::sync::OnceLock<Normalizer> = std::sync::OnceLock::new();
    NORMALIZER.get_or_init(|| Normalizer::bundled().expect("bundled data"))
}

/// Direct and implied skills of a posting.
fn skills(title: &str, company: Option<&str>, description: &str) -> Vec<String> {
    let raw = RawPosting {
        external_id: "1".into(),
        title: title.into(),
        company: company.map(str::to_owned),
        description: description.into(),
        ..RawPosting::default()
    };
    let found = normalizer().extract(&raw);
    found
        .skills
        .iter()
        .chain(&found.implied_skills)
        .map(|s| s.as_str().to_owned())
        .collect()
}

/// Whether `id` was found; `id` must be a taxonomy id (so that a test of
/// absence cannot pass on a misspelt id).
fn has(found: &[String], id: &str) -> bool {
    assert!(
        normalizer().taxonomy().get(id).is_some(),
        "{id} is not a taxonomy id"
    );
    found.iter().any(|s| s == id)
}

#[test]
fn words_inside_links_and_addresses_are_not_mentions() {
    let found = skills(
        "Développeur Java H/F",
        Some("Acme"),
        "Vous développerez nos services en Java 21 et Spring Boot.\n\
         Postuler : https://jobs.example.fr/clic.php?v=8f2a&src=php\n\
         Notre code : github.com/acme/api — lisez acme.io/blog/goodbye-microservices\n\
         Contact : recrutement-python@acme.fr",
    );
    assert!(
        has(&found, "java") && has(&found, "spring-boot"),
        "{found:?}"
    );
    for absent in ["php", "github", "git", "microservices", "python"] {
        assert!(!has(&found, absent), "{absent} in {found:?}");
    }
    // Written as a word, the same names count.
    let found = skills("Dev", None, "Stack: PHP 8, GitHub Actions, microservices.");
    assert!(has(&found, "php") && has(&found, "github-actions") && has(&found, "microservices"));
}

#[test]
fn customers_investors_and_the_employers_own_name_are_not_asks() {
    let found = skills(
        "Support Engineer",
        Some("Datadog, Inc."),
        "Datadog is the monitoring platform for cloud applications. Our customers include \
         DigitalOcean, New Relic and Cloudflare. We're backed by investors from Databricks.\n\
         What you'll do\nDebug customer issues on Linux and Kubernetes, write Python tooling.",
    );
    for absent in [
        "datadog",
        "digitalocean",
        "new-relic",
        "cloudflare",
        "databricks",
    ] {
        assert!(!has(&found, absent), "{absent} in {found:?}");
    }
    for present in ["linux", "kubernetes", "python"] {
        assert!(has(&found, present), "{present} missing from {found:?}");
    }
    // The employer's product as the tool of the job still counts.
    let found = skills(
        "Solutions Engineer",
        Some("Grafana Labs"),
        "Build tailored demos in Grafana and Prometheus for prospects.",
    );
    assert!(
        has(&found, "grafana") && has(&found, "prometheus"),
        "{found:?}"
    );
}

#[test]
fn the_company_presentation_and_other_teams_are_not_the_job() {
    let found = skills(
        "Administrateur systèmes Linux (H/F)",
        Some("Groupe Exemple"),
        "Qui sommes-nous ?\n\
         Groupe Exemple est une ESN de 2 000 collaborateurs. Nos expertises : data, cloud et IA, \
         DevOps et cybersécurité.\n\
         Vos missions\n\
         Administrer 300 serveurs RHEL en lien avec les équipes DevOps et QA.\n\
         Automatiser avec Ansible.\n\
         Avantages\n\
         Formation Python offerte, tickets restaurant.",
    );
    for absent in ["artificial-intelligence", "devops", "python"] {
        assert!(!has(&found, absent), "{absent} in {found:?}");
    }
    for present in ["rhel", "linux", "ansible"] {
        assert!(has(&found, present), "{present} missing from {found:?}");
    }
    let found = skills(
        "Backend Engineer",
        None,
        "Our analytics team next door works in R and Tableau; you won't need either. \
         Our mobile team ships the apps in React Native; you'll agree API contracts with them. \
         You will build Go services on PostgreSQL.",
    );
    for absent in ["r", "tableau", "react-native", "react"] {
        assert!(!has(&found, absent), "{absent} in {found:?}");
    }
    assert!(has(&found, "go") && has(&found, "postgresql"), "{found:?}");
}

#[test]
fn negations_and_what_the_job_replaces_are_not_asks() {
    let found = skills(
        "Senior Engineer",
        None,
        "We write Ruby (off Rails) and Hotwire. No Java, no Scala here. \
         The last MySQL clusters are being migrated to PostgreSQL this year. \
         Help us retire our Perl scripts. Nous avons quitté Jenkins pour GitHub Actions.",
    );
    for absent in ["ruby-on-rails", "java", "scala", "mysql", "perl", "jenkins"] {
        assert!(!has(&found, absent), "{absent} in {found:?}");
    }
    for present in ["ruby", "postgresql", "github-actions"] {
        assert!(has(&found, present), "{present} missing from {found:?}");
    }
}
