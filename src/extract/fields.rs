//! Field rules shared by the kinds whose items are JSON values (`json`, and
//! `rss` and `jsonld`, whose items are turned into JSON first): where each
//! posting field is, how its value is transformed, and the compilation of
//! `[fields]` tables. Also the reading of field specs common to every kind.

use regex::Regex;
use serde_json::Value;

use super::path::JsonPath;
use super::schema::{show, type_name, Problems, Tab};

use super::value::{bool_from_value, date_from_value, html_to_text, parse_date, text_from_value};
use super::{head, ItemError, RawPosting};

/// The posting fields a source can set, in documentation order.
pub const FIELD_NAMES: &[&str] = &[
    "id",
    "title",
    "company",
    "location",
    "description",
    "posted_at",
    "valid_through",
    "url",
    "remote",
    "tags",
];

/// How a field's value is turned into text or a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Transform {
    /// Text as it is (arrays joined).
    #[default]
    Text,
    /// HTML to plain text.
    Html,
    /// A date in any supported shape (the default for date fields).
    Date,
}

impl Transform {
    /// Applies the transform to one text.
    pub fn apply(self, text: &str) -> String {
        match self {
            Transform::Html => html_to_text(text),
            Transform::Text | Transform::Date => text.trim().to_owned(),
        }
    }

    /// The default transform of a field.
    pub fn default_for(field: &str) -> Transform {
        match field {
            "description" => Transform::Html,
            "posted_at" | "valid_through" => Transform::Date,
            _ => Transform::Text,
        }
    }
}

/// A field as written in a source file, before its locator is compiled.
#[derive(Debug, Clone, Default)]
pub(crate) struct FieldSpec {
    /// The locator: a JSON path or a CSS selector, depending on the kind.
    pub locator: Option<String>,
    /// Constant used when the locator yields nothing, or alone.
    pub constant: Option<String>,
    /// Transform.
    pub transform: Transform,
    /// Separator for several values.
    pub join: String,
    /// Optional regex; its first capture group (or whole match) is kept.
    pub regex: Option<Regex>,
}

/// Reads `[fields].NAME`: a locator string, or a table whose locator key is
/// `locator_key` (`path` or `selector`). Problems are recorded; `None` when
/// absent or broken.
pub(crate) fn read_field_spec(
    fields: Tab<'_>,
    name: &str,
    locator_key: &str,
    p: &mut Problems,
) -> Option<FieldSpec> {
    let key = fields.key(name);
    let transform = Transform::default_for(name);
    match fields.table.get(name)? {
        toml::Value::String(s) => Some(FieldSpec {
            locator: Some(s.clone()),
            transform,
            join: ", ".into(),
            ..FieldSpec::default()
        }),
        toml::Value::Table(t) => {
            let tab = Tab::at(t, key.clone());
            let before = p.list.len();
            tab.check_keys(&[locator_key, "value", "transform", "join", "regex"], p);
            let locator = tab.str(locator_key, p).map(str::to_owned);
            let constant = tab.str("value", p).map(str::to_owned);
            let transform = match tab.str("transform", p) {
                None => transform,
                Some("text") => Transform::Text,
                Some("html") => Transform::Html,
                Some("date") => Transform::Date,
                Some(other) => {
                    p.bad(
                        &tab.key("transform"),
                        format!("{other:?} is not a transform: use text, html or date"),
                    );
                    transform
                }
            };
            let join = tab.str("join", p).unwrap_or(", ").to_owned();
            let regex = tab
                .str("regex", p)
                .and_then(|r| compile_regex(&tab.key("regex"), r, p));
            if locator.is_none() && constant.is_none() && p.list.len() == before {
                p.bad(&key, format!("needs `{locator_key}` or a constant `value`"));
            }
            (p.list.len() == before).then_some(FieldSpec {
                locator,
                constant,
                transform,
                join,
                regex,
            })
        }
        other => {
            p.bad(
                &key,
                format!(
                    "expected a {locator_key} string or a table {{ {locator_key}, value, transform, join, regex }}, found {} ({})",
                    type_name(other),
                    show(other)
                ),
            );
            None
        }
    }
}

/// Compiles a regex written at `key`, recording a problem when it is invalid.
pub(crate) fn compile_regex(key: &str, text: &str, p: &mut Problems) -> Option<Regex> {
    Regex::new(text)
        .map_err(|e| {
            p.bad(
                key,
                format!(
                    "{text:?} is not a valid regex: {}",
                    one_line(&e.to_string())
                ),
            )
        })
        .ok()
}

