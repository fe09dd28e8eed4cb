//! A card's rank over the periods scored, as a small SVG.

/// A rank history as a small SVG line, oldest first, rank 1 at the top of a scale from 1
/// to the most departments ranked in any period; a period without a rank breaks the
/// line. Empty where fewer than two periods have a rank. Numbers only, so it is safe
/// to place as markup.
pub(crate) fn sparkline(ranks: &[(Option<u32>, usize)]) -> String {
    use std::fmt::Write as _;
    if ranks.iter().filter(|(r, _)| r.is_some()).count() < 2 {
        return String::new();
    }
    let (w, h, pad) = (160.0, 40.0, 5.0);
    let most = ranks.iter().map(|&(_, n)| n).max().unwrap_or(1).max(2) as f64;
    let x = |i: usize| pad + i as f64 * (w - 2.0 * pad) / (ranks.len() - 1).max(1) as f64;
    let y = |r: u32| pad + (f64::from(r) - 1.0) / (most - 1.0) * (h - 2.0 * pad);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">\
         <line x1=\"{pad}\" y1=\"{pad}\" x2=\"{}\" y2=\"{pad}\" stroke=\"#dddddd\"/>",
        w - pad
    );
    let mut run: Vec<String> = Vec::new();
    let flush = |run: &mut Vec<String>, svg: &mut String| {
        if run.len() > 1 {
            let _ = write!(
                svg,
                "<polyline fill=\"none\" stroke=\"#1f60a8\" stroke-width=\"2\" points=\"{}\"/>",
                run.join(" ")
            );
        }
        run.clear();
    };
    for (i, &(rank, _)) in ranks.iter().enumerate() {
        match rank {
            Some(r) => {
                run.push(format!("{:.1},{:.1}", x(i), y(r)));
                let _ = write!(
                    svg,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"#1f60a8\"/>",
                    x(i),
                    y(r)
                );
            }
            None => flush(&mut run, &mut svg),
        }
    }
    flush(&mut run, &mut svg);
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod sparkline_tests {
    use super::sparkline;

    #[test]
    fn a_sparkline_puts_rank_one_on_top_and_breaks_at_a_gap() {
        assert_eq!(sparkline(&[(Some(3), 10)]), "");
        let svg = sparkline(&[(Some(1), 10), (Some(10), 10), (None, 10), (Some(5), 10)]);
        // Rank 1 at y = 5 (the top), rank 10 at y = 35 (the bottom).
        assert!(svg.contains("points=\"5.0,5.0 55.0,35.0\""), "{svg}");
        // After the gap, one point alone: a dot, no line.
        assert_eq!(svg.matches("<polyline").count(), 1, "{svg}");
        assert_eq!(svg.matches("<circle").count(), 3, "{svg}");
        roxmltree::Document::parse(&svg).unwrap();
    }
}
