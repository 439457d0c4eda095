//! Unit tests: loading, validation messages, boundaries and ambiguity rules.

use super::*;
use crate::extract::value::{html_to_text, plain_text};

fn bundled() -> (Taxonomy, SkillMatcher) {
    let t = Taxonomy::bundled().expect("bundled taxonomy is valid");
    let m = SkillMatcher::new(&t);
    (t, m)
}

fn has(m: &SkillMatcher, text: &str, id: &str) -> bool {
    m.find(text).skills.contains(&id)
}

#[track_caller]
fn yes(m: &SkillMatcher, text: &str, id: &str) {
    assert!(
        has(m, text, id),
        "expected {id} in {text:?}: {:?}",
        m.find(text)
    );
}

#[track_caller]
fn no(m: &SkillMatcher, text: &str, id: &str) {
    assert!(
        !has(m, text, id),
        "did not expect {id} in {text:?}: {:?}",
        m.find(text)
    );
}

#[test]
fn bundled_counts_and_metadata() {
    let (t, _) = bundled();
    let certs = t
        .skills()
        .iter()
        .filter(|s| s.category == Category::Certification)
        .count();
    assert!(
        t.skills().len() - certs >= 400,
        "skills: {}",
        t.skills().len() - certs
    );
    assert!(certs >= 60, "certifications: {certs}");
    assert_eq!(t.version(), "2026.12.0");
    assert!(t.get("open-source").is_some());
    let cert = t.get("scikit-learn-certification").expect("probabl cert");
    assert_eq!(cert.issuer.as_deref(), Some("Probabl"));
    assert_eq!(
        t.get("rhcsa").and_then(|s| s.level.as_deref()),
        Some("associate")
    );
    for s in t.skills() {
        let has_rules = !(s.ambiguous.is_empty() && s.exclude.is_empty());
        assert!(
            !has_rules || s.note.is_some(),
            "{} has rules but no note",
            s.id
        );
    }
}

#[test]
fn fingerprint_is_stable_and_content_based() {
    let (t, _) = bundled();
    assert_eq!(
        t.fingerprint(),
        Taxonomy::bundled().expect("valid").fingerprint()
    );
    let a = Taxonomy::from_toml_str(SMALL, "a.toml").expect("valid");
    let b = Taxonomy::from_toml_str(&SMALL.replace("1.0", "1.1"), "b.toml").expect("valid");
    assert_ne!(a.fingerprint(), b.fingerprint());
    assert_ne!(a.fingerprint(), t.fingerprint());
}

#[test]
fn category_round_trip() {
    for c in Category::ALL {
        assert_eq!(c.as_str().parse::<Category>(), Ok(c));
    }
    assert!("cloud".parse::<Category>().is_err());
    assert_eq!(Category::DataAi.to_string(), "data-ai");
}

const SMALL: &str = r#"
version = "1.0"

[[skill]]
id = "linux"
label = "Linux"
category = "os"
aliases = ["linux"]

[[skill]]
id = "rhcsa"
label = "RHCSA"
category = "certification"
issuer = "Red Hat"
level = "associate"
aliases = ["rhcsa"]
implies = ["rhel"]

[[skill]]
id = "rhel"
label = "RHEL"
category = "os"
aliases = ["rhel"]
implies = ["linux"]
"#;

#[test]
fn small_taxonomy_implications() {
    let t = Taxonomy::from_toml_str(SMALL, "small.toml").expect("valid");
    let m = SkillMatcher::new(&t);
    let r = m.find("RHCSA exigée");
    assert_eq!(r.skills, vec!["rhcsa"]);
    assert_eq!(r.implied, vec!["linux", "rhel"]);
    let r = m.find("RHCSA, RHEL 9 et Linux");
    assert_eq!(r.skills, vec!["linux", "rhcsa", "rhel"]);
    assert!(r.implied.is_empty());
    assert_eq!(m.find("").skills, Vec::<String>::new());
}

const BROKEN: &str = r#"
version = "0.1"
colour = "blue"

[[skill]]
id = "go"
label = "Go"
category = "language"
aliases = ["golang", ""]
implies = ["unknown-thing"]
colour = "red"

