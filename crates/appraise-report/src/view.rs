//! What the templates see: the appraisal as text, formatted for the report's language.
//!
//! Numbers are formatted here, not in the templates, so that every output shows the
//! same figure the same way and a reworded template cannot change a number.

use std::collections::BTreeMap;

use appraise_data::Dataset;
use appraise_kpi::{KpiDef, KpiMatrix};
use appraise_score::{Appraisal, Scores, compare, competition_ranks};
use serde::Serialize;

use crate::charts::{Chart, grade_colour, grade_ink, kpi_key};
use crate::lang::{Lang, Strings};

/// The main report.
#[derive(Debug, Serialize)]
pub(crate) struct ReportView<'a> {
    pub lang: &'static str,
    pub t: &'a Strings,
    pub scorecard: String,
    pub period: String,
    pub previous: Option<String>,
    pub departments: usize,
    pub ranked: usize,
    pub unranked: usize,
    pub top: Vec<RankRow>,
    pub bottom: Vec<RankRow>,
    pub risers: Vec<RankRow>,
    pub fallers: Vec<RankRow>,
    pub grades: Vec<GradeCount>,
    pub coverage: Vec<Coverage>,
    pub dimensions: Vec<DimensionView>,
    pub ranking: Vec<RankRow>,
    pub charts: Vec<Chart>,
    /// The charts as the PDF shows them: long ones in parts.
    pub print_charts: Vec<Chart>,
    pub method: Method,
    pub appendix: Vec<KpiView>,
    pub quality: Quality,
    pub redundant: Vec<Pair>,
    pub warnings: Vec<String>,
    pub anomalies: AnomalySection,
    /// Who issues the bulletin, as its cover prints it.
    pub bulletin: BulletinView,
    /// The key findings, in plain sentences generated from the figures.
    pub findings: Vec<String>,
    /// What the rank interval is, in a sentence (empty without the robustness runs).
    pub interval_note: String,
    /// What the what-if controls recompute from, as JSON safe inside a script
    /// element: the weights, the aggregation and grading rules, each department's
    /// KPI scores, and the scorecard's text.
    pub whatif: String,
}

/// The cover's issuer, document number, date of issue and logo (the scorecard's
/// `[bulletin]`); an unset one is a placeholder in brackets, and `draft` says that one
/// is.
#[derive(Debug, Serialize)]
pub(crate) struct BulletinView {
    pub issuer: String,
    /// The issuer as the PDF's author; empty where unset (never the tool's name).
    pub author: String,
    pub document_number: String,
    pub issued: String,
    pub draft: bool,
    /// The logo's bytes and format (`png`, `jpg`, `svg`), read when the report is
    /// written; none where unset.
    pub logo: Option<Vec<u8>>,
    pub logo_format: String,
}

/// The report's section on anomalies in exchange traffic.
#[derive(Debug, Serialize)]
pub(crate) struct AnomalySection {
    /// Department-days judged, and busy pairs.
    pub department_days: String,
    pub pairs: usize,
    /// Per kind: its label and how many.
    pub counts: Vec<(String, usize)>,
    /// The most severe events ([`ANOMALY_ROWS`] at most, [`events`]), by day.
    pub rows: Vec<AnomalyRow>,
    /// How many more events there are (all in `anomalies.csv`).
    pub more: usize,
    /// The anomaly calendar (SVG); empty where none was drawn.
    pub chart: String,
    /// The calendar as the PDF prints it (portrait or landscape).
    pub print_landscape: bool,
}

/// Anomaly events the report lists; the rest are in `anomalies.csv`.
const ANOMALY_ROWS: usize = 40;

/// One event of anomalies: what a provider's day of one kind shows, its own series and
/// its busy pairs together. `head` is the provider's own anomaly, or the strongest pair's
/// where its own series was not flagged; `pairs` the pairs flagged besides the head.
struct Event<'a> {
    head: &'a appraise_score::anomaly::Anomaly,
    pairs: usize,
    /// The largest |score| of the event.
    score: f64,
}

/// `anomalies` grouped into events (by day, provider and kind), in that order.
fn events<'a>(
    anomalies: impl Iterator<Item = &'a appraise_score::anomaly::Anomaly>,
) -> Vec<Event<'a>> {
    let mut groups: BTreeMap<
        (chrono::NaiveDate, &str, &str),
        Vec<&appraise_score::anomaly::Anomaly>,
    > = BTreeMap::new();
    for a in anomalies {
        groups
            .entry((a.day, a.department_id.as_str(), a.kind.name()))
            .or_default()
            .push(a);
    }
    groups
        .into_values()
        .filter_map(|members| {
            let strongest = |m: &[&'a appraise_score::anomaly::Anomaly]| {
                m.iter().copied().max_by(|a, b| {
                    a.score
                        .abs()
                        .total_cmp(&b.score.abs())
                        .then(b.consumer_id.cmp(&a.consumer_id))
                })
            };
            let own: Vec<_> = members
                .iter()
                .copied()
                .filter(|a| a.consumer_id.is_none())
                .collect();
            let head = strongest(&own).or_else(|| strongest(&members))?;
            Some(Event {
                head,
                pairs: members.iter().filter(|a| a.consumer_id.is_some()).count()
                    - usize::from(head.consumer_id.is_some()),
                score: members.iter().map(|a| a.score.abs()).fold(0.0, f64::max),
            })
        })
        .collect()
}

/// One anomaly, in words.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AnomalyRow {
    pub day: String,
    pub department: String,
    /// The consuming department of a pair's anomaly; empty for the department's own.
    pub consumer: String,
    pub kind: String,
    pub severity: String,
    pub metric: String,
    pub observed: String,
    pub expected: String,
}

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

