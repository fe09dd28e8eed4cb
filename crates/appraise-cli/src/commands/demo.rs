//! `appraise demo`: the whole appraisal on the committed demo data, for its latest
//! quarter against the one before, into `reports/out/demo/`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use appraise_data::LoadOptions;

use super::run::Job;
use crate::cli::{ClusterArgs, DemoArgs, QueryArgs};
use crate::output;

pub(crate) fn run(args: DemoArgs) -> Result<ExitCode> {
    let data = args.data.unwrap_or_else(|| PathBuf::from("fixtures/demo"));
    if !data.is_dir() {
        anyhow::bail!(appraise_data::Error::Input {
            reason: format!("no demo data at {}", data.display()),
            hint: Some(
                "run the demo from the appraise folder (it holds fixtures/demo), or pass --data DIR"
                    .into(),
            ),
        });
    }
    let job = Job {
        data,
        // The zone of the scorecard the demo uses, as for any run.
        options: LoadOptions {
            timezone: super::parse_timezone(&crate::policy::scorecard_zone(None)?)?,
            ..LoadOptions::default()
        },
        period: None,
        scorecard: None,
        queries: QueryArgs::default(),
        cluster: ClusterArgs::default(),
        out: args.out,
        report: args.report,
        write: args.write,
        allow_empty: false,
    };
    let done = job.run()?;
    println!("appraise demo: {}", done.data_dir.display());
    print!("{}", output::accounting_table(&done.data));
    print!("{}", output::data_summary(&done.data, done.timezone));
    println!(
        "\nRanking for {}{}:",
        done.period,
        done.previous
            .as_ref()
            .map_or(String::new(), |p| format!(", compared with {p}"))
    );
    for (rank, id, composite, grade, name) in done.ranking.iter().take(10) {
        println!("  {rank:>3}  {id:<12} {composite:>6.2}  {grade}  {name}");
    }
    println!();
    done.print_summary();
    Ok(ExitCode::SUCCESS)
}
