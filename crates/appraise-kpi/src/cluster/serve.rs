//! `appraise cluster scheduler` and `appraise cluster executor`: Ballista's scheduler and
//! executor served from appraise's own binary, so a cluster is always the version of the
//! client that sends it plans.

#[cfg(not(feature = "cluster"))]
use super::no_cluster;
#[cfg(feature = "cluster")]
use super::scheduler_address;
use crate::Error;
#[cfg(feature = "cluster")]
use ballista_core::config::TaskSchedulingPolicy;
#[cfg(feature = "cluster")]
use ballista_scheduler::scheduler_server::SchedulerServer;
#[cfg(feature = "cluster")]
use datafusion_proto::protobuf::{LogicalPlanNode, PhysicalPlanNode};

/// Where a scheduler serves: `appraise cluster scheduler`.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct SchedulerSettings {
    /// The address to listen on.
    #[cfg_attr(
        feature = "clap",
        arg(long, value_name = "HOST:PORT", default_value = "0.0.0.0:50050")
    )]
    pub bind: std::net::SocketAddr,
    /// The host name executors reach the scheduler by.
    #[cfg_attr(
        feature = "clap",
        arg(long, value_name = "HOST", default_value = "localhost")
    )]
    pub external_host: String,
}

/// Serves a Ballista scheduler until the process is stopped: the same Ballista and
/// DataFusion as the client that sends it plans.
#[cfg(feature = "cluster")]
pub async fn serve_scheduler(settings: &SchedulerSettings) -> Result<(), Error> {
    use ballista_scheduler::cluster::BallistaCluster;
    use ballista_scheduler::config::SchedulerConfig;
    use ballista_scheduler::scheduler_process::{create_scheduler, start_grpc_service};
    let bind = settings.bind;
    let failed = |e: &dyn std::fmt::Display| Error::Cluster {
        url: format!("df://{bind}"),
        reason: e.to_string(),
        hint: "check that the address is free and this host's own".into(),
    };
    let config = SchedulerConfig {
        bind_host: bind.ip().to_string(),
        bind_port: bind.port(),
        external_host: settings.external_host.clone(),
        scheduling_policy: TaskSchedulingPolicy::PullStaged,
        executor_timeout_seconds: EXECUTOR_TIMEOUT_SECONDS,
        expire_dead_executor_interval_seconds: HEARTBEAT_SECONDS,
        // appraise's own functions, which the plans it sends name.
        override_session_builder: Some(session_builder()),
        ..SchedulerConfig::default()
    };
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .map_err(|e| failed(&e))?;
    let scheduler =
        create_scheduler::<LogicalPlanNode, PhysicalPlanNode>(cluster, std::sync::Arc::new(config))
            .await
            .map_err(|e| failed(&e))?;
    let losses = scheduler
        .cluster_state_events()
        .await
        .map_err(|e| failed(&e))?;
    tokio::spawn(stop_queries_on_loss(scheduler.clone(), losses));
    start_grpc_service(bind, scheduler)
        .await
        .map_err(|e| failed(&e))
}

/// How often an executor tells the scheduler it is alive.
#[cfg(feature = "cluster")]
const HEARTBEAT_SECONDS: u64 = 5;

/// How long the scheduler waits for an executor's heartbeat before it counts the
/// executor lost (one that stops cleanly says so at once).
#[cfg(feature = "cluster")]
const EXECUTOR_TIMEOUT_SECONDS: u64 = 30;

/// Stops every running query when an executor leaves the cluster.
///
/// Ballista 55 tries to recover a query from a lost executor by running the lost tasks
/// again elsewhere. Seen here, with an executor stopped mid-run: under its adaptive
/// planner the query ended "successfully" without the lost tasks' rows (wrong numbers),
/// and under the static planner some queries waited for ever. appraise would rather
/// stop: each query running at that moment fails ("Job … failed: Cancelled"), its run
/// writes nothing, and the run can be repeated on the executors that remain.
#[cfg(feature = "cluster")]
async fn stop_queries_on_loss(
    scheduler: SchedulerServer<LogicalPlanNode, PhysicalPlanNode>,
    mut events: ballista_scheduler::cluster::ClusterStateEventStream,
) {
    use ballista_scheduler::cluster::ClusterStateEvent;
    use futures::StreamExt;
    while let Some(event) = events.next().await {
        let ClusterStateEvent::RemovedExecutor { executor_id } = event else {
            continue;
        };
        let running = scheduler.state.task_manager.get_running_job_cache();
        for job in running.keys() {
            tracing::warn!("executor {executor_id} left the cluster: stopping query {job}");
            if let Err(e) = scheduler.cancel_job(job.clone()).await {
                tracing::error!("could not stop query {job}: {e}");
            }
        }
    }
}

