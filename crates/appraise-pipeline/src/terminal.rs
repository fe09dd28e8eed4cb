//! What each command tells its user at the terminal when it is done, in the report's
//! words where it has them: lines to print, never written to a file.

use std::fmt::Write as _;
use std::path::Path;

use appraise_report::lang::Lang;
use appraise_report::summary::{accounting_table, data_in_words, data_summary};
use appraise_report::templates::Templates;
use appraise_score::anomaly::Kind;

use crate::{AnomaliesFound, Done, Error, Published};

/// A period as the user reads it: in Chinese words, or as the command line writes it
/// (`2026Q3`).
fn period_in(lang: Lang, p: &appraise_kpi::Period) -> String {
    match lang {
        Lang::Zh => lang.period(p),
        Lang::En => p.to_string(),
    }
}

impl Done {
    /// Its warnings, each a line for standard error.
    pub fn warning_lines(&self) -> Vec<String> {
        let w = &self.words;
        let line = |text: &String| w.fill("cli:warning", &[("text", text)]);
        self.warnings.iter().map(line).collect()
    }

    /// Where the report is, what happened to the rows, how many departments ranked.
    pub fn summary(&self) -> String {
        let w = &self.words;
        let sum = |f: fn(&appraise_data::Accounting) -> u64| -> String {
            let total: u64 = self.data.tables.iter().map(|t| f(&t.accounting)).sum();
            total.to_string()
        };
        let compared = self.previous.as_ref().map_or(String::new(), |p| {
            w.fill("cli:compared", &[("previous", &period_in(self.lang, p))])
        });
        let mut s = String::new();
        let appraisal = w.fill(
            "cli:appraisal",
            &[
                ("period", &period_in(self.lang, &self.period)),
                ("compared", &compared),
                ("ranked", &self.ranking.len().to_string()),
                ("unranked", &self.unranked.to_string()),
            ],
        );
        let _ = writeln!(s, "{appraisal}");
        let rejected = sum(|a| a.rejected);
        let rejects = if rejected != "0" {
            let path = self.out.join("rejects").display().to_string();
            w.fill("cli:rejects", &[("path", &path)])
        } else {
            String::new()
        };
        let rows = w.fill(
            "cli:rows",
            &[
                ("read", &sum(|a| a.read)),
                ("loaded", &sum(|a| a.loaded)),
                ("rejected", &rejected),
                ("duplicates", &sum(|a| a.duplicates)),
                ("rejects", &rejects),
            ],
        );
        let _ = writeln!(s, "{rows}");
        if let Some(a) = self.decisive {
            let assumption = w.get(&format!("assumption:{a}"));
            let _ = writeln!(
                s,
                "{}",
                w.fill("cli:decisive", &[("assumption", &assumption)])
            );
        }
        let report = self.out.join("report.html").display().to_string();
        let _ = writeln!(s, "{}", w.fill("cli:report", &[("path", &report)]));
        s
    }

    /// The demo's account: the data read from `data` (dates in `tz`), the top ten of the
    /// ranking, then [`Done::summary`].
    pub fn demo_summary(&self, data: &Path, tz: chrono_tz::Tz) -> String {
        let w = &self.words;
        let previous = self.previous.as_ref();
        let mut s = String::new();
        match self.lang {
            Lang::Zh => {
                let data = data.display().to_string();
                let _ = writeln!(s, "{}", w.fill("cli:demo", &[("data", &data)]));
                s.push_str(&data_in_words(&self.data, tz, w));
                let compared = previous.map_or(String::new(), |p| {
                    w.fill("cli:compared", &[("previous", &self.lang.period(p))])
                });
                let period = self.lang.period(&self.period);
                let ranking = w.fill(
                    "cli:ranking",
                    &[("period", &period), ("compared", &compared)],
                );
                let _ = writeln!(s, "\n{ranking}");
            }
            Lang::En => {
                let _ = writeln!(s, "appraise demo: {}", data.display());
                s.push_str(&accounting_table(&self.data));
                s.push_str(&data_summary(&self.data, tz));
                let compared = previous.map_or(String::new(), |p| format!(", compared with {p}"));
                let _ = writeln!(s, "\nRanking for {}{compared}:", self.period);
            }
        }
        for r in self.ranking.iter().take(10) {
            let _ = writeln!(
                s,
                "  {:>3}  {:<12} {:>6.2}  {}  {}",
                r.rank, r.id, r.composite, r.grade, r.name
            );
        }
        let _ = writeln!(s);
        s
    }
}

impl Published {
    /// Its warnings in the words of `lang`, each a line for standard error, and what
    /// the release holds and withholds under the minimum cell `min_cell`.
    pub fn summary(&self, lang: Lang, min_cell: u64) -> Result<(Vec<String>, String), Error> {
        let w = Templates::load(None)?.strings(lang);
        let warnings = self
            .warnings
            .iter()
            .map(|text| w.fill("cli:warning", &[("text", text)]))
            .collect();
        let (rows, withheld) = self.kpi_rows;
        let (primary, secondary) = self.hidden;
        let count = |n: usize| n.to_string();
        let release = w.fill(
            "cli:release",
            &[
                ("period", &period_in(lang, &self.period)),
                ("rows", &count(rows)),
                ("withheld", &count(withheld)),
                ("k", &min_cell.to_string()),
                ("departments", &count(self.departments)),
                ("primary", &count(primary)),
                ("secondary", &count(secondary)),
            ],
        );
        let package = self.out.join("datapackage.json").display().to_string();
        let series = self.series.display().to_string();
        let text = format!(
            "{release}\n{}\n{}\n",
            w.fill("cli:package", &[("path", &package)]),
            w.fill("cli:series", &[("path", &series)])
        );
        Ok((warnings, text))
    }
}

impl AnomaliesFound {
    /// How many anomalies of each kind, one line each, and where they were written.
    pub fn summary(&self) -> String {
        let found = &self.detected;
        let count = |k: Kind| found.anomalies.iter().filter(|a| a.kind == k).count();
        let mut s = format!(
            "anomalies {}: {} outages, {} latency regressions, {} spikes over {} \
             department-days and {} busy pairs\n",
            self.period,
            count(Kind::Outage),
            count(Kind::LatencyRegression),
            count(Kind::Spike),
            found.department_days,
            found.pairs,
        );
        for x in &found.anomalies {
            let consumer = x.consumer_id.as_deref();
            let _ = writeln!(
                s,
                "  {} {}{} {} ({}): {} {:.4} against {:.4}",
                x.day,
                x.department_id,
                consumer.map_or(String::new(), |c| format!(" ← {c}")),
                x.kind.name(),
                x.severity.name(),
                x.metric.name(),
                x.observed,
                x.expected,
            );
        }
        if let Some(out) = &self.out {
            let _ = writeln!(s, "anomalies: {}", out.join("anomalies.csv").display());
            let candidates = out.join(crate::anomalies::CANDIDATES);
            if candidates.is_file() {
                let _ = writeln!(
                    s,
                    "candidate adjustments: {} (appraise replaces it at the next scan: copy it to \
                     a file of your own, keep the lines the office accepts with their decision's \
                     number in reference, and pass that file to --adjustments)",
                    candidates.display()
                );
            }
        }
        s
    }
}
