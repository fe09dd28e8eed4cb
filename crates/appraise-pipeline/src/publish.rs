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
//!   ([`appraise_score::suppress`]). A department's exchanges with itself are left out:
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
use appraise_data::{Dataset, LoadOptions, load_dir, spreadsheet_safe};
use appraise_kpi::{KpiDef, KpiMatrix, Period};
use appraise_report::lang::{Lang, Strings};
use appraise_score::Appraisal;
use serde_json::{Value, json};

use crate::appraise::{Rules, Scored, appraise};
use crate::run::policy_files;
use crate::series::{Entry, Series, fingerprint};
use crate::{Error, Laps, block_on};

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
    let data = load_dir(&data_dir, &options).map_err(|source| Error::Load {
        dir: data_dir.clone(),
        source,
    })?;
    let Scored {
        appraisal,
        matrix,
        kpis,
        engine,
        warnings: card_warnings,
        coverage,
    } = appraise(&data_dir, &data, &period, rules, &mut Laps::start("kpis"))?;
    // The figures of every member of the family: its exchanges and KPI rows. A month
    // the data holds no exchange in cannot be released (as any uncovered period), so
    // it does not shape the pattern: its counts would all read 0.
    let mut members = Vec::new();
    for member in family {
        let v = block_on(engine.exchange_volumes(&member), timeout)??;
        if member == period || !v.is_empty() {
            members.push((member, v));
        }
    }
    let (family, volumes): (Vec<Period>, Vec<_>) = members.into_iter().unzip();
    let at = family.iter().position(|p| *p == period).unwrap_or(0);
    let mut matrices = Vec::new();
    for (i, member) in family.iter().enumerate() {
        matrices.push(if i == at {
            None
        } else {
            Some(block_on(engine.run(member, &kpis), timeout)??)
        });
    }
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
    let files = [
        ("kpis.csv", kpi_table.csv(&period)),
        ("ranking.csv", ranking_csv(&appraisal, &kpi_table.withheld)),
        ("exchanges.csv", exchanges.csv()),
        (
            "kpi_definitions.csv",
            definitions_csv(&appraisal, &kpis, lang, &t),
        ),
    ];
    let mut written = Vec::new();
    for (name, text) in &files {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| Error::io(format!("writing {name}"), e))?;
        written.push(
            FileHash::of(&path, Path::new(name))
                .map_err(|e| Error::io(format!("hashing {name}"), e))?,
        );
    }
    let mut manifest = Manifest::new(
        env!("CARGO_PKG_VERSION"),
        &period.to_string(),
        &data_dir,
        &data,
    )
    .map_err(|source| Error::io("hashing the inputs", source))?;
    policy_files(&mut manifest, &appraisal, &kpis, None)?;
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

    let mut warnings: Vec<String> = data.warnings.iter().map(ToString::to_string).collect();
    warnings.extend(coverage.iter().map(ToString::to_string));
    warnings.extend(card_warnings.iter().map(ToString::to_string));
    warnings.extend(appraisal.current.warnings.iter().map(ToString::to_string));
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

/// The department × department exchange matrix of the period with its totals, and
/// which of its cells are hidden: one pattern for the whole family.
struct Exchanges {
    /// Department ids, sorted: the rows (consumers) and the columns (providers).
    ids: Vec<String>,
    /// (n + 1) × (n + 1) tables, consumer rows, provider columns, totals last: every
    /// member's of the family, the quarter first.
    members: Vec<Vec<Vec<u64>>>,
    /// Which member is released.
    at: usize,
    hidden: Vec<Vec<bool>>,
}

