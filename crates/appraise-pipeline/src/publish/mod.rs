//! `appraise publish`: the open-data release of one period, with small cells
//! suppressed.
//!
//! The release is a Frictionless tabular data package: `kpis.csv` (each department's
//! KPI values with their numerators, denominators and sample sizes), `ranking.csv`,
//! `exchanges.csv` (who exchanged with whom, a department × department matrix with
//! its totals), `kpi_definitions.csv`, and `datapackage.json` describing them (field
//! types, units, descriptions, the licence, and the SHA-256 of every input and of every
//! file of the release). docs/publish.md states the rule; in short, with `K` the
//! minimum cell:
//!
//! - **Family.** A release is protected with the releases it nests with, its quarter
//!   and the quarter's months ([`crate::series`]): they share one pattern of hidden
//!   cells and withheld rows, computed from all of their figures.
//! - **Matrix.** Every count below `K` in any member of the family is hidden, zeros
//!   included (primary); then more cells until no hidden count can be worked out from
//!   the shown cells and totals (secondary), nor put in an interval narrower than `K`
//!   ([`rule`]). A department's exchanges with itself are left out:
//!   the diagonal is empty and known to be, so it protects nothing.
//! - **KPIs.** A department's KPI row is published whole or withheld whole: withheld
//!   when any count in it (numerator, denominator, sample size, and the value of a
//!   KPI that counts) is below `K`, since any two of value, numerator and denominator
//!   give the third; when a count in it equals a total the matrix hides for that
//!   department, which would otherwise give the hidden total away; when it has nothing
//!   to measure (a count of 0); when it counts partner departments beside hidden
//!   cells. In any member of the family.
//! - **Ranking.** A score computed from a withheld value is withheld too: the
//!   dimension score of a dimension holding a withheld KPI, and the composite. Rank
//!   and grade, which only order, are published.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use appraise_data::manifest::{FileHash, Manifest};
use appraise_data::staging::{Policy, Staging};
use appraise_data::{Dataset, LoadOptions, spreadsheet_safe};
use appraise_kpi::{KpiDef, KpiMatrix, Period};
use appraise_report::lang::{Lang, Strings};
use appraise_score::Appraisal;
use serde_json::{Value, json};

use crate::appraise::{Rules, Scored, appraise};
use crate::run::manifest_of;
use crate::series::{Entry, Series, fingerprint};
use crate::{Error, Laps, block_on};

pub mod rule;
mod write;

use rule::{Exchanges, KpiRow, KpiTable};
use write::*;

/// What a suppressed figure reads as in the release's CSV files (`[c]`, for
/// confidential, as statistical offices mark it); an empty field is a value that does
/// not exist (nothing to measure).
pub const SUPPRESSED: &str = "[c]";

/// Units of KPIs whose value is itself a count, so that a value below the minimum
/// cell is withheld like a numerator.
pub const COUNT_UNITS: [&str; 7] = [
    "departments",
    "records",
    "exchanges",
    "requests",
    "cases",
    "resources",
    "count",
];

/// One open-data release.
pub struct Release {
    /// The data folder or warehouse.
    pub data: PathBuf,
    /// How it is read (its zone is the appraisal's).
    pub options: LoadOptions,
    /// The period released.
    pub period: Period,
    /// Scorecard, KPIs, calendar and engine settings.
    pub rules: Rules,
    /// The output folder.
    pub out: PathBuf,
    /// How the output folder may be treated.
    pub write: Policy,
    /// The minimum cell: no count below it is published.
    pub min_cell: u64,
    /// The licence the package is released under.
    pub licence: Licence,
    /// The series log ([`crate::series`]); `None`: `appraise-series.json` beside the
    /// output folder.
    pub series: Option<PathBuf>,
    /// The language of the package's descriptions and of `kpi_definitions.csv`'s
    /// words (the data files' codes and column names are the same in both).
    pub lang: Lang,
}

/// A licence, as `datapackage.json` names it.
#[derive(Debug, Clone, PartialEq)]
pub struct Licence {
    /// Its Open Definition / SPDX id (`CC-BY-4.0`).
    pub name: String,
    /// Its text's address, where the id is a known one.
    pub path: Option<&'static str>,
    /// Its title, where the id is a known one.
    pub title: Option<&'static str>,
}

