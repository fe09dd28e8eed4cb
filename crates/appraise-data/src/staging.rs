//! Output folders that appear whole or not at all, and that hold only appraise's files.
//!
//! A command writes into a hidden sibling of its output folder
//! (`.<name>.partial-<pid>`), and [`Staging::commit`] moves it into place at the end:
//! an interrupted or failed run leaves the previous output whole.
//!
//! appraise writes only what it owns. Every committed folder holds
//! [`OWNED`] (`.appraise-output.json`), the list of the files appraise wrote there. An
//! existing output folder is replaced only when it is such a folder and holds nothing
//! else:
//!
//! - absent or empty: written;
//! - an earlier output of appraise holding only its own files: replaced in one swap;
//! - an earlier output that also holds other files: refused, naming them; with
//!   `force`, appraise's own files are replaced and the others kept where they are
//!   (a new file whose name one of them has is refused even then);
//! - any other non-empty folder: refused; with `force`, the output is written beside
//!   what is there, under the same rule;
//! - a file, the working folder or a folder above it, or a folder that holds the
//!   command's inputs: always refused.
//!
//! One writer at a time: [`Staging::new`] takes a [`Lock`] on `.<name>.lock` beside the
//! folder, held until the staging is committed or dropped; a second writer is refused,
//! or waits with `wait`. Parent folders the staging created are removed again when it
//! is dropped uncommitted, so a command that ends up writing nothing leaves nothing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::Error;
use crate::lock::Lock;
use serde::{Deserialize, Serialize};

/// The file in every output folder that lists the files appraise wrote there.
pub const OWNED: &str = ".appraise-output.json";

/// Marks a staging folder as appraise's, so that only such leftovers are cleared.
const STAGING_MARK: &str = ".appraise-staging";

/// How an existing output folder may be treated.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Replace appraise's own files in a folder that also holds others (which are
    /// kept), or write beside the files of a folder appraise did not write.
    pub force: bool,
    /// Wait for another writer of the same folder instead of refusing.
    pub wait: bool,
    /// Paths the command reads (data, KPIs, scorecard, templates): the output folder
    /// may not be one of them or hold one.
    pub inputs: Vec<PathBuf>,
}

/// The contents of [`OWNED`].
#[derive(Debug, Serialize, Deserialize)]
struct Owned {
    tool: String,
    /// Every file appraise wrote, relative to the folder, `/`-separated, sorted.
    files: BTreeSet<String>,
}

/// A folder being written, to be moved into place.
#[derive(Debug)]
pub struct Staging {
    target: PathBuf,
    work: PathBuf,
    policy: Policy,
    /// Parent folders this staging created, innermost first.
    created: Vec<PathBuf>,
    /// Whether `work` was made (and so is this staging's to remove).
    made_work: bool,
    committed: bool,
    lock: Option<Lock>,
}

impl Staging {
    /// Checks that `target` may be written under `policy`, takes its lock, and starts a
    /// fresh staging folder beside it (its parents are created).
    pub fn new(target: &Path, policy: &Policy) -> Result<Staging, Error> {
        let target = absolute(target)?;
        let (Some(parent), Some(name)) = (target.parent(), target.file_name()) else {
            return Err(refusal(&target, "is the root of the file system", None));
        };
        let name = name.to_string_lossy().into_owned();
        let parent = parent.to_path_buf();
        check_place(&target, policy)?;
        let created = create_parents(&parent)?;
        let mut staging = Staging {
            target: target.clone(),
            work: PathBuf::new(),
            policy: policy.clone(),
            created,
            made_work: false,
            committed: false,
            lock: None,
        };
        let lock_file = parent.join(format!(".{name}.lock"));
        staging.lock = Some(loop {
            match Lock::acquire(&lock_file, &format!("{}", target.display()), policy.wait) {
                // A writer we waited for removed the folders it had made for nothing.
                Err(Error::Io { cause, .. }) if cause.kind() == std::io::ErrorKind::NotFound => {
                    let again = create_parents(&parent)?;
                    staging.created.splice(0..0, again);
                }
                lock => break lock?,
            }
        });
        // Under the lock no other run is writing: leftovers of killed runs go.
        clear_leftovers(&parent, &format!(".{name}.partial-"))?;
        // What is there now must be writable over, before any work is done.
        staging.plan_commit(&BTreeSet::new())?;
        staging.work = make_work(&parent, &name)?;
        staging.made_work = true;
        std::fs::write(staging.work.join(STAGING_MARK), b"")
            .map_err(|e| Error::io(&staging.work, e))?;
        Ok(staging)
    }

