//! The executor's engine: Ballista's own, with the operators' metrics reported in a shape
//! the scheduler can add up.
//!
//! The scheduler narrows each task's copy of a stage plan to the task's partitions and, for
//! a task that reads none of a `UnionExec` branch ending in a `PlaceholderRowExec` (a
//! `SELECT` without `FROM`) or an `EmptyExec`, swaps that leaf for an empty in-memory
//! scan. The tree keeps its shape, but the swapped leaf has metrics and the original has
//! none, and Ballista 55 reports only the operators that have metrics: tasks of one stage
//! send lists of different lengths, the scheduler refuses the status of the later ones
//! ("task metrics array size 7 does not equal with the stage metrics array size 8") and
//! the job waits for ever. Here every operator reports a set, empty where it has none, so
//! every task of a stage sends one set per operator of the same tree.

use std::fmt;
use std::sync::Arc;

use ballista_core::JobId;
use ballista_core::serde::protobuf::{
    RuntimeStatsReport, ShuffleWritePartition, TaskColumnStats, WindowStateReport,
};
use ballista_executor::execution_engine::{
    DefaultExecutionEngine, ExecutionEngine, QueryStageExecutor,
};
use datafusion::error::Result;
use datafusion::execution::TaskContext;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::metrics::MetricsSet;
use datafusion::prelude::SessionConfig;

/// Ballista's default engine whose stages report one metrics set per operator.
pub(super) struct Aligned;

impl ExecutionEngine for Aligned {
    fn create_query_stage_exec(
        &self,
        job_id: JobId,
        stage_id: usize,
        task_id: usize,
        global_output_partition_ids: Vec<usize>,
        plan: Arc<dyn ExecutionPlan>,
        work_dir: &str,
        config: &SessionConfig,
    ) -> Result<Arc<dyn QueryStageExecutor>> {
        let inner = DefaultExecutionEngine::new().create_query_stage_exec(
            job_id,
            stage_id,
            task_id,
            global_output_partition_ids,
            Arc::clone(&plan),
            work_dir,
            config,
        )?;
        Ok(Arc::new(Stage { inner, plan }))
    }
}

/// A stage and the plan it was made from (the same tree: the default engine replaces
/// only shuffle readers, one for one).
struct Stage {
    inner: Arc<dyn QueryStageExecutor>,
    plan: Arc<dyn ExecutionPlan>,
}

/// Which operators of `plan` have metrics, depth first as Ballista collects them.
fn has_metrics(plan: &dyn ExecutionPlan, out: &mut Vec<bool>) {
    out.push(plan.metrics().is_some());
    for child in plan.children() {
        has_metrics(child.as_ref(), out);
    }
}

/// `reported` (the sets of the operators that have metrics) with an empty set in the
/// place of each that has none; nothing if the two do not agree, which the scheduler
/// accepts as "no metrics" for the task.
fn aligned(shape: &[bool], reported: Vec<MetricsSet>) -> Vec<MetricsSet> {
    if shape.iter().filter(|&&has| has).count() != reported.len() {
        return Vec::new();
    }
    let mut reported = reported.into_iter();
    shape
        .iter()
        .map(|&has| match has {
            true => reported.next().unwrap_or_default(),
            false => MetricsSet::new(),
        })
        .collect()
}

#[async_trait::async_trait]
impl QueryStageExecutor for Stage {
    async fn execute_query_stage(
        &self,
        task_id: usize,
        context: Arc<TaskContext>,
    ) -> Result<Vec<ShuffleWritePartition>> {
        self.inner.execute_query_stage(task_id, context).await
    }

    fn collect_plan_metrics(&self) -> Vec<MetricsSet> {
        let mut shape = Vec::new();
        has_metrics(self.plan.as_ref(), &mut shape);
        aligned(&shape, self.inner.collect_plan_metrics())
    }

    fn collect_runtime_stats_reports(&self) -> Vec<RuntimeStatsReport> {
        self.inner.collect_runtime_stats_reports()
    }

    fn collect_window_state_reports(&self) -> Result<Vec<WindowStateReport>> {
        self.inner.collect_window_state_reports()
    }

    fn collect_column_stats(&self) -> Vec<TaskColumnStats> {
        self.inner.collect_column_stats()
    }
}

impl fmt::Debug for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.inner, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::physical_plan::metrics::{Count, Metric, MetricValue};

    fn set(rows: usize) -> MetricsSet {
        let mut set = MetricsSet::new();
        let count = Count::new();
        count.add(rows);
        set.push(Arc::new(Metric::new(MetricValue::OutputRows(count), None)));
        set
    }

    #[test]
    fn an_operator_without_metrics_gets_an_empty_set_in_its_place() {
        let got = aligned(&[true, false, true], vec![set(3), set(5)]);
        let rows: Vec<Option<usize>> = got.iter().map(MetricsSet::output_rows).collect();
        assert_eq!(rows, [Some(3), None, Some(5)]);
    }

    #[test]
    fn lists_that_do_not_agree_report_nothing() {
        assert!(aligned(&[true, false], vec![set(3), set(5)]).is_empty());
    }
}
