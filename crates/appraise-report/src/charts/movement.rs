//! Ranks in the previous and the current period.

use super::*;

/// Its row of [`CHARTS`].
pub(super) const CHART: Spec = Spec {
    id: "movement",
    title: "chart_movement",
    section: Section::Charts,
    split: true,
    shown: always,
    words: WORDS,
    size: rows_size,
    draw,
};

/// The keys of `strings.toml` it draws (besides `kpi:<id>`, the KPI titles).
pub(super) const WORDS: &[&str] = &["chart_movement", "insufficient_data", "no_previous"];

/// Rank movement: a row per department in ranking order, on one rank axis, with a line
/// from last period's rank (grey dot) to this period's (dark dot), green where it rose
/// and red where it fell, and the change beside it. A row per department, so that a
/// long list can be printed in parts like the ranking.
pub(super) fn draw(pen: &Pen<'_, Svg<'_>>, src: &Source<'_>, text: &Text, _: usize) -> R {
    let a = src.appraisal;
    let s = &a.current;
    let Some(prev) = a.previous() else {
        pen.title(&text.t("chart_movement"))?;
        return pen.note(&text.t("no_previous"), (16, TOP));
    };
    let (then, now) = (text.lang.period(&prev.period), text.lang.period(&s.period));
    pen.title(&format!("{} · {then} → {now}", text.t("chart_movement")))?;
    let label_w = text.label_w();
    let right = W as i32 + text.extra();
    let (rank0, rank1) = (label_w + 16, right - 110);
    let ranks: Vec<(Option<u32>, Option<u32>)> = src
        .order
        .iter()
        .map(|&d| {
            (
                change::change(s, prev, d).previous_rank,
                s.departments[d].rank,
            )
        })
        .collect();
    let n = s.departments.len().max(prev.departments.len()).max(2) as f64;
    let x = |r: u32| rank0 + ((f64::from(r) - 1.0) / (n - 1.0) * (rank1 - rank0) as f64) as i32;
    // Legend: which dot is which period.
    pen.dot((rank0 + 4, 42), 4, GREY)?;
    pen.text(&then, (rank0 + 14, 42), SMALL, HPos::Left, GREY)?;
    let at = rank0 + 30 + text.width(&then, SMALL);
    pen.dot((at, 42), 4, INK)?;
    pen.text(&now, (at + 10, 42), SMALL, HPos::Left, INK)?;
    for (row, (&d, &(before, after))) in src.order.iter().zip(&ranks).enumerate() {
        let row = row as i32;
        let y = row_y(row);
        row_label(pen, text, &text.labels[d], row)?;
        pen.line(vec![(rank0, y), (rank1, y)], LIGHT, 1)?;
        let Some(r) = after else {
            pen.text(
                &text.t("insufficient_data"),
                (rank0 + 4, y),
                SMALL,
                HPos::Left,
                GREY,
            )?;
            continue;
        };
        let (colour, change) = match before {
            Some(p) if p > r => (RISE, format!("▲{}", p - r)),
            Some(p) if p < r => (FALL, format!("▼{}", r - p)),
            Some(_) => (GREY, "=".to_string()),
            None => (GREY, "–".to_string()),
        };
        if let Some(p) = before {
            pen.line(vec![(x(p), y), (x(r), y)], colour, 3)?;
            pen.dot((x(p), y), 4, GREY)?;
        }
        pen.dot((x(r), y), 4, INK)?;
        pen.text(&change, (right - 90, y), SMALL, HPos::Left, colour)?;
    }
    let bottom = row_y(src.order.len() as i32) - 4;
    rank_axis(pen, n as usize, bottom, |r| x(r as u32))
}