[[skill]]
id = "go-lang"
label = "Go again"
category = "langage"
aliases = ["Golang"]

[[skill]]
id = "Bad_Id"
label = "Bad"
category = "certification"
aliases = ["bad"]

[[skill]]
id = "a"
label = "A"
category = "practice"
aliases = ["a-skill"]
implies = ["b"]

[[skill]]
id = "b"
label = "B"
category = "practice"
aliases = ["b-skill"]
implies = ["a"]

[[skill]]
id = "a"
label = "A twice"
category = "practice"
aliases = ["a twice"]
"#;

#[test]
fn broken_taxonomy_reports_every_problem() {
    let err = Taxonomy::from_toml_str(BROKEN, "data/skills.toml").expect_err("must fail");
    let TaxonomyError::Invalid { origin, problems } = &err else {
        panic!("unexpected error kind: {err}");
    };
    assert_eq!(origin, "data/skills.toml");
    let expected = [
        "unknown top-level key \"colour\"",
        "skill \"go\": unknown key \"colour\"",
        "skill \"go\": empty alias \"\"",
        "skill \"go-lang\": unknown category \"langage\"",
        "skill \"go-lang\": alias \"Golang\" is also claimed by skill \"go\"",
        "skill \"Bad_Id\": id is not kebab-case",
        "skill \"Bad_Id\": certification without issuer",
        "skill \"a\": duplicate id",
        "skill \"go\": implies unknown skill \"unknown-thing\"",
        "skill \"a\": implies cycle a -> b -> a",
    ];
    for e in expected {
        assert!(
            problems.iter().any(|p| p == e),
            "missing {e:?} in {problems:#?}"
        );
    }
    assert_eq!(problems.len(), expected.len(), "{problems:#?}");
    let shown = err.to_string();
    assert!(shown.contains(
        "data/skills.toml: skill \"go-lang\": alias \"Golang\" is also claimed by skill \"go\"\n"
    ));
    assert_eq!(shown.lines().count(), expected.len());
}

#[test]
fn syntax_and_type_errors() {
    let err = Taxonomy::from_toml_str("version = ", "x.toml").expect_err("syntax");
    assert!(matches!(err, TaxonomyError::Syntax { .. }), "{err}");
    let src = "version = \"1\"\n[[skill]]\nid = \"x\"\nlabel = \"X\"\ncategory = \"os\"\naliases = \"x\"\n";
    let err = Taxonomy::from_toml_str(src, "x.toml").expect_err("type");
    assert!(
        err.to_string().starts_with("x.toml: skill \"x\": "),
        "{err}"
    );
    let src = "version = \"1\"\n[[skill]]\nid = \"x\"\nlabel = \"X\"\ncategory = \"os\"\naliases = [\"x\"]\nissuer = \"Me\"\ncase = [\"X\"]\n";
    let err = Taxonomy::from_toml_str(src, "x.toml").expect_err("rules");
    let shown = err.to_string();
    assert!(
        shown.contains("issuer is only allowed on certifications"),
        "{shown}"
    );
    assert!(shown.contains("case \"X\" is not the spelling"), "{shown}");
}

#[test]
fn boundaries() {
    let (_, m) = bundled();
    no(&m, "JavaScript only", "java");
    yes(&m, "Java et JavaScript", "java");
    yes(&m, "We use Python.", "python");
    yes(&m, "C++ developer", "cpp");
    no(&m, "c+++ is not a language", "cpp");
    yes(&m, "C# / .NET 8", "dotnet");
    yes(&m, "C# / .NET 8", "csharp");
    // .net needs a non-alphanumeric char before its dot.
    let r = m.find("ASP.NET Core MVC");
    assert_eq!(r.skills, vec!["aspnet"]);
    assert_eq!(r.implied, vec!["dotnet"]);
    no(&m, "see example.net for details", "dotnet");
    yes(&m, "Node.js, Vue.js et React.js", "nodejs");
    yes(&m, "Node.js, Vue.js et React.js", "vue");
    yes(&m, "Node.js, Vue.js et React.js", "react");
    no(&m, "Node.js, Vue.js et React.js", "javascript");
    yes(&m, "Sécurité : SELinux, AppArmor", "selinux");
    yes(&m, "ÉLASTICSEARCH et POSTGRÉSQL", "elasticsearch");
    no(&m, "pythonic code", "python");
    yes(&m, "k8s, kubernete, postgre", "kubernetes");
    yes(&m, "k8s, kubernete, postgre", "postgresql");
}

