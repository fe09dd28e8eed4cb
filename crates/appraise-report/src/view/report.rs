//! The report page: its key figures, findings, bulletin cover, data quality and
//! what-if controls.

use super::*;

/// The main report.
#[derive(Debug, Serialize)]
pub(crate) struct ReportView<'a> {
    pub lang: &'static str,
    pub t: &'a Strings,
    pub scorecard: String,
    pub period: String,
    pub previous: Option<String>,
    pub departments: usize,
    pub ranked: usize,
    pub unranked: usize,
    pub top: Vec<RankRow>,
    pub bottom: Vec<RankRow>,
    pub risers: Vec<RankRow>,
    pub fallers: Vec<RankRow>,
    pub grades: Vec<GradeCount>,
    pub coverage: Vec<Coverage>,
    pub dimensions: Vec<DimensionView>,
    pub ranking: Vec<RankRow>,
    pub charts: Vec<Chart>,
    /// The charts as the PDF shows them: long ones in parts.
    pub print_charts: Vec<Chart>,
    pub method: Method,
    pub appendix: Vec<KpiView>,
    pub quality: Quality,
    pub redundant: Vec<Pair>,
    pub warnings: Vec<String>,
    pub anomalies: AnomalySection,
    /// Who issues the bulletin, as its cover prints it.
    pub bulletin: BulletinView,
    /// The key findings, in plain sentences generated from the figures.
    pub findings: Vec<String>,
    /// What the rank interval is, in a sentence (empty without the robustness runs).
    pub interval_note: String,
    /// What the what-if controls recompute from, as JSON safe inside a script
    /// element: the weights, the aggregation and grading rules, each department's
    /// KPI scores, and the scorecard's text.
    pub whatif: String,
    /// The adjustments applied, with their effect; empty without.
    pub adjustments: super::adjust::AdjustmentSection,
    /// Preliminary or final.
    pub release: super::StatusView,
}

