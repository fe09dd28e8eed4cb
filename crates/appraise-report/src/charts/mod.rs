//! The report's charts, drawn with plotters into SVG (inline in the HTML report) and PNG
//! (for slides and documents), one file each in this folder.
//!
//! Every chart is laid out by hand in pixels on a plotters drawing area: rows of
//! departments with their labels, so that every label is written exactly once and no
//! axis library decides to drop one. Column headers that would need rotated text are
//! numbered instead (`K1`…), with a key below the chart.
//!
//! | chart | file | what it shows |
//! | --- | --- | --- |
//! | ranking | `charts/ranking` | composite per department, coloured by grade, with the 5–95 % rank interval |
//! | heatmap | `charts/heatmap` | department × KPI scores |
//! | radar | `charts/radar/<dept>` | one department's KPI scores against its peer median |
//! | trend | `charts/trend` | composites over the periods scored |
//! | exchanges | `charts/exchanges` | provider × consumer exchange counts, busiest departments |
//! | response | `charts/response` | response-time spread (5/25/50/75/95 %), busiest providers |
//! | movement | `charts/movement` | ranks in the previous and the current period |
//! | funnel | `charts/funnel/<kpi>` | a rate KPI's rates against their cases, with 95 % and 99.8 % control limits |
//! | sensitivity | `charts/sensitivity` | the Sobol indices of the robustness analysis |
//! | anomalies | `charts/anomalies` | the period's days × the departments with the most anomalies, a mark per anomaly by kind |

use std::collections::HashMap;
use std::path::Path;

use chrono::Datelike;

use appraise_kpi::facts::{ExchangeFacts, ResponseSpread};
use appraise_score::anomaly::{Anomaly, Kind as AnomalyKind};
use appraise_score::funnel::{Funnel, funnels};
use appraise_score::{Appraisal, Status, change};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::Error;
use crate::fonts::Fonts;
use crate::lang::{Lang, Strings};

mod anomalies;
mod exchanges;
mod funnel;
mod heatmap;
mod movement;
mod radar;
mod ranking;
mod response;
mod sensitivity;
mod sparkline;
mod trend;

pub(crate) use sparkline::sparkline;
use trend::trend_extra;

/// Departments shown in the exchange matrix and the response-time chart, and so how
/// many response spreads the report needs ([`appraise_kpi::Engine::exchange_facts`]).
pub const TOP_DEPARTMENTS: usize = 15;

/// The keys of `strings.toml` that charts draw (besides `kpi:<id>`, the KPI titles):
/// each chart's [`Spec::words`].
pub(crate) fn words() -> impl Iterator<Item = &'static str> {
    CHARTS.iter().flat_map(|c| c.words.iter().copied())
}

/// One chart, drawn.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Chart {
    /// Its path under `charts/`, without extension: `ranking`, `radar/<stem>`.
    pub id: String,
    /// Its title.
    pub title: String,
    /// The SVG document.
    pub svg: String,
    /// What a reader needs to read it, under it: for a funnel plot, what the limits
    /// mean and which departments lie outside them; empty for most.
    pub note: String,
    /// Whether the PDF prints it on a landscape page (its text would be too small
    /// across a portrait one: [`crate::print_charts`]).
    pub landscape: bool,
    /// What it draws, to draw it again for print.
    #[serde(skip)]
    pub(crate) kind: Option<Kind>,
}