/// Error messages of the regex crate span lines; keep them on one.
pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Applies a field's optional regex: the first capture group, else the whole
/// match; no match gives nothing.
pub(crate) fn apply_regex(regex: Option<&Regex>, text: String) -> Option<String> {
    let Some(re) = regex else {
        return Some(text);
    };
    let caps = re.captures(&text)?;
    let m = caps.get(1).or_else(|| caps.get(0))?;
    let out = m.as_str().trim();
    (!out.is_empty()).then(|| out.to_owned())
}

/// Where one field comes from in a JSON item.
#[derive(Debug, Clone)]
pub struct FieldRule {
    /// Path to the value; `None` with a constant.
    pub path: Option<JsonPath>,
    /// A constant value (used when the path yields nothing, or alone).
    pub constant: Option<String>,
    /// Transform applied to the value.
    pub transform: Transform,
    /// Separator used to join several values into one text.
    pub join: String,
    /// Regex applied after the transform (first group, else whole match).
    pub regex: Option<Regex>,
}

impl FieldRule {
    /// A rule reading `path` as text.
    pub fn at(path: JsonPath, transform: Transform) -> FieldRule {
        FieldRule {
            path: Some(path),
            constant: None,
            transform,
            join: ", ".into(),
            regex: None,
        }
    }

    fn values<'a>(&self, item: &'a Value, root: &'a Value) -> Vec<&'a Value> {
        self.path
            .as_ref()
            .map(|p| p.select_in(item, root))
            .unwrap_or_default()
    }

    /// The field as one text, if present and not blank.
    pub fn text(&self, item: &Value, root: &Value) -> Option<String> {
        let joined: Vec<String> = self
            .values(item, root)
            .iter()
            .filter_map(|v| text_from_value(v, &self.join))
            .collect();
        let text = if joined.is_empty() {
            self.constant.clone()?
        } else {
            joined.join(&self.join)
        };
        let text = apply_regex(self.regex.as_ref(), self.transform.apply(&text))?;
        (!text.is_empty()).then_some(text)
    }

    /// The field as several texts (one per value), blanks dropped.
    pub fn texts(&self, item: &Value, root: &Value) -> Vec<String> {
        let mut out: Vec<String> = self
            .values(item, root)
            .iter()
            .filter_map(|v| text_from_value(v, &self.join))
            .filter_map(|s| apply_regex(self.regex.as_ref(), self.transform.apply(&s)))
            .filter(|s| !s.is_empty())
            .collect();
        if out.is_empty() {
            out.extend(self.constant.clone());
        }
        out
    }

    /// The field as a date: `Ok(None)` when absent, `Err(shown value)` when
    /// present but not a date.
    pub fn date(&self, item: &Value, root: &Value) -> Result<Option<crate::domain::Day>, String> {
        let value = match self.values(item, root).into_iter().next() {
            Some(v) => v.clone(),
            None => match &self.constant {
                Some(c) => Value::String(c.clone()),
                None => return Ok(None),
            },
        };
        let parsed = match (&self.regex, &value) {
            (Some(_), _) => text_from_value(&value, " ")
                .and_then(|t| apply_regex(self.regex.as_ref(), t))
                .and_then(|t| parse_date(&t)),
            (None, v) => date_from_value(v),
        };
        parsed.map(Some).ok_or_else(|| head(&value.to_string(), 60))
    }

    /// The field as a remote flag.
    pub fn flag(&self, item: &Value, root: &Value) -> Option<bool> {
        if self.regex.is_some() {
            return self
                .text(item, root)
                .map(|t| bool_from_value(&Value::String(t)));
        }
        let values = self.values(item, root);
        if values.is_empty() {
            self.constant
                .as_ref()
                .map(|c| bool_from_value(&Value::String(c.clone())))
        } else {
            Some(values.into_iter().any(bool_from_value))
        }
    }
}

/// The field rules of a JSON-valued source. `id` and `title` are required.
#[derive(Debug, Clone)]
pub struct JsonFields {
    /// The posting's id at the source.
    pub id: FieldRule,
    /// Job title.
    pub title: FieldRule,
    /// Employer.
    pub company: Option<FieldRule>,
    /// One or more location strings.
    pub location: Option<FieldRule>,
    /// Description.
    pub description: Option<FieldRule>,
    /// Publication date.
    pub posted_at: Option<FieldRule>,
    /// Closing date.
    pub valid_through: Option<FieldRule>,
    /// Link.
    pub url: Option<FieldRule>,
    /// Remote flag.
    pub remote: Option<FieldRule>,
    /// Tags.
    pub tags: Option<FieldRule>,
}

