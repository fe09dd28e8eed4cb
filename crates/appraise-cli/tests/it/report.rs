//! `appraise run`: the report on fixtures/tiny, whose values are worked out by hand in
//! its README, and the report's safety: escaping, file names, templates.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use calamine::{DataType, Reader, Xlsx, open_workbook};
use predicates::prelude::*;

use crate::common::{appraise, fixtures};

/// The three-KPI scorecard whose ranking of fixtures/tiny is worked out in its comments:
/// C1, K1, P1 tie at 1 (A); K2 4 (C, 66.67); C2, P2 tie at 5 (D).
fn card() -> PathBuf {
    fixtures().join("scorecards/tiny-sharing.toml")
}

/// `appraise run` of 2026Q3 on `data` with the three-KPI card into `out`.
fn run_command(data: &Path, lang: &str, out: &Path) -> Command {
    let mut cmd = appraise();
    cmd.args(["run", "--period", "2026Q3", "--lang", lang, "--data"])
        .arg(data)
        .arg("--scorecard")
        .arg(card())
        .arg("--out")
        .arg(out);
    cmd
}

/// Runs the report on `data` with the three-KPI card into `<dir>/out`.
fn run(dir: &Path, data: &Path, lang: &str) -> PathBuf {
    let out = dir.join("out");
    run_command(data, lang, &out)
        .assert()
        .success()
        .stdout(predicate::str::contains("report.html"));
    out
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn the_tiny_report_ranks_as_computed_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &fixtures().join("tiny"), "en");
    let ranking = read(&out.join("ranking.csv"));
    let got: Vec<(String, f64, String, String)> = ranking
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].into(), f[5].parse().unwrap(), f[6].into(), f[8].into())
        })
        .collect();
    let want = [
        ("C1", 100.0, "1", "A"),
        ("K1", 100.0, "1", "A"),
        ("P1", 100.0, "1", "A"),
        ("K2", 200.0 / 3.0, "4", "C"),
        ("C2", 0.0, "5", "D"),
        ("P2", 0.0, "5", "D"),
    ];
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert_eq!((g.0.as_str(), g.2.as_str(), g.3.as_str()), (w.0, w.2, w.3));
        assert!(
            (g.1 - w.1).abs() < 1e-9,
            "{} composite {} ≠ {}",
            w.0,
            g.1,
            w.1
        );
    }
    // The Markdown report shows the same, two decimals, with English names.
    let md = read(&out.join("report.md"));
    assert!(md.contains("| 4 | Kunshan Administrative Approval Bureau | county | 66.67 | C |"));
    assert!(md.contains("| 1 | Nanjing Data Bureau | city | 100.00 | A |"));
    // Grades: 3 A, 1 C, 2 D of 6 ranked.
    assert!(md.contains("| A | Excellent | 3 | 50.0% |"), "{md}");
    assert!(md.contains("| C | Pass | 1 | 16.7% |"));

    insta::assert_snapshot!("tiny_report_md", md);
    insta::assert_snapshot!("tiny_ranking_csv", ranking);
    insta::assert_snapshot!("tiny_ranking_json", read(&out.join("ranking.json")));
    insta::assert_snapshot!("tiny_kpis_csv", read(&out.join("kpis.csv")));
    insta::assert_snapshot!("tiny_scores_csv", read(&out.join("scores.csv")));
}

#[test]
fn the_report_holds_every_promised_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &fixtures().join("tiny"), "zh");
    for f in [
        "report.html",
        "report.md",
        "appraisal.xlsx",
        "ranking.csv",
        "ranking.json",
        "kpis.csv",
        "scores.csv",
        "scores.parquet",
        "manifest.json",
        "charts/ranking.svg",
        "charts/ranking.png",
        "charts/heatmap.svg",
        "charts/trend.svg",
        "charts/movement.svg",
        "charts/exchanges.svg",
        "charts/response.svg",
        "charts/anomalies.svg",
        "anomalies.csv",
        "anomalies.json",
        "departments/P1.html",
        "report.pdf",
        "departments/P1.pdf",
        "departments/K2.pdf",
        "charts/radar/K2.svg",
    ] {
        assert!(out.join(f).is_file(), "{f} is missing");
    }
    // A radar is shown as SVG on its card and linked as PNG nowhere: no PNG of it.
    assert!(!out.join("charts/radar/K2.png").exists());
    // PNGs at twice the SVG's size (a 960-unit chart is 1,920 px wide), for print.
    let png = std::fs::read(out.join("charts/ranking.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    let width = u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
    assert!(width >= 1920 && width.is_multiple_of(2), "{width}");
    let html = read(&out.join("report.html"));
    // Self-contained: no external script, style sheet or image.
    for external in ["<script src", "<link", "<img"] {
        assert!(!html.contains(external), "{external}");
    }
    assert!(html.contains("<svg"));
    assert!(html.contains("省大数据管理中心"));
    // minijinja escapes `/` in values; a browser reads `&#x2f;` as `/`.
    assert!(html.contains("href=\"departments&#x2f;P1.html\""));
    // The KPI appendix gives the exact SQL (the file after its `--` header), escaped.
    let file = read(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../queries/kpis/records_provided.sql"),
    );
    let sql: String = file
        .lines()
        .skip_while(|l| l.starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(sql.starts_with("SELECT"));
    let escaped = sql
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2f;");
    assert!(html.contains(escaped.trim()), "the SQL of records_provided");
    // A card: the KPI table with value, numerator/denominator, score, rank, peer median.
    let card = read(&out.join("departments/K2.html"));
    assert!(card.contains("昆山市行政审批局"));
    assert!(card.contains("66.67"));
    assert!(card.contains("href=\"../report.html\""));
    // Why K2 is fourth: providers_used scores 0 against its county peers' median score
    // of 50 (K1 100, K2 0), at a third of the composite: 1/3 × (0 − 50) = −16.67 points,
    // its one weakness; the peers' median value is (2 + 0) / 2 = 1. In 2026Q2 it drew
    // from no department either (X07 is C1's): previous value 0, no change.
    let row = card
        .split("<tr>")
        .find(|r| r.contains("kpi-providers_used"))
        .unwrap();
    let cells: Vec<&str> = row
        .split("<td class=\"num\">")
        .skip(1)
        .map(|c| c.split('<').next().unwrap())
        .collect();
    // value, previous value, change, peer median (value), numerator, denominator,
    // sample, score, KPI rank, peer median (score), points, weight, contribution
    assert_eq!(&cells[..4], ["0", "0", "0", "1"], "{row}");
    assert_eq!(cells[7], "0.0", "{row}");
    assert_eq!(cells[9], "50.0", "{row}");
    assert_eq!(cells[10], "−16.67", "{row}");
    let weaknesses = card
        .split("<h3>")
        .find(|s| s.contains("weaknesses") || s.contains("薄弱"))
        .unwrap();
    assert!(weaknesses.contains("−16.67"), "{weaknesses}");
}

#[test]
fn the_workbook_reads_back_with_its_sheets() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &fixtures().join("tiny"), "en");
    let mut wb: Xlsx<_> = open_workbook(out.join("appraisal.xlsx")).unwrap();
    assert_eq!(
        wb.sheet_names(),
        [
            "Ranking",
            "KPI values",
            "Scores",
            "Methodology",
            "Data quality",
            "Data dictionary"
        ]
    );
    let ranking = wb.worksheet_range("Ranking").unwrap();
    assert_eq!(ranking.height(), 7);
    let header: Vec<String> = ranking
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    // Headers in the report's language; the dictionary gives each column's id.
    assert_eq!(&header[..3], ["Department code", "Department", "Level"]);
    let dictionary = wb.worksheet_range("Data dictionary").unwrap();
    let row = dictionary
        .rows()
        .find(|r| r[0] == "Ranking" && r[1] == "department_id")
        .unwrap();
    assert_eq!(row[2].to_string(), "Department code");
    assert!(
        dictionary
            .rows()
            .any(|r| r[0] == "Scores" && r[1] == "peer_median" && r[2] == "Peer median")
    );
    let k2 = ranking.rows().find(|r| r[0] == "K2").unwrap();
    assert!((k2[5].get_float().unwrap() - 200.0 / 3.0).abs() < 1e-9);
    assert_eq!(k2[6].get_float(), Some(4.0));
    assert_eq!(k2[8].to_string(), "C");
    // KPI values: the long matrix, 6 departments × 3 KPIs.
    let kpis = wb.worksheet_range("KPI values").unwrap();
    assert_eq!(kpis.height(), 1 + 6 * 3);
    // A KPI is named by its title in the workbook (the CSV keeps the id).
    let p1 = kpis
        .rows()
        .find(|r| r[1] == "P1" && r[2] == "Records provided to other departments")
        .unwrap();
    assert_eq!(p1[3].get_float(), Some(150.0));
    // Data quality: every tiny row loads.
    let quality = wb.worksheet_range("Data quality").unwrap();
    let exchanges = quality.rows().find(|r| r[0] == "exchanges").unwrap();
    assert_eq!(exchanges[1].get_float(), exchanges[2].get_float());
    // Methodology: shares of the composite are numbers (a third each), not text.
    let method = wb.worksheet_range("Methodology").unwrap();
    assert!(method.height() > 5);
    let share = method
        .rows()
        .find(|r| r[0].to_string().contains("(records_provided)"))
        .unwrap();
    assert!(
        (share[3].get_float().unwrap() - 1.0 / 3.0).abs() < 1e-3,
        "{share:?}"
    );
}

/// Every text node of an SVG file, which must parse as XML.
fn svg_texts(path: &Path) -> Vec<String> {
    let text = read(path);
    let doc =
        roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    doc.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .map(str::to_string)
        .collect()
}