/// Licences whose address and title appraise knows.
const LICENCES: [(&str, &str, &str); 6] = [
    (
        "CC-BY-4.0",
        "https://creativecommons.org/licenses/by/4.0/",
        "Creative Commons Attribution 4.0",
    ),
    (
        "CC-BY-SA-4.0",
        "https://creativecommons.org/licenses/by-sa/4.0/",
        "Creative Commons Attribution Share-Alike 4.0",
    ),
    (
        "CC0-1.0",
        "https://creativecommons.org/publicdomain/zero/1.0/",
        "CC0 1.0",
    ),
    (
        "ODC-By-1.0",
        "https://opendatacommons.org/licenses/by/1-0/",
        "Open Data Commons Attribution License 1.0",
    ),
    (
        "ODbL-1.0",
        "https://opendatacommons.org/licenses/odbl/1-0/",
        "Open Data Commons Open Database License 1.0",
    ),
    (
        "PDDL-1.0",
        "https://opendatacommons.org/licenses/pddl/1-0/",
        "Open Data Commons Public Domain Dedication and License 1.0",
    ),
];

impl Licence {
    /// The licence of an id: a known one with its address and title, any other id
    /// made of letters, digits, `-`, `.` and `_` as it is.
    pub fn from_id(id: &str) -> Result<Licence, Error> {
        if let Some(&(name, path, title)) =
            LICENCES.iter().find(|(n, ..)| n.eq_ignore_ascii_case(id))
        {
            return Ok(Licence {
                name: name.into(),
                path: Some(path),
                title: Some(title),
            });
        }
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        {
            return Err(Error::Input {
                reason: format!("--licence {id:?} is not a licence id"),
                hint: Some(format!(
                    "give an SPDX or Open Definition id such as {}",
                    LICENCES.map(|l| l.0).join(", ")
                )),
            });
        }
        Ok(Licence {
            name: id.into(),
            path: None,
            title: None,
        })
    }
}

/// What a release tells its user.
#[derive(Debug)]
pub struct Published {
    /// The output folder, committed.
    pub out: PathBuf,
    /// The period released.
    pub period: Period,
    /// What was loaded, with its accounting.
    pub data: Dataset,
    /// KPI rows, and how many of them are withheld.
    pub kpi_rows: (usize, usize),
    /// Departments in the exchange matrix.
    pub departments: usize,
    /// Matrix cells (totals included, the diagonal not) hidden as below the minimum,
    /// and hidden besides so that none can be worked out.
    pub hidden: (usize, usize),
    /// The series log the release was recorded in.
    pub series: PathBuf,
    /// Everything the user should be told.
    pub warnings: Vec<String>,
}

/// Writes the open-data release of `job.period` into `job.out`.
pub fn publish(job: Release) -> Result<Published, Error> {
    // Long: the release's steps in order (load, appraise, the family's figures, the
    // rule, the files, the package, the series log), each a few lines over the same
    // values; the rule and the writing are functions of their own (`rule`, `write`).
    let Release {
        data: data_dir,
        mut options,
        period,
        rules,
        out,
        write,
        min_cell: k,
        licence,
        series,
        lang,
    } = job;
    let t = appraise_report::templates::Templates::load(None)?.strings(lang);
    // Only calendar months and quarters, each protected with its family.
    let family = crate::series::family(&period)?;
    let timeout = rules.query_timeout;
    let staging = Staging::new(&out, &write)?;
    let series_path = series.unwrap_or_else(|| {
        out.parent()
            .unwrap_or(Path::new("."))
            .join(crate::series::SERIES_FILE)
    });
    let mut series = Series::open(&series_path, write.wait)?;
    // Rejected rows hold what the data held; they are not released.
    options.rejects_dir = None;
    let data = crate::load(&data_dir, &options)?;
    let Scored {
        appraisal,
        matrix,
        kpis,
        engine,
        warnings: card_warnings,
        coverage,
        touched: _,
    } = appraise(&data_dir, &data, &period, rules, &mut Laps::start("kpis"))?;
    let Figures {
        family,
        volumes,
        at,
        matrices,
    } = family_figures(&engine, family, &period, &kpis, timeout)?;
    engine.scope(Some(&period))?;
    let matrices: Vec<&KpiMatrix> = matrices
        .iter()
        .map(|m| m.as_ref().unwrap_or(&matrix))
        .collect();

    let exchanges = Exchanges::new(&appraisal, &volumes, at, k);
    let kpi_table = KpiTable::new(&matrices, at, &kpis, &exchanges, k);
    let entry = Entry {
        period: period.to_string(),
        family: family[0].to_string(),
        min_cell: k,
        data: family_data(&volumes, &matrices),
        pattern: exchanges.pattern(&kpi_table.family_withheld),
        out: out.display().to_string(),
        released_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        version: env!("CARGO_PKG_VERSION").into(),
    };
    series.check(&entry)?;
    let dir = staging.path();
    let written = write_files(
        dir,
        &[
            ("kpis.csv", kpi_table.csv(&period)),
            ("ranking.csv", ranking_csv(&appraisal, &kpi_table.withheld)),
            ("exchanges.csv", exchanges.csv()),
            (
                "kpi_definitions.csv",
                definitions_csv(&appraisal, &kpis, lang, &t),
            ),
        ],
    )?;
    let manifest = manifest_of(
        &period,
        &data_dir,
        &data,
        &appraisal,
        &kpis,
        None,
        engine.adjustments().map(std::sync::Arc::as_ref),
    )?;
    let package = package(&Package {
        period: &period,
        family: &family,
        appraisal: &appraisal,
        exchanges: &exchanges,
        licence: &licence,
        manifest: &manifest,
        written: &written,
        k,
        lang,
        t: &t,
    });
    let json = serde_json::to_string_pretty(&package).unwrap_or_default() + "\n";
    std::fs::write(dir.join("datapackage.json"), json)
        .map_err(|e| Error::io("writing datapackage.json", e))?;
    let out = staging.commit()?;
    series.record(Entry {
        out: out.display().to_string(),
        ..entry
    })?;

    let warnings = (data.warnings.iter())
        .chain(&coverage)
        .chain(&card_warnings)
        .chain(&appraisal.current.warnings)
        .map(appraise_data::Warning::sentence)
        .collect();
    Ok(Published {
        out,
        period,
        data,
        kpi_rows: (
            matrix.values.len(),
            kpi_table.rows.iter().filter(|r| r.withheld).count(),
        ),
        departments: exchanges.ids.len(),
        hidden: exchanges.hidden_counts(k),
        series: series_path,
        warnings,
    })
}

