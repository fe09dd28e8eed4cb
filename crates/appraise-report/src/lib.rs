//! The appraisal's outputs: the quarterly report an assessment office publishes, a
//! report card per department, and the tables a researcher re-derives every figure
//! from.
//!
//! [`Report::write`] writes into a folder (the CLI hands it a [`appraise_data::staging::Staging`]
//! folder, moved into place at the end):
//!
//! | file | what |
//! | --- | --- |
//! | `report.html` | self-contained: inline CSS and SVG, opens offline, readable without JavaScript |
//! | `report.md` | the same report in Markdown |
//! | `report.pdf` | the bulletin for print: A4, contents, page numbers, charts as vector graphics, fonts embedded |
//! | `departments/<id>.html`, `departments/<id>.pdf` | one report card per department ([`names::file_stems`]), in HTML and as a one-file-per-department PDF |
//! | `charts/*.svg`, `charts/*.png` | the charts ([`charts`]) |
//! | `appraisal.xlsx` | ranking, KPI values, scores, methodology, data quality |
//! | `ranking.csv/json`, `kpis.csv`, `scores.csv/parquet` | the tables of DESIGN.md |
//! | `sensitivity.csv`, `trend.csv`, `correlations.csv`, `profiles.csv` | the scoring's diagnostics |
//!
//! Wording and layout come from minijinja templates ([`templates`]); everything from the
//! data is escaped on the way out. Two runs over the same inputs write the same bytes:
//! nothing here reads the clock (the workbook is dated with the period's last day).
#![deny(missing_docs)]

pub mod budget;
pub mod charts;
pub mod compare;
pub mod fonts;
pub mod lang;
pub mod names;
mod pdf;
pub mod summary;
pub mod tables;
pub mod templates;
mod view;
pub mod vision;
mod xlsx;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use appraise_data::Dataset;
use appraise_kpi::facts::ExchangeFacts;
use appraise_kpi::{KpiDef, KpiMatrix};
use appraise_score::Appraisal;
use datafusion::arrow::record_batch::RecordBatch;

use crate::charts::{CHARTS, Chart, Kind, Section, Source, Text};
use crate::fonts::Fonts;
use crate::lang::{Lang, Strings};
use crate::tables::TableFormat;
use crate::templates::Templates;
use crate::view::Views;

pub use crate::view::fix_kpis;

/// Whether a bulletin is the preliminary one, against which departments may appeal
/// until the scorecard's `appeal_deadline`, or the final one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Marked as such on every page, with the appeal deadline.
    Preliminary,
    /// Marked as final; it lists the adjustments applied (or that there were none).
    Final,
}

/// The adjustments a run applied, what they touched, and the period as it scored
/// without them: the report's adjustments section.
#[derive(Debug)]
pub struct Adjusted {
    /// The adjustments file as read.
    pub adjustments: std::sync::Arc<appraise_kpi::Adjustments>,
    /// What each touched in the data, in the file's order.
    pub touched: Vec<appraise_kpi::adjust::Touched>,
    /// The period's KPI matrix without them.
    pub before_matrix: KpiMatrix,
    /// The period scored without them.
    pub before: appraise_score::Scores,
}

/// What to fix, item by item ([`appraise_kpi::Engine::items`]), for the cards' "how to
/// move up": per KPI, each department's heaviest items.
#[derive(Debug, Default)]
pub struct Fixes {
    /// KPI id → department id → its items.
    pub items:
        std::collections::HashMap<String, std::collections::HashMap<String, appraise_kpi::Items>>,
    /// Whether each department's evidence was written beside its card
    /// (`departments/<stem>/<kpi>.csv`), so that a card links to it.
    pub files: bool,
}

