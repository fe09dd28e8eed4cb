//! A department's report card: its figures, KPI table, strengths, weaknesses and its
//! route to the next grade.

use super::*;

/// A department's report card.
#[derive(Debug, Serialize)]
pub(crate) struct CardView<'a> {
    /// The rank over the periods scored as a small SVG (rank 1 at the top); empty with
    /// fewer than two ranked periods.
    pub sparkline: String,
    pub lang: &'static str,
    pub t: &'a Strings,
    pub scorecard: String,
    pub period: String,
    pub row: RankRow,
    pub dimensions: Vec<CardDimension>,
    pub kpis: Vec<CardKpi>,
    pub radar: String,
    pub history: Vec<HistoryRow>,
    pub strengths: Vec<StandingView>,
    pub weaknesses: Vec<StandingView>,
    /// The KPIs whose change alone moves the department up, least effort first.
    pub levers: Vec<LeverView>,
    /// The best lever in a sentence; or that no single KPI reaches the next grade.
    pub lever: String,
    /// What to fix, item by item, on the KPIs of its route.
    pub fixes: Vec<FixView>,
    /// The anomalies of its exchange traffic as provider, by day.
    pub anomalies: Vec<AnomalyRow>,
    /// Why it is not ranked, in a sentence; empty when it is.
    pub reason: String,
    /// What the rank interval is, in a sentence; empty without the robustness analysis.
    pub interval_note: String,
    /// Preliminary or final.
    pub release: StatusView,
}

