//! The anomaly calendar: the period's days × the departments with the most anomalies.

use super::*;

/// Its row of [`CHARTS`].
pub(super) const CHART: Spec = Spec {
    id: "anomalies",
    title: "chart_anomalies",
    section: Section::Anomalies,
    split: false,
    shown: always,
    words: WORDS,
    size,
    draw,
};

/// The keys of `strings.toml` it draws (besides `kpi:<id>`, the KPI titles).
pub(super) const WORDS: &[&str] = &[
    "chart_anomalies",
    "anomalies_none",
    "anomaly:outage",
    "anomaly:latency_regression",
    "anomaly:spike",
];

/// The departments of the anomaly calendar: those with the most anomalies (as
/// provider, their pairs' included), most first, ties by id; at most
/// [`TOP_DEPARTMENTS`].
pub(super) fn anomaly_rows<'a>(src: &Source<'a>) -> Vec<&'a str> {
    let mut count: HashMap<&str, usize> = HashMap::new();
    for a in src.anomalies {
        *count.entry(a.department_id.as_str()).or_default() += 1;
    }
    let mut rows: Vec<(&str, usize)> = count.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    rows.into_iter()
        .take(TOP_DEPARTMENTS)
        .map(|r| r.0)
        .collect()
}

/// The colour of an anomaly's kind: dark red outages, orange regressions, blue spikes;
/// three lightnesses, apart in grayscale print and for colour-blind readers.
pub(super) fn anomaly_colour(kind: AnomalyKind) -> RGBColor {
    match kind {
        AnomalyKind::Outage => FALL,
        AnomalyKind::LatencyRegression => RGBColor(240, 150, 40),
        AnomalyKind::Spike => ACCENT,
    }
}

/// The anomaly calendar: a row per department with anomalies (the most first), a
/// column per day of the period, a mark per anomaly coloured by kind, and the first of
/// each month marked below.
pub(super) fn draw(pen: &Pen<'_, Svg<'_>>, src: &Source<'_>, text: &Text, _: usize) -> R {
    pen.title(&text.t("chart_anomalies"))?;
    let rows = anomaly_rows(src);
    if rows.is_empty() {
        return pen.note(&text.t("anomalies_none"), (16, TOP));
    }
    let period = &src.appraisal.current.period;
    let days = (period.last_day - period.first_day).num_days().max(0) as i32 + 1;
    let label_w = text.label_w();
    let width = W as i32 + text.extra() - label_w - 16;
    let x = |day: chrono::NaiveDate| {
        label_w
            + (((day - period.first_day).num_days() as f64 + 0.5) * f64::from(width)
                / f64::from(days)) as i32
    };
    let mut at = label_w;
    for kind in [
        AnomalyKind::Outage,
        AnomalyKind::LatencyRegression,
        AnomalyKind::Spike,
    ] {
        let label = text.t(&format!("anomaly:{}", kind.name()));
        pen.rect((at, 37), (at + 10, 47), anomaly_colour(kind).filled())?;
        pen.text(&label, (at + 14, 42), SMALL, HPos::Left, INK)?;
        at += 34 + text.width(&label, SMALL);
    }
    let bottom = TOP + rows.len() as i32 * ROW;
    for (row, id) in rows.iter().enumerate() {
        let row = row as i32;
        row_label(pen, text, &src.label(text, id), row)?;
        let y = row_y(row);
        pen.line(vec![(label_w, y), (label_w + width, y)], LIGHT, 1)?;
        for a in src.anomalies.iter().filter(|a| a.department_id == *id) {
            // A pair's anomaly in the lower half of the row, the department's own in
            // the upper, so that both show on one day.
            let dy = if a.consumer_id.is_some() { 4 } else { -4 };
            let cx = x(a.day);
            pen.rect(
                (cx - 3, y + dy - 4),
                (cx + 3, y + dy + 4),
                anomaly_colour(a.kind).filled(),
            )?;
        }
    }
    for day in period
        .first_day
        .iter_days()
        .take_while(|d| *d <= period.last_day)
    {
        if day.day() == 1 || day == period.first_day {
            let cx = x(day);
            pen.line(vec![(cx, bottom), (cx, bottom + 5)], GREY, 1)?;
            let label = day.format("%m-%d").to_string();
            pen.text(&label, (cx, bottom + 14), SMALL, HPos::Center, GREY)?;
        }
    }
    Ok(())
}

/// Its size in chart units.
pub(super) fn size(src: &Source<'_>, text: &Text, _: usize) -> (i32, u32) {
    (
        wide(text),
        rows_height(anomaly_rows(src).len().max(1) as i32) + 24,
    )
}