impl Exchanges {
    /// The matrices of the family's members (`volumes`, the quarter first; the
    /// released one at `at`), with the family's pattern: every cell below `k` in any
    /// member is hidden in all, and more cells (by the quarter's counts) until none
    /// can be worked out in any member, nor put in an interval narrower than `k`.
    fn new(
        appraisal: &Appraisal,
        volumes: &[Vec<(String, String, u64)>],
        at: usize,
        k: u64,
    ) -> Exchanges {
        // Every appraised department, and any other the exchanges name.
        let ids: BTreeSet<&str> = appraisal
            .current
            .departments
            .iter()
            .map(|d| d.department.id.as_str())
            .chain(
                volumes
                    .iter()
                    .flatten()
                    .flat_map(|(p, c, _)| [p.as_str(), c.as_str()]),
            )
            .collect();
        let ids: Vec<String> = ids.into_iter().map(String::from).collect();
        let at_id: BTreeMap<&str, usize> = ids
            .iter()
            .enumerate()
            .map(|(i, d)| (d.as_str(), i))
            .collect();
        let n = ids.len();
        let members: Vec<Vec<Vec<u64>>> = volumes
            .iter()
            .map(|volumes| {
                let mut table = vec![vec![0u64; n + 1]; n + 1];
                for (provider, consumer, count) in volumes {
                    let (c, p) = (at_id[consumer.as_str()], at_id[provider.as_str()]);
                    if c == p {
                        continue;
                    }
                    table[c][p] += count;
                    table[c][n] += count;
                    table[n][p] += count;
                    table[n][n] += count;
                }
                table
            })
            .collect();
        let primary: Vec<Vec<bool>> = (0..=n)
            .map(|i| {
                (0..=n)
                    .map(|j| members.iter().any(|t| t[i][j] < k))
                    .collect()
            })
            .collect();
        let known = |i: usize, j: usize| i == j && i < n;
        let hidden = appraise_score::suppress::protect(&members[0], primary, known);
        // No hidden cell of any member put in an interval narrower than k.
        let hidden =
            appraise_score::suppress::protect_intervals(&members, &members[0], hidden, known, k);
        Exchanges {
            ids,
            members,
            at,
            hidden,
        }
    }

    /// The hidden totals of department `d` in member `m` of the family: as a consumer
    /// (its row) and as a provider (its column).
    fn hidden_totals(&self, d: &str, m: usize) -> Vec<u64> {
        let n = self.ids.len();
        let Some(i) = self.index(d) else {
            return Vec::new();
        };
        [(i, n), (n, i)]
            .into_iter()
            .filter(|&(a, b)| self.hidden[a][b])
            .map(|(a, b)| self.members[m][a][b])
            .collect()
    }

    /// Whether department `d`'s row or column hides a cell between two departments:
    /// then a count of the departments it exchanged with tells how many of the hidden
    /// cells are not zero.
    fn hides_partners(&self, d: &str) -> bool {
        let n = self.ids.len();
        self.index(d)
            .is_some_and(|i| (0..n).any(|j| self.hidden[i][j] || self.hidden[j][i]))
    }

    fn index(&self, d: &str) -> Option<usize> {
        self.ids.binary_search_by(|x| x.as_str().cmp(d)).ok()
    }

    /// The fingerprint of the family's pattern: the hidden cells (by department id)
    /// and the withheld KPI rows.
    fn pattern(&self, withheld: &BTreeSet<(String, String)>) -> String {
        let n = self.ids.len();
        let name = |i: usize| if i < n { self.ids[i].as_str() } else { "total" };
        let mut cells = Vec::new();
        for (i, row) in self.hidden.iter().enumerate() {
            for (j, &h) in row.iter().enumerate() {
                if h {
                    cells.push(format!("{}|{}", name(i), name(j)));
                }
            }
        }
        let rows: Vec<String> = withheld.iter().map(|(d, k)| format!("{d}|{k}")).collect();
        fingerprint([cells.join("\n").as_bytes(), rows.join("\n").as_bytes()])
    }

    /// Cells hidden as below `k`, and hidden besides.
    fn hidden_counts(&self, k: u64) -> (usize, usize) {
        let cells = self.members[self.at]
            .iter()
            .flatten()
            .zip(self.hidden.iter().flatten());
        let (mut primary, mut secondary) = (0, 0);
        for (&x, &h) in cells {
            match (h, x < k) {
                (true, true) => primary += 1,
                (true, false) => secondary += 1,
                _ => {}
            }
        }
        (primary, secondary)
    }

