//! Independent jobs on every core, their results in the jobs' order.

use std::sync::atomic::{AtomicUsize, Ordering};

/// `f` of every job, on as many threads as there are cores (at most one per job, the
/// calling thread one of them); the results in the jobs' order, or the first job's
/// error in that order. A job that panics panics the caller with its own message.
pub fn on_every_core<J: Sync, T: Send, E: Send>(
    jobs: &[J],
    f: impl Fn(&J) -> Result<T, E> + Sync,
) -> Result<Vec<T>, E> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(jobs.len())
        .max(1);
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(job) = jobs.get(i) else {
                return done;
            };
            done.push((i, f(job)));
        }
    };
    let mut results: Vec<(usize, Result<T, E>)> = std::thread::scope(|s| {
        let helpers: Vec<_> = (1..threads).map(|_| s.spawn(work)).collect();
        let mut all = work();
        for h in helpers {
            match h.join() {
                Ok(done) => all.extend(done),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        all
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_the_jobs_order_and_the_first_error_wins() {
        let jobs: Vec<u32> = (0..1000).collect();
        let squares = on_every_core(&jobs, |&j| Ok::<_, ()>(j * j)).unwrap();
        assert_eq!(squares, jobs.iter().map(|j| j * j).collect::<Vec<_>>());
        let failed = on_every_core(&jobs, |&j| if j % 300 == 299 { Err(j) } else { Ok(j) });
        assert_eq!(failed, Err(299));
        assert_eq!(
            on_every_core(&[] as &[u32], |&j| Ok::<_, ()>(j)),
            Ok(vec![])
        );
    }
}