#[test]
fn longest_valid_wins() {
    let (_, m) = bundled();
    let r = m.find("Google Cloud Platform");
    assert_eq!(r.skills, vec!["gcp"]);
    let r = m.find("Apache Spark");
    assert_eq!(r.skills, vec!["apache-spark"]);
    // "sap fi" fails its boundary inside "sap field" and must not hide "sap".
    yes(&m, "SAP field services", "sap");
    no(&m, "SAP field services", "sap-fico");
    yes(&m, "SAP FI/CO", "sap-fico");
    // A certification phrase wins over the technology it contains.
    let r = m.find("scikit-learn certification");
    assert_eq!(r.skills, vec!["scikit-learn-certification"]);
    assert!(r.implied.contains(&"scikit-learn"));
}

#[test]
fn chef_rules() {
    let (_, m) = bundled();
    no(&m, "Chef de projet Linux", "chef");
    no(&m, "Chef d'équipe réseau, Ansible", "chef");
    no(&m, "Chef d\u{2019}équipe, Ansible", "chef");
    no(&m, "Chef de produit Kubernetes", "chef");
    no(&m, "Head chef, French cuisine", "chef");
    yes(&m, "automatisation avec Chef et Ansible", "chef");
    yes(&m, "configuration management (Chef, Puppet)", "chef");
}

#[test]
fn go_rules() {
    let (_, m) = bundled();
    yes(&m, "Backend developer in Go", "go");
    yes(&m, "golang", "go");
    yes(&m, "Python, Go, Rust", "go");
    no(&m, "Go-to-market strategy with Python", "go");
    no(&m, "Go live in March, Python scripts", "go");
    no(&m, "Let's go! Python developer", "go");
    no(&m, "on the go, python", "go");
    no(&m, "we go further with Python", "go");
    no(&m, "Portable 16 Go de RAM, Linux", "go");
    no(&m, "Go", "go");
}

#[test]
fn r_and_c_rules() {
    let (_, m) = bundled();
    yes(&m, "Python, R, SQL", "r");
    yes(&m, "statistical programming in R", "r");
    no(&m, "Ingénieur R&D, Python", "r");
    no(&m, "R & D team, Python", "r");
    no(&m, "r, python", "r");
    yes(&m, "Développeur C/C++", "c");
    yes(&m, "firmware en C sur microcontrôleur", "c");
    no(&m, "C'est un poste Python", "c");
    no(&m, "C-level stakeholders, Python", "c");
    no(&m, "catégorie C, Python", "c");
    no(&m, "Series C startup, Python", "c");
    no(&m, "levée de série C, Python", "c");
    no(&m, "c, python", "c");
}

