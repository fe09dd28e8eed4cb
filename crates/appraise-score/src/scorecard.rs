//! The scorecard file (`queries/scorecard.toml`): weights, transforms, normalisations,
//! missing-value rules, grades and the uncertainty settings.
//!
//! Reading checks everything that can be checked from the file alone, and every error
//! names the line. [`Scorecard::check`] then checks it against the KPI library (unknown
//! KPI ids, goalposts pointing the wrong way).

use std::path::{Path, PathBuf};

use appraise_data::Warning;
use appraise_kpi::{Direction, KpiDef};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::Error;

/// What is done to a KPI's values before normalisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transform {
    /// The values as they are.
    None,
    /// ln(1 + x).
    Log,
    /// Winsorise (up to 5 values) or log-transform where skew and kurtosis are high.
    Auto,
}

/// How treated values are put onto 0–100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Normalisation {
    /// 100·(x − min)/(max − min) within the peer group.
    Minmax,
    /// T-score 50 + 10·z, clamped to 0–100.
    Zscore,
    /// Percentile rank 100·(r − 1)/(n − 1), ties averaged.
    Rank,
    /// 100·clamp((x − floor)/(target − floor), 0, 1): an absolute standard.
    Goalpost,
}

/// What a department without a usable value gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MissingRule {
    /// Score 0.
    Zero,
    /// No score: the weights are renormalised over the KPIs present.
    Exclude,
    /// The peer group's median score.
    Median,
}

/// How a rate behind few cases is treated before it is scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
pub enum Shrink {
    /// Scored as measured.
    #[default]
    #[serde(rename = "none")]
    None,
    /// Empirical-Bayes shrinkage toward the peer group's rate ([`crate::rates`]).
    #[serde(rename = "beta-binomial")]
    BetaBinomial,
}

/// How scores are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Aggregation {
    /// Weighted arithmetic mean.
    Arithmetic,
    /// Weighted geometric mean, scores floored at 1.
    Geometric,
}

/// How grades are given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GradeMethod {
    /// By the composite: the first band whose `min` it reaches.
    Thresholds,
    /// By rank: each band holds at most its share of the ranked departments.
    Quota,
}

/// A dimension of the composite.
#[derive(Debug, Clone, Serialize)]
pub struct Dimension {
    /// Identifier (`sharing`, `responsiveness`, ...).
    pub id: String,
    /// Relative weight among the dimensions.
    pub weight: f64,
    /// English title.
    pub title: String,
    /// Chinese title.
    pub title_zh: Option<String>,
    /// Line of its `id` in the file.
    pub line: usize,
}

/// How one KPI is scored.
#[derive(Debug, Clone, Serialize)]
pub struct KpiRule {
    /// The KPI file's `kpi:` key.
    pub id: String,
    /// Its short name in charts and tables (`code`; by default `K` and its position in
    /// the scorecard): fixed by the scorecard, so that adding a KPI renumbers nothing.
    pub code: String,
    /// The dimension it counts towards.
    pub dimension: String,
    /// Relative weight within its dimension.
    pub weight: f64,
    /// Treatment before normalisation.
    pub transform: Transform,
    /// Normalisation onto 0–100.
    pub normalise: Normalisation,
    /// What a department without a usable value gets.
    pub missing: MissingRule,
    /// Values behind fewer cases than this count as missing.
    pub min_sample: u64,
    /// How a rate behind few cases is treated (`shrink`).
    pub shrink: Shrink,
    /// Goalpost: the value that scores 0.
    pub floor: Option<f64>,
    /// Goalpost: the value that scores 100.
    pub target: Option<f64>,
    /// Line of its `id` in the file.
    pub line: usize,
}

/// One grade band.
#[derive(Debug, Clone, Serialize)]
pub struct Band {
    /// The grade (`A`).
    pub grade: String,
    /// English label.
    pub label: Option<String>,
    /// Chinese label (`优秀`).
    pub label_zh: Option<String>,
    /// Thresholds: the lowest composite of the band.
    pub min: Option<f64>,
    /// Quota: the band's share of the ranked departments.
    pub share: Option<f64>,
}