impl JsonFields {
    /// One item to a posting, or why it cannot be one; `$` paths read `root`
    /// (the page's document).
    pub fn posting(
        &self,
        index: usize,
        item: &Value,
        root: &Value,
    ) -> Result<RawPosting, ItemError> {
        let missing = |field: &str, rule: &FieldRule| ItemError {
            index,
            why: format!(
                "no {field} at {:?}",
                rule.path.as_ref().map_or("", JsonPath::as_str)
            ),
        };
        if !item.is_object() {
            return Err(ItemError {
                index,
                why: format!("expected an object, found {}", head(&item.to_string(), 40)),
            });
        }
        let external_id = self
            .id
            .text(item, root)
            .ok_or_else(|| missing("id", &self.id))?;
        let title = self
            .title
            .text(item, root)
            .ok_or_else(|| missing("title", &self.title))?;
        let date = |rule: &Option<FieldRule>, name: &str| match rule {
            None => Ok(None),
            Some(rule) => rule.date(item, root).map_err(|shown| ItemError {
                index,
                why: format!("{name} {shown} is not a date this tracker reads"),
            }),
        };
        Ok(RawPosting {
            external_id,
            title,
            url: self.url.as_ref().and_then(|r| r.text(item, root)),
            company: self.company.as_ref().and_then(|r| r.text(item, root)),
            locations: self
                .location
                .as_ref()
                .map(|r| r.texts(item, root))
                .unwrap_or_default(),
            description: self
                .description
                .as_ref()
                .and_then(|r| r.text(item, root))
                .unwrap_or_default(),
            posted_at: date(&self.posted_at, "posted_at")?,
            valid_through: date(&self.valid_through, "valid_through")?,
            remote: self.remote.as_ref().and_then(|r| r.flag(item, root)),
            tags: self
                .tags
                .as_ref()
                .map(|r| r.texts(item, root))
                .unwrap_or_default(),
        }
        .into_plain_text())
    }
}

/// Compiles `[fields]` of a JSON-valued kind. `defaults` gives the path of
/// fields the kind knows without being told (rss, jsonld); a file's entry
/// replaces the default. Without defaults, `[fields]` with `id` and `title`
/// is required.
pub(crate) fn compile_json_fields(
    fields: Option<&Tab<'_>>,
    defaults: &[(&str, &str)],
    p: &mut Problems,
) -> Option<JsonFields> {
    if let Some(f) = fields {
        f.check_keys(FIELD_NAMES, p);
    }
    let before = p.list.len();
    let mut rule = |name: &str| -> Option<FieldRule> {
        let spec = match fields.and_then(|f| read_field_spec(f.clone(), name, "path", p)) {
            Some(spec) => spec,
            None => {
                let (_, d) = defaults.iter().find(|(n, _)| *n == name)?;
                FieldSpec {
                    locator: Some((*d).to_owned()),
                    transform: Transform::default_for(name),
                    join: ", ".into(),
                    ..FieldSpec::default()
                }
            }
        };
        let path = match &spec.locator {
            Some(text) => match text.parse::<JsonPath>() {
                Ok(path) => Some(path),
                Err(e) => {
                    p.bad(&format!("fields.{name}"), e.to_string());
                    return None;
                }
            },
            None => None,
        };
        Some(FieldRule {
            path,
            constant: spec.constant,
            transform: spec.transform,
            join: spec.join,
            regex: spec.regex,
        })
    };
    let id = rule("id");
    let title = rule("title");
    let compiled = JsonFields {
        company: rule("company"),
        location: rule("location"),
        description: rule("description"),
        posted_at: rule("posted_at"),
        valid_through: rule("valid_through"),
        url: rule("url"),
        remote: rule("remote"),
        tags: rule("tags"),
        id: id.unwrap_or_else(|| FieldRule::at(JsonPath::document(), Transform::Text)),
        title: title.unwrap_or_else(|| FieldRule::at(JsonPath::document(), Transform::Text)),
    };
    let has = |name: &str| {
        fields.is_some_and(|f| f.has(name)) || defaults.iter().any(|(n, _)| *n == name)
    };
    if fields.is_none() && defaults.is_empty() {
        p.bad(
            "fields",
            "a json source needs a [fields] table with at least id and title",
        );
    } else {
        for required in ["id", "title"] {
            if !has(required) {
                p.bad(&format!("fields.{required}"), "is required");
            }
        }
    }
    (p.list.len() == before).then_some(compiled)
}