#[test]
fn other_ambiguous_rules() {
    let (_, m) = bundled();
    no(&m, "spark joy and spark curiosity", "apache-spark");
    yes(&m, "Spark et Hadoop", "apache-spark");
    no(&m, "Spark", "apache-spark");
    no(&m, "SWIFT payments, SQL", "swift");
    yes(&m, "iOS: Swift, SwiftUI", "swift");
    no(&m, "react to incidents quickly", "react");
    no(&m, "Able to react quickly, Python", "react");
    yes(&m, "React, TypeScript", "react");
    no(&m, "Point de vue client, en vue de Python", "vue");
    yes(&m, "Vue et Angular en front-end", "vue");
    no(&m, "Puppet show for kids", "puppet");
    yes(&m, "Puppet, Ansible", "puppet");
    no(&m, "Salt Lake City office, Ansible", "saltstack");
    no(&m, "apache license, Python", "apache-httpd");
    yes(&m, "Apache httpd et Nginx", "apache-httpd");
    no(&m, "tableau de bord, Python", "tableau");
    yes(&m, "Tableau, Power BI", "tableau");
    no(&m, "you will excel at SQL", "excel");
    yes(&m, "Excel, VBA", "excel");
    no(&m, "SAFe harbour, safe place", "safe");
    yes(&m, "SAFe, agile release train", "safe");
    no(&m, "guard rails everywhere", "ruby-on-rails");
    yes(&m, "Ruby, Rails, RSpec", "ruby-on-rails");
    no(&m, "Spring 2026 internship in Java", "spring");
    yes(&m, "Java, Spring", "spring");
    no(&m, "lab flask cleaning", "flask");
    yes(&m, "Python/Flask", "flask");
    no(&m, "digital nomad, Terraform", "nomad");
    no(&m, "OSS/BSS telecom", "open-source");
    yes(&m, "logiciels libres, FOSS", "open-source");
    yes(&m, "Open-Source", "open-source");
    no(&m, "Aix-en-Provence, Linux", "aix");
    yes(&m, "AIX, Solaris", "aix");
    no(&m, "PCAP files in Wireshark", "pcap");
    yes(&m, "PCAP/PCEP", "pcap");
    no(&m, "weekly RAG status, LLM", "rag");
    no(&m, "500 ML, Python", "machine-learning");
    yes(&m, "ML, Python", "machine-learning");
    no(&m, "J'ai rejoint, Python", "artificial-intelligence");
    no(&m, "Linux Foundation LFCS", "linux");
}

/// HTML reaches the matcher as extract turns it into text
/// (`extract::value::plain_text`, after `html_to_text` for a description).
#[test]
fn html_and_french_forms() {
    let (_, m) = bundled();
    let r = m.find(&plain_text("<p>Apprentissage automatique&nbsp;&amp; int&eacute;gration continue</p><li>Logiciel libre</li>"));
    assert_eq!(r.skills, vec!["ci-cd", "machine-learning", "open-source"]);
    yes(
        &m,
        &plain_text("&lt;li&gt;PostgreSQL&lt;/li&gt;"),
        "postgresql",
    );
    yes(&m, &plain_text("D&#39;ANSIBLE ET DE TERRAFORM"), "ansible");
    let html =
        "&lt;p&gt;Apprentissage automatique&amp;amp;nbsp;&lt;/p&gt;&lt;li&gt;PostgreSQL&lt;/li&gt;";
    let r = m.find(&plain_text(&html_to_text(html)));
    assert_eq!(r.skills, vec!["machine-learning", "postgresql"]);
}

#[test]
fn matches_are_sorted_disjoint_and_deduplicated() {
    let (_, m) = bundled();
    let r = m.find("Python python PYTHON Django, Kubernetes, CKA, k8s");
    assert_eq!(r.skills, vec!["cka", "django", "kubernetes", "python"]);
    assert!(r.implied.iter().all(|i| !r.skills.contains(i)));
    let mut sorted = r.implied.clone();
    sorted.sort();
    assert_eq!(sorted, r.implied);
}

#[test]
fn matcher_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<SkillMatcher>();
    check::<Taxonomy>();
}

/// The matcher gives exactly what the reference implementation (the first,
/// unanchored one) gives, on texts stitched from every taxonomy form, label,
/// case spelling, exclude phrase and context word with separators that probe
/// the boundary rules.
#[test]
fn same_results_as_reference_matcher() {
    let (t, m) = bundled();
    let r = super::reference::SkillMatcher::new(&t);
    let mut words: Vec<String> = Vec::new();
    for s in t.skills() {
        words.push(s.label.clone());
        for list in [&s.aliases, &s.ambiguous, &s.case, &s.exclude, &s.context] {
            for w in list {
                let w = w.trim_end_matches('*');
                words.push(w.to_string());
                words.push(w.to_uppercase());
            }
        }
    }
    let seps = [
        " ", " ", " ", ", ", "/", ".", "-", "+", "++", "#", "_", "", "é", "É", "\u{2019}", "<p>",
        "&amp;", "\n", "x", "9", " (", ") ", " de ", "\u{a0}", "°", "*",
    ];
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    for _ in 0..4000 {
        let mut text = String::new();
        for _ in 0..1 + next(30) {
            text.push_str(&words[next(words.len())]);
            text.push_str(seps[next(seps.len())]);
        }
        assert_eq!(m.find(&text), r.find(&text), "{text:?}");
    }
    // Long texts, where many occurrences compete for spans and context
    // (the matcher indexes them instead of scanning; same answers).
    for _ in 0..40 {
        let mut text = String::new();
        for _ in 0..500 + next(2500) {
            text.push_str(&words[next(words.len())]);
            text.push_str(seps[next(seps.len())]);
        }
        assert_eq!(
            m.find(&text),
            r.find(&text),
            "a text of {} bytes",
            text.len()
        );
    }
}

