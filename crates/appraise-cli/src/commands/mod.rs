//! One file per subcommand: parse args → resolve settings → call the library → print.

use std::process::ExitCode;

use anyhow::{Context, Result};
use appraise_data::xroad::XroadOptions;
use appraise_data::{LoadOptions, Pseudonymiser, encoding_for_label};
use clap::Parser;

use crate::cli::{Cli, Command, ReadArgs};

mod anomalies;
mod compare;
mod demo;
mod generate;
mod ingest;
mod init;
mod kpi;
mod publish;
mod run;
mod score;
mod sql;
mod validate;

/// Parses the command line and runs the subcommand.
pub(crate) fn run() -> Result<ExitCode> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let e = with_subcommand_tip(e);
            // Help and version go to stdout with success; usage errors are bad input.
            let _ = e.print();
            return Ok(ExitCode::from(if e.use_stderr() { 1 } else { 0 }));
        }
    };
    init_logging(cli.verbose);
    let _ = QUERY_TIMEOUT.set(std::time::Duration::from_secs(cli.query_timeout.max(1)));
    match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Run(args) => run::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Generate(args) => generate::run(args),
        Command::Ingest(args) => ingest::run(args),
        Command::Kpi(cmd) => kpi::run(cmd),
        Command::Score(args) => score::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Sql(args) => sql::run(args),
        Command::Init(args) => init::run(args),
        Command::Publish(args) => publish::run(args),
        Command::Anomalies(args) => anomalies::run(args),
    }
}

/// An unknown subcommand with the nearest one as a tip, where clap found none: its
/// similarity measure misses swapped letters (`rnu` for `run`). Within two edits
/// (a swap of neighbours counts as one) of a subcommand of the same level.
fn with_subcommand_tip(e: clap::Error) -> clap::Error {
    use clap::CommandFactory;
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() != ErrorKind::InvalidSubcommand || e.get(ContextKind::SuggestedSubcommand).is_some()
    {
        return e;
    }
    let Some(ContextValue::String(word)) = e.get(ContextKind::InvalidSubcommand) else {
        return e;
    };
    let word = word.clone();
    let mut cmd = Cli::command();
    // The level the word was given at: the top, or `kpi`'s.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().take_while(|a| **a != word).any(|a| a == "kpi")
        && let Some(kpi) = cmd.find_subcommand("kpi")
    {
        cmd = kpi.clone();
    }
    let nearest = cmd
        .get_subcommands()
        .map(|c| {
            (
                strsim::osa_distance(&word, c.get_name()),
                c.get_name().to_string(),
            )
        })
        .filter(|(d, name)| *d <= 2 && *d < name.len())
        .min();
    let Some((_, name)) = nearest else { return e };
    let mut tipped = clap::Error::new(ErrorKind::InvalidSubcommand).with_cmd(&cmd);
    tipped.insert(ContextKind::InvalidSubcommand, ContextValue::String(word));
    tipped.insert(
        ContextKind::SuggestedSubcommand,
        ContextValue::Strings(vec![name]),
    );
    if let Some(usage) = e.get(ContextKind::Usage) {
        tipped.insert(ContextKind::Usage, usage.clone());
    }
    tipped
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    // The PNG rasteriser reports a zero-length line (such as a rank interval of a single
    // rank) as a failed stroke; nothing is to be drawn there, so it is not shown.
    let default = format!("{default},tiny_skia=error,usvg=error,resvg=error");
    let filter = tracing_subscriber::EnvFilter::try_from_env("APPRAISE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::env::var_os("NO_COLOR").is_none())
        .try_init();
}

/// A time zone by IANA name.
pub(crate) fn parse_timezone(name: &str) -> Result<chrono_tz::Tz> {
    name.parse::<chrono_tz::Tz>().map_err(|_| {
        anyhow::Error::new(crate::Usage {
            reason: format!("unknown time zone {name:?}"),
            hint: Some("use an IANA name such as Asia/Shanghai".into()),
        })
    })
}

/// The appraisal's zone, one rule for every command: `--timezone`, else the zone of
/// the scorecard the command would use (`scorecard`, else `queries/scorecard.toml`,
/// else the built-in one).
pub(crate) fn zone(read: &ReadArgs, scorecard: Option<&std::path::Path>) -> Result<chrono_tz::Tz> {
    match &read.timezone {
        Some(name) => parse_timezone(name),
        None => crate::policy::scorecard_zone(scorecard),
    }
}

/// Load settings from the reading flags (flags over environment over defaults), in the
/// appraisal's zone `timezone`.
pub(crate) fn load_options(read: &ReadArgs, timezone: chrono_tz::Tz) -> Result<LoadOptions> {
    let encoding = match &read.encoding {
        None => None,
        Some(label) => Some(encoding_for_label(label).ok_or_else(|| {
            anyhow::Error::new(crate::Usage {
                reason: format!("unknown encoding {label:?}"),
                hint: Some("use utf-8, gb18030 or gbk".into()),
            })
        })?),
    };
    let pseudonymiser = Pseudonymiser::from_env_or_file(read.pseudonym_key_file.as_deref())
        .context("reading the pseudonymisation key")?;
    Ok(LoadOptions {
        timezone,
        input_format: read.input_format,
        encoding,
        pseudonymiser,
        xroad: XroadOptions {
            mapping: read.mapping.clone(),
            departments: read.departments.clone(),
            auto_departments: read.auto_departments,
        },
        max_record_bytes: read.max_record_bytes,
        ..LoadOptions::default()
    })
}

/// The scorecard a scoring command uses (`scorecard`, else `queries/scorecard.toml`,
/// else the built-in one), parsed once, and the load settings in the appraisal's zone:
/// `--timezone`, else the scorecard's.
pub(crate) fn scorecard_and_options(
    read: &ReadArgs,
    scorecard: Option<&std::path::Path>,
) -> Result<(appraise_score::Scorecard, LoadOptions)> {
    let card = crate::policy::scorecard(scorecard)?;
    let zone = match &read.timezone {
        Some(name) => parse_timezone(name)?,
        None => card.timezone,
    };
    Ok((card, load_options(read, zone)?))
}

/// The engine's settings: the zone of dates and periods, and where queries run.
pub(crate) fn engine_options(
    timezone: chrono_tz::Tz,
    cluster: &crate::cli::ClusterArgs,
) -> appraise_kpi::EngineOptions {
    appraise_kpi::EngineOptions {
        timezone,
        cluster: cluster.cluster.clone(),
        ..appraise_kpi::EngineOptions::default()
    }
}

/// How a command may treat its output folder: `--force`, `--wait`, and the paths it
/// reads, which the output may not hold.
/// What an appraisal reads, which its output folder may not hold: the data, the
/// scorecard, the KPI and calendar folders, and the X-Road mapping files.
pub(crate) fn appraisal_inputs<'a>(
    data: &'a std::path::Path,
    scorecard: Option<&'a std::path::Path>,
    queries: &'a crate::cli::QueryArgs,
    options: &'a LoadOptions,
) -> Vec<&'a std::path::Path> {
    let x = &options.xroad;
    let mut inputs = vec![data];
    inputs.extend(scorecard);
    inputs.extend(queries.kpis.as_deref());
    inputs.extend(queries.calendars.as_deref());
    inputs.extend(x.mapping.as_deref());
    inputs.extend(x.departments.as_deref());
    inputs
}

