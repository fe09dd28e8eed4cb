//! A department's change since an earlier period scored through the same scorecard.

use serde::Serialize;

use crate::score::Scores;

/// A department's change since the previous period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Change {
    /// Its composite in the previous period.
    pub previous_composite: Option<f64>,
    /// Composite now minus then.
    pub composite_change: Option<f64>,
    /// Its overall rank in the previous period.
    pub previous_rank: Option<u32>,
    /// Places gained: previous rank minus rank now (positive = moved up).
    pub rank_change: Option<i64>,
}

/// The change of the department at position `d` of `current` since `previous`, matched
/// by department id.
pub fn change(current: &Scores, previous: &Scores, d: usize) -> Change {
    let now = &current.departments[d];
    let then = previous
        .position(&now.department.id)
        .map(|p| &previous.departments[p]);
    let previous_composite = then.and_then(|t| t.composite);
    let previous_rank = then.and_then(|t| t.rank);
    Change {
        previous_composite,
        composite_change: now.composite.zip(previous_composite).map(|(a, b)| a - b),
        previous_rank,
        rank_change: now
            .rank
            .zip(previous_rank)
            .map(|(r, p)| i64::from(p) - i64::from(r)),
    }
}
