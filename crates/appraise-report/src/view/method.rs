//! The methodology and the KPI appendix.

use super::*;

#[derive(Debug, Serialize)]
pub(crate) struct Method {
    pub aggregation: String,
    pub min_coverage: String,
    pub kpis: Vec<RuleView>,
    pub grade_method: String,
    pub bands: Vec<BandView>,
    pub runs: usize,
    pub seed: u64,
    pub weight_noise: String,
    pub evaluations: usize,
    pub mean_rank_change: String,
    /// What the robustness analysis varies, in a sentence.
    pub intro: String,
    pub sobol: Vec<SobolView>,
    /// The Sobol indices as a chart (SVG); empty without the robustness analysis.
    pub sensitivity: String,
    pub decisive: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct RuleView {
    pub key: String,
    pub id: String,
    pub title: String,
    pub dimension: String,
    pub weight: String,
    pub share: String,
    pub direction: String,
    pub transform: String,
    pub normalise: String,
    pub goalposts: String,
    pub missing: String,
    pub min_sample: u64,
}

#[derive(Debug, Serialize)]
pub(crate) struct BandView {
    pub grade: String,
    pub label: String,
    pub rule: String,
    pub colour: String,
    pub ink: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct SobolView {
    pub assumption: String,
    pub first_order: String,
    pub total: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct KpiView {
    pub key: String,
    pub id: String,
    /// The id as the appendix shows it beside the title: in English; none in Chinese,
    /// whose reader has the title (the workbook's data dictionary maps ids).
    pub code: String,
    pub title: String,
    pub dimension: String,
    pub unit: String,
    pub direction: String,
    pub description: String,
    pub sql: String,
    pub file: String,
}

/// `sql` without its comments (`--` to the end of the line, outside a quoted string or
/// name), and without the lines left empty by them.
pub(super) fn without_comments(sql: &str) -> String {
    let mut out = Vec::new();
    for line in sql.lines() {
        let mut quote: Option<char> = None;
        let mut cut = line.len();
        let mut chars = line.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, '-') if chars.peek().is_some_and(|&(_, n)| n == '-') => {
                    cut = i;
                    break;
                }
                _ => {}
            }
        }
        let kept = line[..cut].trim_end();
        if !kept.trim().is_empty() || line.trim().is_empty() && cut == line.len() {
            out.push(kept);
        }
    }
    // No blank lines at the head, where the header was.
    let start = out
        .iter()
        .position(|l| !l.trim().is_empty())
        .unwrap_or(out.len());
    out[start..].join("\n")
}

impl<'a> Views<'a> {
    pub(super) fn method(&self) -> Method {
        let a = self.appraisal;
        let card = &a.scorecard;
        let kpis = self.rule_views();
        let bands = self.band_views();
        let r = a.robustness.as_ref();
        Method {
            aggregation: self.word(&format!("aggregation:{}", name_of(&card.aggregation))),
            min_coverage: self.lang.percent(card.min_coverage),
            kpis,
            grade_method: self.word(&format!("grades:{}", name_of(&card.grades.method))),
            bands,
            runs: card.uncertainty.runs,
            seed: card.uncertainty.seed,
            weight_noise: format!("± {}", self.lang.percent(card.uncertainty.weight_noise)),
            evaluations: r.map_or(0, |r| r.evaluations),
            mean_rank_change: self.num(r.map(|r| r.mean_rank_change), 2),
            intro: r.map_or(String::new(), |r| {
                self.word("robustness_intro")
                    .replace("{factors}", &self.factors(r))
            }),
            sobol: r.map_or(Vec::new(), |r| {
                r.sobol
                    .iter()
                    .map(|s| SobolView {
                        assumption: self.word(&format!("assumption:{}", s.assumption.name())),
                        first_order: self.num(s.first_order, 3),
                        total: self.num(s.total, 3),
                    })
                    .collect()
            }),
            sensitivity: String::new(),
            decisive: r
                .and_then(|r| r.decisive())
                .map(|x| self.word(&format!("assumption:{}", x.name()))),
        }
    }

