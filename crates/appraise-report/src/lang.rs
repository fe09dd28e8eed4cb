//! The report's two languages: the wording (from `strings.toml`, which an office may
//! override) and the formats of numbers, dates and periods.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

/// The language of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Simplified Chinese.
    #[default]
    Zh,
    /// English.
    En,
}

impl Lang {
    /// `zh` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// A number with `decimals` places and thousands separators; `–` for none.
    pub fn number(self, v: Option<f64>, decimals: usize) -> String {
        match v {
            Some(v) if v.is_finite() => group_thousands(&format!("{v:.decimals$}")),
            _ => "–".into(),
        }
    }

    /// A count with thousands separators.
    pub fn count(self, n: u64) -> String {
        group_thousands(&n.to_string())
    }

    /// A number with its unit: `100 ms`, `100毫秒` (Chinese sets no space between a
    /// number and a Chinese unit).
    pub fn with_unit(self, number: &str, unit: &str) -> String {
        match self {
            Lang::Zh => format!("{number}{unit}"),
            Lang::En => format!("{number} {unit}"),
        }
    }

    /// A share as a percentage with one decimal.
    pub fn percent(self, v: f64) -> String {
        format!("{}%", self.number(Some(v * 100.0), 1))
    }

    /// A date: `2026年9月30日` or `30 Sep 2026`.
    pub fn date(self, d: NaiveDate) -> String {
        match self {
            Lang::Zh => format!("{}年{}月{}日", d.year(), d.month(), d.day()),
            Lang::En => d.format("%-d %b %Y").to_string(),
        }
    }

    /// A period in words: `2026年第三季度` / `Q3 2026`, `2026年7月` / `July 2026`, `2026年` /
    /// `2026`, or a range of dates.
    pub fn period(self, p: &appraise_kpi::Period) -> String {
        use appraise_kpi::PeriodKind;
        let (y, m) = (p.first_day.year(), p.first_day.month());
        match (p.kind, self) {
            (PeriodKind::Quarter, Lang::Zh) => format!("{y}年第{}季度", zh_digit((m - 1) / 3 + 1)),
            (PeriodKind::Quarter, Lang::En) => format!("Q{} {y}", (m - 1) / 3 + 1),
            (PeriodKind::Month, Lang::Zh) => format!("{y}年{m}月"),
            (PeriodKind::Month, Lang::En) => p.first_day.format("%B %Y").to_string(),
            (PeriodKind::Year, Lang::Zh) => format!("{y}年"),
            (PeriodKind::Year, Lang::En) => y.to_string(),
            (PeriodKind::Range, _) => {
                format!("{} – {}", self.date(p.first_day), self.date(p.last_day))
            }
        }
    }
}

fn zh_digit(q: u32) -> &'static str {
    ["〇", "一", "二", "三", "四"]
        .get(q as usize)
        .copied()
        .unwrap_or("?")
}

/// Inserts `,` every three digits of the integer part of a formatted number.
fn group_thousands(s: &str) -> String {
    let (sign, rest) = s.strip_prefix('-').map_or(("", s), |r| ("-", r));
    let (int, frac) = rest
        .split_once('.')
        .map_or((rest, None), |(i, f)| (i, Some(f)));
    let mut out = String::with_capacity(s.len() + int.len() / 3);
    out.push_str(sign);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Lang {
    type Err = String;

    fn from_str(s: &str) -> Result<Lang, String> {
        match s {
            "zh" => Ok(Lang::Zh),
            "en" => Ok(Lang::En),
            _ => Err(format!("unknown language {s:?}: zh or en")),
        }
    }
}

/// The report's wording in one language: key → text.
#[derive(Debug, Clone, Default, serde::Serialize)]
#[serde(transparent)]
pub struct Strings(pub BTreeMap<String, String>);

impl Strings {
    /// The text for `key`; the key itself where the strings file lacks it, so that a
    /// missing translation shows and is easy to spot.
    pub fn get(&self, key: &str) -> String {
        self.0.get(key).cloned().unwrap_or_else(|| key.to_string())
    }

    /// The text for `key` with each `{name}` of `args` replaced by its value.
    pub fn fill(&self, key: &str, args: &[(&str, &str)]) -> String {
        args.iter().fold(self.get(key), |text, (name, value)| {
            text.replace(&format!("{{{name}}}"), value)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_group_thousands_and_keep_decimals() {
        assert_eq!(Lang::En.number(Some(1234567.891), 2), "1,234,567.89");
        assert_eq!(Lang::Zh.number(Some(-1234.5), 1), "-1,234.5");
        assert_eq!(Lang::En.number(Some(999.0), 0), "999");
        assert_eq!(Lang::En.number(None, 2), "–");
        assert_eq!(Lang::En.number(Some(f64::NAN), 2), "–");
        assert_eq!(Lang::En.count(1000), "1,000");
        assert_eq!(Lang::Zh.percent(0.1234), "12.3%");
        assert_eq!(Lang::En.percent(0.5), "50.0%");
        assert_eq!(Lang::Zh.with_unit("1,000", "毫秒"), "1,000毫秒");
        assert_eq!(Lang::En.with_unit("1,000", "ms"), "1,000 ms");
    }

    #[test]
    fn periods_and_dates_in_words() {
        let p = |label: &str| label.parse::<appraise_kpi::Period>().unwrap();
        assert_eq!(Lang::En.period(&p("2026")), "2026");
        assert_eq!(Lang::Zh.period(&p("2026Q3")), "2026年第三季度");
        assert_eq!(Lang::En.period(&p("2026Q3")), "Q3 2026");
        assert_eq!(Lang::Zh.period(&p("2026-07")), "2026年7月");
        assert_eq!(Lang::En.period(&p("2026-07")), "July 2026");
        assert_eq!(Lang::Zh.period(&p("2026")), "2026年");
        assert_eq!(
            Lang::En.period(&p("2026-07-01..2026-09-30")),
            "1 Jul 2026 – 30 Sep 2026"
        );
        let d = NaiveDate::from_ymd_opt(2026, 9, 30).unwrap_or_default();
        assert_eq!(Lang::Zh.date(d), "2026年9月30日");
    }
}
