//! What was done to a department's KPI value on its way to a score.

bitflags::bitflags! {
    /// Flags of one department × KPI cell, written `;`-separated in `scores.csv`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct Flags: u16 {
        /// The value rests on fewer cases than the KPI's `min_sample`: counted as missing.
        const BELOW_MIN_SAMPLE = 1;
        /// Winsorised by the `auto` transform.
        const WINSORISED = 1 << 1;
        /// Log-transformed by the `auto` transform's fallback.
        const LOG_FALLBACK = 1 << 2;
        /// Missing, scored 0 by the `zero` rule.
        const IMPUTED_ZERO = 1 << 3;
        /// Missing, given the peer median score by the `median` rule.
        const IMPUTED_MEDIAN = 1 << 4;
        /// Missing, left out by the `exclude` rule (weights renormalised).
        const EXCLUDED = 1 << 5;
        /// Every department of the peer group has the same value (minmax 100, zscore 50).
        const CONSTANT = 1 << 6;
        /// ln(1 + x) is undefined for the value: counted as missing.
        const INVALID_FOR_LOG = 1 << 7;
        /// A rate behind fewer than [`crate::rates::LOW_N`] cases: read it with its
        /// interval.
        const LOW_N = 1 << 8;
    }
}

impl Flags {
    /// No flag.
    pub const NONE: Flags = Flags::empty();

    /// The flag names, `;`-separated (`winsorised;constant`), empty for none.
    pub fn names(self) -> String {
        self.iter_names()
            .map(|(name, _)| name.to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join(";")
    }

    /// Whether the cell's score comes from the missing-value rule, not a value.
    pub fn imputed(self) -> bool {
        self.intersects(Flags::IMPUTED_ZERO | Flags::IMPUTED_MEDIAN)
    }
}

impl serde::Serialize for Flags {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.names())
    }
}

#[cfg(test)]
mod tests {
    use super::Flags;

    #[test]
    fn names_are_lowercase_and_joined() {
        assert_eq!(
            (Flags::WINSORISED | Flags::CONSTANT).names(),
            "winsorised;constant"
        );
        assert_eq!(Flags::NONE.names(), "");
        assert_eq!(Flags::BELOW_MIN_SAMPLE.names(), "below_min_sample");
    }
}
