//! The report templates (minijinja) and the wording (`strings.toml`).
//!
//! The defaults are the files of `reports/templates/`, compiled into the binary so that
//! `appraise` works from any folder. `--templates DIR` overrides them file by file: a
//! file of the same name in `DIR` replaces the default, and the keys of `DIR/strings.toml`
//! replace the default wording key by key, so an office can reword its report (or one
//! phrase of it) without recompiling.
//!
//! Every value a template writes is escaped for its output: HTML for `*.html.j2`,
//! Markdown for `*.md.j2` (`|`, `*`, `_`, `` ` ``, `<` and the like, so that a department
//! name can never become a table column, markup or a link). Only what the report itself
//! made is marked safe: the charts' SVG, which plotters escapes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use minijinja::{AutoEscape, Environment, Value, escape_formatter};
use serde::Serialize;

use crate::Error;
use crate::lang::{Lang, Strings};

/// The built-in templates, by file name.
pub const BUILT_IN: [(&str, &str); 7] = [
    (
        "report.html.j2",
        include_str!("../../../reports/templates/report.html.j2"),
    ),
    (
        "department.html.j2",
        include_str!("../../../reports/templates/department.html.j2"),
    ),
    (
        "report.md.j2",
        include_str!("../../../reports/templates/report.md.j2"),
    ),
    (
        "compare.html.j2",
        include_str!("../../../reports/templates/compare.html.j2"),
    ),
    (
        "style.css",
        include_str!("../../../reports/templates/style.css"),
    ),
    (
        "release.html.j2",
        include_str!("../../../reports/templates/release.html.j2"),
    ),
    (
        "strings.toml",
        include_str!("../../../reports/templates/strings.toml"),
    ),
];

/// The built-in Typst templates of the PDF bulletin and cards, by file name
/// ([`crate::pdf`]).
pub const TYPST: [(&str, &str); 2] = [
    (
        "report.typ",
        include_str!("../../../reports/templates/report.typ"),
    ),
    (
        "department.typ",
        include_str!("../../../reports/templates/department.typ"),
    ),
];

/// The templates and the wording of both languages.
pub struct Templates {
    env: Environment<'static>,
    strings: BTreeMap<String, Strings>,
    /// The Typst templates: file name → (the file shown in messages, its text).
    typst: BTreeMap<&'static str, (PathBuf, String)>,
    overrides: Vec<PathBuf>,
}

/// The most template instructions one page may take to render (minijinja's fuel): the
/// built-in report of 150 departments takes a small fraction of it.
pub const FUEL: u64 = 50_000_000;