pub(crate) fn write_policy(
    write: &crate::cli::WriteArgs,
    inputs: &[&std::path::Path],
) -> appraise_data::staging::Policy {
    appraise_data::staging::Policy {
        force: write.force,
        wait: write.wait,
        inputs: inputs.iter().map(|p| p.to_path_buf()).collect(),
    }
}

/// Where `validate` and `ingest` put rejected rows: `--rejects DIR` when given, else
/// `reports/out/rejects` only when rows were rejected. Staged like any output folder.
pub(crate) struct Rejects {
    staging: appraise_data::staging::Staging,
    asked: bool,
}

impl Rejects {
    /// The folder used when `--rejects` is not given.
    pub(crate) const DEFAULT: &str = "reports/out/rejects";

    pub(crate) fn start(
        asked: Option<&std::path::Path>,
        write: &crate::cli::WriteArgs,
        data: &std::path::Path,
        read: &crate::cli::ReadArgs,
    ) -> Result<Rejects> {
        let target = asked.unwrap_or(std::path::Path::new(Self::DEFAULT));
        let mut inputs = vec![data];
        inputs.extend(read.mapping.as_deref());
        inputs.extend(read.departments.as_deref());
        inputs.extend(read.pseudonym_key_file.as_deref());
        let staging = appraise_data::staging::Staging::new(target, &write_policy(write, &inputs))?;
        Ok(Rejects {
            staging,
            asked: asked.is_some(),
        })
    }

    /// Where the loader writes them meanwhile.
    pub(crate) fn path(&self) -> &std::path::Path {
        self.staging.path()
    }

