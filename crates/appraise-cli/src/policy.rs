//! Where the policy files come from: the KPI library, the working-day calendars and the
//! scorecard. A flag's path wins; without one, `queries/...` in the working folder; else
//! the copies built into the binary (`appraise init DIR` writes them out for editing).
//! The run's manifest records which was used.

use std::path::{Path, PathBuf};

use anyhow::Result;
use appraise_kpi::{Calendar, KpiDef};

include!(concat!(env!("OUT_DIR"), "/builtin.rs"));

/// The folder name built-in files go by in messages and in the manifest.
pub(crate) use appraise_pipeline::BUILT_IN;

/// The file or folder of a policy setting: the flag's, the working folder's, or
/// `None` for the built-in copy.
fn choose(flag: Option<&Path>, local: &str) -> Option<PathBuf> {
    match flag {
        Some(p) => Some(p.to_path_buf()),
        None if Path::new(local).exists() => Some(PathBuf::from(local)),
        None => None,
    }
}

/// The built-in files of `list`, named under `(built-in)/<folder>/`.
fn built_in(folder: &str, list: &[(&str, &str)]) -> Vec<(PathBuf, String)> {
    list.iter()
        .map(|(name, text)| {
            (
                Path::new(BUILT_IN).join(folder).join(name),
                text.to_string(),
            )
        })
        .collect()
}

/// The KPI library.
pub(crate) fn kpis(flag: Option<&Path>) -> Result<Vec<KpiDef>> {
    match choose(flag, "queries/kpis") {
        Some(dir) => appraise_kpi::load_library(&dir),
        None => appraise_kpi::library_from(built_in("kpis", KPIS)),
    }
    .map_err(anyhow::Error::from)
}

/// The working-day calendars.
pub(crate) fn calendar(flag: Option<&Path>) -> Result<Calendar> {
    match choose(flag, "queries/calendars") {
        Some(dir) => Calendar::from_dir(&dir),
        None => Calendar::from_texts(
            &Path::new(BUILT_IN).join("calendars"),
            built_in("calendars", CALENDARS),
        ),
    }
    .map_err(anyhow::Error::from)
}

/// The scorecard.
pub(crate) fn scorecard(flag: Option<&Path>) -> Result<appraise_score::Scorecard> {
    match choose(flag, "queries/scorecard.toml") {
        Some(path) => appraise_score::Scorecard::from_file(&path),
        None => {
            appraise_score::Scorecard::parse(&Path::new(BUILT_IN).join("scorecard.toml"), SCORECARD)
        }
    }
    .map_err(anyhow::Error::from)
}

/// The zone the scorecard names (`[scorecard] timezone`), read on its own so that a
/// command that scores nothing needs no more of the scorecard than that.
pub(crate) fn scorecard_zone(flag: Option<&Path>) -> Result<chrono_tz::Tz> {
    let zone = match choose(flag, "queries/scorecard.toml") {
        Some(path) => {
            let text =
                std::fs::read_to_string(&path).map_err(|cause| appraise_score::Error::Io {
                    path: path.clone(),
                    cause,
                })?;
            appraise_score::Scorecard::zone_in(&path, &text)
        }
        None => appraise_score::Scorecard::zone_in(
            &Path::new(BUILT_IN).join("scorecard.toml"),
            SCORECARD,
        ),
    };
    Ok(zone?)
}

/// Every built-in policy and template file, by its path under a project folder.
pub(crate) fn all_files() -> Vec<(PathBuf, &'static str)> {
    let mut out = Vec::new();
    for (name, text) in KPIS {
        out.push((Path::new("queries/kpis").join(name), *text));
    }
    for (name, text) in CALENDARS {
        out.push((Path::new("queries/calendars").join(name), *text));
    }
    out.push((PathBuf::from("queries/scorecard.toml"), SCORECARD));
    for (name, text) in appraise_report::templates::BUILT_IN
        .into_iter()
        .chain(appraise_report::templates::TYPST)
    {
        out.push((Path::new("reports/templates").join(name), text));
    }
    out
}
