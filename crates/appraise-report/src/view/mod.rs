//! What the templates see: the appraisal as text, formatted for the report's language.
//!
//! Numbers are formatted here, not in the templates, so that every output shows the
//! same figure the same way and a reworded template cannot change a number.

use std::collections::BTreeMap;

use appraise_data::Dataset;
use appraise_kpi::{KpiDef, KpiMatrix};
use appraise_score::{Appraisal, Scores, change, competition_ranks};
use serde::Serialize;

use crate::charts::{Chart, grade_colour, grade_ink, kpi_key, sparkline};
use crate::lang::{Lang, Strings};

mod adjust;
mod anomalies;
mod card;
mod method;
mod report;

pub use card::fix_kpis;

pub(crate) use anomalies::*;
pub(crate) use card::*;
pub(crate) use method::*;
pub(crate) use report::*;

/// One department's line of the ranking.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RankRow {
    pub rank: String,
    pub rank_sort: f64,
    pub id: String,
    pub name: String,
    pub href: String,
    pub level: String,
    pub group: String,
    pub group_rank: String,
    pub status: String,
    pub composite: String,
    pub composite_sort: f64,
    pub grade: String,
    pub grade_label: String,
    pub colour: String,
    /// The text colour on `colour`.
    pub ink: String,
    pub dimensions: Vec<String>,
    pub previous_rank: String,
    pub change: String,
    pub change_sort: f64,
    pub interval: String,
    pub coverage: String,
}

/// Builds the views of one appraisal in one language.
pub(crate) struct Views<'a> {
    pub appraisal: &'a Appraisal,
    pub matrix: &'a KpiMatrix,
    pub kpis: &'a [KpiDef],
    pub data: &'a Dataset,
    pub lang: Lang,
    pub t: &'a Strings,
    /// Department id → file stem of its card.
    pub stems: &'a BTreeMap<String, String>,
    /// Per KPI of `Appraisal::current`: what every card shows of it ([`kpi_columns`]).
    pub columns: Vec<KpiColumn>,
    /// The anomalies of the period's exchange traffic.
    pub anomalies: &'a appraise_score::anomaly::Found,
    /// What each card lists to fix, item by item.
    pub fixes: &'a crate::Fixes,
    /// The adjustments applied, if any.
    pub adjusted: Option<&'a crate::Adjusted>,
    /// Preliminary or final, if the run says.
    pub status: Option<crate::Status>,
}

/// How every page is marked: preliminary (with the appeal deadline) or final.
#[derive(Debug, Serialize, Default)]
pub(crate) struct StatusView {
    /// The line at the head of every page; empty without a status.
    pub banner: String,
    /// The word across every page of a preliminary bulletin; empty otherwise.
    pub mark: String,
}

/// What the report cards show of one KPI across departments, worked out once.
pub(crate) struct KpiColumn {
    /// Each department's rank on the KPI's score among the departments with one.
    ranks: Vec<Option<u32>>,
    /// How many departments have a score.
    scored: usize,
    /// Decimals of its values: none for a KPI whose every value is whole (a count).
    decimals: usize,
}

/// The [`KpiColumn`] of every KPI of `s`.
pub(crate) fn kpi_columns(s: &Scores) -> Vec<KpiColumn> {
    (0..s.kpis.len())
        .map(|k| {
            let cells = || (0..s.departments.len()).map(|d| (d, s.cell(d, k)));
            let scored: Vec<(usize, f64)> = cells()
                .filter_map(|(d, c)| c.score.map(|v| (d, v)))
                .collect();
            let mut ranks = vec![None; s.departments.len()];
            for (d, r) in competition_ranks(&scored) {
                ranks[d] = Some(r);
            }
            let whole = cells()
                .filter_map(|(_, c)| c.value)
                .all(|v| v.fract() == 0.0);
            KpiColumn {
                ranks,
                scored: scored.len(),
                decimals: if whole { 0 } else { 2 },
            }
        })
        .collect()
}

/// A KPI's title in `lang` (`title_zh` in Chinese where given); its id where the library
/// has no such KPI.
pub(crate) fn kpi_title(kpis: &[KpiDef], lang: Lang, id: &str) -> String {
    match (lang, kpis.iter().find(|k| k.id == id)) {
        (Lang::Zh, Some(k)) => k.title_zh.clone().unwrap_or_else(|| k.title.clone()),
        (Lang::En, Some(k)) => k.title.clone(),
        (_, None) => id.to_string(),
    }
}

