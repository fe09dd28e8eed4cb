//! Embeds the built-in policy files (`queries/kpis/*.sql` and their `evidence/*.sql`, `queries/calendars/*.csv`,
//! `queries/scorecard.toml`), so that the binary works from any folder: it lists them
//! with `include_str!` in `$OUT_DIR/builtin.rs`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    out.retain(|p| p.extension().is_some_and(|x| x == ext));
    out.sort();
    out
}

fn list(out: &mut String, name: &str, paths: &[PathBuf]) {
    let _ = writeln!(out, "pub(crate) static {name}: &[(&str, &str)] = &[");
    for p in paths {
        // Each file, not only its folder: an edited KPI file is built in again.
        println!("cargo::rerun-if-changed={}", p.display());
        let file = p
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "    ({file:?}, include_str!({:?})),",
            p.display().to_string()
        );
    }
    let _ = writeln!(out, "];");
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../queries");
    println!("cargo::rerun-if-changed={}", root.display());
    println!("cargo::rerun-if-changed={}", root.join("kpis").display());
    println!(
        "cargo::rerun-if-changed={}",
        root.join("calendars").display()
    );
    let mut out = String::new();
    list(&mut out, "KPIS", &files(&root.join("kpis"), "sql"));
    println!(
        "cargo::rerun-if-changed={}",
        root.join("kpis/evidence").display()
    );
    list(
        &mut out,
        "EVIDENCE",
        &files(&root.join("kpis/evidence"), "sql"),
    );
    list(
        &mut out,
        "CALENDARS",
        &files(&root.join("calendars"), "csv"),
    );
    println!(
        "cargo::rerun-if-changed={}",
        root.join("scorecard.toml").display()
    );
    let _ = writeln!(
        out,
        "pub(crate) static SCORECARD: &str = include_str!({:?});",
        root.join("scorecard.toml").display().to_string()
    );
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap_or_default()).join("builtin.rs");
    if let Err(e) = std::fs::write(&dest, out) {
        panic!("writing {}: {e}", dest.display());
    }
}
