//! `appraise sql`: a researcher's read-only query over the tables.

use std::process::ExitCode;

use anyhow::{Context, Result};
use appraise_kpi::{Engine, Period};

use crate::cli::SqlArgs;

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
    let batches = super::block_on(async {
        let mut df = engine.query(&args.query).await?;
        if args.explain {
            df = df.explain(false, false)?;
        }
        Ok::<_, appraise_kpi::Error>(df.collect().await?)
    })?;
    let batches = batches.map_err(super::kpi_error)?;
    // Instants as local time with their offset, as every other output speaks; a
    // Parquet file keeps them as UTC instants either way.
    let batches = batches
        .iter()
        .map(|b| in_zone(b, opts.timezone))
        .collect::<Result<Vec<_>>>()?;
    args.output.write(&batches)?;
    Ok(ExitCode::SUCCESS)
}

/// `batch` with every timestamp column shown in `tz` (the instants are unchanged).
fn in_zone(
    batch: &datafusion::arrow::record_batch::RecordBatch,
    tz: chrono_tz::Tz,
) -> Result<datafusion::arrow::record_batch::RecordBatch> {
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    for (f, c) in batch.schema().fields().iter().zip(batch.columns()) {
        match f.data_type() {
            DataType::Timestamp(unit, Some(_)) => {
                let local = DataType::Timestamp(*unit, Some(tz.name().into()));
                columns.push(datafusion::arrow::compute::cast(c, &local)?);
                fields.push(Field::new(f.name(), local, f.is_nullable()));
            }
            _ => {
                columns.push(c.clone());
                fields.push(f.as_ref().clone());
            }
        }
    }
    Ok(datafusion::arrow::record_batch::RecordBatch::try_new(
        std::sync::Arc::new(Schema::new(fields)),
        columns,
    )?)
}