/// The grading rule.
#[derive(Debug, Clone, Serialize)]
pub struct Grades {
    /// Thresholds or quota.
    pub method: GradeMethod,
    /// Bands, best first.
    pub bands: Vec<Band>,
}

/// The Monte Carlo settings.
#[derive(Debug, Clone, Serialize)]
pub struct Uncertainty {
    /// Monte Carlo runs (0 switches the robustness analysis off).
    pub runs: usize,
    /// Seed of the random generator: the same seed gives the same intervals.
    pub seed: u64,
    /// Each weight is multiplied by U(1 − noise, 1 + noise).
    pub weight_noise: f64,
    /// Whether each run draws every rate from its posterior (sampling noise).
    pub sampling: bool,
}

/// A read and checked scorecard.
#[derive(Debug, Clone, Serialize)]
pub struct Scorecard {
    /// Its name, for reports.
    pub name: String,
    /// Its Chinese name.
    pub name_zh: Option<String>,
    /// The appraisal's time zone (period edges, working days).
    #[serde(serialize_with = "zone_name")]
    pub timezone: chrono_tz::Tz,
    /// How KPI scores and dimension scores are combined.
    pub aggregation: Aggregation,
    /// Share of the KPI weight a department needs to be ranked.
    pub min_coverage: f64,
    /// The dimensions, in file order.
    pub dimensions: Vec<Dimension>,
    /// The KPIs, in file order.
    pub kpis: Vec<KpiRule>,
    /// The grading rule.
    pub grades: Grades,
    /// The robustness analysis.
    pub uncertainty: Uncertainty,
    /// Who issues the bulletin (`[bulletin]`; all unset where the section is absent).
    pub bulletin: Bulletin,
    /// The file it came from.
    pub path: PathBuf,
    /// Its text, as read (the report's what-if controls write it back with other
    /// weights).
    pub text: String,
}

// The file as written. Spans give every error its line.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToml {
    scorecard: HeaderToml,
    #[serde(default)]
    dimension: Vec<DimensionToml>,
    #[serde(default)]
    kpi: Vec<KpiToml>,
    grades: Option<GradesToml>,
    uncertainty: Option<UncertaintyToml>,
    bulletin: Option<BulletinToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BulletinToml {
    issuer: Option<String>,
    issuer_zh: Option<String>,
    document_number: Option<String>,
    issued: Option<Spanned<DateToml>>,
    appeal_deadline: Option<Spanned<DateToml>>,
    logo: Option<Spanned<String>>,
}

/// A date as `2026-10-15`.
fn iso_date<S: serde::Serializer>(d: &Option<chrono::NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_str(&d.format("%Y-%m-%d").to_string()),
        None => s.serialize_none(),
    }
}

/// A date as TOML writes it (`2026-10-15`), or as a string.
#[derive(Deserialize)]
#[serde(untagged)]
enum DateToml {
    Date(toml::value::Datetime),
    Text(String),
}