#[test]
fn every_chart_is_xml_and_names_every_department() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &fixtures().join("tiny"), "zh");
    let names = [
        ("P1", "省大数据管理中心"),
        ("P2", "省公安厅"),
        ("C1", "南京市数据局"),
        ("C2", "苏州市数据局"),
        ("K1", "江宁区行政审批局"),
        ("K2", "昆山市行政审批局"),
    ];
    // Providers with successful responses to others (README): P1, P2, C1.
    let charts: [(&str, &[&str]); 6] = [
        ("ranking", &["P1", "P2", "C1", "C2", "K1", "K2"]),
        ("heatmap", &["P1", "P2", "C1", "C2", "K1", "K2"]),
        ("trend", &["P1", "P2", "C1", "C2", "K1", "K2"]),
        ("movement", &["P1", "P2", "C1", "C2", "K1", "K2"]),
        ("exchanges", &["P1", "P2", "C1", "C2", "K1", "K2"]),
        ("response", &["P1", "P2", "C1"]),
    ];
    for (chart, shown) in charts {
        let path = out.join(format!("charts/{chart}.svg"));
        let texts = svg_texts(&path).join("\n");
        for id in shown {
            let name = names.iter().find(|(i, _)| i == id).unwrap().1;
            assert!(texts.contains(name), "{chart}: {name} ({id})");
        }
        let png = std::fs::read(out.join(format!("charts/{chart}.png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{chart}.png");
    }
    for (id, name) in names {
        let texts = svg_texts(&out.join(format!("charts/radar/{id}.svg")));
        assert!(texts.iter().any(|t| t.contains(name)), "radar of {id}");
    }
}

/// Copies fixtures/tiny into `dir/data` with its departments file replaced.
fn tiny_with_departments(dir: &Path, departments: &str) -> PathBuf {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    for e in std::fs::read_dir(fixtures().join("tiny"))
        .unwrap()
        .flatten()
    {
        if e.path().extension().is_some_and(|x| x == "csv") {
            std::fs::copy(e.path(), data.join(e.file_name())).unwrap();
        }
    }
    std::fs::write(data.join("departments.csv"), departments).unwrap();
    data
}

#[test]
fn names_from_the_data_are_text_not_markup() {
    let dir = tempfile::tempdir().unwrap();
    let attack = "<script>alert(1)</script>";
    let departments = read(&fixtures().join("tiny/departments.csv"))
        .replace("省公安厅", attack)
        .replace(
            "Provincial Department of Public Security",
            "<img src=x onerror=alert(2)>|*x*",
        )
        // Typst markup and code in a name: set as text in the PDF, never run.
        .replace(
            "Nanjing Data Bureau",
            "#panic(\"typst\") *bold* $x$ [link](y)",
        );
    let data = tiny_with_departments(dir.path(), &departments);
    for lang in ["zh", "en"] {
        let sub = dir.path().join(lang);
        std::fs::create_dir_all(&sub).unwrap();
        let out = run(&sub, &data, lang);
        let mut pages = vec![out.join("report.html"), out.join("departments/P2.html")];
        pages.extend(
            std::fs::read_dir(out.join("charts"))
                .unwrap()
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "svg")),
        );
        for page in pages {
            let text = read(&page);
            assert!(!text.contains("<script>alert"), "{}", page.display());
            assert!(!text.contains("<img src=x"), "{}", page.display());
        }
        let html = read(&out.join("report.html"));
        if lang == "zh" {
            assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"));
        } else {
            assert!(html.contains("&lt;img src=x onerror=alert(2)&gt;"));
            let md = read(&out.join("report.md"));
            assert!(
                md.contains("&lt;img src=x onerror=alert\\(2\\)&gt;\\|\\*x\\*"),
                "{md}"
            );
            // The PDF was typeset (no panic ran) and shows the name as written.
            if let Some(text) = poppler("pdftotext", &[], &out.join("report.pdf")) {
                assert!(
                    text.contains("#panic(\"typst\") *bold* $x$ [link](y)"),
                    "{text}"
                );
            }
        }
    }
}

/// Every text file the run wrote under `out` (reports, cards, charts, tables).
fn text_outputs(out: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![out.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| {
                ["html", "md", "csv", "svg", "json"].contains(&&*x.to_string_lossy())
            }) {
                files.push(p);
            }
        }
    }
    files
}

/// Regression (one_control_character_in_a_name): an ESC or NUL in a department name
/// killed `run` ("report.typ, line 148: failed to parse SVG (a non-XML character)",
/// with a hint to remove a --templates file that was never given).
#[test]
fn one_control_character_in_a_name() {
    let dir = tempfile::tempdir().unwrap();
    let departments = read(&fixtures().join("tiny/departments.csv"))
        .replace("省公安厅", "省公安\u{1b}[31m厅\u{0}")
        .replace("Nanjing Data Bureau", "Nanjing\u{7}\u{85} Data Bureau\u{b}");
    let data = tiny_with_departments(dir.path(), &departments);
    for lang in ["zh", "en"] {
        let sub = dir.path().join(lang);
        std::fs::create_dir_all(&sub).unwrap();
        let out = run(&sub, &data, lang);
        assert!(out.join("report.pdf").is_file() && out.join("departments/P2.pdf").is_file());
        for f in text_outputs(&out) {
            let text = read(&f);
            assert!(
                !text.chars().any(appraise_data::unprintable),
                "{}",
                f.display()
            );
        }
        let html = read(&out.join("report.html"));
        if lang == "zh" {
            assert!(html.contains("省公安[31m厅"), "the letters stay");
        } else {
            assert!(html.contains("Nanjing Data Bureau"));
        }
    }
}

/// Regression (a_10000_character_department_name_in_the_report): `run --lang en` with
/// a name of 10,000 characters took 110 s and 8.9 GB (ranking.png 185,560 × 2,864 px),
/// aborted at 20,000, and overprinted another department's composite in the PDF.
#[test]
fn a_10000_character_department_name_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let departments = read(&fixtures().join("tiny/departments.csv"))
        .replace("Nanjing Data Bureau", &format!("N{}", "L".repeat(20_000)));
    let data = tiny_with_departments(dir.path(), &departments);
    let out = run(dir.path(), &data, "en");
    for chart in ["ranking", "heatmap", "movement"] {
        let png = std::fs::read(out.join(format!("charts/{chart}.png"))).unwrap();
        let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
        assert!(width < 2 * 1400, "{chart}.png is {width} px wide");
    }
    // The table gives the name whole; the summary cuts it where it would overprint.
    assert!(read(&out.join("report.html")).contains(&"L".repeat(20_000)));
    // The key findings and the summary (pages 3 and 4).
    if let Some(text) = poppler(
        "pdftotext",
        &["-f", "3", "-l", "4"],
        &out.join("report.pdf"),
    ) {
        assert!(text.contains('…'), "{text}");
        assert!(!text.contains(&"L".repeat(41)), "{text}");
    }
}

/// Regression (a_right_to_left_override_in_a_name): U+202E in a name reversed the
/// score shown after it in report.html ("1. Commerce44.38 B" for 83.44), and
/// report.md carried it raw.
#[test]
fn a_right_to_left_override_in_a_name() {
    let dir = tempfile::tempdir().unwrap();
    let departments = read(&fixtures().join("tiny/departments.csv"))
        .replace("Provincial Big Data Centre", "Commerce\u{202e}")
        .replace(
            "Provincial Department of Public Security",
            "\u{2067}שלום\u{2069}\u{200f}",
        );
    let data = tiny_with_departments(dir.path(), &departments);
    let out = run(dir.path(), &data, "en");
    for f in text_outputs(&out) {
        let text = read(&f);
        assert!(
            !text.contains(['\u{202e}', '\u{2067}', '\u{2069}', '\u{200f}']),
            "{}",
            f.display()
        );
    }
    // A name in the page is isolated from the numbers beside it.
    let html = read(&out.join("report.html"));
    assert!(html.contains("<bdi>Commerce</bdi>"), "names are isolated");
    assert!(html.contains("<bdi>שלום</bdi>"));
    let card = read(&out.join("departments/P1.html"));
    assert!(card.contains("<h1><bdi>Commerce</bdi></h1>"));
}

#[test]
fn department_ids_become_safe_distinct_file_names() {
    let dir = tempfile::tempdir().unwrap();
    let long = "L".repeat(300);
    let odd = [
        "../x",
        "a/b",
        "CON",
        long.as_str(),
        "部门一",
        "A1",
        "a1",
        "x.v2",
        "x.v3",
    ];
    let mut departments = read(&fixtures().join("tiny/departments.csv"));
    for (i, id) in odd.iter().enumerate() {
        let quoted = format!("\"{}\"", id.replace('"', "\"\""));
        departments.push_str(&format!("{quoted},Odd {i},,county,,,\n"));
    }
    let data = tiny_with_departments(dir.path(), &departments);
    let out = run(dir.path(), &data, "en");
    let files: Vec<String> = std::fs::read_dir(out.join("departments"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let cards: Vec<&String> = files.iter().filter(|f| f.ends_with(".html")).collect();
    // Each HTML card has its PDF beside it, and nothing else is there.
    for c in &cards {
        let pdf = format!("{}.pdf", c.trim_end_matches(".html"));
        assert!(files.contains(&pdf), "{pdf} is missing");
    }
    assert_eq!(files.len(), 2 * cards.len(), "{files:?}");
    // Six tiny departments and the odd ones, each on its own file, card and radar.
    assert_eq!(cards.len(), 6 + odd.len(), "{cards:?}");
    let radars = std::fs::read_dir(out.join("charts/radar")).unwrap().count();
    assert_eq!(radars, 6 + odd.len(), "an SVG per department");
    let mut lower: Vec<String> = cards.iter().map(|c| c.to_lowercase()).collect();
    lower.sort();
    lower.dedup();
    assert_eq!(
        lower.len(),
        cards.len(),
        "names that meet on a case-insensitive disk"
    );
    for c in &cards {
        assert!(c.len() <= 120, "{c}");
        assert!(
            c.chars()
                .all(|x| x.is_ascii_alphanumeric() || "-_.".contains(x)),
            "{c}"
        );
        assert!(!c.starts_with('.'), "{c}");
        assert_ne!(c.to_uppercase(), "CON.HTML");
    }
    // Nothing escaped the output folder, and every card link resolves.
    assert!(!dir.path().join("x.html").exists());
    assert!(!out.join("x.html").exists());
    let html = read(&out.join("report.html"));
    for c in &cards {
        assert!(
            html.contains(&format!("href=\"departments&#x2f;{c}\"")),
            "{c}"
        );
    }
}

/// Regression (templates_unbounded_in_memory_and_time): a `report.md.j2` doubling a
/// string 40 times aborted the process on a 4 GiB allocation (fuel caps instructions,
/// not memory), and a `report.typ` looping 10¹⁰ times ran without end (Typst has no
/// budget). Each is stopped with an error naming the template (exit 1) within the
/// budgets the environment gives.
#[test]
fn templates_unbounded_in_memory_and_time() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "report.md.j2",
            "{% set ns = namespace(s=\"xxxxxxxx\") %}{% for i in range(40) %}\
             {% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
            "MiB of memory",
        ),
        (
            "report.typ",
            "#for i in range(100000) { for j in range(100000) { } }\nDone.",
            "rendered for more than 3 s",
        ),
    ];
    for (name, text, why) in cases {
        let templates = dir.path().join(name).with_extension("d");
        std::fs::create_dir_all(&templates).unwrap();
        std::fs::write(templates.join(name), text).unwrap();
        let out = dir.path().join(format!("out-{name}"));
        let started = std::time::Instant::now();
        run_command(&fixtures().join("tiny"), "en", &out)
            .arg("--templates")
            .arg(&templates)
            .env("APPRAISE_TEMPLATE_TIMEOUT", "3")
            .env("APPRAISE_TEMPLATE_MEMORY", "256")
            .timeout(std::time::Duration::from_secs(120))
            .assert()
            .code(1)
            .stderr(predicate::str::contains(name))
            .stderr(predicate::str::contains(why))
            .stderr(predicate::str::contains("hint: fix the template"));
        assert!(started.elapsed().as_secs() < 120);
        assert!(!out.exists(), "nothing is committed");
    }
}

