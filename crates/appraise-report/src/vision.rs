//! How a reader sees a colour: on screen, printed in grayscale, or with the two common
//! red–green colour deficiencies; and how far apart two colours look (CIE76 ΔE in
//! L*a*b*). The palette's tests, and the test over every chart a report draws, measure
//! with it.
//!
//! Grayscale is the luma of ITU-R BT.601, which office printers and PDF viewers use;
//! deuteranopia and protanopia are the simulations of Machado, Oliveira and Fernandes
//! (2009) at severity 1, applied to linear RGB.

/// How the colour is seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vision {
    /// As drawn.
    Normal,
    /// Printed in grayscale.
    Grayscale,
    /// By a deuteranope (no green cones).
    Deuteranopia,
    /// By a protanope (no red cones).
    Protanopia,
}

impl Vision {
    /// The three ways a printed chart must survive.
    pub const IMPAIRED: [Vision; 3] = [Vision::Grayscale, Vision::Deuteranopia, Vision::Protanopia];
}

/// The smallest ΔE at which two marks of a chart count as told apart: four times the
/// just-noticeable difference (about 2.3), so that two marks side by side, or a mark
/// and its legend, read as different.
pub const DISTINCT: f64 = 10.0;

/// CIE L*a*b* (D65) of the sRGB colour `rgb` as `vision` sees it.
pub fn lab(rgb: [u8; 3], vision: Vision) -> [f64; 3] {
    let m: [[f64; 3]; 3] = match vision {
        Vision::Normal => return lab_linear(linear(rgb)),
        Vision::Grayscale => {
            let [r, g, b] = rgb.map(f64::from);
            let v = (0.299 * r + 0.587 * g + 0.114 * b).round() as u8;
            return lab_linear(linear([v, v, v]));
        }
        Vision::Deuteranopia => [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ],
        Vision::Protanopia => [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ],
    };
    let l = linear(rgb);
    lab_linear(m.map(|row| (row[0] * l[0] + row[1] * l[1] + row[2] * l[2]).clamp(0.0, 1.0)))
}

/// CIE76 colour difference of two L*a*b* colours.
pub fn delta_e(a: [f64; 3], b: [f64; 3]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

/// The chroma C* of an L*a*b* colour: 0 for a gray.
pub fn chroma(lab: [f64; 3]) -> f64 {
    lab[1].hypot(lab[2])
}

/// The colour `#RRGGBB` (case-insensitive) as bytes.
pub fn parse_hex(hex: &str) -> Option<[u8; 3]> {
    let hex = hex.strip_prefix('#')?;
    if hex.len() != 6 || !hex.is_ascii() {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some([byte(0)?, byte(2)?, byte(4)?])
}

fn linear(rgb: [u8; 3]) -> [f64; 3] {
    rgb.map(|v| {
        let v = f64::from(v) / 255.0;
        if v <= 0.04045 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    })
}

fn lab_linear([r, g, b]: [f64; 3]) -> [f64; 3] {
    let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
    let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
    let f = |t: f64| {
        if t > 0.008856 {
            t.cbrt()
        } else {
            7.787 * t + 16.0 / 116.0
        }
    };
    [
        116.0 * f(y) - 16.0,
        500.0 * (f(x) - f(y)),
        200.0 * (f(y) - f(z)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_colours() {
        // White and black: L* 100 and 0, no chroma, in every vision.
        for v in [
            Vision::Normal,
            Vision::Grayscale,
            Vision::Deuteranopia,
            Vision::Protanopia,
        ] {
            let w = lab([255, 255, 255], v);
            assert!(
                (w[0] - 100.0).abs() < 0.01 && chroma(w) < 0.5,
                "{v:?} {w:?}"
            );
            assert!(lab([0, 0, 0], v)[0].abs() < 1e-9);
        }
        // sRGB red: L* 53.2, a* 80.1, b* 67.2 (CIE tables).
        let red = lab([255, 0, 0], Vision::Normal);
        assert!(
            (red[0] - 53.24).abs() < 0.1 && (red[1] - 80.09).abs() < 0.3,
            "{red:?}"
        );
        // Pure red and green, far apart on screen, come close for a deuteranope.
        let (r, g) = ([200, 0, 0], [0, 140, 0]);
        assert!(delta_e(lab(r, Vision::Normal), lab(g, Vision::Normal)) > 100.0);
        assert!(delta_e(lab(r, Vision::Deuteranopia), lab(g, Vision::Deuteranopia)) < 25.0);
        assert_eq!(parse_hex("#1f60A8"), Some([0x1F, 0x60, 0xA8]));
        assert_eq!(parse_hex("1F60A8"), None);
        assert_eq!(parse_hex("#1F60A"), None);
    }
}
