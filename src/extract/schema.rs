//! Reading source files strictly: typed getters over a parsed TOML table that
//! record every problem (file, key, bad value, why) instead of stopping at the
//! first, and unknown keys reported with a suggestion for a near miss.

use toml::{Table, Value};

/// Every problem found in one file, as `file: \`key\`: why` lines.
#[derive(Debug)]
pub(crate) struct Problems {
    file: String,
    /// The problems, in the order found.
    pub list: Vec<String>,
}

impl Problems {
    /// Problems of the file shown as `file`.
    pub fn new(file: impl Into<String>) -> Problems {
        Problems {
            file: file.into(),
            list: Vec::new(),
        }
    }

    /// Records a problem with `key`.
    pub fn bad(&mut self, key: &str, why: impl Into<String>) {
        self.list
            .push(format!("{}: `{key}`: {}", self.file, why.into()));
    }

    /// Records a problem with the file as a whole.
    pub fn file(&mut self, why: impl Into<String>) {
        self.list.push(format!("{}: {}", self.file, why.into()));
    }

    /// Whether nothing was found so far.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// A TOML value as written, for messages (short).
pub(crate) fn show(v: &Value) -> String {
    let text = match v {
        Value::String(s) => format!("{s:?}"),
        Value::Integer(n) => n.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Boolean(b) => b.to_string(),
        Value::Datetime(d) => d.to_string(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(show).collect::<Vec<_>>().join(", ")
        ),
        Value::Table(t) => format!(
            "{{ {} }}",
            t.keys().map(String::as_str).collect::<Vec<_>>().join(", ")
        ),
    };
    super::head(&text, 60)
}

/// What a TOML value is, for messages.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date",
        Value::Array(_) => "an array",
        Value::Table(_) => "a table",
    }
}

/// A table of a source file at a dotted key prefix (`""` for the top level).
#[derive(Clone)]
pub(crate) struct Tab<'a> {
    /// The table.
    pub table: &'a Table,
    prefix: String,
}

impl<'a> Tab<'a> {
    /// The top-level table.
    pub fn root(table: &'a Table) -> Tab<'a> {
        Tab {
            table,
            prefix: String::new(),
        }
    }

    /// `table`, found at the dotted key `prefix`.
    pub fn at(table: &'a Table, prefix: impl Into<String>) -> Tab<'a> {
        Tab {
            table,
            prefix: prefix.into(),
        }
    }

    /// The full dotted name of `key` in this table.
    pub fn key(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.prefix)
        }
    }

    /// Reports every key not in `known`, suggesting the nearest known one.
    pub fn check_keys(&self, known: &[&str], p: &mut Problems) {
        for k in self.table.keys() {
            if known.contains(&k.as_str()) {
                continue;
            }
            let why = match crate::domain::suggest(k, known.iter().copied()) {
                Some(s) => format!("unknown key `{k}`, did you mean `{s}`?"),
                None => format!("unknown key `{k}`; known keys: {}", known.join(", ")),
            };
            p.bad(&self.key(k), why);
        }
    }

    /// Whether `key` is present.
    pub fn has(&self, key: &str) -> bool {
        self.table.contains_key(key)
    }

    fn wrong(&self, key: &str, expected: &str, v: &Value, p: &mut Problems) {
        p.bad(
            &self.key(key),
            format!("expected {expected}, found {} ({})", type_name(v), show(v)),
        );
    }

    /// A string value.
    pub fn str(&self, key: &str, p: &mut Problems) -> Option<&'a str> {
        match self.table.get(key)? {
            Value::String(s) => Some(s),
            other => {
                self.wrong(key, "a string", other, p);
                None
            }
        }
    }

    /// A required string value.
    pub fn req_str(&self, key: &str, p: &mut Problems) -> Option<&'a str> {
        if !self.has(key) {
            p.bad(&self.key(key), "is required");
            return None;
        }
        self.str(key, p)
    }

    /// A boolean value.
    pub fn bool(&self, key: &str, p: &mut Problems) -> Option<bool> {
        match self.table.get(key)? {
            Value::Boolean(b) => Some(*b),
            other => {
                self.wrong(key, "true or false", other, p);
                None
            }
        }
    }

    /// An integer at least `min`.
    pub fn uint(&self, key: &str, min: u64, p: &mut Problems) -> Option<u64> {
        match self.table.get(key)? {
            Value::Integer(n) if *n >= 0 && (*n as u64) >= min => Some(*n as u64),
            Value::Integer(n) => {
                p.bad(&self.key(key), format!("{n} is less than {min}"));
                None
            }
            other => {
                self.wrong(key, &format!("an integer ≥ {min}"), other, p);
                None
            }
        }
    }

    /// An array of strings.
    pub fn str_array(&self, key: &str, p: &mut Problems) -> Option<Vec<&'a str>> {
        match self.table.get(key)? {
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, v) in items.iter().enumerate() {
                    match v {
                        Value::String(s) => out.push(s.as_str()),
                        other => p.bad(
                            &format!("{}[{i}]", self.key(key)),
                            format!(
                                "expected a string, found {} ({})",
                                type_name(other),
                                show(other)
                            ),
                        ),
                    }
                }
                Some(out)
            }
            other => {
                self.wrong(key, "an array of strings", other, p);
                None
            }
        }
    }

    /// A sub-table.
    pub fn sub(&self, key: &str, p: &mut Problems) -> Option<Tab<'a>> {
        match self.table.get(key)? {
            Value::Table(t) => Some(Tab::at(t, self.key(key))),
            other => {
                self.wrong(key, "a table", other, p);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_get_a_suggestion_or_the_known_list() {
        let table: Table = toml::from_str("selectr = 1\nzzz = 2\n").unwrap();
        let mut p = Problems::new("x.toml");
        Tab::at(&table, "items").check_keys(&["selector", "path"], &mut p);
        assert_eq!(
            p.list,
            vec![
                "x.toml: `items.selectr`: unknown key `selectr`, did you mean `selector`?",
                "x.toml: `items.zzz`: unknown key `zzz`; known keys: selector, path",
            ]
        );
    }

    #[test]
    fn wrong_types_name_the_value() {
        let table: Table = toml::from_str("max_pages = \"10\"\nenabled = 1\n").unwrap();
        let mut p = Problems::new("x.toml");
        let t = Tab::root(&table);
        assert_eq!(t.uint("max_pages", 1, &mut p), None);
        assert_eq!(t.bool("enabled", &mut p), None);
        assert_eq!(
            p.list,
            vec![
                "x.toml: `max_pages`: expected an integer ≥ 1, found a string (\"10\")",
                "x.toml: `enabled`: expected true or false, found an integer (1)",
            ]
        );
    }
}