#[test]
fn templates_override_file_by_file_and_errors_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        templates.join("strings.toml"),
        "[en]\nreport_title = \"Quarterly Sharing League\"\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = || {
        let mut cmd = run_command(&fixtures().join("tiny"), "en", &out);
        cmd.arg("--templates").arg(&templates);
        cmd
    };
    run().assert().success();
    let html = read(&out.join("report.html"));
    assert!(html.contains("<h1>Quarterly Sharing League</h1>"));
    // The rest of the wording is the default's.
    assert!(html.contains("Methodology"));
    // The manifest names the replaced file with its hash, and the language.
    let manifest: serde_json::Value =
        serde_json::from_str(&read(&out.join("manifest.json"))).unwrap();
    assert_eq!(manifest["lang"], "en");
    assert_eq!(manifest["templates"][0]["path"], "strings.toml");
    assert_eq!(
        manifest["templates"][0]["sha256"].as_str().unwrap().len(),
        64
    );

    std::fs::write(
        templates.join("report.md.j2"),
        "# {{ t.report_title }}\n\n{% if %}\n",
    )
    .unwrap();
    run()
        .assert()
        .code(1)
        .stderr(predicate::str::contains("report.md.j2, line 3"))
        .stderr(predicate::str::contains("hint:"));
    // The failed run left the previous report in place.
    assert!(read(&out.join("report.html")).contains("Quarterly Sharing League"));

    // A Typst template is overridden the same way; an error in it names its line.
    std::fs::remove_file(templates.join("report.md.j2")).unwrap();
    // An unknown key in an office's strings.toml: the reason, and the fix as a hint of
    // its own (regression hints_written_into_messages: it was part of the reason).
    std::fs::write(
        templates.join("strings.toml"),
        "[en]\nno_such_key = \"x\"\n",
    )
    .unwrap();
    run()
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "unknown key \"no_such_key\" in [en]\n",
        ))
        .stderr(predicate::str::contains(
            "hint: copy the key from the built-in strings.toml",
        ))
        .stderr(predicate::str::contains("(hint:").not());
    std::fs::remove_file(templates.join("strings.toml")).unwrap();

    std::fs::write(
        templates.join("report.typ"),
        "#let d = json(\"data.json\")\n= #d.period\n#let x = (\n",
    )
    .unwrap();
    run()
        .assert()
        .code(1)
        .stderr(predicate::str::contains("report.typ, line 3"));
    std::fs::write(
        templates.join("report.typ"),
        "#let d = json(\"data.json\")\nPeriod #d.period only.\n",
    )
    .unwrap();
    run().assert().success();
    if let Some(text) = poppler("pdftotext", &[], &out.join("report.pdf")) {
        assert_eq!(text.trim(), "Period Q3 2026 only.");
    }
}

#[test]
fn without_a_cjk_font_png_charts_say_so_and_fall_back_to_english() {
    let dir = tempfile::tempdir().unwrap();
    run_command(&fixtures().join("tiny"), "zh", &dir.path().join("out"))
        .assert()
        .success()
        .stderr(predicate::str::contains("图片格式的图表改为显示英文措辞"));
}

