//! `appraise demo`: the whole appraisal on the committed demo data, for its latest
//! quarter against the one before, into `reports/out/demo/`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use appraise_pipeline::Settings;

use crate::cli::DemoArgs;

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
    let settings = args.write.onto(Settings {
        data: Some(data.clone()),
        ..super::settings()
    });
    let timezone = settings.zone()?;
    let done = super::run::appraise(settings, &args.report, None, args.out)?;
    print!("{}", done.demo_summary(&data, timezone));
    super::run::summary(&done);
    Ok(ExitCode::SUCCESS)
}