    /// The folder to write into.
    pub fn path(&self) -> &Path {
        &self.work
    }

    /// Moves the staged folder into place: swapped in whole where the target holds
    /// only appraise's files (or nothing), file by file beside other files with
    /// `force`.
    pub fn commit(mut self) -> Result<PathBuf, Error> {
        let mark = self.work.join(STAGING_MARK);
        let mut files = files_under(&self.work)?;
        files.remove(STAGING_MARK);
        let owned = Owned {
            tool: format!("appraise {}", env!("CARGO_PKG_VERSION")),
            files: files.clone(),
        };
        let text = serde_json::to_string_pretty(&owned).unwrap_or_default() + "\n";
        let marker = self.work.join(OWNED);
        // The list goes in before the staging mark goes, so that a run killed at any
        // moment leaves a folder that carries one of appraise's two marks.
        std::fs::write(&marker, text).map_err(|e| Error::io(&marker, e))?;
        std::fs::remove_file(&mark).map_err(|e| Error::io(&self.work, e))?;
        match self.plan_commit(&files)? {
            Plan::Create => {
                std::fs::rename(&self.work, &self.target)
                    .map_err(|e| Error::io(&self.target, e))?;
            }
            Plan::Swap { old } => {
                // The previous output ends up at the staging name, listed by its own
                // OWNED: removed now, or as a leftover by the next run if this one is
                // killed first.
                swap(&self.work, &self.target)?;
                remove_owned_tree(&self.work, &old)?;
            }
            Plan::Beside { old } => {
                remove_listed(&self.target, &old)?;
                for f in &files {
                    if f.ends_with('/') {
                        let to = self.target.join(f.trim_end_matches('/'));
                        std::fs::create_dir_all(&to).map_err(|e| Error::io(&to, e))?;
                        continue;
                    }
                    let (from, to) = (self.work.join(f), self.target.join(f));
                    if let Some(p) = to.parent() {
                        std::fs::create_dir_all(p).map_err(|e| Error::io(p, e))?;
                    }
                    std::fs::rename(&from, &to).map_err(|e| Error::io(&to, e))?;
                }
                let to = self.target.join(OWNED);
                std::fs::rename(&marker, &to).map_err(|e| Error::io(&to, e))?;
                // What is left of the staging folder: its emptied sub-folders.
                remove_owned_tree(&self.work, &files_under(&self.work)?)?;
            }
        }
        self.committed = true;
        Ok(self.target.clone())
    }

    /// How the staged `files` can go into the target, or why they may not.
    fn plan_commit(&self, files: &BTreeSet<String>) -> Result<Plan, Error> {
        let target = &self.target;
        let meta = match std::fs::symlink_metadata(target) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Plan::Create),
            Err(e) => return Err(Error::io(target, e)),
        };
        if !meta.is_dir() {
            return Err(refusal(
                target,
                "is a file, not a folder",
                Some("give --out a folder: a new one, or one appraise wrote before".into()),
            ));
        }
        let present = files_under(target)?;
        let owned = read_owned(target)?;
        let old: BTreeSet<String> = owned.as_ref().map(|o| o.files.clone()).unwrap_or_default();
        let foreign: Vec<&String> = present
            .iter()
            .filter(|f| !old.contains(*f) && f.as_str() != OWNED)
            .collect();
        if foreign.is_empty() {
            // Only appraise's files, or an empty folder: swapped whole.
            return Ok(Plan::Swap { old });
        }
        if !self.policy.force {
            let shown: Vec<&str> = foreign.iter().take(5).map(|f| f.as_str()).collect();
            let more = foreign.len().saturating_sub(shown.len());
            let what = if owned.is_some() {
                "holds files appraise did not write"
            } else {
                "is not empty and was not written by appraise"
            };
            return Err(refusal(
                target,
                &format!(
                    "{what}: {}{}",
                    shown.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                ),
                Some(
                    "choose a new or empty folder for the output; or pass --force to write \
                     beside these files (appraise then replaces only its own files and \
                     never touches the others)"
                        .into(),
                ),
            ));
        }
        // A file of someone else's at an output file's name, or at the name of a
        // folder an output file goes into (a link to another folder among them).
        let in_the_way = |f: &String| {
            foreign.iter().any(|x| {
                let x = x.trim_end_matches('/');
                f.as_str() == x || f.starts_with(&format!("{x}/"))
            })
        };
        if let Some(clash) = files.iter().find(|f| in_the_way(f)) {
            return Err(refusal(
                &target.join(clash),
                "is in the way of a file of the output and was not written by appraise",
                Some("move it away, or choose another folder for the output".into()),
            ));
        }
        Ok(Plan::Beside { old })
    }
}