/// What can go wrong while writing a report.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be written or read.
    #[error("{}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A result cannot be written where it was asked for (`--out` names a folder, a
    /// file that exists, Parquet to a terminal).
    #[error("{reason}")]
    Output {
        /// What is wrong.
        reason: String,
        /// How to fix it.
        hint: String,
    },
    /// A table could not be encoded.
    #[error("{}: {reason}", path.display())]
    Table {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The workbook could not be written.
    #[error("{}: {reason}", path.display())]
    Xlsx {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A chart could not be drawn.
    #[error("chart {chart}: {reason}")]
    Chart {
        /// The chart's file.
        chart: String,
        /// Why.
        reason: String,
    },
    /// A template or the strings file does not parse or render.
    #[error(
        "{}{}: {reason}",
        name.display(),
        line.map_or(String::new(), |l| format!(", line {l}"))
    )]
    Template {
        /// The template's file (or name, for a default).
        name: PathBuf,
        /// The line, where known.
        line: Option<usize>,
        /// Why.
        reason: String,
        /// How to fix it, where the rule broken says (else the general advice).
        hint: Option<String>,
    },
    /// The bulletin's logo (the scorecard's `[bulletin] logo`) cannot be printed.
    #[error("{}: {reason}", path.display())]
    Logo {
        /// The logo's file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

impl Error {
    /// A fix, where one is known.
    pub fn hint(&self) -> Option<String> {
        match self {
            // A file of the --templates folder is named by its path; a built-in one by
            // its bare name, which no --templates file is the cause of.
            Error::Template { hint: Some(h), .. } => Some(h.clone()),
            Error::Output { hint, .. } => Some(hint.clone()),
            Error::Template { name, .. } if !Error::built_in(name) => Some(
                "fix the file, or remove it from the --templates folder to use the default".into(),
            ),
            Error::Template { .. } => Some(
                "the built-in template failed on this data: look for a text in the data (a \
                 department name, a KPI title) holding something the report cannot print"
                    .into(),
            ),
            Error::Logo { .. } => Some(format!(
                "set logo in the scorecard's [bulletin] section to a PNG, JPEG or SVG file of \
                 at most {} MiB, or remove it",
                MAX_LOGO >> 20
            )),
            _ => None,
        }
    }

    /// Whether a template's name is a built-in template's (a bare file name) rather
    /// than the path of a `--templates` file.
    pub(crate) fn built_in(name: &Path) -> bool {
        name.parent().is_none_or(|p| p.as_os_str().is_empty())
    }

    /// Whether the error is the user's input (exit 1: a template, a query) rather than
    /// a fault (exit 2: a file that cannot be written, a chart that cannot be drawn).
    pub fn is_input(&self) -> bool {
        matches!(
            self,
            Error::Template { .. } | Error::Logo { .. } | Error::Output { .. }
        )
    }
}

/// The largest logo file the bulletin prints.
const MAX_LOGO: u64 = 2 << 20;

/// The bytes of the bulletin's logo at `path`, checked to be what its extension says:
/// a PNG or JPEG by its signature, an SVG by parsing it.
fn read_logo(path: &Path, format: &str) -> Result<Vec<u8>, Error> {
    let fail = |reason: String| Error::Logo {
        path: path.to_path_buf(),
        reason,
    };
    let size = std::fs::metadata(path)
        .map_err(|e| fail(format!("cannot be read: {e}")))?
        .len();
    if size > MAX_LOGO {
        return Err(fail(format!("is {size} bytes, more than {MAX_LOGO}")));
    }
    let bytes = std::fs::read(path).map_err(|e| fail(format!("cannot be read: {e}")))?;
    let fits = match format {
        "png" => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "jpg" => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        _ => resvg::usvg::Tree::from_data(&bytes, &resvg::usvg::Options::default()).is_ok(),
    };
    if !fits {
        return Err(fail(format!(
            "is not a valid {} file",
            format.to_uppercase()
        )));
    }
    Ok(bytes)
}

/// Everything a report is made of.
pub struct Report<'a> {
    /// The period appraised.
    pub period: &'a appraise_kpi::Period,
    /// The scored period, its history and diagnostics.
    pub appraisal: &'a Appraisal,
    /// The KPI matrix of the period.
    pub matrix: &'a KpiMatrix,
    /// The KPI files used, for titles, definitions and SQL.
    pub kpis: &'a [KpiDef],
    /// The data as loaded, for the row accounting.
    pub data: &'a Dataset,
    /// The exchange log of the period, summarised.
    pub facts: &'a ExchangeFacts,
    /// The anomalies of the period's exchange traffic.
    pub anomalies: &'a appraise_score::anomaly::Found,
    /// What each card lists to fix, item by item.
    pub fixes: &'a Fixes,
    /// The adjustments applied, if any.
    pub adjusted: Option<&'a Adjusted>,
    /// Preliminary or final, if the run says.
    pub status: Option<Status>,
    /// The report's language.
    pub lang: Lang,
    /// Templates and wording.
    pub templates: &'a Templates,
    /// The chart font.
    pub fonts: &'a Fonts,
}

