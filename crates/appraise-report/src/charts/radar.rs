//! One department's KPI scores against its peer group's median.

use super::*;

/// Its row of [`CHARTS`].
pub(super) const CHART: Spec = Spec {
    id: "radar",
    title: "radar",
    section: Section::PerDepartment,
    split: false,
    shown: always,
    words: WORDS,
    size,
    draw,
};

/// The keys of `strings.toml` it draws (besides `kpi:<id>`, the KPI titles).
pub(super) const WORDS: &[&str] = &["radar_legend", "radar_too_few"];

/// A radar chart's width: half a card's width in print, where its smallest text
/// prints at 7.5 pt.
pub(super) const RADAR_W: i32 = 400;

pub(super) fn draw(pen: &Pen<'_, Svg<'_>>, src: &Source<'_>, text: &Text, d: usize) -> R {
    let s = &src.appraisal.current;
    // The department's name, cut to the chart's width (the card gives it whole).
    let room = (RADAR_W - 32) as f32 / em(TITLE);
    pen.title(&fit(text.labels[d].clone(), room, &text.fonts))?;
    pen.note(&text.t("radar_legend"), (16, 44))?;
    let (cx, cy, r) = (200.0, 250.0, 140.0);
    let k = s.kpis.len();
    if k < 3 {
        return pen.note(&text.t("radar_too_few"), (16, 80));
    }
    let at = |j: usize, v: f64| {
        let angle = std::f64::consts::TAU * j as f64 / k as f64 - std::f64::consts::FRAC_PI_2;
        let rr = r * v.clamp(0.0, 100.0) / 100.0;
        (
            (cx + rr * angle.cos()) as i32,
            (cy + rr * angle.sin()) as i32,
        )
    };
    for ring in [25.0, 50.0, 75.0, 100.0] {
        let mut pts: Vec<(i32, i32)> = (0..k).map(|j| at(j, ring)).collect();
        pts.push(pts[0]);
        pen.line(pts, LIGHT, 1)?;
    }
    // A KPI without a score (missing, or excluded) is a gap, not a 0: its axis label is
    // grey and struck through with `–`, and no line reaches it.
    for j in 0..k {
        let scored = s.cell(d, j).score.is_some();
        pen.line(vec![at(j, 0.0), at(j, 100.0)], LIGHT, 1)?;
        let (x, y) = at(j, 112.0);
        let key = kpi_key(&src.appraisal.scorecard, &s.kpis[j]);
        let (label, ink) = if scored {
            (key, INK)
        } else {
            (format!("{key} –"), GREY)
        };
        pen.text(&label, (x, y), SMALL, HPos::Center, ink)?;
    }
    let peer: Vec<Option<f64>> = (0..k).map(|j| s.cell(d, j).peer_median).collect();
    let own: Vec<Option<f64>> = (0..k).map(|j| s.cell(d, j).score).collect();
    radar_series(pen, &peer, &at, GREY, 0.15)?;
    radar_series(pen, &own, &at, ACCENT, 0.3)
}

/// One series of a radar: filled where every axis has a value; otherwise its points
/// and the edges between neighbours that both have one, so a gap stays a gap.
pub(super) fn radar_series(
    pen: &Pen<'_, Svg<'_>>,
    values: &[Option<f64>],
    at: &dyn Fn(usize, f64) -> (i32, i32),
    colour: RGBColor,
    alpha: f64,
) -> R {
    let k = values.len();
    if values.iter().all(Option::is_some) {
        let points = values
            .iter()
            .enumerate()
            .map(|(j, v)| at(j, v.unwrap_or(0.0)))
            .collect();
        return pen.polygon(points, colour, alpha);
    }
    for j in 0..k {
        let Some(v) = values[j] else { continue };
        pen.dot(at(j, v), 3, colour)?;
        if let Some(next) = values[(j + 1) % k] {
            pen.line(vec![at(j, v), at((j + 1) % k, next)], colour, 2)?;
        }
    }
    Ok(())
}

/// Its size in chart units.
pub(super) fn size(_: &Source<'_>, _: &Text, _: usize) -> (i32, u32) {
    (RADAR_W, 440)
}
