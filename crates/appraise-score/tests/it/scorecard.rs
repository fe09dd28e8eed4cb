//! Scorecard files: the default one checks against the KPI library, and every wrong
//! one is an error naming its line.

use std::path::Path;

use crate::common::kpi;
use appraise_score::Scorecard;

fn error_of(text: &str) -> String {
    match Scorecard::parse(Path::new("card.toml"), text) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e.to_string(),
    }
}

const HEAD: &str = "[scorecard]\nname = \"t\"\n\n[[dimension]]\nid = \"s\"\nweight = 1\n\n";

#[test]
fn the_default_scorecard_covers_the_library() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let card =
        Scorecard::from_file(&root.join("queries/scorecard.toml")).expect("default scorecard");
    let library = appraise_kpi::load_library(&root.join("queries/kpis")).expect("library");
    let warnings = card.check(&library).expect("checks against the library");
    assert!(warnings.is_empty(), "{warnings:?}");
    // Every KPI but the optional ones (catalog metadata quality, docs/kpis.md).
    let mut expected: Vec<&str> = library
        .iter()
        .filter(|k| !k.optional)
        .map(|k| k.id.as_str())
        .collect();
    let mut scored: Vec<&str> = card.kpis.iter().map(|k| k.id.as_str()).collect();
    expected.sort_unstable();
    scored.sort_unstable();
    assert_eq!(scored, expected);
    assert_eq!(library.len() - expected.len(), 3);
    assert_eq!(card.dimensions.len(), 4);
    assert!((card.min_coverage - 2.0 / 3.0).abs() < 1e-15);
    let shares: f64 = card.nominal_shares().iter().sum();
    assert!((shares - 1.0).abs() < 1e-12);
    assert_eq!(card.grades.bands[0].label_zh.as_deref(), Some("优秀"));
}

#[test]
fn unknown_kpi_names_its_line() {
    let card = Scorecard::parse(
        Path::new("card.toml"),
        &format!("{HEAD}[[kpi]]\nid = \"nope\"\ndimension = \"s\"\n"),
    )
    .expect("parses");
    let e = card
        .check(&[kpi("a", "higher")])
        .expect_err("unknown KPI")
        .to_string();
    assert!(e.starts_with("card.toml:9: unknown KPI \"nope\""), "{e}");
}

#[test]
fn kpi_in_no_dimension_names_its_line() {
    let e = error_of(&format!(
        "{HEAD}[[kpi]]\nid = \"a\"\ndimension = \"other\"\n"
    ));
    assert!(
        e.starts_with("card.toml:10: KPI \"a\" is in dimension \"other\""),
        "{e}"
    );
}

#[test]
fn negative_and_all_zero_weights() {
    let e = error_of(&format!(
        "{HEAD}[[kpi]]\nid = \"a\"\ndimension = \"s\"\nweight = -1\n"
    ));
    assert!(e.starts_with("card.toml:11: weight -1"), "{e}");
    let e = error_of(&format!(
        "{HEAD}[[kpi]]\nid = \"a\"\ndimension = \"s\"\nweight = 0\n"
    ));
    assert!(
        e.starts_with("card.toml:5: every KPI weight in dimension \"s\" is zero"),
        "{e}"
    );
    let e = error_of(&HEAD.replace("weight = 1", "weight = 0"));
    assert!(
        e.starts_with("card.toml:5: every dimension weight is zero"),
        "{e}"
    );
}

#[test]
fn goalpost_needs_floor_and_target_pointing_the_kpis_way() {
    let e = error_of(&format!(
        "{HEAD}[[kpi]]\nid = \"a\"\ndimension = \"s\"\nnormalise = \"goalpost\"\nfloor = 0.5\n"
    ));
    assert!(
        e.starts_with("card.toml:9: KPI \"a\": goalpost needs both floor and target"),
        "{e}"
    );
    let card = Scorecard::parse(
        Path::new("card.toml"),
        &format!(
            "{HEAD}[[kpi]]\nid = \"a\"\ndimension = \"s\"\nnormalise = \"goalpost\"\nfloor = 0.9\ntarget = 0.5\n"
        ),
    )
    .expect("parses");
    let e = card
        .check(&[kpi("a", "higher")])
        .expect_err("wrong way")
        .to_string();
    assert!(e.contains("better higher"), "{e}");
    assert!(card.check(&[kpi("a", "lower")]).is_ok());
}