/// Runs a poppler tool on `pdf`; `None` where poppler-utils is not installed (`.ci/run`
/// installs it, so CI always checks).
fn poppler(tool: &str, args: &[&str], pdf: &Path) -> Option<String> {
    let out = std::process::Command::new(tool)
        .args(args)
        .arg(pdf)
        .args(if tool == "pdftotext" {
            &["-"][..]
        } else {
            &[][..]
        })
        .output()
        .ok()?;
    assert!(out.status.success(), "{tool} {}: {:?}", pdf.display(), out);
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The department cards of a run's output with extension `ext` (`html`, `pdf`), by name.
fn cards(out: &Path, ext: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(out.join("departments"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    found.sort();
    found
}

/// The smallest text of a PDF in points, with its word: the height of each word's box
/// as `pdftotext -bbox` gives it (the font size); `None` without poppler-utils.
fn smallest_text(pdf: &Path) -> Option<(f64, String)> {
    let boxes = poppler("pdftotext", &["-bbox"], pdf)?;
    let number = |line: &str, name: &str| -> Option<f64> {
        let at = line.find(&format!("{name}=\""))? + name.len() + 2;
        line[at..].split('"').next()?.parse().ok()
    };
    boxes
        .lines()
        .filter(|l| l.trim_start().starts_with("<word"))
        .filter_map(|l| {
            let size = number(l, "yMax")? - number(l, "yMin")?;
            let word = l.split('>').nth(1)?.split('<').next()?.to_string();
            Some((size, word))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
}

/// The demo's Chinese bulletin and cards print no text below 6.5 pt, charts included:
/// measured in the PDF, as a reader holding the page sees it.
#[test]
fn chart_text_in_the_pdf_is_at_least_6_5_pt() {
    let out = demo_report();
    let mut pdfs = vec![out.join("report.pdf")];
    pdfs.extend(cards(out, "pdf"));
    for pdf in &pdfs {
        let Some((size, word)) = smallest_text(pdf) else {
            eprintln!("poppler-utils is not installed: text sizes are not measured here");
            return;
        };
        assert!(size >= 6.49, "{}: {word:?} at {size:.2} pt", pdf.display());
    }
    // The bulletin's charts are there to measure: the ranking's labels among them.
    let (_, word) = smallest_text(&pdfs[0]).unwrap();
    assert!(!word.is_empty());
}

/// The cover is the issuing office's: with `[bulletin]` set, its issuer, document
/// number, date of issue and logo are printed and there is no draft note; unset, each
/// is a bracketed placeholder and the cover says the bulletin is a draft. A logo that
/// is not what its extension says stops the run with a hint. The key findings open
/// the bulletin, worked out here from ranking.csv.
#[test]
fn the_bulletin_is_the_office_s_own() {
    let dir = tempfile::tempdir().unwrap();
    let issued_card = dir.path().join("card.toml");
    let base = read(&card());
    let logo = r##"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><circle cx="20" cy="20" r="18" fill="#b22222"/></svg>"##;
    std::fs::write(dir.path().join("logo.svg"), logo).unwrap();
    let bulletin = "\n[bulletin]\nissuer_zh = \"江苏省政务服务管理办公室\"\ndocument_number = \"苏政务办〔2026〕12号\"\nissued = 2026-10-15\nlogo = \"logo.svg\"\n";
    std::fs::write(&issued_card, format!("{base}{bulletin}")).unwrap();
    let run_with = |card: &Path, out: &Path| {
        let mut cmd = appraise();
        cmd.args(["run", "--period", "2026Q3", "--lang", "zh", "--data"])
            .arg(fixtures().join("tiny"))
            .arg("--scorecard")
            .arg(card)
            .arg("--out")
            .arg(out)
            // The system's fonts, as a user runs it: the issuer's characters.
            .env_remove("APPRAISE_FONT");
        cmd
    };
    let issued = dir.path().join("issued");
    run_with(&issued_card, &issued).assert().success();
    let html = read(&issued.join("report.html"));
    for words in [
        "江苏省政务服务管理办公室",
        "苏政务办〔2026〕12号",
        "2026年10月15日",
    ] {
        assert!(html.contains(words), "{words}");
    }
    assert!(!html.contains("草稿"));
    if let Some(text) = poppler("pdftotext", &[], &issued.join("report.pdf")) {
        let cover = text.split('\u{c}').next().unwrap();
        assert!(
            cover.contains("江苏省政务服务管理办公室") && cover.contains("苏政务办〔2026〕12号"),
            "{cover}"
        );
        assert!(
            cover.contains("2026年10月15日") && !cover.contains("草稿"),
            "{cover}"
        );
        let info = poppler("pdfinfo", &[], &issued.join("report.pdf")).unwrap_or_default();
        assert!(
            info.lines()
                .any(|l| l.starts_with("Author:") && l.contains("江苏省政务服务管理办公室")),
            "{info}"
        );
        // The findings come first after the contents: the grade counts of ranking.csv.
        let ranking = read(&issued.join("ranking.csv"));
        let graded = |g: &str| {
            ranking
                .lines()
                .skip(1)
                .filter(|l| l.split(',').nth(8) == Some(g))
                .count()
        };
        let findings = text.split('\u{c}').nth(2).unwrap();
        assert!(findings.contains("主要结论"), "{findings}");
        let ranked = ranking
            .lines()
            .skip(1)
            .filter(|l| l.contains(",ranked,"))
            .count();
        assert!(
            findings.contains(&format!("本期 {ranked} 个部门参与排名")),
            "{findings}"
        );
        assert!(
            findings.contains(&format!("A级 {} 个", graded("A"))),
            "{findings}"
        );
        assert!(
            findings.contains(&format!("D级 {} 个", graded("D"))),
            "{findings}"
        );
    }
    // Unset: placeholders, and the draft note.
    let draft = dir.path().join("draft");
    run_with(&card(), &draft).assert().success();
    let html = read(&draft.join("report.html"));
    for words in ["〔发布单位〕", "〔文号〕", "〔发布日期〕", "草稿"] {
        assert!(html.contains(words), "{words}");
    }
    // A logo that is not an SVG.
    std::fs::write(dir.path().join("logo.svg"), "not an image").unwrap();
    let out = run_with(&issued_card, &dir.path().join("bad"))
        .assert()
        .failure()
        .code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        err.contains("logo.svg")
            && err.contains("is not a valid SVG file")
            && err.contains("hint:"),
        "{err}"
    );
}

#[test]
fn the_pdf_bulletin_is_a4_with_its_sections_and_chinese_text() {
    // With the system's fonts, as a user runs it: a CJK font where one is installed
    // (`.ci/run` installs Noto Sans CJK).
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_command(&fixtures().join("tiny"), "zh", &out)
        .env_remove("APPRAISE_FONT")
        .assert()
        .success();
    let pdf = out.join("report.pdf");
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    let Some(info) = poppler("pdfinfo", &[], &pdf) else {
        eprintln!("poppler-utils is not installed: the PDF's pages are not checked here");
        return;
    };
    assert!(
        info.lines()
            .any(|l| l.starts_with("Page size:") && l.ends_with("pts (A4)")),
        "{info}"
    );
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap();
    // Cover, contents, then six sections each starting a page.
    assert!(pages >= 8, "{pages} pages");
    let text = poppler("pdftotext", &[], &pdf).unwrap();
    assert!(
        text.contains("SELECT"),
        "the KPI SQL is not in the text layer"
    );
    if !Path::new("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc").exists() {
        eprintln!("no Noto Sans CJK here: the Chinese text is not checked");
        return;
    }
    for words in ["政务信息共享绩效考核报告", "省大数据管理中心", "目录"] {
        assert!(text.contains(words), "{words} is not in the text layer");
    }
    // A card: one department, its name selectable.
    let card = poppler("pdftotext", &[], &out.join("departments/C1.pdf")).unwrap();
    assert!(card.contains("南京市数据局"), "{card}");
    assert!(
        !card.contains("苏州市数据局"),
        "another department on C1's card"
    );
}

/// The same inputs give the same PDF bytes: nothing in them reads the clock.
#[test]
fn the_pdf_is_the_same_for_the_same_inputs() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let first = std::fs::read(run(a.path(), &fixtures().join("tiny"), "en").join("report.pdf"));
    let second = std::fs::read(run(b.path(), &fixtures().join("tiny"), "en").join("report.pdf"));
    assert_eq!(first.unwrap(), second.unwrap());
}

/// The Chinese report and cards show no English flag, rejection reason, level, table
/// or unit word: the demo data has every kind (departments below their minimum sample,
/// excluded KPIs, rejected rows of several reasons, all three levels).
#[test]
fn the_chinese_report_has_no_english_value_words() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    appraise()
        .args(["demo", "--lang", "zh", "--data"])
        .arg(fixtures().join("demo"))
        .arg("--out")
        .arg(&out)
        // The system's fonts, as a user runs it (a CJK font where one is installed).
        .env_remove("APPRAISE_FONT")
        .assert()
        .success()
        // No library log line reaches the user (zero-length strokes of the rasteriser).
        .stderr(predicate::str::contains("WARN").not());
    let words = [
        "below_min_sample",
        "excluded",
        "winsorised",
        "imputed_zero",
        "imputed_median",
        "log_fallback",
        "invalid_for_log",
        "time_order",
        "unknown_department",
        "invalid_timestamp",
        "missing_required",
        "province",
        "city",
        "county",
        "share_requests",
        "ratio",
        "ms",
        "records",
        "departments",
        "working days",
        "outage",
        "spike",
        "latency regression",
        "failure rate",
        "high",
        "medium",
        "low",
    ];
    let mut pages = vec![out.join("report.html")];
    pages.extend(cards(&out, "html"));
    for page in &pages {
        let html = read(page);
        // The KPI appendix's SQL is code, not wording.
        let shown: String = html
            .split("<pre>")
            .map(|part| part.split_once("</pre>").map_or(part, |(_, rest)| rest))
            .collect();
        for w in words {
            for form in [
                format!(">{w}<"),
                format!("({w})"),
                format!(">{w};"),
                format!(";{w}<"),
            ] {
                assert!(!shown.contains(&form), "{}: {form}", page.display());
            }
        }
    }
    // At the demo's 60 departments too, no chart's texts overlap or run off it.
    for chart in [
        "ranking",
        "heatmap",
        "trend",
        "movement",
        "exchanges",
        "response",
        "anomalies",
    ] {
        assert_labels_apart(&out.join(format!("charts/{chart}.svg")));
    }
    // The flags and reasons the demo has, in Chinese.
    let report = read(&out.join("report.html"));
    assert!(
        report.contains("<td>时间先后颠倒</td>"),
        "a reason in Chinese"
    );
    let cards: String = pages[1..].iter().map(|p| read(p)).collect();
    assert!(
        cards.contains("样本少于20") && cards.contains("低于样本量下限"),
        "a flag in Chinese"
    );
    // Regression (half_width_brackets_on_zh_cards): "(比率)" and "95%: 0.51–1.00".
    assert!(
        cards.contains("（比率）"),
        "a unit in Chinese, in full-width brackets"
    );
    assert!(
        !cards.contains("(比率)") && !cards.contains("95%: "),
        "half-width in zh"
    );
    assert!(cards.contains("95%："), "a rate's interval");
    // The demo's one anomaly: in the report's section and on the department's card,
    // in Chinese.
    assert!(
        report.contains("<td>流量激增</td>"),
        "an anomaly in the report"
    );
    assert!(
        cards.contains("流量激增 · 严重程度 中"),
        "an anomaly on its card"
    );
}

/// Regression (a_known_holiday_false_alarm): the demo's one anomaly, a spike on the
/// Mid-Autumn holiday (its traffic runs on as on a working day, and a holiday is
/// judged against rest days), was printed as any day's. The report and the card say
/// the day is a public holiday, judged against rest days; anomalies.csv is unchanged.
#[test]
fn a_known_holiday_false_alarm() {
    let out = demo_report();
    let report = read(&out.join("report.html"));
    assert!(report.contains("<td>2026-09-25（节假日，按休息日比较）</td>"));
    // Only that day: it is the only one flagged.
    assert_eq!(report.matches("节假日，按休息日比较").count(), 1);
    let card = read(
        &cards(out, "html")
            .into_iter()
            .find(|p| p.ends_with("320000-SJ.html"))
            .unwrap(),
    );
    assert!(card.contains("2026-09-25（节假日，按休息日比较） · 流量激增 · 严重程度 中"));
    assert!(read(&out.join("anomalies.csv")).contains("320000-SJ,,2026-09-25,spike,"));
}

/// 150 generated departments (names up to 64 characters), run in `lang` into `out`.
fn run_150(dir: &Path, lang: &str) -> (PathBuf, Vec<[String; 3]>) {
    let data = dir.join("data");
    if !data.exists() {
        appraise()
            .args([
                "generate",
                "--departments",
                "150",
                "--exchanges",
                "20000",
                "--out",
            ])
            .arg(&data)
            .assert()
            .success();
    }
    let out = dir.join(lang);
    appraise()
        .args(["run", "--period", "2026Q3", "--lang", lang, "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .env_remove("APPRAISE_FONT")
        .assert()
        .success();
    // dept_id, name, name_en: the generator writes no quoted field.
    let departments = read(&data.join("departments.csv"));
    assert!(!departments.contains('"'));
    let names = departments
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            [f[0].to_string(), f[1].to_string(), f[2].to_string()]
        })
        .collect();
    (out, names)
}

/// Each text of an SVG chart with the box its glyphs cover, laid out as the PNG
/// rasteriser lays it out (usvg, with the chart font appraise finds), and the canvas.
fn text_boxes(svg: &Path) -> (Vec<(String, resvg::tiny_skia::Rect)>, (f32, f32)) {
    fn walk(g: &resvg::usvg::Group, out: &mut Vec<(String, resvg::tiny_skia::Rect)>) {
        for node in g.children() {
            match node {
                resvg::usvg::Node::Group(g) => walk(g, out),
                resvg::usvg::Node::Text(t) => {
                    let s: String = t.chunks().iter().map(|c| c.text()).collect();
                    if let Some(ink) = t.flattened().abs_bounding_box().to_non_zero_rect() {
                        out.push((s, ink.to_rect()));
                    }
                }
                _ => {}
            }
        }
    }
    let (fonts, _) = appraise_report::fonts::Fonts::find();
    let tree = resvg::usvg::Tree::from_str(&read(svg), fonts.raster_options()).unwrap();
    let mut boxes = Vec::new();
    walk(tree.root(), &mut boxes);
    (boxes, (tree.size().width(), tree.size().height()))
}

/// No two texts of the chart cover the same pixels, and every text lies inside the
/// canvas; returns the texts.
fn assert_labels_apart(svg: &Path) -> Vec<String> {
    let (boxes, (w, h)) = text_boxes(svg);
    for (i, (a, ra)) in boxes.iter().enumerate() {
        assert!(
            ra.left() >= 0.0 && ra.top() >= 0.0 && ra.right() <= w && ra.bottom() <= h,
            "{}: {a:?} at {ra:?} runs off the {w}×{h} canvas",
            svg.display()
        );
        for (b, rb) in &boxes[i + 1..] {
            let apart = ra.right() <= rb.left()
                || rb.right() <= ra.left()
                || ra.bottom() <= rb.top()
                || rb.bottom() <= ra.top();
            assert!(
                apart,
                "{}: {a:?} {ra:?} overlaps {b:?} {rb:?}",
                svg.display()
            );
        }
    }
    boxes.into_iter().map(|(s, _)| s).collect()
}

/// At 150 departments every chart's texts stand apart and inside the chart, every
/// department's name is written whole in the ranking, heatmap and movement chart (and
/// on its radar as far as it fits), the PDFs print no text below 6.5 pt, and the PDF
/// shows the ranking, the heatmap and the movement chart in parts that fit a page.
#[test]
fn at_150_departments_chart_labels_do_not_overlap_and_no_name_is_cut() {
    let dir = tempfile::tempdir().unwrap();
    let cjk = Path::new("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc").exists();
    let langs: &[&str] = if cjk { &["en", "zh"] } else { &["en"] };
    for &lang in langs {
        let (out, departments) = run_150(dir.path(), lang);
        let name = |d: &[String; 3]| {
            if lang == "zh" {
                d[1].clone()
            } else {
                d[2].clone()
            }
        };
        assert!(departments.iter().any(|d| d[2].chars().count() > 34));
        let charts = out.join("charts");
        for chart in ["trend", "exchanges", "response", "sensitivity"] {
            assert_labels_apart(&charts.join(format!("{chart}.svg")));
        }
        let funnels: Vec<PathBuf> = std::fs::read_dir(charts.join("funnel"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "svg"))
            .collect();
        assert!(funnels.len() >= 10, "{} funnel plots", funnels.len());
        for funnel in &funnels {
            assert_labels_apart(funnel);
        }
        for chart in ["ranking", "heatmap", "movement"] {
            let texts = assert_labels_apart(&charts.join(format!("{chart}.svg")));
            for d in &departments {
                assert!(texts.contains(&name(d)), "{lang} {chart}: {}", name(d));
            }
        }
        // The radar's title is the name, cut with "…" where it is wider than the radar
        // (the card's heading gives it whole).
        for d in &departments {
            let radar = charts.join(format!("radar/{}.svg", d[0]));
            let texts = assert_labels_apart(&radar);
            let title = texts[0].trim_end_matches('…');
            assert!(
                name(d).starts_with(title),
                "the title of {}: {title}",
                radar.display()
            );
            assert!(
                title.chars().count() >= 8.min(name(d).chars().count()),
                "{title}"
            );
        }
        // Every text of the PDFs, charts included, prints at 6.5 pt or more.
        for pdf in
            std::iter::once(out.join("report.pdf")).chain(cards(&out, "pdf").into_iter().take(20))
        {
            if let Some((size, word)) = smallest_text(&pdf) {
                assert!(
                    size >= 6.49,
                    "{lang}: {}: {word:?} at {size:.2} pt",
                    pdf.display()
                );
            }
        }
    }
    let out = dir.path().join("en");
    // The HTML report keeps each chart whole.
    let html = read(&out.join("report.html"));
    assert!(html.contains("id=\"chart-ranking\""));
    assert!(!html.contains("chart-ranking-1"));
    let Some(text) = poppler("pdftotext", &[], &out.join("report.pdf")) else {
        eprintln!("poppler-utils is not installed: the PDF's parts are not checked here");
        return;
    };
    // The ranking, the heatmap and the movement chart, each in parts that fit a page.
    for chart in [
        "Composite and rank interval",
        "KPI scores by department",
        "Rank movement",
    ] {
        assert!(text.contains(&format!("{chart} (1/")), "{chart} in parts");
        assert!(text.contains(&format!("{chart} (2/")), "{chart} in parts");
    }
}

/// Warnings reach the Chinese report in Chinese, with table names in its words: an
/// unknown column, a file that names no table and a missing table.
#[test]
fn the_chinese_report_writes_its_warnings_in_chinese() {
    let dir = tempfile::tempdir().unwrap();
    let departments: String = read(&fixtures().join("tiny/departments.csv"))
        .lines()
        .enumerate()
        .map(|(i, l)| format!("{l},{}\n", if i == 0 { "note" } else { "x" }))
        .collect();
    let data = tiny_with_departments(dir.path(), &departments);
    std::fs::write(data.join("misc.csv"), "a,b\n1,2\n").unwrap();
    std::fs::remove_file(data.join("services.csv")).unwrap();
    let out = dir.path().join("out");
    let said = run_command(&data, "zh", &out).assert().success();
    let zh = read(&out.join("report.html"));
    // The terminal says it in Chinese too: no word of Latin letters but the files and
    // columns of the data, the paths, and the id of a dimension a KPI file names that
    // this scorecard does not have (so has no title for).
    let terminal = [&said.get_output().stdout, &said.get_output().stderr]
        .map(|b| String::from_utf8_lossy(b).to_string())
        .join("\n");
    let terminal = terminal.replace(&*dir.path().to_string_lossy(), "");
    for w in latin_words(&terminal) {
        assert!(
            [
                "departments",
                "csv",
                "misc",
                "note",
                "html",
                "out",
                "report",
                "data",
                "co_creation",
                "built-in",
                "DejaVu",
                "Sans",
            ]
            .contains(&w.as_str()),
            "{w:?} in {terminal}"
        );
    }
    assert!(
        terminal.contains("警告：") && terminal.contains("个部门已排名"),
        "{terminal}"
    );
    for words in [
        "departments.csv：不属于部门表的列已忽略：note",
        "misc.csv：没有名为 misc 的表（表名为 部门、资源目录、数据交换、共享申请、政务服务办件）",
        "中没有政务服务办件表，按空表处理",
    ] {
        assert!(zh.contains(words), "{words}");
    }
    for english in ["ignored column", "ignored ", "no table", "it is empty"] {
        assert!(!zh.contains(english), "{english}");
    }
    // The English report writes the sentences the command line prints.
    let en_dir = tempfile::tempdir().unwrap();
    let en = read(&run(en_dir.path(), &data, "en").join("report.html"));
    assert!(en.contains("departments.csv: ignored column(s) not in the departments table: note"));
}

/// Every warning code the crates write has its Chinese wording in the built-in
/// strings.toml, so that no warning reaches a Chinese report in English.
#[test]
fn every_warning_has_chinese_wording() {
    let root = fixtures().parent().unwrap().to_path_buf();
    let strings = read(&root.join("reports/templates/strings.toml"));
    let zh = strings.split("\n[en]").next().unwrap();
    let mut codes = Vec::new();
    for krate in std::fs::read_dir(root.join("crates")).unwrap().flatten() {
        let mut stack = vec![krate.path().join("src")];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    let src = read(&p);
                    for after in src.split("Warning::new(").skip(1) {
                        let code = after
                            .trim_start()
                            .strip_prefix('"')
                            .map(|s| s.split('"').next().unwrap().to_string());
                        codes.extend(code);
                    }
                }
            }
        }
    }
    assert!(codes.len() >= 14, "{codes:?}");
    for code in codes {
        assert!(
            zh.contains(&format!("\"warning:{code}\" = ")),
            "no Chinese wording for warning {code}"
        );
    }
}