    fn csv(&self) -> String {
        let n = self.ids.len();
        let mut w = writer();
        // The header: the columns' names (their descriptions are the package's).
        header(&mut w, &matrix_columns(&self.ids, &Strings::default()));
        for (i, (cells, hidden)) in self.members[self.at].iter().zip(&self.hidden).enumerate() {
            let mut line = vec![if i < n {
                safe(&self.ids[i])
            } else {
                "total".into()
            }];
            line.extend(cells.iter().zip(hidden).enumerate().map(|(j, (x, &h))| {
                if i == j && i < n {
                    String::new()
                } else if h {
                    SUPPRESSED.into()
                } else {
                    x.to_string()
                }
            }));
            row(&mut w, &line);
        }
        finish(w)
    }
}

/// The KPI rows of the period, each published or withheld whole.
struct KpiTable {
    rows: Vec<KpiRow>,
    /// Per department, the KPIs withheld with a value behind them.
    withheld: BTreeMap<String, BTreeSet<String>>,
    /// The (department, KPI) rows withheld in every release of the family.
    family_withheld: BTreeSet<(String, String)>,
}

struct KpiRow {
    department_id: String,
    kpi: String,
    fields: [Option<f64>; 4],
    withheld: bool,
}

impl KpiTable {
    /// The released member's rows (`matrices[at]`), a row withheld when it, or the
    /// same department's row of the KPI in another member of the family, would give a
    /// count below `k` or a hidden total away, or is a count of partner departments
    /// where the department's matrix row or column hides a cell.
    fn new(
        matrices: &[&KpiMatrix],
        at: usize,
        kpis: &[KpiDef],
        exchanges: &Exchanges,
        k: u64,
    ) -> KpiTable {
        let unit_of = |id: &str| {
            kpis.iter()
                .find(|d| d.id == id)
                .and_then(|d| d.unit.as_deref())
        };
        let mut family_withheld = BTreeSet::new();
        for (member, m) in matrices.iter().enumerate() {
            for v in &m.values {
                let unit = unit_of(&v.kpi);
                let sample = v.sample_size.map(|s| s as f64);
                let counts_value = unit.is_some_and(|u| COUNT_UNITS.contains(&u));
                let value_count = v.value.filter(|_| counts_value);
                let counts = [v.numerator, v.denominator, sample, value_count];
                let totals = exchanges.hidden_totals(&v.department_id, member);
                let small = counts.iter().flatten().any(|&c| c < k as f64);
                let linked = counts
                    .iter()
                    .flatten()
                    .any(|&c| totals.iter().any(|&t| c == t as f64));
                // Nothing to measure says a count is 0: no request decided, no case.
                let empty = v.value.is_none();
                let partners =
                    unit == Some("departments") && exchanges.hides_partners(&v.department_id);
                if small || linked || empty || partners {
                    family_withheld.insert((v.department_id.clone(), v.kpi.clone()));
                }
            }
        }
        let mut withheld: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let rows = matrices[at]
            .values
            .iter()
            .map(|v| {
                let key = (v.department_id.clone(), v.kpi.clone());
                let row_withheld = family_withheld.contains(&key);
                if row_withheld && v.value.is_some() {
                    withheld
                        .entry(v.department_id.clone())
                        .or_default()
                        .insert(v.kpi.clone());
                }
                KpiRow {
                    department_id: v.department_id.clone(),
                    kpi: v.kpi.clone(),
                    fields: [
                        v.value,
                        v.numerator,
                        v.denominator,
                        v.sample_size.map(|s| s as f64),
                    ],
                    withheld: row_withheld,
                }
            })
            .collect();
        KpiTable {
            rows,
            withheld,
            family_withheld,
        }
    }

    fn csv(&self, period: &Period) -> String {
        let mut w = writer();
        header(&mut w, &kpi_columns(&Strings::default()));
        let mut rows: Vec<&KpiRow> = self.rows.iter().collect();
        rows.sort_by(|a, b| (&a.department_id, &a.kpi).cmp(&(&b.department_id, &b.kpi)));
        for r in rows {
            let mut line = vec![period.to_string(), safe(&r.department_id), r.kpi.clone()];
            line.extend(r.fields.iter().map(|f| match (r.withheld, f) {
                (true, _) => SUPPRESSED.into(),
                (false, x) => number(*x),
            }));
            row(&mut w, &line);
        }
        finish(w)
    }
}