/// Where and how an executor serves: `appraise cluster executor`.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct ExecutorSettings {
    /// The scheduler.
    #[cfg_attr(feature = "clap", arg(long, value_name = "df://HOST:PORT"))]
    pub scheduler: String,
    /// The address to listen on.
    #[cfg_attr(
        feature = "clap",
        arg(long, value_name = "HOST", default_value = "0.0.0.0")
    )]
    pub bind_host: String,
    /// The host name the scheduler and the other executors reach this one by [default:
    /// the bind address].
    #[cfg_attr(feature = "clap", arg(long, value_name = "HOST"))]
    pub external_host: Option<String>,
    /// The port that serves query results (Arrow Flight).
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 50051))]
    pub port: u16,
    /// The port that takes the scheduler's calls (gRPC).
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 50052))]
    pub grpc_port: u16,
    /// Where to keep the intermediate (shuffle) files [default: a temporary folder].
    #[cfg_attr(feature = "clap", arg(long, value_name = "DIR"))]
    pub work_dir: Option<std::path::PathBuf>,
    /// Tasks to run at once [default: every core].
    #[cfg_attr(
        feature = "clap",
        arg(long, default_value_t = 0, hide_default_value = true)
    )]
    pub cores: usize,
}

/// A scheduler's sessions: Ballista's, with appraise's own functions
/// ([`crate::aggregates`]).
#[cfg(feature = "cluster")]
pub(crate) fn session_builder() -> ballista_scheduler::scheduler_server::SessionBuilder {
    std::sync::Arc::new(|config| {
        use datafusion::execution::FunctionRegistry;
        let mut state = ballista_core::utils::default_session_builder(config)?;
        for f in crate::aggregates() {
            state.register_udaf(std::sync::Arc::new(f))?;
        }
        Ok(state)
    })
}

/// Ballista's functions with appraise's own in place of those of the same name
/// ([`crate::aggregates`]).
#[cfg(feature = "cluster")]
pub(crate) fn functions() -> ballista_core::registry::BallistaFunctionRegistry {
    let mut registry = ballista_core::registry::BallistaFunctionRegistry::default();
    for f in crate::aggregates() {
        let f = std::sync::Arc::new(f);
        for name in std::iter::once(f.name()).chain(f.aliases().iter().map(String::as_str)) {
            registry
                .aggregate_functions
                .insert(name.to_string(), f.clone());
        }
    }
    registry
}

/// Serves a Ballista executor of `settings.scheduler` until the process is stopped.
#[cfg(feature = "cluster")]
pub async fn serve_executor(settings: &ExecutorSettings) -> Result<(), Error> {
    use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
    let (host, port) = scheduler_address(&settings.scheduler)?;
    let config = ExecutorProcessConfig {
        bind_host: settings.bind_host.clone(),
        external_host: settings.external_host.clone(),
        port: settings.port,
        grpc_port: settings.grpc_port,
        scheduler_host: host,
        scheduler_port: port,
        scheduler_connect_timeout_seconds: 30,
        vcores: settings.cores,
        work_dir: settings.work_dir.as_ref().map(|d| d.display().to_string()),
        print_thread_info: false,
        executor_heartbeat_interval_seconds: HEARTBEAT_SECONDS,
        task_scheduling_policy: TaskSchedulingPolicy::PullStaged,
        override_execution_engine: Some(std::sync::Arc::new(super::engine::Aligned)),
        override_function_registry: Some(std::sync::Arc::new(functions())),
        ..ExecutorProcessConfig::default()
    };
    start_executor_process(std::sync::Arc::new(config))
        .await
        .map_err(|e| Error::Cluster {
            url: settings.scheduler.clone(),
            reason: e.to_string(),
            hint: "check the scheduler's address and that the executor's ports are free".into(),
        })
}

/// Without the `cluster` feature there is no cluster to serve.
#[cfg(not(feature = "cluster"))]
pub async fn serve_scheduler(settings: &SchedulerSettings) -> Result<(), Error> {
    Err(no_cluster(format!("df://{}", settings.bind)))
}

/// Without the `cluster` feature there is no cluster to serve.
#[cfg(not(feature = "cluster"))]
pub async fn serve_executor(settings: &ExecutorSettings) -> Result<(), Error> {
    Err(no_cluster(settings.scheduler.clone()))
}