// ---- families (implies) and prerequisites (requires), issue 12 ----------

/// The skills matched in `text`: (direct, implied).
fn found<'m>(m: &'m SkillMatcher, text: &str) -> (Vec<&'m str>, Vec<&'m str>) {
    let r = m.find(text);
    (r.skills, r.implied)
}

const RELATIONS: &str = r#"
version = "1.0"

[[skill]]
id = "python"
label = "Python"
category = "language"
aliases = ["python"]

[[skill]]
id = "django"
label = "Django"
category = "framework"
aliases = ["django"]
requires = ["python"]

[[skill]]
id = "linux"
label = "Linux"
category = "os"
aliases = ["linux"]

[[skill]]
id = "rhel"
label = "RHEL"
category = "os"
aliases = ["rhel"]
implies = ["linux"]
requires = ["systemd"]

[[skill]]
id = "systemd"
label = "systemd"
category = "os"
aliases = ["systemd"]
requires = ["linux"]
"#;

#[test]
fn requires_is_loaded_and_never_counted() {
    let t = Taxonomy::from_toml_str(RELATIONS, "relations.toml").expect("valid");
    assert_eq!(
        t.get("django").map(|s| s.requires.clone()),
        Some(vec!["python".to_string()])
    );
    assert!(t.get("django").is_some_and(|s| s.implies.is_empty()));
    let m = SkillMatcher::new(&t);
    assert_eq!(found(&m, "Django developer"), (vec!["django"], vec![]));
    // A family is counted; the prerequisites of the family member are not,
    // neither are those of the family.
    assert_eq!(found(&m, "RHEL 9"), (vec!["rhel"], vec!["linux"]));
    assert_eq!(
        found(&m, "Django, Python"),
        (vec!["django", "python"], vec![])
    );
}

const BAD_RELATIONS: &str = r#"
version = "1.0"

[[skill]]
id = "python"
label = "Python"
category = "language"
aliases = ["python"]
requires = ["python"]

[[skill]]
id = "django"
label = "Django"
category = "framework"
aliases = ["django"]
implies = ["python"]
requires = ["python", "pyhton"]

[[skill]]
id = "rhel"
label = "RHEL"
category = "os"
aliases = ["rhel"]
implies = ["rhel"]

[[skill]]
id = "a"
label = "A"
category = "practice"
aliases = ["a-skill"]
requires = ["b"]

[[skill]]
id = "b"
label = "B"
category = "practice"
aliases = ["b-skill"]
requires = ["a"]
"#;

#[test]
fn requires_is_validated_like_implies() {
    let err = Taxonomy::from_toml_str(BAD_RELATIONS, "data/skills.toml").expect_err("must fail");
    let TaxonomyError::Invalid { problems, .. } = &err else {
        panic!("unexpected error kind: {err}");
    };
    let expected = [
        "skill \"python\": requires itself",
        "skill \"django\": requires unknown skill \"pyhton\"",
        "skill \"django\": \"python\" is in both implies and requires",
        "skill \"rhel\": implies itself",
        "skill \"a\": requires cycle a -> b -> a",
    ];
    for e in expected {
        assert!(
            problems.iter().any(|p| p == e),
            "missing {e:?} in {problems:#?}"
        );
    }
    assert_eq!(problems.len(), expected.len(), "{problems:#?}");
    assert!(err
        .to_string()
        .contains("data/skills.toml: skill \"django\": requires unknown skill \"pyhton\""));
}