/// How a commit goes.
enum Plan {
    /// The target does not exist: the staged folder is renamed into place.
    Create,
    /// The target holds only the files `old` appraise wrote: swapped whole.
    Swap { old: BTreeSet<String> },
    /// The target holds other files too (with `force`): appraise's files are replaced
    /// one by one and the others stay.
    Beside { old: BTreeSet<String> },
}

impl Drop for Staging {
    fn drop(&mut self) {
        if self.made_work && !self.committed {
            let _ = files_under(&self.work).and_then(|f| remove_owned_tree(&self.work, &f));
        }
        // The lock (and its file) goes before the folders that held it.
        self.lock = None;
        for dir in &self.created {
            if std::fs::remove_dir(dir).is_err() {
                break;
            }
        }
    }
}

/// Staging folders made by this process: unique within it too, should one process
/// stage a folder twice.
static STAGED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Makes a fresh staging folder `.<name>.partial-<pid>-<n>` in `parent`, exclusively:
/// a folder already at the name (whoever made it) is left alone and the next `n` is
/// taken.
fn make_work(parent: &Path, name: &str) -> Result<PathBuf, Error> {
    loop {
        let n = STAGED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let work = parent.join(format!(".{name}.partial-{}-{n}", std::process::id()));
        match std::fs::create_dir(&work) {
            Ok(()) => return Ok(work),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 1_000_000 => {}
            Err(e) => return Err(Error::io(&work, e)),
        }
    }
}

/// Clears what killed runs left in `parent` under names starting with `prefix`: a
/// staging folder (it carries [`STAGING_MARK`]) or an output moved aside or staged
/// whole (it carries [`OWNED`]), each a real folder, not a link. Only the files such a
/// folder lists as appraise's go; anything else keeps the folder.
fn clear_leftovers(parent: &Path, prefix: &str) -> Result<(), Error> {
    for entry in std::fs::read_dir(parent)
        .map_err(|e| Error::io(parent, e))?
        .flatten()
    {
        let leftover = entry.path();
        let is_dir = std::fs::symlink_metadata(&leftover).is_ok_and(|m| m.is_dir());
        if !entry.file_name().to_string_lossy().starts_with(prefix) || !is_dir {
            continue;
        }
        let marked =
            |f: &str| std::fs::symlink_metadata(leftover.join(f)).is_ok_and(|m| m.is_file());
        if marked(STAGING_MARK) {
            remove_owned_tree(&leftover, &files_under(&leftover)?)?;
        } else if marked(OWNED)
            && let Some(owned) = read_owned(&leftover)?
        {
            remove_owned_tree(&leftover, &owned.files)?;
        }
    }
    Ok(())
}

/// Puts the folder `from` at `to` and the folder that was at `to` at `from`. On Linux
/// one `renameat2(RENAME_EXCHANGE)`: `to` is never absent, whenever a run is killed.
/// Elsewhere two renames, with `to` absent between them.
fn swap(from: &Path, to: &Path) -> Result<(), Error> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        match renameat_with(CWD, from, CWD, to, RenameFlags::EXCHANGE) {
            Ok(()) => return Ok(()),
            // A file system without the exchange (some network ones): two renames.
            Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => {}
            Err(e) => return Err(Error::io(to, e.into())),
        }
    }
    let aside = PathBuf::from(format!("{}.old", from.display()));
    std::fs::rename(to, &aside).map_err(|e| Error::io(to, e))?;
    std::fs::rename(from, to).map_err(|e| Error::io(to, e))?;
    std::fs::rename(&aside, from).map_err(|e| Error::io(from, e))
}