/// The lowercase serde name of a scorecard enum (`minmax`, `geometric`).
fn name_of<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn hex(c: plotters::style::RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

impl<'a> Views<'a> {
    fn word(&self, key: &str) -> String {
        self.t.get(key)
    }

    /// The headers of a table's columns in the report's language: `col:<name>` of the
    /// strings, a dimension's title for `dim_<id>`, else the column's name.
    pub(crate) fn headers(&self, batch: &datafusion::arrow::array::RecordBatch) -> Vec<String> {
        batch
            .schema()
            .fields()
            .iter()
            .map(|f| match f.name().strip_prefix("dim_") {
                Some(dim) => self.dimension_title(dim),
                None => self.value_word("col", f.name()),
            })
            .collect()
    }

    /// A value of a group (`flag:excluded`, `reason:time_order`, `table:exchanges`,
    /// `level:city`) in the report's language: its `group:value` string, else the value
    /// as it is (a peer group an office named itself).
    fn value_word(&self, group: &str, value: &str) -> String {
        self.t
            .0
            .get(&format!("{group}:{value}"))
            .cloned()
            .unwrap_or_else(|| value.to_string())
    }

    /// A cell's `;`-separated flags, each in the report's language.
    fn flags(&self, names: &str) -> String {
        let words: Vec<String> = names
            .split(';')
            .filter(|n| !n.is_empty())
            .map(|n| self.value_word("flag", n))
            .collect();
        words.join(match self.lang {
            Lang::Zh => "、",
            Lang::En => "; ",
        })
    }

    /// A warning in the report's language: its `warning:<code>` string with each
    /// `{name}` replaced by that value (a list joined as the language joins one; tables,
    /// KPIs, dimensions and periods in the report's words); its English sentence where
    /// the strings have none.
    fn warning(&self, w: &appraise_data::Warning) -> String {
        let Some(template) = self.t.0.get(&format!("warning:{}", w.code)) else {
            return w.sentence();
        };
        let sep = match self.lang {
            Lang::Zh => "、",
            Lang::En => ", ",
        };
        let word = |name: &str, item: &String| match name {
            "table" | "tables" => self.value_word("table", item),
            "kpi" => self.kpi_title(item),
            "dimension" | "file_dimension" => self.dimension_title(item),
            "period" => item
                .parse::<appraise_kpi::Period>()
                .map_or_else(|_| item.clone(), |p| self.lang.period(&p)),
            _ => item.clone(),
        };
        w.args.iter().fold(template.clone(), |text, (name, items)| {
            let items: Vec<String> = items.iter().map(|i| word(name, i)).collect();
            text.replace(&format!("{{{name}}}"), &items.join(sep))
        })
    }

    pub(crate) fn warnings(&self, all: &[appraise_data::Warning]) -> Vec<String> {
        all.iter().map(|w| self.warning(w)).collect()
    }

    /// A KPI's unit in the report's language (`unit_zh` in Chinese where given).
    fn unit(&self, def: &KpiDef) -> String {
        match (self.lang, &def.unit_zh) {
            (Lang::Zh, Some(zh)) => zh.clone(),
            _ => def.unit.clone().unwrap_or_default(),
        }
    }

    fn num(&self, v: Option<f64>, decimals: usize) -> String {
        self.lang.number(v, decimals)
    }

    /// A rate's 95 % interval as a range, at the column's precision or finer (up to
    /// four decimals, at least two): as many decimals as its ends need to differ, so
    /// that an interval never reads as one number (`1–1` for 0.61–1.00).
    fn range(&self, lo: f64, hi: f64, decimals: usize) -> String {
        let mut d = decimals.max(2);
        loop {
            let (a, b) = (self.num(Some(lo), d), self.num(Some(hi), d));
            if a != b || d >= 4 || lo >= hi {
                return format!("{a}–{b}");
            }
            d += 1;
        }
    }

    /// The file stem of the card of the department at position `d`.
    pub(crate) fn stem(&self, d: usize) -> &str {
        let id = &self.appraisal.current.departments[d].department.id;
        self.stems.get(id).map_or(id.as_str(), String::as_str)
    }

    /// A count without decimals, any other number with two.
    fn whole(&self, v: Option<f64>) -> String {
        let decimals = if v.is_some_and(|v| v.fract() == 0.0) {
            0
        } else {
            2
        };
        self.num(v, decimals)
    }

    /// A department's name in the report's language.
    pub(crate) fn name(&self, d: usize) -> String {
        let dep = &self.appraisal.current.departments[d].department;
        match self.lang {
            Lang::En if !dep.name_en.is_empty() => dep.name_en.clone(),
            _ => dep.name.clone(),
        }
    }

    /// How every page is marked.
    pub(crate) fn status(&self) -> StatusView {
        match self.status {
            None => StatusView::default(),
            Some(crate::Status::Preliminary) => {
                let deadline = self.appraisal.scorecard.bulletin.appeal_deadline;
                StatusView {
                    banner: self.word("release_preliminary").replace(
                        "{deadline}",
                        &deadline.map(|d| self.lang.date(d)).unwrap_or_default(),
                    ),
                    mark: self.word("release_mark"),
                }
            }
            Some(crate::Status::Final) => StatusView {
                banner: self.word("release_final"),
                mark: String::new(),
            },
        }
    }

    pub(crate) fn kpi_title(&self, id: &str) -> String {
        kpi_title(self.kpis, self.lang, id)
    }

    fn dimension_title(&self, id: &str) -> String {
        let card = &self.appraisal.scorecard;
        match card.dimensions.iter().find(|d| d.id == id) {
            Some(d) if self.lang == Lang::Zh => d.title_zh.clone().unwrap_or(d.title.clone()),
            Some(d) if !d.title.is_empty() => d.title.clone(),
            _ => id.to_string(),
        }
    }

    fn grade(&self, g: Option<usize>) -> (String, String) {
        let bands = &self.appraisal.scorecard.grades.bands;
        match g.and_then(|g| bands.get(g)) {
            None => ("–".into(), String::new()),
            Some(b) => {
                let label = match self.lang {
                    Lang::Zh => b.label_zh.clone().or(b.label.clone()),
                    Lang::En => b.label.clone(),
                };
                (b.grade.clone(), label.unwrap_or_default())
            }
        }
    }

    fn row(&self, d: usize) -> RankRow {
        let a = self.appraisal;
        let s = &a.current;
        let dep = &s.departments[d];
        let change = a.previous().map(|p| change::change(s, p, d));
        let interval = a
            .robustness
            .as_ref()
            .and_then(|r| r.intervals.get(d).copied().flatten());
        let (grade, grade_label) = self.grade(dep.grade);
        let rank_change = change.and_then(|c| c.rank_change);
        RankRow {
            rank: dep.rank.map_or("–".into(), |r| r.to_string()),
            rank_sort: dep.rank.map_or(f64::MAX, f64::from),
            id: dep.department.id.clone(),
            name: self.name(d),
            href: format!("departments/{}.html", self.stem(d)),
            level: self.word(&format!("level:{}", dep.department.level)),
            group: self.value_word("level", &dep.department.peer_group),
            group_rank: dep.group_rank.map_or("–".into(), |r| r.to_string()),
            status: self.word(&format!("status:{}", dep.status.name())),
            composite: self.num(dep.composite, 2),
            composite_sort: dep.composite.unwrap_or(-1.0),
            colour: hex(grade_colour(dep.grade, a.scorecard.grades.bands.len())),
            ink: hex(grade_ink(grade_colour(
                dep.grade,
                a.scorecard.grades.bands.len(),
            ))),
            grade,
            grade_label,
            dimensions: dep.dimensions.iter().map(|v| self.num(*v, 1)).collect(),
            previous_rank: change
                .and_then(|c| c.previous_rank)
                .map_or("–".into(), |r| r.to_string()),
            change: match rank_change {
                Some(c) if c > 0 => format!("▲{c}"),
                Some(c) if c < 0 => format!("▼{}", -c),
                Some(_) => "=".into(),
                None => "–".into(),
            },
            change_sort: rank_change.map_or(0.0, |c| c as f64),
            interval: interval.map_or("–".into(), |i| {
                format!("{}–{}", self.num(Some(i.p05), 0), self.num(Some(i.p95), 0))
            }),
            coverage: self.lang.percent(dep.coverage),
        }
    }

    fn scorecard_name(&self) -> String {
        let card = &self.appraisal.scorecard;
        match self.lang {
            Lang::Zh => card.name_zh.clone().unwrap_or(card.name.clone()),
            Lang::En => card.name.clone(),
        }
    }

    /// `items` as one phrase: joined by the words `{key}` and, before the last,
    /// `{key}_last` ("a, b and c").
    fn joined(&self, items: &[String], key: &str) -> String {
        match items.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!(
                "{}{}{last}",
                rest.join(&self.word(key)),
                self.word(&format!("{key}_last"))
            ),
            _ => items.concat(),
        }
    }

    /// What a rank interval is, in a sentence; empty without the robustness analysis.
    fn interval_note(&self) -> String {
        self.appraisal
            .robustness
            .as_ref()
            .map_or(String::new(), |r| {
                self.word("interval_note")
                    .replace("{runs}", &self.lang.count(r.runs as u64))
                    .replace("{factors}", &self.factors(r))
            })
    }
}

/// A name as a sentence gives it: cut at 40 characters with "…", as in the summary's
/// lists (the ranking gives it whole).
fn short_text(name: &str) -> String {
    match name.char_indices().nth(40) {
        Some((at, _)) => format!("{}…", &name[..at]),
        None => name.to_string(),
    }
}