#[test]
fn a_requires_key_outside_a_list_is_a_type_error_naming_the_entry() {
    let src = "version = \"1\"\n[[skill]]\nid = \"x\"\nlabel = \"X\"\ncategory = \"os\"\naliases = [\"x\"]\nrequires = \"linux\"\n";
    let err = Taxonomy::from_toml_str(src, "x.toml").expect_err("type");
    assert!(
        err.to_string().starts_with("x.toml: skill \"x\": "),
        "{err}"
    );
}

/// Issue 12: frameworks, libraries and tools used with a platform are
/// prerequisites, not families: naming them counts them alone.
#[test]
fn prerequisites_are_not_counted() {
    let (t, m) = bundled();
    for (text, direct, never) in [
        ("Développeur Django (H/F)", "django", "python"),
        ("Backend: FastAPI, SQLAlchemy", "fastapi", "python"),
        ("Data wrangling with pandas and NumPy", "pandas", "python"),
        ("Deep learning with PyTorch", "pytorch", "python"),
        ("Front-end React 18 et Redux", "react", "javascript"),
        ("Développeur Vue.js", "vue", "javascript"),
        ("Angular 17, RxJS", "angular", "typescript"),
        ("TypeScript everywhere", "typescript", "javascript"),
        ("Next.js and Vercel", "nextjs", "react"),
        ("Ruby on Rails engineer", "ruby-on-rails", "ruby"),
        ("Laravel et Symfony", "laravel", "php"),
        ("Spring Boot 3, Kafka", "spring-boot", "java"),
        ("Flutter mobile developer", "flutter", "dart"),
        ("API en NestJS", "nestjs", "nodejs"),
        ("Node.js backend", "nodejs", "javascript"),
        ("Helm charts and Argo CD", "helm", "kubernetes"),
        ("Helm charts and Argo CD", "argocd", "kubernetes"),
        ("Service mesh Istio", "istio", "kubernetes"),
        (
            "PostGIS pour les données géographiques",
            "postgis",
            "postgresql",
        ),
    ] {
        let (skills, implied) = found(&m, text);
        assert!(skills.contains(&direct), "{direct} in {text:?}: {skills:?}");
        assert!(
            !skills.contains(&never) && !implied.contains(&never),
            "{never} counted in {text:?}: {skills:?} / {implied:?}"
        );
    }
    // The prerequisite is still shown in the taxonomy.
    for (id, prerequisite) in [
        ("django", "python"),
        ("react", "javascript"),
        ("typescript", "javascript"),
        ("nextjs", "react"),
        ("ruby-on-rails", "ruby"),
        ("angular", "typescript"),
        ("express", "nodejs"),
        ("helm", "kubernetes"),
        ("argocd", "kubernetes"),
        ("phoenix", "elixir"),
        ("spring", "java"),
    ] {
        let skill = t.get(id).expect("known id");
        assert!(
            skill.requires.iter().any(|r| r == prerequisite),
            "{id} requires {prerequisite}: {:?}",
            skill.requires
        );
        assert!(!skill.implies.iter().any(|r| r == prerequisite), "{id}");
    }
}