    /// Commits them when asked for or when there are any; where they are.
    pub(crate) fn finish(self, rejected: u64) -> Result<Option<std::path::PathBuf>> {
        if self.asked || rejected > 0 {
            Ok(Some(self.staging.commit()?))
        } else {
            Ok(None)
        }
    }
}

/// How long one call into the engine may run (`--query-timeout`).
static QUERY_TIMEOUT: std::sync::OnceLock<std::time::Duration> = std::sync::OnceLock::new();

/// Runs `work` on the engine's runtime, within `--query-timeout` (dropped, and so
/// cancelled, when it runs longer).
pub(crate) fn block_on<F: std::future::Future>(work: F) -> Result<F::Output> {
    Ok(appraise_pipeline::block_on(work, query_timeout())?)
}

/// How long one call into the engine may run (`--query-timeout`).
pub(crate) fn query_timeout() -> std::time::Duration {
    QUERY_TIMEOUT
        .get()
        .copied()
        .unwrap_or(std::time::Duration::from_secs(3600))
}

/// The rules of an appraisal: `scorecard`, and from the flags the KPI library and
/// calendar (the built-in ones where no flag or local file names them), the engine's
/// zone and cluster.
pub(crate) fn rules(
    scorecard: appraise_score::Scorecard,
    timezone: chrono_tz::Tz,
    queries: &crate::cli::QueryArgs,
    cluster: &crate::cli::ClusterArgs,
    allow_empty: bool,
) -> Result<appraise_pipeline::Rules> {
    Ok(appraise_pipeline::Rules {
        scorecard,
        library: kpi::library(queries)?,
        calendar: kpi::calendar(queries)?,
        engine: engine_options(timezone, cluster),
        allow_empty,
        query_timeout: query_timeout(),
    })
}

impl crate::cli::OutputArgs {
    /// The format `--format` asks for.
    fn result_format(&self) -> appraise_report::tables::ResultFormat {
        result_format(self.format)
    }

    /// A writer of a result that comes batch by batch, where `--out` and `--format` say:
    /// `--out FILE` is a new file, or with `--force` an existing one replaced, and may
    /// not be or lie in one of `inputs`, even with `--force`.
    pub(crate) fn stream(
        &self,
        inputs: &[&std::path::Path],
    ) -> Result<appraise_report::tables::Stream> {
        if let Some(path) = &self.out {
            let inputs: Vec<_> = inputs.iter().map(|p| p.to_path_buf()).collect();
            appraise_data::staging::check_output_file(path, &inputs)?;
        }
        Ok(appraise_report::tables::Stream::open(
            self.result_format(),
            self.out.as_deref(),
            self.force,
        )?)
    }

    /// Writes a command's result where `--out` and `--format` say.
    pub(crate) fn write(
        &self,
        batches: &[datafusion::arrow::record_batch::RecordBatch],
        inputs: &[&std::path::Path],
    ) -> Result<()> {
        let mut out = self.stream(inputs)?;
        for b in batches {
            out.push(b)?;
        }
        finish(out, batches.first().map(|b| b.schema()))
    }
}

/// The table format or file format of `--format`.
pub(crate) fn result_format(
    format: crate::cli::OutputFormat,
) -> appraise_report::tables::ResultFormat {
    use crate::cli::OutputFormat;
    use appraise_report::tables::{ResultFormat, TableFormat};
    match format {
        OutputFormat::Table => ResultFormat::Table,
        OutputFormat::Csv => ResultFormat::File(TableFormat::Csv),
        OutputFormat::Json => ResultFormat::File(TableFormat::Json),
        OutputFormat::Parquet => ResultFormat::File(TableFormat::Parquet),
    }
}

/// Ends a result, and says how many rows a table left out.
pub(crate) fn finish(
    out: appraise_report::tables::Stream,
    schema: Option<datafusion::arrow::datatypes::SchemaRef>,
) -> Result<()> {
    let hidden = out.finish(schema)?;
    if hidden > 0 {
        eprintln!("{hidden} more rows not shown; --format csv, json or parquet gives them all");
    }
    Ok(())
}

/// A warning on stderr, and on the next line how to act on it where known.
pub(crate) fn warn(w: &appraise_data::Warning) {
    eprintln!("warning: {w}");
    if let Some(hint) = w.hint() {
        eprintln!("hint: {hint}");
    }
}

/// A one-line note on stderr when rows were rejected, so nobody misses it.
pub(crate) fn report_rejections(data: &appraise_data::Dataset) {
    let rejected: u64 = data.tables.iter().map(|t| t.accounting.rejected).sum();
    if rejected > 0 {
        eprintln!(
            "warning: {rejected} rows were rejected while loading; `appraise validate` lists them"
        );
    }
}
