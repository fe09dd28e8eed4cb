//! Budgets for the templates an office supplies (`--templates`).
//!
//! minijinja's fuel caps the instructions a page takes, but not the memory a value
//! takes (`{% set s = s ~ s %}` forty times asks for a terabyte), and the Typst
//! typesetter has no budget at all and cannot be stopped once it runs (a loop of 10¹⁰
//! steps runs for hours). So while an office's template renders, a [`Watch`] looks at
//! the clock and at the memory the process holds; past either budget it ends the
//! process with an error naming the template (exit 1): there is no other way to stop
//! the typesetter. What the run staged is cleared by the next run, as after a kill.
//!
//! The budgets: [`TIMEOUT_ENV`] seconds (default 300) and [`MEMORY_ENV`] MiB of memory
//! beyond what the process held when the template started (default 2,048). The
//! built-in templates are trusted and not watched.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// The environment variable giving the seconds an office's template may render for.
pub const TIMEOUT_ENV: &str = "APPRAISE_TEMPLATE_TIMEOUT";

/// The environment variable giving the MiB of memory an office's template may take.
pub const MEMORY_ENV: &str = "APPRAISE_TEMPLATE_MEMORY";

const DEFAULT_SECONDS: u64 = 300;
const DEFAULT_MIB: u64 = 2048;

/// The most bytes one page rendered from a minijinja template may hold.
pub(crate) const MAX_PAGE_BYTES: usize = 256 << 20;

/// Watches one render of an office's template while it lives.
pub(crate) struct Watch {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Watch {
    /// Starts watching the render of `template`; `None` for a built-in template.
    pub(crate) fn start(template: &Path, built_in: bool) -> Option<Watch> {
        if built_in {
            return None;
        }
        let seconds = setting(TIMEOUT_ENV, DEFAULT_SECONDS);
        let limit = setting(MEMORY_ENV, DEFAULT_MIB) << 20;
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let template: PathBuf = template.to_path_buf();
        let watching = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let (lock, wake) = &*watching;
            let start = Instant::now();
            let base = resident().unwrap_or(0);
            let Ok(mut stopped) = lock.lock() else { return };
            while !*stopped {
                let waited = wake.wait_timeout(stopped, Duration::from_millis(20));
                let Ok((s, _)) = waited else { return };
                stopped = s;
                if *stopped {
                    return;
                }
                if start.elapsed() > Duration::from_secs(seconds) {
                    over(
                        &template,
                        &format!("it rendered for more than {seconds} s"),
                        TIMEOUT_ENV,
                    );
                }
                if resident().is_some_and(|now| now.saturating_sub(base) > limit) {
                    over(
                        &template,
                        &format!("it took more than {} MiB of memory", limit >> 20),
                        MEMORY_ENV,
                    );
                }
            }
        });
        Some(Watch {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let (lock, wake) = &*self.stop;
        if let Ok(mut stopped) = lock.lock() {
            *stopped = true;
        }
        wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Ends the process: the template ran past its budget.
fn over(template: &Path, why: &str, setting: &str) -> ! {
    eprintln!(
        "error: {}: the template was stopped: {why}\nhint: fix the template (a loop that does \
         not end, a text that keeps doubling), or remove it from the --templates folder to use \
         the default; {setting} sets another budget",
        template.display()
    );
    std::process::exit(1)
}

/// A whole-number setting from the environment, or its default.
fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|&v| v > 0)
        .unwrap_or(default)
}

/// The bytes of memory the process holds (its resident set), where the system says.
fn resident() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// A writer that refuses to grow past [`MAX_PAGE_BYTES`]: a minijinja page is
/// rendered into it, so no template can write without bound.
pub(crate) struct Capped(pub(crate) Vec<u8>);

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.0.len() + buf.len() > MAX_PAGE_BYTES {
            return Err(std::io::Error::other(format!(
                "the page grew past {} MiB",
                MAX_PAGE_BYTES >> 20
            )));
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_page_cannot_grow_past_its_cap() {
        let mut page = Capped(Vec::new());
        page.write_all(&vec![b'x'; MAX_PAGE_BYTES]).unwrap();
        assert!(page.write_all(b"y").is_err());
        assert_eq!(page.0.len(), MAX_PAGE_BYTES);
    }

    #[test]
    fn a_built_in_template_is_not_watched() {
        assert!(Watch::start(Path::new("report.typ"), true).is_none());
        // A watch that ends before its budget lets the process go on.
        drop(Watch::start(Path::new("mine/report.typ"), false));
    }
}