/// Chromium, where this machine has it.
fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| {
            std::process::Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

/// The demo's report, once per test binary: (its folder, the folder holding it).
fn demo_report() -> &'static Path {
    static DEMO: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    &DEMO
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let out = dir.path().join("demo");
            appraise()
                .args(["demo", "--data"])
                .arg(fixtures().join("demo"))
                .arg("--out")
                .arg(&out)
                .assert()
                .success();
            (dir, out)
        })
        .1
}

/// What the demo's report.html shows with `fragment` in its address, run in headless
/// Chromium: the what-if ranking as (id, rank, composite, grade, published rank), the
/// scorecard it would download, and the note it shows (empty where none).
fn what_if_page(chromium: &str, fragment: &str) -> (Vec<[String; 5]>, String, String) {
    let out = demo_report();
    let page = format!(
        "file://{}#whatif={fragment}",
        out.join("report.html").display()
    );
    let profile = tempfile::tempdir().unwrap();
    let dom = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--virtual-time-budget=5000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(&page)
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&dom.stdout).into_owned();
    let unescape = |s: &str| {
        s.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&")
    };
    let element = |open: &str, close: &str| {
        dom.split_once(open)
            .and_then(|(_, rest)| rest.split_once('>'))
            .and_then(|(_, rest)| rest.split_once(close))
            .map(|(text, _)| unescape(text))
            .unwrap_or_default()
    };
    let toml = element("<textarea id=\"whatif-toml\"", "</textarea>");
    let note = element("<p id=\"whatif-error\"", "</p>");
    let shown: Vec<[String; 5]> = dom
        .split("<tr data-id=\"")
        .skip(1)
        .map(|row| {
            let id = row.split('"').next().unwrap().to_string();
            let cells: Vec<String> = row
                .split("<td")
                .skip(1)
                .map(|c| {
                    c.split_once('>')
                        .unwrap()
                        .1
                        .split("</td>")
                        .next()
                        .unwrap()
                        .to_string()
                })
                .collect();
            [
                id,
                cells[0].clone(),
                cells[2].clone(),
                cells[3].clone(),
                cells[4].clone(),
            ]
        })
        .collect();
    assert_eq!(shown.len(), 60, "{fragment}");
    (shown, toml, note)
}

/// Scores the demo with the scorecard `toml` (as the page downloads it) and checks that
/// every department's rank, grade and composite (to two decimals) are the page's.
fn scored_as_the_page_shows(shown: &[[String; 5]], toml: &str, fragment: &str) {
    let dir = tempfile::tempdir().unwrap();
    let card = dir.path().join("whatif.toml");
    std::fs::write(&card, toml).unwrap();
    let scored = appraise()
        .args(["score", "--period", "2026Q3", "--format", "csv", "--data"])
        .arg(fixtures().join("demo"))
        .arg("--scorecard")
        .arg(&card)
        .output()
        .unwrap();
    assert!(scored.status.success(), "{fragment}: {scored:?}\n{toml}");
    let ranking = String::from_utf8(scored.stdout).unwrap();
    for line in ranking.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let row = shown.iter().find(|r| r[0] == f[0]).unwrap();
        let (rank, grade) = (
            if f[6].is_empty() { "–" } else { f[6] },
            if f[8].is_empty() { "–" } else { f[8] },
        );
        assert_eq!(
            (row[1].as_str(), row[3].as_str()),
            (rank, grade),
            "{fragment}: {}",
            f[0]
        );
        if !f[5].is_empty() && !f[6].is_empty() {
            let composite: f64 = f[5].parse().unwrap();
            assert_eq!(row[2], format!("{composite:.2}"), "{fragment}: {}", f[0]);
        }
    }
    assert_eq!(ranking.lines().count(), 61);
}

