//! `appraise run`: load → validate → KPIs → scoring → report, into a staging folder
//! that is moved into place at the end.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use appraise_data::{Dataset, LoadOptions, Table, load_dir};
use appraise_kpi::Period;
use appraise_report::facts::ExchangeFacts;
use appraise_report::fonts::Fonts;
use appraise_report::lang::Lang;
use appraise_report::manifest::Manifest;
use appraise_report::staging::Staging;
use appraise_report::templates::Templates;
use appraise_report::{Report, STEPS};
use chrono::Datelike;
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{ClusterArgs, Language, QueryArgs, ReportArgs, RunArgs, WriteArgs};

pub(crate) fn run(args: RunArgs) -> Result<ExitCode> {
    let period: Period = args.appraisal.period.parse().map_err(anyhow::Error::from)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports/out").join(period.to_string()));
    let job = Job {
        data: args.appraisal.data.data.clone(),
        options: super::load_options(
            &args.appraisal.data.read,
            args.appraisal.scorecard.as_deref(),
        )?,
        period: Some(period),
        scorecard: args.appraisal.scorecard,
        queries: args.appraisal.queries,
        cluster: args.appraisal.cluster,
        out,
        report: args.report,
        write: args.write,
        allow_empty: args.appraisal.allow_empty,
    };
    let done = job.run()?;
    done.print_summary();
    Ok(ExitCode::SUCCESS)
}

/// One appraisal, from data folder to report.
pub(crate) struct Job {
    pub data: PathBuf,
    pub options: LoadOptions,
    /// The period; `None` takes the quarter of the latest exchange.
    pub period: Option<Period>,
    pub scorecard: Option<PathBuf>,
    pub queries: QueryArgs,
    pub cluster: ClusterArgs,
    pub out: PathBuf,
    pub report: ReportArgs,
    pub write: WriteArgs,
    /// Appraise a period the data does not cover (an empty report), with a warning.
    pub allow_empty: bool,
}

/// What a finished run tells its user.
pub(crate) struct Done {
    pub data_dir: PathBuf,
    pub timezone: chrono_tz::Tz,
    pub out: PathBuf,
    pub period: Period,
    pub previous: Option<Period>,
    pub data: Dataset,
    /// Ranked departments in ranking order: rank, id, composite, grade, name.
    pub ranking: Vec<(u32, String, f64, String, String)>,
    pub unranked: usize,
    pub decisive: Option<&'static str>,
    pub warnings: Vec<String>,
}

/// Steps before the report's own: load, KPIs and scoring, exchange facts; after: the
/// manifest.
const OWN_STEPS: u64 = 4;