/// `ranking.csv`: every department of the appraisal in ranking order, with scores
/// computed from a withheld KPI value withheld.
fn ranking_csv(appraisal: &Appraisal, withheld: &BTreeMap<String, BTreeSet<String>>) -> String {
    let s = &appraisal.current;
    let card = &appraisal.scorecard;
    let dimension_of: BTreeMap<&str, &str> = card
        .kpis
        .iter()
        .map(|r| (r.id.as_str(), r.dimension.as_str()))
        .collect();
    let mut w = writer();
    header(
        &mut w,
        &ranking_columns(appraisal, Lang::En, &Strings::default()),
    );
    let none = BTreeSet::new();
    for d in s.ranking_order() {
        let dep = &s.departments[d];
        let held = withheld.get(&dep.department.id).unwrap_or(&none);
        let held_dims: BTreeSet<&str> = held
            .iter()
            .filter_map(|k| dimension_of.get(k.as_str()).copied())
            .collect();
        let score = |x: Option<f64>, hide: bool| if hide { SUPPRESSED.into() } else { number(x) };
        let mut line = vec![
            safe(&dep.department.id),
            safe(&dep.department.name),
            safe(&dep.department.level),
            safe(&dep.department.peer_group),
            dep.status.name().to_string(),
            dep.rank.map_or(String::new(), |r| r.to_string()),
            dep.group_rank.map_or(String::new(), |r| r.to_string()),
            dep.grade
                .map_or(String::new(), |g| safe(&card.grades.bands[g].grade)),
            score(dep.composite, !held.is_empty()),
        ];
        line.extend(
            s.dimensions
                .iter()
                .zip(&dep.dimensions)
                .map(|(id, &x)| score(x, held_dims.contains(id.as_str()))),
        );
        row(&mut w, &line);
    }
    finish(w)
}

/// `kpi_definitions.csv`: what each KPI measures, in which unit, and its weight.
fn definitions_csv(appraisal: &Appraisal, kpis: &[KpiDef], lang: Lang, t: &Strings) -> String {
    let mut w = writer();
    header(&mut w, &definition_columns(t));
    let zh = lang == Lang::Zh;
    for def in kpis {
        let rule = appraisal.scorecard.kpis.iter().find(|r| r.id == def.id);
        let text = |s: &Option<String>| s.as_deref().map_or(String::new(), safe);
        row(
            &mut w,
            &[
                def.id.clone(),
                rule.map_or(String::new(), |r| safe(&r.code)),
                safe(&def.title),
                text(&def.title_zh),
                safe(rule.map_or(&def.dimension, |r| &r.dimension)),
                text(if zh && def.unit_zh.is_some() {
                    &def.unit_zh
                } else {
                    &def.unit
                }),
                t.get(match def.direction {
                    appraise_kpi::Direction::Higher => "direction:higher",
                    appraise_kpi::Direction::Lower => "direction:lower",
                }),
                number(rule.map(|r| r.weight)),
                text(if zh && def.description_zh.is_some() {
                    &def.description_zh
                } else {
                    &def.description
                }),
            ],
        );
    }
    finish(w)
}

struct Package<'a> {
    period: &'a Period,
    /// The releases it is protected with: its quarter and the quarter's months.
    family: &'a [Period],
    appraisal: &'a Appraisal,
    exchanges: &'a Exchanges,
    licence: &'a Licence,
    manifest: &'a Manifest,
    written: &'a [FileHash],
    k: u64,
    /// The language and wording of the package's descriptions.
    lang: Lang,
    t: &'a Strings,
}

