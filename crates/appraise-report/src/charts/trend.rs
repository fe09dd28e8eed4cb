//! The composites over the periods scored.

use super::*;

/// Its row of [`CHARTS`].
pub(super) const CHART: Spec = Spec {
    id: "trend",
    title: "chart_trend",
    section: Section::Charts,
    split: false,
    shown: always,
    words: WORDS,
    size,
    draw,
};

/// The keys of `strings.toml` it draws (besides `kpi:<id>`, the KPI titles).
pub(super) const WORDS: &[&str] = &["chart_trend", "trend_note"];

pub(super) fn draw(pen: &Pen<'_, Svg<'_>>, src: &Source<'_>, text: &Text, _: usize) -> R {
    // Long: the chart's elements one after another (title, axes, the grey lines, the
    // coloured ones, their names), sharing its two scales.
    let a = src.appraisal;
    let s = &a.current;
    pen.title(&text.t("chart_trend"))?;
    // Oldest first.
    let periods: Vec<&appraise_score::Scores> =
        a.history.iter().rev().chain(std::iter::once(s)).collect();
    let (x0, x1, y0, y1) = (80, W as i32 - 260, TOP, 500);
    let x = |i: usize| {
        if periods.len() < 2 {
            (x0 + x1) / 2
        } else {
            x0 + (i as i32) * (x1 - x0) / (periods.len() as i32 - 1)
        }
    };
    let y = |v: f64| y1 - (v.clamp(0.0, 100.0) / 100.0 * (y1 - y0) as f64) as i32;
    for v in [0.0, 25.0, 50.0, 75.0, 100.0] {
        pen.line(vec![(x0, y(v)), (x1, y(v))], LIGHT, 1)?;
        pen.text(&format!("{v}"), (x0 - 8, y(v)), SMALL, HPos::Right, GREY)?;
    }
    for (i, p) in periods.iter().enumerate() {
        pen.text(
            &text.lang.period(&p.period),
            (x(i), y1 + 16),
            SMALL,
            HPos::Center,
            INK,
        )?;
    }
    let n_bands = a.scorecard.grades.bands.len();
    pen.note(&text.t("trend_note"), (x0, 42))?;
    // The five highest- and lowest-ranked departments are drawn in their grade's colour
    // and named at their line's end; the others are grey, behind them.
    let ranked: Vec<usize> = src
        .order
        .iter()
        .copied()
        .filter(|&d| s.departments[d].rank.is_some())
        .collect();
    let named: Vec<usize> = if ranked.len() <= 2 * TREND_NAMED {
        ranked.clone()
    } else {
        ranked[..TREND_NAMED]
            .iter()
            .chain(&ranked[ranked.len() - TREND_NAMED..])
            .copied()
            .collect()
    };
    let line_of = |d: usize| -> Vec<(i32, i32)> {
        let id = &s.departments[d].department.id;
        periods
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let v = p.departments[p.position(id)?].composite?;
                Some((x(i), y(v)))
            })
            .collect()
    };
    for &d in src.order.iter().filter(|d| !named.contains(d)) {
        let pts = line_of(d);
        if pts.len() > 1 {
            pen.line(pts, LIGHT, 1)?;
        }
    }
    let mut ends = Vec::new();
    for &d in &named {
        let pts = line_of(d);
        let Some(&last) = pts.last() else {
            continue;
        };
        let colour = grade_colour(s.departments[d].grade, n_bands);
        if pts.len() > 1 {
            pen.line(pts.clone(), colour, 2)?;
        }
        for &p in &pts {
            pen.dot(p, 3, colour)?;
        }
        ends.push((last.1, d, last.0));
    }
    name_line_ends(pen, text, ends, (y0, y1))
}

/// How much wider than [`W`] the trend chart is, so that the names at its line ends
/// fit to the right of the plot.
pub(super) fn trend_extra(text: &Text) -> i32 {
    (text.widest(SMALL) + 14 + 16 - 260).max(0)
}

/// Labels beside line ends `(y, department, x)`, moved apart just enough not to
/// overlap within `span`, with a leader where one had to move.
pub(super) fn name_line_ends(
    pen: &Pen<'_, Svg<'_>>,
    text: &Text,
    mut ends: Vec<(i32, usize, i32)>,
    span: (i32, i32),
) -> R {
    ends.sort();
    let mut ys: Vec<i32> = ends.iter().map(|e| e.0).collect();
    spread(&mut ys, 14, span.0, span.1);
    for ((line_y, d, lx), label_y) in ends.into_iter().zip(ys) {
        if label_y != line_y {
            pen.line(vec![(lx + 3, line_y), (lx + 12, label_y)], GREY, 1)?;
        }
        pen.text(&text.labels[d], (lx + 14, label_y), SMALL, HPos::Left, INK)?;
    }
    Ok(())
}

/// Departments named at each end of the trend chart's ranking.
pub(super) const TREND_NAMED: usize = 5;

/// Its size in chart units.
pub(super) fn size(_: &Source<'_>, text: &Text, _: usize) -> (i32, u32) {
    (W as i32 + trend_extra(text), 560)
}
