//! Writing a release: its CSV files and `datapackage.json`, from what the disclosure rule
//! ([`super::rule`]) lets through.

use super::*;

impl Exchanges {
    pub(super) fn csv(&self) -> String {
        let n = self.ids.len();
        let mut w = writer();
        // The header: the columns' names (their descriptions are the package's).
        header(&mut w, &matrix_columns(&self.ids, &Strings::default()));
        for (i, (cells, hidden)) in self.members[self.at].iter().zip(&self.hidden).enumerate() {
            let mut line = vec![if i < n {
                safe(&self.ids[i])
            } else {
                "total".into()
            }];
            line.extend(cells.iter().zip(hidden).enumerate().map(|(j, (x, &h))| {
                if i == j && i < n {
                    String::new()
                } else if h {
                    SUPPRESSED.into()
                } else {
                    x.to_string()
                }
            }));
            row(&mut w, &line);
        }
        finish(w)
    }
}

impl KpiTable {
    pub(super) fn csv(&self, period: &Period) -> String {
        let mut w = writer();
        header(&mut w, &kpi_columns(&Strings::default()));
        let mut rows: Vec<&KpiRow> = self.rows.iter().collect();
        rows.sort_by(|a, b| (&a.department_id, &a.kpi).cmp(&(&b.department_id, &b.kpi)));
        for r in rows {
            let mut line = vec![period.to_string(), safe(&r.department_id), r.kpi.clone()];
            line.extend(r.fields.iter().map(|f| match (r.withheld, f) {
                (true, _) => SUPPRESSED.into(),
                (false, x) => number(*x),
            }));
            row(&mut w, &line);
        }
        finish(w)
    }
}

/// `ranking.csv`: every department of the appraisal in ranking order, with scores
/// computed from a withheld KPI value withheld.
pub(super) fn ranking_csv(
    appraisal: &Appraisal,
    withheld: &BTreeMap<String, BTreeSet<String>>,
) -> String {
    let s = &appraisal.current;
    let card = &appraisal.scorecard;
    let dimension_of: BTreeMap<&str, &str> = card
        .kpis
        .iter()
        .map(|r| (r.id.as_str(), r.dimension.as_str()))
        .collect();
    let mut w = writer();
    header(
        &mut w,
        &ranking_columns(appraisal, Lang::En, &Strings::default()),
    );
    let none = BTreeSet::new();
    for d in s.ranking_order() {
        let dep = &s.departments[d];
        let held = withheld.get(&dep.department.id).unwrap_or(&none);
        let held_dims: BTreeSet<&str> = held
            .iter()
            .filter_map(|k| dimension_of.get(k.as_str()).copied())
            .collect();
        let score = |x: Option<f64>, hide: bool| if hide { SUPPRESSED.into() } else { number(x) };
        let mut line = vec![
            safe(&dep.department.id),
            safe(&dep.department.name),
            safe(&dep.department.level),
            safe(&dep.department.peer_group),
            dep.status.name().to_string(),
            dep.rank.map_or(String::new(), |r| r.to_string()),
            dep.group_rank.map_or(String::new(), |r| r.to_string()),
            dep.grade
                .map_or(String::new(), |g| safe(&card.grades.bands[g].grade)),
            score(dep.composite, !held.is_empty()),
        ];
        line.extend(
            s.dimensions
                .iter()
                .zip(&dep.dimensions)
                .map(|(id, &x)| score(x, held_dims.contains(id.as_str()))),
        );
        row(&mut w, &line);
    }
    finish(w)
}

/// `kpi_definitions.csv`: what each KPI measures, in which unit, and its weight.
pub(super) fn definitions_csv(
    appraisal: &Appraisal,
    kpis: &[KpiDef],
    lang: Lang,
    t: &Strings,
) -> String {
    let mut w = writer();
    header(&mut w, &definition_columns(t));
    let zh = lang == Lang::Zh;
    for def in kpis {
        let rule = appraisal.scorecard.kpis.iter().find(|r| r.id == def.id);
        let text = |s: &Option<String>| s.as_deref().map_or(String::new(), safe);
        row(
            &mut w,
            &[
                def.id.clone(),
                rule.map_or(String::new(), |r| safe(&r.code)),
                safe(&def.title),
                text(&def.title_zh),
                safe(rule.map_or(&def.dimension, |r| &r.dimension)),
                text(if zh && def.unit_zh.is_some() {
                    &def.unit_zh
                } else {
                    &def.unit
                }),
                t.get(match def.direction {
                    appraise_kpi::Direction::Higher => "direction:higher",
                    appraise_kpi::Direction::Lower => "direction:lower",
                }),
                number(rule.map(|r| r.weight)),
                text(if zh && def.description_zh.is_some() {
                    &def.description_zh
                } else {
                    &def.description
                }),
            ],
        );
    }
    finish(w)
}

