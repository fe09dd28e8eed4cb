//! What a command's flags say, resolved once: the policy files (each the flag's, else
//! the working folder's `queries/...`, else the built-in one, [`crate::policy`]), the
//! appraisal's zone, the load's options in it, the engine's settings, and the one list
//! of inputs an output may not hold.

use std::path::{Path, PathBuf};
use std::time::Duration;

use appraise_data::LoadOptions;
use appraise_data::staging::Policy;
use appraise_kpi::{Calendar, EngineOptions, KpiDef};
use appraise_report::templates::Templates;
use appraise_score::Scorecard;
use chrono_tz::Tz;

use crate::{Error, Rules, policy};

/// The settings of a command, before any file is read.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The data folder, X-Road records or warehouse, if the command reads data.
    pub data: Option<PathBuf>,
    /// The scorecard (`--scorecard`).
    pub scorecard: Option<PathBuf>,
    /// The KPI folder (`--kpis`).
    pub kpis: Option<PathBuf>,
    /// The calendar folder (`--calendars`).
    pub calendars: Option<PathBuf>,
    /// The report's templates (`--templates`).
    pub templates: Option<PathBuf>,
    /// Other files the command reads (a KPI matrix, a second scorecard).
    pub also_reads: Vec<PathBuf>,
    /// The key file of the pseudonymiser, which an output may not hold either.
    pub key_file: Option<PathBuf>,
    /// The appraisal's zone (`--timezone`); else the scorecard's.
    pub timezone: Option<Tz>,
    /// How the data are read; its zone is set by [`Settings::options`].
    pub load: LoadOptions,
    /// The cluster queries run on, if not this machine.
    pub cluster: Option<String>,
    /// Whether a period the data do not cover may be appraised (empty, with a warning).
    pub allow_empty: bool,
    /// Whether an existing output may be replaced (`--force`).
    pub force: bool,
    /// Whether to wait for another writer of the output (`--wait`).
    pub wait: bool,
    /// How long one call into the engine may run.
    pub query_timeout: Duration,
    /// The accepted appeals and corrections (`--adjustments`).
    pub adjustments: Option<PathBuf>,
    /// Whether KPIs of one table and key run as one statement (on unless
    /// `kpi run --unfused`).
    pub fuse: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            data: None,
            scorecard: None,
            kpis: None,
            calendars: None,
            templates: None,
            also_reads: Vec::new(),
            key_file: None,
            timezone: None,
            load: LoadOptions::default(),
            cluster: None,
            allow_empty: false,
            force: false,
            wait: false,
            query_timeout: Duration::from_secs(3600),
            adjustments: None,
            fuse: true,
        }
    }
}

/// Settings resolved for an appraisal: its rules (the scorecard parsed once), the load's
/// options in its zone, and how its output folder may be treated.
#[derive(Debug)]
pub struct Resolved {
    /// Scorecard, KPIs, calendar and engine settings.
    pub rules: Rules,
    /// How the data are read, in the appraisal's zone.
    pub options: LoadOptions,
    /// How the output may be written.
    pub write: Policy,
}

impl Settings {
    /// The appraisal's zone: `--timezone`, else the scorecard's (only its zone read).
    pub fn zone(&self) -> Result<Tz, Error> {
        match self.timezone {
            Some(tz) => Ok(tz),
            None => policy::scorecard_zone(self.scorecard.as_deref()),
        }
    }

    /// How the data are read, in the appraisal's zone.
    pub fn options(&self) -> Result<LoadOptions, Error> {
        Ok(self.options_in(self.zone()?))
    }

    fn options_in(&self, timezone: Tz) -> LoadOptions {
        LoadOptions {
            timezone,
            ..self.load.clone()
        }
    }

    /// The scorecard (`--scorecard`, else `queries/scorecard.toml`, else built in).
    pub fn scorecard(&self) -> Result<Scorecard, Error> {
        policy::scorecard(self.scorecard.as_deref())
    }

    /// The KPI library.
    pub fn library(&self) -> Result<Vec<KpiDef>, Error> {
        policy::kpis(self.kpis.as_deref())
    }

    /// The working-day calendar.
    pub fn calendar(&self) -> Result<Calendar, Error> {
        policy::calendar(self.calendars.as_deref())
    }

    /// The report's templates (`--templates` over the built-in ones).
    pub fn templates(&self) -> Result<Templates, Error> {
        Ok(Templates::load(self.templates.as_deref())?)
    }

    /// The engine's settings in the zone `timezone`, with the adjustments file read.
    pub fn engine(&self, timezone: Tz) -> Result<EngineOptions, Error> {
        let adjustments = match &self.adjustments {
            Some(path) => Some(std::sync::Arc::new(appraise_kpi::Adjustments::from_file(
                path, timezone,
            )?)),
            None => None,
        };
        Ok(EngineOptions {
            timezone,
            cluster: self.cluster.clone(),
            adjustments,
            fuse: self.fuse,
            ..EngineOptions::default()
        })
    }