    /// Each KPI's rule as the scorecard sets it: weight and share, direction,
    /// transform, normalisation, goalposts, missing-value rule, minimum sample.
    fn rule_views(&self) -> Vec<RuleView> {
        let a = self.appraisal;
        let card = &a.scorecard;
        let shares = card.nominal_shares();
        a.current
            .kpis
            .iter()
            .filter_map(|id| {
                let rule = card.kpi(id)?;
                let def = self.kpis.iter().find(|d| &d.id == id);
                Some(RuleView {
                    key: kpi_key(card, id),
                    id: id.clone(),
                    title: self.kpi_title(id),
                    dimension: self.dimension_title(&rule.dimension),
                    weight: self.num(Some(rule.weight), 2),
                    share: shares
                        .get(card.kpis.iter().position(|r| &r.id == id)?)
                        .map_or("–".into(), |s| self.lang.percent(*s)),
                    direction: def.map_or(String::new(), |d| {
                        self.word(&format!("direction:{}", name_of(&d.direction)))
                    }),
                    transform: self.word(&format!("transform:{}", name_of(&rule.transform))),
                    normalise: self.word(&format!("normalise:{}", name_of(&rule.normalise))),
                    goalposts: match (rule.floor, rule.target) {
                        (Some(f), Some(t)) => format!("{f} → {t}"),
                        _ => "–".into(),
                    },
                    missing: self.word(&format!("missing:{}", name_of(&rule.missing))),
                    min_sample: rule.min_sample,
                })
            })
            .collect()
    }

    /// The grade bands, best first, with their rule and colours.
    fn band_views(&self) -> Vec<BandView> {
        let card = &self.appraisal.scorecard;
        let n = card.grades.bands.len();
        card.grades
            .bands
            .iter()
            .enumerate()
            .map(|(g, b)| {
                let (grade, label) = self.grade(Some(g));
                BandView {
                    grade,
                    label,
                    rule: match (b.min, b.share) {
                        (Some(m), _) => format!("≥ {}", self.num(Some(m), 1)),
                        (_, Some(s)) => format!("≤ {}", self.lang.percent(s)),
                        _ => self.word("band_rest"),
                    },
                    colour: hex(grade_colour(Some(g), n)),
                    ink: hex(grade_ink(grade_colour(Some(g), n))),
                }
            })
            .collect()
    }

    /// The factors the robustness analysis varied, as one phrase.
    pub(super) fn factors(&self, r: &appraise_score::Robustness) -> String {
        let names: Vec<String> = r
            .sobol
            .iter()
            .map(|s| self.word(&format!("assumption:{}", s.assumption.name())))
            .collect();
        self.joined(&names, "list_join")
    }

    pub(super) fn appendix(&self) -> Vec<KpiView> {
        let s = &self.appraisal.current;
        s.kpis
            .iter()
            .filter_map(|id| {
                let def = self.kpis.iter().find(|d| &d.id == id)?;
                let dimension = self
                    .appraisal
                    .scorecard
                    .kpi(id)
                    .map_or(def.dimension.clone(), |r| r.dimension.clone());
                let english = self.lang == Lang::En;
                Some(KpiView {
                    key: kpi_key(&self.appraisal.scorecard, id),
                    id: id.clone(),
                    code: if english { id.clone() } else { String::new() },
                    title: self.kpi_title(id),
                    dimension: self.dimension_title(&dimension),
                    unit: self.unit(def),
                    direction: self.word(&format!("direction:{}", name_of(&def.direction))),
                    description: match (self.lang, &def.description_zh) {
                        (Lang::Zh, Some(zh)) => zh.clone(),
                        _ => def.description.clone().unwrap_or_default(),
                    },
                    // The Chinese appendix: the query without its English comments, and
                    // no file name.
                    sql: if english {
                        def.sql.clone()
                    } else {
                        without_comments(&def.sql)
                    },
                    file: def
                        .path
                        .file_name()
                        .filter(|_| english)
                        .map_or(String::new(), |n| n.to_string_lossy().into_owned()),
                })
            })
            .collect()
    }
}
