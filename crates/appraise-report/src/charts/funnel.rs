//! A rate KPI's funnel plot: rates against cases, with control limits.

use super::*;

/// Its row of [`CHARTS`].
pub(super) const CHART: Spec = Spec {
    id: "funnel",
    title: "chart_funnel",
    section: Section::PerKpi,
    split: false,
    shown: always,
    words: WORDS,
    size,
    draw,
};

/// The keys of `strings.toml` it draws (besides `kpi:<id>`, the KPI titles).
pub(super) const WORDS: &[&str] = &["chart_funnel", "funnel_legend"];

/// A rate KPI's funnel plot: each department's rate against its cases (log scale),
/// the rate of all departments, and the 95 % (blue) and 99.8 % (grey) control limits;
/// a department outside the 99.8 % limits is drawn dark and named at the right, one
/// outside the 95 % in blue.
pub(super) fn draw(pen: &Pen<'_, Svg<'_>>, src: &Source<'_>, text: &Text, k: usize) -> R {
    let s = &src.appraisal.current;
    pen.title(&format!(
        "{} · {}",
        text.t("chart_funnel"),
        text.t(&format!("kpi:{}", s.kpis[k]))
    ))?;
    pen.note(&text.t("funnel_legend"), (80, 42))?;
    let Some(f) = src.funnels.iter().find(|f| f.kpi == k) else {
        return Ok(());
    };
    let frame = Frame::of(f);
    frame.axes(pen, text)?;
    frame.limits(pen, f)?;
    frame.points(pen, f, text)
}

/// The plot's area and scales: cases on a log scale across, the rate up.
struct Frame {
    x0: i32,
    x1: i32,
    y0: i32,
    y1: i32,
    /// The powers of ten the case axis spans.
    lo: f64,
    hi: f64,
    /// The rates the rate axis spans.
    bottom: f64,
    top: f64,
}

impl Frame {
    /// The frame of funnel `f`: the case axis spans its points' cases in whole powers of
    /// ten; the rate axis the points and the 99.8 % limits at their cases, in steps of
    /// 5 %.
    fn of(f: &Funnel) -> Frame {
        let most = f.points.iter().map(|p| p.cases).fold(1.0, f64::max);
        let fewest = f
            .points
            .iter()
            .map(|p| p.cases)
            .fold(most, f64::min)
            .max(1.0);
        let (lo, hi) = (
            fewest.log10().floor(),
            most.log10().ceil().max(fewest.log10().floor() + 1.0),
        );
        let (bottom, top) = f.points.iter().fold((f.centre, f.centre), |(b, t), p| {
            let (l, u) = f.limits(p.cases, 0.998);
            (b.min(p.rate).min(l), t.max(p.rate).max(u))
        });
        let (bottom, top) = (
            (bottom * 20.0).floor() / 20.0,
            ((top * 20.0).ceil() / 20.0).min(1.0),
        );
        let top = if top > bottom { top } else { bottom + 0.05 };
        Frame {
            x0: 80,
            x1: W as i32 - 260,
            y0: TOP,
            y1: 500,
            lo,
            hi,
            bottom,
            top,
        }
    }

    fn x(&self, n: f64) -> i32 {
        self.x0
            + ((n.max(1.0).log10() - self.lo) / (self.hi - self.lo) * f64::from(self.x1 - self.x0))
                as i32
    }

    fn y(&self, r: f64) -> i32 {
        let t = ((r - self.bottom) / (self.top - self.bottom)).clamp(0.0, 1.0);
        self.y1 - (t * f64::from(self.y1 - self.y0)) as i32
    }

    /// The rate ticks with their grid lines, and the powers of ten of the cases.
    fn axes(&self, pen: &Pen<'_, Svg<'_>>, text: &Text) -> R {
        for r in rate_ticks(self.bottom, self.top) {
            pen.line(vec![(self.x0, self.y(r)), (self.x1, self.y(r))], LIGHT, 1)?;
            pen.text(
                &format!("{}%", (r * 100.0).round()),
                (self.x0 - 8, self.y(r)),
                SMALL,
                HPos::Right,
                GREY,
            )?;
        }
        let mut e = self.lo;
        while e <= self.hi {
            let n = 10f64.powf(e);
            pen.text(
                &text.lang.number(Some(n), 0),
                (self.x(n), self.y1 + 16),
                SMALL,
                HPos::Center,
                GREY,
            )?;
            e += 1.0;
        }
        Ok(())
    }

    /// The 95 % and 99.8 % limits, drawn through 80 case counts spread evenly on the log
    /// scale, and the centre line.
    fn limits(&self, pen: &Pen<'_, Svg<'_>>, f: &Funnel) -> R {
        let (lo, hi) = (self.lo, self.hi);
        let ns: Vec<f64> = (0..=80)
            .map(|i| 10f64.powf(lo + (hi - lo) * f64::from(i) / 80.0))
            .collect();
        for (level, colour) in [(0.998, GREY), (0.95, ACCENT)] {
            for upper in [false, true] {
                let points = ns
                    .iter()
                    .map(|&n| {
                        let (l, u) = f.limits(n, level);
                        (self.x(n), self.y(if upper { u } else { l }))
                    })
                    .collect();
                pen.line(points, colour, 1)?;
            }
        }
        let centre = self.y(f.centre);
        pen.line(vec![(self.x0, centre), (self.x1, centre)], INK, 1)
    }

    /// A dot per department, darker beyond the limits; those beyond the 99.8 % limits
    /// named at the right, moved apart, with a leader to the dot.
    fn points(&self, pen: &Pen<'_, Svg<'_>>, f: &Funnel, text: &Text) -> R {
        let mut named = Vec::new();
        for p in &f.points {
            let (colour, r) = match p.signal.abs() {
                2 => (INK, 4),
                1 => (ACCENT, 3),
                _ => (GREY, 3),
            };
            let at = (self.x(p.cases), self.y(p.rate));
            pen.dot(at, r, colour)?;
            if p.signal.abs() == 2 {
                named.push((at.1, p.department, at.0));
            }
        }
        named.sort();
        let mut ys: Vec<i32> = named.iter().map(|e| e.0).collect();
        spread(&mut ys, 14, self.y0, self.y1);
        for ((dot_y, d, dot_x), label_y) in named.into_iter().zip(ys) {
            pen.line(vec![(dot_x + 4, dot_y), (self.x1 + 10, label_y)], LIGHT, 1)?;
            pen.text(
                &text.labels[d],
                (self.x1 + 14, label_y),
                SMALL,
                HPos::Left,
                INK,
            )?;
        }
        Ok(())
    }
}

/// Ticks of a rate axis from `bottom` to `top` (multiples of 5 %): at round steps of
/// 5, 10, 20, 25 or 50 %, the smallest that gives at most six.
pub(super) fn rate_ticks(bottom: f64, top: f64) -> Vec<f64> {
    // In whole percent, so that the steps add up exactly.
    let (lo, hi) = (
        (bottom * 100.0).round() as i64,
        (top * 100.0).round() as i64,
    );
    let step = [5, 10, 20, 25, 50]
        .into_iter()
        .find(|s| (hi - lo) / s <= 5)
        .unwrap_or(100);
    let first = (lo + step - 1).div_euclid(step) * step;
    (0..)
        .map(|i| first + i * step)
        .take_while(|&t| t <= hi)
        .map(|t| t as f64 / 100.0)
        .collect()
}

/// Its size in chart units.
pub(super) fn size(_: &Source<'_>, text: &Text, _: usize) -> (i32, u32) {
    (W as i32 + trend_extra(text), 560)
}
