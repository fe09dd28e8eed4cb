//! A real cluster from the same binary: `appraise cluster scheduler` and two
//! `appraise cluster executor`s as separate processes on free ports; `appraise run` and
//! `appraise kpi run` with `--cluster` give this machine's tables, on the demo and on
//! generated data, and an executor stopped mid-run gives the same tables or a clear error.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{appraise, fixtures, free_port};

/// A process of the test's, stopped when dropped.
struct Member(Child);

impl Drop for Member {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The binary as `appraise()` sets it up, as a process to start and stop.
fn process(args: &[String]) -> Command {
    let mut cmd = Command::new(appraise().get_program());
    cmd.args(args)
        .env_remove("APPRAISE_PSEUDONYM_KEY")
        .env("NO_COLOR", "1")
        .env("APPRAISE_FONT", "builtin")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

fn serve(args: &[String]) -> Member {
    let mut all = vec!["cluster".to_string()];
    all.extend_from_slice(args);
    Member(process(&all).spawn().unwrap())
}

/// A scheduler and two executors (one core each, shuffle files under
/// `work/executor-N`); the scheduler's address.
fn cluster(work: &Path) -> (String, Member, Vec<Member>) {
    let port = free_port();
    let scheduler = serve(&[
        "scheduler".into(),
        "--bind".into(),
        format!("127.0.0.1:{port}"),
    ]);
    // Its port open before the executors look for it.
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let url = format!("df://127.0.0.1:{port}");
    let executors = (0..2)
        .map(|i| {
            serve(&[
                "executor".into(),
                "--scheduler".into(),
                url.clone(),
                "--bind-host".into(),
                "127.0.0.1".into(),
                "--port".into(),
                free_port().to_string(),
                "--grpc-port".into(),
                free_port().to_string(),
                "--cores".into(),
                "1".into(),
                "--work-dir".into(),
                work.join(format!("executor-{i}")).display().to_string(),
            ])
        })
        .collect();
    std::thread::sleep(Duration::from_secs(3));
    (url, scheduler, executors)
}

/// `data` (a folder of files) ingested into `into`.
fn ingest(data: &Path, into: &Path, rejects: &Path) {
    appraise()
        .args(["ingest", "--from"])
        .arg(data)
        .arg("--into")
        .arg(into)
        .arg("--rejects")
        .arg(rejects)
        .assert()
        .success();
}

/// The arguments of `appraise run` for 2026Q3 of `warehouse` into `out`, on `cluster`
/// or this machine.
fn run_args(warehouse: &Path, out: &Path, cluster: Option<&str>) -> Vec<String> {
    let mut args: Vec<String> = ["--query-timeout", "60", "run", "--period", "2026Q3"]
        .map(String::from)
        .into();
    for (flag, path) in [("--data", warehouse), ("--out", out)] {
        args.extend([flag.to_string(), path.display().to_string()]);
    }
    if let Some(url) = cluster {
        args.extend(["--cluster".to_string(), url.to_string()]);
    }
    args
}

/// Every table of a run's output by name (CSV, JSON, the Markdown report), without the
/// manifest, which holds the run's time and timings.
fn tables(out: &Path) -> Vec<(String, Vec<u8>)> {
    let mut all: Vec<(String, Vec<u8>)> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name != "manifest.json"
                && (name.ends_with(".csv") || name.ends_with(".json") || name == "report.md")
        })
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    all.sort();
    all
}

/// Asserts the tables of `got` are those of `want`, naming the first that differs.
fn same_tables(want: &[(String, Vec<u8>)], got: &Path, what: &str) {
    let got = tables(got);
    let names = |t: &[(String, Vec<u8>)]| t.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&got), names(want), "{what}: other tables");
    for ((name, a), (_, b)) in want.iter().zip(&got) {
        assert!(a == b, "{what}: {name} differs from this machine's");
    }
}

/// A run on this machine and one on the cluster; the local tables.
fn run_both(warehouse: &Path, out: &Path, url: &str) -> Vec<(String, Vec<u8>)> {
    let local = out.join("local");
    appraise()
        .args(run_args(warehouse, &local, None))
        .assert()
        .success();
    let local = tables(&local);
    for table in ["kpis.csv", "scores.csv", "ranking.csv", "report.md"] {
        assert!(
            local.iter().any(|(n, b)| n == table && b.len() > 500),
            "{table}"
        );
    }
    let remote = out.join("cluster");
    let done = appraise()
        .args(run_args(warehouse, &remote, Some(url)))
        .output()
        .unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    same_tables(&local, &remote, "the cluster's run");
    local
}

/// The KPI matrix of 2026Q3 of `warehouse` as CSV, on `cluster` or this machine.
fn kpis(warehouse: &Path, out: &Path, cluster: Option<&str>) -> Vec<u8> {
    let mut cmd = appraise();
    cmd.args(["--query-timeout", "60", "kpi", "run", "--period", "2026Q3"])
        .args(["--format", "csv", "--data"])
        .arg(warehouse)
        .arg("--out")
        .arg(out);
    if let Some(url) = cluster {
        cmd.args(["--cluster", url]);
    }
    cmd.assert().success();
    std::fs::read(out).unwrap()
}