/// `datapackage.json`: a Frictionless tabular data package describing the files.
fn package(p: &Package) -> Value {
    let fields =
        |columns: Vec<Column>| -> Vec<Value> { columns.iter().map(Column::schema).collect() };
    let t = p.t;
    let kpis = fields(kpi_columns(t));
    let ranking = fields(ranking_columns(p.appraisal, p.lang, t));
    let matrix = fields(matrix_columns(&p.exchanges.ids, t));
    let definitions = fields(definition_columns(t));
    let missing = json!(["", SUPPRESSED]);
    let schemas: [(&str, &str, String, Value); 4] = [
        (
            "kpis",
            "kpis.csv",
            t.get("publish:kpis"),
            json!({"fields": kpis, "missingValues": missing, "primaryKey": ["department_id", "kpi"],
                   "foreignKeys": [{"fields": "kpi", "reference": {"resource": "kpi_definitions", "fields": "kpi"}}]}),
        ),
        (
            "ranking",
            "ranking.csv",
            t.get("publish:ranking"),
            json!({"fields": ranking, "missingValues": missing, "primaryKey": ["department_id"]}),
        ),
        (
            "exchanges",
            "exchanges.csv",
            t.get("publish:exchanges"),
            json!({"fields": matrix, "missingValues": missing, "primaryKey": ["consumer_dept"]}),
        ),
        (
            "kpi_definitions",
            "kpi_definitions.csv",
            t.get("publish:kpi_definitions"),
            json!({"fields": definitions, "missingValues": [""], "primaryKey": ["kpi"]}),
        ),
    ];
    let resources: Vec<Value> = schemas
        .into_iter()
        .map(|(name, path, description, schema)| {
            let file = p.written.iter().find(|f| f.path == Path::new(path));
            json!({
                "name": name,
                "path": path,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "description": description,
                "bytes": file.map(|f| f.bytes),
                "hash": file.map(|f| format!("sha256:{}", f.sha256)),
                "schema": schema,
            })
        })
        .collect();
    let m = p.manifest;
    let sources: Vec<Value> = m
        .inputs
        .iter()
        .chain(&m.scorecard)
        .map(|f| {
            json!({"title": f.path.display().to_string(), "bytes": f.bytes, "hash": format!("sha256:{}", f.sha256)})
        })
        .chain(m.kpis.iter().map(|k| {
            json!({"title": format!("KPI {}", k.id), "bytes": k.file.bytes, "hash": format!("sha256:{}", k.file.sha256)})
        }))
        .collect();
    let mut licence = json!({"name": p.licence.name});
    if let Some(path) = p.licence.path {
        licence["path"] = json!(path);
    }
    if let Some(title) = p.licence.title {
        licence["title"] = json!(title);
    }
    let card = &p.appraisal.scorecard;
    // The period in Chinese words, or as the data's files write it (2026Q3).
    let period_words = match p.lang {
        Lang::Zh => p.lang.period(p.period),
        Lang::En => p.period.to_string(),
    };
    let card_name = match (p.lang, &card.name_zh) {
        (Lang::Zh, Some(zh)) => zh.clone(),
        _ => card.name.clone(),
    };
    json!({
        "profile": "tabular-data-package",
        "name": format!("appraise-{}", p.period.to_string().to_lowercase()),
        "title": t.fill("publish:title", &[("period", &period_words)]),
        "description": t.fill(
            "publish:description",
            &[("period", &period_words), ("scorecard", &card_name), ("k", &p.k.to_string())],
        ),
        "version": env!("CARGO_PKG_VERSION"),
        "created": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "licenses": [licence],
        "sources": sources,
        "suppression": {
            "min_cell": p.k,
            "marker": SUPPRESSED,
            "rule": "docs/publish.md",
            "protected_with": p.family.iter().map(ToString::to_string).collect::<Vec<_>>(),
        },
        "resources": resources,
    })
}

/// A column of a released file: its name, Frictionless type, description and unit.
struct Column {
    name: String,
    kind: &'static str,
    description: String,
    unit: Option<&'static str>,
}

fn column(name: &str, kind: &'static str, description: &str) -> Column {
    Column {
        name: name.into(),
        kind,
        description: description.into(),
        unit: None,
    }
}

impl Column {
    fn in_unit(self, unit: &'static str) -> Column {
        Column {
            unit: Some(unit),
            ..self
        }
    }

    /// Its field in `datapackage.json`.
    fn schema(&self) -> Value {
        let mut f = json!({"name": self.name, "type": self.kind, "description": self.description});
        if let Some(unit) = self.unit {
            f["unit"] = json!(unit);
        }
        f
    }
}