/// The steps of [`Report::write`], for a progress display.
pub const STEPS: [&str; 6] = [
    "tables",
    "charts",
    "report",
    "department cards",
    "workbook",
    "PDF",
];

impl Report<'_> {
    /// `warnings` in the report's language ([`view`]'s `warning:<code>` strings; a
    /// warning without one in its English sentence), for the terminal.
    pub fn in_words(&self, warnings: &[appraise_data::Warning]) -> Vec<String> {
        let t = self.templates.strings(self.lang);
        self.views(&t, &BTreeMap::new()).warnings(warnings)
    }

    /// The views of the report's pages, in the words `t`, with the departments' file
    /// stems.
    fn views<'v>(&'v self, t: &'v Strings, stems: &'v BTreeMap<String, String>) -> Views<'v> {
        Views {
            appraisal: self.appraisal,
            matrix: self.matrix,
            kpis: self.kpis,
            data: self.data,
            lang: self.lang,
            t,
            stems,
            columns: view::kpi_columns(&self.appraisal.current),
            anomalies: self.anomalies,
            fixes: self.fixes,
            adjusted: self.adjusted,
            status: self.status,
        }
    }

    /// Writes every output into `dir`, calling `step` with each of [`STEPS`] as it
    /// starts. Returns warnings for the reader (a missing CJK font).
    pub fn write(&self, dir: &Path, step: &mut dyn FnMut(&str)) -> Result<Vec<String>, Error> {
        for sub in ["charts/radar", "charts/funnel", "departments"] {
            let p = dir.join(sub);
            std::fs::create_dir_all(&p).map_err(|e| Error::Io { path: p, source: e })?;
        }
        step(STEPS[0]);
        let tables = self.write_tables(dir)?;

        step(STEPS[1]);
        let s = &self.appraisal.current;
        let stems: BTreeMap<String, String> =
            names::file_stems(s.departments.iter().map(|d| d.department.id.as_str()))
                .into_iter()
                .map(|(id, stem)| (id.to_string(), stem))
                .collect();
        let t = self.templates.strings(self.lang);
        let views = self.views(&t, &stems);
        let mut warnings = Vec::new();
        let Charts {
            report: charts,
            radars,
            print,
            sensitivity,
            anomalies,
        } = self.draw_charts(dir, &views, &mut warnings)?;

        step(STEPS[2]);
        let mut report = views.report(charts);
        if let Some(logo) = &self.appraisal.scorecard.bulletin.logo {
            report.bulletin.logo = Some(read_logo(logo, &report.bulletin.logo_format)?);
        }
        report.print_charts = print;
        report.method.sensitivity = sensitivity.map(|c| c.svg).unwrap_or_default();
        // The calendar only where there is something on it.
        if let Some(c) = anomalies.filter(|_| !self.anomalies.anomalies.is_empty()) {
            report.anomalies.print_landscape = c.landscape;
            report.anomalies.chart = c.svg;
        }
        for (file, template) in [
            ("report.html", "report.html.j2"),
            ("report.md", "report.md.j2"),
        ] {
            write_file(&dir.join(file), &self.templates.render(template, &report)?)?;
        }

        step(STEPS[3]);
        let cards: Vec<(String, view::CardView<'_>)> = radars
            .into_iter()
            .enumerate()
            .map(|(d, radar)| (views.stem(d).to_string(), views.card(d, radar.svg)))
            .collect();
        for (stem, card) in &cards {
            write_file(
                &dir.join("departments").join(format!("{stem}.html")),
                &self.templates.render("department.html.j2", card)?,
            )?;
        }

        step(STEPS[4]);
        self.write_workbook(dir, &views, &tables, &report)?;

        step(STEPS[5]);
        self.write_pdfs(dir, &report, &cards)?;
        Ok(warnings)
    }

    /// `appraisal.xlsx`.
    fn write_workbook(
        &self,
        dir: &Path,
        views: &Views<'_>,
        tables: &[RecordBatch; 3],
        report: &view::ReportView<'_>,
    ) -> Result<(), Error> {
        let t = views.t;
        // Coded values are written in words: levels, statuses, flags, and KPIs by title.
        let mut words = t.clone();
        for k in self.kpis {
            words
                .0
                .insert(format!("kpi:{}", k.id), views.kpi_title(&k.id));
        }
        let sheets = xlsx::Sheets {
            words: &words,
            ranking: &tables[0],
            kpis: &tables[1],
            scores: &tables[2],
            headers: tables.each_ref().map(|b| views.headers(b)),
            kpi_shown: self
                .kpis
                .iter()
                .map(|k| (k.id.clone(), shown_by_unit(k.unit.as_deref())))
                .collect(),
            methodology: methodology_rows(report),
            quality: quality_rows(report),
            names: [
                "ranking",
                "kpi_values",
                "scores",
                "methodology",
                "data_quality",
                "data_dictionary",
            ]
            .map(|k| t.get(&format!("sheet:{k}"))),
            dictionary_header: ["sheet", "column", "header"].map(|k| t.get(&format!("col:{k}"))),
            // The period's last day, not the clock: the same inputs, the same file.
            date: self.period.last_day,
            title: format!("{} · {}", t.get("report_title"), report.period),
        };
        xlsx::write(&sheets, &dir.join("appraisal.xlsx"))
    }

    /// `report.pdf`, then a PDF per department card, the cards on every core. (The
    /// bulletin typeset beside the cards took three times as long: each compile
    /// releases the typesetter's memo, the other's with it.)
    fn write_pdfs(
        &self,
        dir: &Path,
        report: &view::ReportView<'_>,
        cards: &[(String, view::CardView<'_>)],
    ) -> Result<(), Error> {
        let (name, template) = self.templates.typst("report.typ");
        let bytes = pdf::typeset(name, template, report, self.fonts)?;
        write_bytes(&dir.join("report.pdf"), &bytes)?;
        let (name, template) = self.templates.typst("department.typ");
        appraise_data::parallel::on_every_core(cards, |(stem, card)| {
            let bytes = pdf::typeset(name, template, card, self.fonts)?;
            write_bytes(&dir.join("departments").join(format!("{stem}.pdf")), &bytes)
        })?;
        Ok(())
    }

    /// Writes the tables; returns the ranking, KPI and score tables for the workbook.
    fn write_tables(&self, dir: &Path) -> Result<[RecordBatch; 3], Error> {
        let [(_, ranking), (_, scores), ..] =
            tables::write_appraisal(self.appraisal, dir, TableFormat::Csv)?;
        let kpis = self.matrix.to_batch().map_err(|e| Error::Table {
            path: dir.to_path_buf(),
            reason: e.to_string(),
        })?;
        for (name, batch, format) in [
            ("ranking", &ranking, TableFormat::Json),
            ("kpis", &kpis, TableFormat::Csv),
            ("scores", &scores, TableFormat::Parquet),
        ] {
            let path = dir.join(format!("{name}.{}", format.extension()));
            tables::write(std::slice::from_ref(batch), format, &path)?;
        }
        Ok([ranking, kpis, scores])
    }

    /// Draws every chart into `dir/charts`: the report's, then one radar per department
    /// (in the order of the departments).
    fn draw_charts(
        &self,
        dir: &Path,
        views: &Views<'_>,
        warnings: &mut Vec<String>,
    ) -> Result<Charts, Error> {
        let (svg_text, png_text) = self.chart_text(views, warnings);
        let src = Source::new(self.appraisal, self.facts, &self.anomalies.anomalies);
        let draw = |id: String, kind: Kind| -> Result<Chart, Error> {
            // Not `with_extension`: a stem may hold a dot (`dept.v2`).
            let path = |ext: &str| dir.join("charts").join(format!("{id}.{ext}"));
            let svg = charts::render(
                kind,
                &src,
                &svg_text,
                png_text.as_ref(),
                &path("png"),
                self.fonts,
            )?;
            write_file(&path("svg"), &svg)?;
            let spec = kind.spec();
            let (title, note) = match spec.section {
                Section::PerKpi => (
                    format!(
                        "{} · {}",
                        views.t.get(spec.title),
                        views.kpi_title(&self.appraisal.current.kpis[kind.arg])
                    ),
                    views.funnel_note(&src, kind.arg),
                ),
                _ => (views.t.get(spec.title), String::new()),
            };
            Ok(Chart {
                id,
                title,
                svg,
                note,
                landscape: false,
                kind: Some(kind),
            })
        };
        let jobs = chart_jobs(&src, &self.appraisal.current, views);
        let shared = jobs
            .iter()
            .take_while(|(_, kind)| kind.spec().section != Section::PerDepartment)
            .count();
        let mut report =
            appraise_data::parallel::on_every_core(&jobs, |(id, kind)| draw(id.clone(), *kind))?;
        let radars = report.split_off(shared);
        // The sensitivity chart goes beside its table in the methodology; the anomaly
        // calendar opens its own section (its print layout decided as the others').
        let mut take = |section: Section| {
            report
                .iter()
                .position(|c| c.kind.is_some_and(|k| k.spec().section == section))
                .map(|i| report.remove(i))
        };
        let sensitivity = take(Section::Methodology);
        let anomalies = take(Section::Anomalies);
        let anomalies = match anomalies {
            Some(c) => print_charts(&[c], &src, &svg_text)?.into_iter().next(),
            None => None,
        };
        let print = print_charts(&report, &src, &svg_text)?;
        Ok(Charts {
            report,
            radars,
            print,
            sensitivity,
            anomalies,
        })
    }

    /// The chart wording for SVG, and for PNG where it differs: where the chart font
    /// lacks glyphs, English wording, and for each department the first of its label,
    /// English name and id that the font can draw.
    fn chart_text(&self, views: &Views<'_>, warnings: &mut Vec<String>) -> (Text, Option<Text>) {
        let s = &self.appraisal.current;
        let with_kpis = |lang: Lang| {
            let mut t = self.templates.strings(lang);
            for id in &s.kpis {
                t.0.insert(format!("kpi:{id}"), view::kpi_title(self.kpis, lang, id));
            }
            t
        };
        let svg_strings = with_kpis(self.lang);
        let labels: Vec<String> = (0..s.departments.len()).map(|d| views.name(d)).collect();
        let fonts = self.fonts;
        let wording_drawn = svg_strings
            .0
            .iter()
            .filter(|(k, _)| charts::words().any(|w| w == k.as_str()) || k.starts_with("kpi:"))
            .all(|(_, v)| fonts.covers(v))
            && fonts.covers(&self.lang.period(&s.period));
        let (png_strings, png_lang) = if wording_drawn {
            (svg_strings.clone(), self.lang)
        } else {
            (with_kpis(Lang::En), Lang::En)
        };
        let png_labels: Vec<String> = s
            .departments
            .iter()
            .enumerate()
            .map(|(d, x)| {
                [
                    labels[d].clone(),
                    x.department.name_en.clone(),
                    x.department.id.clone(),
                ]
                .into_iter()
                .find(|l| !l.is_empty() && fonts.covers(l))
                .unwrap_or_else(|| format!("#{}", d + 1))
            })
            .collect();
        let substituted = !wording_drawn || png_labels != labels;
        if substituted {
            let t = self.templates.strings(self.lang);
            let shown = t.get(if wording_drawn {
                "font_fallback_names"
            } else {
                "font_fallback_all"
            });
            warnings.push(t.fill(
                "font_fallback",
                &[("font", &fonts.source.to_string()), ("shown", &shown)],
            ));
        }
        (
            Text::new(svg_strings, self.lang, labels, fonts),
            substituted.then(|| Text::new(png_strings, png_lang, png_labels, fonts)),
        )
    }
}

fn write_file(path: &Path, text: &str) -> Result<(), Error> {
    write_bytes(path, text.as_bytes())
}

fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    std::fs::write(path, bytes).map_err(|e| Error::Io {
        path: path.to_path_buf(),
        source: e,
    })
}

/// How a KPI's values are shown in the workbook, by its unit: ratios as percentages,
/// counts of records and departments whole, times with one decimal.
fn shown_by_unit(unit: Option<&str>) -> xlsx::Shown {
    match unit {
        Some("ratio") => xlsx::Shown::Percent,
        Some("records" | "departments" | "count") => xlsx::Shown::Whole,
        Some(_) => xlsx::Shown::Decimals(1),
        None => xlsx::Shown::Decimals(2),
    }
}

/// The charts a run draws: the report's, one radar per department, and the report's
/// again as the PDF shows them.
struct Charts {
    report: Vec<Chart>,
    radars: Vec<Chart>,
    print: Vec<Chart>,
    sensitivity: Option<Chart>,
    anomalies: Option<Chart>,
}

/// The smallest text a printed chart may carry, in points.
pub const MIN_PRINT_PT: f64 = 6.5;

/// Where `report.typ` prints a chart, in points: the text width of an A4 page with the
/// PDF's margins (18 mm each side), and the height it gives a chart (21 cm on a
/// portrait page, 15 cm on a landscape one, below a heading and above the caption).
const PORTRAIT: (f64, f64) = (174.0 * MM, 210.0 * MM);
const LANDSCAPE: (f64, f64) = (261.0 * MM, 150.0 * MM);
const MM: f64 = 72.0 / 25.4;

/// Every chart of the registry ([`CHARTS`]) the report has, with its file stem: one of
/// each, a funnel plot per rate KPI (none where every department has the same rate: the
/// data-quality notes say so, and funnel.csv has it), then a radar per department.
fn chart_jobs(
    src: &Source<'_>,
    s: &appraise_score::Scores,
    views: &Views<'_>,
) -> Vec<(String, Kind)> {
    let mut jobs = Vec::new();
    for (chart, spec) in CHARTS.iter().enumerate() {
        if !spec.shown(src) {
            continue;
        }
        let one = |arg: usize, stem: &str| (stem.to_string(), Kind { chart, arg });
        match spec.section {
            Section::PerKpi => jobs.extend(
                src.funnels()
                    .iter()
                    .filter(|f| !f.degenerate())
                    .map(|f| one(f.kpi, &format!("{}/{}", spec.id, s.kpis[f.kpi]))),
            ),
            Section::PerDepartment => jobs.extend(
                (0..s.departments.len()).map(|d| one(d, &format!("{}/{}", spec.id, views.stem(d)))),
            ),
            _ => jobs.push(one(0, spec.id)),
        }
    }
    jobs
}

/// The report's charts for print, each laid out so that its smallest text prints at
/// [`MIN_PRINT_PT`] or more: across the text width of a portrait page, or of a
/// landscape one where the portrait page would print it smaller. A ranking, heatmap or
/// movement chart too tall for the page is drawn again in parts of equal size (`1/3`,
/// `2/3`, ... in the title), on the scales of the whole, as few parts as fit.
fn print_charts(
    charts: &[Chart],
    src: &Source<'_>,
    text: &charts::Text,
) -> Result<Vec<Chart>, Error> {
    let mut out = Vec::new();
    for chart in charts {
        let Some((width, height, smallest)) = chart.measure() else {
            out.push(chart.clone());
            continue;
        };
        let (page_w, page_h) = if smallest * PORTRAIT.0 / width >= MIN_PRINT_PT {
            PORTRAIT
        } else {
            LANDSCAPE
        };
        let scale = page_w / width;
        let landscape = page_w == LANDSCAPE.0;
        let kind = chart.kind.filter(|k| k.spec().split);
        let n = src.rows();
        let (Some(kind), true) = (kind, height * scale > page_h) else {
            out.push(Chart {
                landscape,
                ..chart.clone()
            });
            continue;
        };
        // The fewest parts of equal size (the last no smaller by more than one row)
        // that each fit the page.
        let per_of = |parts: usize| n.div_ceil(parts);
        let fits = |parts: usize| {
            let rows = src.part(0..per_of(parts).min(n));
            let (_, h) = charts::size(kind, &rows, text);
            f64::from(h) * scale <= page_h
        };
        let parts = (1..=n.max(1)).find(|&p| fits(p)).unwrap_or(n.max(1));
        let per = per_of(parts);
        for (i, start) in (0..n).step_by(per.max(1)).enumerate() {
            let part = src.part(start..(start + per).min(n));
            let svg = charts::svg_of(kind, &part, text).map_err(|reason| Error::Chart {
                chart: chart.id.clone(),
                reason,
            })?;
            out.push(Chart {
                id: format!("{}-{}", chart.id, i + 1),
                title: format!(
                    "{}{}",
                    chart.title,
                    text.t("chart_part")
                        .replace("{i}", &(i + 1).to_string())
                        .replace("{n}", &parts.to_string())
                ),
                svg,
                note: chart.note.clone(),
                landscape,
                kind: Some(kind),
            });
        }
    }
    Ok(out)
}

/// The methodology sheet: label, value.
fn methodology_rows(r: &view::ReportView<'_>) -> xlsx::Rows {
    let t = &r.t;
    let m = &r.method;
    let mut rows = vec![
        vec![t.get("methodology"), String::new()],
        vec![t.get("period"), r.period.clone()],
        vec![t.get("scorecard"), r.scorecard.clone()],
        vec![t.get("aggregation"), m.aggregation.clone()],
        vec![t.get("min_coverage"), m.min_coverage.clone()],
        vec![t.get("grading"), m.grade_method.clone()],
        vec![t.get("runs"), m.runs.to_string()],
        vec![t.get("seed"), m.seed.to_string()],
        vec![t.get("weight_noise"), m.weight_noise.clone()],
        vec![t.get("decisive"), m.decisive.clone().unwrap_or("–".into())],
    ];
    for d in &r.dimensions {
        rows.push(vec![
            format!("{}: {}", t.get("dimension"), d.title),
            d.weight.clone(),
        ]);
    }
    rows.push(vec![]);
    rows.push(
        [
            "kpi",
            "dimension",
            "weight",
            "share_of_composite",
            "direction",
            "transform",
            "normalise",
            "goalposts",
            "missing",
            "min_sample",
        ]
        .map(|k| t.get(k))
        .to_vec(),
    );
    for k in &m.kpis {
        rows.push(vec![
            format!("{} {} ({})", k.key, k.title, k.id),
            k.dimension.clone(),
            k.weight.clone(),
            k.share.clone(),
            k.direction.clone(),
            k.transform.clone(),
            k.normalise.clone(),
            k.goalposts.clone(),
            k.missing.clone(),
            k.min_sample.to_string(),
        ]);
    }
    rows
}

/// The data-quality sheet: the row accounting, then rejections by reason.
fn quality_rows(r: &view::ReportView<'_>) -> xlsx::Rows {
    let t = r.t;
    let mut rows = vec![
        [
            "table",
            "rows_read",
            "rows_loaded",
            "rows_rejected",
            "rows_duplicate",
        ]
        .map(|k| t.get(k))
        .to_vec(),
    ];
    for q in &r.quality.tables {
        rows.push(vec![
            q.table.clone(),
            q.read.clone(),
            q.loaded.clone(),
            q.rejected.clone(),
            q.duplicates.clone(),
        ]);
    }
    if !r.quality.reasons.is_empty() {
        rows.push(vec![]);
        rows.push(["table", "reason", "rows"].map(|k| t.get(k)).to_vec());
        for x in &r.quality.reasons {
            rows.push(vec![x.table.clone(), x.reason.clone(), x.rows.clone()]);
        }
    }
    rows
}

#[cfg(test)]
mod error_tests {
    use super::*;

    #[test]
    fn a_built_in_template_failing_never_blames_a_templates_file() {
        // Regression (one_control_character_in_a_name): the built-in report.typ failing
        // on a name hinted to remove a --templates file that was never given.
        let failed = |name: &str| Error::Template {
            name: PathBuf::from(name),
            line: Some(148),
            reason: "failed to parse SVG".into(),
            hint: None,
        };
        let built_in = failed("report.typ").hint().unwrap();
        assert!(!built_in.contains("--templates"), "{built_in}");
        assert!(built_in.contains("text in the data"), "{built_in}");
        let users = failed("mine/report.typ").hint().unwrap();
        assert!(users.contains("--templates"), "{users}");
    }
}