impl Chart {
    /// Its width and height in chart units, and the em size of its smallest text:
    /// read from the SVG document as plotters writes it.
    pub(crate) fn measure(&self) -> Option<(f64, f64, f64)> {
        let attr = |name: &str| {
            let at = self.svg.find(&format!("{name}=\""))? + name.len() + 2;
            let end = at + self.svg[at..].find('"')?;
            self.svg[at..end].parse::<f64>().ok()
        };
        let smallest = self
            .svg
            .split("font-size=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next()?.parse::<f64>().ok())
            .fold(f64::INFINITY, f64::min);
        Some((attr("width")?, attr("height")?, smallest))
    }
}

/// What a chart writes in words: the wording and the department labels, whole up to
/// [`LABEL_EMS`] (a chart makes room for its longest label rather than cut it, up to
/// that bound).
pub(crate) struct Text {
    strings: Strings,
    lang: Lang,
    /// Per department of `Appraisal::current`, in its order.
    labels: Vec<String>,
    /// The chart font, to measure with.
    fonts: Fonts,
    /// The widest label's width at 1 px (widths grow with the size).
    widest: f32,
}

/// The widest a department label is drawn, in ems: 40 Chinese characters, or about 80
/// letters of an English name (the longest names of a province run to about 35 ems). A
/// longer name is cut to fit with "…" (the tables and cards give it whole), so that no
/// name can widen a chart without bound.
const LABEL_EMS: f32 = 40.0;

/// `label` cut with "…" to at most `ems` wide (at 1 px); as it is where it fits.
fn fit(label: String, ems: f32, fonts: &Fonts) -> String {
    if fonts.width(&label, 1.0) <= ems {
        return label;
    }
    let chars: Vec<char> = label.chars().collect();
    let cut = |n: usize| chars[..n].iter().collect::<String>().trim_end().to_string() + "…";
    // The longest prefix that fits with its ellipsis (widths grow with the prefix).
    let (mut lo, mut hi) = (0, chars.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if fonts.width(&cut(mid), 1.0) <= ems {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    cut(lo)
}

impl Text {
    pub(crate) fn new(strings: Strings, lang: Lang, labels: Vec<String>, fonts: &Fonts) -> Text {
        let labels: Vec<String> = labels
            .into_iter()
            .map(|l| fit(l, LABEL_EMS, fonts))
            .collect();
        let widest = labels
            .iter()
            .map(|l| fonts.width(l, 1.0))
            .fold(0.0, f32::max);
        Text {
            strings,
            lang,
            labels,
            fonts: fonts.clone(),
            widest,
        }
    }

    pub(crate) fn t(&self, key: &str) -> String {
        self.strings.get(key)
    }

    /// The width of `s` drawn at plotters' `size`, rounded up.
    fn width(&self, s: &str, size: f64) -> i32 {
        self.fonts.width(s, em(size)).ceil() as i32
    }

    /// The widest label drawn at plotters' `size`, rounded up.
    fn widest(&self, size: f64) -> i32 {
        (self.widest * em(size)).ceil() as i32
    }

    /// The label column of a chart with a row per department: [`LABEL_W`], or wide
    /// enough for the widest label with a rank or number (`150 `) beside it.
    fn label_w(&self) -> i32 {
        LABEL_W.max(self.widest(LABEL) + self.width("150 ", LABEL) + 16)
    }

    /// How much wider than [`LABEL_W`] the label column is.
    fn extra(&self) -> i32 {
        self.label_w() - LABEL_W
    }
}

/// Where a chart goes in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    /// Among the report's charts.
    Charts,
    /// One per rate KPI, among the report's charts (the funnel plots).
    PerKpi,
    /// Its own section (the anomaly calendar).
    Anomalies,
    /// Beside its table in the methodology (the Sobol indices).
    Methodology,
    /// One per department, on its card (the radars).
    PerDepartment,
}

impl Section {
    /// Whether its charts are also written as PNG: those the report links to its
    /// image, not a department's radar, which its card (HTML and PDF) shows as SVG and
    /// nothing links as PNG (200 radars rasterised were most of the charts' time).
    pub(crate) fn png(self) -> bool {
        self != Section::PerDepartment
    }
}

/// The drawing backend of every chart: the SVG is drawn, the PNG rasterised from it.
type Svg<'a> = SVGBackend<'a>;

/// A chart the report can draw: a file in this folder and a row of [`CHARTS`].
pub(crate) struct Spec {
    /// Its file stem under `charts/` (the folder of a per-KPI or per-department chart).
    pub id: &'static str,
    /// The key of its title in `strings.toml`.
    pub title: &'static str,
    /// Where it goes.
    pub section: Section,
    /// Whether print splits it into parts of fewer rows where it is too tall for a page.
    pub split: bool,
    /// The keys of `strings.toml` it draws: the font check reads them.
    pub words: &'static [&'static str],
    /// Whether the report has it (the Sobol indices need the robustness analysis).
    shown: fn(&Source<'_>) -> bool,
    /// Its size in chart units, for its argument (the KPI or department position).
    size: fn(&Source<'_>, &Text, usize) -> (i32, u32),
    /// Draws it.
    draw: fn(&Pen<'_, Svg<'_>>, &Source<'_>, &Text, usize) -> R,
}

impl Spec {
    /// Whether the report has this chart.
    pub(crate) fn shown(&self, src: &Source<'_>) -> bool {
        (self.shown)(src)
    }
}

/// Every chart, in the order they are drawn and shown. Adding a chart: its file here
/// (its [`Spec`] as `CHART`, with `draw` and `size`), its row, and its title in
/// `strings.toml`.
pub(crate) const CHARTS: [Spec; 10] = [
    ranking::CHART,
    heatmap::CHART,
    trend::CHART,
    movement::CHART,
    exchanges::CHART,
    response::CHART,
    anomalies::CHART,
    sensitivity::CHART,
    funnel::CHART,
    radar::CHART,
];

/// A [`Spec::shown`] for a chart every report has.
fn always(_: &Source<'_>) -> bool {
    true
}

/// One chart to draw: a row of [`CHARTS`] and its argument (the position of the KPI of
/// a funnel plot, of the department of a radar; 0 for the others).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Kind {
    /// Its row of [`CHARTS`].
    pub chart: usize,
    /// Its argument.
    pub arg: usize,
}

impl Kind {
    /// Its row of [`CHARTS`].
    pub(crate) fn spec(self) -> &'static Spec {
        &CHARTS[self.chart]
    }
}

/// Everything a chart reads, with what several charts derive from it worked out once.
pub(crate) struct Source<'a> {
    appraisal: &'a Appraisal,
    /// `Appraisal::current`'s departments in ranking order.
    order: Vec<usize>,
    /// The busiest departments of the exchange log, busiest first.
    exchangers: Vec<String>,
    /// The response spreads of the busiest providers, busiest first.
    providers: Vec<&'a ResponseSpread>,
    /// The rate KPIs' funnels, worked out once for every funnel chart and its parts.
    funnels: std::sync::Arc<Vec<Funnel>>,
    facts: &'a ExchangeFacts,
    anomalies: &'a [Anomaly],
}

impl<'a> Source<'a> {
    pub(crate) fn new(
        appraisal: &'a Appraisal,
        facts: &'a ExchangeFacts,
        anomalies: &'a [Anomaly],
    ) -> Source<'a> {
        Source {
            appraisal,
            order: appraisal.current.ranking_order(),
            exchangers: top_exchangers(facts),
            providers: top_providers(facts),
            funnels: std::sync::Arc::new(funnels(&appraisal.current)),
            facts,
            anomalies,
        }
    }

