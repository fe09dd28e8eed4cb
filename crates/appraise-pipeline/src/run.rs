//! The whole appraisal, from data folder to report: load → validate → KPIs → scoring →
//! exchange facts → report → manifest, into a staging folder moved into place at the
//! end (so a failed run leaves the previous output whole).

use std::path::{Path, PathBuf};

use appraise_data::manifest::Manifest;
use appraise_data::staging::{Policy, Staging};
use appraise_data::{Dataset, LoadOptions, Table};
use appraise_kpi::Period;
use appraise_report::charts::TOP_DEPARTMENTS;
use appraise_report::fonts::Fonts;
use appraise_report::lang::Lang;
use appraise_report::templates::Templates;
use appraise_report::{Report, STEPS};
use chrono::Datelike;

use crate::appraise::{Rules, Scored, appraise};
use crate::{Error, Laps, block_on};

use crate::policy::BUILT_IN;

/// Where a policy file came from, for the manifest: `built-in`, or its path.
fn origin(path: &Path) -> String {
    if path.starts_with(BUILT_IN) {
        "built-in".into()
    } else {
        path.display().to_string()
    }
}

/// One appraisal, from data folder to report.
pub struct Job {
    /// The data folder or warehouse.
    pub data: PathBuf,
    /// How it is read (its zone is the appraisal's).
    pub options: LoadOptions,
    /// The period; `None` takes the quarter of the latest exchange.
    pub period: Option<Period>,
    /// Scorecard, KPIs, calendar and engine settings.
    pub rules: Rules,
    /// The report's templates and strings.
    pub templates: Templates,
    /// The report's language.
    pub lang: Lang,
    /// The output folder.
    pub out: PathBuf,
    /// How the output folder may be treated.
    pub write: Policy,
    /// Write each department's evidence beside its card (`departments/<id>/`).
    pub evidence: bool,
    /// Mark the bulletin and cards preliminary (with the scorecard's appeal deadline)
    /// or final; unmarked where `None`.
    pub status: Option<appraise_report::Status>,
}

/// Steps of a run: load, KPIs and scoring, exchange facts, anomalies, the report's own
/// ([`STEPS`]), and the manifest. [`run`] names each as it starts.
pub const RUN_STEPS: usize = 5 + STEPS.len();

/// What a finished run tells its user.
#[derive(Debug)]
pub struct Done {
    /// The output folder, committed.
    pub out: PathBuf,
    /// The period appraised.
    pub period: Period,
    /// The period it is compared with, if any.
    pub previous: Option<Period>,
    /// What was loaded, with its accounting.
    pub data: Dataset,
    /// Ranked departments in ranking order.
    pub ranking: Vec<Ranked>,
    /// Departments not ranked (insufficient data).
    pub unranked: usize,
    /// The robustness assumption the ranking depends on most.
    pub decisive: Option<&'static str>,
    /// Everything the user should be told: load, scorecard, coverage, fonts, report
    /// (in the report's language).
    pub warnings: Vec<String>,
    /// The report's language.
    pub lang: Lang,
    /// Its wording (`strings.toml`), for what the user is told.
    pub words: appraise_report::lang::Strings,
}

/// One line of the ranking.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    /// Rank, 1 the best.
    pub rank: u32,
    /// Department id.
    pub id: String,
    /// Composite score.
    pub composite: f64,
    /// Grade, `-` where none.
    pub grade: String,
    /// Department name.
    pub name: String,
}

/// Runs `job`; `step` is told the name of each step as it starts ([`RUN_STEPS`] in
/// all). The steps read top to bottom as the run makes them, each a call or two.
pub fn run(job: Job, step: &mut dyn FnMut(&str)) -> Result<Done, Error> {
    // Long: the run's steps in order, each named by its `step` and timed by `laps`; as
    // functions of their own they would hand the same dozen values along.
    let Job {
        data: data_dir,
        mut options,
        period,
        rules,
        templates,
        lang,
        out,
        write,
        evidence,
        status,
    } = job;
    if status == Some(appraise_report::Status::Preliminary)
        && rules.scorecard.bulletin.appeal_deadline.is_none()
    {
        return Err(Error::Input {
            reason: format!(
                "{}: a preliminary appraisal needs the appeal deadline",
                rules.scorecard.path.display()
            ),
            hint: Some(
                "set appeal_deadline = 2026-10-31 (the last day departments may appeal) in the scorecard's [bulletin]"
                    .into(),
            ),
        });
    }
    let timeout = rules.query_timeout;
    let mut laps = Laps::start("load");
    let staging = Staging::new(&out, &write)?;

    step("loading");
    options.rejects_dir = Some(staging.path().join("rejects"));
    let mut data = crate::load(&data_dir, &options)?;
    let period = match period {
        Some(p) => p,
        None => latest_quarter(&data, options.timezone)?,
    };
    laps.next("kpis");

    step("KPIs and scoring");
    let mut scored = appraise(&data_dir, &data, &period, rules, &mut laps)?;
    // With adjustments, the period as the data have it: each change's before.
    let adjusted = crate::appraise::unadjusted(&mut scored, &data, &period, timeout)?;
    let Scored {
        appraisal,
        matrix,
        kpis,
        engine,
        warnings: card_warnings,
        coverage,
        touched: _,
    } = scored;
    // Shown in the report's data-quality section with the load's warnings.
    data.warnings.extend(coverage);
    laps.next("exchange_facts");

    step("exchange summary");
    let facts = block_on(engine.exchange_facts(&period, TOP_DEPARTMENTS), timeout)??;
    laps.next("anomalies");

    step("anomalies");
    let settings = appraise_score::anomaly::Settings::default();
    let (anomalies, anomaly_warnings) = crate::anomalies::find(
        &engine,
        &period,
        crate::anomalies::last_day(&data, options.timezone),
        &settings,
        timeout,
    )?;
    crate::anomalies::write(&anomalies, &period, &settings, staging.path())?;
    if evidence {
        laps.next("evidence");
        let folder = staging.path().join("departments");
        crate::inspect::write_evidence(
            &engine,
            &period,
            &kpis,
            options.timezone,
            &folder,
            timeout,
        )?;
    }
    laps.next("items");
    let fixes = crate::inspect::fixes(&engine, &period, &kpis, &appraisal, evidence, timeout)?;
    laps.next("fonts");

    let (fonts, font_warning) = Fonts::find();
    let report = Report {
        period: &period,
        appraisal: &appraisal,
        matrix: &matrix,
        kpis: &kpis,
        data: &data,
        facts: &facts,
        anomalies: &anomalies,
        fixes: &fixes,
        adjusted: adjusted.as_ref(),
        status,
        lang,
        templates: &templates,
        fonts: &fonts,
    };
    // Everything the user is told, in the report's language.
    let coded: Vec<appraise_data::Warning> = data
        .warnings
        .iter()
        .chain(&card_warnings)
        .chain(&appraisal.current.warnings)
        .chain(&anomaly_warnings)
        .chain(&font_warning)
        .cloned()
        .collect();
    let mut warnings = report.in_words(&coded);
    warnings.extend(report.write(staging.path(), &mut |name| {
        laps.next(&format!("report: {name}"));
        step(name);
    })?);
    laps.next("manifest");

    step("manifest");
    let mut manifest = manifest_of(
        &period,
        &data_dir,
        &data,
        &appraisal,
        &kpis,
        Some(&templates),
        engine.adjustments().map(std::sync::Arc::as_ref),
    )?;
    manifest.lang = lang.code().into();
    manifest.timings = laps.finish();
    manifest.generated_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    std::fs::write(staging.path().join("manifest.json"), manifest.to_json())
        .map_err(|source| Error::io("writing manifest.json", source))?;
    staging.commit()?;

    let words = templates.strings(lang);
    Ok(Done::new(
        out,
        period,
        &appraisal,
        data,
        warnings,
        (lang, words),
    ))
}

