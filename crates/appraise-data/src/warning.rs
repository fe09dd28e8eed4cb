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
    /// How to act on it, where known: printed on its own line as `hint:`.
    hint: Option<String>,
}

impl Warning {
    /// A warning with its English sentence.
    pub fn new(code: &'static str, text: impl Into<String>) -> Warning {
        Warning {
            code,
            args: Vec::new(),
            text: text.into(),
            hint: None,
        }
    }

    /// The warning with how to act on it.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Warning {
        self.hint = Some(hint.into());
        self
    }

    /// How to act on it, where known.
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    /// The English sentence with its hint, as a reader of the English report and of the
    /// manifest sees it: "… (hint: …)".
    pub fn sentence(&self) -> String {
        match &self.hint {
            Some(h) => format!("{} (hint: {h})", self.text),
            None => self.text.clone(),
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

/// As its English sentence with its hint ([`Warning::sentence`]): the shape of `--json`
/// output and the manifest.
impl serde::Serialize for Warning {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.sentence())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Regression (hints_written_into_messages): "(hint: …)" was part of six messages'
    // text, so a terminal printed it inside the warning. The hint is its own field: the
    // terminal prints it on its own line, and the English sentence (report, manifest)
    // ends with it.
    #[test]
    fn a_hint_is_kept_apart_from_the_warning() {
        let w = Warning::new("trend_calendar", "the trend leaves out 2024Q4")
            .with_hint("add queries/calendars/cn-2024.csv");
        assert_eq!(w.to_string(), "the trend leaves out 2024Q4");
        assert_eq!(w.hint(), Some("add queries/calendars/cn-2024.csv"));
        assert_eq!(
            w.sentence(),
            "the trend leaves out 2024Q4 (hint: add queries/calendars/cn-2024.csv)"
        );
        assert_eq!(
            serde_json::to_string(&w).unwrap_or_default(),
            "\"the trend leaves out 2024Q4 (hint: add queries/calendars/cn-2024.csv)\""
        );
        let plain = Warning::new("no_table", "no services table");
        assert_eq!(
            (plain.hint(), plain.sentence()),
            (None, "no services table".into())
        );
    }
}