/// A library KPI the scorecard leaves out is warned of, unless it says `optional: true`.
#[test]
fn a_kpi_left_out_is_warned_of_unless_optional() {
    let card = Scorecard::parse(
        Path::new("card.toml"),
        &format!("{HEAD}[[kpi]]\nid = \"a\"\ndimension = \"s\"\n"),
    )
    .expect("parses");
    let mut optional = kpi("c", "higher");
    optional.optional = true;
    let library = [kpi("a", "higher"), kpi("b", "higher"), optional];
    let warnings = card.check(&library).expect("checks");
    let left_out: Vec<&Vec<String>> = warnings
        .iter()
        .filter(|w| w.code == "kpi_not_scored")
        .flat_map(|w| w.args.iter().filter(|a| a.0 == "kpi").map(|a| &a.1))
        .collect();
    assert_eq!(left_out, [&vec!["b".to_string()]]);
}

#[test]
fn unknown_method_and_unknown_key_name_their_line() {
    let e = error_of(&format!(
        "{HEAD}[[kpi]]\nid = \"a\"\ndimension = \"s\"\nnormalise = \"best\"\n"
    ));
    assert!(e.starts_with("card.toml:11: unknown variant `best`"), "{e}");
    let e = error_of(&format!(
        "{HEAD}[[kpi]]\nid = \"a\"\ndimension = \"s\"\nwieght = 2\n"
    ));
    assert!(e.starts_with("card.toml:11: unknown field `wieght`"), "{e}");
}

#[test]
fn grades_must_cover_every_composite() {
    let e = error_of(&format!(
        "{HEAD}[[kpi]]\nid = \"a\"\ndimension = \"s\"\n\n[grades]\nmethod = \"thresholds\"\n\
         bands = [ {{ grade = \"A\", min = 90 }}, {{ grade = \"B\", min = 50 }} ]\n"
    ));
    assert!(e.contains("the last band's min is 50"), "{e}");
}

#[test]
fn weights_and_runs_beyond_their_bounds_name_their_line() {
    // Regression (unbounded_scorecard): a KPI weight of 1e308 made every composite
    // infinite (everyone rank 1, grade A), and runs = 100000000 was accepted.
    let e = error_of(&format!(
        "{HEAD}[[kpi]]\nid = \"a\"\ndimension = \"s\"\nweight = 1e308\n"
    ));
    assert!(e.starts_with("card.toml:11: weight 1e308"), "{e}");
    let e = error_of("[scorecard]\nname = \"t\"\n\n[[dimension]]\nid = \"s\"\nweight = 2e6\n");
    assert!(e.starts_with("card.toml:6: weight 2e6"), "{e}");
    let e = error_of(&format!(
        "{HEAD}[[kpi]]\nid = \"a\"\ndimension = \"s\"\n\n[uncertainty]\nruns = 100000000\n"
    ));
    assert!(
        e.starts_with("card.toml:13: runs = 100000000 is more than 100000"),
        "{e}"
    );
    // At the bounds they are accepted.
    Scorecard::parse(
        Path::new("card.toml"),
        &format!("{HEAD}[[kpi]]\nid = \"a\"\ndimension = \"s\"\nweight = 1e6\n\n[uncertainty]\nruns = 100000\n"),
    )
    .unwrap();
}

/// A KPI's code is the scorecard's (`code`), else `K` and its position; adding a KPI
/// with its own code leaves the others' as they were.
#[test]
fn kpi_codes_are_fixed_by_the_scorecard() {
    let card = Scorecard::parse(
        Path::new("card.toml"),
        &format!(
            "{HEAD}[[kpi]]\nid = \"a\"\ndimension = \"s\"\n\n[[kpi]]\nid = \"new\"\ncode = \"N1\"\ndimension = \"s\"\n\n[[kpi]]\nid = \"b\"\ndimension = \"s\"\ncode = \"K2\"\n"
        ),
    )
    .unwrap();
    let codes: Vec<&str> = card.kpis.iter().map(|k| k.code.as_str()).collect();
    assert_eq!(codes, ["K1", "N1", "K2"]);
    let twice = error_of(&format!(
        "{HEAD}[[kpi]]\nid = \"a\"\ndimension = \"s\"\ncode = \"X\"\n\n[[kpi]]\nid = \"b\"\ndimension = \"s\"\ncode = \"X\"\n"
    ));
    assert!(twice.contains("card.toml:14"), "{twice}");
    assert!(twice.contains("the code \"X\" of KPI \"a\""), "{twice}");
    let bad = error_of(&format!(
        "{HEAD}[[kpi]]\nid = \"a\"\ndimension = \"s\"\ncode = \"<b>\"\n"
    ));
    assert!(bad.contains("card.toml:11"), "{bad}");
}
