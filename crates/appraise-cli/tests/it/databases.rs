//! Ingest straight from a database: real PostgreSQL and MariaDB servers, each started
//! in a temporary folder on a free port for its test (their programs from the
//! `postgresql` and `mariadb-server` packages: `.ci/run` installs them), loaded with
//! their own clients (`psql`, `mariadb`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{appraise, fixtures, free_port};
use appraise_data::Table;
use appraise_data::schema::Kind;

const USER: &str = "appraise";
const PASSWORD: &str = "s3cret-pw";

/// A PostgreSQL server of its own, stopped when dropped.
struct Server {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
}

/// The folder of PostgreSQL's server programs: beside `initdb` on the PATH, or
/// Debian's `/usr/lib/postgresql/<version>/bin`.
fn server_bin() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .find(|d| d.join("initdb").is_file());
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .find(|d| d.join("initdb").is_file());
    on_path.or(debian).expect(
        "PostgreSQL's server programs (initdb, pg_ctl) are needed: apt-get install postgresql",
    )
}

/// Runs a server program as the `postgres` user when the tests run as root (PostgreSQL
/// refuses to run as root).
fn as_server_user(program: &Path) -> Command {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    if root {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

impl Server {
    /// A new server with password authentication for [`USER`].
    fn start() -> Server {
        let bin = server_bin();
        let dir = tempfile::tempdir().unwrap();
        // The server's user writes there.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let pwfile = dir.path().join("pw");
        std::fs::write(&pwfile, PASSWORD).unwrap();
        std::fs::set_permissions(&pwfile, std::fs::Permissions::from_mode(0o644)).unwrap();
        let data = dir.path().join("data");
        let out = as_server_user(&bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                USER,
                "--auth=scram-sha-256",
                "--no-sync",
                "-E",
                "UTF8",
            ])
            .arg(format!("--pwfile={}", pwfile.display()))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            dir.path().display()
        );
        let out = as_server_user(&bin.join("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .args(["-o", &options, "-w", "-l"])
            .arg(dir.path().join("log"))
            .arg("start")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pg_ctl start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Server { dir, bin, port }
    }

    fn url(&self) -> String {
        format!("postgresql://{USER}@127.0.0.1:{}/postgres", self.port)
    }

    /// Runs `sql` (psql's commands too) in one session.
    fn psql(&self, sql: &str) {
        // Wall-clock times are Asia/Shanghai's, as the files' are.
        let out = Command::new("psql")
            .env("PGPASSWORD", PASSWORD)
            .env("PGTZ", "Asia/Shanghai")
            .args([
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                &self.url(),
                "-c",
                sql,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The single value `sql` gives.
    fn value(&self, sql: &str) -> String {
        let out = Command::new("psql")
            .env("PGPASSWORD", PASSWORD)
            .env("PGTZ", "Asia/Shanghai")
            .args(["-X", "-q", "-t", "-A", "-d", &self.url(), "-c", sql])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Creates each table of the contract in `schema`, its columns text, or typed by
    /// their kind (`typed`: instants of exchanges as `timestamptz`, the others'
    /// `timestamp`), and loads `dir`'s CSV files into them as they are (wall-clock times
    /// in Asia/Shanghai).
    fn load(&self, schema: &str, dir: &Path, typed: bool) {
        self.psql(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"));
        for table in Table::ALL {
            let file = dir.join(format!("{table}.csv"));
            let header = std::fs::read_to_string(&file).unwrap();
            let header = header.lines().next().unwrap();
            let columns: Vec<String> = header
                .split(',')
                .map(|name| {
                    let kind = table.column_index(name).map(|i| table.columns()[i].kind);
                    let ty = match kind {
                        Some(Kind::Timestamp) if typed && table == Table::Exchanges => {
                            "timestamptz"
                        }
                        Some(Kind::Timestamp) if typed => "timestamp",
                        Some(Kind::Int { .. }) if typed => "bigint",
                        Some(Kind::Bool) if typed => "boolean",
                        _ => "text",
                    };
                    format!("{name} {ty}")
                })
                .collect();
            self.psql(&format!(
                "CREATE TABLE {schema}.{table} ({})",
                columns.join(", ")
            ));
            self.psql(&format!(
                "\\copy {schema}.{table} FROM '{}' WITH (FORMAT csv, HEADER true)",
                file.display()
            ));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = as_server_user(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "stop"])
            .output();
    }
}

/// The tables of a run folder a researcher re-derives figures from (KPIs, scores,
/// ranking, targets, routes, funnel, sensitivity, trend, correlations, profiles,
/// anomalies), by name: what the data's rows decide, not what the load rejected.
fn tables(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?.to_string();
            let table = [".csv", ".json", ".parquet"]
                .iter()
                .any(|x| name.ends_with(x));
            (table && name != "manifest.json").then(|| (name, std::fs::read(&p).unwrap()))
        })
        .collect();
    out.sort();
    out
}

/// `from`'s CSV files without the records a database table cannot hold (more or fewer
/// fields than the header names), into `to`.
fn storable(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for table in Table::ALL {
        let file = format!("{table}.csv");
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_path(from.join(&file))
            .unwrap();
        let header = reader.headers().unwrap().clone();
        let mut writer = csv::Writer::from_path(to.join(&file)).unwrap();
        writer.write_record(&header).unwrap();
        for record in reader.records() {
            let record = record.unwrap();
            if record.len() == header.len() {
                writer.write_record(&record).unwrap();
            }
        }
        writer.flush().unwrap();
    }
}

/// Ingests `from` into a new warehouse under `tmp`, then runs the appraisal of
/// 2026Q3 on it: the run's outputs and the ingest's printed accounting.
fn ingest_and_run(
    tmp: &Path,
    name: &str,
    from: &str,
    extra: &[&str],
) -> (Vec<(String, Vec<u8>)>, String) {
    let warehouse = tmp.join(format!("{name}-warehouse"));
    let ingested = appraise()
        .env("PGPASSWORD", PASSWORD)
        .env("MYSQL_PWD", PASSWORD)
        .args(["ingest", "--from", from, "--into"])
        .arg(&warehouse)
        .arg("--rejects")
        .arg(tmp.join(format!("{name}-rejects")))
        .args(extra)
        .assert()
        .success();
    let printed = String::from_utf8_lossy(&ingested.get_output().stdout).into_owned();
    let out = tmp.join(format!("{name}-run"));
    appraise()
        .args(["run", "--period", "2026Q3", "--lang", "en", "--data"])
        .arg(&warehouse)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    (tables(&out), printed)
}

#[test]
fn the_demo_from_postgresql_appraises_as_the_demo_s_files() {
    let server = Server::start();
    let tmp = tempfile::tempdir().unwrap();
    // The demo's files as text columns, bad values and repeats included, as an export
    // would hold them; only records whose fields do not line up with the header, which
    // no table can hold, are left out (the load rejects them from the files).
    let demo = fixtures().join("demo");
    storable(&demo, &tmp.path().join("storable"));
    server.load("public", &tmp.path().join("storable"), false);
    let (files, files_said) = ingest_and_run(tmp.path(), "files", demo.to_str().unwrap(), &[]);
    let (db, db_said) = ingest_and_run(tmp.path(), "db", &server.url(), &[]);
    let names = |v: &[(String, Vec<u8>)]| v.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    assert!(
        names(&files).contains(&"scores.csv".to_string()),
        "{:?}",
        names(&files)
    );
    assert_eq!(names(&db), names(&files));
    for ((name, a), (_, b)) in files.iter().zip(&db) {
        assert!(a == b, "{name} differs between the files and the database");
    }
    // Every row the database holds accounted for as the files' are: only the
    // misaligned records are missing, and the loaded, duplicate and written counts
    // agree.
    let counts = |s: &str, table: &str| -> Vec<u64> {
        let line = s
            .lines()
            .find(|l| l.starts_with(&format!("{table} ")))
            .unwrap();
        line.split_whitespace()
            .skip(1)
            .map(|n| n.parse().unwrap())
            .collect()
    };
    for table in Table::ALL.map(Table::name) {
        let (f, d) = (counts(&files_said, table), counts(&db_said, table));
        assert_eq!((d[1], d[3], d[5]), (f[1], f[3], f[5]), "{table}: {db_said}");
    }
    // The rejects name the database table, never the password.
    let rejects = std::fs::read_to_string(tmp.path().join("db-rejects/exchanges.csv")).unwrap();
    assert!(
        rejects.contains(&format!("{} exchanges", server.url())),
        "{rejects}"
    );
    assert!(!rejects.contains(PASSWORD));
}

#[test]
fn typed_and_renamed_tables_read_through_a_mapping_as_the_files() {
    let server = Server::start();
    let tmp = tempfile::tempdir().unwrap();
    let tiny = fixtures().join("tiny");
    server.load("gov", &tiny, true);
    server.psql(
        "ALTER TABLE gov.exchanges RENAME TO exchange_log; \
         ALTER TABLE gov.exchange_log RENAME COLUMN event_id TO log_id",
    );
    let mapping = tmp.path().join("mapping.toml");
    std::fs::write(
        &mapping,
        r#"
[departments]
table = "gov.departments"
[catalog]
query = "SELECT * FROM gov.catalog"
[exchanges]
table = "gov.exchange_log"
columns = { event_id = "log_id" }
[share_requests]
table = "gov.share_requests"
[services]
table = "gov.services"
"#,
    )
    .unwrap();
    let with_mapping = ["--db-mapping", mapping.to_str().unwrap()];
    let (files, _) = ingest_and_run(tmp.path(), "files", tiny.to_str().unwrap(), &[]);
    let (db, db_said) = ingest_and_run(tmp.path(), "db", &server.url(), &with_mapping);
    assert!(
        db_said.contains("exchanges                  15           15"),
        "{db_said}"
    );
    assert_eq!(db.len(), files.len());
    for ((name, a), (_, b)) in files.iter().zip(&db) {
        assert!(
            a == b,
            "{name} differs between the files and the typed database"
        );
    }
}

#[test]
fn a_database_that_cannot_be_read_says_where_and_commits_nothing() {
    let server = Server::start();
    let tmp = tempfile::tempdir().unwrap();
    server.load("public", &fixtures().join("tiny"), false);
    server.psql("CREATE TABLE odd (event_id bytea, requested_at text)");
    let mapping = |name: &str, text: &str| {
        let path = tmp.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let cases: Vec<(Vec<String>, Option<&str>, &str, &str)> = vec![
        // (arguments, password, what the error says, its hint)
        (
            vec![],
            Some("wrong-pw"),
            "password authentication failed",
            "check the user and password",
        ),
        (
            vec![],
            None,
            "password missing",
            "the server asks for a password",
        ),
        (
            vec![
                "--db-mapping".into(),
                mapping("a.toml", "[exchanges]\ntable = \"nope\"\n"),
            ],
            Some(PASSWORD),
            "the exchanges table",
            "name the source table",
        ),
        (
            vec![
                "--db-mapping".into(),
                mapping("b.toml", "[exchanges]\ncolumns = { event_id = \"id\" }\n"),
            ],
            Some(PASSWORD),
            "has no column \"id\"",
            "name the column that holds event_id",
        ),
        (
            vec![
                "--db-mapping".into(),
                mapping("c.toml", "[exchanges]\ntable = \"odd\"\n"),
            ],
            Some(PASSWORD),
            "is of type bytea",
            "give the exchanges table a `query` in the mapping that casts it",
        ),
        (
            vec![
                "--db-mapping".into(),
                mapping("d.toml", "[exchange]\ntable = \"x\"\n"),
            ],
            Some(PASSWORD),
            "no table is called \"exchange\"",
            "the tables are",
        ),
    ];
    for (i, (args, password, says, hint)) in cases.into_iter().enumerate() {
        let warehouse = tmp.path().join(format!("w{i}"));
        let mut cmd = appraise();
        cmd.env_remove("PGPASSWORD");
        if let Some(p) = password {
            cmd.env("PGPASSWORD", p);
        }
        let failed = cmd
            .args(["ingest", "--from", &server.url(), "--into"])
            .arg(&warehouse)
            .args(&args)
            .assert()
            .code(1);
        let stderr = String::from_utf8_lossy(&failed.get_output().stderr).into_owned();
        assert!(stderr.contains(says), "case {i}: {stderr}");
        assert!(
            stderr.contains(&format!("hint: {hint}")),
            "case {i}: {stderr}"
        );
        assert!(
            !stderr.contains(PASSWORD) && !stderr.contains("wrong-pw"),
            "{stderr}"
        );
        // Nothing committed: the warehouse, if made, lists no file.
        let manifest =
            std::fs::read_to_string(warehouse.join("_warehouse.json")).unwrap_or_default();
        assert!(!manifest.contains("part-"), "case {i}: {manifest}");
    }
    // The password given in the address is not printed either.
    let with_password = server.url().replace(USER, &format!("{USER}:wrong-pw"));
    let failed = appraise()
        .env_remove("PGPASSWORD")
        .args(["ingest", "--from", &with_password, "--into"])
        .arg(tmp.path().join("w-url"))
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&failed.get_output().stderr).into_owned();
    assert!(
        stderr.contains("password authentication failed") && !stderr.contains("wrong-pw"),
        "{stderr}"
    );
}

/// The numbers of a table's line in an ingest's summary: read, loaded, rejected,
/// duplicates, in warehouse, written.
fn counts(said: &str, table: &str) -> Vec<u64> {
    let line = said
        .lines()
        .find(|l| l.starts_with(&format!("{table} ")))
        .unwrap();
    line.split_whitespace()
        .skip(1)
        .map(|n| n.parse().unwrap())
        .collect()
}

fn ingest(url: &str, warehouse: &Path) -> String {
    let done = appraise()
        .env("PGPASSWORD", PASSWORD)
        .args(["ingest", "--from", url, "--into"])
        .arg(warehouse)
        .arg("--rejects")
        .arg(warehouse.with_extension("rejects"))
        .arg("--force")
        .assert()
        .success();
    String::from_utf8_lossy(&done.get_output().stdout).into_owned()
}

#[test]
fn a_second_ingest_reads_only_what_is_new_and_equals_a_full_one() {
    let server = Server::start();
    let tmp = tempfile::tempdir().unwrap();
    server.load("public", &fixtures().join("tiny"), true);
    let warehouse = tmp.path().join("w");
    let first = ingest(&server.url(), &warehouse);
    assert_eq!(counts(&first, "exchanges")[0], 15, "{first}");
    // Two exchanges a day after the latest already ingested, and one that reaches the
    // database late: its time a day before that latest.
    let latest = server.value("SELECT max(requested_at) FROM exchanges");
    let copy = |id: &str, shift: &str| {
        format!(
            "INSERT INTO exchanges SELECT '{id}', timestamptz '{latest}' {shift}, \
             timestamptz '{latest}' {shift} + interval '1 second', consumer_dept, \
             provider_dept, resource_id, status, records, bytes, mode FROM exchanges \
             WHERE event_id = 'X01'"
        )
    };
    server.psql(&copy("NEW-1", "+ interval '1 day'"));
    server.psql(&copy("NEW-2", "+ interval '1 day 2 hours'"));
    server.psql(&copy("LATE", "- interval '1 day'"));
    // Read again: the rows from three days before the latest on, no more.
    let window: u64 = server
        .value(&format!(
            "SELECT count(*) FROM exchanges WHERE requested_at >= timestamptz '{latest}' - interval '3 days'"
        ))
        .parse()
        .unwrap();
    assert!(window < 18, "the window is not the whole table: {window}");
    let second = ingest(&server.url(), &warehouse);
    let e = counts(&second, "exchanges");
    assert_eq!(e[0], window, "rows read: {second}");
    assert_eq!(e[5], 3, "rows written: {second}");
    assert_eq!(e[4], window - 3, "rows read again, already there: {second}");
    // Nothing new: nothing written, the manifest as it was.
    let manifest = std::fs::read(warehouse.join("_warehouse.json")).unwrap();
    let third = ingest(&server.url(), &warehouse);
    assert_eq!(counts(&third, "exchanges")[5], 0, "{third}");
    assert_eq!(
        std::fs::read(warehouse.join("_warehouse.json")).unwrap(),
        manifest
    );
    // The same warehouse as one full ingest of the database as it is now.
    let full = tmp.path().join("full");
    let all = ingest(&server.url(), &full);
    assert_eq!(counts(&all, "exchanges")[0], 18, "{all}");
    let run = |w: &Path, out: &str| {
        let out = tmp.path().join(out);
        appraise()
            .args(["run", "--period", "2026Q3", "--lang", "en", "--data"])
            .arg(w)
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        tables(&out)
    };
    let (step, whole) = (run(&warehouse, "step-run"), run(&full, "full-run"));
    assert_eq!(step.len(), whole.len());
    for ((name, a), (_, b)) in step.iter().zip(&whole) {
        assert!(a == b, "{name} differs between two ingests and one");
    }
}

/// A MariaDB server of its own, stopped when dropped.
struct Maria {
    dir: tempfile::TempDir,
    server: std::process::Child,
    port: u16,
}

impl Maria {
    /// A new server, with [`USER`] allowed in by password and an empty database `gov`.
    fn start() -> Maria {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let out = Command::new("mariadb-install-db")
            .args([
                "--no-defaults",
                "--user=root",
                "--auth-root-authentication-method=normal",
            ])
            .arg(format!("--datadir={}", data.display()))
            .output()
            .expect("MariaDB's programs are needed: apt-get install mariadb-server");
        assert!(
            out.status.success(),
            "mariadb-install-db: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        let server = Command::new("mariadbd")
            .args([
                "--no-defaults",
                "--user=root",
                "--bind-address=127.0.0.1",
                "--skip-log-bin",
            ])
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--socket={}", dir.path().join("sock").display()))
            .arg(format!("--pid-file={}", dir.path().join("pid").display()))
            .arg(format!("--port={port}"))
            .arg("--local-infile=1")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("MariaDB's server (mariadbd) is needed: apt-get install mariadb-server");
        let maria = Maria { dir, server, port };
        for _ in 0..300 {
            if maria.root("SELECT 1").is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        maria
            .root(&format!(
                // Anonymous users of `localhost` would take a local connection first.
                "DELETE FROM mysql.global_priv WHERE User = ''; FLUSH PRIVILEGES; \
                 CREATE USER '{USER}'@'%' IDENTIFIED BY '{PASSWORD}'; \
                 GRANT ALL ON *.* TO '{USER}'@'%'; CREATE DATABASE gov"
            ))
            .unwrap();
        maria
    }

    fn url(&self) -> String {
        format!("mysql://{USER}@127.0.0.1:{}/gov", self.port)
    }

    /// The single value `sql` gives, run as root.
    fn value(&self, sql: &str) -> String {
        let out = Command::new("mariadb")
            .args(["--no-defaults", "-uroot", "-N", "-B", "-D", "mysql"])
            .arg(format!(
                "--socket={}",
                self.dir.path().join("sock").display()
            ))
            .args(["-e", sql])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Runs `sql` as root over the socket.
    fn root(&self, sql: &str) -> Result<(), String> {
        let out = Command::new("mariadb")
            .args(["--no-defaults", "-uroot", "--local-infile=1", "-D", "mysql"])
            .arg(format!(
                "--socket={}",
                self.dir.path().join("sock").display()
            ))
            .args(["-e", sql])
            .output()
            .unwrap();
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// Creates each table of the contract in `gov`, its columns text, and loads `dir`'s
    /// CSV files into them as they are.
    fn load(&self, dir: &Path) {
        for table in Table::ALL {
            let file = dir.join(format!("{table}.csv"));
            let header = std::fs::read_to_string(&file).unwrap();
            let columns: Vec<String> = header
                .lines()
                .next()
                .unwrap()
                .split(',')
                .map(|c| format!("`{c}` text"))
                .collect();
            self.root(&format!(
                "CREATE TABLE gov.{table} ({}) CHARACTER SET utf8mb4; \
                 LOAD DATA LOCAL INFILE '{}' INTO TABLE gov.{table} CHARACTER SET utf8mb4 \
                 FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY '' \
                 LINES TERMINATED BY '\\n' IGNORE 1 LINES",
                columns.join(", "),
                file.display()
            ))
            .unwrap();
        }
    }
}

impl Drop for Maria {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

#[test]
fn the_demo_from_mariadb_appraises_as_the_demo_s_files() {
    let maria = Maria::start();
    let tmp = tempfile::tempdir().unwrap();
    let demo = fixtures().join("demo");
    storable(&demo, &tmp.path().join("storable"));
    maria.load(&tmp.path().join("storable"));
    let (files, files_said) = ingest_and_run(tmp.path(), "files", demo.to_str().unwrap(), &[]);
    let (db, db_said) = ingest_and_run(tmp.path(), "db", &maria.url(), &[]);
    assert_eq!(db.len(), files.len());
    for ((name, a), (_, b)) in files.iter().zip(&db) {
        assert!(a == b, "{name} differs between the files and MariaDB");
    }
    for table in Table::ALL.map(Table::name) {
        let (f, d) = (counts(&files_said, table), counts(&db_said, table));
        assert_eq!((d[1], d[3], d[5]), (f[1], f[3], f[5]), "{table}: {db_said}");
    }
    // A wrong password: a clear error, nothing committed, the password never printed.
    let failed = appraise()
        .env("MYSQL_PWD", "wrong-pw")
        .args(["ingest", "--from", &maria.url(), "--into"])
        .arg(tmp.path().join("refused"))
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&failed.get_output().stderr).into_owned();
    assert!(stderr.contains("Access denied"), "{stderr}");
    assert!(
        stderr.contains("hint: check the user and password"),
        "{stderr}"
    );
    assert!(!stderr.contains("wrong-pw"), "{stderr}");
}

#[test]
fn a_connection_lost_mid_ingest_commits_nothing_and_a_rerun_completes() {
    let server = Server::start();
    let tmp = tempfile::tempdir().unwrap();
    server.load("public", &fixtures().join("tiny"), true);
    // Enough exchanges that their COPY is still streaming when it is cut.
    server.psql(
        "INSERT INTO exchanges SELECT 'BULK-' || n, timestamptz '2026-07-01 08:00:00+08' \
         + n * interval '1 second', timestamptz '2026-07-01 08:00:01+08' + n * interval \
         '1 second', consumer_dept, provider_dept, resource_id, status, records, bytes, mode \
         FROM exchanges, generate_series(1, 400000) AS n WHERE event_id = 'X01'",
    );
    let warehouse = tmp.path().join("w");
    cut_mid_ingest(
        &server.url(),
        &warehouse,
        &tmp.path().join("rejects"),
        || {
            server.value(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE query LIKE 'COPY%exchanges%' AND pid <> pg_backend_pid()",
            ) != "0"
        },
    );
    // Nothing committed.
    let manifest = std::fs::read_to_string(warehouse.join("_warehouse.json")).unwrap_or_default();
    assert!(!manifest.contains("part-"), "{manifest}");
    // Run again: every row, once.
    let again = ingest_counts(&server.url(), &warehouse);
    assert_eq!(again[0], 400_015, "exchanges read");
    assert_eq!(again[5], 400_015, "exchanges written");
}

/// Starts an ingest of `url` into `warehouse`, has `cut` end its connection while the
/// exchanges stream (`cut` says whether it found the query and ended it), and checks
/// that the ingest stops as a lost connection should: exit 1, the table named, the
/// fix as a hint, no password.
fn cut_mid_ingest(url: &str, warehouse: &Path, rejects: &Path, cut: impl Fn() -> bool) {
    let running = Command::new(appraise().get_program())
        .env_remove("APPRAISE_PSEUDONYM_KEY")
        .env("PGPASSWORD", PASSWORD)
        .env("MYSQL_PWD", PASSWORD)
        .args(["ingest", "--from", url, "--into"])
        .arg(warehouse)
        .arg("--rejects")
        .arg(rejects)
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let was_cut = (0..600).any(|_| {
        let done = cut();
        if !done {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        done
    });
    assert!(was_cut, "the exchanges' query was never seen running");
    let out = running.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the connection was lost while the exchanges table was read"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: run the ingest again"), "{stderr}");
    assert!(!stderr.contains(PASSWORD), "{stderr}");
}

/// The exchanges' numbers of an ingest of `url` into `warehouse`.
fn ingest_counts(url: &str, warehouse: &Path) -> Vec<u64> {
    counts(&ingest(url, warehouse), "exchanges")
}

#[test]
fn a_mariadb_connection_lost_mid_ingest_commits_nothing() {
    let maria = Maria::start();
    let tmp = tempfile::tempdir().unwrap();
    maria.load(&fixtures().join("tiny"));
    // Enough exchanges that their SELECT is still streaming when it is cut.
    maria
        .root(
            "CREATE TABLE gov.n (n INT PRIMARY KEY); \
             INSERT INTO gov.n SELECT seq FROM seq_1_to_400000; \
             INSERT INTO gov.exchanges SELECT CONCAT('BULK-', n), requested_at, responded_at, \
             consumer_dept, provider_dept, resource_id, status, records, bytes, mode \
             FROM gov.exchanges, gov.n WHERE event_id = 'X01'",
        )
        .unwrap();
    let warehouse = tmp.path().join("w");
    cut_mid_ingest(
        &maria.url(),
        &warehouse,
        &tmp.path().join("rejects"),
        || {
            let id = maria.value(
                "SELECT ID FROM information_schema.PROCESSLIST \
             WHERE INFO LIKE 'SELECT%`exchanges`%' AND INFO NOT LIKE '%LIMIT 0%' LIMIT 1",
            );
            !id.is_empty() && maria.root(&format!("KILL {id}")).is_ok()
        },
    );
    let manifest = std::fs::read_to_string(warehouse.join("_warehouse.json")).unwrap_or_default();
    assert!(!manifest.contains("part-"), "{manifest}");
}