/// Issue 12: a posting naming a member of a family asks for the family.
#[test]
fn families_are_counted() {
    let (_, m) = bundled();
    for (text, direct, families) in [
        ("Plateforme OpenShift 4", "openshift", &["kubernetes"][..]),
        ("Clusters EKS", "eks", &["aws", "kubernetes"]),
        ("K3s on the edge", "k3s", &["kubernetes"]),
        ("Serveurs RHEL 9", "rhel", &["linux"]),
        ("Ubuntu LTS servers", "ubuntu", &["linux"]),
        ("Certification RHCSA exigée", "rhcsa", &["linux", "rhel"]),
        ("CKA appreciated", "cka", &["kubernetes"]),
        (
            "Supervision : stack ELK",
            "elastic-stack",
            &["elasticsearch", "kibana", "logstash"],
        ),
        (
            "Logs in the Elastic Stack",
            "elastic-stack",
            &["elasticsearch", "kibana", "logstash"],
        ),
        (
            "Logs centralisés (EFK)",
            "efk-stack",
            &["elasticsearch", "fluentd", "kibana"],
        ),
        ("Code hébergé sur GitLab", "gitlab", &["git"]),
        ("We use GitHub and pull requests", "github", &["git"]),
        ("Bitbucket, Jira", "bitbucket", &["git"]),
        (
            "GitLab CI pipelines",
            "gitlab-ci",
            &["ci-cd", "git", "gitlab"],
        ),
        ("Jenkins pipelines", "jenkins", &["ci-cd"]),
        (
            "Terraform modules",
            "terraform",
            &["infrastructure-as-code"],
        ),
        ("scikit-learn models", "scikit-learn", &["machine-learning"]),
        ("Spring Boot 3", "spring-boot", &["spring"]),
        ("Windows Server 2022", "windows-server", &["windows"]),
        ("Équipe Scrum", "scrum", &["agile"]),
    ] {
        let (skills, implied) = found(&m, text);
        assert!(skills.contains(&direct), "{direct} in {text:?}: {skills:?}");
        for f in families {
            assert!(
                implied.contains(f),
                "{f} implied by {text:?}: {skills:?} / {implied:?}"
            );
        }
    }
    // Categories of products are not families (SKILLS.md).
    for (text, direct, category) in [
        ("MongoDB et Redis", "mongodb", "nosql"),
        ("Entrepôt Snowflake, dbt", "snowflake", "data-warehouse"),
        ("Scripts Bash", "bash", "shell-scripting"),
        ("AWS Lambda functions", "aws-lambda", "serverless"),
    ] {
        let (skills, implied) = found(&m, text);
        assert!(skills.contains(&direct), "{direct} in {text:?}: {skills:?}");
        assert!(
            !implied.contains(&category),
            "{category} in {text:?}: {implied:?}"
        );
    }
    // ELK alone: Elasticsearch counted (implied), Python not.
    let (skills, implied) = found(&m, "ELK");
    assert_eq!(skills, vec!["elastic-stack"]);
    assert_eq!(implied, vec!["elasticsearch", "kibana", "logstash"]);
    let (_, implied) = found(&m, "Maîtrise de GitLab");
    assert_eq!(implied, vec!["git"]);
}

/// The rule of data/SKILLS.md: a framework or library never implies a
/// language (it requires it), except an edition of a language's platform.
#[test]
fn no_framework_or_library_implies_a_language() {
    let (t, _) = bundled();
    let editions = ["jakarta-ee"];
    for s in t.skills() {
        if !matches!(s.category, Category::Framework | Category::DataAi)
            || editions.contains(&s.id.as_str())
        {
            continue;
        }
        for target in &s.implies {
            let category = t.get(target).map(|k| k.category);
            assert_ne!(
                category,
                Some(Category::Language),
                "{} implies the language {target}: a prerequisite belongs in requires",
                s.id
            );
        }
    }
}

// ---- recall gaps seen on real postings, issue 12 --------------------------

#[test]
fn ember_and_phoenix() {
    let (_, m) = bundled();
    yes(&m, "Front-end : Ember, Handlebars et JavaScript", "ember");
    yes(
        &m,
        "Our app is built with Ember Octane and TypeScript",
        "ember",
    );
    yes(&m, "Ember.js", "ember");
    no(&m, "fanning the embers of Python", "ember");
    no(&m, "ember, python", "ember");
    no(&m, "Ember", "ember");
    let (skills, implied) = found(&m, "Backend en Elixir/Phoenix, PostgreSQL");
    assert!(
        skills.contains(&"phoenix") && skills.contains(&"elixir"),
        "{skills:?}"
    );
    assert!(implied.is_empty(), "{implied:?}");
    yes(&m, "Phoenix LiveView", "phoenix");
    yes(&m, "We write Elixir; our web layer is Phoenix.", "phoenix");
    no(&m, "Office in Phoenix, AZ. Python and Go.", "phoenix");
    no(&m, "Phoenix, Arizona — Python developer", "phoenix");
    no(&m, "Apache Phoenix over HBase", "phoenix");
    no(&m, "Apache Phoenix over HBase", "apache-httpd");
    no(&m, "Phoenix", "phoenix");
}