pub(super) struct Package<'a> {
    pub(super) period: &'a Period,
    /// The releases it is protected with: its quarter and the quarter's months.
    pub(super) family: &'a [Period],
    pub(super) appraisal: &'a Appraisal,
    pub(super) exchanges: &'a Exchanges,
    pub(super) licence: &'a Licence,
    pub(super) manifest: &'a Manifest,
    pub(super) written: &'a [FileHash],
    pub(super) k: u64,
    /// The language and wording of the package's descriptions.
    pub(super) lang: Lang,
    pub(super) t: &'a Strings,
}

/// `datapackage.json`: a Frictionless tabular data package describing the files.
pub(super) fn package(p: &Package) -> Value {
    // Long: declarative, the package as Frictionless lays it out (four resources with
    // their schemas, the licence, the sources with their hashes, the suppression).
    let fields =
        |columns: Vec<Column>| -> Vec<Value> { columns.iter().map(Column::schema).collect() };
    let t = p.t;
    let kpis = fields(kpi_columns(t));
    let ranking = fields(ranking_columns(p.appraisal, p.lang, t));
    let matrix = fields(matrix_columns(&p.exchanges.ids, t));
    let definitions = fields(definition_columns(t));
    let missing = json!(["", SUPPRESSED]);
    let schemas: [(&str, &str, String, Value); 4] = [
        (
            "kpis",
            "kpis.csv",
            t.get("publish:kpis"),
            json!({"fields": kpis, "missingValues": missing, "primaryKey": ["department_id", "kpi"],
                   "foreignKeys": [{"fields": "kpi", "reference": {"resource": "kpi_definitions", "fields": "kpi"}}]}),
        ),
        (
            "ranking",
            "ranking.csv",
            t.get("publish:ranking"),
            json!({"fields": ranking, "missingValues": missing, "primaryKey": ["department_id"]}),
        ),
        (
            "exchanges",
            "exchanges.csv",
            t.get("publish:exchanges"),
            json!({"fields": matrix, "missingValues": missing, "primaryKey": ["consumer_dept"]}),
        ),
        (
            "kpi_definitions",
            "kpi_definitions.csv",
            t.get("publish:kpi_definitions"),
            json!({"fields": definitions, "missingValues": [""], "primaryKey": ["kpi"]}),
        ),
    ];
    let resources: Vec<Value> = schemas
        .into_iter()
        .map(|(name, path, description, schema)| {
            let file = p.written.iter().find(|f| f.path == Path::new(path));
            json!({
                "name": name,
                "path": path,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "description": description,
                "bytes": file.map(|f| f.bytes),
                "hash": file.map(|f| format!("sha256:{}", f.sha256)),
                "schema": schema,
            })
        })
        .collect();
    let m = p.manifest;
    let sources: Vec<Value> = m
        .inputs
        .iter()
        .chain(&m.scorecard)
        .map(|f| {
            json!({"title": f.path.display().to_string(), "bytes": f.bytes, "hash": format!("sha256:{}", f.sha256)})
        })
        .chain(m.kpis.iter().map(|k| {
            json!({"title": format!("KPI {}", k.id), "bytes": k.file.bytes, "hash": format!("sha256:{}", k.file.sha256)})
        }))
        .collect();
    let mut licence = json!({"name": p.licence.name});
    if let Some(path) = p.licence.path {
        licence["path"] = json!(path);
    }
    if let Some(title) = p.licence.title {
        licence["title"] = json!(title);
    }
    let card = &p.appraisal.scorecard;
    // The period in Chinese words, or as the data's files write it (2026Q3).
    let period_words = match p.lang {
        Lang::Zh => p.lang.period(p.period),
        Lang::En => p.period.to_string(),
    };
    let card_name = match (p.lang, &card.name_zh) {
        (Lang::Zh, Some(zh)) => zh.clone(),
        _ => card.name.clone(),
    };
    json!({
        "profile": "tabular-data-package",
        "name": format!("appraise-{}", p.period.to_string().to_lowercase()),
        "title": t.fill("publish:title", &[("period", &period_words)]),
        "description": t.fill(
            "publish:description",
            &[("period", &period_words), ("scorecard", &card_name), ("k", &p.k.to_string())],
        ),
        "version": env!("CARGO_PKG_VERSION"),
        "created": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "licenses": [licence],
        "sources": sources,
        "suppression": {
            "min_cell": p.k,
            "marker": SUPPRESSED,
            "rule": "docs/publish.md",
            "protected_with": p.family.iter().map(ToString::to_string).collect::<Vec<_>>(),
        },
        "resources": resources,
    })
}

/// A column of a released file: its name, Frictionless type, description and unit.
pub(super) struct Column {
    pub(super) name: String,
    pub(super) kind: &'static str,
    pub(super) description: String,
    pub(super) unit: Option<&'static str>,
}