impl Templates {
    /// The defaults, overridden by the files of `dir` where given.
    pub fn load(dir: Option<&Path>) -> Result<Templates, Error> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html.j2") {
                AutoEscape::Html
            } else if name.ends_with(".md.j2") {
                AutoEscape::Custom("markdown")
            } else {
                AutoEscape::None
            }
        });
        env.set_formatter(|out, state, value| {
            if state.auto_escape() == AutoEscape::Custom("markdown") && !value.is_safe() {
                let text = value.to_string();
                out.write_str(&markdown_escape(&text))?;
                Ok(())
            } else {
                escape_formatter(out, state, value)
            }
        });
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        // An edited template that loops without end stops with an error.
        env.set_fuel(Some(FUEL));
        let mut strings: BTreeMap<String, Strings> = BTreeMap::new();
        let mut overrides = Vec::new();
        for (name, default) in BUILT_IN {
            let (text, origin) = match read_override(dir, name, &mut overrides)? {
                Some((path, text)) => (text, Some(path)),
                None => (default.to_string(), None),
            };
            if name == "strings.toml" {
                // The defaults first, so that an override may give only some keys.
                merge(&mut strings, default, Path::new("strings.toml"))?;
                if let Some(path) = &origin {
                    check_keys(&strings, &text, path)?;
                    merge(&mut strings, &text, path)?;
                }
                continue;
            }
            env.add_template_owned(name.to_string(), text)
                .map_err(|e| template_error(name, origin.as_deref(), &e))?;
        }
        let mut typst = BTreeMap::new();
        for (name, default) in TYPST {
            let entry = read_override(dir, name, &mut overrides)?
                .unwrap_or_else(|| (PathBuf::from(name), default.to_string()));
            typst.insert(name, entry);
        }
        Ok(Templates {
            env,
            strings,
            typst,
            overrides,
        })
    }

    /// The Typst template `name` (one of [`TYPST`]): the file to name in messages, and
    /// its text.
    pub(crate) fn typst(&self, name: &'static str) -> (&Path, &str) {
        match self.typst.get(name) {
            Some((path, text)) => (path.as_path(), text.as_str()),
            None => (Path::new(name), ""),
        }
    }

    /// The files of the `--templates` folder that replaced built-in ones.
    pub fn overrides(&self) -> &[PathBuf] {
        &self.overrides
    }

    /// The wording of `lang`.
    pub fn strings(&self, lang: Lang) -> Strings {
        self.strings.get(lang.code()).cloned().unwrap_or_default()
    }

    /// Renders the template `name` with `context`: an office's template (from
    /// `--templates`) within the budgets of [`crate::budget`], every page at most
    /// [`crate::budget::MAX_PAGE_BYTES`].
    pub(crate) fn render(&self, name: &str, context: impl Serialize) -> Result<String, Error> {
        let origin = self
            .overrides
            .iter()
            .find(|p| p.file_name().is_some_and(|f| f == name))
            .map(PathBuf::as_path);
        let fail = |e: &minijinja::Error| template_error(name, origin, e);
        let template = self.env.get_template(name).map_err(|e| fail(&e))?;
        let _watch =
            crate::budget::Watch::start(origin.unwrap_or(Path::new(name)), origin.is_none());
        let mut page = crate::budget::Capped(Vec::new());
        template
            .render_captured_to(Value::from_serialize(&context), &mut page)
            .map_err(|e| fail(&e))?;
        String::from_utf8(page.0).map_err(|e| Error::Template {
            name: origin.map_or_else(|| PathBuf::from(name), Path::to_path_buf),
            line: None,
            reason: format!("the page is not UTF-8: {e}"),
            hint: None,
        })
    }
}

/// The file `name` of the `--templates` folder, where there is one, noted in
/// `overrides`: its path and text.
fn read_override(
    dir: Option<&Path>,
    name: &str,
    overrides: &mut Vec<PathBuf>,
) -> Result<Option<(PathBuf, String)>, Error> {
    let Some(path) = dir.map(|d| d.join(name)).filter(|p| p.is_file()) else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(&path).map_err(|e| Error::Io {
        path: path.clone(),
        source: e,
    })?;
    overrides.push(path.clone());
    Ok(Some((path, text)))
}

fn template_error(name: &str, path: Option<&Path>, e: &minijinja::Error) -> Error {
    Error::Template {
        name: path.map_or_else(|| PathBuf::from(name), Path::to_path_buf),
        line: e.line(),
        reason: e.to_string(),
        hint: None,
    }
}

