//! Wall-clock seconds per step of a run, for `manifest.json`'s `timings`.

use std::time::Instant;

/// Each [`Laps::next`] closes the step under way and opens another; a step opened
/// again adds to its earlier time.
#[derive(Debug)]
pub struct Laps {
    current: String,
    since: Instant,
    done: Vec<(String, f64)>,
}

impl Laps {
    /// Starts timing `step`.
    pub fn start(step: &str) -> Laps {
        Laps {
            current: step.to_string(),
            since: Instant::now(),
            done: Vec::new(),
        }
    }

    /// Closes the step under way and opens `step`.
    pub fn next(&mut self, step: &str) {
        let now = Instant::now();
        let secs = (now - self.since).as_secs_f64();
        match self.done.iter_mut().find(|(s, _)| *s == self.current) {
            Some((_, t)) => *t += secs,
            None => self.done.push((self.current.clone(), secs)),
        }
        self.current = step.to_string();
        self.since = now;
    }

    /// Closes the step under way; the steps in the order first opened.
    pub fn finish(mut self) -> Vec<(String, f64)> {
        self.next("");
        self.done
    }
}
