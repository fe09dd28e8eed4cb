//! The anomaly section: events grouped from the anomalies, the most severe first.

use super::*;

/// The report's section on anomalies in exchange traffic.
#[derive(Debug, Serialize)]
pub(crate) struct AnomalySection {
    /// Department-days judged, and busy pairs.
    pub department_days: String,
    pub pairs: usize,
    /// Per kind: its label and how many.
    pub counts: Vec<(String, usize)>,
    /// The most severe events ([`ANOMALY_ROWS`] at most, [`events`]), by day.
    pub rows: Vec<AnomalyRow>,
    /// How many more events there are (all in `anomalies.csv`).
    pub more: usize,
    /// The anomaly calendar (SVG); empty where none was drawn.
    pub chart: String,
    /// The calendar as the PDF prints it (portrait or landscape).
    pub print_landscape: bool,
}

/// Anomaly events the report lists; the rest are in `anomalies.csv`.
pub(super) const ANOMALY_ROWS: usize = 40;

/// One event of anomalies: what a provider's day of one kind shows, its own series and
/// its busy pairs together. `head` is the provider's own anomaly, or the strongest pair's
/// where its own series was not flagged; `pairs` the pairs flagged besides the head.
pub(super) struct Event<'a> {
    head: &'a appraise_score::anomaly::Anomaly,
    pairs: usize,
    /// The largest |score| of the event.
    score: f64,
}

/// `anomalies` grouped into events (by day, provider and kind), in that order.
pub(super) fn events<'a>(
    anomalies: impl Iterator<Item = &'a appraise_score::anomaly::Anomaly>,
) -> Vec<Event<'a>> {
    let mut groups: BTreeMap<
        (chrono::NaiveDate, &str, &str),
        Vec<&appraise_score::anomaly::Anomaly>,
    > = BTreeMap::new();
    for a in anomalies {
        groups
            .entry((a.day, a.department_id.as_str(), a.kind.name()))
            .or_default()
            .push(a);
    }
    groups
        .into_values()
        .filter_map(|members| {
            let strongest = |m: &[&'a appraise_score::anomaly::Anomaly]| {
                m.iter().copied().max_by(|a, b| {
                    a.score
                        .abs()
                        .total_cmp(&b.score.abs())
                        .then(b.consumer_id.cmp(&a.consumer_id))
                })
            };
            let own: Vec<_> = members
                .iter()
                .copied()
                .filter(|a| a.consumer_id.is_none())
                .collect();
            let head = strongest(&own).or_else(|| strongest(&members))?;
            Some(Event {
                head,
                pairs: members.iter().filter(|a| a.consumer_id.is_some()).count()
                    - usize::from(head.consumer_id.is_some()),
                score: members.iter().map(|a| a.score.abs()).fold(0.0, f64::max),
            })
        })
        .collect()
}

/// One anomaly, in words.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AnomalyRow {
    pub day: String,
    pub department: String,
    /// The consuming department of a pair's anomaly; empty for the department's own.
    pub consumer: String,
    pub kind: String,
    pub severity: String,
    pub metric: String,
    pub observed: String,
    pub expected: String,
}

impl<'a> Views<'a> {
    /// The anomaly section: counts by kind and the most severe anomalies by day; its
    /// chart is drawn with the others.
    pub(super) fn anomaly_section(&self) -> AnomalySection {
        use appraise_score::anomaly::Kind;
        let found = self.anomalies;
        let mut worst = events(found.anomalies.iter());
        let all = worst.len();
        worst.sort_by(|a, b| b.score.total_cmp(&a.score));
        worst.truncate(ANOMALY_ROWS);
        worst.sort_by(|a, b| {
            (a.head.day, &a.head.department_id).cmp(&(b.head.day, &b.head.department_id))
        });
        AnomalySection {
            department_days: self.lang.count(found.department_days),
            pairs: found.pairs,
            counts: [Kind::Outage, Kind::LatencyRegression, Kind::Spike]
                .into_iter()
                .map(|k| {
                    (
                        self.word(&format!("anomaly:{}", k.name())),
                        found.anomalies.iter().filter(|a| a.kind == k).count(),
                    )
                })
                .collect(),
            rows: worst.iter().map(|e| self.anomaly_row(e)).collect(),
            more: all.saturating_sub(ANOMALY_ROWS),
            chart: String::new(),
            print_landscape: false,
        }
    }

    /// An event in words: its head, with the pairs flagged besides in the consumer's
    /// column.
    pub(super) fn anomaly_row(&self, e: &Event<'_>) -> AnomalyRow {
        use appraise_score::anomaly::Metric;
        let a = e.head;
        let s = &self.appraisal.current;
        let name = |id: &str| {
            s.position(id)
                .map_or_else(|| id.to_string(), |d| self.name(d))
        };
        let value = |x: f64| match a.metric {
            Metric::Volume => self.num(Some(x), 0),
            Metric::FailureRate => self.lang.percent(x),
            Metric::P90Ms => self
                .lang
                .with_unit(&self.num(Some(x), 0), &self.word("unit_ms")),
        };
        AnomalyRow {
            day: if self.anomalies.holidays.contains(&a.day) {
                self.word("anomaly_holiday")
                    .replace("{day}", &a.day.to_string())
            } else {
                a.day.to_string()
            },
            department: name(&a.department_id),
            consumer: {
                let consumer = a.consumer_id.as_deref().map_or(String::new(), name);
                let n = e.pairs.to_string();
                match (consumer.is_empty(), e.pairs) {
                    (_, 0) => consumer,
                    (true, _) => self.word("anomaly_pairs").replace("{n}", &n),
                    (false, _) => self
                        .word("anomaly_more_pairs")
                        .replace("{consumer}", &consumer)
                        .replace("{n}", &n),
                }
            },
            kind: self.word(&format!("anomaly:{}", a.kind.name())),
            severity: self.word(&format!("severity:{}", a.severity.name())),
            metric: self.word(&format!("metric:{}", a.metric.name())),
            observed: value(a.observed),
            expected: value(a.expected),
        }
    }
}
