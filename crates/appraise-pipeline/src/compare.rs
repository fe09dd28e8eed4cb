//! Two appraisals of the same data side by side: a period with another, or one period
//! under two scorecards ([`appraise_score::comparison`]), written as `compare.csv`,
//! `compare_kpis.csv` and `compare.html`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use appraise_data::staging::{Policy, Staging};
use appraise_data::{Dataset, LoadOptions, Warning};
use appraise_kpi::Period;
use appraise_report::lang::Lang;
use appraise_report::tables::{TableFormat, for_spreadsheets, write};
use appraise_report::templates::Templates;
use appraise_score::Appraisal;

use crate::{Error, Laps, Rules, appraise};

/// What to compare, and where the comparison goes.
pub struct Comparison {
    /// The data folder or warehouse both appraisals read.
    pub data: PathBuf,
    /// How it is read.
    pub options: LoadOptions,
    /// The base: its period and rules.
    pub base: (Period, Rules),
    /// The appraisal compared with the base: its period and rules.
    pub now: (Period, Rules),
    /// The output folder.
    pub out: PathBuf,
    /// How the output folder may be treated.
    pub write: Policy,
    /// The page's language.
    pub lang: Lang,
}

/// A comparison written.
pub struct Compared {
    /// The output folder, committed.
    pub out: PathBuf,
    /// The data as loaded (its rejections).
    pub data: Dataset,
    /// What the two appraisals warned of, the base's first.
    pub warnings: Vec<Warning>,
}

/// Appraises the base and the other, and writes them side by side into `out`.
pub fn compare(c: Comparison) -> Result<Compared, Error> {
    // The output folder is checked (and locked) before any work is done.
    let staging = Staging::new(&c.out, &c.write)?;
    let templates = Templates::load(None)?;
    let data = crate::load(&c.data, &c.options)?;
    let lang = c.lang;
    // The KPIs' titles in the page's language, from the whole library: the two
    // scorecards may use different KPIs.
    let titles: BTreeMap<String, String> = c
        .now
        .1
        .library
        .iter()
        .map(|k| {
            let title = match lang {
                Lang::Zh => k.title_zh.clone().unwrap_or(k.title.clone()),
                Lang::En => k.title.clone(),
            };
            (k.id.clone(), title)
        })
        .collect();
    let mut warnings = Vec::new();
    let mut score_and_label = |(period, rules): (Period, Rules)| -> Result<_, Error> {
        let scored = appraise(&c.data, &data, &period, rules, &mut Laps::start("kpis"))?;
        warnings.extend(scored.coverage);
        warnings.extend(scored.warnings);
        let label = format!(
            "{} · {}",
            lang.period(&period),
            scorecard_name(&scored.appraisal, lang)
        );
        Ok((scored.appraisal, label))
    };
    let (base, base_label) = score_and_label(c.base)?;
    let (now, now_label) = score_and_label(c.now)?;
    let (departments, by_kpi) = appraise_score::comparison(&base, &now)?;
    let dir = staging.path();
    for (name, batch) in [("compare", &departments), ("compare_kpis", &by_kpi)] {
        let path = dir.join(format!("{name}.csv"));
        write(&[for_spreadsheets(batch)], TableFormat::Csv, &path)?;
    }
    let page = appraise_report::compare::comparison_page(
        &templates,
        lang,
        &departments,
        (&base_label, &now_label),
        &titles,
    )?;
    let path = dir.join("compare.html");
    std::fs::write(&path, page).map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    Ok(Compared {
        out: staging.commit()?,
        data,
        warnings,
    })
}

/// The scorecard's name in `lang`.
fn scorecard_name(a: &Appraisal, lang: Lang) -> String {
    match lang {
        Lang::Zh => a
            .scorecard
            .name_zh
            .clone()
            .unwrap_or(a.scorecard.name.clone()),
        Lang::En => a.scorecard.name.clone(),
    }
}