/// `path` made absolute, with symbolic links resolved as far as it exists.
fn absolute(path: &Path) -> Result<PathBuf, Error> {
    let abs = std::path::absolute(path).map_err(|e| Error::io(path, e))?;
    if let Ok(real) = abs.canonicalize() {
        return Ok(real);
    }
    // Resolve the part that exists; the rest is new.
    let mut existing = abs.clone();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.file_name(), existing.parent()) {
            (Some(n), Some(p)) => {
                rest.push(n.to_os_string());
                existing = p.to_path_buf();
            }
            _ => return Ok(abs),
        }
    }
    let mut out = existing
        .canonicalize()
        .map_err(|e| Error::io(&existing, e))?;
    for n in rest.into_iter().rev() {
        out.push(n);
    }
    Ok(out)
}

/// Refuses a target that is the working folder or above it, or that is or holds one of
/// the command's inputs.
fn check_place(target: &Path, policy: &Policy) -> Result<(), Error> {
    if let Ok(cwd) = std::env::current_dir().and_then(|d| d.canonicalize())
        && cwd.starts_with(target)
    {
        return Err(refusal(
            target,
            "is the working folder or holds it",
            Some("write the output into a folder of its own, e.g. --out reports/out/2026Q3".into()),
        ));
    }
    for input in &policy.inputs {
        let Ok(input) = absolute(input) else { continue };
        if input.starts_with(target) {
            return Err(refusal(
                target,
                &format!("holds {}, which this command reads", input.display()),
                Some("write the output into a folder of its own".into()),
            ));
        }
    }
    Ok(())
}

/// Refuses an output *file* (`sql --out`, `kpi run --out`) that is one of the inputs
/// the command reads, or lies in an input folder, whatever `--force` says: the file
/// would replace data the command is reading.
pub fn check_output_file(file: &Path, inputs: &[PathBuf]) -> Result<(), Error> {
    let file = absolute(file)?;
    for input in inputs {
        let Ok(input) = absolute(input) else { continue };
        if file.starts_with(&input) {
            return Err(refusal(
                &file,
                &format!(
                    "{} {}, which this command reads",
                    if file == input { "is" } else { "is in" },
                    input.display()
                ),
                Some("write the result to a file of its own, outside the data".into()),
            ));
        }
    }
    Ok(())
}

/// Creates `dir` and the folders above it that are missing; those created, innermost
/// first.
fn create_parents(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut missing = Vec::new();
    let mut d = dir.to_path_buf();
    while !d.exists() {
        missing.push(d.clone());
        match d.parent() {
            Some(p) => d = p.to_path_buf(),
            None => break,
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    Ok(missing)
}

/// Every file under `dir`, relative and `/`-separated, and every empty folder, with a
/// trailing `/` (symbolic links count as files and are not followed).
fn files_under(dir: &Path) -> Result<BTreeSet<String>, Error> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let mut empty = true;
        for entry in std::fs::read_dir(&d).map_err(|e| Error::io(&d, e))? {
            let entry = entry.map_err(|e| Error::io(&d, e))?;
            empty = false;
            let path = entry.path();
            if entry.file_type().map_err(|e| Error::io(&path, e))?.is_dir() {
                stack.push(path);
            } else {
                out.insert(relative(dir, &path));
            }
        }
        if empty && d != dir {
            out.insert(relative(dir, &d) + "/");
        }
    }
    Ok(out)
}

/// `path` relative to `dir`, `/`-separated.
fn relative(dir: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(dir).unwrap_or(path);
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

/// The list of appraise's files in `dir`, if appraise wrote it.
fn read_owned(dir: &Path) -> Result<Option<Owned>, Error> {
    let path = dir.join(OWNED);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(&path, e)),
    };
    let owned: Owned = serde_json::from_str(&text).map_err(|e| Error::Unreadable {
        path: path.clone(),
        place: None,
        reason: format!("not a list of appraise's files: {e}"),
        hint: Some("appraise writes this file; restore it or remove the folder by hand".into()),
    })?;
    // A listed path that climbs out of the folder, or through a link, is never
    // removed: `remove_listed` reaches each only through the folder's own folders.
    Ok(Some(owned))
}