/// The what-if controls of report.html, run in headless Chromium with weights set
/// through the page's address (a dimension, a KPI and the aggregation changed), rank
/// and grade every department of the demo as `appraise score` does with the scorecard
/// the page writes out, and give the same composites to two decimals.
#[test]
fn what_if_weights_in_the_page_rank_as_appraise_does() {
    let Some(chromium) = chromium() else {
        eprintln!("no Chromium here: the what-if controls are not checked");
        return;
    };
    let fragment = "sharing:1,responsiveness:0.1,K1:5,aggregation:geometric";
    let (shown, toml, note) = what_if_page(chromium, fragment);
    assert!(toml.contains("aggregation = \"geometric\""), "{toml}");
    assert!(note.is_empty(), "{note}");
    // The weights from the address took effect: the ranking moved.
    assert!(shown.iter().any(|r| r[1] != r[4]), "no rank moved");
    scored_as_the_page_shows(&shown, &toml, fragment);
}

/// Regression (what_if_link_injection): `#whatif=aggregation:geometric%22%20%23`
/// showed the arithmetic ranking but downloaded a scorecard reading `aggregation =
/// "geometric" #"` (54 of 60 departments ranked or graded otherwise when scored with
/// it), and the page took weights appraise refuses (2e6, Infinity, 1e308, all zeros).
/// Each hostile address leaves the published weights with a note, and the page's
/// ranking is what `appraise score` gives with the scorecard it downloads.
#[test]
fn what_if_link_injection() {
    let Some(chromium) = chromium() else {
        eprintln!("no Chromium here: the what-if controls are not checked");
        return;
    };
    for fragment in [
        "aggregation:geometric%22%20%23",
        "aggregation:geometric%22%0Aweight%20%3D%209",
        "sharing:2e6",
        "K1:Infinity",
        "K1:1e308",
        "K1:-1",
        "K1:0x10",
        "sharing:0,responsiveness:0,service:0,co_creation:0",
        "nosuch:1",
        "%E0%A4%A",
    ] {
        let (shown, toml, note) = what_if_page(chromium, fragment);
        assert!(!note.is_empty(), "{fragment}: no note");
        assert!(
            shown.iter().all(|r| r[1] == r[4]),
            "{fragment}: the ranking moved"
        );
        assert!(!toml.contains("geometric\" #"), "{fragment}");
        scored_as_the_page_shows(&shown, &toml, fragment);
    }
}

/// fixtures/tiny with every exchange made to succeed: every department's exchange success
/// rate is 1.
fn tiny_all_succeed(dir: &Path) -> PathBuf {
    let data = tiny_with_departments(dir, &read(&fixtures().join("tiny/departments.csv")));
    let exchanges = read(&data.join("exchanges.csv"))
        .replace(",failed,", ",success,")
        .replace(",rejected,", ",success,")
        .replace(",timeout,", ",success,");
    std::fs::write(data.join("exchanges.csv"), exchanges).unwrap();
    data
}

/// Regression (a_degenerate_funnel_takes_half_a_page): a funnel plot where every
/// department's rate is the same (all at 100 %) was drawn and printed anyway.
#[test]
fn a_degenerate_funnel_takes_half_a_page() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_all_succeed(dir.path());
    let out = dir.path().join("out");
    appraise()
        .args(["run", "--period", "2026Q3", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let funnels = out.join("charts/funnel");
    assert!(!funnels.join("exchange_success_rate.svg").exists());
    // The other rates still have theirs, and funnel.csv keeps every rate.
    assert!(std::fs::read_dir(&funnels).unwrap().count() > 0);
    assert!(read(&out.join("funnel.csv")).contains("exchange_success_rate"));
    assert!(!read(&out.join("report.html")).contains("charts/funnel/exchange_success_rate"));
}

/// Regression (rate_intervals_collapse_to_one_number): a card formatted a rate's 95 %
/// interval at the KPI's display precision, which is whole numbers where every value
/// is (every exchange of fixtures/tiny made to succeed: every success rate is 1), so
/// the card read "1 / 95%: 1–1" where scores.csv says 0.21–1.00. A Wilson interval
/// always has width: no card may show one number twice.
#[test]
fn rate_intervals_collapse_to_one_number() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_all_succeed(dir.path());
    let out = dir.path().join("out");
    appraise()
        .args(["run", "--period", "2026Q3", "--lang", "en", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let mut seen = 0;
    for e in std::fs::read_dir(out.join("departments"))
        .unwrap()
        .flatten()
    {
        if e.path().extension().is_none_or(|x| x != "html") {
            continue;
        }
        let html = read(&e.path());
        for part in html.split("95%: ").skip(1) {
            let range = part.split('<').next().unwrap();
            let (lo, hi) = range.split_once('–').unwrap();
            assert_ne!(lo, hi, "{}: {range}", e.path().display());
            assert!(
                lo.contains('.') && hi.contains('.'),
                "{range}: at least two decimals"
            );
            seen += 1;
        }
    }
    assert!(seen >= 6, "{seen} intervals on the cards");
}

/// The text a person reads in an HTML page: no tags, scripts, styles or code blocks,
/// entities decoded.
fn page_text(html: &str) -> String {
    let mut text = String::new();
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        text.push_str(&rest[..at]);
        text.push(' ');
        rest = &rest[at..];
        let skip = ["script", "style", "pre"].into_iter().find_map(|t| {
            rest.starts_with(&format!("<{t}"))
                .then(|| rest.find(&format!("</{t}>")).map(|e| e + t.len() + 3))
                .flatten()
        });
        let end = skip.unwrap_or_else(|| rest.find('>').map_or(rest.len(), |e| e + 1));
        rest = &rest[end..];
    }
    text.push_str(rest);
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x2f;", "/")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Half-width punctuation against a Chinese character (`考核期: `, `已排名, 1`).
fn half_width_beside_han(text: &str) -> Vec<String> {
    let han = |c: char| ('\u{4e00}'..='\u{9fff}').contains(&c);
    let chars: Vec<char> = text.chars().collect();
    let mut found = Vec::new();
    for (i, &c) in chars.iter().enumerate() {
        if !matches!(c, ',' | ':' | ';' | '!' | '?') {
            continue;
        }
        let before = i > 0 && han(chars[i - 1]);
        let after = chars.get(i + 1).is_some_and(|&n| han(n))
            || (chars.get(i + 1) == Some(&' ') && chars.get(i + 2).is_some_and(|&n| han(n)));
        if before || after {
            let from = i.saturating_sub(12);
            found.push(chars[from..(i + 12).min(chars.len())].iter().collect());
        }
    }
    found
}

/// Regression (half_width_punctuation_in_chinese): the Chinese report, cards and PDF
/// wrote "考核期: 2026 年第三季度" and "59 已排名, 1 数据不足未排名": half-width colons and
/// commas, and the space Typst puts between Chinese and digits.
#[test]
fn half_width_punctuation_in_chinese() {
    let out = demo_report();
    let mut pages = vec![page_text(&read(&out.join("report.html")))];
    for e in std::fs::read_dir(out.join("departments"))
        .unwrap()
        .flatten()
    {
        if e.path().extension().is_some_and(|x| x == "html") {
            pages.push(page_text(&read(&e.path())));
        }
    }
    if let Some(pdf) = poppler("pdftotext", &[], &out.join("report.pdf")) {
        assert!(
            pdf.contains("2026年第三季度"),
            "no space between Chinese and digits"
        );
        pages.push(pdf);
    }
    let cards = std::fs::read_dir(out.join("departments"))
        .unwrap()
        .flatten();
    if let Some(card) = cards
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "pdf"))
        && let Some(text) = poppler("pdftotext", &[], &card)
    {
        pages.push(text);
    }
    for page in &pages {
        let found = half_width_beside_han(page);
        assert!(found.is_empty(), "{found:?}");
    }
}

/// Regression (pdf_card_lacks_group_rank_change_and_reason): the PDF card showed "–"
/// for an unranked department's rank beside its composite, without the reason the HTML
/// card gives, and no group rank or change. Every figure of the HTML card's summary is
/// on the PDF card.
#[test]
fn pdf_card_lacks_group_rank_change_and_reason() {
    let out = demo_report();
    let unranked = std::fs::read_dir(out.join("departments"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "html"))
        .find(|p| read(p).contains("数据不足"))
        .expect("the demo has an unranked department");
    let Some(text) = poppler("pdftotext", &[], &unranked.with_extension("pdf")) else {
        return;
    };
    // "组内名次", "状态：数据不足", "指标覆盖率", "上期名次", "名次变化" as strings.toml words them.
    let strings =
        read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../reports/templates/strings.toml"));
    let zh = strings.split("\n[en]\n").next().unwrap();
    let word = |key: &str| {
        zh.lines()
            .find_map(|l| l.strip_prefix(&format!("{key} = \"")))
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or_else(|| panic!("no {key}"))
            .to_string()
    };
    for key in [
        "group_rank",
        "status",
        "coverage",
        "previous_rank",
        "change",
    ] {
        assert!(text.contains(&word(key)), "{key}: {text}");
    }
    assert!(
        text.contains(&format!("{}：数据不足", word("status"))),
        "{text}"
    );
    // Every column header of the HTML card's tables is in the PDF card (sample size and
    // contribution were not). A header wrapped over lines in its column is found as its
    // characters in order within three times its length.
    let html = read(&unranked);
    let flat: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    let found = |header: &str| {
        let h: Vec<char> = header.chars().filter(|c| !c.is_whitespace()).collect();
        (0..flat.len()).any(|start| {
            let mut i = 0;
            for &c in flat[start..].iter().take(3 * h.len()) {
                if i < h.len() && c == h[i] {
                    i += 1;
                }
            }
            i == h.len() && flat[start] == h[0]
        })
    };
    let headers: Vec<String> = html
        .split("<th")
        .skip(1)
        .filter_map(|part| part.split_once('>')?.1.split_once("</th>"))
        .map(|(inner, _)| inner.to_string())
        .filter(|h| !h.is_empty() && !h.contains('<'))
        .collect();
    assert!(headers.len() >= 20, "{headers:?}");
    for header in &headers {
        assert!(found(header), "{header} is not in the PDF card");
    }
    assert!(!found("不存在的列"));
}

