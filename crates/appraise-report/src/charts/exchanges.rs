//! Provider × consumer exchange counts between the busiest departments.

use super::*;

/// Its row of [`CHARTS`].
pub(super) const CHART: Spec = Spec {
    id: "exchanges",
    title: "chart_exchanges",
    section: Section::Charts,
    split: false,
    shown: always,
    words: WORDS,
    size,
    draw,
};

/// The keys of `strings.toml` it draws (besides `kpi:<id>`, the KPI titles).
pub(super) const WORDS: &[&str] = &["chart_exchanges", "exchanges_axes", "no_exchanges"];

pub(super) fn draw(pen: &Pen<'_, Svg<'_>>, src: &Source<'_>, text: &Text, _: usize) -> R {
    pen.title(&text.t("chart_exchanges"))?;
    let ids = &src.exchangers;
    if ids.is_empty() {
        return pen.note(&text.t("no_exchanges"), (16, TOP));
    }
    let pos: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    // Between departments: a department's exchanges with itself, which no KPI counts,
    // are left out of the cells and of the colour scale; the diagonal is marked.
    let mut counts = vec![vec![0u64; ids.len()]; ids.len()];
    for (p, c, n) in &src.facts.volumes {
        if let (Some(&i), Some(&j)) = (pos.get(p.as_str()), pos.get(c.as_str()))
            && i != j
        {
            counts[i][j] += n;
        }
    }
    let max = counts.iter().flatten().copied().max().unwrap_or(1).max(1) as f64;
    let label_w = text.label_w();
    let cell = ((W as i32 - LABEL_W - 20) / ids.len() as i32).min(48);
    pen.note(&text.t("exchanges_axes"), (label_w, 42))?;
    for (i, id) in ids.iter().enumerate() {
        let label = format!("{} {}", i + 1, src.label(text, id));
        row_label(pen, text, &label, i as i32)?;
        let x = label_w + i as i32 * cell + cell / 2;
        pen.text(&(i + 1).to_string(), (x, TOP - 8), SMALL, HPos::Center, INK)?;
        let y = TOP + i as i32 * ROW;
        for (j, &n) in counts[i].iter().enumerate() {
            if i == j {
                pen.shaded_cell((label_w + j as i32 * cell, y), cell, None, "×")?;
                continue;
            }
            let (level, value) = if n == 0 {
                (0.0, String::new())
            } else {
                (100.0 * (n as f64).ln_1p() / max.ln_1p(), compact(n))
            };
            pen.shaded_cell((label_w + j as i32 * cell, y), cell, Some(level), &value)?;
        }
    }
    Ok(())
}

/// Its size in chart units.
pub(super) fn size(src: &Source<'_>, text: &Text, _: usize) -> (i32, u32) {
    (wide(text), rows_height(src.exchangers.len() as i32))
}