/// Removes the `files` (relative paths; folders end in `/`) of `dir` that exist, and
/// the marker; then the folders that held them, where that left them empty. A folder
/// that still holds something is kept: nothing appraise did not write is removed.
fn remove_listed(dir: &Path, files: &BTreeSet<String>) -> Result<(), Error> {
    let mut folders = BTreeSet::new();
    for f in files.iter().map(String::as_str).chain([OWNED]) {
        let p = dir.join(f.trim_end_matches('/'));
        // Only what lies in `dir` itself, reached through real folders, and is what
        // the list says (a file, or a folder): never through a link.
        if !reached_without_links(dir, f) {
            continue;
        }
        let removed = if f.ends_with('/') {
            std::fs::remove_dir(&p)
        } else {
            std::fs::remove_file(&p)
        };
        match removed {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            // A listed folder someone has put things into stays.
            Err(_) if f.ends_with('/') => {}
            Err(e) => return Err(Error::io(&p, e)),
        }
        let mut parent = Path::new(f.trim_end_matches('/')).parent();
        while let Some(p) = parent.filter(|p| !p.as_os_str().is_empty()) {
            folders.insert(p.to_path_buf());
            parent = p.parent();
        }
    }
    // Deepest first: a folder's sub-folders go before it.
    let mut folders: Vec<PathBuf> = folders.into_iter().collect();
    folders.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    for f in folders {
        let _ = std::fs::remove_dir(dir.join(f));
    }
    Ok(())
}

/// Whether the listed entry `f` (relative, `/`-separated; a folder ends in `/`) of
/// `dir` is reached through real folders, none of them a symbolic link, and is a
/// regular file (or, for a folder, a real folder).
fn reached_without_links(dir: &Path, f: &str) -> bool {
    let (path, folder) = match f.strip_suffix('/') {
        Some(p) => (p, true),
        None => (f, false),
    };
    let parts: Vec<&str> = path.split('/').collect();
    if parts
        .iter()
        .any(|c| c.is_empty() || *c == "." || *c == "..")
    {
        return false;
    }
    let mut at = dir.to_path_buf();
    for (i, part) in parts.iter().enumerate() {
        at.push(part);
        let Ok(meta) = std::fs::symlink_metadata(&at) else {
            return false;
        };
        let last = i + 1 == parts.len();
        let fits = if last && !folder {
            meta.is_file()
        } else {
            meta.is_dir()
        };
        if !fits {
            return false;
        }
    }
    true
}

/// Removes a folder of appraise's own (a staging folder, or an earlier output moved
/// aside): the files it lists, and the folder itself if that left it empty.
fn remove_owned_tree(dir: &Path, files: &BTreeSet<String>) -> Result<(), Error> {
    remove_listed(dir, files)?;
    let _ = std::fs::remove_dir(dir);
    Ok(())
}

