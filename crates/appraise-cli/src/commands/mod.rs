//! One file per subcommand: parse args → resolve settings → call the library → print.

use std::process::ExitCode;

use std::path::Path;

use anyhow::{Context, Result};
use appraise_data::xroad::XroadOptions;
use appraise_data::{DatabaseOptions, LoadOptions, Pseudonymiser, encoding_for_label};
use appraise_pipeline::{Resolved, Settings};
use clap::Parser;

use crate::cli::{Cli, Command, ReadArgs};

mod anomalies;
mod cluster;
mod compare;
mod demo;
mod evidence;
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
        Command::Evidence(args) => evidence::run(args),
        Command::Cluster(cmd) => cluster::run(cmd),
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
    // A scheduler's summary of a finished stage cannot place the empty metrics sets an
    // appraise executor reports for operators without metrics (see
    // `appraise_kpi::cluster`'s engine) and says so as an error; the stage is fine. A
    // failed query on a cluster is logged by Ballista and returned: appraise reports it.
    let default = format!(
        "{default},tiny_skia=error,usvg=error,resvg=error,ballista_scheduler::display=off,\
         ballista_core::execution_plans::distributed_query=off"
    );
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

/// The settings of a command without flags but `--query-timeout`.
pub(crate) fn settings() -> Settings {
    Settings {
        query_timeout: query_timeout(),
        ..Settings::default()
    }
}

impl ReadArgs {
    /// The settings a command reading `data` with these flags has (flags over
    /// environment over defaults).
    pub(crate) fn settings(&self, data: Option<&Path>) -> Result<Settings> {
        let encoding = match &self.encoding {
            None => None,
            Some(label) => Some(encoding_for_label(label).ok_or_else(|| {
                anyhow::Error::new(crate::Usage {
                    reason: format!("unknown encoding {label:?}"),
                    hint: Some("use utf-8, gb18030 or gbk".into()),
                })
            })?),
        };
        let pseudonymiser = Pseudonymiser::from_env_or_file(self.pseudonym_key_file.as_deref())
            .context("reading the pseudonymisation key")?;
        Ok(Settings {
            data: data.map(Path::to_path_buf),
            key_file: self.pseudonym_key_file.clone(),
            timezone: self.timezone.as_deref().map(parse_timezone).transpose()?,
            load: LoadOptions {
                input_format: self.input_format,
                encoding,
                pseudonymiser,
                xroad: XroadOptions {
                    mapping: self.mapping.clone(),
                    departments: self.departments.clone(),
                    auto_departments: self.auto_departments,
                },
                database: DatabaseOptions {
                    mapping: self.db_mapping.clone(),
                },
                max_record_bytes: self.max_record_bytes,
                ..LoadOptions::default()
            },
            ..settings()
        })
    }
}

impl crate::cli::QueryArgs {
    /// `settings` with the KPI and calendar folders of these flags.
    pub(crate) fn onto(&self, settings: Settings) -> Settings {
        Settings {
            kpis: self.kpis.clone(),
            calendars: self.calendars.clone(),
            ..settings
        }
    }
}

impl crate::cli::ReadingArgs {
    /// The settings of a command that reads data into a result.
    pub(crate) fn settings(&self) -> Result<Settings> {
        self.querying.settings()
    }
}

impl crate::cli::QueryingArgs {
    /// The settings of a command that queries data.
    pub(crate) fn settings(&self) -> Result<Settings> {
        let read = self.data.read.settings(Some(&self.data.data))?;
        Ok(self.queries.onto(Settings {
            cluster: self.cluster.cluster.clone(),
            ..read
        }))
    }
}

impl crate::cli::PolicyArgs {
    /// `settings` with the policy files, the cluster and `--allow-empty` of these flags.
    pub(crate) fn onto(&self, settings: Settings) -> Settings {
        self.queries.onto(Settings {
            scorecard: self.scorecard.clone(),
            cluster: self.cluster.cluster.clone(),
            allow_empty: self.allow_empty,
            adjustments: self.adjustments.clone(),
            ..settings
        })
    }
}

impl crate::cli::AppraisalArgs {
    /// The settings of an appraisal: the data and how they are read, the policy files,
    /// the cluster, `--allow-empty`, and how the output may be written.
    pub(crate) fn settings(&self, write: &crate::cli::WriteArgs) -> Result<Settings> {
        let read = self.data.read.settings(Some(&self.data.data))?;
        Ok(self.policy.onto(write.onto(read)))
    }

    /// [`Self::settings`], and them resolved.
    pub(crate) fn resolve(&self, write: &crate::cli::WriteArgs) -> Result<(Settings, Resolved)> {
        let settings = self.settings(write)?;
        let resolved = settings.resolve()?;
        Ok((settings, resolved))
    }
}

impl From<crate::cli::Language> for appraise_report::lang::Lang {
    fn from(lang: crate::cli::Language) -> Self {
        match lang {
            crate::cli::Language::Zh => Self::Zh,
            crate::cli::Language::En => Self::En,
        }
    }
}

impl crate::cli::WriteArgs {
    /// `settings` with `--force` and `--wait`.
    pub(crate) fn onto(&self, settings: Settings) -> Settings {
        Settings {
            force: self.force,
            wait: self.wait,
            ..settings
        }
    }
}

/// How long one call into the engine may run (`--query-timeout`).
static QUERY_TIMEOUT: std::sync::OnceLock<std::time::Duration> = std::sync::OnceLock::new();

/// How long one call into the engine may run (`--query-timeout`).
pub(crate) fn query_timeout() -> std::time::Duration {
    QUERY_TIMEOUT
        .get()
        .copied()
        .unwrap_or(std::time::Duration::from_secs(3600))
}

impl crate::cli::OutputArgs {
    /// The format `--format` asks for.
    fn result_format(&self) -> appraise_report::tables::ResultFormat {
        result_format(self.format)
    }

    /// A writer of a result that comes batch by batch, where `--out` and `--format` say:
    /// `--out FILE` is a new file, or with `--force` an existing one replaced, and may
    /// not be or lie in what `settings` read, even with `--force`.
    pub(crate) fn stream(&self, settings: &Settings) -> Result<appraise_report::tables::Stream> {
        if let Some(path) = &self.out {
            appraise_data::staging::check_output_file(path, &settings.inputs())?;
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
        settings: &Settings,
    ) -> Result<()> {
        let mut out = self.stream(settings)?;
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