    /// The rate KPIs' funnels, in the scores' KPI order.
    pub(crate) fn funnels(&self) -> &[Funnel] {
        &self.funnels
    }

    /// The same source with only the rows `rows` of the ranking order: a part of a long
    /// ranking or heatmap, for print (its scales stay those of the whole).
    pub(crate) fn part(&self, rows: std::ops::Range<usize>) -> Source<'a> {
        Source {
            appraisal: self.appraisal,
            order: self.order[rows].to_vec(),
            exchangers: self.exchangers.clone(),
            providers: self.providers.clone(),
            funnels: self.funnels.clone(),
            facts: self.facts,
            anomalies: self.anomalies,
        }
    }

    /// How many departments the ranking order holds.
    pub(crate) fn rows(&self) -> usize {
        self.order.len()
    }

    /// The label of a department id; the id itself for one not in the departments table.
    fn label(&self, text: &Text, id: &str) -> String {
        self.appraisal
            .current
            .position(id)
            .map_or_else(|| id.to_string(), |d| text.labels[d].clone())
    }
}

type R = Result<(), String>;

/// Text sizes (plotters' sizes: see [`em`]): chart titles, department labels and
/// notes, axis and value text, and the values in grid cells.
const TITLE: f64 = 22.0;
const LABEL: f64 = 17.0;
const SMALL: f64 = 16.0;
const CELL: f64 = 16.0;

