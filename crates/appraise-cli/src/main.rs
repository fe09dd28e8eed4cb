//! The `appraise` binary: `main` maps `commands::run` to an exit code.

use std::process::ExitCode;

mod cli;
mod commands;

/// A command line that cannot be carried out as given: a flag's value, or flags that do
/// not go together. The user's input (exit 1), with its fix.
#[derive(Debug, thiserror::Error)]
#[error("{reason}")]
pub(crate) struct Usage {
    /// What is wrong.
    pub reason: String,
    /// How to fix it.
    pub hint: Option<String>,
}

fn main() -> ExitCode {
    // A panic anywhere (printing to a full disk, a fault in a library) ends in an error
    // message and exit 2, not a crash.
    let outcome = appraise_data::guard::catch(commands::run)
        .unwrap_or_else(|message| Err(anyhow::anyhow!("internal fault: {message}")));
    match outcome {
        Ok(code) => code,
        // The reader of the output has gone (`appraise sql ... | head`): nothing to say.
        Err(err) if broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", message(&err));
            let (input, hint) = classify(&err);
            if let Some(hint) = hint {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(if input { 1 } else { 2 })
        }
    }
}

/// The error with its causes, each once. A failed write of appraise's own output (a
/// full or read-only disk) is told from the write on, without the step that was
/// under way ("loading DIR: "), which would blame the input.
fn message(err: &anyhow::Error) -> String {
    let causes: Vec<String> = err.chain().map(ToString::to_string).collect();
    let from = causes
        .iter()
        .position(|c| c.starts_with("cannot write "))
        .unwrap_or(0);
    let full = format!("{err:#}");
    if from == 0 {
        return full;
    }
    causes[from..].join(": ")
}

/// Whether the error is a write to a pipe whose reader has gone.
fn broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    }) || err.to_string().contains("Broken pipe")
}

/// Whether an error is the user's input (exit 1) or a fault (exit 2), and its fix: as
/// the first library error in its chain says. An error no library raised (a failed
/// write, a panic in the query engine) is a fault.
fn classify(err: &anyhow::Error) -> (bool, Option<String>) {
    // A full or read-only disk is a fault whichever step wrote: the message names the
    // output that could not be written.
    if err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(appraise_data::Error::is_storage_fault)
    }) {
        return (
            false,
            Some(
                "free space on that disk (or make it writable), or write the output elsewhere"
                    .into(),
            ),
        );
    }
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<Usage>() {
            return (true, e.hint.clone());
        }
        if let Some(e) = cause.downcast_ref::<appraise_pipeline::Error>() {
            return (e.is_input(), e.hint());
        }
        if let Some(e) = cause.downcast_ref::<appraise_data::Error>() {
            return (e.is_input(), e.hint());
        }
        if let Some(e) = cause.downcast_ref::<appraise_kpi::Error>() {
            return (e.is_input(), e.hint());
        }
        if let Some(e) = cause.downcast_ref::<appraise_score::Error>() {
            return (e.is_input(), e.hint());
        }
        if let Some(e) = cause.downcast_ref::<appraise_report::Error>() {
            return (e.is_input(), e.hint());
        }
    }
    (false, None)
}
