//! The `appraise` binary: `main` maps [`run`] to an exit code.

use std::process::ExitCode;

mod cli;
mod commands;
mod output;
mod policy;

fn main() -> ExitCode {
    match commands::run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            let data_error = err
                .chain()
                .find_map(|e| e.downcast_ref::<appraise_data::Error>());
            if let Some(hint) = data_error.and_then(appraise_data::Error::hint) {
                eprintln!("hint: {hint}");
            }
            let input = data_error.is_none_or(appraise_data::Error::is_input);
            ExitCode::from(if input { 1 } else { 2 })
        }
    }
}
