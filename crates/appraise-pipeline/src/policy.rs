//! Where the policy files come from: the KPI library, the working-day calendars and the
//! scorecard. A flag's path wins; without one, `queries/...` in the working folder; else
//! the copies built into the program (`appraise init DIR` writes them out for editing).
//! The run's manifest records which was used.

use std::path::{Path, PathBuf};

use appraise_kpi::{Calendar, KpiDef};
use appraise_score::Scorecard;

use crate::Error;

include!(concat!(env!("OUT_DIR"), "/builtin.rs"));

/// The folder name of the policy files built into the program (its KPIs, calendars and
/// scorecard), under which their paths are given: `(built-in)/kpis/x.sql`.
pub const BUILT_IN: &str = "(built-in)";

/// The file or folder of a policy setting: the flag's, the working folder's, or
/// `None` for the built-in copy.
fn choose(flag: Option<&Path>, local: &str) -> Option<PathBuf> {
    match flag {
        Some(p) => Some(p.to_path_buf()),
        None if Path::new(local).exists() => Some(PathBuf::from(local)),
        None => None,
    }
}

/// The policy files and folders read from disk for these flags (each flag's path, else
/// the working folder's `queries/...` where it exists): the KPI folder with its
/// `evidence/` folder, the calendars, the scorecard.
pub(crate) fn on_disk(
    kpis: Option<&Path>,
    calendars: Option<&Path>,
    scorecard: Option<&Path>,
) -> Vec<PathBuf> {
    let kpis = choose(kpis, "queries/kpis");
    let evidence = kpis.as_ref().map(|k| k.join("evidence"));
    [
        kpis,
        evidence,
        choose(calendars, "queries/calendars"),
        choose(scorecard, "queries/scorecard.toml"),
    ]
    .into_iter()
    .flatten()
    .collect()
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

/// The KPI library of the folder `flag`, else `queries/kpis`, else the built-in one.
pub fn kpis(flag: Option<&Path>) -> Result<Vec<KpiDef>, Error> {
    Ok(match choose(flag, "queries/kpis") {
        Some(dir) => appraise_kpi::load_library(&dir),
        None => {
            let mut kpis = appraise_kpi::library_from(built_in("kpis", KPIS))?;
            appraise_kpi::attach_evidence(&mut kpis, built_in("kpis/evidence", EVIDENCE))?;
            Ok(kpis)
        }
    }?)
}

/// The working-day calendars of the folder `flag`, else `queries/calendars`, else the
/// built-in ones.
pub fn calendar(flag: Option<&Path>) -> Result<Calendar, Error> {
    Ok(match choose(flag, "queries/calendars") {
        Some(dir) => Calendar::from_dir(&dir),
        None => Calendar::from_texts(
            &Path::new(BUILT_IN).join("calendars"),
            built_in("calendars", CALENDARS),
        ),
    }?)
}

/// The scorecard `flag`, else `queries/scorecard.toml`, else the built-in one.
pub fn scorecard(flag: Option<&Path>) -> Result<Scorecard, Error> {
    Ok(match choose(flag, "queries/scorecard.toml") {
        Some(path) => Scorecard::from_file(&path),
        None => Scorecard::parse(&Path::new(BUILT_IN).join("scorecard.toml"), SCORECARD),
    }?)
}

/// The zone the scorecard [`scorecard`] would use names (`[scorecard] timezone`), read
/// on its own so that a command that scores nothing needs no more of it than that.
pub fn scorecard_zone(flag: Option<&Path>) -> Result<chrono_tz::Tz, Error> {
    Ok(match choose(flag, "queries/scorecard.toml") {
        Some(path) => {
            let text =
                std::fs::read_to_string(&path).map_err(|cause| appraise_score::Error::Io {
                    path: path.clone(),
                    cause,
                })?;
            Scorecard::zone_in(&path, &text)
        }
        None => Scorecard::zone_in(&Path::new(BUILT_IN).join("scorecard.toml"), SCORECARD),
    }?)
}

/// Every built-in policy and template file, by its path under a project folder.
pub fn all_files() -> Vec<(PathBuf, &'static str)> {
    let mut out = Vec::new();
    for (name, text) in KPIS {
        out.push((Path::new("queries/kpis").join(name), *text));
    }
    for (name, text) in EVIDENCE {
        out.push((Path::new("queries/kpis/evidence").join(name), *text));
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

/// Writes editable copies of every built-in policy and template file ([`all_files`])
/// into `dir`, replacing nothing: a file already there stops it before it writes. The
/// number of files written.
pub fn write_out(dir: &Path) -> Result<usize, Error> {
    use std::io::Write as _;
    let files = all_files();
    let present: Vec<String> = files
        .iter()
        .map(|(rel, _)| dir.join(rel))
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if !present.is_empty() {
        return Err(Error::Input {
            reason: format!("{} exist already: {}", present.len(), present.join(", ")),
            hint: Some(
                "init writes into a new folder, or one without queries/ and reports/templates/"
                    .into(),
            ),
        });
    }
    for (rel, text) in &files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
        }
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    }
    Ok(files.len())
}
