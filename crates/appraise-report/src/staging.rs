//! An output folder that appears whole or not at all.
//!
//! A run writes into a hidden sibling of the final folder (`.<name>.partial-<pid>`) and
//! [`Staging::commit`] moves it into place at the end. An interrupted run leaves the
//! previous report untouched (and at most a `.partial` folder, removed when the
//! [`Staging`] is dropped uncommitted, or by the next run).

use std::io;
use std::path::{Path, PathBuf};

/// A folder being written, to be moved into place.
#[derive(Debug)]
pub struct Staging {
    target: PathBuf,
    work: PathBuf,
    committed: bool,
}

impl Staging {
    /// Starts a fresh staging folder for `target` (its parent is created).
    pub fn new(target: &Path) -> io::Result<Staging> {
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent)?;
        let name = target
            .file_name()
            .ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidInput, "the output folder has no name")
            })?
            .to_string_lossy()
            .into_owned();
        // Leftovers of interrupted runs of this target.
        let prefix = format!(".{name}.partial-");
        for entry in std::fs::read_dir(&parent)?.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        let work = parent.join(format!("{prefix}{}", std::process::id()));
        std::fs::create_dir_all(&work)?;
        Ok(Staging {
            target: target.to_path_buf(),
            work,
            committed: false,
        })
    }

    /// The folder to write into.
    pub fn path(&self) -> &Path {
        &self.work
    }

    /// Moves the staged folder into place, replacing what was there.
    pub fn commit(mut self) -> io::Result<PathBuf> {
        if self.target.exists() {
            // Named under the same prefix, so a crash between the two renames leaves
            // something the next run clears.
            let mut old = self.work.clone().into_os_string();
            old.push(".old");
            let old = PathBuf::from(old);
            std::fs::rename(&self.target, &old)?;
            std::fs::rename(&self.work, &self.target)?;
            std::fs::remove_dir_all(&old)?;
        } else {
            std::fs::rename(&self.work, &self.target)?;
        }
        self.committed = true;
        Ok(self.target.clone())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.work);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_replaces_the_old_folder_whole() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        std::fs::create_dir_all(&target).unwrap();
        std::fs::write(target.join("stale.csv"), "old").unwrap();
        let staging = Staging::new(&target).unwrap();
        std::fs::write(staging.path().join("ranking.csv"), "new").unwrap();
        // Until the commit the old report is what a reader sees.
        assert!(target.join("stale.csv").exists());
        assert!(!target.join("ranking.csv").exists());
        staging.commit().unwrap();
        assert!(target.join("ranking.csv").exists());
        assert!(!target.join("stale.csv").exists());
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("out")]);
    }

    #[test]
    fn an_interrupted_run_leaves_the_previous_report() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        std::fs::create_dir_all(&target).unwrap();
        std::fs::write(target.join("ranking.csv"), "old").unwrap();
        {
            let staging = Staging::new(&target).unwrap();
            std::fs::write(staging.path().join("ranking.csv"), "half").unwrap();
            // dropped without commit: the run failed midway
        }
        assert_eq!(
            std::fs::read_to_string(target.join("ranking.csv")).unwrap(),
            "old"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn leftovers_of_a_killed_run_are_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        let leftover = dir.path().join(".out.partial-1");
        std::fs::create_dir_all(&leftover).unwrap();
        let staging = Staging::new(&target).unwrap();
        assert!(!leftover.exists() || leftover == staging.path());
        staging.commit().unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