/// Who issues the bulletin and how it is filed, as its cover prints it: the
/// scorecard's `[bulletin]` section. Each is optional; the cover prints a placeholder
/// for one unset, so that a draft is never mistaken for the issued bulletin.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Bulletin {
    /// The issuing office, in English.
    pub issuer: Option<String>,
    /// The issuing office, in Chinese.
    pub issuer_zh: Option<String>,
    /// The document number (文号), for example `苏政务办〔2026〕12号`.
    pub document_number: Option<String>,
    /// The date of issue.
    #[serde(serialize_with = "iso_date")]
    pub issued: Option<chrono::NaiveDate>,
    /// The last day departments may appeal against a preliminary appraisal
    /// (`run --status preliminary` prints it on every page).
    #[serde(serialize_with = "iso_date")]
    pub appeal_deadline: Option<chrono::NaiveDate>,
    /// The logo: a PNG, JPEG or SVG file, its path relative to the scorecard's folder.
    pub logo: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HeaderToml {
    name: String,
    name_zh: Option<String>,
    #[serde(default = "default_timezone")]
    timezone: Spanned<String>,
    #[serde(default = "default_aggregation")]
    aggregation: Aggregation,
    min_coverage: Option<Spanned<Fraction>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Fraction {
    Number(f64),
    Text(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DimensionToml {
    id: Spanned<String>,
    weight: Spanned<f64>,
    title: Option<String>,
    title_zh: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KpiToml {
    id: Spanned<String>,
    code: Option<Spanned<String>>,
    dimension: Spanned<String>,
    #[serde(default = "one")]
    weight: Spanned<f64>,
    #[serde(default = "default_transform")]
    transform: Transform,
    #[serde(default = "default_normalise")]
    normalise: Normalisation,
    #[serde(default = "default_missing")]
    missing: MissingRule,
    #[serde(default)]
    min_sample: u64,
    #[serde(default)]
    shrink: Shrink,
    floor: Option<f64>,
    target: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GradesToml {
    method: GradeMethod,
    bands: Spanned<Vec<BandToml>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BandToml {
    grade: String,
    label: Option<String>,
    label_zh: Option<String>,
    min: Option<f64>,
    share: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UncertaintyToml {
    #[serde(default = "default_runs_spanned")]
    runs: Spanned<usize>,
    #[serde(default = "default_seed")]
    seed: u64,
    #[serde(default = "default_noise")]
    weight_noise: Spanned<f64>,
    #[serde(default = "yes")]
    sampling: bool,
}

/// A zone as its IANA name.
fn zone_name<S: serde::Serializer>(zone: &chrono_tz::Tz, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(zone.name())
}

fn default_timezone() -> Spanned<String> {
    Spanned::new(0..0, appraise_data::DEFAULT_TIMEZONE_NAME.into())
}
fn default_aggregation() -> Aggregation {
    Aggregation::Arithmetic
}
fn one() -> Spanned<f64> {
    Spanned::new(0..0, 1.0)
}
fn default_transform() -> Transform {
    Transform::None
}
fn default_normalise() -> Normalisation {
    Normalisation::Minmax
}
fn default_missing() -> MissingRule {
    MissingRule::Exclude
}
fn default_runs_spanned() -> Spanned<usize> {
    Spanned::new(0..0, default_runs())
}

fn yes() -> bool {
    true
}
fn default_runs() -> usize {
    1000
}
fn default_seed() -> u64 {
    20260701
}
fn default_noise() -> Spanned<f64> {
    Spanned::new(0..0, 0.25)
}

/// The default grades: A ≥ 90, B ≥ 75, C ≥ 60, else D.
fn default_grades() -> Grades {
    let band = |grade: &str, min: f64, label: &str, label_zh: &str| Band {
        grade: grade.into(),
        label: Some(label.into()),
        label_zh: Some(label_zh.into()),
        min: Some(min),
        share: None,
    };
    Grades {
        method: GradeMethod::Thresholds,
        bands: vec![
            band("A", 90.0, "Excellent", "优秀"),
            band("B", 75.0, "Good", "良好"),
            band("C", 60.0, "Pass", "合格"),
            band("D", 0.0, "Fail", "不合格"),
        ],
    }
}

/// Line (1-based) of a byte offset; 0 for a default value that has no place.
fn line_of(text: &str, span: std::ops::Range<usize>) -> usize {
    if span.is_empty() && span.start == 0 {
        return 0;
    }
    text[..span.start.min(text.len())].matches('\n').count() + 1
}

impl Scorecard {
    /// Reads and checks a scorecard file.
    pub fn from_file(path: &Path) -> Result<Scorecard, Error> {
        let text = std::fs::read_to_string(path).map_err(|cause| Error::Io {
            path: path.to_path_buf(),
            cause,
        })?;
        Scorecard::parse(path, &text)
    }

    /// The zone a scorecard's text names (`[scorecard] timezone`, by default
    /// [`appraise_data::DEFAULT_TIMEZONE_NAME`]), read without the rest of the scorecard:
    /// a command that scores nothing needs no more of it. `path` is for messages.
    pub fn zone_in(path: &Path, text: &str) -> Result<chrono_tz::Tz, Error> {
        let r = Reader { path, text };
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let line = e.span().map_or(0, |s| line_of(text, s));
            r.err(
                line,
                e.message().trim().to_string(),
                Some("fix the scorecard, or name the zone with --timezone"),
            )
        })?;
        let name = table
            .get("scorecard")
            .and_then(|s| s.get("timezone"))
            .and_then(|z| z.as_str())
            .unwrap_or(appraise_data::DEFAULT_TIMEZONE_NAME);
        name.parse().map_err(|_| {
            r.err(
                0,
                format!("unknown time zone {name:?}"),
                Some("use an IANA name such as Asia/Shanghai"),
            )
        })
    }

    /// Reads and checks a scorecard's text; `path` is for messages.
    pub fn parse(path: &Path, text: &str) -> Result<Scorecard, Error> {
        let r = Reader { path, text };
        let file: FileToml = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(0, |s| line_of(text, s));
            r.err(
                line,
                e.message().trim().to_string(),
                Some("see the comments in queries/scorecard.toml"),
            )
        })?;
        let h = file.scorecard;
        let timezone_line = line_of(text, h.timezone.span());
        let name = h.timezone.into_inner();
        let Ok(timezone) = name.parse::<chrono_tz::Tz>() else {
            return Err(r.err(
                timezone_line,
                format!("unknown time zone {name:?}"),
                Some("use an IANA name such as Asia/Shanghai"),
            ));
        };
        let min_coverage = r.min_coverage(h.min_coverage)?;
        let dimensions = r.dimensions(file.dimension)?;
        let kpis = r.kpis(file.kpi, &dimensions)?;
        r.every_dimension_has_weight(&dimensions, &kpis)?;
        Ok(Scorecard {
            name: h.name,
            name_zh: h.name_zh,
            timezone,
            aggregation: h.aggregation,
            min_coverage,
            dimensions,
            kpis,
            grades: r.grades(file.grades)?,
            uncertainty: r.uncertainty(file.uncertainty)?,
            bulletin: r.bulletin(file.bulletin)?,
            path: path.to_path_buf(),
            text: text.to_string(),
        })
    }

    /// Checks the scorecard against the KPI library: every KPI it names exists, and
    /// every goalpost points the KPI's way. Returns warnings (library KPIs it leaves
    /// out, KPIs it puts in another dimension than their header).
    pub fn check(&self, library: &[KpiDef]) -> Result<Vec<Warning>, Error> {
        let mut warnings = Vec::new();
        for rule in &self.kpis {
            let Some(def) = library.iter().find(|d| d.id == rule.id) else {
                let known: Vec<&str> = library.iter().map(|d| d.id.as_str()).collect();
                return Err(self.rule_error(
                    rule,
                    format!("unknown KPI {:?}", rule.id),
                    format!("the KPI library has: {}", known.join(", ")),
                ));
            };
            self.check_rule(rule, def)?;
            if def.dimension != rule.dimension {
                warnings.push(
                    Warning::new(
                        "dimension_differs",
                        format!(
                            "KPI {} counts in dimension {} (the scorecard's choice); its file \
                             says {}",
                            rule.id, rule.dimension, def.dimension
                        ),
                    )
                    .arg("kpi", &rule.id)
                    .arg("dimension", &rule.dimension)
                    .arg("file_dimension", &def.dimension),
                );
            }
        }
        for def in library {
            if !def.optional && !self.kpis.iter().any(|k| k.id == def.id) {
                warnings.push(
                    Warning::new(
                        "kpi_not_scored",
                        format!("KPI {} is not in the scorecard and is not scored", def.id),
                    )
                    .arg("kpi", &def.id)
                    // Its title, for the report's language: the report knows only the
                    // scorecard's KPIs.
                    .arg("title", &def.title)
                    .arg("title_zh", def.title_zh.as_deref().unwrap_or(&def.title)),
                );
            }
        }
        Ok(warnings)
    }

    /// The rules of KPI `rule` that need its file `def`: shrinkage only for a rate, and
    /// goalposts that run the way the KPI is better.
    fn check_rule(&self, rule: &KpiRule, def: &KpiDef) -> Result<(), Error> {
        if rule.shrink != Shrink::None && def.unit.as_deref() != Some("ratio") {
            return Err(self.rule_error(
                rule,
                format!(
                    "KPI {:?} has shrink = \"beta-binomial\", but its unit is {:?}, not ratio",
                    rule.id,
                    def.unit.as_deref().unwrap_or("none")
                ),
                "shrinkage is for rates (a share of a denominator): remove shrink from this KPI"
                    .into(),
            ));
        }
        if let (Some(floor), Some(target)) = (rule.floor, rule.target) {
            let (wrong, better) = match def.direction {
                Direction::Higher => (target < floor, "higher"),
                Direction::Lower => (target > floor, "lower"),
            };
            if wrong {
                return Err(self.rule_error(
                    rule,
                    format!(
                        "KPI {:?} is better {better}, but its goalpost runs from floor {floor} \
                         to target {target}",
                        rule.id
                    ),
                    "swap floor and target: floor scores 0, target scores 100".into(),
                ));
            }
        }
        Ok(())
    }

    /// The error of KPI `rule`'s line of the scorecard.
    fn rule_error(&self, rule: &KpiRule, reason: String, hint: String) -> Error {
        Error::Scorecard {
            path: self.path.clone(),
            line: rule.line,
            reason,
            hint: Some(hint),
        }
    }

    /// The rule for a KPI.
    pub fn kpi(&self, id: &str) -> Option<&KpiRule> {
        self.kpis.iter().find(|k| k.id == id)
    }

    /// The position of a dimension.
    pub(crate) fn dimension_index(&self, id: &str) -> usize {
        self.dimensions
            .iter()
            .position(|d| d.id == id)
            .unwrap_or_default()
    }

    /// Each KPI's nominal share of the composite: its weight over its dimension's total,
    /// times its dimension's weight over all dimensions'.
    pub fn nominal_shares(&self) -> Vec<f64> {
        let total: f64 = self.dimensions.iter().map(|d| d.weight).sum();
        self.kpis
            .iter()
            .map(|k| {
                let d = &self.dimensions[self.dimension_index(&k.dimension)];
                let within: f64 = self
                    .kpis
                    .iter()
                    .filter(|x| x.dimension == k.dimension)
                    .map(|x| x.weight)
                    .sum();
                k.weight / within * d.weight / total
            })
            .collect()
    }
}

/// A scorecard's text being read, one section at a time: each error names its line.
struct Reader<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Reader<'_> {
    fn err(&self, line: usize, reason: String, hint: Option<&str>) -> Error {
        Error::Scorecard {
            path: self.path.to_path_buf(),
            line,
            reason,
            hint: hint.map(str::to_string),
        }
    }

    fn line<T>(&self, v: &Spanned<T>) -> usize {
        line_of(self.text, v.span())
    }

    /// The share of the KPI weight a department needs to be ranked (2/3 by default).
    fn min_coverage(&self, given: Option<Spanned<Fraction>>) -> Result<f64, Error> {
        let Some(f) = given else {
            return Ok(2.0 / 3.0);
        };
        let line = self.line(&f);
        let value = match f.into_inner() {
            Fraction::Number(x) => Some(x),
            Fraction::Text(t) => parse_fraction(&t),
        };
        match value {
            Some(x) if (0.0..=1.0).contains(&x) => Ok(x),
            _ => Err(self.err(
                line,
                "min_coverage must be a share from 0 to 1".into(),
                Some("write a number such as 0.6667 or a fraction such as \"2/3\""),
            )),
        }
    }

    /// The dimensions: each declared once, with a weight, and not all of weight 0.
    fn dimensions(&self, given: Vec<DimensionToml>) -> Result<Vec<Dimension>, Error> {
        let mut dimensions: Vec<Dimension> = Vec::new();
        for d in given {
            let line = self.line(&d.id);
            let id = d.id.into_inner();
            if dimensions.iter().any(|x| x.id == id) {
                return Err(self.err(line, format!("dimension {id:?} is declared twice"), None));
            }
            let weight = *d.weight.get_ref();
            check_weight(weight).map_err(|r| self.err(self.line(&d.weight), r, None))?;
            dimensions.push(Dimension {
                title: d.title.unwrap_or_else(|| id.clone()),
                id,
                weight,
                title_zh: d.title_zh,
                line,
            });
        }
        if dimensions.is_empty() {
            return Err(self.err(0, "the scorecard declares no [[dimension]]".into(), None));
        }
        if dimensions.iter().all(|d| d.weight == 0.0) {
            return Err(self.err(
                dimensions[0].line,
                "every dimension weight is zero".into(),
                Some("give at least one dimension a positive weight"),
            ));
        }
        Ok(dimensions)
    }

    /// The KPI rules: each listed once, in a declared dimension, with a weight and a
    /// normalisation whose settings hold.
    fn kpis(&self, given: Vec<KpiToml>, dimensions: &[Dimension]) -> Result<Vec<KpiRule>, Error> {
        let mut kpis: Vec<KpiRule> = Vec::new();
        for k in given {
            let line = self.line(&k.id);
            let id = k.id.into_inner();
            if kpis.iter().any(|x| x.id == id) {
                return Err(self.err(line, format!("KPI {id:?} is listed twice"), None));
            }
            let code = match k.code {
                None => format!("K{}", kpis.len() + 1),
                Some(code) => {
                    let code_line = self.line(&code);
                    let code = code.into_inner();
                    check_code(&code).map_err(|r| self.err(code_line, r, None))?;
                    code
                }
            };
            if let Some(other) = kpis.iter().find(|x| x.code == code) {
                return Err(self.err(
                    line,
                    format!("KPI {id:?} has the code {code:?} of KPI {:?}", other.id),
                    Some("give each KPI its own code (or none: K and its position)"),
                ));
            }
            let dimension_line = self.line(&k.dimension);
            let dimension = k.dimension.into_inner();
            if !dimensions.iter().any(|d| d.id == dimension) {
                let known: Vec<&str> = dimensions.iter().map(|d| d.id.as_str()).collect();
                return Err(self.err(
                    dimension_line,
                    format!("KPI {id:?} is in dimension {dimension:?}, which is not declared"),
                    Some(&format!("declared dimensions: {}", known.join(", "))),
                ));
            }
            let weight = *k.weight.get_ref();
            check_weight(weight).map_err(|r| {
                let l = self.line(&k.weight);
                self.err(if l == 0 { line } else { l }, r, None)
            })?;
            self.normalisation(&id, line, k.normalise, k.transform, k.floor, k.target)?;
            kpis.push(KpiRule {
                id,
                code,
                dimension,
                weight,
                transform: k.transform,
                normalise: k.normalise,
                missing: k.missing,
                min_sample: k.min_sample,
                shrink: k.shrink,
                floor: k.floor,
                target: k.target,
                line,
            });
        }
        Ok(kpis)
    }

    /// A goalpost needs a floor and a target (two numbers) and no transform; the other
    /// normalisations take neither.
    fn normalisation(
        &self,
        id: &str,
        line: usize,
        normalise: Normalisation,
        transform: Transform,
        floor: Option<f64>,
        target: Option<f64>,
    ) -> Result<(), Error> {
        match normalise {
            Normalisation::Goalpost => {
                let (Some(floor), Some(target)) = (floor, target) else {
                    return Err(self.err(
                        line,
                        format!("KPI {id:?}: goalpost needs both floor and target"),
                        Some("floor scores 0, target scores 100: floor = 0.5, target = 0.95"),
                    ));
                };
                if !floor.is_finite() || !target.is_finite() || floor == target {
                    return Err(self.err(
                        line,
                        format!(
                            "KPI {id:?}: goalpost floor and target must be two different numbers"
                        ),
                        None,
                    ));
                }
                if transform != Transform::None {
                    return Err(self.err(
                        line,
                        format!("KPI {id:?}: a goalpost KPI takes transform = \"none\""),
                        Some(
                            "floor and target are in the KPI's own units, so its values are not transformed",
                        ),
                    ));
                }
                Ok(())
            }
            _ if floor.is_some() || target.is_some() => Err(self.err(
                line,
                format!("KPI {id:?}: floor and target apply only to normalise = \"goalpost\""),
                None,
            )),
            _ => Ok(()),
        }
    }

    /// Every dimension has a KPI, and not all of its KPIs weigh 0.
    fn every_dimension_has_weight(
        &self,
        dimensions: &[Dimension],
        kpis: &[KpiRule],
    ) -> Result<(), Error> {
        for d in dimensions {
            let members: Vec<&KpiRule> = kpis.iter().filter(|k| k.dimension == d.id).collect();
            if members.is_empty() {
                return Err(self.err(
                    d.line,
                    format!("dimension {:?} has no KPI", d.id),
                    Some("add a [[kpi]] with this dimension, or remove the dimension"),
                ));
            }
            if members.iter().all(|k| k.weight == 0.0) {
                return Err(self.err(
                    d.line,
                    format!("every KPI weight in dimension {:?} is zero", d.id),
                    None,
                ));
            }
        }
        Ok(())
    }

    /// The grade bands (the default ones when the file gives none).
    fn grades(&self, given: Option<GradesToml>) -> Result<Grades, Error> {
        let Some(g) = given else {
            return Ok(default_grades());
        };
        let line = self.line(&g.bands);
        let bands = g.bands.into_inner().into_iter().map(|b| Band {
            grade: b.grade,
            label: b.label,
            label_zh: b.label_zh,
            min: b.min,
            share: b.share,
        });
        let grades = Grades {
            method: g.method,
            bands: bands.collect(),
        };
        check_grades(&grades).map_err(|(r, h)| self.err(line, r, h.as_deref()))?;
        Ok(grades)
    }

    /// The robustness analysis's settings, within their bounds.
    /// The `[bulletin]` section: the date checked, the logo's path resolved against the
    /// scorecard's folder and its kind checked by its extension.
    fn bulletin(&self, given: Option<BulletinToml>) -> Result<Bulletin, Error> {
        let Some(b) = given else {
            return Ok(Bulletin::default());
        };
        let date = |given: Option<Spanned<DateToml>>, key: &str| -> Result<_, Error> {
            let Some(date) = given else {
                return Ok(None);
            };
            let line = self.line(&date);
            let text = match date.into_inner() {
                DateToml::Date(d) => d.to_string(),
                DateToml::Text(t) => t,
            };
            let parsed = chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d");
            Ok(Some(parsed.map_err(|_| {
                self.err(
                    line,
                    format!("{key} = {text:?} is not a date"),
                    Some("write the date as 2026-10-15"),
                )
            })?))
        };
        let issued = date(b.issued, "issued")?;
        let appeal_deadline = date(b.appeal_deadline, "appeal_deadline")?;
        let logo = match b.logo {
            None => None,
            Some(logo) => {
                let line = self.line(&logo);
                let name = logo.into_inner();
                let kind = Path::new(&name)
                    .extension()
                    .and_then(|e| e.to_str())
                    .map(str::to_ascii_lowercase);
                if !matches!(kind.as_deref(), Some("png" | "jpg" | "jpeg" | "svg")) {
                    return Err(self.err(
                        line,
                        format!("logo = {name:?} is not a PNG, JPEG or SVG file"),
                        Some(
                            "give the path of a .png, .jpg or .svg file, relative to the scorecard",
                        ),
                    ));
                }
                let folder = self.path.parent().unwrap_or(Path::new("."));
                Some(folder.join(name))
            }
        };
        let text = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        Ok(Bulletin {
            issuer: text(b.issuer),
            issuer_zh: text(b.issuer_zh),
            document_number: text(b.document_number),
            issued,
            appeal_deadline,
            logo,
        })
    }

    fn uncertainty(&self, given: Option<UncertaintyToml>) -> Result<Uncertainty, Error> {
        let Some(u) = given else {
            return Ok(Uncertainty {
                runs: default_runs(),
                seed: default_seed(),
                weight_noise: 0.25,
                sampling: true,
            });
        };
        let noise = *u.weight_noise.get_ref();
        if !(0.0..1.0).contains(&noise) {
            return Err(self.err(
                self.line(&u.weight_noise),
                "weight_noise must be at least 0 and below 1".into(),
                Some("0.25 multiplies each weight by U(0.75, 1.25)"),
            ));
        }
        if *u.runs.get_ref() > MAX_RUNS {
            return Err(self.err(
                self.line(&u.runs),
                format!("runs = {} is more than {MAX_RUNS}", u.runs.get_ref()),
                Some("1000 runs give rank intervals to within a rank or so"),
            ));
        }
        Ok(Uncertainty {
            runs: *u.runs.get_ref(),
            seed: u.seed,
            weight_noise: noise,
            sampling: u.sampling,
        })
    }
}

/// The largest weight: weights are relative, and beyond this the composite's sums
/// lose their precision (a weight of 1e308 made every composite infinite).
pub const MAX_WEIGHT: f64 = 1e6;

/// The most Monte Carlo runs of the robustness analysis.
pub const MAX_RUNS: usize = 100_000;

/// A KPI code: 1 to 8 ASCII letters, digits, `-` or `_` (it labels chart axes).
fn check_code(code: &str) -> Result<(), String> {
    let ok = (1..=8).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "code {code:?} must be 1 to 8 ASCII letters, digits, - or _"
        ))
    }
}

