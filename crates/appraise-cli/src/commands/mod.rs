//! One file per subcommand: parse args → resolve settings → call the library → print.

use std::process::ExitCode;

use anyhow::{Context, Result};
use appraise_data::xroad::XroadOptions;
use appraise_data::{LoadOptions, Pseudonymiser, encoding_for_label};
use clap::Parser;

use crate::cli::{Cli, Command, ReadArgs};

mod demo;
mod generate;
mod ingest;
mod kpi;
mod run;
mod score;
mod sql;
mod validate;

/// Wall-clock seconds per step of a run, for `manifest.json`'s `timings`: each
/// [`Laps::next`] closes the step under way and opens another; a step opened again
/// adds to its earlier time.
pub(crate) struct Laps {
    current: String,
    since: std::time::Instant,
    done: Vec<(String, f64)>,
}

impl Laps {
    pub(crate) fn start(step: &str) -> Laps {
        Laps {
            current: step.to_string(),
            since: std::time::Instant::now(),
            done: Vec::new(),
        }
    }

    pub(crate) fn next(&mut self, step: &str) {
        let now = std::time::Instant::now();
        let secs = (now - self.since).as_secs_f64();
        match self.done.iter_mut().find(|(s, _)| *s == self.current) {
            Some((_, t)) => *t += secs,
            None => self.done.push((self.current.clone(), secs)),
        }
        self.current = step.to_string();
        self.since = now;
    }

    /// Closes the step under way; the steps in the order first opened.
    pub(crate) fn finish(mut self) -> Vec<(String, f64)> {
        self.next("");
        self.done
    }
}

/// Parses the command line and runs the subcommand.
pub(crate) fn run() -> Result<ExitCode> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with success; usage errors are bad input.
            let _ = e.print();
            return Ok(ExitCode::from(if e.use_stderr() { 1 } else { 0 }));
        }
    };
    init_logging(cli.verbose);
    match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Run(args) => run::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Generate(args) => generate::run(args),
        Command::Ingest(args) => ingest::run(args),
        Command::Kpi(cmd) => kpi::run(cmd),
        Command::Score(args) => score::run(args),
        Command::Sql(args) => sql::run(args),
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
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
        anyhow::Error::new(appraise_data::Error::Input {
            reason: format!("unknown time zone {name:?}"),
            hint: Some("use an IANA name such as Asia/Shanghai".into()),
        })
    })
}

/// Load settings from the reading flags (flags over environment over defaults).
pub(crate) fn load_options(read: &ReadArgs) -> Result<LoadOptions> {
    let encoding = match &read.encoding {
        None => None,
        Some(label) => Some(encoding_for_label(label).ok_or_else(|| {
            anyhow::Error::new(appraise_data::Error::Input {
                reason: format!("unknown encoding {label:?}"),
                hint: Some("use utf-8, gb18030 or gbk".into()),
            })
        })?),
    };
    let pseudonymiser = Pseudonymiser::from_env_or_file(read.pseudonym_key_file.as_deref())
        .context("reading the pseudonymisation key")?;
    Ok(LoadOptions {
        timezone: parse_timezone(&read.timezone)?,
        input_format: read.input_format,
        encoding,
        pseudonymiser,
        xroad: XroadOptions {
            mapping: read.mapping.clone(),
            departments: read.departments.clone(),
            auto_departments: read.auto_departments,
        },
        ..LoadOptions::default()
    })
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

/// A path as given, or, when it is relative and absent, the same path in the checkout
/// the binary was built from (so `queries/kpis` works from any folder).
pub(crate) fn resolve(path: &std::path::Path) -> std::path::PathBuf {
    if path.exists() || path.is_absolute() {
        return path.to_path_buf();
    }
    let built = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path);
    if built.exists() {
        built
    } else {
        path.to_path_buf()
    }
}

/// The engine's runtime for async work: one per process, made on first use.
pub(crate) fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    if let Some(r) = RUNTIME.get() {
        return Ok(r);
    }
    let made = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    Ok(RUNTIME.get_or_init(|| made))
}

/// A library error as the binary reports it: bad input (exit 1, with its hint) or a
/// fault (exit 2).
fn user_error<E>(e: E, is_input: bool, hint: Option<String>) -> anyhow::Error
where
    E: std::error::Error + Send + Sync + 'static,
{
    if is_input {
        anyhow::Error::new(appraise_data::Error::Input {
            reason: e.to_string(),
            hint,
        })
    } else {
        anyhow::Error::new(e)
    }
}

/// A KPI engine error as a user-facing error with its hint.
pub(crate) fn kpi_error(e: appraise_kpi::Error) -> anyhow::Error {
    let (input, hint) = (e.is_input(), e.hint());
    user_error(e, input, hint)
}

/// A scoring error as a user-facing error with its hint.
pub(crate) fn score_error(e: appraise_score::Error) -> anyhow::Error {
    let (input, hint) = (e.is_input(), e.hint());
    user_error(e, input, hint)
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
