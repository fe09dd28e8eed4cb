//! The department × KPI scores, with a key of the KPIs.

use super::*;

/// Its row of [`CHARTS`].
pub(super) const CHART: Spec = Spec {
    id: "heatmap",
    title: "chart_heatmap",
    section: Section::Charts,
    split: true,
    shown: always,
    words: WORDS,
    size,
    draw,
};

/// The keys of `strings.toml` it draws (besides `kpi:<id>`, the KPI titles).
pub(super) const WORDS: &[&str] = &["chart_heatmap"];

pub(super) fn draw(pen: &Pen<'_, Svg<'_>>, src: &Source<'_>, text: &Text, _: usize) -> R {
    let s = &src.appraisal.current;
    pen.title(&format!(
        "{} · {}",
        text.t("chart_heatmap"),
        text.lang.period(&s.period)
    ))?;
    let k = s.kpis.len().max(1) as i32;
    let label_w = text.label_w();
    let cell = ((W as i32 - LABEL_W - 20) / k).min(48);
    for j in 0..s.kpis.len() {
        let x = label_w + j as i32 * cell + cell / 2;
        pen.text(
            &kpi_key(&src.appraisal.scorecard, &s.kpis[j]),
            (x, TOP - 10),
            SMALL,
            HPos::Center,
            INK,
        )?;
    }
    for (row, &d) in src.order.iter().enumerate() {
        let row = row as i32;
        row_label(pen, text, &text.labels[d], row)?;
        let y = TOP + row * ROW;
        for j in 0..s.kpis.len() {
            let score = s.cell(d, j).score;
            pen.shaded_cell(
                (label_w + j as i32 * cell, y),
                cell,
                score,
                &score.map_or("–".into(), |v| format!("{v:.0}")),
            )?;
        }
    }
    let top = row_y(src.order.len() as i32) + 8;
    let key = HeatmapKey::new(src, text);
    for (j, entry) in key.entries.iter().enumerate() {
        let (col, line) = ((j % key.columns) as i32, (j / key.columns) as i32);
        pen.text(
            entry,
            (16 + col * key.column_w, top + line * 20),
            SMALL,
            HPos::Left,
            INK,
        )?;
    }
    Ok(())
}

/// The heatmap's key, `K# KPI title`: in two columns of at least 470 px, or in one
/// where two of the longest entry do not fit the chart's width.
pub(super) struct HeatmapKey {
    entries: Vec<String>,
    column_w: i32,
    columns: usize,
}

impl HeatmapKey {
    pub(super) fn new(src: &Source<'_>, text: &Text) -> HeatmapKey {
        let entries: Vec<String> = src
            .appraisal
            .current
            .kpis
            .iter()
            .map(|id| {
                format!(
                    "{} {}",
                    kpi_key(&src.appraisal.scorecard, id),
                    text.t(&format!("kpi:{id}"))
                )
            })
            .collect();
        let column_w = entries
            .iter()
            .map(|e| text.width(e, SMALL) + 24)
            .fold(470, i32::max);
        let columns = if 16 + 2 * column_w <= W as i32 + text.extra() {
            2
        } else {
            1
        };
        HeatmapKey {
            entries,
            column_w,
            columns,
        }
    }

    pub(super) fn width(&self) -> i32 {
        16 + self.columns as i32 * self.column_w
    }

    pub(super) fn height(&self) -> u32 {
        (self.entries.len().div_ceil(self.columns) as u32) * 20 + 12
    }
}

/// Its size in chart units.
pub(super) fn size(src: &Source<'_>, text: &Text, _: usize) -> (i32, u32) {
    let key = HeatmapKey::new(src, text);
    (
        key.width().max(wide(text)),
        rows_height(src.rows() as i32) + key.height(),
    )
}
