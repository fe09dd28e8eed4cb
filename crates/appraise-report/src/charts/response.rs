//! The response-time spread of the busiest providers.

use super::*;

/// Its row of [`CHARTS`].
pub(super) const CHART: Spec = Spec {
    id: "response",
    title: "chart_response",
    section: Section::Charts,
    split: false,
    shown: always,
    words: WORDS,
    size,
    draw,
};

/// The keys of `strings.toml` it draws (besides `kpi:<id>`, the KPI titles).
pub(super) const WORDS: &[&str] = &[
    "chart_response",
    "no_exchanges",
    "response_legend",
    "unit_ms",
];

pub(super) fn draw(pen: &Pen<'_, Svg<'_>>, src: &Source<'_>, text: &Text, _: usize) -> R {
    pen.title(&text.t("chart_response"))?;
    let spreads = &src.providers;
    if spreads.is_empty() {
        return pen.note(&text.t("no_exchanges"), (16, TOP));
    }
    let label_w = text.label_w();
    pen.note(&text.t("response_legend"), (label_w, 42))?;
    // A log scale over whole powers of ten that hold every quantile.
    let lo = spreads
        .iter()
        .map(|s| s.quantiles[0])
        .fold(f64::INFINITY, f64::min)
        .max(1.0)
        .log10()
        .floor();
    let hi = spreads
        .iter()
        .map(|s| s.quantiles[4])
        .fold(1.0, f64::max)
        .log10()
        .ceil()
        .max(lo + 1.0);
    let (x0, x1) = (label_w + 10, W as i32 + text.extra() - 40);
    let x = |ms: f64| x0 + ((ms.max(1.0).log10() - lo) / (hi - lo) * (x1 - x0) as f64) as i32;
    let bottom = row_y(spreads.len() as i32) - 4;
    let mut e = lo;
    while e <= hi {
        let v = 10f64.powf(e);
        pen.line(vec![(x(v), TOP), (x(v), bottom - 10)], LIGHT, 1)?;
        pen.text(
            &text
                .lang
                .with_unit(&text.lang.number(Some(v), 0), &text.t("unit_ms")),
            (x(v), bottom),
            SMALL,
            HPos::Center,
            GREY,
        )?;
        e += 1.0;
    }
    for (row, sp) in spreads.iter().enumerate() {
        let row = row as i32;
        let y = row_y(row);
        row_label(pen, text, &src.label(text, &sp.provider), row)?;
        let [p05, p25, p50, p75, p95] = sp.quantiles.map(&x);
        pen.line(vec![(p05, y), (p25, y)], INK, 1)?;
        pen.line(vec![(p75, y), (p95, y)], INK, 1)?;
        pen.line(vec![(p05, y - 4), (p05, y + 4)], INK, 1)?;
        pen.line(vec![(p95, y - 4), (p95, y + 4)], INK, 1)?;
        pen.rect(
            (p25, y - 7),
            (p75.max(p25 + 1), y + 7),
            ACCENT.mix(0.35).filled(),
        )?;
        pen.rect(
            (p25, y - 7),
            (p75.max(p25 + 1), y + 7),
            ACCENT.stroke_width(1),
        )?;
        pen.line(vec![(p50, y - 7), (p50, y + 7)], INK, 2)?;
    }
    Ok(())
}

/// Its size in chart units.
pub(super) fn size(src: &Source<'_>, text: &Text, _: usize) -> (i32, u32) {
    (wide(text), rows_height(src.providers.len() as i32))
}
