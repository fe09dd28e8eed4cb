//! The Sobol indices of the robustness analysis.

use super::*;

/// Its row of [`CHARTS`].
pub(super) const CHART: Spec = Spec {
    id: "sensitivity",
    title: "chart_sensitivity",
    section: Section::Methodology,
    split: false,
    shown: |src| src.appraisal.robustness.is_some(),
    words: WORDS,
    size,
    draw,
};

/// The keys of `strings.toml` it draws (besides `kpi:<id>`, the KPI titles).
pub(super) const WORDS: &[&str] = &[
    "chart_sensitivity",
    "first_order",
    "total_order",
    "assumption:weights",
    "assumption:normalisation",
    "assumption:aggregation",
    "assumption:sampling",
];

/// The Sobol indices of the robustness analysis: per assumption, its first-order index
/// (the share of the rank variance it causes alone, blue) and its total index (with
/// its interactions, grey), on one 0–1 scale.
pub(super) fn draw(pen: &Pen<'_, Svg<'_>>, src: &Source<'_>, text: &Text, _: usize) -> R {
    pen.title(&text.t("chart_sensitivity"))?;
    let Some(r) = &src.appraisal.robustness else {
        return Ok(());
    };
    let (x0, x1) = (LABEL_W, W as i32 - 80);
    let x = |v: f64| x0 + (v.clamp(0.0, 1.0) * f64::from(x1 - x0)) as i32;
    // The legend: a dot and its words, one after the other.
    let mut at = x0 + 6;
    for (key, colour) in [("first_order", ACCENT), ("total_order", GREY)] {
        let words = text.t(key);
        pen.dot((at, 44), 5, colour)?;
        pen.text(&words, (at + 10, 44), SMALL, HPos::Left, INK)?;
        at += 34 + text.width(&words, SMALL);
    }
    for (i, s) in r.sobol.iter().enumerate() {
        let row = 2 * i as i32;
        let label = text.t(&format!("assumption:{}", s.assumption.name()));
        pen.text(
            &label,
            (x0 - 8, row_y(row) + ROW / 2),
            LABEL,
            HPos::Right,
            INK,
        )?;
        for (j, (v, colour)) in [(s.first_order, ACCENT), (s.total, GREY)]
            .into_iter()
            .enumerate()
        {
            let y = row_y(row + j as i32);
            pen.line(vec![(x0, y), (x1, y)], LIGHT, 1)?;
            let Some(v) = v else { continue };
            pen.rect((x0, y - 7), (x(v).max(x0 + 1), y + 7), colour.filled())?;
            pen.text(
                &text.lang.number(Some(v), 3),
                (x(v) + 6, y),
                SMALL,
                HPos::Left,
                INK,
            )?;
        }
    }
    let bottom = row_y(2 * r.sobol.len() as i32) - 4;
    for v in [0.0, 0.25, 0.5, 0.75, 1.0] {
        pen.text(&format!("{v}"), (x(v), bottom), SMALL, HPos::Center, GREY)?;
    }
    Ok(())
}

/// Its size in chart units.
pub(super) fn size(src: &Source<'_>, _: &Text, _: usize) -> (i32, u32) {
    let factors = src
        .appraisal
        .robustness
        .as_ref()
        .map_or(0, |r| r.sobol.len());
    (W as i32, rows_height(2 * factors as i32) + 8)
}