/// What to fix on one KPI: its heaviest items.
#[derive(Debug, Serialize)]
pub(crate) struct FixView {
    /// The KPI's title.
    pub kpi: String,
    /// What the items are ("resources with the most failed exchanges").
    pub title: String,
    /// The weight's name; empty where the items are weighed by their rows.
    pub by: String,
    /// Whether to show the rows column: not where each item is one row.
    pub rows: bool,
    pub items: Vec<FixItem>,
    /// How many items there are in all, in a phrase.
    pub total: String,
    /// The evidence file beside the card, relative to it; empty where not written.
    pub href: String,
    /// Where every row is, in a phrase: the file, or whom to ask (how to list it).
    pub rest: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct FixItem {
    pub item: String,
    pub rows: String,
    pub weight: String,
}

/// A KPI whose change alone lifts a department: to the next grade, to the next rank.
#[derive(Debug, Serialize)]
pub(crate) struct LeverView {
    pub title: String,
    pub value: String,
    /// The target for the next grade and the grade it gives; `–` where none suffices.
    pub grade_target: String,
    pub rank_target: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct CardDimension {
    pub title: String,
    pub weight: String,
    pub score: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct CardKpi {
    pub key: String,
    pub id: String,
    pub title: String,
    /// The unit in the brackets of the report's language, as it follows the title
    /// ("（比率）", " (ratio)"); empty without one.
    pub unit: String,
    pub value: String,
    /// For a rate: its 95 % interval (`0.21–0.72`), and the rate scored where the
    /// scorecard shrinks it; empty otherwise.
    pub interval: String,
    pub shrunk: String,
    pub numerator: String,
    pub denominator: String,
    pub sample: String,
    pub score: String,
    pub rank: String,
    pub peer_median: String,
    /// The peer group's median of the value (departments with a value).
    pub peer_value: String,
    /// The previous period's value, and the change since.
    pub previous: String,
    pub change: String,
    /// Composite points gained (+) or lost (−) against the peer median: weight ×
    /// (score − peer median score).
    pub points: String,
    pub weight: String,
    pub contribution: String,
    pub flags: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct HistoryRow {
    pub period: String,
    pub rank: String,
    pub composite: String,
    pub grade: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct StandingView {
    pub title: String,
    pub score: String,
    pub peer_median: String,
    pub difference: String,
    /// Composite points gained or lost against the peer median.
    pub points: String,
}

/// Composite points a cell gains (+) or loses (−) against its peer median: its share of
/// the composite times the gap between its score and the peer median score.
pub(super) fn points_against_peers(c: &appraise_score::Cell) -> Option<f64> {
    Some(c.weight? * (c.score? - c.peer_median?))
}

/// The median value of KPI `k` over the peer group of the department at `d`
/// (departments with a value, the department included).
pub(super) fn peer_value_median(s: &Scores, d: usize, k: usize) -> Option<f64> {
    let group = &s.departments[d].department.peer_group;
    let mut values: Vec<f64> = (0..s.departments.len())
        .filter(|&o| &s.departments[o].department.peer_group == group)
        .filter_map(|o| s.cell(o, k).value)
        .filter(|v| v.is_finite())
        .collect();
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    })
}

/// A formatted change with its sign: `+1.5`, `−2.0` (a minus sign, not a hyphen); none
/// where it rounds to zero (`0.00`).
pub(super) fn signed(formatted: &str, v: f64) -> String {
    if !formatted.chars().any(|c| c.is_ascii_digit() && c != '0') {
        formatted.trim_start_matches(['-', '−']).to_string()
    } else if v > 0.0 {
        format!("+{formatted}")
    } else if v < 0.0 {
        format!("−{}", formatted.trim_start_matches(['-', '−']))
    } else {
        formatted.to_string()
    }
}

impl<'a> Views<'a> {
    /// A card's KPI table: the department's value, score, rank and weight of each KPI.
    pub(super) fn card_kpis(&self, d: usize) -> Vec<CardKpi> {
        let s = &self.appraisal.current;
        let id = &s.departments[d].department.id;
        s.kpis
            .iter()
            .enumerate()
            .map(|(k, kpi)| {
                let cell = s.cell(d, k);
                let raw = self.matrix.get(id, kpi);
                let column = &self.columns[k];
                let previous = self.appraisal.previous().and_then(|p| {
                    let pd = p.position(id)?;
                    let pk = p.kpis.iter().position(|x| x == kpi)?;
                    p.cell(pd, pk).value
                });
                CardKpi {
                    key: kpi_key(&self.appraisal.scorecard, kpi),
                    id: kpi.clone(),
                    title: self.kpi_title(kpi),
                    unit: self
                        .kpis
                        .iter()
                        .find(|x| &x.id == kpi)
                        .map(|x| self.unit(x))
                        .filter(|u| !u.is_empty())
                        .map(|u| self.word("unit_after_title").replace("{unit}", &u))
                        .unwrap_or_default(),
                    value: self.num(cell.value, column.decimals),
                    interval: cell.interval.map_or(String::new(), |(lo, hi)| {
                        self.range(lo, hi, column.decimals)
                    }),
                    shrunk: cell
                        .shrunk
                        .map_or(String::new(), |x| self.num(Some(x), column.decimals)),
                    numerator: self.whole(raw.and_then(|r| r.numerator)),
                    denominator: self.whole(raw.and_then(|r| r.denominator)),
                    sample: raw
                        .and_then(|r| r.sample_size)
                        .map_or("–".into(), |n| self.lang.count(n.max(0) as u64)),
                    score: self.num(cell.score, 1),
                    rank: column.ranks[d]
                        .map_or("–".into(), |r| format!("{r}/{}", column.scored)),
                    peer_median: self.num(cell.peer_median, 1),
                    peer_value: self.num(peer_value_median(s, d, k), column.decimals),
                    previous: self.num(previous, column.decimals),
                    change: match (cell.value, previous) {
                        (Some(now), Some(before)) => {
                            signed(&self.num(Some(now - before), column.decimals), now - before)
                        }
                        _ => "–".into(),
                    },
                    points: points_against_peers(cell)
                        .map_or("–".into(), |p| signed(&self.num(Some(p), 2), p)),
                    weight: self.lang.percent(cell.weight.unwrap_or(0.0)),
                    contribution: self.num(cell.contribution, 2),
                    flags: self.flags(&cell.flags.names()),
                }
            })
            .collect()
    }

    /// A card's strengths and weaknesses: the KPIs that gain and lose the department the
    /// most composite points against its peer median (weight × score gap), at most
    /// five each; only scores from real values count (an imputed one says nothing).
    pub(super) fn standings(&self, d: usize) -> (Vec<StandingView>, Vec<StandingView>) {
        let s = &self.appraisal.current;
        let mut all: Vec<(usize, f64)> = (0..s.kpis.len())
            .filter(|&k| !s.cell(d, k).flags.imputed())
            .filter_map(|k| Some((k, points_against_peers(s.cell(d, k))?)))
            .collect();
        // Most points first; equal points in scorecard order.
        all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let view = |&(k, points): &(usize, f64)| {
            let c = s.cell(d, k);
            StandingView {
                title: self.kpi_title(&s.kpis[k]),
                score: self.num(c.score, 1),
                peer_median: self.num(c.peer_median, 1),
                difference: format!(
                    "{:+.1}",
                    c.score.unwrap_or(0.0) - c.peer_median.unwrap_or(0.0)
                ),
                points: signed(&self.num(Some(points), 2), points),
            }
        };
        let strengths = all.iter().filter(|x| x.1 > 0.0).take(5).map(view).collect();
        let weaknesses = all
            .iter()
            .rev()
            .filter(|x| x.1 < 0.0)
            .take(5)
            .map(view)
            .collect();
        (strengths, weaknesses)
    }

    /// Why department `d` is not ranked, in a sentence; empty when it is.
    pub(super) fn unranked_reason(&self, d: usize) -> String {
        let dep = &self.appraisal.current.departments[d];
        if dep.status == appraise_score::Status::Ranked {
            return String::new();
        }
        if dep.composite.is_none() {
            return self.word("unranked_no_score");
        }
        self.word("unranked_coverage")
            .replace("{coverage}", &self.lang.percent(dep.coverage))
            .replace(
                "{required}",
                &self.lang.percent(self.appraisal.scorecard.min_coverage),
            )
    }

    /// The report card of the department at position `d`.
    pub(crate) fn card(&self, d: usize, radar: String) -> CardView<'a> {
        let a = self.appraisal;
        let s = &a.current;
        let dep = &s.departments[d];
        let id = &dep.department.id;
        let card = &a.scorecard;
        let dimensions = s
            .dimensions
            .iter()
            .enumerate()
            .map(|(j, dim)| CardDimension {
                title: self.dimension_title(dim),
                weight: card
                    .dimensions
                    .iter()
                    .find(|x| &x.id == dim)
                    .map_or("–".into(), |x| self.num(Some(x.weight), 2)),
                score: self.num(dep.dimensions[j], 1),
            })
            .collect();
        let kpis = self.card_kpis(d);
        let history = std::iter::once(s)
            .chain(a.history.iter())
            .filter_map(|p| {
                let x = &p.departments[p.position(id)?];
                Some(HistoryRow {
                    period: self.lang.period(&p.period),
                    rank: x.rank.map_or("–".into(), |r| r.to_string()),
                    composite: self.num(x.composite, 2),
                    grade: self.grade(x.grade).0,
                })
            })
            .collect();
        // Oldest first: the rank in each period scored, out of the departments ranked.
        let ranks: Vec<(Option<u32>, usize)> = a
            .history
            .iter()
            .rev()
            .chain(std::iter::once(s))
            .filter_map(|p| Some((p.departments[p.position(id)?].rank, p.ranked().len())))
            .collect();
        let sparkline = sparkline(&ranks);
        let (strengths, weaknesses) = self.standings(d);
        let (levers, lever) = self.levers(d);
        let row = self.row(d);
        CardView {
            sparkline,
            lang: self.lang.code(),
            t: self.t,
            scorecard: self.scorecard_name(),
            period: self.lang.period(&s.period),
            row,
            dimensions,
            kpis,
            radar,
            history,
            strengths,
            weaknesses,
            levers,
            lever,
            fixes: self.fixes(d),
            anomalies: events(
                self.anomalies
                    .anomalies
                    .iter()
                    .filter(|a| a.department_id == *id),
            )
            .iter()
            .map(|e| self.anomaly_row(e))
            .collect(),
            reason: self.unranked_reason(d),
            interval_note: self.interval_note(),
            release: self.status(),
        }
    }

    /// A card's levers ([`appraise_score::targets`]): the route to the next grade in
    /// words, and each KPI with a plausible target, ordered by the relative change its
    /// next-grade target asks for (else its next-rank one), at most five. A target
    /// that is not plausible (beyond twice the value and the department's own best)
    /// is left out of the card; `targets.csv` keeps it.
    pub(super) fn levers(&self, d: usize) -> (Vec<LeverView>, String) {
        (self.lever_table(d), self.route_sentence(d))
    }

    /// The KPIs with a plausible target, least relative change first, at most five.
    fn lever_table(&self, d: usize) -> Vec<LeverView> {
        use appraise_score::targets::Goal;
        let a = self.appraisal;
        let id = &a.current.departments[d].department.id;
        let mine = plausible_targets(a, id);
        let of = |kpi: &str, goal: Goal| mine.iter().find(|t| t.kpi == kpi && t.goal == goal);
        levers_by_effort(&mine)
            .into_iter()
            .take(5)
            .map(|kpi| {
                let target = |goal: Goal| {
                    of(kpi, goal).map_or("–".into(), |t| {
                        let reaches = match goal {
                            Goal::NextGrade => self.grade(Some(t.grade)).0,
                            Goal::NextRank => t.rank.to_string(),
                        };
                        format!("{} → {reaches}", self.shown_target(kpi, t.value, t.target))
                    })
                };
                LeverView {
                    title: self.kpi_title(kpi),
                    value: self.shown_value(
                        kpi,
                        mine.iter().find(|t| t.kpi == kpi).map_or(0.0, |t| t.value),
                    ),
                    grade_target: target(Goal::NextGrade),
                    rank_target: target(Goal::NextRank),
                }
            })
            .collect()
    }

    /// What the card lists to fix: for each KPI of [`fix_kpis`] whose evidence names
    /// items, the department's heaviest ones, how many there are in all, and where
    /// every row is.
    fn fixes(&self, d: usize) -> Vec<FixView> {
        let a = self.appraisal;
        let id = &a.current.departments[d].department.id;
        let period = &a.current.period;
        fix_kpis(a, id)
            .into_iter()
            .filter_map(|kpi| {
                let def = self.kpis.iter().find(|k| k.id == kpi)?;
                let spec = def.evidence.as_ref()?.items.as_ref()?;
                let items = self.fixes.items.get(&kpi)?.get(id)?;
                let (title, by) = match self.lang {
                    Lang::Zh => (&spec.title_zh, &spec.by_title_zh),
                    Lang::En => (&spec.title, &spec.by_title),
                };
                let whole = items.top.iter().all(|i| i.weight.fract() == 0.0);
                let (href, rest) = if self.fixes.files {
                    (format!("{}/{kpi}.csv", self.stem(d)), self.word("fix_file"))
                } else {
                    let command = format!(
                        "appraise evidence --period {period} --department {id} --kpi {kpi}"
                    );
                    (
                        String::new(),
                        self.word("fix_elsewhere").replace("{command}", &command),
                    )
                };
                Some(FixView {
                    kpi: self.kpi_title(&kpi),
                    title: title.clone(),
                    by: if spec.by == appraise_kpi::Weight::Count {
                        String::new()
                    } else {
                        by.clone()
                    },
                    // One row an item where the item is the table's row: no rows column.
                    rows: items.top.iter().any(|i| i.rows > 1)
                        || (spec.by == appraise_kpi::Weight::Count
                            && spec.column != def.evidence.as_ref()?.table.id_column()),
                    items: items
                        .top
                        .iter()
                        .map(|i| FixItem {
                            // What it is, with its id: 省公安厅道路运输许可（R-320000-GA-001）.
                            item: match (i.label.is_empty(), self.lang) {
                                (true, _) => i.item.clone(),
                                (false, Lang::Zh) => format!("{}（{}）", i.label, i.item),
                                (false, Lang::En) => format!("{} ({})", i.label, i.item),
                            },
                            rows: self.num(Some(i.rows as f64), 0),
                            weight: self.num(Some(i.weight), if whole { 0 } else { 1 }),
                        })
                        .collect(),
                    total: self
                        .word("fix_total")
                        .replace("{n}", &items.total.to_string()),
                    href,
                    rest,
                })
            })
            .collect()
    }

    /// The route to the next grade in a sentence; or that the department is at the top
    /// grade, or that no route reaches the next one (nothing for one not ranked).
    fn route_sentence(&self, d: usize) -> String {
        let a = self.appraisal;
        let dep = &a.current.departments[d];
        let top = dep.grade == Some(0) && !a.scorecard.grades.bands.is_empty();
        match a
            .routes
            .iter()
            .find(|r| r.department_id == dep.department.id)
        {
            Some(r) => {
                let steps: Vec<String> = r
                    .steps
                    .iter()
                    .map(|x| {
                        self.word("lever_step")
                            .replace("{kpi}", &self.kpi_title(&x.kpi))
                            .replace("{value}", &self.shown_value(&x.kpi, x.value))
                            .replace("{target}", &self.shown_target(&x.kpi, x.value, x.target))
                    })
                    .collect();
                let (grade, label) = self.grade(Some(r.grade));
                let grade = match (label.is_empty(), self.lang) {
                    (true, Lang::Zh) => format!("{grade}级"),
                    (true, Lang::En) => grade,
                    (false, Lang::Zh) => format!("{grade}级（{label}）"),
                    (false, Lang::En) => format!("{grade} ({label})"),
                };
                let steps = self.joined(&steps, "lever_join");
                let lever = self.word(if r.plausible { "lever" } else { "lever_far" });
                lever.replace("{grade}", &grade).replace("{steps}", &steps)
            }
            None if top => self.word("lever_top"),
            None if dep.rank.is_none() => String::new(),
            None => self.word("lever_none"),
        }
    }

    /// The decimals KPI `kpi`'s values are shown with.
    pub(super) fn kpi_decimals(&self, kpi: &str) -> usize {
        let s = &self.appraisal.current;
        let k = s.kpis.iter().position(|id| id == kpi).unwrap_or(0);
        self.columns[k].decimals
    }

    /// A value of KPI `kpi` as the card shows it.
    fn shown_value(&self, kpi: &str, x: f64) -> String {
        self.num(Some(x), self.kpi_decimals(kpi))
    }

    /// A target of KPI `kpi` as the card shows it: rounded away from the value, so
    /// that the figure printed still reaches the goal.
    fn shown_target(&self, kpi: &str, value: f64, target: f64) -> String {
        let decimals = self.kpi_decimals(kpi);
        let scale = 10f64.powi(decimals as i32);
        let x = if target > value {
            (target * scale).ceil() / scale
        } else {
            (target * scale).floor() / scale
        };
        self.num(Some(x), decimals)
    }
}

/// The department's targets that are plausible.
fn plausible_targets<'t>(a: &'t Appraisal, id: &str) -> Vec<&'t appraise_score::targets::Target> {
    a.targets
        .iter()
        .filter(|t| t.department_id == id && t.plausible)
        .collect()
}

