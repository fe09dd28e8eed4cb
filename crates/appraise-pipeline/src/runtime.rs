//! The engine's async work, run to completion from synchronous code within a time
//! limit.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use crate::Error;

/// Runs `work` on the process's runtime; dropped, and so cancelled, when it runs
/// longer than `limit`. A panic inside is not caught here: the caller's one catch
/// (the binary's `main`) handles every panic alike.
pub fn block_on<F: Future>(work: F, limit: Duration) -> Result<F::Output, Error> {
    let timed = async { tokio::time::timeout(limit, work).await };
    runtime()?
        .block_on(timed)
        .map_err(|_| Error::Timeout { limit })
}

/// Runs `work` on the engine's runtime until it ends, without a time limit: a server
/// that runs until the process is stopped.
pub fn serve<F: Future>(work: F) -> Result<F::Output, Error> {
    Ok(runtime()?.block_on(work))
}

/// One runtime per process, made on first use.
fn runtime() -> Result<&'static tokio::runtime::Runtime, Error> {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    if let Some(r) = RUNTIME.get() {
        return Ok(r);
    }
    let made = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| Error::Io {
            what: "starting the query runtime".into(),
            source,
        })?;
    Ok(RUNTIME.get_or_init(|| made))
}