/// Refuses a key of an overriding strings file that the built-in one does not have (a
/// misspelt key would otherwise be ignored without a word), naming its line. Keys
/// `level:<name>` are free: they name an office's own peer groups.
fn check_keys(known: &BTreeMap<String, Strings>, text: &str, path: &Path) -> Result<(), Error> {
    let parsed: BTreeMap<String, BTreeMap<String, toml::Value>> =
        toml::from_str(text).unwrap_or_default();
    for (lang, table) in &parsed {
        if !known.contains_key(lang) {
            return Err(Error::Template {
                name: path.to_path_buf(),
                line: line_of(text, &format!("[{lang}]")),
                reason: format!("unknown language table [{lang}]; the file holds [zh] and [en]"),
                hint: None,
            });
        }
        for key in table.keys() {
            // A key of either language may be given in both (a warning's wording is
            // built in for Chinese only: English reports use its English sentence).
            let known_key = known.values().any(|w| w.0.contains_key(key));
            if !known_key && !key.starts_with("level:") {
                return Err(Error::Template {
                    name: path.to_path_buf(),
                    line: line_of(text, key),
                    reason: format!("unknown key {key:?} in [{lang}]"),
                    hint: Some(
                        "copy the key from the built-in strings.toml, which `appraise init` \
                         writes out"
                            .into(),
                    ),
                });
            }
        }
    }
    Ok(())
}

/// The 1-based line where `needle` (a key or a table header) is written first.
fn line_of(text: &str, needle: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            l.starts_with(needle) || l.starts_with(&format!("\"{needle}\""))
        })
        .map(|i| i + 1)
}

/// Adds the `[zh]` and `[en]` tables of a strings file, key by key.
fn merge(into: &mut BTreeMap<String, Strings>, text: &str, path: &Path) -> Result<(), Error> {
    let parsed: BTreeMap<String, BTreeMap<String, String>> =
        toml::from_str(text).map_err(|e| Error::Template {
            name: path.to_path_buf(),
            line: e
                .span()
                .map(|s| text[..s.start.min(text.len())].lines().count().max(1)),
            reason: e.message().trim().to_string(),
            hint: Some("the file holds [zh] and [en] tables of key = \"text\"".into()),
        })?;
    for (lang, table) in parsed {
        into.entry(lang).or_default().0.extend(table);
    }
    Ok(())
}

/// Escapes what Markdown would read as markup, and line breaks that would end a table
/// row.
pub(crate) fn markdown_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '|' | '!' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escapes_markup_and_table_breaks() {
        assert_eq!(
            markdown_escape("a|b *c* <script>\n[x](y)"),
            "a\\|b \\*c\\* &lt;script&gt; \\[x\\]\\(y\\)"
        );
    }

    #[test]
    fn an_override_replaces_single_strings_and_keeps_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("strings.toml"),
            "[en]\nranking = \"League table\"\n",
        )
        .unwrap();
        let t = Templates::load(Some(dir.path())).unwrap();
        assert_eq!(t.strings(Lang::En).get("ranking"), "League table");
        let default = Templates::load(None).unwrap();
        assert_eq!(
            t.strings(Lang::Zh).get("ranking"),
            default.strings(Lang::Zh).get("ranking")
        );
        assert_ne!(default.strings(Lang::En).get("ranking"), "League table");
    }

    #[test]
    fn a_misspelt_strings_key_is_an_error_naming_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("strings.toml");
        std::fs::write(
            &path,
            "[en]\nranking = \"League table\"\nrepot_title = \"Typo\"\n\"level:district\" = \"District\"\n",
        )
        .unwrap();
        let Err(e) = Templates::load(Some(dir.path())) else {
            panic!("a misspelt key was accepted")
        };
        let text = e.to_string();
        assert!(text.contains("line 3"), "{text}");
        assert!(text.contains("repot_title"), "{text}");
        // Without the typo the file loads, its own peer-group name included.
        std::fs::write(
            &path,
            "[en]\nranking = \"League table\"\n\"level:district\" = \"District\"\n",
        )
        .unwrap();
        let t = Templates::load(Some(dir.path())).unwrap();
        assert_eq!(t.strings(Lang::En).get("level:district"), "District");
    }

    #[test]
    fn a_broken_template_names_its_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.md.j2");
        std::fs::write(&path, "# title\n\n{% for x in %}\n").unwrap();
        let Err(e) = Templates::load(Some(dir.path())) else {
            panic!("a broken template loaded")
        };
        let text = e.to_string();
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(text.contains("line 3"), "{text}");
    }
}