/// The KPIs of `targets`, least relative change for the next grade first, then for the
/// next rank, then by id.
fn levers_by_effort<'t>(targets: &[&'t appraise_score::targets::Target]) -> Vec<&'t str> {
    use appraise_score::targets::{Goal, Target, factor};
    let effort = |t: &Target| {
        if t.value > 0.0 {
            factor(t.value, t.target) - 1.0
        } else {
            f64::INFINITY
        }
    };
    let of = |kpi: &str, goal: Goal| {
        targets
            .iter()
            .find(|t| t.kpi == kpi && t.goal == goal)
            .map_or(f64::INFINITY, |t| effort(t))
    };
    let mut kpis: Vec<(&str, f64, f64)> = Vec::new();
    for t in targets {
        if !kpis.iter().any(|(k, _, _)| *k == t.kpi) {
            kpis.push((
                &t.kpi,
                of(&t.kpi, Goal::NextGrade),
                of(&t.kpi, Goal::NextRank),
            ));
        }
    }
    kpis.sort_by(|a, b| {
        a.1.total_cmp(&b.1)
            .then(a.2.total_cmp(&b.2))
            .then(a.0.cmp(b.0))
    });
    kpis.into_iter().map(|(k, _, _)| k).collect()
}

/// The KPIs whose items a card lists to fix: those of the department's route to the
/// next grade; without a route, its two least-effort levers.
pub fn fix_kpis(appraisal: &Appraisal, department: &str) -> Vec<String> {
    match appraisal
        .routes
        .iter()
        .find(|r| r.department_id == department)
    {
        Some(r) => {
            let mut kpis: Vec<String> = Vec::new();
            for s in &r.steps {
                if !kpis.contains(&s.kpi) {
                    kpis.push(s.kpi.clone());
                }
            }
            kpis
        }
        None => levers_by_effort(&plausible_targets(appraisal, department))
            .into_iter()
            .take(2)
            .map(str::to_string)
            .collect(),
    }
}
