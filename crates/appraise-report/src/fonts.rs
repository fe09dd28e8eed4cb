//! The font the charts are drawn with.
//!
//! plotters' `ab_glyph` backend draws from font bytes it is handed, with no fontconfig
//! or freetype C library: the build needs the Rust toolchain alone. Chart text is laid
//! out with this font in both SVG and PNG; the SVG names the generic `sans-serif`
//! family, so a browser renders it with its own fonts.
//!
//! Chinese names need a CJK font. [`Fonts::find`] looks, in order, at the file named by
//! `APPRAISE_FONT` (or `builtin`), then for the usual CJK font files under the system's font folders
//! (Debian's `fonts-noto-cjk` first). Without one it falls back to DejaVu Sans, built
//! into the binary: Latin text renders, and [`Fonts::covers`] tells the charts which
//! text would come out as empty boxes so that they can write a readable substitute.
//!
//! A hand-written search rather than a font-database crate: plotters needs only one
//! file's bytes, and the search is a short list of well-known paths.

use std::path::{Path, PathBuf};

use appraise_data::Warning;

use ab_glyph::{Font as _, FontRef};
use plotters::style::{FontStyle, register_font};

/// The environment variable naming a font file (TTF, OTF or TTC; the first face of a
/// collection is used), or `builtin` for the built-in DejaVu Sans (the same PNG bytes on
/// every machine, whatever fonts it has).
pub const FONT_VARIABLE: &str = "APPRAISE_FONT";

/// CJK font files, best first, by file name; searched for under [`FONT_DIRS`].
const CJK_FONTS: &[&str] = &[
    "NotoSansCJK-Regular.ttc",
    "NotoSansCJKsc-Regular.otf",
    "NotoSansSC-Regular.otf",
    "NotoSansSC-Regular.ttf",
    "SourceHanSansSC-Regular.otf",
    "SourceHanSans-Regular.ttc",
    "wqy-microhei.ttc",
    "wqy-zenhei.ttc",
    "DroidSansFallbackFull.ttf",
    "NotoSerifCJK-Regular.ttc",
];

/// Where fonts are installed on Linux, macOS and Windows.
const FONT_DIRS: &[&str] = &[
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "/Library/Fonts",
    "/System/Library/Fonts",
    "C:\\Windows\\Fonts",
];

/// The chart font, registered with plotters.
#[derive(Clone)]
pub struct Fonts {
    font: FontRef<'static>,
    /// The built-in DejaVu Sans, which draws what `font` lacks.
    fallback: FontRef<'static>,
    /// The font database the PNG rasteriser uses, made on first use.
    raster: std::sync::Arc<std::sync::OnceLock<resvg::usvg::Options<'static>>>,
    /// The font file's bytes, for the PDF; `None` for the built-in DejaVu Sans (which
    /// the PDF embeds anyway).
    pub(crate) bytes: Option<&'static [u8]>,
    /// Where the font came from: a file, or `built-in DejaVu Sans`.
    pub source: String,
    /// Whether the font has Chinese glyphs.
    pub cjk: bool,
}

/// The warning that `APPRAISE_FONT` names no font appraise can read.
fn unreadable_font(path: &Path) -> Warning {
    Warning::new(
        "font_unreadable",
        format!(
            "{FONT_VARIABLE}={} is not a readable TrueType/OpenType font",
            path.display()
        ),
    )
    .arg("font", path.display())
}

impl Fonts {
    /// Finds a font and registers it with plotters as `sans-serif`. A warning says why
    /// Chinese text will be substituted in PNG charts when no CJK font is found.
    pub fn find() -> (Fonts, Option<Warning>) {
        let mut unreadable = None;
        if let Some(path) = std::env::var_os(FONT_VARIABLE) {
            if path == "builtin" {
                return (Fonts::builtin(), None);
            }
            let path = PathBuf::from(path);
            match load(&path) {
                Some(f) => return (f, None),
                None => unreadable = Some(path),
            }
        }
        if let Some(f) = FONT_DIRS
            .iter()
            .flat_map(|d| find_files(Path::new(d), CJK_FONTS))
            .find_map(|p| load(&p).filter(|f| f.cjk))
        {
            return (f, unreadable.as_deref().map(unreadable_font));
        }
        let hint = "install a CJK font, on Debian `apt-get install fonts-noto-cjk`, or set \
                    APPRAISE_FONT to a font file";
        let why = "no CJK font found: PNG charts write English labels and ids where a name \
                   has Chinese characters";
        let warning = match unreadable {
            Some(path) => Warning::new(
                "no_cjk_font_unreadable",
                format!("{}; {why}", unreadable_font(&path)),
            )
            .arg("font", path.display()),
            None => Warning::new("no_cjk_font", why),
        };
        (Fonts::builtin(), Some(warning.with_hint(hint)))
    }

    /// DejaVu Sans, built in: Latin, Greek and Cyrillic, no Chinese.
    pub fn builtin() -> Fonts {
        let bytes = dejavu::sans::regular();
        let font = dejavu_sans();
        let _ = register_font("sans-serif", FontStyle::Normal, bytes);
        Fonts {
            cjk: covers_with(&font, "中文"),
            fallback: font.clone(),
            font,
            raster: Default::default(),
            bytes: None,
            source: "built-in DejaVu Sans".into(),
        }
    }