fn check_weight(w: f64) -> Result<(), String> {
    if !w.is_finite() || !(0.0..=MAX_WEIGHT).contains(&w) {
        let shown = if w.abs() >= MAX_WEIGHT {
            format!("{w:e}")
        } else {
            w.to_string()
        };
        return Err(format!(
            "weight {shown} must be a number from 0 to {MAX_WEIGHT} (weights are relative)"
        ));
    }
    Ok(())
}

fn parse_fraction(t: &str) -> Option<f64> {
    let (a, b) = t.split_once('/')?;
    let (a, b): (f64, f64) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
    (b != 0.0).then(|| a / b)
}

fn check_grades(g: &Grades) -> Result<(), (String, Option<String>)> {
    if g.bands.is_empty() {
        return Err(("grades need at least one band".into(), None));
    }
    for (i, b) in g.bands.iter().enumerate() {
        if b.grade.trim().is_empty() {
            return Err(("a grade band has an empty grade".into(), None));
        }
        if g.bands[..i].iter().any(|x| x.grade == b.grade) {
            return Err((format!("grade {:?} appears twice", b.grade), None));
        }
    }
    match g.method {
        GradeMethod::Thresholds => {
            let mut previous = f64::INFINITY;
            for b in &g.bands {
                let Some(min) = b.min.filter(|m| m.is_finite()) else {
                    return Err((
                        format!("threshold band {:?} has no min", b.grade),
                        Some("thresholds: bands = [ { grade = \"A\", min = 90 }, ... ]".into()),
                    ));
                };
                if b.share.is_some() {
                    return Err((format!("threshold band {:?} has a share", b.grade), None));
                }
                if min >= previous {
                    return Err((
                        "threshold bands must go from the highest min to the lowest".into(),
                        None,
                    ));
                }
                previous = min;
            }
            if previous > 0.0 {
                return Err((
                    format!("the last band's min is {previous}, so low composites get no grade"),
                    Some("give the last band min = 0".into()),
                ));
            }
        }
        GradeMethod::Quota => {
            let mut total = 0.0;
            let last = g.bands.len() - 1;
            for (i, b) in g.bands.iter().enumerate() {
                if b.min.is_some() {
                    return Err((format!("quota band {:?} has a min", b.grade), None));
                }
                match b.share {
                    Some(s) if s.is_finite() && s >= 0.0 => total += s,
                    None if i == last => {}
                    _ => {
                        return Err((
                            format!("quota band {:?} needs a share from 0 to 1", b.grade),
                            Some("quota: bands = [ { grade = \"A\", share = 0.2 }, ... ]; the last band takes the rest".into()),
                        ));
                    }
                }
            }
            if total > 1.0 + 1e-9 {
                return Err((
                    format!("the quota shares add up to {total}, more than 1"),
                    None,
                ));
            }
        }
    }
    Ok(())
}
