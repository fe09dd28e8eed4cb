//! `appraise sql`: a researcher's read-only query over the tables.

use std::process::ExitCode;

use anyhow::{Context, Result};
use appraise_kpi::{Engine, Period};

use crate::cli::SqlArgs;
use crate::output;

pub(crate) fn run(args: SqlArgs) -> Result<ExitCode> {
    let period: Option<Period> = args
        .period
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(super::kpi_error)?;
    let opts = super::load_options(&args.data.read)?;
    let data = appraise_data::load_dir(&args.data.data, &opts)
        .with_context(|| format!("loading {}", args.data.data.display()))?;
    super::report_rejections(&data);
    let engine_opts = super::engine_options(opts.timezone, &args.cluster);
    let calendar = super::kpi::calendar(&args.queries)?;
    let engine = Engine::new(&data, calendar, &engine_opts).map_err(super::kpi_error)?;
    engine.scope(period.as_ref()).map_err(super::kpi_error)?;
    let batches = super::runtime()?.block_on(async {
        let mut df = engine.query(&args.query).await?;
        if args.explain {
            df = df.explain(false, false)?;
        }
        Ok::<_, appraise_kpi::Error>(df.collect().await?)
    });
    let batches = batches.map_err(super::kpi_error)?;
    output::write_batches(&batches, args.output.format, args.output.out.as_deref())?;
    Ok(ExitCode::SUCCESS)
}
