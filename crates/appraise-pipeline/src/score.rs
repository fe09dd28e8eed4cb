//! A period scored and its tables written, without the report: from the data (the
//! KPIs run, as [`crate::appraise()`]), or from a KPI matrix someone already has (an
//! edited `kpis.csv`, or a researcher's own) with the departments it names.

use std::path::{Path, PathBuf};

use appraise_data::staging::{Policy, Staging};
use appraise_data::{Dataset, LoadOptions, Warning};
use appraise_kpi::{KpiMatrix, Period};
use appraise_report::tables::{TableFormat, write_appraisal};
use appraise_score::Appraisal;

use crate::{Error, Laps, Rules, appraise, appraise_matrix, departments};

/// What is scored.
pub enum ScoreInput {
    /// The data folder or warehouse: its KPIs are run.
    Data(PathBuf),
    /// A KPI matrix (CSV, as appraise writes `kpis.csv`) and the departments file.
    Matrix {
        /// The matrix.
        matrix: PathBuf,
        /// The departments it names.
        departments: PathBuf,
    },
}

impl ScoreInput {
    /// A KPI matrix with its departments file, else the data folder; an error when
    /// neither, or a matrix without departments, is given.
    pub fn of(
        matrix: Option<&Path>,
        departments: Option<&Path>,
        data: Option<&Path>,
    ) -> Result<ScoreInput, Error> {
        match (matrix, data) {
            (Some(matrix), _) => Ok(ScoreInput::Matrix {
                matrix: matrix.to_path_buf(),
                departments: departments
                    .ok_or_else(|| Error::Input {
                        reason: "--kpi-matrix needs the departments".into(),
                        hint: Some("add --departments FILE (departments.csv of the data)".into()),
                    })?
                    .to_path_buf(),
            }),
            (None, Some(dir)) => Ok(ScoreInput::Data(dir.to_path_buf())),
            (None, None) => Err(Error::Input {
                reason: "nothing to score".into(),
                hint: Some("pass --data DIR, or --kpi-matrix FILE with --departments FILE".into()),
            }),
        }
    }
}

/// A scoring to do.
pub struct Scoring {
    /// What is scored.
    pub input: ScoreInput,
    /// How it is read.
    pub options: LoadOptions,
    /// The period scored.
    pub period: Period,
    /// Scorecard, KPIs, calendar and engine settings.
    pub rules: Rules,
    /// Where the tables go, how the folder may be treated, and their format; `None`:
    /// nowhere (the caller shows the ranking).
    pub out: Option<(PathBuf, Policy, TableFormat)>,
}

/// A scoring done.
pub struct ScoreDone {
    /// The appraisal.
    pub appraisal: Appraisal,
    /// The data (or the departments) as loaded: its rejections.
    pub data: Dataset,
    /// What loading and scoring warned of (the scorecard's own warnings are in the
    /// appraisal).
    pub warnings: Vec<Warning>,
    /// The output folder, committed.
    pub out: Option<PathBuf>,
}

/// Scores the period and writes its tables.
pub fn score(s: Scoring) -> Result<ScoreDone, Error> {
    // The output folder is checked (and locked) before any work is done.
    let staging = match &s.out {
        Some((dir, policy, _)) => Some(Staging::new(dir, policy)?),
        None => None,
    };
    let (appraisal, data, warnings) = match &s.input {
        ScoreInput::Data(dir) => {
            let data = crate::load(dir, &s.options)?;
            let scored = appraise(dir, &data, &s.period, s.rules, &mut Laps::start("kpis"))?;
            let mut warnings = scored.coverage;
            warnings.extend(scored.warnings);
            (scored.appraisal, data, warnings)
        }
        ScoreInput::Matrix {
            matrix,
            departments: file,
        } => {
            let mut data = appraise_data::load_departments(file, &s.options)?;
            let matrix = KpiMatrix::read_csv(matrix, &s.period, s.options.max_record_bytes)?;
            let (appraisal, mut warnings) = appraise_matrix(&departments(&data), &matrix, s.rules)?;
            warnings.splice(0..0, std::mem::take(&mut data.warnings));
            (appraisal, data, warnings)
        }
    };
    let out = match (staging, &s.out) {
        (Some(staging), Some((_, _, format))) => {
            let dir = staging.path();
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
            write_appraisal(&appraisal, dir, *format)?;
            Some(staging.commit()?)
        }
        _ => None,
    };
    Ok(ScoreDone {
        appraisal,
        data,
        warnings,
        out,
    })
}
