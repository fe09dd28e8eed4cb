//! The report's adjustments section: every accepted appeal or correction, the rows it
//! touched, and its effect on the appellant's KPIs, composite, rank and grade.

use appraise_kpi::adjust::{Action, Rows};

use super::*;

/// The adjustments section: shown with adjustments, and in a final bulletin (which says
/// where there were none).
#[derive(Debug, Serialize, Default)]
pub(crate) struct AdjustmentSection {
    pub shown: bool,
    /// The file's name and SHA-256, as the manifest records them.
    pub file: String,
    pub lines: Vec<AdjustmentRow>,
    pub effects: Vec<EffectRow>,
    /// The other departments whose rank moved with them, in a sentence.
    pub others: String,
}

/// One adjustment as the report lists it.
#[derive(Debug, Serialize)]
pub(crate) struct AdjustmentRow {
    pub line: usize,
    pub table: String,
    /// The row's id, or the appellant and the window.
    pub rows: String,
    pub action: String,
    pub reason: String,
    pub reference: String,
    /// How many rows of the data it touched.
    pub touched: String,
}

/// An appellant before and after the adjustments.
#[derive(Debug, Serialize)]
pub(crate) struct EffectRow {
    pub department: String,
    /// Each KPI whose value changed: title, before → after.
    pub kpis: Vec<String>,
    pub composite: String,
    pub rank: String,
    pub grade: String,
}

impl Views<'_> {
    /// The adjustments section of the report.
    pub(crate) fn adjustments(&self) -> AdjustmentSection {
        let Some(adjusted) = self.adjusted else {
            return AdjustmentSection {
                shown: self.status == Some(crate::Status::Final),
                ..AdjustmentSection::default()
            };
        };
        let a = &adjusted.adjustments;
        let lines = a
            .lines
            .iter()
            .zip(&adjusted.touched)
            .map(|(l, t)| AdjustmentRow {
                line: l.line,
                table: self.value_word("table", l.table.name()),
                rows: match &l.rows {
                    Rows::Id(id) => id.clone(),
                    Rows::Window { written, .. } => self
                        .word("adj_window")
                        .replace("{department}", l.department_id.as_deref().unwrap_or("–"))
                        .replace("{from}", &written.0)
                        .replace("{to}", &written.1),
                },
                action: match &l.action {
                    Action::Exclude => self.word("adj_exclude"),
                    Action::Set {
                        column, written, ..
                    } => self
                        .word("adj_set")
                        .replace("{column}", column)
                        .replace("{value}", written),
                },
                reason: l.reason.clone(),
                reference: l.reference.clone(),
                touched: self.num(Some(t.rows as f64), 0),
            })
            .collect();
        // The appellants: the departments named, and those whose rows were touched.
        let mut appellants: Vec<&str> = a
            .lines
            .iter()
            .filter_map(|l| l.department_id.as_deref())
            .chain(
                adjusted
                    .touched
                    .iter()
                    .flat_map(|t| t.departments.iter().map(String::as_str)),
            )
            .collect();
        appellants.sort();
        appellants.dedup();
        let (before, after) = (&adjusted.before, &self.appraisal.current);
        let effects = appellants
            .iter()
            .filter_map(|id| Some((before.position(id)?, after.position(id)?, *id)))
            .map(|(b, d, id)| {
                let kpis = after
                    .kpis
                    .iter()
                    .filter_map(|k| {
                        let was = adjusted.before_matrix.get(id, k).and_then(|v| v.value);
                        let is = self.matrix.get(id, k).and_then(|v| v.value);
                        (was != is).then(|| {
                            // As many decimals as the two need to differ, up to four
                            // more than the KPI's own.
                            let mut decimals = self.kpi_decimals(k);
                            let limit = decimals + 4;
                            while decimals < limit
                                && self.num(was, decimals) == self.num(is, decimals)
                            {
                                decimals += 1;
                            }
                            format!(
                                "{} {} → {}",
                                self.kpi_title(k),
                                self.num(was, decimals),
                                self.num(is, decimals)
                            )
                        })
                    })
                    .collect();
                let (x, y) = (&before.departments[b], &after.departments[d]);
                let rank = |r: Option<u32>| r.map_or("–".into(), |r| r.to_string());
                EffectRow {
                    department: self.name(d),
                    kpis,
                    composite: format!(
                        "{} → {}",
                        self.num(x.composite, 2),
                        self.num(y.composite, 2)
                    ),
                    rank: format!("{} → {}", rank(x.rank), rank(y.rank)),
                    grade: format!("{} → {}", self.grade(x.grade).0, self.grade(y.grade).0),
                }
            })
            .collect();
        let moved: Vec<String> = after
            .departments
            .iter()
            .enumerate()
            .filter(|(_, y)| !appellants.contains(&y.department.id.as_str()))
            .filter_map(|(d, y)| {
                let x = &before.departments[before.position(&y.department.id)?];
                (x.rank != y.rank).then(|| {
                    let rank = |r: Option<u32>| r.map_or("–".into(), |r| r.to_string());
                    format!("{} {} → {}", self.name(d), rank(x.rank), rank(y.rank))
                })
            })
            .collect();
        let others = if moved.is_empty() {
            self.word("adj_others_none")
        } else {
            self.word("adj_others")
                .replace("{n}", &moved.len().to_string())
                .replace("{list}", &moved.join(&self.word("lever_join")))
        };
        let name = a.path.file_name().map_or_else(
            || a.path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        AdjustmentSection {
            shown: true,
            file: format!("{name} · SHA-256 {}", a.sha256),
            lines,
            effects,
            others,
        }
    }
}
