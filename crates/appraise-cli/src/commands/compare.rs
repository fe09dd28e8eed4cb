//! `appraise compare`: two appraisals of the same data side by side, a period with
//! another or one period under two scorecards ([`appraise_score::comparison`]).

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use appraise_report::lang::Lang;
use appraise_report::tables::{TableFormat, for_spreadsheets, write};

use crate::cli::{CompareArgs, Language};

pub(crate) fn run(args: CompareArgs) -> Result<ExitCode> {
    let (data, a) = (&args.appraisal.data, &args.appraisal.policy);
    if args.base_period.is_none() && args.base_scorecard.is_none() {
        anyhow::bail!(appraise_data::Error::Input {
            reason: "nothing to compare: the same period under the same scorecard".into(),
            hint: Some("add --base-period P, --base-scorecard FILE, or both".into()),
        });
    }
    let base_period = args.base_period.clone().unwrap_or_else(|| a.period.clone());
    let base_card = args.base_scorecard.as_deref().or(a.scorecard.as_deref());
    let mut inputs: Vec<&Path> = vec![data.data.as_path()];
    inputs.extend(a.scorecard.as_deref());
    inputs.extend(base_card);
    let policy = super::write_policy(&args.write, &inputs);
    let staging = appraise_data::staging::Staging::new(&args.out, &policy)?;
    let templates = appraise_report::templates::Templates::load(None)?;
    let opts = super::load_options(&data.read, a.scorecard.as_deref())?;
    let loaded = appraise_data::load_dir(&data.data, &opts)
        .with_context(|| format!("loading {}", data.data.display()))?;
    super::report_rejections(&loaded);
    let appraise = |period: &appraise_kpi::Period, card: Option<&Path>| -> Result<_> {
        let rules = super::rules(opts.timezone, card, &a.queries, &a.cluster, a.allow_empty)?;
        let scored = appraise_pipeline::appraise(
            &data.data,
            &loaded,
            period,
            rules,
            &mut appraise_pipeline::Laps::start("kpis"),
        )?;
        for w in scored.coverage.iter().chain(&scored.warnings) {
            eprintln!("warning: {w}");
        }
        Ok(scored.appraisal)
    };
    let base = appraise(&base_period, base_card)?;
    let now = appraise(&a.period, a.scorecard.as_deref())?;
    let (departments, kpis) = appraise_score::comparison(&base, &now)?;
    let dir = staging.path();
    write(
        &[for_spreadsheets(&departments)],
        TableFormat::Csv,
        &dir.join("compare.csv"),
    )?;
    write(
        &[for_spreadsheets(&kpis)],
        TableFormat::Csv,
        &dir.join("compare_kpis.csv"),
    )?;
    let lang = match args.lang {
        Language::Zh => Lang::Zh,
        Language::En => Lang::En,
    };
    let label = |x: &appraise_score::Appraisal, p: &appraise_kpi::Period| {
        let name = match lang {
            Lang::Zh => x
                .scorecard
                .name_zh
                .clone()
                .unwrap_or(x.scorecard.name.clone()),
            Lang::En => x.scorecard.name.clone(),
        };
        format!("{} · {name}", lang.period(p))
    };
    let titles = super::kpi::library(&a.queries)?
        .into_iter()
        .map(|k| {
            let title = match lang {
                Lang::Zh => k.title_zh.clone().unwrap_or(k.title.clone()),
                Lang::En => k.title.clone(),
            };
            (k.id, title)
        })
        .collect();
    let page = appraise_report::compare::comparison_page(
        &templates,
        lang,
        &departments,
        (&label(&base, &base_period), &label(&now, &a.period)),
        &titles,
    )?;
    std::fs::write(dir.join("compare.html"), page)
        .with_context(|| format!("writing {}", dir.join("compare.html").display()))?;
    let out = staging.commit()?;
    eprintln!("comparison: {}", out.join("compare.html").display());
    Ok(ExitCode::SUCCESS)
}