fn progress_bar() -> ProgressBar {
    // Quiet when piped or under CI: a progress bar is for a person at a terminal.
    if !std::io::stderr().is_terminal() || std::env::var_os("CI").is_some() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(OWN_STEPS + STEPS.len() as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}")
    {
        bar.set_style(style);
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

impl Job {
    /// The output may not hold anything the run reads.
    fn write_policy(&self) -> appraise_report::staging::Policy {
        let x = &self.options.xroad;
        let mut inputs = vec![self.data.as_path()];
        inputs.extend(self.scorecard.as_deref());
        inputs.extend(self.queries.kpis.as_deref());
        inputs.extend(self.queries.calendars.as_deref());
        inputs.extend(self.report.templates.as_deref());
        inputs.extend(x.mapping.as_deref());
        inputs.extend(x.departments.as_deref());
        super::write_policy(&self.write, &inputs)
    }

    pub(crate) fn run(mut self) -> Result<Done> {
        let mut laps = super::Laps::start("load");
        // Templates first: a broken template fails before any work is done.
        let templates =
            Templates::load(self.report.templates.as_deref()).map_err(anyhow::Error::from)?;
        let staging = Staging::new(&self.out, &self.write_policy())?;
        let bar = progress_bar();

        bar.set_message("loading");
        self.options.rejects_dir = Some(staging.path().join("rejects"));
        let mut data = load_dir(&self.data, &self.options)
            .with_context(|| format!("loading {}", self.data.display()))?;
        let period = match self.period {
            Some(p) => p,
            None => latest_quarter(&data, self.options.timezone)?,
        };
        laps.next("kpis");
        bar.inc(1);

        bar.set_message("KPIs and scoring");
        let super::score::Scored {
            appraisal,
            matrix,
            kpis,
            engine,
            warnings: card_warnings,
            coverage,
        } = super::score::appraise(
            &self.data,
            &data,
            &period,
            &super::score::Rules {
                timezone: self.options.timezone,
                scorecard: self.scorecard.as_deref(),
                queries: &self.queries,
                cluster: &self.cluster,
                allow_empty: self.allow_empty,
            },
            &mut laps,
        )?;
        // Shown in the report's data-quality section with the load's warnings.
        data.warnings.extend(coverage);
        laps.next("exchange_facts");
        bar.inc(1);

        bar.set_message("exchange summary");
        let facts =
            super::block_on(ExchangeFacts::of(&engine, &period))?.map_err(anyhow::Error::from)?;
        laps.next("fonts");
        bar.inc(1);

        let (fonts, font_warning) = Fonts::find();
        let mut warnings: Vec<String> = data.warnings.clone();
        warnings.extend(card_warnings);
        warnings.extend(appraisal.current.warnings.iter().cloned());
        warnings.extend(font_warning);
        let report = Report {
            period: &period,
            appraisal: &appraisal,
            matrix: &matrix,
            kpis: &kpis,
            data: &data,
            facts: &facts,
            lang: match self.report.lang {
                Language::Zh => Lang::Zh,
                Language::En => Lang::En,
            },
            templates: &templates,
            fonts: &fonts,
        };
        let written = report
            .write(staging.path(), &mut |step| {
                laps.next(&format!("report: {step}"));
                bar.set_message(step.to_string());
                bar.inc(1);
            })
            .map_err(anyhow::Error::from)?;
        warnings.extend(written);
        laps.next("manifest");

        bar.set_message("manifest");
        let mut manifest = Manifest::new(
            env!("CARGO_PKG_VERSION"),
            &period.to_string(),
            &self.data,
            &data,
        )
        .context("hashing the inputs")?;
        let (bytes, origin) = crate::policy::contents(&appraisal.scorecard.path)?;
        manifest.scorecard(&appraisal.scorecard.path, &bytes, &origin);
        for k in &kpis {
            let (bytes, origin) = crate::policy::contents(&k.path)?;
            manifest.kpi(&k.id, &k.path, &bytes, &origin);
        }
        manifest.lang = report.lang.code().into();
        for t in templates.overrides() {
            manifest.template(t).context("hashing the templates")?;
        }
        manifest.timings = laps.finish();
        manifest.generated_at =
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        std::fs::write(staging.path().join("manifest.json"), manifest.to_json())
            .context("writing manifest.json")?;
        bar.inc(1);
        staging
            .commit()
            .with_context(|| format!("moving the report into {}", self.out.display()))?;
        bar.finish_and_clear();

        let s = &appraisal.current;
        let ranking = s
            .ranking_order()
            .into_iter()
            .filter(|&d| s.departments[d].rank.is_some())
            .map(|d| {
                let dep = &s.departments[d];
                (
                    dep.rank.unwrap_or_default(),
                    dep.department.id.clone(),
                    dep.composite.unwrap_or(f64::NAN),
                    dep.grade.map_or("-".into(), |g| {
                        appraisal.scorecard.grades.bands[g].grade.clone()
                    }),
                    dep.department.name.clone(),
                )
            })
            .collect::<Vec<_>>();
        Ok(Done {
            data_dir: self.data,
            timezone: self.options.timezone,
            out: self.out,
            period,
            previous: appraisal.previous().map(|p| p.period.clone()),
            unranked: s.departments.len() - ranking.len(),
            ranking,
            decisive: appraisal
                .robustness
                .as_ref()
                .and_then(|r| r.decisive())
                .map(|a| a.name()),
            data,
            warnings,
        })
    }
}

impl Done {
    /// Where the report is, what happened to the rows, how many departments ranked.
    pub(crate) fn print_summary(&self) {
        for w in &self.warnings {
            eprintln!("warning: {w}");
        }
        let sum = |f: fn(&appraise_data::Accounting) -> u64| -> u64 {
            self.data.tables.iter().map(|t| f(&t.accounting)).sum()
        };
        println!(
            "appraisal {}{}: {} departments ranked, {} not ranked (insufficient data)",
            self.period,
            self.previous
                .as_ref()
                .map_or(String::new(), |p| format!(" compared with {p}")),
            self.ranking.len(),
            self.unranked
        );
        println!(
            "rows: {} read, {} loaded, {} rejected, {} duplicates{}",
            sum(|a| a.read),
            sum(|a| a.loaded),
            sum(|a| a.rejected),
            sum(|a| a.duplicates),
            if sum(|a| a.rejected) > 0 {
                format!(" (rejected rows: {})", self.out.join("rejects").display())
            } else {
                String::new()
            }
        );
        if let Some(a) = self.decisive {
            println!("the ranking depends most on the {a}");
        }
        println!("report: {}", self.out.join("report.html").display());
    }
}

/// The quarter of the latest exchange.
fn latest_quarter(data: &Dataset, tz: chrono_tz::Tz) -> Result<Period> {
    let Some((_, last)) = data.table(Table::Exchanges).time_span() else {
        anyhow::bail!(appraise_data::Error::Input {
            reason: "the data holds no exchanges, so there is no latest quarter".into(),
            hint: Some("give the period with --period".into()),
        });
    };
    let last = chrono::DateTime::from_timestamp_micros(last)
        .map(|t| t.with_timezone(&tz).date_naive())
        .unwrap_or_default();
    Period::quarter(last.year(), (last.month() - 1) / 3 + 1)
        .context("the latest exchange has no quarter")
}
