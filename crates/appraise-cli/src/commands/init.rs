//! `appraise init DIR`: editable copies of the built-in KPIs, calendars, scorecard and
//! report templates, for an office to make the appraisal its own.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::cli::InitArgs;

pub(crate) fn run(args: InitArgs) -> Result<ExitCode> {
    let files = crate::policy::all_files();
    // Nothing is replaced: a file already there stops the command before it writes.
    let present: Vec<String> = files
        .iter()
        .map(|(rel, _)| args.dir.join(rel))
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if !present.is_empty() {
        anyhow::bail!(crate::Usage {
            reason: format!("{} exist already: {}", present.len(), present.join(", ")),
            hint: Some(
                "init writes into a new folder, or one without queries/ and reports/templates/"
                    .into()
            ),
        });
    }
    for (rel, text) in &files {
        let path = args.dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    println!(
        "wrote {} files into {}: queries/ (KPIs, calendars, scorecard) and reports/templates/",
        files.len(),
        args.dir.display()
    );
    println!(
        "run appraise from {} to use them (or pass --kpis, --calendars, --scorecard, --templates)",
        args.dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