/// The em size in pixels of text drawn at plotters' `size`: its SVG backend writes
/// `font-size` as the size / 1.24.
fn em(size: f64) -> f32 {
    (size / 1.24) as f32
}

/// Draws `kind` as SVG (returned) and, where its section has one ([`Section::png`]),
/// PNG (written to `png`), with `svg_text`; the PNG with `png_text` where given
/// (substitutes for glyphs the chart font lacks).
pub(crate) fn render(
    kind: Kind,
    src: &Source<'_>,
    svg_text: &Text,
    png_text: Option<&Text>,
    png: &Path,
    fonts: &Fonts,
) -> Result<String, Error> {
    let fail = |e: String| Error::Chart {
        chart: png.display().to_string(),
        reason: e,
    };
    let svg_with = |text: &Text| svg_of(kind, src, text).map_err(fail);
    let started = std::time::Instant::now();
    let svg = svg_with(svg_text)?;
    if !kind.spec().section.png() {
        return Ok(svg);
    }
    let drawn = started.elapsed().as_secs_f64();
    // The PNG is the SVG (with the PNG's wording) rasterised at twice its size, its
    // text shaped with the chart font: print density, and glyphs spaced as the font
    // says.
    let for_png = match png_text {
        None => svg.clone(),
        Some(text) => svg_with(text)?,
    };
    let bytes = rasterise(&for_png, fonts).map_err(fail)?;
    std::fs::write(png, bytes).map_err(|e| fail(e.to_string()))?;
    tracing::debug!(
        chart = %png.display(),
        drawn,
        rasterised = started.elapsed().as_secs_f64() - drawn,
        "chart"
    );
    Ok(svg)
}

