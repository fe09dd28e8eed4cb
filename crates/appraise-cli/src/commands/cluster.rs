//! `appraise cluster scheduler | executor`: a member of the Ballista cluster that
//! `--cluster` runs queries on, served until the process is stopped
//! ([`appraise_kpi::cluster::serve_scheduler`], [`appraise_kpi::cluster::serve_executor`]).

use std::process::ExitCode;

use anyhow::Result;
use appraise_kpi::cluster::{serve_executor, serve_scheduler};
use appraise_pipeline::serve;

use crate::cli::ClusterCommand;

pub(crate) fn run(cmd: ClusterCommand) -> Result<ExitCode> {
    match cmd {
        ClusterCommand::Scheduler(s) => {
            eprintln!("scheduler: listening on {}", s.bind);
            serve(serve_scheduler(&s))??;
        }
        ClusterCommand::Executor(s) => {
            eprintln!("executor of {}: listening on port {}", s.scheduler, s.port);
            serve(serve_executor(&s))??;
        }
    }
    Ok(ExitCode::SUCCESS)
}