/// The jobs an executor has written shuffle files for.
fn jobs(work: &Path) -> usize {
    std::fs::read_dir(work).map_or(0, |d| {
        d.filter(|e| {
            e.as_ref()
                .is_ok_and(|e| !e.file_name().to_string_lossy().starts_with("datafusion-"))
        })
        .count()
    })
}

#[test]
fn a_cluster_of_separate_processes_gives_this_machine_s_tables() {
    let tmp = tempfile::tempdir().unwrap();
    let demo: PathBuf = tmp.path().join("demo");
    ingest(&fixtures().join("demo"), &demo, &tmp.path().join("rejects"));
    let generated = tmp.path().join("generated");
    appraise()
        .args(["generate", "--seed", "7", "--departments", "40"])
        .args(["--exchanges", "30000", "--out"])
        .arg(tmp.path().join("files"))
        .assert()
        .success();
    ingest(
        &tmp.path().join("files"),
        &generated,
        &tmp.path().join("rejects-generated"),
    );
    let (url, _scheduler, mut executors) = cluster(tmp.path());

    // The KPI matrix, and the whole run on the demo and on generated data.
    let local = kpis(&demo, &tmp.path().join("local.csv"), None);
    assert!(local.len() > 10_000, "{} bytes", local.len());
    let remote = kpis(&demo, &tmp.path().join("cluster.csv"), Some(&url));
    assert!(remote == local, "the cluster's KPI matrix differs");
    // appraise's exact percentile_cont on the executors too (DataFusion's of that name
    // rounds its interpolation weight, so it would differ in the last digits).
    let percentiles = |cluster: Option<&str>| {
        let mut cmd = appraise();
        cmd.args([
            "--query-timeout",
            "60",
            "sql",
            "--period",
            "2026Q3",
            "--data",
        ])
        .arg(&demo)
        .arg(
            "SELECT provider_dept, percentile_cont(0.9) WITHIN GROUP (ORDER BY records) AS p \
                 FROM exchanges GROUP BY provider_dept ORDER BY provider_dept",
        );
        if let Some(url) = cluster {
            cmd.args(["--cluster", url]);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let here = percentiles(None);
    assert!(here.len() > 1_000, "{}", String::from_utf8_lossy(&here));
    assert!(
        percentiles(Some(&url)) == here,
        "the cluster's percentiles differ"
    );
    let demo_tables = run_both(&demo, &tmp.path().join("demo-run"), &url);
    run_both(&generated, &tmp.path().join("generated-run"), &url);

    // An executor killed mid-run (after it has run a few of the run's jobs): the run
    // stops with an error and a hint, writing nothing (the scheduler stops the queries
    // then running), or completes with the same tables; never other numbers.
    let work = tmp.path().join("executor-0");
    let before = jobs(&work);
    let out = tmp.path().join("one-left");
    let mut run = process(&run_args(&demo, &out, Some(&url)))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while jobs(&work) < before + 5 && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        jobs(&work) >= before + 5,
        "the executor ran no jobs of the run"
    );
    assert!(
        run.try_wait().unwrap().is_none(),
        "the run ended before the stop"
    );
    drop(executors.remove(0));
    let done = run.wait_with_output().unwrap();
    eprintln!(
        "an executor killed mid-run: {}",
        stopped_or_same(&done, &out, &demo_tables)
    );

    // Run again: until the scheduler counts the killed executor lost (its heartbeats
    // missed for 30 s), a run that reaches it stops the same way; then the run gives the
    // same tables on the executor left.
    for attempt in 0.. {
        let again = tmp.path().join(format!("again-{attempt}"));
        let done = process(&run_args(&demo, &again, Some(&url)))
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let outcome = stopped_or_same(&done, &again, &demo_tables);
        if done.status.success() {
            break;
        }
        assert!(
            attempt < 4,
            "still failing after {attempt} tries: {outcome}"
        );
        std::thread::sleep(Duration::from_secs(10));
    }
}

/// Asserts a run with the cluster in trouble either gave `want`'s tables in `out`, or
/// stopped with an error and a hint and wrote nothing; says which.
fn stopped_or_same(done: &std::process::Output, out: &Path, want: &[(String, Vec<u8>)]) -> String {
    let stderr = String::from_utf8_lossy(&done.stderr);
    if done.status.success() {
        same_tables(want, out, "a run with an executor killed");
        return "completed with the same tables".into();
    }
    assert_eq!(done.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error: ") && stderr.contains("hint: a member of the cluster"),
        "{stderr}"
    );
    assert!(!out.exists(), "a failed run wrote {}", out.display());
    stderr.trim().to_string()
}