pub(super) fn column(name: &str, kind: &'static str, description: &str) -> Column {
    Column {
        name: name.into(),
        kind,
        description: description.into(),
        unit: None,
    }
}

impl Column {
    pub(super) fn in_unit(self, unit: &'static str) -> Column {
        Column {
            unit: Some(unit),
            ..self
        }
    }

    /// Its field in `datapackage.json`.
    pub(super) fn schema(&self) -> Value {
        let mut f = json!({"name": self.name, "type": self.kind, "description": self.description});
        if let Some(unit) = self.unit {
            f["unit"] = json!(unit);
        }
        f
    }
}

/// `kpis.csv`'s columns, described in `t`'s words.
pub(super) fn kpi_columns(t: &Strings) -> Vec<Column> {
    let d = |name: &str| t.get(&format!("publish:kpis:{name}"));
    vec![
        column("period", "string", &d("period")),
        column("department_id", "string", &d("department_id")),
        column("kpi", "string", &d("kpi")),
        column("value", "number", &d("value")),
        column("numerator", "number", &d("numerator")),
        column("denominator", "number", &d("denominator")),
        column("sample_size", "integer", &d("sample_size")).in_unit("observations"),
    ]
}

/// `ranking.csv`'s columns: a score column per dimension of the scorecard.
pub(super) fn ranking_columns(appraisal: &Appraisal, lang: Lang, t: &Strings) -> Vec<Column> {
    let d = |name: &str| t.get(&format!("publish:ranking:{name}"));
    let mut columns = vec![
        column("department_id", "string", &d("department_id")),
        column("name", "string", &d("name")),
        column("level", "string", &d("level")),
        column("peer_group", "string", &d("peer_group")),
        column("status", "string", &d("status")),
        column("rank", "integer", &d("rank")),
        column("group_rank", "integer", &d("group_rank")),
        column("grade", "string", &d("grade")),
        column("composite", "number", &d("composite")).in_unit("points"),
    ];
    let s = &appraisal.current;
    let card = &appraisal.scorecard;
    for id in &s.dimensions {
        let dim = card.dimensions.iter().find(|d| &d.id == id);
        let title = dim.map_or(id.clone(), |d| match (lang, &d.title_zh) {
            (Lang::Zh, Some(zh)) => zh.clone(),
            _ => d.title.clone(),
        });
        columns.push(
            column(
                &format!("dim_{id}"),
                "number",
                &t.fill("publish:ranking:dimension", &[("title", &title)]),
            )
            .in_unit("points"),
        );
    }
    columns
}

/// `exchanges.csv`'s columns: the consumer, a column per provider, the row's total.
pub(super) fn matrix_columns(ids: &[String], t: &Strings) -> Vec<Column> {
    let mut columns = vec![column(
        "consumer_dept",
        "string",
        &t.get("publish:exchanges:consumer_dept"),
    )];
    columns.extend(ids.iter().map(|id| {
        column(
            &safe(id),
            "integer",
            &t.fill("publish:exchanges:provider", &[("id", id)]),
        )
        .in_unit("exchanges")
    }));
    columns
        .push(column("total", "integer", &t.get("publish:exchanges:total")).in_unit("exchanges"));
    columns
}

/// `kpi_definitions.csv`'s columns.
pub(super) fn definition_columns(t: &Strings) -> Vec<Column> {
    let d = |name: &str| t.get(&format!("publish:kpi_definitions:{name}"));
    vec![
        column("kpi", "string", &d("kpi")),
        column("code", "string", &d("code")),
        column("title", "string", &d("title")),
        column("title_zh", "string", &d("title_zh")),
        column("dimension", "string", &d("dimension")),
        column("unit", "string", &d("unit")),
        column("direction", "string", &d("direction")),
        column("weight", "number", &d("weight")),
        column("description", "string", &d("description")),
    ]
}

pub(super) fn header(w: &mut csv::Writer<Vec<u8>>, columns: &[Column]) {
    let names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
    row(w, &names);
}

pub(super) fn writer() -> csv::Writer<Vec<u8>> {
    csv::Writer::from_writer(Vec::new())
}

pub(super) fn row(w: &mut csv::Writer<Vec<u8>>, fields: &[String]) {
    // Writing into memory cannot fail.
    let _ = w.write_record(fields);
}

pub(super) fn finish(w: csv::Writer<Vec<u8>>) -> String {
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// Text from the data, made safe to open in a spreadsheet.
pub(super) fn safe(text: &str) -> String {
    spreadsheet_safe(text).into_owned()
}

/// A number as the CSV gives it: shortest exact decimal, integers without a point,
/// empty where there is none (or it is not finite).
pub(super) fn number(x: Option<f64>) -> String {
    match x {
        Some(x) if x.is_finite() => format!("{x}"),
        _ => String::new(),
    }
}
