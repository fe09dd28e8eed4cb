//! The PDF bulletin and cards, typeset by [Typst](https://typst.app) in-process: no
//! browser or external program at run time.
//!
//! A Typst template (`reports/templates/report.typ`, `department.typ`; compiled in,
//! overridable with `--templates`) reads the same view the HTML templates render, as
//! JSON from the virtual file `data.json`. A value from the data reaches the page as a
//! Typst string, which is set as text, never evaluated as markup, so a department name
//! cannot become markup. Charts are the report's SVGs, placed as vector graphics.
//!
//! Fonts: the chart font ([`Fonts`]: `APPRAISE_FONT`, else a CJK font of the system),
//! then DejaVu Sans, Sans Bold and Sans Mono (built in), all embedded (subset) in the
//! PDF. The template names the families it uses; `families` in `data.json` lists the
//! ones present, CJK first, so Chinese and Latin text each find a glyph.
//!
//! Typst rather than a PDF-drawing crate: it lays out text (line breaking, CJK,
//! tables across pages, a table of contents, page numbers) and writes tagged PDF with
//! selectable text; hand-placing text on pages would be a typesetter of our own.

use std::path::Path;
use std::sync::OnceLock;

use serde::Serialize;
use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

use crate::Error;
use crate::fonts::Fonts;

/// The fonts a document may use, loaded once per process: Typst parses each font file
/// once, and a CJK collection is large.
struct FontSet {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    /// Family names, CJK first.
    families: Vec<String>,
}

fn font_set(chart_font: &Fonts) -> &'static FontSet {
    static SET: OnceLock<FontSet> = OnceLock::new();
    SET.get_or_init(|| {
        let mut fonts: Vec<Font> = Vec::new();
        if let Some(bytes) = chart_font.bytes {
            fonts.extend(Font::iter(Bytes::new(bytes)));
            // The bold face beside a regular one (Noto Sans CJK ships both).
            if let Some(bold) = chart_font.bold_beside() {
                fonts.extend(Font::iter(Bytes::new(bold)));
            }
        }
        for bytes in [
            dejavu::sans::regular(),
            dejavu::sans::bold(),
            dejavu::sans_mono::regular(),
        ] {
            fonts.extend(Font::iter(Bytes::new(bytes)));
        }
        let mut families: Vec<String> = Vec::new();
        for f in &fonts {
            let family = f.info().family.clone();
            if !families.contains(&family) {
                families.push(family);
            }
        }
        // The CJK family first: its Latin glyphs are fine, DejaVu has no Chinese.
        families.sort_by_key(|f| !fonts.iter().any(|x| x.info().family == *f && covers_cjk(x)));
        FontSet {
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            fonts,
            families,
        }
    })
}

fn covers_cjk(font: &Font) -> bool {
    font.info().coverage.contains('中' as u32)
}

/// One document being typeset: the template, and the data as `data.json`.
struct Document<'a> {
    library: &'static LazyHash<Library>,
    set: &'a FontSet,
    main: Source,
    data: Bytes,
    data_id: FileId,
}

fn library() -> &'static LazyHash<Library> {
    static LIBRARY: OnceLock<LazyHash<Library>> = OnceLock::new();
    LIBRARY.get_or_init(|| LazyHash::new(<Library as LibraryExt>::default()))
}

/// The id of a file of the document's virtual project (`main.typ`, `data.json`).
fn file_id(name: &str) -> Option<FileId> {
    let path = VirtualPath::new(name).ok()?;
    Some(RootedPath::new(VirtualRoot::Project, path).intern())
}

impl World for Document<'_> {
    fn library(&self) -> &LazyHash<Library> {
        self.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.set.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::NotSource)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.data_id {
            Ok(self.data.clone())
        } else if id == self.main.id() {
            Ok(Bytes::from_string(self.main.text().to_string()))
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.set.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        // No clock: the same inputs, the same bytes.
        None
    }
}

/// The data a template reads: the view, and the font families present.
#[derive(Serialize)]
struct Data<'a, V: Serialize> {
    families: &'a [String],
    #[serde(flatten)]
    view: &'a V,
}

/// Typesets `template` (its file name, for messages) over `view` into PDF bytes.
pub(crate) fn typeset<V: Serialize>(
    template_name: &Path,
    template: &str,
    view: &V,
    fonts: &Fonts,
) -> Result<Vec<u8>, Error> {
    let set = font_set(fonts);
    let data = serde_json::to_vec(&Data {
        families: &set.families,
        view,
    })
    .map_err(|e| Error::Template {
        name: template_name.to_path_buf(),
        line: None,
        reason: format!("the data does not encode: {e}"),
        hint: None,
    })?;
    let (Some(main_id), Some(data_id)) = (file_id("main.typ"), file_id("data.json")) else {
        return Err(Error::Template {
            name: template_name.to_path_buf(),
            line: None,
            reason: "the typesetter refused its own file names".into(),
            hint: None,
        });
    };
    let doc = Document {
        library: library(),
        set,
        main: Source::new(main_id, template.to_string()),
        data: Bytes::new(data),
        data_id,
    };
    let fail = |errors: &[SourceDiagnostic]| {
        let first = errors.first();
        let line = first.and_then(|e| {
            let range = typst::WorldExt::range(&doc, e.span)?;
            doc.main.lines().byte_to_line(range.start).map(|l| l + 1)
        });
        Error::Template {
            name: template_name.to_path_buf(),
            line,
            reason: first.map_or("typesetting failed".into(), |e| e.message.to_string()),
            hint: None,
        }
    };
    // An office's template is watched: the typesetter cannot be stopped otherwise.
    let watch = crate::budget::Watch::start(template_name, crate::Error::built_in(template_name));
    let started = std::time::Instant::now();
    let document: PagedDocument = typst::compile(&doc).output.map_err(|e| fail(&e))?;
    let compiled = started.elapsed().as_secs_f64();
    let options = typst_pdf::PdfOptions {
        ident: typst::foundations::Smart::Custom(template_name.display().to_string()),
        ..Default::default()
    };
    let pdf = typst_pdf::pdf(&document, &options).map_err(|e| fail(&e));
    drop(watch);
    tracing::debug!(
        template = %template_name.display(),
        compiled,
        written = started.elapsed().as_secs_f64() - compiled,
        "typeset"
    );
    // Typst memoises its work for the next compile of the same document; each card is
    // compiled once, so the memo is released rather than kept for the process's life.
    typst::comemo::evict(0);
    pdf
}