/// Regression (english_in_the_chinese_report): the Chinese report linked every chart's
/// files as "SVG · PNG", and each Chinese card set the department's English name under
/// its Chinese one.
#[test]
fn english_in_the_chinese_report() {
    let out = demo_report();
    let report = page_text(&read(&out.join("report.html")));
    for word in ["SVG", "PNG"] {
        assert!(!report.contains(word), "{word} in the Chinese report");
    }
    let departments = read(&fixtures().join("demo/departments.csv"));
    let english: Vec<&str> = departments
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(2))
        .filter(|n| n.len() > 3)
        .collect();
    assert!(english.len() > 50);
    let mut cards = 0;
    for e in std::fs::read_dir(out.join("departments"))
        .unwrap()
        .flatten()
    {
        let path = e.path();
        let text = match path.extension().and_then(|x| x.to_str()) {
            Some("html") => page_text(&read(&path)),
            Some("pdf") => match poppler("pdftotext", &[], &path) {
                Some(t) => t,
                None => continue,
            },
            _ => continue,
        };
        cards += 1;
        for name in &english {
            assert!(!text.contains(name), "{}: {name}", path.display());
        }
    }
    assert!(cards >= 60);
}

/// Regression (workbook_values_in_english): the Chinese workbook wrote coded values as
/// they are stored: levels (province, city, county), statuses (ranked,
/// insufficient_data), KPI ids and the flags of a score (below_min_sample).
#[test]
fn workbook_values_in_english() {
    use calamine::{Reader, Xlsx, open_workbook};
    let out = demo_report();
    let mut wb: Xlsx<_> = open_workbook(out.join("appraisal.xlsx")).unwrap();
    let coded = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c == '_' || c == ';')
    };
    let mut cells = 0;
    // The data dictionary maps the CSV columns' ids to their headers: ids are its point.
    for sheet in wb.sheet_names().into_iter().filter(|s| s != "数据字典") {
        let range = wb.worksheet_range(&sheet).unwrap();
        for row in range.rows().skip(1) {
            for cell in row {
                let text = cell.to_string();
                assert!(!coded(&text), "{sheet}: {text}");
                cells += 1;
            }
        }
    }
    assert!(cells > 1000);
}

/// Every text of the demo's Chinese outputs a reader sees, with where it is: the HTML
/// and Markdown reports, the cards, each workbook cell, and the PDFs' text (the
/// bulletin and a card, where poppler-utils is installed).
fn zh_texts(out: &Path) -> Vec<(String, String)> {
    use calamine::{Reader, Xlsx, open_workbook};
    let mut texts = vec![
        ("report.html".to_string(), read(&out.join("report.html"))),
        ("report.md".to_string(), read(&out.join("report.md"))),
    ];
    for p in cards(out, "html") {
        texts.push((p.display().to_string(), read(&p)));
    }
    let mut wb: Xlsx<_> = open_workbook(out.join("appraisal.xlsx")).unwrap();
    for sheet in wb.sheet_names() {
        let range = wb.worksheet_range(&sheet).unwrap();
        for row in range.rows() {
            for cell in row {
                texts.push((format!("appraisal.xlsx, {sheet}"), cell.to_string()));
            }
        }
    }
    let card = cards(out, "pdf").swap_remove(0);
    for pdf in [out.join("report.pdf"), card] {
        if let Some(text) = poppler("pdftotext", &[], &pdf) {
            texts.push((pdf.display().to_string(), text));
        }
    }
    texts
}

/// The words of Latin letters in `text` (two letters or more, with inner `-` or `_`).
fn latin_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_alphabetic() || (!word.is_empty() && (c == '-' || c == '_')) {
            word.push(c);
        } else {
            let w = word.trim_end_matches(['-', '_']);
            if w.chars().filter(char::is_ascii_alphabetic).count() >= 2 {
                words.push(w.to_string());
            }
            word.clear();
        }
    }
    words
}