/// `kpis.csv`'s columns, described in `t`'s words.
fn kpi_columns(t: &Strings) -> Vec<Column> {
    let d = |name: &str| t.get(&format!("publish:kpis:{name}"));
    vec![
        column("period", "string", &d("period")),
        column("department_id", "string", &d("department_id")),
        column("kpi", "string", &d("kpi")),
        column("value", "number", &d("value")),
        column("numerator", "number", &d("numerator")),
        column("denominator", "number", &d("denominator")),
        column("sample_size", "integer", &d("sample_size")).in_unit("observations"),
    ]
}

/// `ranking.csv`'s columns: a score column per dimension of the scorecard.
fn ranking_columns(appraisal: &Appraisal, lang: Lang, t: &Strings) -> Vec<Column> {
    let d = |name: &str| t.get(&format!("publish:ranking:{name}"));
    let mut columns = vec![
        column("department_id", "string", &d("department_id")),
        column("name", "string", &d("name")),
        column("level", "string", &d("level")),
        column("peer_group", "string", &d("peer_group")),
        column("status", "string", &d("status")),
        column("rank", "integer", &d("rank")),
        column("group_rank", "integer", &d("group_rank")),
        column("grade", "string", &d("grade")),
        column("composite", "number", &d("composite")).in_unit("points"),
    ];
    let s = &appraisal.current;
    let card = &appraisal.scorecard;
    for id in &s.dimensions {
        let dim = card.dimensions.iter().find(|d| &d.id == id);
        let title = dim.map_or(id.clone(), |d| match (lang, &d.title_zh) {
            (Lang::Zh, Some(zh)) => zh.clone(),
            _ => d.title.clone(),
        });
        columns.push(
            column(
                &format!("dim_{id}"),
                "number",
                &t.fill("publish:ranking:dimension", &[("title", &title)]),
            )
            .in_unit("points"),
        );
    }
    columns
}

/// `exchanges.csv`'s columns: the consumer, a column per provider, the row's total.
fn matrix_columns(ids: &[String], t: &Strings) -> Vec<Column> {
    let mut columns = vec![column(
        "consumer_dept",
        "string",
        &t.get("publish:exchanges:consumer_dept"),
    )];
    columns.extend(ids.iter().map(|id| {
        column(
            &safe(id),
            "integer",
            &t.fill("publish:exchanges:provider", &[("id", id)]),
        )
        .in_unit("exchanges")
    }));
    columns
        .push(column("total", "integer", &t.get("publish:exchanges:total")).in_unit("exchanges"));
    columns
}

/// `kpi_definitions.csv`'s columns.
fn definition_columns(t: &Strings) -> Vec<Column> {
    let d = |name: &str| t.get(&format!("publish:kpi_definitions:{name}"));
    vec![
        column("kpi", "string", &d("kpi")),
        column("code", "string", &d("code")),
        column("title", "string", &d("title")),
        column("title_zh", "string", &d("title_zh")),
        column("dimension", "string", &d("dimension")),
        column("unit", "string", &d("unit")),
        column("direction", "string", &d("direction")),
        column("weight", "number", &d("weight")),
        column("description", "string", &d("description")),
    ]
}

fn header(w: &mut csv::Writer<Vec<u8>>, columns: &[Column]) {
    let names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
    row(w, &names);
}

fn writer() -> csv::Writer<Vec<u8>> {
    csv::Writer::from_writer(Vec::new())
}

fn row(w: &mut csv::Writer<Vec<u8>>, fields: &[String]) {
    // Writing into memory cannot fail.
    let _ = w.write_record(fields);
}

fn finish(w: csv::Writer<Vec<u8>>) -> String {
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// Text from the data, made safe to open in a spreadsheet.
fn safe(text: &str) -> String {
    spreadsheet_safe(text).into_owned()
}

/// A number as the CSV gives it: shortest exact decimal, integers without a point,
/// empty where there is none (or it is not finite).
fn number(x: Option<f64>) -> String {
    match x {
        Some(x) if x.is_finite() => format!("{x}"),
        _ => String::new(),
    }
}
