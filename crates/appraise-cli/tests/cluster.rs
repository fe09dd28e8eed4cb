//! A real cluster from the same binary: `appraise cluster scheduler` and two
//! `appraise cluster executor`s as separate processes on free ports, and `appraise kpi
//! run --cluster` against them.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

#[allow(dead_code)] // fixtures() and appraise() as the other test files use them
mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::{appraise, fixtures, free_port};

/// A member of the cluster, stopped when dropped.
struct Member(Child);

impl Drop for Member {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(args: &[String]) -> Member {
    let child = Command::new(appraise().get_program())
        .arg("cluster")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Member(child)
}

/// A scheduler and two executors (one core each); the scheduler's address.
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
        std::thread::sleep(std::time::Duration::from_millis(100));
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
    std::thread::sleep(std::time::Duration::from_secs(3));
    (url, scheduler, executors)
}

/// The KPI matrix of 2026Q3 of `warehouse` as CSV, on `cluster` or this machine.
fn kpis(warehouse: &Path, out: &Path, cluster: Option<&str>) -> std::process::Output {
    let mut cmd = appraise();
    cmd.args(["--query-timeout", "120", "kpi", "run", "--period", "2026Q3"])
        .args(["--format", "csv", "--data"])
        .arg(warehouse)
        .arg("--out")
        .arg(out);
    if let Some(url) = cluster {
        cmd.args(["--cluster", url]);
    }
    cmd.output().unwrap()
}

#[test]
fn a_cluster_of_separate_processes_gives_this_machine_s_kpi_matrix() {
    let tmp = tempfile::tempdir().unwrap();
    let warehouse: PathBuf = tmp.path().join("warehouse");
    appraise()
        .args(["ingest", "--from"])
        .arg(fixtures().join("demo"))
        .arg("--into")
        .arg(&warehouse)
        .arg("--rejects")
        .arg(tmp.path().join("rejects"))
        .assert()
        .success();
    let local = tmp.path().join("local.csv");
    assert!(kpis(&warehouse, &local, None).status.success());
    let local = std::fs::read(&local).unwrap();
    assert!(local.len() > 10_000, "{} bytes", local.len());
    let (url, _scheduler, mut executors) = cluster(tmp.path());
    let remote = tmp.path().join("cluster.csv");
    let done = kpis(&warehouse, &remote, Some(&url));
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(
        std::fs::read(&remote).unwrap() == local,
        "the cluster's matrix differs"
    );
    // One executor gone: the query completes on the other with the same matrix, or
    // stops with an error and a hint, writing nothing: never other numbers.
    drop(executors.remove(0));
    let out = tmp.path().join("one-left.csv");
    let done = kpis(&warehouse, &out, Some(&url));
    if done.status.success() {
        assert!(
            std::fs::read(&out).unwrap() == local,
            "the matrix differs with one executor left"
        );
    } else {
        let stderr = String::from_utf8_lossy(&done.stderr);
        assert_eq!(done.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("error: ") && stderr.contains("hint: "),
            "{stderr}"
        );
        assert!(!out.exists());
    }
}
