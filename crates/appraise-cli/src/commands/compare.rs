//! `appraise compare`: two appraisals of the same data side by side, a period with
//! another or one period under two scorecards ([`appraise_pipeline::compare`]).

use std::process::ExitCode;

use anyhow::Result;
use appraise_pipeline::Comparison;
use appraise_report::lang::Lang;

use crate::cli::{CompareArgs, Language};

pub(crate) fn run(args: CompareArgs) -> Result<ExitCode> {
    let (data, a) = (&args.appraisal.data, &args.appraisal.policy);
    if args.base_period.is_none() && args.base_scorecard.is_none() {
        anyhow::bail!(crate::Usage {
            reason: "nothing to compare: the same period under the same scorecard".into(),
            hint: Some("add --base-period P, --base-scorecard FILE, or both".into()),
        });
    }
    let base_period = args.base_period.clone().unwrap_or_else(|| a.period.clone());
    let base_card = args.base_scorecard.as_deref().or(a.scorecard.as_deref());
    let (card, options) = super::scorecard_and_options(&data.read, a.scorecard.as_deref())?;
    let rules = |card| {
        super::rules(
            card,
            options.timezone,
            &a.queries,
            &a.cluster,
            a.allow_empty,
        )
    };
    let base = match &args.base_scorecard {
        Some(path) => crate::policy::scorecard(Some(path))?,
        None => card.clone(),
    };
    let (base, now) = (rules(base)?, rules(card)?);
    // The output may not hold anything either appraisal reads.
    let mut inputs =
        super::appraisal_inputs(&data.data, a.scorecard.as_deref(), &a.queries, &options);
    inputs.extend(base_card);
    let write = super::write_policy(&args.write, &inputs);
    let done = appraise_pipeline::compare(Comparison {
        data: data.data.clone(),
        options,
        base: (base_period, base),
        now: (a.period.clone(), now),
        out: args.out.clone(),
        write,
        lang: match args.lang {
            Language::Zh => Lang::Zh,
            Language::En => Lang::En,
        },
    })?;
    super::report_rejections(&done.data);
    for w in &done.warnings {
        super::warn(w);
    }
    eprintln!("comparison: {}", done.out.join("compare.html").display());
    Ok(ExitCode::SUCCESS)
}