/// The figures of every member of a release's family: its exchange counts, and the KPI
/// rows of every member but the period released (`at`), whose matrix is the
/// appraisal's.
struct Figures {
    family: Vec<Period>,
    volumes: Vec<Vec<(String, String, u64)>>,
    at: usize,
    matrices: Vec<Option<KpiMatrix>>,
}

/// [`Figures`] of `family`. A month the data holds no exchange in cannot be released
/// (as any uncovered period), so it does not shape the pattern: its counts would all
/// read 0.
fn family_figures(
    engine: &appraise_kpi::Engine,
    family: Vec<Period>,
    period: &Period,
    kpis: &[KpiDef],
    timeout: std::time::Duration,
) -> Result<Figures, Error> {
    let mut members = Vec::new();
    for member in family {
        let v = block_on(engine.exchange_volumes(&member), timeout)??;
        if member == *period || !v.is_empty() {
            members.push((member, v));
        }
    }
    let (family, volumes): (Vec<Period>, Vec<_>) = members.into_iter().unzip();
    let at = family.iter().position(|p| p == period).unwrap_or(0);
    let mut matrices = Vec::new();
    for (i, member) in family.iter().enumerate() {
        matrices.push(if i == at {
            None
        } else {
            Some(block_on(engine.run(member, kpis), timeout)??)
        });
    }
    Ok(Figures {
        family,
        volumes,
        at,
        matrices,
    })
}

/// Writes the release's CSV files into `dir`; their hashes for the package.
fn write_files(dir: &Path, files: &[(&str, String)]) -> Result<Vec<FileHash>, Error> {
    let mut written = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| Error::io(format!("writing {name}"), e))?;
        written.push(
            FileHash::of(&path, Path::new(name))
                .map_err(|e| Error::io(format!("hashing {name}"), e))?,
        );
    }
    Ok(written)
}

/// The fingerprint of a family's figures before suppression: its exchange counts and
/// KPI rows, member by member.
fn family_data(volumes: &[Vec<(String, String, u64)>], matrices: &[&KpiMatrix]) -> String {
    let mut parts: Vec<Vec<u8>> = Vec::new();
    for (v, m) in volumes.iter().zip(matrices) {
        let mut v = v.clone();
        v.sort();
        parts.push(format!("{v:?}").into_bytes());
        let mut rows: Vec<String> = m
            .values
            .iter()
            .map(|r| {
                format!(
                    "{}|{}|{:?}|{:?}|{:?}|{:?}",
                    r.department_id, r.kpi, r.value, r.numerator, r.denominator, r.sample_size
                )
            })
            .collect();
        rows.sort();
        parts.push(rows.join("\n").into_bytes());
    }
    fingerprint(parts.iter().map(Vec::as_slice))
}