/// The text of an HTML page a reader sees: without scripts, styles, code blocks (the
/// KPI queries), tags and attributes.
fn visible_text(html: &str) -> String {
    let mut text = html.to_string();
    for (open, close) in [
        ("<script", "</script>"),
        ("<style", "</style>"),
        ("<pre", "</pre>"),
    ] {
        while let Some(a) = text.find(open) {
            let b = text[a..]
                .find(close)
                .map_or(text.len(), |b| a + b + close.len());
            text.replace_range(a..b, " ");
        }
    }
    let mut out = String::new();
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

/// Regression (english_in_the_chinese_outputs): the Chinese report, cards, workbook
/// and PDFs carry no word of Latin letters but the KPI queries of the appendix, the
/// data's ids (of departments, and of the resources, services and share requests a
/// card lists to fix), and proper names of formats and systems (JSON, CSV, X-Road).
#[test]
fn english_in_the_chinese_outputs() {
    let out = demo_report();
    let mut allowed: std::collections::BTreeSet<String> = ["JSON", "CSV", "X-Road"]
        .into_iter()
        .map(String::from)
        .collect();
    for e in std::fs::read_dir(fixtures().join("../queries/kpis"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_file())
    {
        let sql: String = read(&e.path())
            .lines()
            .map(|l| l.split("--").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n");
        allowed.extend(latin_words(&sql));
    }
    for (table, id) in [
        ("departments", "dept_id"),
        ("catalog", "resource_id"),
        ("services", "service_id"),
        ("share_requests", "request_id"),
    ] {
        let text = read(&fixtures().join(format!("demo/{table}.csv")));
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let at = header.iter().position(|h| *h == id).unwrap();
        for line in lines {
            allowed.extend(latin_words(line.split(',').nth(at).unwrap_or("")));
        }
    }
    let (mut found, mut seen) = (Vec::new(), 0);
    let texts = zh_texts(out);
    assert!(texts.len() > 1000, "{} texts", texts.len());
    for (place, text) in texts {
        // The data dictionary maps the CSV columns' ids: ids are its point.
        if place.ends_with("数据字典") {
            continue;
        }
        let text = if place.ends_with(".html") {
            visible_text(&text)
        } else if place.ends_with(".md") {
            // Link and image targets are files, not text.
            text.split("](")
                .enumerate()
                .map(|(i, part)| {
                    if i == 0 {
                        part
                    } else {
                        part.split_once(')').map_or("", |(_, rest)| rest)
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            text
        };
        for w in latin_words(&text) {
            seen += 1;
            if !allowed.contains(&w) {
                found.push(format!("{place}: {w}"));
            }
        }
    }
    // The queries of the appendix are there, and allowed.
    assert!(seen > 100, "{seen} words of Latin letters in all");
    found.sort();
    found.dedup();
    assert!(
        found.is_empty(),
        "{} Latin words, e.g. {:?}",
        found.len(),
        &found[..found.len().min(40)]
    );
}

/// One word for each idea: no variant that docs/glossary.md rules out appears in the
/// Chinese strings or in any Chinese output of the demo.
#[test]
fn the_glossary_has_one_word_for_each_idea() {
    let glossary = read(&fixtures().join("../docs/glossary.md"));
    let variants: Vec<(String, String)> = glossary
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| English") && !l.starts_with("| ---"))
        .flat_map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
            let term = cells[1].to_string();
            cells[2]
                .split('、')
                .filter(|v| !v.is_empty())
                .map(move |v| (v.to_string(), term.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(variants.len() >= 20, "{variants:?}");
    let strings = read(&fixtures().join("../reports/templates/strings.toml"));
    let zh = &strings[..strings.find("\n[en]").unwrap()];
    let mut texts = zh_texts(demo_report());
    texts.push(("strings.toml [zh]".into(), zh.to_string()));
    for (variant, term) in &variants {
        for (place, text) in &texts {
            assert!(
                !text.contains(variant.as_str()),
                "{place} says {variant:?} where the glossary says {term:?}"
            );
        }
    }
}

/// Under each funnel plot, a sentence says what the limits mean and names every
/// department outside them, by side and limit, as funnel.csv classes them; none
/// within them is named.
#[test]
fn funnels_name_their_outliers_at_95_and_99_8() {
    let out = demo_report();
    let html = read(&out.join("report.html"));
    let names: std::collections::BTreeMap<String, String> = read(&out.join("ranking.csv"))
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), f[1].to_string())
        })
        .collect();
    let funnel = read(&out.join("funnel.csv"));
    let (mut outside, mut notes) = (0, 0);
    for kpi in funnel
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect::<std::collections::BTreeSet<_>>()
    {
        let Some(at) = html.find(&format!("<figure id=\"chart-funnel&#x2f;{kpi}\"")) else {
            continue; // a degenerate funnel is not drawn
        };
        let figure = &html[at..at + html[at..].find("</figure>").unwrap()];
        let note = figure.split("<p class=\"muted\">").nth(1).unwrap();
        assert!(note.starts_with("控制限表示"), "{note}");
        notes += 1;
        // The note's clauses, in its order: above 99.8 %, above 95 %, below 95 %, below 99.8 %.
        let clause = |signal: &str| {
            let key = match signal {
                "above_99.8" => "高于 99.8% 控制限：",
                "above_95" => "高于 95% 控制限（在 99.8% 控制限以内）：",
                "below_95" => "低于 95% 控制限（在 99.8% 控制限以内）：",
                _ => "低于 99.8% 控制限：",
            };
            note.split(key)
                .nth(1)
                .map(|rest| rest.split('。').next().unwrap().to_string())
        };
        for line in funnel
            .lines()
            .skip(1)
            .filter(|l| l.split(',').nth(1) == Some(kpi))
        {
            let f: Vec<&str> = line.split(',').collect();
            let name = &names[f[0]];
            let listed_anywhere = ["above_99.8", "above_95", "below_95", "below_99.8"]
                .iter()
                .any(|s| clause(s).is_some_and(|c| c.split('、').any(|n| n == name)));
            if f[9] == "within" {
                assert!(!listed_anywhere, "{kpi}: {name} is within the limits");
                continue;
            }
            outside += 1;
            let listed = clause(f[9]).unwrap_or_default();
            assert!(
                listed.split('、').any(|n| n == name),
                "{kpi}: {name} ({}) not in {note}",
                f[9]
            );
        }
    }
    assert!(
        notes >= 10 && outside >= 5,
        "{notes} notes, {outside} outside"
    );
}

/// Regression (one_event_fills_the_anomaly_table): a provider's outage and the outages
/// of its busy pairs took a row each (11 of the table's 40). The table lists one row per
/// event (a provider's day of one kind), saying how many of its pairs were flagged with
/// it, as anomalies.csv counts them.
#[test]
fn one_event_fills_the_anomaly_table() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    appraise()
        .args([
            "generate",
            "--seed",
            "5",
            "--departments",
            "12",
            "--start",
            "2026-04-01",
        ])
        .args([
            "--months",
            "6",
            "--exchanges",
            "200000",
            "--anomalies",
            "8",
            "--out",
        ])
        .arg(&data)
        .assert()
        .success();
    let out = dir.path().join("out");
    appraise()
        .args(["run", "--period", "2026Q3", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    // Events by provider, day and kind: their own row, and their pairs' rows.
    let mut events: std::collections::BTreeMap<(String, String, String), (bool, usize)> =
        Default::default();
    for line in read(&out.join("anomalies.csv")).lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let e = events
            .entry((f[0].to_string(), f[2].to_string(), f[3].to_string()))
            .or_default();
        if f[1].is_empty() {
            e.0 = true;
        } else {
            e.1 += 1;
        }
    }
    let with_pairs: Vec<usize> = events
        .values()
        .filter(|(own, pairs)| *own && *pairs > 0)
        .map(|(_, pairs)| *pairs)
        .collect();
    assert!(!with_pairs.is_empty(), "{events:?}");
    let html = read(&out.join("report.html"));
    let section = &html[html.find("id=\"anomalies\"").unwrap()..];
    let table = &section[..section.find("</table>").unwrap()];
    let rows = table.matches("<tr><td>").count();
    assert_eq!(rows, events.len().min(40), "one row per event");
    for n in &with_pairs {
        assert!(
            table.contains(&format!("同时有 {n} 个交换对异常")),
            "{n} pairs"
        );
    }
}

/// Regression (the_tool_signs_the_bulletin): the printed bulletin said "由 appraise 生成"
/// and named manifest.json and anomalies.csv: the office's bulletin names neither the
/// tool nor its files.
#[test]
fn the_tool_signs_the_bulletin() {
    let out = demo_report();
    let Some(text) = poppler("pdftotext", &[], &out.join("report.pdf")) else {
        return;
    };
    for word in ["appraise", "manifest.json", "anomalies.csv", "SHA-256"] {
        assert!(!text.contains(word), "{word} in the bulletin");
    }
    // Nor its metadata: the author is the issuer, or none while unset.
    for pdf in [
        out.join("report.pdf"),
        out.join("departments/320000-MZ.pdf"),
    ] {
        let info = poppler("pdfinfo", &[], &pdf).unwrap_or_default();
        let author = info.lines().find(|l| l.starts_with("Author:"));
        assert!(
            author.is_none_or(|a| !a.contains("appraise")),
            "{}: {author:?}",
            pdf.display()
        );
    }
}

/// The colours an SVG chart draws with (`fill` and `stroke` attributes).
fn svg_colours(path: &Path) -> Vec<[u8; 3]> {
    use appraise_report::vision::parse_hex;
    let text = read(path);
    let doc =
        roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut colours: Vec<[u8; 3]> = doc
        .descendants()
        .flat_map(|n| [n.attribute("fill"), n.attribute("stroke")])
        .flatten()
        .filter_map(parse_hex)
        .collect();
    colours.sort_unstable();
    colours.dedup();
    colours
}

/// Every SVG file under `dir`, recursively.
fn svgs_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(svgs_under(&path));
        } else if path.extension().is_some_and(|e| e == "svg") {
            out.push(path);
        }
    }
    out
}

// Print that survives grayscale and colour-blind readers, checked on what is drawn:
// every chart of the demo (ranking, heatmap, trend, movement, exchanges, response,
// funnels, radars, anomalies, sensitivity). Its coloured marks (chroma C* ≥ 15; grays,
// ink and white carry no category) are seen as a grayscale printer, a deuteranope and
// a protanope see them: two category colours of one chart stay ΔE ≥ 10 apart
// (`vision::DISTINCT`), and a sequential scale (more than 12 colours: the heatmaps)
// keeps its order of lightness, so that darker still means more. Regression
// (anomaly_outages_and_spikes_gray_alike): the anomaly calendar's red outages
// (#D73027) and blue spikes (#1F60A8) printed as the same gray (ΔE 5.0).
#[test]
fn every_chart_keeps_its_colours_apart_in_grayscale_and_for_colour_blind_readers() {
    use appraise_report::vision::{DISTINCT, Vision, chroma, delta_e, lab};
    let charts = svgs_under(&demo_report().join("charts"));
    assert!(charts.len() >= 20, "{charts:?}");
    let mut pairs = 0;
    for chart in &charts {
        let marks: Vec<[u8; 3]> = svg_colours(chart)
            .into_iter()
            .filter(|&c| chroma(lab(c, Vision::Normal)) >= 15.0)
            .collect();
        for how in Vision::IMPAIRED {
            for (i, &a) in marks.iter().enumerate() {
                for &b in &marks[i + 1..] {
                    let (na, nb) = (lab(a, Vision::Normal), lab(b, Vision::Normal));
                    let (sa, sb) = (lab(a, how), lab(b, how));
                    if marks.len() > 12 {
                        if (na[0] - nb[0]).abs() >= 3.0 {
                            assert_eq!(
                                na[0] < nb[0],
                                sa[0] < sb[0],
                                "{}: {a:?} and {b:?} swap lightness ({how:?})",
                                chart.display()
                            );
                        }
                    } else {
                        pairs += 1;
                        let d = delta_e(sa, sb);
                        assert!(
                            d >= DISTINCT,
                            "{}: {a:?} and {b:?} differ by ΔE {d:.1} ({how:?})",
                            chart.display()
                        );
                    }
                }
            }
        }
    }
    // The ranking alone has four grade colours and the interval's blue.
    assert!(pairs >= 30, "{pairs}");
}

// Regression (unranked_card_without_a_reason): 省民政厅 had a composite of 60.77 and a
// rank of "–" with no word why. Its KPIs with a usable value carry 0.65 of the weight
// (ranking.csv), below the scorecard's min_coverage of 2/3: the card says so, in the
// HTML and in print, with the rank interval explained beside it.
#[test]
fn an_unranked_card_says_why() {
    let out = demo_report();
    let row = read(&out.join("ranking.csv"))
        .lines()
        .find(|l| l.starts_with("320000-MZ,"))
        .map(str::to_string)
        .unwrap();
    assert!(
        row.contains(",insufficient_data,") && row.ends_with(",0.65"),
        "{row}"
    );
    let reason = "未参加排名与评级：有可用取值的指标占权重的 65.0%，低于考核方案要求的 66.7%。";
    let html = read(&out.join("departments/320000-MZ.html"));
    assert!(html.contains(reason), "html");
    assert!(
        html.contains("名次区间：计入权重"),
        "the interval explained"
    );
    // A ranked department's card gives no reason.
    assert!(!read(&out.join("departments/320000-SW.html")).contains("未参加排名"));
    if let Some(text) = poppler("pdftotext", &[], &out.join("departments/320000-MZ.pdf")) {
        assert!(text.replace('\n', "").contains(reason), "{text}");
    }
}

/// `--status preliminary` marks every page of the bulletin and of each card with the
/// appeal deadline of the scorecard's [bulletin] (and refuses a scorecard without
/// one, writing nothing); `--status final` marks them final and says in the
/// adjustments section that there were none; without `--status` no page is marked.
#[test]
fn a_preliminary_bulletin_is_marked_on_every_page_with_its_appeal_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let with_deadline = dir.path().join("card.toml");
    std::fs::write(
        &with_deadline,
        format!(
            "{}\n[bulletin]\nappeal_deadline = 2026-10-31\n",
            read(&card())
        ),
    )
    .unwrap();
    let run = |status: &str, card: &Path, out: &Path| {
        let mut cmd = appraise();
        cmd.args(["run", "--period", "2026Q3", "--lang", "zh", "--data"])
            .arg(fixtures().join("tiny"))
            .arg("--scorecard")
            .arg(card)
            .arg("--out")
            .arg(out)
            // The system's fonts, as a user runs it: the Chinese of the PDFs.
            .env_remove("APPRAISE_FONT");
        if !status.is_empty() {
            cmd.args(["--status", status]);
        }
        cmd.assert()
    };
    let refused = dir.path().join("refused");
    run("preliminary", &card(), &refused).code(1).stderr(
        predicate::str::contains("needs the appeal deadline")
            .and(predicate::str::contains("hint: set appeal_deadline")),
    );
    assert!(!refused.exists());

    let banner = "初步结果（征求意见稿）：各部门对本部门数据有异议的，请于2026年10月31日前提出申诉";
    let preliminary = dir.path().join("preliminary");
    run("preliminary", &with_deadline, &preliminary).success();
    assert!(read(&preliminary.join("report.html")).contains(banner));
    assert!(read(&preliminary.join("report.md")).contains(banner));
    for card in cards(&preliminary, "html") {
        assert!(read(&card).contains(banner), "{}", card.display());
    }
    let mut pdfs = cards(&preliminary, "pdf");
    pdfs.push(preliminary.join("report.pdf"));
    for pdf in &pdfs {
        let Some(text) = poppler("pdftotext", &[], pdf) else {
            break;
        };
        // pdftotext ends each page with a form feed.
        let pages: Vec<&str> = text
            .split('\u{c}')
            .filter(|p| !p.trim().is_empty())
            .collect();
        assert!(!pages.is_empty());
        for (i, page) in pages.iter().enumerate() {
            let flat: String = page.split_whitespace().collect();
            assert!(
                flat.contains(&banner.replace(' ', "")),
                "{} page {}",
                pdf.display(),
                i + 1
            );
            // The mark across the page, its characters set apart (rotated): a second 初.
            assert!(
                flat.matches('初').count() >= 2,
                "{} page {}: the mark",
                pdf.display(),
                i + 1
            );
        }
    }

    let final_ = dir.path().join("final");
    run("final", &with_deadline, &final_).success();
    let md = read(&final_.join("report.md"));
    assert!(md.contains("正式结果：已按受理的申诉完成复核。"));
    let section = &md[md.find("## 调整与申诉复核").unwrap()..];
    assert!(
        section.starts_with("## 调整与申诉复核\n\n本期未作调整。"),
        "{section}"
    );
    assert!(!md.contains("初步结果"));

    let plain = dir.path().join("plain");
    run("", &with_deadline, &plain).success();
    let md = read(&plain.join("report.md"));
    assert!(!md.contains("初步结果") && !md.contains("正式结果") && !md.contains("调整与申诉复核"));
}