impl Done {
    fn new(
        out: PathBuf,
        period: Period,
        appraisal: &appraise_score::Appraisal,
        data: Dataset,
        warnings: Vec<String>,
        (lang, words): (Lang, appraise_report::lang::Strings),
    ) -> Done {
        let ranking = ranking(appraisal);
        Done {
            out,
            period,
            previous: appraisal.previous().map(|p| p.period.clone()),
            unranked: appraisal.current.departments.len() - ranking.len(),
            ranking,
            decisive: appraisal
                .robustness
                .as_ref()
                .and_then(|r| r.decisive())
                .map(|a| a.name()),
            data,
            warnings,
            lang,
            words,
        }
    }
}

/// The manifest of a run or release of `period`: its inputs with their hashes, and the
/// scorecard, the KPI files and the template overrides it used, with the hashes of
/// their texts as read.
pub(crate) fn manifest_of(
    period: &Period,
    data_dir: &Path,
    data: &Dataset,
    appraisal: &appraise_score::Appraisal,
    kpis: &[appraise_kpi::KpiDef],
    templates: Option<&Templates>,
    adjustments: Option<&appraise_kpi::Adjustments>,
) -> Result<Manifest, Error> {
    let mut manifest = Manifest::new(
        env!("CARGO_PKG_VERSION"),
        &period.to_string(),
        data_dir,
        data,
    )
    .map_err(|source| Error::io("hashing the inputs", source))?;
    let card = &appraisal.scorecard;
    manifest.scorecard(&card.path, card.text.as_bytes(), &origin(&card.path));
    for k in kpis {
        manifest.kpi(&k.id, &k.path, k.text.as_bytes(), &origin(&k.path));
    }
    if let Some(a) = adjustments {
        manifest.adjustments(&a.path, a.bytes, &a.sha256);
    }
    for t in templates.into_iter().flat_map(Templates::overrides) {
        manifest
            .template(t)
            .map_err(|source| Error::io("hashing the templates", source))?;
    }
    Ok(manifest)
}

/// The ranked departments in ranking order.
fn ranking(appraisal: &appraise_score::Appraisal) -> Vec<Ranked> {
    let s = &appraisal.current;
    s.ranking_order()
        .into_iter()
        .map(|d| &s.departments[d])
        .filter_map(|dep| {
            Some(Ranked {
                rank: dep.rank?,
                id: dep.department.id.clone(),
                composite: dep.composite.unwrap_or(f64::NAN),
                grade: dep.grade.map_or("-".into(), |g| {
                    appraisal.scorecard.grades.bands[g].grade.clone()
                }),
                name: dep.department.name.clone(),
            })
        })
        .collect()
}

/// The quarter of the latest exchange, in the appraisal's zone.
pub fn latest_quarter(data: &Dataset, tz: chrono_tz::Tz) -> Result<Period, Error> {
    let no_quarter = |reason: &str| Error::Input {
        reason: reason.into(),
        hint: Some("give the period with --period".into()),
    };
    let Some((_, last)) = data.table(Table::Exchanges).time_span() else {
        return Err(no_quarter(
            "the data holds no exchanges, so there is no latest quarter",
        ));
    };
    let last = chrono::DateTime::from_timestamp_micros(last)
        .map(|t| t.with_timezone(&tz).date_naive())
        .unwrap_or_default();
    Period::quarter(last.year(), (last.month() - 1) / 3 + 1)
        .ok_or_else(|| no_quarter("the latest exchange has no quarter"))
}