    /// The bold face beside the font file, where there is one named like it
    /// (`NotoSansCJK-Regular.ttc` → `NotoSansCJK-Bold.ttc`), for the PDF's headings.
    pub(crate) fn bold_beside(&self) -> Option<&'static [u8]> {
        self.bytes?;
        let path = Path::new(&self.source);
        let name = path.file_name()?.to_str()?;
        let bold = path.with_file_name(name.replace("Regular", "Bold"));
        if bold == path {
            return None;
        }
        let bytes = std::fs::read(bold).ok()?;
        FontRef::try_from_slice(&bytes).ok()?;
        Some(Box::leak(bytes.into_boxed_slice()))
    }

    /// The advance width in pixels of `text` set at `size` px in this font, with the
    /// built-in DejaVu Sans for a glyph it lacks (as the PNG rasteriser sets it), and a
    /// full em for one neither has (a Chinese character, which a browser draws from its
    /// own fonts); without kerning: what a chart reserves for a label.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| {
                let Some(font) = [&self.font, &self.fallback]
                    .into_iter()
                    .find(|f| f.glyph_id(c).0 != 0)
                else {
                    return size;
                };
                let em = font.units_per_em().unwrap_or(1000.0);
                font.h_advance_unscaled(font.glyph_id(c)) / em * size
            })
            .sum()
    }

    /// How the PNG rasteriser reads a chart's SVG: `sans-serif` is this font, with the
    /// built-in DejaVu Sans for any glyph it lacks.
    pub fn raster_options(&self) -> &resvg::usvg::Options<'static> {
        self.raster.get_or_init(|| {
            let mut db = resvg::usvg::fontdb::Database::new();
            let own = self.bytes.unwrap_or(dejavu::sans::regular());
            db.load_font_data(own.to_vec());
            let family = db
                .faces()
                .next()
                .and_then(|f| f.families.first())
                .map(|(name, _)| name.clone());
            if self.bytes.is_some() {
                db.load_font_data(dejavu::sans::regular().to_vec());
            }
            let mut options = resvg::usvg::Options::default();
            if let Some(family) = family {
                db.set_sans_serif_family(family.clone());
                options.font_family = family;
            }
            options.fontdb = std::sync::Arc::new(db);
            options
        })
    }

    /// Whether every character of `text` has a glyph.
    pub fn covers(&self, text: &str) -> bool {
        covers_with(&self.font, text)
    }
}

fn dejavu_sans() -> FontRef<'static> {
    FontRef::try_from_slice(dejavu::sans::regular()).expect("the built-in DejaVu Sans parses")
}

fn covers_with(font: &FontRef<'_>, text: &str) -> bool {
    text.chars()
        .all(|c| c.is_whitespace() || font.glyph_id(c).0 != 0)
}

/// Reads a font file and registers it; `None` if it is not a font.
fn load(path: &Path) -> Option<Fonts> {
    let bytes: &'static [u8] = Box::leak(std::fs::read(path).ok()?.into_boxed_slice());
    let font = FontRef::try_from_slice(bytes).ok()?;
    register_font("sans-serif", FontStyle::Normal, bytes).ok()?;
    Some(Fonts {
        cjk: covers_with(&font, "中文"),
        fallback: dejavu_sans(),
        font,
        raster: Default::default(),
        bytes: Some(bytes),
        source: path.display().to_string(),
    })
}

/// The files named in `names` under `dir` (to a depth of 4), in the order of `names`.
fn find_files(dir: &Path, names: &[&str]) -> Vec<PathBuf> {
    let mut found: Vec<(usize, PathBuf)> = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), 0)];
    while let Some((d, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                if depth < 4 {
                    stack.push((p, depth + 1));
                }
            } else if let Some(i) = p
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| names.iter().position(|x| x.eq_ignore_ascii_case(n)))
            {
                found.push((i, p));
            }
        }
    }
    found.sort();
    found.into_iter().map(|(_, p)| p).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where Debian's fonts-noto-cjk is installed (`.ci/run` installs it), the search
    /// finds it and it draws Chinese.
    #[test]
    fn finds_noto_cjk_where_installed() {
        let noto = Path::new("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc");
        if !noto.exists() || std::env::var_os(FONT_VARIABLE).is_some() {
            eprintln!("fonts-noto-cjk is not installed here: nothing to find");
            return;
        }
        let (f, warning) = Fonts::find();
        assert!(f.cjk, "{}", f.source);
        assert!(f.covers("省公安厅 Provincial 2026"));
        assert_eq!(warning, None);
        assert!(
            f.source.ends_with("NotoSansCJK-Regular.ttc"),
            "{}",
            f.source
        );
    }

    /// DejaVu Sans's advances (units per em 2048): `i` 569, `W` 2025; a Chinese
    /// character, which it lacks, takes a full em.
    #[test]
    fn widths_are_advances_scaled_to_the_size() {
        let f = Fonts::builtin();
        let px = |units: f32| units / 2048.0 * 20.0;
        assert!((f.width("iW", 20.0) - px(569.0 + 2025.0)).abs() < 1e-3);
        assert!((f.width("", 20.0)).abs() < 1e-6);
        assert!((f.width("中", 20.0) - 20.0).abs() < 1e-3);
    }

    #[test]
    fn builtin_font_has_latin_and_no_chinese() {
        let f = Fonts::builtin();
        assert!(f.covers("Provincial Department 12"));
        assert!(!f.covers("省公安厅"));
        assert!(!f.cjk);
    }
}
