//! `appraise compare`: two appraisals of the same data side by side, a period with
//! another or one period under two scorecards ([`appraise_pipeline::compare`]).

use std::process::ExitCode;

use anyhow::Result;
use appraise_pipeline::{Comparison, Resolved};

use crate::cli::CompareArgs;

pub(crate) fn run(args: CompareArgs) -> Result<ExitCode> {
    if args.base_period.is_none() && args.base_scorecard.is_none() {
        anyhow::bail!(crate::Usage {
            reason: "nothing to compare: the same period under the same scorecard".into(),
            hint: Some("add --base-period P, --base-scorecard FILE, or both".into()),
        });
    }
    let period = &args.appraisal.policy.period;
    let base_period = args.base_period.clone().unwrap_or_else(|| period.clone());
    let mut settings = args.appraisal.settings(&args.write)?;
    // The output may not hold anything either appraisal reads.
    settings.also_reads.extend(args.base_scorecard.clone());
    let Resolved {
        rules: now,
        options,
        write,
    } = settings.resolve()?;
    let base = match &args.base_scorecard {
        Some(path) => {
            let card = appraise_pipeline::policy::scorecard(Some(path))?;
            settings.rules(card, options.timezone)?
        }
        None => now.clone(),
    };
    let done = appraise_pipeline::compare(Comparison {
        data: settings.data()?.to_path_buf(),
        options,
        base: (base_period, base),
        now: (period.clone(), now),
        out: args.out.clone(),
        write,
        lang: args.lang.into(),
    })?;
    super::report_rejections(&done.data);
    for w in &done.warnings {
        super::warn(w);
    }
    eprintln!("comparison: {}", done.out.join("compare.html").display());
    Ok(ExitCode::SUCCESS)
}