/// The SVG of a chart.
pub(crate) fn svg_of(kind: Kind, src: &Source<'_>, text: &Text) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size(kind, src, text)).into_drawing_area();
        draw(kind, src, text, &root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// How many PNG pixels a chart unit takes: 960-unit charts become 1,920 px wide.
pub const PNG_SCALE: f32 = 2.0;

/// The most pixels a PNG chart takes (64 MiB of RGBA): a chart larger at
/// [`PNG_SCALE`] (thousands of departments in one ranking) is drawn at the scale that
/// fits, so that memory stays bounded whatever the data.
const MAX_PIXELS: f32 = 16.0 * 1024.0 * 1024.0;

/// An SVG as PNG bytes at [`PNG_SCALE`] (less where that passes [`MAX_PIXELS`]), on
/// white.
fn rasterise(svg: &str, fonts: &Fonts) -> Result<Vec<u8>, String> {
    use resvg::tiny_skia::{Color, Pixmap, Transform};
    let tree =
        resvg::usvg::Tree::from_str(svg, fonts.raster_options()).map_err(|e| e.to_string())?;
    let units = tree.size().width() * tree.size().height();
    let scale = PNG_SCALE.min((MAX_PIXELS / units.max(1.0)).sqrt());
    let size = tree
        .size()
        .to_int_size()
        .scale_by(scale)
        .ok_or("the chart has no size")?;
    let mut pixmap = Pixmap::new(size.width(), size.height()).ok_or("the chart has no size")?;
    pixmap.fill(Color::WHITE);
    resvg::render(
        &tree,
        Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(|e| e.to_string())
}

const W: u32 = 960;
const ROW: i32 = 26;
const TOP: i32 = 70;
const LABEL_W: i32 = 260;

/// A chart's size: [`W`] wide, and wider by what its labels need beyond the default
/// label column; radar charts as wide as their title.
pub(crate) fn size(kind: Kind, src: &Source<'_>, text: &Text) -> (u32, u32) {
    let (w, h) = (kind.spec().size)(src, text, kind.arg);
    (w as u32, h)
}

/// The size of a chart of a row per department shown (the ranking, the movement).
fn rows_size(src: &Source<'_>, text: &Text, _: usize) -> (i32, u32) {
    (wide(text), rows_height(src.rows() as i32))
}

/// The ticks of a rank axis of `n` ranks at the foot of a chart, `bottom` the labels'
/// height, `x` a rank's position.
fn rank_axis(pen: &Pen<'_, Svg<'_>>, n: usize, bottom: i32, x: impl Fn(usize) -> i32) -> R {
    for r in rank_ticks(n) {
        let x = x(r);
        pen.line(vec![(x, bottom - 10), (x, bottom - 6)], GREY, 1)?;
        pen.text(&r.to_string(), (x, bottom), SMALL, HPos::Center, GREY)?;
    }
    Ok(())
}

/// The height of a chart of `n` rows.
fn rows_height(n: i32) -> u32 {
    (TOP + n * ROW + 48).max(160) as u32
}

/// The width of a chart of rows with their labels.
fn wide(text: &Text) -> i32 {
    W as i32 + text.extra()
}

fn draw(kind: Kind, src: &Source<'_>, text: &Text, area: &DrawingArea<Svg<'_>, Shift>) -> R {
    area.fill(&WHITE).map_err(|e| e.to_string())?;
    (kind.spec().draw)(&Pen(area), src, text, kind.arg)
}

/// Drawing primitives in pixels.
struct Pen<'a, DB: DrawingBackend>(&'a DrawingArea<DB, Shift>);

const INK: RGBColor = RGBColor(33, 37, 41);
const WHITE: RGBColor = RGBColor(255, 255, 255);
/// The outline of a grade's bar and legend swatch: the lightest grade on white paper.
const EDGE: RGBColor = RGBColor(108, 117, 125);
const GREY: RGBColor = RGBColor(160, 160, 160);
const LIGHT: RGBColor = RGBColor(230, 230, 230);
const ACCENT: RGBColor = RGBColor(31, 96, 168);

impl<DB: DrawingBackend> Pen<'_, DB> {
    fn text(&self, s: &str, at: (i32, i32), size: f64, h: HPos, color: RGBColor) -> R {
        let style = TextStyle::from(("sans-serif", size).into_font())
            .pos(Pos::new(h, VPos::Center))
            .color(&color);
        self.0.draw_text(s, &style, at).map_err(|e| e.to_string())
    }

    fn title(&self, s: &str) -> R {
        self.text(s, (16, 20), TITLE, HPos::Left, INK)
    }

    /// A small grey note: a legend, an axis name, what a chart cannot show.
    fn note(&self, s: &str, at: (i32, i32)) -> R {
        self.text(s, at, LABEL, HPos::Left, GREY)
    }

    /// A grid cell shaded white → blue by `level` (0–100; grey for none), with its
    /// value written in a colour that stays readable on the shade.
    fn shaded_cell(&self, at: (i32, i32), width: i32, level: Option<f64>, value: &str) -> R {
        let (x, y) = at;
        let colour = level.map_or(LIGHT, score_colour);
        self.rect(
            (x + 1, y + 1),
            (x + width - 1, y + ROW - 1),
            colour.filled(),
        )?;
        if value.is_empty() {
            return Ok(());
        }
        let ink = if level.is_some_and(|v| v > 60.0) {
            WHITE
        } else {
            INK
        };
        self.text(value, (x + width / 2, y + ROW / 2), CELL, HPos::Center, ink)
    }

    fn rect(&self, a: (i32, i32), b: (i32, i32), style: ShapeStyle) -> R {
        self.0
            .draw(&Rectangle::new([a, b], style))
            .map_err(|e| e.to_string())
    }

    fn line(&self, points: Vec<(i32, i32)>, color: RGBColor, width: u32) -> R {
        self.0
            .draw(&PathElement::new(points, color.stroke_width(width)))
            .map_err(|e| e.to_string())
    }

    fn polygon(&self, points: Vec<(i32, i32)>, color: RGBColor, alpha: f64) -> R {
        self.0
            .draw(&Polygon::new(points.clone(), color.mix(alpha).filled()))
            .map_err(|e| e.to_string())?;
        let mut closed = points;
        if let Some(&first) = closed.first() {
            closed.push(first);
        }
        self.line(closed, color, 2)
    }

    fn dot(&self, at: (i32, i32), r: i32, color: RGBColor) -> R {
        self.0
            .draw(&Circle::new(at, r, color.filled()))
            .map_err(|e| e.to_string())
    }
}

/// The colour of grade band `g` of `n`: green for the best, red for the worst.
pub(crate) fn grade_colour(g: Option<usize>, n: usize) -> RGBColor {
    // Which of the five colours n grades take: the lightest and darkest always, the
    // middle ones from the light end (four grades: a failing one much darker).
    let picks: &[usize] = match n {
        0 | 1 => &[0],
        2 => &[0, 4],
        3 => &[0, 2, 4],
        4 => &[0, 1, 2, 4],
        _ => &[0, 1, 2, 3, 4],
    };
    match g {
        None => GREY,
        Some(g) => GRADES[picks[g.min(picks.len() - 1)]],
    }
}

/// The grades' colours, best first: from light green through gold and orange to dark
/// red, each darker than the one before (CIE L* 85, 70, 58, 40, 25; four grades take
/// the first three and the last), so that grades stay apart in grayscale print
/// and for colour-blind readers: every two of them, as drawn for 2 to 5 grades, differ
/// by a CIE76 ΔE of 10 or more in grayscale and in simulated deuteranopia and
/// protanopia (`grade_colours_survive_grayscale_and_colour_blindness`). The worse the
/// grade, the darker: a failing grade stands out most on a gray page.
const GRADES: [RGBColor; 5] = [
    RGBColor(0x95, 0xE8, 0x8F),
    RGBColor(0xB8, 0xAE, 0x43),
    RGBColor(0xBF, 0x7D, 0x2D),
    RGBColor(0xA1, 0x3F, 0x1F),
    RGBColor(0x7D, 0x00, 0x18),
];

/// The text colour on a grade's colour: ink or white, whichever contrasts more (every
/// grade's is at least 4.5:1, WCAG AA for text).
pub(crate) fn grade_ink(background: RGBColor) -> RGBColor {
    if contrast(background, WHITE) > contrast(background, INK) {
        WHITE
    } else {
        INK
    }
}

/// WCAG 2 contrast ratio of two colours.
fn contrast(a: RGBColor, b: RGBColor) -> f64 {
    let luminance = |c: RGBColor| {
        let lin = |v: u8| {
            let v = f64::from(v) / 255.0;
            if v <= 0.04045 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(c.0) + 0.7152 * lin(c.1) + 0.0722 * lin(c.2)
    };
    let (x, y) = (luminance(a), luminance(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

/// White → blue for a score of 0 → 100.
fn score_colour(v: f64) -> RGBColor {
    let t = (v / 100.0).clamp(0.0, 1.0);
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * t).round() as u8;
    RGBColor(mix(247, 8), mix(251, 81), mix(255, 156))
}

/// The label column: department labels, right-aligned, one per row.
fn row_label<DB: DrawingBackend>(pen: &Pen<'_, DB>, text: &Text, label: &str, row: i32) -> R {
    pen.text(
        label,
        (text.label_w() - 8, row_y(row)),
        LABEL,
        HPos::Right,
        INK,
    )
}

fn row_y(row: i32) -> i32 {
    TOP + row * ROW + ROW / 2
}

/// Ticks of a rank axis from 1 to `n`: 1, then the multiples of a round step (1, 2, 5,
/// 10, 20, 25, 50, …) that give at most seven ticks, the last at or below `n`.
fn rank_ticks(n: usize) -> Vec<usize> {
    let n = n.max(1);
    let step = [1, 2, 5]
        .into_iter()
        .chain((1..).flat_map(|e: u32| [10, 20, 25, 50].map(|m| m * 10usize.pow(e - 1))))
        .find(|s| n / s < 7)
        .unwrap_or(n);
    let mut ticks = vec![1];
    ticks.extend((step..=n).step_by(step).filter(|&t| t > 1));
    ticks
}

/// The short name of KPI `id` (`K1`…): its `code` in the scorecard, so that adding a
/// KPI does not renumber the others.
pub(crate) fn kpi_key(card: &appraise_score::Scorecard, id: &str) -> String {
    card.kpi(id)
        .map_or_else(|| id.to_string(), |r| r.code.clone())
}

/// Moves sorted label positions apart to at least `gap` between neighbours, within
/// `lo..=hi`, each as little as it can: pushed down past its upper neighbour, then up
/// from the bottom where the column ran past it.
fn spread(ys: &mut [i32], gap: i32, lo: i32, hi: i32) {
    let mut floor = lo;
    for y in ys.iter_mut() {
        *y = (*y).max(floor);
        floor = *y + gap;
    }
    let mut ceiling = hi;
    for y in ys.iter_mut().rev() {
        *y = (*y).min(ceiling);
        ceiling = *y - gap;
    }
}

/// The busiest departments of the exchange log, by exchanges provided to and consumed
/// from other departments.
fn top_exchangers(f: &ExchangeFacts) -> Vec<String> {
    let mut total: HashMap<&str, u64> = HashMap::new();
    for (p, c, n) in f.volumes.iter().filter(|(p, c, _)| p != c) {
        *total.entry(p.as_str()).or_default() += n;
        *total.entry(c.as_str()).or_default() += n;
    }
    let mut v: Vec<(&str, u64)> = total.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v.into_iter()
        .take(TOP_DEPARTMENTS)
        .map(|(id, _)| id.to_string())
        .collect()
}

fn top_providers(f: &ExchangeFacts) -> Vec<&ResponseSpread> {
    let mut v: Vec<_> = f.response.iter().collect();
    v.sort_by(|a, b| b.n.cmp(&a.n).then(a.provider.cmp(&b.provider)));
    v.truncate(TOP_DEPARTMENTS);
    v
}

/// 1234 → `1.2k`, 1234567 → `1.2M`: a count that fits a cell.
fn compact(n: u64) -> String {
    match n {
        0..1_000 => n.to_string(),
        1_000..1_000_000 => format!("{:.1}k", n as f64 / 1e3),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

/// The colours of a rank gained and a rank lost: blue and dark red, apart in lightness
/// and for colour-blind readers (▲ and ▼ say it in print too).
const RISE: RGBColor = ACCENT;
const FALL: RGBColor = RGBColor(0x7D, 0x00, 0x18);

#[cfg(test)]
mod rank_axis_tests {
    use super::{rank_ticks, spread};

    #[test]
    fn trend_labels_move_apart_within_the_plot() {
        // Three lines ending together, one alone: the three spread downward.
        let mut ys = [100, 100, 101, 300];
        spread(&mut ys, 13, 64, 500);
        assert_eq!(ys, [100, 113, 126, 300]);
        // At the bottom edge the column is pushed back up.
        let mut ys = [495, 498, 500];
        spread(&mut ys, 13, 64, 500);
        assert_eq!(ys, [474, 487, 500]);
    }

    #[test]
    fn funnel_ticks_fall_at_round_percents() {
        // Regression (funnel_ticks_at_88_8_percent): five ticks spread evenly over
        // 55–100 % fell on 66.25, 77.5 and 88.75 %.
        let pct = |b: f64, t: f64| -> Vec<i64> {
            super::funnel::rate_ticks(b, t)
                .iter()
                .map(|r| (r * 100.0).round() as i64)
                .collect()
        };
        assert_eq!(pct(0.55, 1.0), [60, 70, 80, 90, 100]);
        assert_eq!(pct(0.90, 1.0), [90, 95, 100]);
        assert_eq!(pct(0.0, 1.0), [0, 20, 40, 60, 80, 100]);
        assert_eq!(pct(0.35, 0.6), [35, 40, 45, 50, 55, 60]);
    }

    #[test]
    fn rank_ticks_fall_at_round_steps() {
        assert_eq!(rank_ticks(6), [1, 2, 3, 4, 5, 6]);
        assert_eq!(rank_ticks(60), [1, 10, 20, 30, 40, 50, 60]);
        assert_eq!(rank_ticks(150), [1, 25, 50, 75, 100, 125, 150]);
        assert_eq!(rank_ticks(1), [1]);
        assert_eq!(rank_ticks(1000), [1, 200, 400, 600, 800, 1000]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vision::{DISTINCT, Vision, delta_e};

    #[test]
    fn a_10000_character_department_name() {
        // Regression: a name of 10,000 characters widened the ranking chart to 185,560
        // px (110 s and 8.9 GB for one run); at 20,000 the run aborted.
        let fonts = Fonts::builtin();
        let long = "部".repeat(10_000);
        let cut = fit(long.clone(), LABEL_EMS, &fonts);
        assert!(cut.ends_with('…'));
        assert!(
            fonts.width(&cut, 1.0) <= LABEL_EMS,
            "{}",
            fonts.width(&cut, 1.0)
        );
        // As many characters as fit: one more would not.
        let n = cut.chars().count() - 1;
        let longer: String = long.chars().take(n + 1).collect::<String>() + "…";
        assert!(fonts.width(&longer, 1.0) > LABEL_EMS);
        // A name that fits is kept whole.
        assert_eq!(fit("省公安厅".into(), LABEL_EMS, &fonts), "省公安厅");
        let text = Text::new(Strings::default(), Lang::En, vec![long], &fonts);
        // The label column is bounded: the cut name, a rank beside it, and a margin.
        let bound = (LABEL_EMS * em(LABEL)).ceil() as i32 + text.width("150 ", LABEL) + 16;
        assert!(text.label_w() <= bound, "{} > {bound}", text.label_w());
        assert!(text.label_w() < 3 * LABEL_W, "{}", text.label_w());
    }

    #[test]
    fn grade_colours_run_from_best_to_worst() {
        assert_eq!(grade_colour(Some(0), 4), GRADES[0]);
        assert_eq!(grade_colour(Some(3), 4), GRADES[4]);
        assert_eq!(grade_colour(None, 4), GREY);
        assert_eq!(grade_colour(Some(0), 1), GRADES[0]);
        // Each grade darker than the one before.
        for pair in GRADES.windows(2) {
            assert!(lab(pair[0])[0] > lab(pair[1])[0] + 10.0, "{pair:?}");
        }
    }

    /// L*a*b* of `c` as `vision` sees it.
    fn seen(c: RGBColor, vision: Vision) -> [f64; 3] {
        crate::vision::lab([c.0, c.1, c.2], vision)
    }

    fn lab(c: RGBColor) -> [f64; 3] {
        seen(c, Vision::Normal)
    }

    #[test]
    fn grade_colours_survive_grayscale_and_colour_blindness() {
        // Regression (grade_colours_collapse_in_grayscale): A #1A9850 and D #D73027 had
        // gray values 106 and 97, B and C 176 and 168, so A = D and B = C in grayscale
        // print and for deuteranopes. ΔE 10: `vision::DISTINCT`.
        for n in 2..=5 {
            let colours: Vec<RGBColor> = (0..n).map(|g| grade_colour(Some(g), n)).collect();
            for how in Vision::IMPAIRED {
                for (i, a) in colours.iter().enumerate() {
                    for b in &colours[i + 1..] {
                        let d = delta_e(seen(*a, how), seen(*b, how));
                        assert!(
                            d >= DISTINCT,
                            "{n} grades, {how:?}: {a:?} and {b:?} differ by {d:.1}"
                        );
                    }
                }
            }
            // The letters on a grade's badge: WCAG AA.
            for c in &colours {
                assert!(contrast(*c, grade_ink(*c)) >= 4.5, "{c:?}");
            }
        }
        // The old palette fails the same check.
        let old = [RGBColor(26, 152, 80), RGBColor(215, 48, 39)];
        let g = Vision::Grayscale;
        assert!(delta_e(seen(old[0], g), seen(old[1], g)) < DISTINCT);
        // A rise and a fall stay apart too.
        for how in Vision::IMPAIRED {
            assert!(delta_e(seen(RISE, how), seen(FALL, how)) >= DISTINCT);
        }
    }

    #[test]
    fn compact_counts() {
        assert_eq!(compact(999), "999");
        assert_eq!(compact(1_240), "1.2k");
        assert_eq!(compact(3_400_000), "3.4M");
    }
}
