//! Running queries on an Apache DataFusion Ballista cluster instead of this process.
//!
//! With `--cluster df://HOST:PORT` the session hands every query's logical plan to the
//! Ballista scheduler at that address, whose executors run it. Everything a plan reads
//! must travel with it or be readable where the executors are: the tables are the
//! warehouse's Parquet files (read by path, so the warehouse must sit at the same path
//! on every executor), and the small `calendar` and `period` tables are `VALUES` lists
//! inside the plan. Tables loaded into memory cannot be sent, so a cluster needs a
//! warehouse (`appraise ingest`). Ballista is behind the `cluster` cargo feature.

use datafusion::execution::SessionState;
use datafusion::prelude::SessionContext;

use crate::Error;

#[cfg(feature = "cluster")]
mod engine;
mod serve;

pub use serve::{ExecutorSettings, SchedulerSettings, serve_executor, serve_scheduler};

/// The port a scheduler listens on when the address names none.
pub const DEFAULT_PORT: u16 = 50050;

/// The session: local, or planning onto the scheduler at `cluster`.
pub(crate) fn context(state: SessionState, cluster: Option<&str>) -> Result<SessionContext, Error> {
    let Some(url) = cluster else {
        return Ok(SessionContext::new_with_state(state));
    };
    let (host, port) = scheduler_address(url)?;
    remote(state, url, &host, port)
}

/// `df://HOST[:PORT]` → host and port.
pub fn scheduler_address(url: &str) -> Result<(String, u16), Error> {
    let bad = |reason: &str| Error::Cluster {
        url: url.to_string(),
        reason: reason.to_string(),
        hint: format!(
            "name the Ballista scheduler as df://HOST:PORT, e.g. df://localhost:{DEFAULT_PORT}"
        ),
    };
    let rest = url
        .strip_prefix("df://")
        .ok_or_else(|| bad("not a df:// address"))?
        .trim_end_matches('/');
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().map_err(|_| bad("the port is not a number"))?),
        None => (rest, DEFAULT_PORT),
    };
    if host.is_empty() || host.contains(['/', '@', '?', '#']) {
        return Err(bad("no host name"));
    }
    Ok((host.to_string(), port))
}

#[cfg(feature = "cluster")]
fn remote(state: SessionState, url: &str, host: &str, port: u16) -> Result<SessionContext, Error> {
    use ballista_core::extension::{SessionConfigExt, SessionStateExt};
    use datafusion::execution::SessionStateBuilder;
    // Ballista's adaptive planner does not recover from a lost executor: the tasks it
    // resets are not run again and the job ends "successfully" without their rows
    // (seen with an executor stopped mid-run). The static planner was not seen to lose
    // rows; an appraise scheduler stops such queries in any case (`serve.rs`).
    let config = state
        .config()
        .clone()
        .upgrade_for_ballista()
        .with_ballista_adaptive_query_planner(false);
    let state = SessionStateBuilder::new_from_existing(state)
        .with_config(config)
        .build()
        .upgrade_for_ballista(format!("http://{host}:{port}"))
        .map_err(|e| Error::Cluster {
            url: url.to_string(),
            reason: e.to_string(),
            hint: "check the scheduler's address".into(),
        })?;
    Ok(SessionContext::new_with_state(state))
}

#[cfg(not(feature = "cluster"))]
fn remote(_: SessionState, url: &str, _: &str, _: u16) -> Result<SessionContext, Error> {
    Err(no_cluster(url.to_string()))
}

/// Starts a scheduler and one executor in this process, as `ballista`'s standalone mode
/// does but with appraise's own functions on both, and returns the scheduler's `df://`
/// address: a whole cluster on one machine, for tests and trials.
#[cfg(feature = "cluster")]
pub async fn standalone() -> Result<String, Error> {
    use ballista_core::serde::BallistaCodec;
    use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
    let failed = |what: &str, e: &dyn std::fmt::Display| Error::Cluster {
        url: "standalone".into(),
        reason: format!("{what}: {e}"),
        hint: "a standalone cluster needs free local ports".into(),
    };
    let addr = ballista_scheduler::standalone::new_standalone_scheduler_with_builder(
        serve::session_builder(),
        std::sync::Arc::new(ballista_core::utils::default_config_producer),
        BallistaCodec::default(),
    )
    .await
    .map_err(|e| failed("starting the scheduler", &e))?;
    let url = format!("http://localhost:{}", addr.port());
    let mut tries = 0;
    let scheduler = loop {
        match SchedulerGrpcClient::connect(url.clone()).await {
            Ok(s) => break s,
            Err(e) if tries == 100 => return Err(failed("reaching the scheduler", &e)),
            Err(_) => {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let runtime = datafusion::execution::runtime_env::RuntimeEnvBuilder::new()
        .build_arc()
        .map_err(|e| failed("starting the executor", &e))?;
    ballista_executor::new_standalone_executor_from_builder(
        scheduler,
        cores,
        std::sync::Arc::new(ballista_core::utils::default_config_producer),
        std::sync::Arc::new(move |_| Ok(runtime.clone())),
        BallistaCodec::default(),
        serve::functions(),
    )
    .await
    .map_err(|e| failed("starting the executor", &e))?;
    Ok(format!("df://localhost:{}", addr.port()))
}

#[cfg(not(feature = "cluster"))]
fn no_cluster(url: String) -> Error {
    Error::Cluster {
        url,
        reason: "this build of appraise has no Ballista support".into(),
        hint: "build it with `cargo build --release --features cluster`".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_read_with_a_default_port() {
        assert_eq!(
            scheduler_address("df://sched.example:50051").unwrap(),
            ("sched.example".to_string(), 50051)
        );
        assert_eq!(
            scheduler_address("df://localhost/").unwrap(),
            ("localhost".to_string(), DEFAULT_PORT)
        );
        for bad in ["http://x:1", "df://", "df://x:port", "df://:1"] {
            let e = scheduler_address(bad).unwrap_err();
            assert!(e.hint().unwrap().contains("df://HOST:PORT"), "{bad}");
        }
    }
}
