//! The files: each table written as CSV, JSON Lines or Parquet as its rows are made.

use super::*;

/// Writes good rows and, at the bad-row rate, spoiled ones after them.
pub(crate) struct Emitter {
    pub(crate) table: Table,
    pub(crate) writer: TableWriter,
    pub(crate) rate: f64,
    pub(crate) csv: bool,
    pub(crate) last_good: Option<Row>,
    pub(crate) serial: u64,
    pub(crate) injected: BTreeMap<String, u64>,
}

impl Emitter {
    pub(crate) fn emit(&mut self, g: &mut Gen<'_>, row: Row) -> Result<(), Error> {
        self.writer.write(&row, &Damage::None)?;
        if self.rate > 0.0 && g.rng.random_bool(self.rate) {
            let kinds = bad_kinds(self.table, self.csv);
            let kind = kinds[g.rng.random_range(0..kinds.len())];
            self.serial += 1;
            let (bad, damage) = spoil(self.table, kind, &row, self.serial);
            self.writer.write(&bad, &damage)?;
            *self.injected.entry(kind.to_string()).or_default() += 1;
        }
        self.last_good = Some(row);
        Ok(())
    }
}

/// Writes one table's file.
pub(crate) struct TableWriter {
    pub(crate) path: PathBuf,
    pub(crate) rows: u64,
    pub(crate) tz: Tz,
    pub(crate) kind: WriterKind,
}

pub(crate) enum WriterKind {
    Csv(Box<csv::Writer<BufWriter<File>>>, Vec<String>),
    Parquet(Box<ArrowWriter<File>>, Arc<Schema>, Vec<Builder>, usize),
}

pub(crate) const PARQUET_BATCH: usize = 65_536;

impl TableWriter {
    pub(crate) fn create(
        dir: &Path,
        table: Table,
        format: OutputFormat,
        tz: Tz,
    ) -> Result<Self, Error> {
        let ext = match format {
            OutputFormat::Csv => "csv",
            // X-Road records are written by `xroad::generate`, never a table at a time.
            OutputFormat::Parquet | OutputFormat::Xroad => "parquet",
        };
        let path = dir.join(format!("{}.{ext}", table.name()));
        let file = File::create(&path).map_err(|e| Error::io(&path, e))?;
        let kind = match format {
            OutputFormat::Csv => {
                let mut w = csv::WriterBuilder::new()
                    .flexible(true)
                    .from_writer(BufWriter::with_capacity(1 << 20, file));
                w.write_record(table.columns().iter().map(|c| c.name))
                    .map_err(|e| Error::csv_write(&path, e))?;
                WriterKind::Csv(Box::new(w), Vec::new())
            }
            OutputFormat::Parquet | OutputFormat::Xroad => {
                let props = WriterProperties::builder()
                    .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
                    .build();
                let schema = raw_schema(table);
                let w = ArrowWriter::try_new(file, schema.clone(), Some(props))?;
                let builders = table
                    .columns()
                    .iter()
                    .map(|c| Builder::new(c.kind, PARQUET_BATCH))
                    .collect();
                WriterKind::Parquet(Box::new(w), schema, builders, 0)
            }
        };
        Ok(TableWriter {
            path,
            rows: 0,
            tz,
            kind,
        })
    }

    pub(crate) fn write(&mut self, row: &[Val<'_>], damage: &Damage) -> Result<(), Error> {
        self.rows += 1;
        let tz = self.tz;
        let row_no = self.rows;
        match &mut self.kind {
            WriterKind::Csv(w, fields) => {
                fields.resize(row.len(), String::new());
                for (i, (f, v)) in fields.iter_mut().zip(row).enumerate() {
                    f.clear();
                    match damage {
                        Damage::Text(c, text) if *c == i => f.push_str(text),
                        _ => format_val(f, v, tz, row_no),
                    }
                }
                let result = if matches!(damage, Damage::ExtraField) {
                    w.write_record(fields.iter().map(String::as_str).chain(["extra"]))
                } else {
                    w.write_record(fields.iter())
                };
                result.map_err(|e| Error::csv_write(&self.path, e))
            }
            WriterKind::Parquet(w, schema, builders, pending) => {
                for (b, v) in builders.iter_mut().zip(row) {
                    b.append(v);
                }
                *pending += 1;
                if *pending >= PARQUET_BATCH {
                    flush_parquet(w, schema, builders, pending)?;
                }
                Ok(())
            }
        }
    }

    pub(crate) fn finish(self) -> Result<(PathBuf, u64), Error> {
        match self.kind {
            WriterKind::Csv(w, _) => {
                w.into_inner()
                    .map_err(|e| Error::io(&self.path, e.into_error()))?;
            }
            WriterKind::Parquet(mut w, schema, mut builders, mut pending) => {
                flush_parquet(&mut w, &schema, &mut builders, &mut pending)?;
                w.close()?;
            }
        }
        Ok((self.path, self.rows))
    }
}

/// The contract's schema with every column nullable: raw files may hold bad rows.
pub(crate) fn raw_schema(table: Table) -> Arc<Schema> {
    let fields: Vec<Field> = table
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone().with_nullable(true))
        .collect();
    Arc::new(Schema::new(fields))
}

pub(crate) fn flush_parquet(
    w: &mut ArrowWriter<File>,
    schema: &Arc<Schema>,
    builders: &mut [Builder],
    pending: &mut usize,
) -> Result<(), Error> {
    if *pending == 0 {
        return Ok(());
    }
    let arrays = builders.iter_mut().map(Builder::finish).collect();
    w.write(&RecordBatch::try_new(schema.clone(), arrays)?)?;
    *pending = 0;
    Ok(())
}

/// CSV text of one value. Timestamps are local time; one row in twenty uses the RFC
/// 3339 form with an offset instead, so both readings are exercised.
pub(crate) fn format_val(out: &mut String, v: &Val<'_>, tz: Tz, row_no: u64) {
    match v {
        Val::Null => {}
        Val::Str(s) => out.push_str(s),
        Val::Owned(s) => out.push_str(s),
        Val::Int(n) => {
            let _ = write!(out, "{n}");
        }
        Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Val::Ts(us) => {
            let Some(t) = tz.timestamp_micros(*us).single() else {
                return;
            };
            let _ = write!(
                out,
                "{:04}-{:02}-{:02}{}{:02}:{:02}:{:02}",
                t.year(),
                t.month(),
                t.day(),
                if row_no.is_multiple_of(20) { 'T' } else { ' ' },
                t.hour(),
                t.minute(),
                t.second()
            );
            let ms = t.timestamp_subsec_millis();
            if ms != 0 {
                let _ = write!(out, ".{ms:03}");
            }
            if row_no.is_multiple_of(20) {
                let _ = write!(out, "{}", t.offset().fix());
            }
        }
    }
}

impl<'o> Gen<'o> {
    pub(crate) fn writer(&self, table: Table) -> Result<TableWriter, Error> {
        TableWriter::create(&self.opts.out, table, self.opts.format, self.opts.timezone)
    }

    pub(crate) fn emitter(&self, table: Table) -> Result<Emitter, Error> {
        Ok(Emitter {
            table,
            writer: self.writer(table)?,
            rate: self.opts.bad_rows,
            csv: self.opts.format == OutputFormat::Csv,
            last_good: None,
            serial: 0,
            injected: BTreeMap::new(),
        })
    }
}