#[derive(Debug, Serialize)]
pub(crate) struct GradeCount {
    pub grade: String,
    pub label: String,
    pub colour: String,
    pub ink: String,
    pub count: usize,
    pub share: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct Coverage {
    pub key: String,
    pub title: String,
    pub with_value: usize,
    pub share: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct DimensionView {
    pub id: String,
    pub title: String,
    pub weight: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct Method {
    pub aggregation: String,
    pub min_coverage: String,
    pub kpis: Vec<RuleView>,
    pub grade_method: String,
    pub bands: Vec<BandView>,
    pub runs: usize,
    pub seed: u64,
    pub weight_noise: String,
    pub evaluations: usize,
    pub mean_rank_change: String,
    /// What the robustness analysis varies, in a sentence.
    pub intro: String,
    pub sobol: Vec<SobolView>,
    /// The Sobol indices as a chart (SVG); empty without the robustness analysis.
    pub sensitivity: String,
    pub decisive: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct RuleView {
    pub key: String,
    pub id: String,
    pub title: String,
    pub dimension: String,
    pub weight: String,
    pub share: String,
    pub direction: String,
    pub transform: String,
    pub normalise: String,
    pub goalposts: String,
    pub missing: String,
    pub min_sample: u64,
}

#[derive(Debug, Serialize)]
pub(crate) struct BandView {
    pub grade: String,
    pub label: String,
    pub rule: String,
    pub colour: String,
    pub ink: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct SobolView {
    pub assumption: String,
    pub first_order: String,
    pub total: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct KpiView {
    pub key: String,
    pub id: String,
    /// The id as the appendix shows it beside the title: in English; none in Chinese,
    /// whose reader has the title (the workbook's data dictionary maps ids).
    pub code: String,
    pub title: String,
    pub dimension: String,
    pub unit: String,
    pub direction: String,
    pub description: String,
    pub sql: String,
    pub file: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct Quality {
    pub tables: Vec<TableQuality>,
    pub reasons: Vec<ReasonCount>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct TableQuality {
    pub table: String,
    pub read: String,
    pub loaded: String,
    pub rejected: String,
    pub duplicates: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct ReasonCount {
    pub table: String,
    pub reason: String,
    pub rows: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct Pair {
    pub a: String,
    pub b: String,
    pub rho: String,
}

/// A department's report card.
#[derive(Debug, Serialize)]
pub(crate) struct CardView<'a> {
    /// The rank over the periods scored as a small SVG (rank 1 at the top); empty with
    /// fewer than two ranked periods.
    pub sparkline: String,
    pub lang: &'static str,
    pub t: &'a Strings,
    pub scorecard: String,
    pub period: String,
    pub row: RankRow,
    pub dimensions: Vec<CardDimension>,
    pub kpis: Vec<CardKpi>,
    pub radar: String,
    pub history: Vec<HistoryRow>,
    pub strengths: Vec<StandingView>,
    pub weaknesses: Vec<StandingView>,
    /// The KPIs whose change alone moves the department up, least effort first.
    pub levers: Vec<LeverView>,
    /// The best lever in a sentence; or that no single KPI reaches the next grade.
    pub lever: String,
    /// The anomalies of its exchange traffic as provider, by day.
    pub anomalies: Vec<AnomalyRow>,
    /// Why it is not ranked, in a sentence; empty when it is.
    pub reason: String,
    /// What the rank interval is, in a sentence; empty without the robustness analysis.
    pub interval_note: String,
}

/// A KPI whose change alone lifts a department: to the next grade, to the next rank.
#[derive(Debug, Serialize)]
pub(crate) struct LeverView {
    pub title: String,
    pub value: String,
    /// The target for the next grade and the grade it gives; `–` where none suffices.
    pub grade_target: String,
    pub rank_target: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct CardDimension {
    pub title: String,
    pub weight: String,
    pub score: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct CardKpi {
    pub key: String,
    pub id: String,
    pub title: String,
    /// The unit in the brackets of the report's language, as it follows the title
    /// ("（比率）", " (ratio)"); empty without one.
    pub unit: String,
    pub value: String,
    /// For a rate: its 95 % interval (`0.21–0.72`), and the rate scored where the
    /// scorecard shrinks it; empty otherwise.
    pub interval: String,
    pub shrunk: String,
    pub numerator: String,
    pub denominator: String,
    pub sample: String,
    pub score: String,
    pub rank: String,
    pub peer_median: String,
    /// The peer group's median of the value (departments with a value).
    pub peer_value: String,
    /// The previous period's value, and the change since.
    pub previous: String,
    pub change: String,
    /// Composite points gained (+) or lost (−) against the peer median: weight ×
    /// (score − peer median score).
    pub points: String,
    pub weight: String,
    pub contribution: String,
    pub flags: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct HistoryRow {
    pub period: String,
    pub rank: String,
    pub composite: String,
    pub grade: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct StandingView {
    pub title: String,
    pub score: String,
    pub peer_median: String,
    pub difference: String,
    /// Composite points gained or lost against the peer median.
    pub points: String,
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
    pub anomalies: &'a appraise_score::anomaly::Detected,
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

/// Rows shown in the summary's top, bottom and movers lists (top and bottom at most
/// half the ranked departments each, so that they never overlap).
const SUMMARY_ROWS: usize = 5;

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
            return w.text().to_string();
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
        let change = a.previous().map(|p| compare::change(s, p, d));
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

    /// The note under KPI `k`'s funnel plot: what its limits mean, then the departments
    /// outside the 99.8 % limits and those outside only the 95 % ones, above and below
    /// (or that none is).
    pub(crate) fn funnel_note(&self, src: &crate::charts::Source<'_>, k: usize) -> String {
        let Some(f) = src.funnels().iter().find(|f| f.kpi == k) else {
            return String::new();
        };
        let names = |signal: i8| {
            let mut n: Vec<String> = f
                .points
                .iter()
                .filter(|p| p.signal == signal)
                .map(|p| short_text(&self.name(p.department)))
                .collect();
            n.sort();
            n.join(&self.word("list_sep"))
        };
        let mut note = self.word("funnel_explain");
        let mut any = false;
        for (signal, key) in [
            (2, "funnel_above_998"),
            (1, "funnel_above_95"),
            (-1, "funnel_below_95"),
            (-2, "funnel_below_998"),
        ] {
            let list = names(signal);
            if !list.is_empty() {
                any = true;
                note.push_str(&self.word(key).replace("{names}", &list));
            }
        }
        if !any {
            note.push_str(&self.word("funnel_within"));
        }
        note.trim_end().to_string()
    }

    /// The cover's issuer, document number and date (the logo is read by the writer).
    fn bulletin(&self) -> BulletinView {
        let b = &self.appraisal.scorecard.bulletin;
        let issuer = match self.lang {
            Lang::Zh => b.issuer_zh.clone().or(b.issuer.clone()),
            Lang::En => b.issuer.clone().or(b.issuer_zh.clone()),
        };
        let unset = |key: &str| {
            format!(
                "{}{}{}",
                self.word("bracket_open"),
                self.word(key),
                self.word("bracket_close")
            )
        };
        BulletinView {
            draft: issuer.is_none() || b.document_number.is_none() || b.issued.is_none(),
            author: issuer.clone().unwrap_or_default(),
            issuer: issuer.unwrap_or_else(|| unset("bulletin_issuer")),
            document_number: b
                .document_number
                .clone()
                .unwrap_or_else(|| unset("bulletin_number")),
            issued: b
                .issued
                .map_or_else(|| unset("bulletin_issued"), |d| self.lang.date(d)),
            logo: None,
            logo_format: b
                .logo
                .as_ref()
                .and_then(|p| p.extension())
                .and_then(|e| e.to_str())
                .map(|e| match e.to_ascii_lowercase().as_str() {
                    "jpeg" => "jpg".to_string(),
                    e => e.to_string(),
                })
                .unwrap_or_default(),
        }
    }

    /// The key findings in plain sentences, from the figures: the grades, the
    /// composite's median and its change, the top department, the largest moves in rank
    /// and grade, the departments not ranked, the values resting on few cases, and the
    /// anomalies found.
    fn findings(&self, ranked: &[usize], risers: &[RankRow], fallers: &[RankRow]) -> Vec<String> {
        let a = self.appraisal;
        let s = &a.current;
        let mut out = Vec::new();
        let fill = |key: &str, args: &[(&str, String)]| {
            args.iter().fold(self.word(key), |text, (name, value)| {
                text.replace(&format!("{{{name}}}"), value)
            })
        };
        let counts: Vec<String> = self
            .grade_counts(ranked)
            .iter()
            .map(|g| {
                fill(
                    "finding_grade_count",
                    &[("grade", g.grade.clone()), ("count", g.count.to_string())],
                )
            })
            .collect();
        out.push(fill(
            "finding_grades",
            &[
                ("ranked", ranked.len().to_string()),
                ("counts", counts.join(&self.word("list_sep"))),
            ],
        ));
        let median = |scores: &Scores| {
            let mut c: Vec<f64> = scores
                .ranked()
                .iter()
                .filter_map(|&d| scores.departments[d].composite)
                .collect();
            c.sort_by(f64::total_cmp);
            (!c.is_empty()).then(|| {
                let m = c.len() / 2;
                if c.len() % 2 == 1 {
                    c[m]
                } else {
                    (c[m - 1] + c[m]) / 2.0
                }
            })
        };
        if let Some(now) = median(s) {
            match a.previous().and_then(median) {
                Some(before) => out.push(fill(
                    if now >= before {
                        "finding_median_up"
                    } else {
                        "finding_median_down"
                    },
                    &[
                        ("median", self.num(Some(now), 2)),
                        ("change", self.num(Some((now - before).abs()), 2)),
                    ],
                )),
                None => out.push(fill(
                    "finding_median",
                    &[("median", self.num(Some(now), 2))],
                )),
            }
        }
        let short = |d: usize| short_text(&self.name(d));
        let first: Vec<usize> = ranked
            .iter()
            .copied()
            .filter(|&d| s.departments[d].rank == Some(1))
            .collect();
        if let Some(&top) = first.first() {
            let composite = ("composite", self.num(s.departments[top].composite, 2));
            out.push(if first.len() == 1 {
                fill("finding_top", &[("name", short(top)), composite])
            } else {
                let names: Vec<String> = first.iter().map(|&d| short(d)).collect();
                fill(
                    "finding_top_tied",
                    &[("names", names.join(&self.word("list_sep"))), composite],
                )
            });
        }
        if let (Some(up), Some(down)) = (risers.first(), fallers.first()) {
            out.push(fill(
                "finding_movers",
                &[
                    ("riser", short_text(&up.name)),
                    ("up", (up.change_sort.abs() as i64).to_string()),
                    ("faller", short_text(&down.name)),
                    ("down", (down.change_sort.abs() as i64).to_string()),
                ],
            ));
        }
        if let Some(p) = a.previous() {
            let (mut better, mut worse) = (0, 0);
            for &d in ranked {
                let dep = &s.departments[d];
                let before = p
                    .position(&dep.department.id)
                    .and_then(|e| p.departments[e].grade);
                match (dep.grade, before) {
                    (Some(g), Some(b)) if g < b => better += 1,
                    (Some(g), Some(b)) if g > b => worse += 1,
                    _ => {}
                }
            }
            out.push(fill(
                "finding_grade_moves",
                &[("better", better.to_string()), ("worse", worse.to_string())],
            ));
        }
        let unranked = s.departments.len() - ranked.len();
        if unranked > 0 {
            out.push(fill("finding_unranked", &[("count", unranked.to_string())]));
        }
        let scored = s.cells.iter().filter(|c| c.score.is_some()).count();
        let few = s
            .cells
            .iter()
            .filter(|c| c.score.is_some() && c.flags.contains(appraise_score::Flags::LOW_N))
            .count();
        if few > 0 {
            out.push(fill(
                "finding_low_n",
                &[
                    (
                        "share",
                        self.lang.percent(few as f64 / scored.max(1) as f64),
                    ),
                    ("n", appraise_score::rates::LOW_N.to_string()),
                ],
            ));
        }
        let found = self.anomalies.anomalies.len();
        if found > 0 {
            out.push(fill("finding_anomalies", &[("count", found.to_string())]));
        }
        out
    }

    pub(crate) fn report(&self, charts: Vec<Chart>) -> ReportView<'a> {
        let a = self.appraisal;
        let s = &a.current;
        let order = s.ranking_order();
        let ranked = s.ranked();
        let ranking: Vec<RankRow> = order.iter().map(|&d| self.row(d)).collect();
        let ranked_rows: Vec<RankRow> = ranking
            .iter()
            .filter(|r| r.rank_sort < f64::MAX)
            .cloned()
            .collect();
        let (risers, fallers) = movers(&ranked_rows);
        let findings = self.findings(&ranked, &risers, &fallers);
        let ends = SUMMARY_ROWS.min(ranked_rows.len() / 2);
        let bottom: Vec<RankRow> = ranked_rows.iter().rev().take(ends).cloned().collect();
        ReportView {
            lang: self.lang.code(),
            t: self.t,
            scorecard: self.scorecard_name(),
            period: self.lang.period(&s.period),
            previous: a.previous().map(|p| self.lang.period(&p.period)),
            departments: s.departments.len(),
            ranked: ranked.len(),
            unranked: s.departments.len() - ranked.len(),
            top: ranked_rows.iter().take(ends).cloned().collect(),
            bottom: bottom.into_iter().rev().collect(),
            risers,
            fallers,
            grades: self.grade_counts(&ranked),
            coverage: self.coverage(),
            dimensions: self.dimensions(),
            ranking,
            print_charts: Vec::new(),
            charts,
            method: self.method(),
            appendix: self.appendix(),
            quality: self.quality(),
            redundant: a
                .correlations
                .iter()
                .filter(|c| c.redundant)
                .map(|c| Pair {
                    a: self.kpi_title(&c.kpi_a),
                    b: self.kpi_title(&c.kpi_b),
                    rho: self.num(Some(c.rho), 2),
                })
                .collect(),
            warnings: self.warnings(&s.warnings),
            anomalies: self.anomaly_section(),
            bulletin: self.bulletin(),
            findings,
            interval_note: self.interval_note(),
            whatif: self.whatif(),
        }
    }

    /// The anomaly section: counts by kind and the most severe anomalies by day; its
    /// chart is drawn with the others.
    fn anomaly_section(&self) -> AnomalySection {
        use appraise_score::anomaly::Kind;
        let found = self.anomalies;
        let mut worst = events(found.anomalies.iter());
        let all = worst.len();
        worst.sort_by(|a, b| b.score.total_cmp(&a.score));
        worst.truncate(ANOMALY_ROWS);
        worst.sort_by(|a, b| {
            (a.head.day, &a.head.department_id).cmp(&(b.head.day, &b.head.department_id))
        });
        AnomalySection {
            department_days: self.lang.count(found.department_days),
            pairs: found.pairs,
            counts: [Kind::Outage, Kind::LatencyRegression, Kind::Spike]
                .into_iter()
                .map(|k| {
                    (
                        self.word(&format!("anomaly:{}", k.name())),
                        found.anomalies.iter().filter(|a| a.kind == k).count(),
                    )
                })
                .collect(),
            rows: worst.iter().map(|e| self.anomaly_row(e)).collect(),
            more: all.saturating_sub(ANOMALY_ROWS),
            chart: String::new(),
            print_landscape: false,
        }
    }

    /// An event in words: its head, with the pairs flagged besides in the consumer's
    /// column.
    fn anomaly_row(&self, e: &Event<'_>) -> AnomalyRow {
        use appraise_score::anomaly::Metric;
        let a = e.head;
        let s = &self.appraisal.current;
        let name = |id: &str| {
            s.position(id)
                .map_or_else(|| id.to_string(), |d| self.name(d))
        };
        let value = |x: f64| match a.metric {
            Metric::Volume => self.num(Some(x), 0),
            Metric::FailureRate => self.lang.percent(x),
            Metric::P90Ms => self
                .lang
                .with_unit(&self.num(Some(x), 0), &self.word("unit_ms")),
        };
        AnomalyRow {
            day: if self.anomalies.holidays.contains(&a.day) {
                self.word("anomaly_holiday")
                    .replace("{day}", &a.day.to_string())
            } else {
                a.day.to_string()
            },
            department: name(&a.department_id),
            consumer: {
                let consumer = a.consumer_id.as_deref().map_or(String::new(), name);
                let n = e.pairs.to_string();
                match (consumer.is_empty(), e.pairs) {
                    (_, 0) => consumer,
                    (true, _) => self.word("anomaly_pairs").replace("{n}", &n),
                    (false, _) => self
                        .word("anomaly_more_pairs")
                        .replace("{consumer}", &consumer)
                        .replace("{n}", &n),
                }
            },
            kind: self.word(&format!("anomaly:{}", a.kind.name())),
            severity: self.word(&format!("severity:{}", a.severity.name())),
            metric: self.word(&format!("metric:{}", a.metric.name())),
            observed: value(a.observed),
            expected: value(a.expected),
        }
    }

    /// The what-if data ([`ReportView::whatif`]).
    fn whatif(&self) -> String {
        let a = self.appraisal;
        let (s, card) = (&a.current, &a.scorecard);
        let dim = |id: &str| card.dimensions.iter().position(|d| d.id == id);
        let data = serde_json::json!({
            "tie": appraise_score::TIE,
            "aggregation": match card.aggregation {
                appraise_score::Aggregation::Arithmetic => "arithmetic",
                appraise_score::Aggregation::Geometric => "geometric",
            },
            "min_coverage": card.min_coverage,
            "max_weight": appraise_score::scorecard::MAX_WEIGHT,
            "messages": {
                "weight": self.word("whatif_bad_weight"),
                "address": self.word("whatif_bad_address"),
                "aggregation": self.word("whatif_bad_aggregation"),
                "dimensions": self.word("whatif_zero_dimensions"),
                "kpis": self.word("whatif_zero_kpis"),
            },
            "aggregations": {
                "arithmetic": self.word("aggregation:arithmetic"),
                "geometric": self.word("aggregation:geometric"),
            },
            "dimensions": card.dimensions.iter().map(|d| serde_json::json!({
                "id": d.id, "title": self.dimension_title(&d.id), "weight": d.weight,
            })).collect::<Vec<_>>(),
            "kpis": card.kpis.iter().map(|k| serde_json::json!({
                "id": k.id, "code": k.code, "title": self.kpi_title(&k.id),
                "dimension": dim(&k.dimension), "weight": k.weight,
            })).collect::<Vec<_>>(),
            "grades": {
                "quota": card.grades.method == appraise_score::GradeMethod::Quota,
                "bands": card.grades.bands.iter().map(|b| serde_json::json!({
                    "grade": b.grade, "min": b.min, "share": b.share,
                })).collect::<Vec<_>>(),
            },
            // In the scoring's order (by id), which breaks ties.
            "departments": s.departments.iter().enumerate().map(|(d, dep)| serde_json::json!({
                "id": dep.department.id,
                "name": self.name(d),
                "rank": dep.rank,
                "scores": (0..s.kpis.len()).map(|k| s.cell(d, k).score).collect::<Vec<_>>(),
                "usable": (0..s.kpis.len()).map(|k| s.cell(d, k).treated.is_some()).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "scorecard": card.text,
        });
        // Markup characters only occur inside JSON strings, where their \u escapes
        // read the same: nothing in the data can end or open an element.
        data.to_string()
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026")
    }

    /// A card's KPI table: the department's value, score, rank and weight of each KPI.
    fn card_kpis(&self, d: usize) -> Vec<CardKpi> {
        let s = &self.appraisal.current;
        let id = &s.departments[d].department.id;
        s.kpis
            .iter()
            .enumerate()
            .map(|(k, kpi)| {
                let cell = s.cell(d, k);
                let raw = self.matrix.get(id, kpi);
                let column = &self.columns[k];
                let previous = self.appraisal.previous().and_then(|p| {
                    let pd = p.position(id)?;
                    let pk = p.kpis.iter().position(|x| x == kpi)?;
                    p.cell(pd, pk).value
                });
                CardKpi {
                    key: kpi_key(&self.appraisal.scorecard, kpi),
                    id: kpi.clone(),
                    title: self.kpi_title(kpi),
                    unit: self
                        .kpis
                        .iter()
                        .find(|x| &x.id == kpi)
                        .map(|x| self.unit(x))
                        .filter(|u| !u.is_empty())
                        .map(|u| self.word("unit_after_title").replace("{unit}", &u))
                        .unwrap_or_default(),
                    value: self.num(cell.value, column.decimals),
                    interval: cell.interval.map_or(String::new(), |(lo, hi)| {
                        self.range(lo, hi, column.decimals)
                    }),
                    shrunk: cell
                        .shrunk
                        .map_or(String::new(), |x| self.num(Some(x), column.decimals)),
                    numerator: self.whole(raw.and_then(|r| r.numerator)),
                    denominator: self.whole(raw.and_then(|r| r.denominator)),
                    sample: raw
                        .and_then(|r| r.sample_size)
                        .map_or("–".into(), |n| self.lang.count(n.max(0) as u64)),
                    score: self.num(cell.score, 1),
                    rank: column.ranks[d]
                        .map_or("–".into(), |r| format!("{r}/{}", column.scored)),
                    peer_median: self.num(cell.peer_median, 1),
                    peer_value: self.num(peer_value_median(s, d, k), column.decimals),
                    previous: self.num(previous, column.decimals),
                    change: match (cell.value, previous) {
                        (Some(now), Some(before)) => {
                            signed(&self.num(Some(now - before), column.decimals), now - before)
                        }
                        _ => "–".into(),
                    },
                    points: points_against_peers(cell)
                        .map_or("–".into(), |p| signed(&self.num(Some(p), 2), p)),
                    weight: self.lang.percent(cell.weight.unwrap_or(0.0)),
                    contribution: self.num(cell.contribution, 2),
                    flags: self.flags(&cell.flags.names()),
                }
            })
            .collect()
    }

    /// A card's strengths and weaknesses: the KPIs that gain and lose the department the
    /// most composite points against its peer median (weight × score gap), at most
    /// five each; only scores from real values count (an imputed one says nothing).
    fn standings(&self, d: usize) -> (Vec<StandingView>, Vec<StandingView>) {
        let s = &self.appraisal.current;
        let mut all: Vec<(usize, f64)> = (0..s.kpis.len())
            .filter(|&k| !s.cell(d, k).flags.imputed())
            .filter_map(|k| Some((k, points_against_peers(s.cell(d, k))?)))
            .collect();
        // Most points first; equal points in scorecard order.
        all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let view = |&(k, points): &(usize, f64)| {
            let c = s.cell(d, k);
            StandingView {
                title: self.kpi_title(&s.kpis[k]),
                score: self.num(c.score, 1),
                peer_median: self.num(c.peer_median, 1),
                difference: format!(
                    "{:+.1}",
                    c.score.unwrap_or(0.0) - c.peer_median.unwrap_or(0.0)
                ),
                points: signed(&self.num(Some(points), 2), points),
            }
        };
        let strengths = all.iter().filter(|x| x.1 > 0.0).take(5).map(view).collect();
        let weaknesses = all
            .iter()
            .rev()
            .filter(|x| x.1 < 0.0)
            .take(5)
            .map(view)
            .collect();
        (strengths, weaknesses)
    }

    /// How many ranked departments have each grade.
    fn grade_counts(&self, ranked: &[usize]) -> Vec<GradeCount> {
        let s = &self.appraisal.current;
        let bands = &self.appraisal.scorecard.grades.bands;
        (0..bands.len())
            .map(|g| {
                let count = ranked
                    .iter()
                    .filter(|&&d| s.departments[d].grade == Some(g))
                    .count();
                let (grade, label) = self.grade(Some(g));
                GradeCount {
                    grade,
                    label,
                    colour: hex(grade_colour(Some(g), bands.len())),
                    ink: hex(grade_ink(grade_colour(Some(g), bands.len()))),
                    count,
                    share: self.lang.percent(count as f64 / ranked.len().max(1) as f64),
                }
            })
            .collect()
    }

    /// How many departments have a value of each KPI.
    fn coverage(&self) -> Vec<Coverage> {
        let s = &self.appraisal.current;
        s.kpis
            .iter()
            .enumerate()
            .map(|(k, id)| {
                let with_value = (0..s.departments.len())
                    .filter(|&d| s.cell(d, k).value.is_some())
                    .count();
                Coverage {
                    key: kpi_key(&self.appraisal.scorecard, id),
                    title: self.kpi_title(id),
                    with_value,
                    share: self
                        .lang
                        .percent(with_value as f64 / s.departments.len().max(1) as f64),
                }
            })
            .collect()
    }

    fn scorecard_name(&self) -> String {
        let card = &self.appraisal.scorecard;
        match self.lang {
            Lang::Zh => card.name_zh.clone().unwrap_or(card.name.clone()),
            Lang::En => card.name.clone(),
        }
    }

    fn dimensions(&self) -> Vec<DimensionView> {
        let card = &self.appraisal.scorecard;
        let total: f64 = card.dimensions.iter().map(|d| d.weight).sum();
        card.dimensions
            .iter()
            .map(|d| DimensionView {
                id: d.id.clone(),
                title: self.dimension_title(&d.id),
                weight: self.lang.percent(d.weight / total.max(f64::MIN_POSITIVE)),
            })
            .collect()
    }

    fn method(&self) -> Method {
        let a = self.appraisal;
        let card = &a.scorecard;
        let shares = card.nominal_shares();
        let kpis = a
            .current
            .kpis
            .iter()
            .filter_map(|id| {
                let rule = card.kpi(id)?;
                let def = self.kpis.iter().find(|d| &d.id == id);
                Some(RuleView {
                    key: kpi_key(&self.appraisal.scorecard, id),
                    id: id.clone(),
                    title: self.kpi_title(id),
                    dimension: self.dimension_title(&rule.dimension),
                    weight: self.num(Some(rule.weight), 2),
                    share: shares
                        .get(card.kpis.iter().position(|r| &r.id == id)?)
                        .map_or("–".into(), |s| self.lang.percent(*s)),
                    direction: def.map_or(String::new(), |d| {
                        self.word(&format!("direction:{}", name_of(&d.direction)))
                    }),
                    transform: self.word(&format!("transform:{}", name_of(&rule.transform))),
                    normalise: self.word(&format!("normalise:{}", name_of(&rule.normalise))),
                    goalposts: match (rule.floor, rule.target) {
                        (Some(f), Some(t)) => format!("{f} → {t}"),
                        _ => "–".into(),
                    },
                    missing: self.word(&format!("missing:{}", name_of(&rule.missing))),
                    min_sample: rule.min_sample,
                })
            })
            .collect();
        let bands = card
            .grades
            .bands
            .iter()
            .enumerate()
            .map(|(g, b)| {
                let (grade, label) = self.grade(Some(g));
                BandView {
                    grade,
                    label,
                    rule: match (b.min, b.share) {
                        (Some(m), _) => format!("≥ {}", self.num(Some(m), 1)),
                        (_, Some(s)) => format!("≤ {}", self.lang.percent(s)),
                        _ => self.word("band_rest"),
                    },
                    colour: hex(grade_colour(Some(g), card.grades.bands.len())),
                    ink: hex(grade_ink(grade_colour(Some(g), card.grades.bands.len()))),
                }
            })
            .collect();
        let r = a.robustness.as_ref();
        Method {
            aggregation: self.word(&format!("aggregation:{}", name_of(&card.aggregation))),
            min_coverage: self.lang.percent(card.min_coverage),
            kpis,
            grade_method: self.word(&format!("grades:{}", name_of(&card.grades.method))),
            bands,
            runs: card.uncertainty.runs,
            seed: card.uncertainty.seed,
            weight_noise: format!("± {}", self.lang.percent(card.uncertainty.weight_noise)),
            evaluations: r.map_or(0, |r| r.evaluations),
            mean_rank_change: self.num(r.map(|r| r.mean_rank_change), 2),
            intro: r.map_or(String::new(), |r| {
                self.word("robustness_intro")
                    .replace("{factors}", &self.factors(r))
            }),
            sobol: r.map_or(Vec::new(), |r| {
                r.sobol
                    .iter()
                    .map(|s| SobolView {
                        assumption: self.word(&format!("assumption:{}", s.assumption.name())),
                        first_order: self.num(s.first_order, 3),
                        total: self.num(s.total, 3),
                    })
                    .collect()
            }),
            sensitivity: String::new(),
            decisive: r
                .and_then(|r| r.decisive())
                .map(|x| self.word(&format!("assumption:{}", x.name()))),
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

    /// Why department `d` is not ranked, in a sentence; empty when it is.
    fn unranked_reason(&self, d: usize) -> String {
        let dep = &self.appraisal.current.departments[d];
        if dep.status == appraise_score::Status::Ranked {
            return String::new();
        }
        if dep.composite.is_none() {
            return self.word("unranked_no_score");
        }
        self.word("unranked_coverage")
            .replace("{coverage}", &self.lang.percent(dep.coverage))
            .replace(
                "{required}",
                &self.lang.percent(self.appraisal.scorecard.min_coverage),
            )
    }

    /// The factors the robustness analysis varied, as one phrase.
    fn factors(&self, r: &appraise_score::Robustness) -> String {
        let names: Vec<String> = r
            .sobol
            .iter()
            .map(|s| self.word(&format!("assumption:{}", s.assumption.name())))
            .collect();
        self.joined(&names, "list_join")
    }

    fn appendix(&self) -> Vec<KpiView> {
        let s = &self.appraisal.current;
        s.kpis
            .iter()
            .filter_map(|id| {
                let def = self.kpis.iter().find(|d| &d.id == id)?;
                let dimension = self
                    .appraisal
                    .scorecard
                    .kpi(id)
                    .map_or(def.dimension.clone(), |r| r.dimension.clone());
                let english = self.lang == Lang::En;
                Some(KpiView {
                    key: kpi_key(&self.appraisal.scorecard, id),
                    id: id.clone(),
                    code: if english { id.clone() } else { String::new() },
                    title: self.kpi_title(id),
                    dimension: self.dimension_title(&dimension),
                    unit: self.unit(def),
                    direction: self.word(&format!("direction:{}", name_of(&def.direction))),
                    description: match (self.lang, &def.description_zh) {
                        (Lang::Zh, Some(zh)) => zh.clone(),
                        _ => def.description.clone().unwrap_or_default(),
                    },
                    // The Chinese appendix: the query without its English comments, and
                    // no file name.
                    sql: if english {
                        def.sql.clone()
                    } else {
                        without_comments(&def.sql)
                    },
                    file: def
                        .path
                        .file_name()
                        .filter(|_| english)
                        .map_or(String::new(), |n| n.to_string_lossy().into_owned()),
                })
            })
            .collect()
    }

    fn quality(&self) -> Quality {
        let c = |n: u64| self.lang.count(n);
        Quality {
            tables: self
                .data
                .tables
                .iter()
                .map(|t| TableQuality {
                    table: self.value_word("table", t.table.name()),
                    read: c(t.accounting.read),
                    loaded: c(t.accounting.loaded),
                    rejected: c(t.accounting.rejected),
                    duplicates: c(t.accounting.duplicates),
                })
                .collect(),
            reasons: self
                .data
                .tables
                .iter()
                .flat_map(|t| {
                    t.accounting.reasons.iter().map(|(r, n)| ReasonCount {
                        table: self.value_word("table", t.table.name()),
                        reason: self.value_word("reason", r),
                        rows: c(*n),
                    })
                })
                .collect(),
            warnings: self.warnings(&self.data.warnings),
        }
    }

    /// The report card of the department at position `d`.
    pub(crate) fn card(&self, d: usize, radar: String) -> CardView<'a> {
        let a = self.appraisal;
        let s = &a.current;
        let dep = &s.departments[d];
        let id = &dep.department.id;
        let card = &a.scorecard;
        let dimensions = s
            .dimensions
            .iter()
            .enumerate()
            .map(|(j, dim)| CardDimension {
                title: self.dimension_title(dim),
                weight: card
                    .dimensions
                    .iter()
                    .find(|x| &x.id == dim)
                    .map_or("–".into(), |x| self.num(Some(x.weight), 2)),
                score: self.num(dep.dimensions[j], 1),
            })
            .collect();
        let kpis = self.card_kpis(d);
        let history = std::iter::once(s)
            .chain(a.history.iter())
            .filter_map(|p| {
                let x = &p.departments[p.position(id)?];
                Some(HistoryRow {
                    period: self.lang.period(&p.period),
                    rank: x.rank.map_or("–".into(), |r| r.to_string()),
                    composite: self.num(x.composite, 2),
                    grade: self.grade(x.grade).0,
                })
            })
            .collect();
        // Oldest first: the rank in each period scored, out of the departments ranked.
        let ranks: Vec<(Option<u32>, usize)> = a
            .history
            .iter()
            .rev()
            .chain(std::iter::once(s))
            .filter_map(|p| Some((p.departments[p.position(id)?].rank, p.ranked().len())))
            .collect();
        let sparkline = sparkline(&ranks);
        let (strengths, weaknesses) = self.standings(d);
        let (levers, lever) = self.levers(d);
        let row = self.row(d);
        CardView {
            sparkline,
            lang: self.lang.code(),
            t: self.t,
            scorecard: self.scorecard_name(),
            period: self.lang.period(&s.period),
            row,
            dimensions,
            kpis,
            radar,
            history,
            strengths,
            weaknesses,
            levers,
            lever,
            anomalies: events(
                self.anomalies
                    .anomalies
                    .iter()
                    .filter(|a| a.department_id == *id),
            )
            .iter()
            .map(|e| self.anomaly_row(e))
            .collect(),
            reason: self.unranked_reason(d),
            interval_note: self.interval_note(),
        }
    }

    /// A card's levers ([`appraise_score::targets`]): the route to the next grade in
    /// words, and each KPI with a plausible target, ordered by the relative change its
    /// next-grade target asks for (else its next-rank one), at most five. A target
    /// that is not plausible (beyond twice the value and the department's own best)
    /// is left out of the card; `targets.csv` keeps it.
    fn levers(&self, d: usize) -> (Vec<LeverView>, String) {
        use appraise_score::targets::{Goal, Target, factor};
        let a = self.appraisal;
        let s = &a.current;
        let id = &s.departments[d].department.id;
        let mine: Vec<&Target> = a
            .targets
            .iter()
            .filter(|t| &t.department_id == id && t.plausible)
            .collect();
        let effort = |t: &Target| {
            if t.value > 0.0 {
                factor(t.value, t.target) - 1.0
            } else {
                f64::INFINITY
            }
        };
        let of = |kpi: &str, goal: Goal| mine.iter().find(|t| t.kpi == kpi && t.goal == goal);
        let mut kpis: Vec<(&str, f64, f64)> = Vec::new();
        for t in &mine {
            if kpis.iter().any(|(k, _, _)| *k == t.kpi) {
                continue;
            }
            let by_grade = of(&t.kpi, Goal::NextGrade).map_or(f64::INFINITY, |t| effort(t));
            let by_rank = of(&t.kpi, Goal::NextRank).map_or(f64::INFINITY, |t| effort(t));
            kpis.push((&t.kpi, by_grade, by_rank));
        }
        kpis.sort_by(|a, b| {
            a.1.total_cmp(&b.1)
                .then(a.2.total_cmp(&b.2))
                .then(a.0.cmp(b.0))
        });
        let decimals = |kpi: &str| {
            let k = s.kpis.iter().position(|id| id == kpi).unwrap_or(0);
            self.columns[k].decimals
        };
        let shown = |kpi: &str, x: f64| self.num(Some(x), decimals(kpi));
        // A target is shown rounded away from the value, so that the figure printed
        // still reaches the goal.
        let shown_target = |kpi: &str, value: f64, target: f64| {
            let decimals = decimals(kpi);
            let scale = 10f64.powi(decimals as i32);
            let x = if target > value {
                (target * scale).ceil() / scale
            } else {
                (target * scale).floor() / scale
            };
            self.num(Some(x), decimals)
        };
        let levers: Vec<LeverView> = kpis
            .iter()
            .take(5)
            .map(|&(kpi, _, _)| {
                let target = |goal: Goal| {
                    of(kpi, goal).map_or("–".into(), |t| {
                        let reaches = match goal {
                            Goal::NextGrade => self.grade(Some(t.grade)).0,
                            Goal::NextRank => t.rank.to_string(),
                        };
                        format!("{} → {reaches}", shown_target(kpi, t.value, t.target))
                    })
                };
                LeverView {
                    title: self.kpi_title(kpi),
                    value: shown(
                        kpi,
                        mine.iter().find(|t| t.kpi == kpi).map_or(0.0, |t| t.value),
                    ),
                    grade_target: target(Goal::NextGrade),
                    rank_target: target(Goal::NextRank),
                }
            })
            .collect();
        let top = s.departments[d].grade == Some(0) && !a.scorecard.grades.bands.is_empty();
        let route = a.routes.iter().find(|r| &r.department_id == id);
        let lever = match route {
            Some(r) => {
                let steps: Vec<String> = r
                    .steps
                    .iter()
                    .map(|x| {
                        self.word("lever_step")
                            .replace("{kpi}", &self.kpi_title(&x.kpi))
                            .replace("{value}", &shown(&x.kpi, x.value))
                            .replace("{target}", &shown_target(&x.kpi, x.value, x.target))
                    })
                    .collect();
                let (grade, label) = self.grade(Some(r.grade));
                let grade = match (label.is_empty(), self.lang) {
                    (true, Lang::Zh) => format!("{grade}级"),
                    (true, Lang::En) => grade,
                    (false, Lang::Zh) => format!("{grade}级（{label}）"),
                    (false, Lang::En) => format!("{grade} ({label})"),
                };
                let steps = self.joined(&steps, "lever_join");
                let lever = self.word(if r.plausible { "lever" } else { "lever_far" });
                lever.replace("{grade}", &grade).replace("{steps}", &steps)
            }
            None if top => self.word("lever_top"),
            None if s.departments[d].rank.is_none() => String::new(),
            None => self.word("lever_none"),
        };
        (levers, lever)
    }
}

/// `sql` without its comments (`--` to the end of the line, outside a quoted string or
/// name), and without the lines left empty by them.
fn without_comments(sql: &str) -> String {
    let mut out = Vec::new();
    for line in sql.lines() {
        let mut quote: Option<char> = None;
        let mut cut = line.len();
        let mut chars = line.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, '-') if chars.peek().is_some_and(|&(_, n)| n == '-') => {
                    cut = i;
                    break;
                }
                _ => {}
            }
        }
        let kept = line[..cut].trim_end();
        if !kept.trim().is_empty() || line.trim().is_empty() && cut == line.len() {
            out.push(kept);
        }
    }
    // No blank lines at the head, where the header was.
    let start = out
        .iter()
        .position(|l| !l.trim().is_empty())
        .unwrap_or(out.len());
    out[start..].join("\n")
}

/// A name as a sentence gives it: cut at 40 characters with "…", as in the summary's
/// lists (the ranking gives it whole).
fn short_text(name: &str) -> String {
    match name.char_indices().nth(40) {
        Some((at, _)) => format!("{}…", &name[..at]),
        None => name.to_string(),
    }
}

/// The ranked departments that rose most and fell most since the previous period (at
/// most [`SUMMARY_ROWS`] each; ties by id).
fn movers(ranked: &[RankRow]) -> (Vec<RankRow>, Vec<RankRow>) {
    let mut movers: Vec<&RankRow> = ranked.iter().filter(|r| r.change_sort != 0.0).collect();
    movers.sort_by(|x, y| {
        y.change_sort
            .total_cmp(&x.change_sort)
            .then(x.id.cmp(&y.id))
    });
    let risers = movers
        .iter()
        .filter(|r| r.change_sort > 0.0)
        .take(SUMMARY_ROWS)
        .map(|r| (*r).clone())
        .collect();
    let fallers = movers
        .iter()
        .rev()
        .filter(|r| r.change_sort < 0.0)
        .take(SUMMARY_ROWS)
        .map(|r| (*r).clone())
        .collect();
    (risers, fallers)
}

/// Composite points a cell gains (+) or loses (−) against its peer median: its share of
/// the composite times the gap between its score and the peer median score.
fn points_against_peers(c: &appraise_score::Cell) -> Option<f64> {
    Some(c.weight? * (c.score? - c.peer_median?))
}

/// The median value of KPI `k` over the peer group of the department at `d`
/// (departments with a value, the department included).
fn peer_value_median(s: &Scores, d: usize, k: usize) -> Option<f64> {
    let group = &s.departments[d].department.peer_group;
    let mut values: Vec<f64> = (0..s.departments.len())
        .filter(|&o| &s.departments[o].department.peer_group == group)
        .filter_map(|o| s.cell(o, k).value)
        .filter(|v| v.is_finite())
        .collect();
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    })
}

/// A formatted change with its sign: `+1.5`, `−2.0` (a minus sign, not a hyphen); none
/// where it rounds to zero (`0.00`).
fn signed(formatted: &str, v: f64) -> String {
    if !formatted.chars().any(|c| c.is_ascii_digit() && c != '0') {
        formatted.trim_start_matches(['-', '−']).to_string()
    } else if v > 0.0 {
        format!("+{formatted}")
    } else if v < 0.0 {
        format!("−{}", formatted.trim_start_matches(['-', '−']))
    } else {
        formatted.to_string()
    }
}

/// A rank history as a small SVG line, oldest first, rank 1 at the top of a scale from 1
/// to the most departments ranked in any period; a period without a rank breaks the
/// line. Empty where fewer than two periods have a rank. Numbers only, so it is safe
/// to place as markup.
fn sparkline(ranks: &[(Option<u32>, usize)]) -> String {
    use std::fmt::Write as _;
    if ranks.iter().filter(|(r, _)| r.is_some()).count() < 2 {
        return String::new();
    }
    let (w, h, pad) = (160.0, 40.0, 5.0);
    let most = ranks.iter().map(|&(_, n)| n).max().unwrap_or(1).max(2) as f64;
    let x = |i: usize| pad + i as f64 * (w - 2.0 * pad) / (ranks.len() - 1).max(1) as f64;
    let y = |r: u32| pad + (f64::from(r) - 1.0) / (most - 1.0) * (h - 2.0 * pad);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">\
         <line x1=\"{pad}\" y1=\"{pad}\" x2=\"{}\" y2=\"{pad}\" stroke=\"#dddddd\"/>",
        w - pad
    );
    let mut run: Vec<String> = Vec::new();
    let flush = |run: &mut Vec<String>, svg: &mut String| {
        if run.len() > 1 {
            let _ = write!(
                svg,
                "<polyline fill=\"none\" stroke=\"#1f60a8\" stroke-width=\"2\" points=\"{}\"/>",
                run.join(" ")
            );
        }
        run.clear();
    };
    for (i, &(rank, _)) in ranks.iter().enumerate() {
        match rank {
            Some(r) => {
                run.push(format!("{:.1},{:.1}", x(i), y(r)));
                let _ = write!(
                    svg,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"#1f60a8\"/>",
                    x(i),
                    y(r)
                );
            }
            None => flush(&mut run, &mut svg),
        }
    }
    flush(&mut run, &mut svg);
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod sparkline_tests {
    use super::sparkline;

    #[test]
    fn a_sparkline_puts_rank_one_on_top_and_breaks_at_a_gap() {
        assert_eq!(sparkline(&[(Some(3), 10)]), "");
        let svg = sparkline(&[(Some(1), 10), (Some(10), 10), (None, 10), (Some(5), 10)]);
        // Rank 1 at y = 5 (the top), rank 10 at y = 35 (the bottom).
        assert!(svg.contains("points=\"5.0,5.0 55.0,35.0\""), "{svg}");
        // After the gap, one point alone: a dot, no line.
        assert_eq!(svg.matches("<polyline").count(), 1, "{svg}");
        assert_eq!(svg.matches("<circle").count(), 3, "{svg}");
        roxmltree::Document::parse(&svg).unwrap();
    }
}
