//! The ranking: each department's composite as a bar coloured by grade, with its 5–95 %
//! rank interval.

use super::*;

/// Its row of [`CHARTS`].
pub(super) const CHART: Spec = Spec {
    id: "ranking",
    title: "chart_ranking",
    section: Section::Charts,
    split: true,
    shown: always,
    words: WORDS,
    size: rows_size,
    draw,
};

/// The keys of `strings.toml` it draws (besides `kpi:<id>`, the KPI titles).
pub(super) const WORDS: &[&str] = &[
    "chart_ranking",
    "composite",
    "rank_interval",
    "insufficient_data",
];

/// The ranking chart: a bar per department with its grade's colour and rank interval.
/// Drawing code, one element after another down the page.
pub(super) fn draw(pen: &Pen<'_, Svg<'_>>, src: &Source<'_>, text: &Text, _: usize) -> R {
    // Long: the chart's elements one after another down the page (title, legend, a
    // row per department, axes), sharing its two scales.
    let a = src.appraisal;
    let s = &a.current;
    let bands = &a.scorecard.grades.bands;
    pen.title(&format!(
        "{} · {}",
        text.t("chart_ranking"),
        text.lang.period(&s.period)
    ))?;
    let extra = text.extra();
    let (bar0, bar1) = (LABEL_W + extra, 600 + extra);
    let (rank0, rank1) = (660 + extra, W as i32 + extra - 40);
    let n = s.departments.len().max(1) as f64;
    let rank_x = |r: f64| rank0 + ((r - 1.0) / (n - 1.0).max(1.0) * (rank1 - rank0) as f64) as i32;
    let bar_x = |v: f64| bar0 + (v.clamp(0.0, 100.0) / 100.0 * (bar1 - bar0) as f64) as i32;
    pen.note(&text.t("composite"), (bar0, TOP - 12))?;
    pen.note(&text.t("rank_interval"), (rank0, TOP - 12))?;
    // Legend: the grade colours.
    let mut x = 420 + extra;
    for (g, b) in bands.iter().enumerate() {
        pen.rect(
            (x, 14),
            (x + 12, 26),
            grade_colour(Some(g), bands.len()).filled(),
        )?;
        pen.rect((x, 14), (x + 12, 26), EDGE.stroke_width(1))?;
        pen.text(&b.grade, (x + 16, 20), LABEL, HPos::Left, INK)?;
        x += 44;
    }
    let intervals = a.robustness.as_ref().map(|r| &r.intervals);
    for (row, &d) in src.order.iter().enumerate() {
        let row = row as i32;
        let dep = &s.departments[d];
        let y = row_y(row);
        row_label(pen, text, &text.labels[d], row)?;
        match dep.composite {
            Some(v) if dep.status == Status::Ranked => {
                let colour = grade_colour(dep.grade, bands.len());
                pen.rect((bar0, y - 7), (bar_x(v), y + 7), colour.filled())?;
                pen.rect((bar0, y - 7), (bar_x(v), y + 7), EDGE.stroke_width(1))?;
                // The grade in letters beside the value: colour is never its only sign.
                let grade = dep.grade.map_or("", |g| bands[g].grade.as_str());
                pen.text(
                    &format!("{} {grade}", text.lang.number(Some(v), 1)),
                    (bar_x(v) + 4, y),
                    SMALL,
                    HPos::Left,
                    INK,
                )?;
            }
            _ => pen.text(
                &text.t("insufficient_data"),
                (bar0 + 4, y),
                SMALL,
                HPos::Left,
                GREY,
            )?,
        }
        pen.line(vec![(rank0, y), (rank1, y)], LIGHT, 1)?;
        if let Some(Some(i)) = intervals.and_then(|v| v.get(d)) {
            pen.line(vec![(rank_x(i.p05), y), (rank_x(i.p95), y)], ACCENT, 3)?;
            pen.line(
                vec![(rank_x(i.median), y - 5), (rank_x(i.median), y + 5)],
                ACCENT,
                2,
            )?;
        }
        if let Some(r) = dep.rank {
            pen.dot((rank_x(r as f64), y), 4, INK)?;
        }
    }
    let bottom = row_y(src.order.len() as i32) - 4;
    for v in [0.0, 50.0, 100.0] {
        pen.text(
            &format!("{v}"),
            (bar_x(v), bottom),
            SMALL,
            HPos::Center,
            GREY,
        )?;
    }
    rank_axis(pen, s.departments.len(), bottom, |r| rank_x(r as f64))
}