/// The cover's issuer, document number, date of issue and logo (the scorecard's
/// `[bulletin]`); an unset one is a placeholder in brackets, and `draft` says that one
/// is.
#[derive(Debug, Serialize)]
pub(crate) struct BulletinView {
    pub issuer: String,
    /// The issuer as the PDF's author; empty where unset (never the tool's name).
    pub author: String,
    pub document_number: String,
    pub issued: String,
    pub draft: bool,
    /// The logo's bytes and format (`png`, `jpg`, `svg`), read when the report is
    /// written; none where unset.
    pub logo: Option<Vec<u8>>,
    pub logo_format: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct GradeCount {
    pub grade: String,
    pub label: String,
    pub colour: String,
    pub ink: String,
    pub count: usize,
    pub share: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct Coverage {
    pub key: String,
    pub title: String,
    pub with_value: usize,
    pub share: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct DimensionView {
    pub id: String,
    pub title: String,
    pub weight: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct Quality {
    pub tables: Vec<TableQuality>,
    pub reasons: Vec<ReasonCount>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct TableQuality {
    pub table: String,
    pub read: String,
    pub loaded: String,
    pub rejected: String,
    pub duplicates: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct ReasonCount {
    pub table: String,
    pub reason: String,
    pub rows: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct Pair {
    pub a: String,
    pub b: String,
    pub rho: String,
}

/// Rows shown in the summary's top, bottom and movers lists (top and bottom at most
/// half the ranked departments each, so that they never overlap).
pub(super) const SUMMARY_ROWS: usize = 5;

/// The ranked departments that rose most and fell most since the previous period (at
/// most [`SUMMARY_ROWS`] each; ties by id).
pub(super) fn movers(ranked: &[RankRow]) -> (Vec<RankRow>, Vec<RankRow>) {
    let mut movers: Vec<&RankRow> = ranked.iter().filter(|r| r.change_sort != 0.0).collect();
    movers.sort_by(|x, y| {
        y.change_sort
            .total_cmp(&x.change_sort)
            .then(x.id.cmp(&y.id))
    });
    let risers = movers
        .iter()
        .filter(|r| r.change_sort > 0.0)
        .take(SUMMARY_ROWS)
        .map(|r| (*r).clone())
        .collect();
    let fallers = movers
        .iter()
        .rev()
        .filter(|r| r.change_sort < 0.0)
        .take(SUMMARY_ROWS)
        .map(|r| (*r).clone())
        .collect();
    (risers, fallers)
}

impl<'a> Views<'a> {
    /// The note under KPI `k`'s funnel plot: what its limits mean, then the departments
    /// outside the 99.8 % limits and those outside only the 95 % ones, above and below
    /// (or that none is).
    pub(crate) fn funnel_note(&self, src: &crate::charts::Source<'_>, k: usize) -> String {
        let Some(f) = src.funnels().iter().find(|f| f.kpi == k) else {
            return String::new();
        };
        let names = |signal: i8| {
            let mut n: Vec<String> = f
                .points
                .iter()
                .filter(|p| p.signal == signal)
                .map(|p| short_text(&self.name(p.department)))
                .collect();
            n.sort();
            n.join(&self.word("list_sep"))
        };
        let mut note = self.word("funnel_explain");
        let mut any = false;
        for (signal, key) in [
            (2, "funnel_above_998"),
            (1, "funnel_above_95"),
            (-1, "funnel_below_95"),
            (-2, "funnel_below_998"),
        ] {
            let list = names(signal);
            if !list.is_empty() {
                any = true;
                note.push_str(&self.word(key).replace("{names}", &list));
            }
        }
        if !any {
            note.push_str(&self.word("funnel_within"));
        }
        note.trim_end().to_string()
    }

    /// The cover's issuer, document number and date (the logo is read by the writer).
    pub(super) fn bulletin(&self) -> BulletinView {
        let b = &self.appraisal.scorecard.bulletin;
        let issuer = match self.lang {
            Lang::Zh => b.issuer_zh.clone().or(b.issuer.clone()),
            Lang::En => b.issuer.clone().or(b.issuer_zh.clone()),
        };
        let unset = |key: &str| {
            format!(
                "{}{}{}",
                self.word("bracket_open"),
                self.word(key),
                self.word("bracket_close")
            )
        };
        BulletinView {
            draft: issuer.is_none() || b.document_number.is_none() || b.issued.is_none(),
            author: issuer.clone().unwrap_or_default(),
            issuer: issuer.unwrap_or_else(|| unset("bulletin_issuer")),
            document_number: b
                .document_number
                .clone()
                .unwrap_or_else(|| unset("bulletin_number")),
            issued: b
                .issued
                .map_or_else(|| unset("bulletin_issued"), |d| self.lang.date(d)),
            logo: None,
            logo_format: b
                .logo
                .as_ref()
                .and_then(|p| p.extension())
                .and_then(|e| e.to_str())
                .map(|e| match e.to_ascii_lowercase().as_str() {
                    "jpeg" => "jpg".to_string(),
                    e => e.to_string(),
                })
                .unwrap_or_default(),
        }
    }

    /// The key findings in plain sentences, from the figures: the grades, the
    /// composite's median and its change, the top department, the largest moves in rank
    /// and grade, the departments not ranked, the values resting on few cases, and the
    /// anomalies found.
    pub(super) fn findings(
        &self,
        ranked: &[usize],
        risers: &[RankRow],
        fallers: &[RankRow],
    ) -> Vec<String> {
        let mut out = vec![self.grades_finding(ranked)];
        out.extend(self.median_finding());
        out.extend(self.top_finding(ranked));
        out.extend(self.movers_finding(risers, fallers));
        out.extend(self.grade_moves_finding(ranked));
        out.extend(self.caveats(ranked));
        out
    }

    /// The finding `key` with each `{name}` of it replaced by its value.
    fn fill(&self, key: &str, args: &[(&str, String)]) -> String {
        args.iter().fold(self.word(key), |text, (name, value)| {
            text.replace(&format!("{{{name}}}"), value)
        })
    }

    /// How many departments are ranked, and how many in each grade.
    fn grades_finding(&self, ranked: &[usize]) -> String {
        let counts: Vec<String> = self
            .grade_counts(ranked)
            .iter()
            .map(|g| {
                self.fill(
                    "finding_grade_count",
                    &[("grade", g.grade.clone()), ("count", g.count.to_string())],
                )
            })
            .collect();
        self.fill(
            "finding_grades",
            &[
                ("ranked", ranked.len().to_string()),
                ("counts", counts.join(&self.word("list_sep"))),
            ],
        )
    }

    /// The median composite of the ranked departments, and its change since the
    /// previous period.
    fn median_finding(&self) -> Option<String> {
        let a = self.appraisal;
        let now = median_composite(&a.current)?;
        Some(match a.previous().and_then(median_composite) {
            Some(before) => self.fill(
                if now >= before {
                    "finding_median_up"
                } else {
                    "finding_median_down"
                },
                &[
                    ("median", self.num(Some(now), 2)),
                    ("change", self.num(Some((now - before).abs()), 2)),
                ],
            ),
            None => self.fill("finding_median", &[("median", self.num(Some(now), 2))]),
        })
    }

    /// The department ranked first (or those tied first), with its composite.
    fn top_finding(&self, ranked: &[usize]) -> Option<String> {
        let s = &self.appraisal.current;
        let first: Vec<usize> = ranked
            .iter()
            .copied()
            .filter(|&d| s.departments[d].rank == Some(1))
            .collect();
        let &top = first.first()?;
        let composite = ("composite", self.num(s.departments[top].composite, 2));
        let short = |d: usize| short_text(&self.name(d));
        Some(if first.len() == 1 {
            self.fill("finding_top", &[("name", short(top)), composite])
        } else {
            let names: Vec<String> = first.iter().map(|&d| short(d)).collect();
            self.fill(
                "finding_top_tied",
                &[("names", names.join(&self.word("list_sep"))), composite],
            )
        })
    }

    /// The largest rise and the largest fall in rank.
    fn movers_finding(&self, risers: &[RankRow], fallers: &[RankRow]) -> Option<String> {
        let (up, down) = (risers.first()?, fallers.first()?);
        Some(self.fill(
            "finding_movers",
            &[
                ("riser", short_text(&up.name)),
                ("up", (up.change_sort.abs() as i64).to_string()),
                ("faller", short_text(&down.name)),
                ("down", (down.change_sort.abs() as i64).to_string()),
            ],
        ))
    }

    /// How many ranked departments moved up a grade and how many down.
    fn grade_moves_finding(&self, ranked: &[usize]) -> Option<String> {
        let s = &self.appraisal.current;
        let p = self.appraisal.previous()?;
        let (mut better, mut worse) = (0, 0);
        for &d in ranked {
            let dep = &s.departments[d];
            let before = p
                .position(&dep.department.id)
                .and_then(|e| p.departments[e].grade);
            match (dep.grade, before) {
                (Some(g), Some(b)) if g < b => better += 1,
                (Some(g), Some(b)) if g > b => worse += 1,
                _ => {}
            }
        }
        Some(self.fill(
            "finding_grade_moves",
            &[("better", better.to_string()), ("worse", worse.to_string())],
        ))
    }

    /// What to read the figures with: the departments not ranked, the share of scores
    /// resting on few cases, the anomalies found.
    fn caveats(&self, ranked: &[usize]) -> Vec<String> {
        let s = &self.appraisal.current;
        let mut out = Vec::new();
        let unranked = s.departments.len() - ranked.len();
        if unranked > 0 {
            out.push(self.fill("finding_unranked", &[("count", unranked.to_string())]));
        }
        let scored = s.cells.iter().filter(|c| c.score.is_some()).count();
        let few = s
            .cells
            .iter()
            .filter(|c| c.score.is_some() && c.flags.contains(appraise_score::Flags::LOW_N))
            .count();
        if few > 0 {
            out.push(self.fill(
                "finding_low_n",
                &[
                    (
                        "share",
                        self.lang.percent(few as f64 / scored.max(1) as f64),
                    ),
                    ("n", appraise_score::rates::LOW_N.to_string()),
                ],
            ));
        }
        let found = self.anomalies.anomalies.len();
        if found > 0 {
            out.push(self.fill("finding_anomalies", &[("count", found.to_string())]));
        }
        out
    }

    pub(crate) fn report(&self, charts: Vec<Chart>) -> ReportView<'a> {
        let a = self.appraisal;
        let s = &a.current;
        let order = s.ranking_order();
        let ranked = s.ranked();
        let ranking: Vec<RankRow> = order.iter().map(|&d| self.row(d)).collect();
        let ranked_rows: Vec<RankRow> = ranking
            .iter()
            .filter(|r| r.rank_sort < f64::MAX)
            .cloned()
            .collect();
        let (risers, fallers) = movers(&ranked_rows);
        let findings = self.findings(&ranked, &risers, &fallers);
        let ends = SUMMARY_ROWS.min(ranked_rows.len() / 2);
        let bottom: Vec<RankRow> = ranked_rows.iter().rev().take(ends).cloned().collect();
        ReportView {
            lang: self.lang.code(),
            t: self.t,
            scorecard: self.scorecard_name(),
            period: self.lang.period(&s.period),
            previous: a.previous().map(|p| self.lang.period(&p.period)),
            departments: s.departments.len(),
            ranked: ranked.len(),
            unranked: s.departments.len() - ranked.len(),
            top: ranked_rows.iter().take(ends).cloned().collect(),
            bottom: bottom.into_iter().rev().collect(),
            risers,
            fallers,
            grades: self.grade_counts(&ranked),
            coverage: self.coverage(),
            dimensions: self.dimensions(),
            ranking,
            print_charts: Vec::new(),
            charts,
            method: self.method(),
            appendix: self.appendix(),
            quality: self.quality(),
            redundant: a
                .correlations
                .iter()
                .filter(|c| c.redundant)
                .map(|c| Pair {
                    a: self.kpi_title(&c.kpi_a),
                    b: self.kpi_title(&c.kpi_b),
                    rho: self.num(Some(c.rho), 2),
                })
                .collect(),
            warnings: self.warnings(&s.warnings),
            anomalies: self.anomaly_section(),
            bulletin: self.bulletin(),
            findings,
            interval_note: self.interval_note(),
            whatif: self.whatif(),
            adjustments: self.adjustments(),
            release: self.status(),
        }
    }

    /// The what-if data ([`ReportView::whatif`]).
    pub(super) fn whatif(&self) -> String {
        let a = self.appraisal;
        let (s, card) = (&a.current, &a.scorecard);
        let dim = |id: &str| card.dimensions.iter().position(|d| d.id == id);
        let data = serde_json::json!({
            "tie": appraise_score::TIE,
            "aggregation": match card.aggregation {
                appraise_score::Aggregation::Arithmetic => "arithmetic",
                appraise_score::Aggregation::Geometric => "geometric",
            },
            "min_coverage": card.min_coverage,
            "max_weight": appraise_score::scorecard::MAX_WEIGHT,
            "messages": {
                "weight": self.word("whatif_bad_weight"),
                "address": self.word("whatif_bad_address"),
                "aggregation": self.word("whatif_bad_aggregation"),
                "dimensions": self.word("whatif_zero_dimensions"),
                "kpis": self.word("whatif_zero_kpis"),
            },
            "aggregations": {
                "arithmetic": self.word("aggregation:arithmetic"),
                "geometric": self.word("aggregation:geometric"),
            },
            "dimensions": card.dimensions.iter().map(|d| serde_json::json!({
                "id": d.id, "title": self.dimension_title(&d.id), "weight": d.weight,
            })).collect::<Vec<_>>(),
            "kpis": card.kpis.iter().map(|k| serde_json::json!({
                "id": k.id, "code": k.code, "title": self.kpi_title(&k.id),
                "dimension": dim(&k.dimension), "weight": k.weight,
            })).collect::<Vec<_>>(),
            "grades": {
                "quota": card.grades.method == appraise_score::GradeMethod::Quota,
                "bands": card.grades.bands.iter().map(|b| serde_json::json!({
                    "grade": b.grade, "min": b.min, "share": b.share,
                })).collect::<Vec<_>>(),
            },
            // In the scoring's order (by id), which breaks ties.
            "departments": s.departments.iter().enumerate().map(|(d, dep)| serde_json::json!({
                "id": dep.department.id,
                "name": self.name(d),
                "rank": dep.rank,
                "scores": (0..s.kpis.len()).map(|k| s.cell(d, k).score).collect::<Vec<_>>(),
                "usable": (0..s.kpis.len()).map(|k| s.cell(d, k).treated.is_some()).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "scorecard": card.text,
        });
        // Markup characters only occur inside JSON strings, where their \u escapes
        // read the same: nothing in the data can end or open an element.
        data.to_string()
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026")
    }

    /// How many ranked departments have each grade.
    pub(super) fn grade_counts(&self, ranked: &[usize]) -> Vec<GradeCount> {
        let s = &self.appraisal.current;
        let bands = &self.appraisal.scorecard.grades.bands;
        (0..bands.len())
            .map(|g| {
                let count = ranked
                    .iter()
                    .filter(|&&d| s.departments[d].grade == Some(g))
                    .count();
                let (grade, label) = self.grade(Some(g));
                GradeCount {
                    grade,
                    label,
                    colour: hex(grade_colour(Some(g), bands.len())),
                    ink: hex(grade_ink(grade_colour(Some(g), bands.len()))),
                    count,
                    share: self.lang.percent(count as f64 / ranked.len().max(1) as f64),
                }
            })
            .collect()
    }

    /// How many departments have a value of each KPI.
    pub(super) fn coverage(&self) -> Vec<Coverage> {
        let s = &self.appraisal.current;
        s.kpis
            .iter()
            .enumerate()
            .map(|(k, id)| {
                let with_value = (0..s.departments.len())
                    .filter(|&d| s.cell(d, k).value.is_some())
                    .count();
                Coverage {
                    key: kpi_key(&self.appraisal.scorecard, id),
                    title: self.kpi_title(id),
                    with_value,
                    share: self
                        .lang
                        .percent(with_value as f64 / s.departments.len().max(1) as f64),
                }
            })
            .collect()
    }

    pub(super) fn dimensions(&self) -> Vec<DimensionView> {
        let card = &self.appraisal.scorecard;
        let total: f64 = card.dimensions.iter().map(|d| d.weight).sum();
        card.dimensions
            .iter()
            .map(|d| DimensionView {
                id: d.id.clone(),
                title: self.dimension_title(&d.id),
                weight: self.lang.percent(d.weight / total.max(f64::MIN_POSITIVE)),
            })
            .collect()
    }

    pub(super) fn quality(&self) -> Quality {
        let c = |n: u64| self.lang.count(n);
        Quality {
            tables: self
                .data
                .tables
                .iter()
                .map(|t| TableQuality {
                    table: self.value_word("table", t.table.name()),
                    read: c(t.accounting.read),
                    loaded: c(t.accounting.loaded),
                    rejected: c(t.accounting.rejected),
                    duplicates: c(t.accounting.duplicates),
                })
                .collect(),
            reasons: self
                .data
                .tables
                .iter()
                .flat_map(|t| {
                    t.accounting.reasons.iter().map(|(r, n)| ReasonCount {
                        table: self.value_word("table", t.table.name()),
                        reason: self.value_word("reason", r),
                        rows: c(*n),
                    })
                })
                .collect(),
            warnings: self.warnings(&self.data.warnings),
        }
    }
}

/// The median composite of the ranked departments (the mean of the middle two for an
/// even count).
fn median_composite(scores: &Scores) -> Option<f64> {
    let mut c: Vec<f64> = scores
        .ranked()
        .iter()
        .filter_map(|&d| scores.departments[d].composite)
        .collect();
    c.sort_by(f64::total_cmp);
    (!c.is_empty()).then(|| {
        let m = c.len() / 2;
        if c.len() % 2 == 1 {
            c[m]
        } else {
            (c[m - 1] + c[m]) / 2.0
        }
    })
}
