//! `appraise demo`: the whole appraisal on the committed demo data, for its latest
//! quarter against the one before, into `reports/out/demo/`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use appraise_data::LoadOptions;

use super::run::Settings;
use crate::cli::{ClusterArgs, DemoArgs, QueryArgs};

pub(crate) fn run(args: DemoArgs) -> Result<ExitCode> {
    let data = args.data.unwrap_or_else(|| PathBuf::from("fixtures/demo"));
    if !data.is_dir() {
        anyhow::bail!(crate::Usage {
            reason: format!("no demo data at {}", data.display()),
            hint: Some(
                "run the demo from the appraise folder (it holds fixtures/demo), or pass --data DIR"
                    .into(),
            ),
        });
    }
    // The scorecard a run uses without flags, and its zone.
    let card = crate::policy::scorecard(None)?;
    let options = LoadOptions {
        timezone: card.timezone,
        ..LoadOptions::default()
    };
    let timezone = options.timezone;
    let settings = Settings {
        data: data.clone(),
        scorecard: None,
        queries: &QueryArgs::default(),
        cluster: &ClusterArgs::default(),
        report: &args.report,
        write: &args.write,
        allow_empty: false,
    };
    let done = settings.run(card, options, None, args.out)?;
    let w = &done.words;
    let previous = done.previous.as_ref();
    match done.lang {
        appraise_report::lang::Lang::Zh => {
            println!(
                "{}",
                w.fill("cli:demo", &[("data", &data.display().to_string())])
            );
            print!(
                "{}",
                appraise_report::summary::data_in_words(&done.data, timezone, w)
            );
            let compared = previous.map_or(String::new(), |p| {
                w.fill("cli:compared", &[("previous", &done.lang.period(p))])
            });
            println!(
                "\n{}",
                w.fill(
                    "cli:ranking",
                    &[
                        ("period", &done.lang.period(&done.period)),
                        ("compared", &compared)
                    ]
                )
            );
        }
        appraise_report::lang::Lang::En => {
            println!("appraise demo: {}", data.display());
            print!("{}", appraise_report::summary::accounting_table(&done.data));
            print!(
                "{}",
                appraise_report::summary::data_summary(&done.data, timezone)
            );
            println!(
                "\nRanking for {}{}:",
                done.period,
                previous.map_or(String::new(), |p| format!(", compared with {p}"))
            );
        }
    }
    for r in done.ranking.iter().take(10) {
        println!(
            "  {:>3}  {:<12} {:>6.2}  {}  {}",
            r.rank, r.id, r.composite, r.grade, r.name
        );
    }
    println!();
    super::run::summary(&done);
    Ok(ExitCode::SUCCESS)
}
