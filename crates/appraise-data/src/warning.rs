//! Warnings for the reader: a sentence in English (what the command line prints, and
//! what `--json` output and the manifest hold), and a code with named values, from
//! which a report writes the sentence in its own language.

use std::fmt;

/// A warning about a run: something the reader should know, that did not stop it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Which warning it is; a report's wording for it is the string `warning:<code>`,
    /// with `{name}` for each value.
    pub code: &'static str,
    /// The values the sentence names, each a list of items (one for a single value).
    pub args: Vec<(&'static str, Vec<String>)>,
    text: String,
}

impl Warning {
    /// A warning with its English sentence.
    pub fn new(code: &'static str, text: impl Into<String>) -> Warning {
        Warning {
            code,
            args: Vec::new(),
            text: text.into(),
        }
    }

    /// The warning with the value `name`.
    pub fn arg(self, name: &'static str, value: impl ToString) -> Warning {
        self.list(name, [value])
    }

    /// The warning with the list `name`.
    pub fn list<T: ToString>(
        mut self,
        name: &'static str,
        items: impl IntoIterator<Item = T>,
    ) -> Warning {
        self.args
            .push((name, items.into_iter().map(|i| i.to_string()).collect()));
        self
    }

    /// The English sentence.
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// As its English sentence: the shape of `--json` output and the manifest.
impl serde::Serialize for Warning {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}
