//! `appraise sql`: a researcher's read-only query over the tables.

use std::process::ExitCode;

use anyhow::{Context, Result};
use appraise_kpi::Engine;
use futures::StreamExt;

use crate::cli::SqlArgs;

pub(crate) fn run(args: SqlArgs) -> Result<ExitCode> {
    let opts = super::load_options(&args.data.read, super::zone(&args.data.read, None)?)?;
    let data = appraise_data::load_dir(&args.data.data, &opts)
        .with_context(|| format!("loading {}", args.data.data.display()))?;
    super::report_rejections(&data);
    let engine_opts = super::engine_options(opts.timezone, &args.cluster);
    let calendar = super::kpi::calendar(&args.queries)?;
    let engine = Engine::new(&data, calendar, &engine_opts).map_err(anyhow::Error::from)?;
    engine
        .scope(args.period.as_ref())
        .map_err(anyhow::Error::from)?;
    // The result streams to its file or to the terminal as it comes: memory holds the
    // engine's working set, not the result.
    let inputs = super::appraisal_inputs(&args.data.data, None, &args.queries, &opts);
    let mut out = args.output.stream(&inputs)?;
    let tz = opts.timezone;
    let schema = super::block_on(async {
        let mut df = engine
            .query(&args.query)
            .await
            .map_err(anyhow::Error::from)?;
        if args.explain {
            df = df.explain(false, false)?;
        }
        let mut stream = df.execute_stream().await?;
        while let Some(batch) = stream.next().await {
            let batch = batch.map_err(|e| anyhow::Error::from(appraise_kpi::Error::from(e)))?;
            // Instants as local time with their offset, as every other output speaks;
            // a Parquet file keeps them as UTC instants either way.
            out.push(&in_zone(&batch, tz)?)?;
        }
        Ok::<_, anyhow::Error>(stream.schema())
    })??;
    super::finish(out, Some(schema))?;
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