fn refusal(path: &Path, reason: &str, hint: Option<String>) -> Error {
    Error::Input {
        reason: format!("{}: {reason}", path.display()),
        hint,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    fn stage(target: &Path, files: &[(&str, &str)], policy: &Policy) -> Result<PathBuf, Error> {
        let staging = Staging::new(target, policy)?;
        for (name, text) in files {
            let p = staging.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        staging.commit()
    }

    #[test]
    fn commit_replaces_an_earlier_output_whole() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        let none = Policy::default();
        stage(
            &target,
            &[("stale.csv", "old"), ("cards/a.html", "a")],
            &none,
        )
        .unwrap();
        let staging = Staging::new(&target, &none).unwrap();
        std::fs::write(staging.path().join("ranking.csv"), "new").unwrap();
        // Until the commit the old report is what a reader sees.
        assert!(target.join("stale.csv").exists());
        assert!(!target.join("ranking.csv").exists());
        staging.commit().unwrap();
        assert_eq!(names(&target), [OWNED, "ranking.csv"]);
        assert_eq!(names(dir.path()), ["out"]);
    }

    #[test]
    fn an_interrupted_run_leaves_the_previous_report() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        stage(&target, &[("ranking.csv", "old")], &Policy::default()).unwrap();
        {
            let staging = Staging::new(&target, &Policy::default()).unwrap();
            std::fs::write(staging.path().join("ranking.csv"), "half").unwrap();
            // dropped without commit: the run failed midway
        }
        let old = std::fs::read_to_string(target.join("ranking.csv")).unwrap();
        assert_eq!(old, "old");
        assert_eq!(names(dir.path()), ["out"]);
    }

    #[test]
    fn leftovers_of_a_killed_run_are_cleared_but_not_look_alikes() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        let leftover = dir.path().join(".out.partial-1");
        std::fs::create_dir_all(&leftover).unwrap();
        std::fs::write(leftover.join(STAGING_MARK), "").unwrap();
        std::fs::write(leftover.join("ranking.csv"), "x").unwrap();
        // Named like a leftover, but not made by appraise.
        let users = dir.path().join(".out.partial-notes");
        std::fs::create_dir_all(&users).unwrap();
        std::fs::write(users.join("mine.txt"), "x").unwrap();
        stage(&target, &[], &Policy::default()).unwrap();
        assert!(!leftover.exists());
        assert!(users.join("mine.txt").exists());
    }

    #[test]
    fn a_folder_of_someone_elses_files_is_refused_and_kept() {
        // Regression (out_deletes_user_files): --out pointed at a working folder
        // deleted what was in it.
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("work");
        std::fs::create_dir_all(target.join("sub")).unwrap();
        std::fs::write(target.join("notes.txt"), "mine").unwrap();
        std::fs::write(target.join("sub/analysis.R"), "mine").unwrap();
        let err = stage(&target, &[("ranking.csv", "x")], &Policy::default()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("was not written by appraise"), "{msg}");
        assert!(
            msg.contains("notes.txt") && msg.contains("sub/analysis.R"),
            "{msg}"
        );
        assert!(err.hint().unwrap().contains("--force"));
        assert_eq!(names(&target), ["notes.txt", "sub"]);
        assert_eq!(
            names(dir.path()),
            ["work"],
            "no staging or lock file is left"
        );

        // With --force the output goes beside them; a second run replaces only its own.
        let force = Policy {
            force: true,
            ..Policy::default()
        };
        stage(
            &target,
            &[("ranking.csv", "1"), ("cards/a.html", "a")],
            &force,
        )
        .unwrap();
        stage(&target, &[("ranking.csv", "2")], &force).unwrap();
        assert_eq!(names(&target), [OWNED, "notes.txt", "ranking.csv", "sub"]);
        assert_eq!(
            std::fs::read_to_string(target.join("ranking.csv")).unwrap(),
            "2"
        );
        assert_eq!(
            std::fs::read_to_string(target.join("notes.txt")).unwrap(),
            "mine"
        );
        assert!(target.join("sub/analysis.R").exists());
        // Without --force an earlier output holding a user's file is refused too.
        let err = stage(&target, &[("ranking.csv", "3")], &Policy::default()).unwrap_err();
        assert!(
            err.to_string()
                .contains("holds files appraise did not write"),
            "{err}"
        );
    }

    #[test]
    fn a_users_file_in_the_way_of_an_output_file_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("work");
        std::fs::create_dir_all(&target).unwrap();
        std::fs::write(target.join("ranking.csv"), "mine").unwrap();
        let force = Policy {
            force: true,
            ..Policy::default()
        };
        let err = stage(&target, &[("ranking.csv", "x")], &force).unwrap_err();
        assert!(err.to_string().contains("in the way"), "{err}");
        assert_eq!(
            std::fs::read_to_string(target.join("ranking.csv")).unwrap(),
            "mine"
        );
    }

    #[test]
    fn a_file_the_inputs_and_the_working_folder_are_refused() {
        // Regression (out_replaces_a_file, out_deletes_the_data): --out naming a file
        // replaced it; --out naming the data folder deleted the data.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, "mine").unwrap();
        let err = Staging::new(&file, &Policy::default()).unwrap_err();
        assert!(err.to_string().contains("is a file"), "{err}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");

        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let with_inputs = Policy {
            force: true,
            inputs: vec![data.join("departments.csv")],
            ..Policy::default()
        };
        let err = Staging::new(&data, &with_inputs).unwrap_err();
        assert!(
            err.to_string().contains("which this command reads"),
            "{err}"
        );
        let err = Staging::new(dir.path(), &with_inputs).unwrap_err();
        assert!(
            err.to_string().contains("which this command reads"),
            "{err}"
        );

        let cwd = std::env::current_dir().unwrap();
        let err = Staging::new(&cwd, &Policy::default()).unwrap_err();
        assert!(err.to_string().contains("working folder"), "{err}");
        assert_eq!(names(dir.path()), ["data", "f"]);
    }

    #[test]
    fn a_second_writer_of_one_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        let first = Staging::new(&target, &Policy::default()).unwrap();
        let err = Staging::new(&target, &Policy::default()).unwrap_err();
        assert!(err.to_string().contains("another appraise"), "{err}");
        // The refused writer did not clear the first one's work.
        assert!(first.path().exists());
        first.commit().unwrap();
        assert_eq!(names(dir.path()), ["out"]);
    }

    #[test]
    fn folders_are_removed_only_when_appraise_made_them_and_they_are_empty() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        let none = Policy::default();
        // An output with an empty folder of its own is replaced cleanly.
        for _ in 0..2 {
            let staging = Staging::new(&target, &none).unwrap();
            std::fs::create_dir_all(staging.path().join("charts/radar")).unwrap();
            std::fs::write(staging.path().join("charts/a.svg"), "a").unwrap();
            staging.commit().unwrap();
            assert!(target.join("charts/radar").is_dir());
        }
        assert_eq!(names(dir.path()), ["out"]);
        // A user's empty folder is theirs: refused, and kept with --force.
        std::fs::create_dir_all(target.join("mine")).unwrap();
        let err = stage(&target, &[("charts/a.svg", "b")], &none).unwrap_err();
        assert!(err.to_string().contains("mine/"), "{err}");
        let force = Policy {
            force: true,
            ..Policy::default()
        };
        stage(&target, &[("ranking.csv", "c")], &force).unwrap();
        assert_eq!(names(&target), [OWNED, "mine", "ranking.csv"]);
    }

    #[test]
    fn a_list_that_names_files_outside_the_folder_removes_none_of_them() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        std::fs::create_dir_all(&target).unwrap();
        std::fs::write(dir.path().join("victim.txt"), "mine").unwrap();
        let forged =
            r#"{"tool": "x", "files": ["../victim.txt", "/etc/hostname", "a/../../victim.txt"]}"#;
        std::fs::write(target.join(OWNED), forged).unwrap();
        stage(&target, &[("ranking.csv", "x")], &Policy::default()).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("victim.txt")).unwrap(),
            "mine"
        );
        assert_eq!(names(&target), [OWNED, "ranking.csv"]);
    }

    #[test]
    fn parents_made_for_nothing_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("reports/out/rejects");
        drop(Staging::new(&target, &Policy::default()).unwrap());
        assert!(names(dir.path()).is_empty());
    }

    #[test]
    fn force_with_a_forged_list_deletes_through_a_symlink() {
        // Regression: an output folder holding a link to the data and a list naming a
        // file through it made `--force` delete the data file.
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        std::fs::write(data.join("exchanges.csv"), "rows").unwrap();
        let target = dir.path().join("out");
        std::fs::create_dir_all(&target).unwrap();
        std::os::unix::fs::symlink(&data, target.join("link")).unwrap();
        let forged = r#"{"tool": "x", "files": ["link/exchanges.csv", "link/"]}"#;
        std::fs::write(target.join(OWNED), forged).unwrap();
        let force = Policy {
            force: true,
            ..Policy::default()
        };
        stage(&target, &[("ranking.csv", "x")], &force).unwrap();
        assert_eq!(
            std::fs::read_to_string(data.join("exchanges.csv")).unwrap(),
            "rows"
        );
        assert!(
            std::fs::symlink_metadata(target.join("link"))
                .unwrap()
                .is_symlink()
        );
        // A link at the name of a folder the output writes into is in the way: nothing
        // is written through it.
        std::os::unix::fs::symlink(&data, target.join("charts")).unwrap();
        let err = stage(&target, &[("charts/a.svg", "x")], &force).unwrap_err();
        assert!(err.to_string().contains("in the way"), "{err}");
        assert_eq!(names(&data), ["exchanges.csv"]);
        // A listed entry that is a folder where the list says file is not removed.
        std::fs::create_dir_all(target.join("sub")).unwrap();
        std::fs::write(target.join("sub/mine.txt"), "mine").unwrap();
        assert!(!reached_without_links(&target, "sub"));
        assert!(!reached_without_links(&target, "link/exchanges.csv"));
        assert!(reached_without_links(&target, "sub/mine.txt"));
    }

    #[test]
    fn a_staging_name_collision() {
        // Regression: a folder made beforehand at the staging name of the coming run
        // was deleted with its files when the run failed, and moved into the output
        // and listed as appraise's own when it succeeded.
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("q");
        let next = STAGED.load(std::sync::atomic::Ordering::Relaxed);
        let planted: Vec<PathBuf> = (next..next + 64)
            .map(|n| {
                let p = dir
                    .path()
                    .join(format!(".q.partial-{}-{n}", std::process::id()));
                std::fs::create_dir_all(&p).unwrap();
                std::fs::write(p.join("mine.txt"), "mine").unwrap();
                p
            })
            .collect();
        {
            let staging = Staging::new(&target, &Policy::default()).unwrap();
            assert!(!planted.contains(&staging.path().to_path_buf()));
            std::fs::write(staging.path().join("ranking.csv"), "half").unwrap();
            // dropped: the run failed
        }
        stage(&target, &[("ranking.csv", "x")], &Policy::default()).unwrap();
        for p in &planted {
            assert_eq!(std::fs::read_to_string(p.join("mine.txt")).unwrap(), "mine");
        }
        assert_eq!(names(&target), [OWNED, "ranking.csv"]);
        // A second run replaces the output and still leaves them.
        stage(&target, &[("ranking.csv", "y")], &Policy::default()).unwrap();
        assert!(planted.iter().all(|p| p.join("mine.txt").is_file()));
    }

    #[test]
    fn a_kill_during_the_swap_leaves_no_copy_of_the_report() {
        // Regression: a run killed during the final swap left the whole previous
        // report at `.out.partial-N-0.old`, which nothing cleared.
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        stage(&target, &[("ranking.csv", "1")], &Policy::default()).unwrap();
        // What a killed run leaves: the previous output moved aside (the two-rename
        // swap) or swapped to the staging name (the exchange), each with its list;
        // and a finished output staged before its swap.
        let owned = r#"{"tool": "appraise", "files": ["ranking.csv", "cards/a.html"]}"#;
        for leftover in [
            ".out.partial-4242-0.old",
            ".out.partial-4242-1",
            ".out.partial-7-0",
        ] {
            let p = dir.path().join(leftover);
            std::fs::create_dir_all(p.join("cards")).unwrap();
            std::fs::write(p.join("ranking.csv"), "old").unwrap();
            std::fs::write(p.join("cards/a.html"), "old").unwrap();
            std::fs::write(p.join(OWNED), owned).unwrap();
        }
        // A look-alike holding a user's file beside a list keeps that file.
        let users = dir.path().join(".out.partial-9-0");
        std::fs::create_dir_all(&users).unwrap();
        std::fs::write(users.join(OWNED), owned).unwrap();
        std::fs::write(users.join("mine.txt"), "mine").unwrap();
        // A link named like a leftover is not followed.
        let elsewhere = dir.path().join("elsewhere");
        std::fs::create_dir_all(&elsewhere).unwrap();
        std::fs::write(elsewhere.join(STAGING_MARK), "").unwrap();
        std::fs::write(elsewhere.join("ranking.csv"), "theirs").unwrap();
        std::os::unix::fs::symlink(&elsewhere, dir.path().join(".out.partial-5-0")).unwrap();

        stage(&target, &[("ranking.csv", "2")], &Policy::default()).unwrap();
        assert_eq!(
            names(dir.path()),
            [".out.partial-5-0", ".out.partial-9-0", "elsewhere", "out"]
        );
        assert_eq!(names(&users), ["mine.txt"]);
        assert_eq!(names(&elsewhere), [STAGING_MARK, "ranking.csv"]);
        assert_eq!(
            std::fs::read_to_string(target.join("ranking.csv")).unwrap(),
            "2"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_swap_leaves_the_output_present_at_every_moment() {
        // The exchange puts the new folder in place and the old at the staging name in
        // one step: at no moment is there no output.
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        std::fs::write(a.join("new"), "").unwrap();
        std::fs::write(b.join("old"), "").unwrap();
        swap(&a, &b).unwrap();
        assert_eq!(names(&b), ["new"]);
        assert_eq!(names(&a), ["old"]);
    }

    #[test]
    fn sql_out_with_force_overwrites_an_input() {
        // Regression: `sql --out DATA/exchanges.csv --force` replaced the data file the
        // query was reading.
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        std::fs::write(data.join("exchanges.csv"), "rows").unwrap();
        let inputs = vec![data.clone(), dir.path().join("scorecard.toml")];
        for out in [data.join("exchanges.csv"), data.join("new.csv")] {
            let err = check_output_file(&out, &inputs).unwrap_err();
            assert!(
                err.to_string().contains("which this command reads"),
                "{err}"
            );
        }
        // Through a link to the data folder, and naming a single input file.
        std::os::unix::fs::symlink(&data, dir.path().join("d")).unwrap();
        assert!(check_output_file(&dir.path().join("d/exchanges.csv"), &inputs).is_err());
        assert!(check_output_file(&dir.path().join("scorecard.toml"), &inputs).is_err());
        check_output_file(&dir.path().join("result.csv"), &inputs).unwrap();
    }
}