    /// The rules of an appraisal by `scorecard`, in the zone `timezone`.
    pub fn rules(&self, scorecard: Scorecard, timezone: Tz) -> Result<Rules, Error> {
        Ok(Rules {
            scorecard,
            library: self.library()?,
            calendar: self.calendar()?,
            engine: self.engine(timezone)?,
            allow_empty: self.allow_empty,
            query_timeout: self.query_timeout,
        })
    }

    /// Everything an appraisal needs before it reads data: the scorecard parsed once,
    /// its zone (or `--timezone`), the rules, the load's options, the output's policy.
    pub fn resolve(&self) -> Result<Resolved, Error> {
        let scorecard = self.scorecard()?;
        let timezone = self.timezone.unwrap_or(scorecard.timezone);
        Ok(Resolved {
            rules: self.rules(scorecard, timezone)?,
            options: self.options_in(timezone),
            write: self.write_policy(),
        })
    }

    /// What the command reads, which its output may neither be nor hold: the data, the
    /// policy files as read from disk (the KPI folder with its evidence queries, the
    /// calendars, the scorecard: the flags' or the working folder's), the templates, the
    /// X-Road mapping and departments, the database mapping, the key file, the
    /// adjustments and the other files it reads.
    pub fn inputs(&self) -> Vec<PathBuf> {
        let x = &self.load.xroad;
        let policy = crate::policy::on_disk(
            self.kpis.as_deref(),
            self.calendars.as_deref(),
            self.scorecard.as_deref(),
        );
        [
            &self.data,
            &self.templates,
            &x.mapping,
            &x.departments,
            &self.load.database.mapping,
            &self.key_file,
            &self.adjustments,
        ]
        .into_iter()
        .flatten()
        .chain(&self.also_reads)
        .cloned()
        .chain(policy)
        .collect()
    }

    /// How the command may treat its output folder.
    pub fn write_policy(&self) -> Policy {
        Policy {
            force: self.force,
            wait: self.wait,
            inputs: self.inputs(),
        }
    }

    /// The data folder; an error if the command was given none.
    pub fn data(&self) -> Result<&Path, Error> {
        self.data.as_deref().ok_or_else(|| Error::Input {
            reason: "no data to read".into(),
            hint: Some("pass --data DIR".into()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The built-in scorecard with its zone replaced by `zone`, in a file of `dir`.
    fn scorecard_in(dir: &Path, zone: &str) -> PathBuf {
        let text = crate::policy::all_files()
            .into_iter()
            .find(|(p, _)| p.ends_with("scorecard.toml"))
            .map(|(_, t)| {
                t.replace(
                    "timezone = \"Asia/Shanghai\"",
                    &format!("timezone = \"{zone}\""),
                )
            })
            .unwrap_or_default();
        assert!(text.contains(zone), "the built-in scorecard names its zone");
        let path = dir.join("card.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn the_zone_is_the_flag_s_else_the_scorecard_s_and_the_load_reads_in_it() {
        let tmp = tempfile::tempdir().unwrap();
        let card = scorecard_in(tmp.path(), "Europe/Tallinn");
        let settings = Settings {
            scorecard: Some(card),
            ..Settings::default()
        };
        let resolved = settings.resolve().unwrap();
        assert_eq!(resolved.options.timezone, chrono_tz::Europe::Tallinn);
        assert_eq!(resolved.rules.engine.timezone, chrono_tz::Europe::Tallinn);
        assert_eq!(settings.zone().ok(), Some(chrono_tz::Europe::Tallinn));
        let flagged = Settings {
            timezone: Some(chrono_tz::UTC),
            ..settings
        };
        let resolved = flagged.resolve().unwrap();
        assert_eq!(resolved.options.timezone, chrono_tz::UTC);
        assert_eq!(resolved.rules.engine.timezone, chrono_tz::UTC);
        // The scorecard is still the file's.
        assert_eq!(
            resolved.rules.scorecard.timezone,
            chrono_tz::Europe::Tallinn
        );
    }

    #[test]
    fn every_file_a_command_reads_is_protected_from_its_output() {
        let p = |s: &str| Some(PathBuf::from(s));
        let mut settings = Settings {
            data: p("data"),
            scorecard: p("card.toml"),
            kpis: p("kpis"),
            calendars: p("calendars"),
            templates: p("templates"),
            also_reads: vec!["matrix.csv".into()],
            key_file: p("key"),
            force: true,
            ..Settings::default()
        };
        settings.load.xroad.mapping = p("mapping.csv");
        settings.load.xroad.departments = p("departments.csv");
        let policy = settings.write_policy();
        let mut inputs: Vec<String> = policy
            .inputs
            .iter()
            .map(|i| i.display().to_string())
            .collect();
        inputs.sort();
        assert_eq!(
            inputs,
            [
                "calendars",
                "card.toml",
                "data",
                "departments.csv",
                "key",
                "kpis",
                "kpis/evidence",
                "mapping.csv",
                "matrix.csv",
                "templates"
            ]
        );
        assert!(policy.force && !policy.wait);
    }
}