#[test]
fn infrastructure_as_code_spellings() {
    let (_, m) = bundled();
    for text in [
        "Infra-as-Code with Terraform",
        "Infrastructure-as-Code (Pulumi)",
        "IaC : Ansible et Terraform",
        "Approche infrastructure en tant que code",
        "Infra as code, GitOps",
    ] {
        yes(&m, text, "infrastructure-as-code");
    }
}

#[test]
fn rest_only_in_upper_case_with_api_context() {
    let (_, m) = bundled();
    yes(&m, "Conception d'APIs HTTP/REST", "rest-api");
    yes(&m, "Services HTTP/REST et gRPC", "rest-api");
    yes(&m, "REST/GraphQL APIs", "rest-api");
    yes(&m, "Web services REST et SOAP", "rest-api");
    yes(&m, "RESTful services", "rest-api");
    yes(&m, "API REST en Python", "rest-api");
    no(&m, "You and the rest of the team, Python", "rest-api");
    no(&m, "Get some rest, Python", "rest-api");
    no(&m, "Rest assured, Python and Go", "rest-api");
    no(&m, "THE REST OF THE STACK: PYTHON", "rest-api");
    no(&m, "Encryption AT REST, Python", "rest-api");
    no(&m, "REST", "rest-api");
}

#[test]
fn spring_parenthesised_modules() {
    let (_, m) = bundled();
    let (skills, implied) = found(&m, "Java 17, Spring (Boot, Batch), Kafka");
    assert!(skills.contains(&"spring"), "{skills:?}");
    assert!(!skills.contains(&"spring-boot"), "{skills:?}");
    assert!(implied.is_empty(), "{implied:?}");
    let (skills, implied) = found(&m, "Spring (Boot, Batch)");
    assert_eq!(skills, vec!["spring"]);
    assert!(implied.is_empty(), "java is a prerequisite: {implied:?}");
    let (skills, implied) = found(&m, "Développement Spring Boot");
    assert_eq!(skills, vec!["spring-boot"]);
    assert_eq!(implied, vec!["spring"]);
}

#[test]
fn windows_server_in_french() {
    let (_, m) = bundled();
    for text in [
        "Administration Windows serveur 2019 et Active Directory",
        "Environnement Windows Serveur",
        "Parc de serveurs sous Windows",
        "serveurs Windows et Linux",
    ] {
        let (skills, implied) = found(&m, text);
        assert!(skills.contains(&"windows-server"), "{text:?}: {skills:?}");
        assert!(
            implied.contains(&"windows") || skills.contains(&"windows"),
            "{text:?}"
        );
    }
}

#[test]
fn role_names_that_name_the_practice() {
    let (_, m) = bundled();
    for (text, id) in [
        (
            "Nous recrutons des Data Engineers (H/F)",
            "data-engineering",
        ),
        ("Senior Data Engineer – Paris", "data-engineering"),
        ("Ingénieur data confirmé", "data-engineering"),
        ("Ingénieur(e) Data / BI", "data-engineering"),
        ("Data Scientist senior", "data-science"),
        ("DevOps Engineer", "devops"),
        ("Ingénieur DevOps (H/F)", "devops"),
        ("SRE – on-call", "sre"),
        ("Site Reliability Engineer", "sre"),
        ("ML Engineer", "machine-learning"),
        ("Machine Learning Engineer", "machine-learning"),
        ("Administrateur systèmes Linux", "linux-administration"),
        ("Linux system administrator", "linux-administration"),
        ("Pentesteur confirmé", "pentest"),
    ] {
        yes(&m, text, id);
    }
    let (_, implied) = found(&m, "Administrateur Linux");
    assert_eq!(implied, vec!["linux"]);
    // Roles that name no practice of the taxonomy count nothing.
    for text in [
        "Administrateur systèmes et réseaux (H/F)",
        "Chef de projet data",
        "Ingénieur système",
        "Data Analyst",
    ] {
        assert_eq!(found(&m, text), (vec![], vec![]), "{text:?}");
    }
}
