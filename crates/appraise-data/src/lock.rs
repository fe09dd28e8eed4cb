//! One writer at a time: an advisory lock on a file beside what is written.
//!
//! A [`Lock`] holds an exclusive `flock` on its file for as long as it lives; a second
//! writer is refused at once (with a hint naming `--wait`) or waits for the first. The
//! lock file is appraise's own and is removed when the lock is released, so nothing is
//! left behind. Because a waiting writer may have opened the file just before it was
//! removed, a writer that got the lock checks that the path still names the file it
//! locked, and starts again if not.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::Error;

/// An exclusive lock, released (and its file removed) when dropped.
#[derive(Debug)]
pub struct Lock {
    file: File,
    path: PathBuf,
}

impl Lock {
    /// Takes the lock at `path` for `what` (a phrase such as "the warehouse
    /// /data/wh"); with `wait`, waits for another writer to finish, else refuses.
    pub fn acquire(path: &Path, what: &str, wait: bool) -> Result<Lock, Error> {
        loop {
            let file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .read(true)
                .write(true)
                .open(path)
                .map_err(|e| Error::io(path, e))?;
            if wait {
                file.lock().map_err(|e| Error::io(path, e))?;
            } else {
                match file.try_lock() {
                    Ok(()) => {}
                    Err(TryLockError::WouldBlock) => {
                        let holder = std::fs::read_to_string(path).unwrap_or_default();
                        let holder = holder.trim();
                        return Err(Error::Input {
                            reason: format!(
                                "another appraise{} is writing {what}",
                                if holder.is_empty() {
                                    String::new()
                                } else {
                                    format!(" (process {holder})")
                                }
                            ),
                            hint: Some(
                                "wait for it to finish, or pass --wait to start when it has".into(),
                            ),
                        });
                    }
                    Err(TryLockError::Error(e)) => return Err(Error::io(path, e)),
                }
            }
            if same_file(&file, path) {
                let mut lock = Lock {
                    file,
                    path: path.to_path_buf(),
                };
                // Who holds it, for the message a second writer gets; best effort.
                let _ = lock.file.set_len(0);
                let _ = write!(lock.file, "{}", std::process::id());
                return Ok(lock);
            }
            // The holder before us removed the file after we opened it: try again on
            // the file that is there now.
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Removed while still held, so that no one locks a file that is going away.
        let _ = std::fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_refused_while_the_first_holds_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".x.lock");
        let first = Lock::acquire(&path, "x", false).unwrap();
        let err = Lock::acquire(&path, "x", false).unwrap_err();
        assert!(err.to_string().contains("another appraise"), "{err}");
        assert!(err.hint().unwrap().contains("--wait"));
        drop(first);
        assert!(!path.exists(), "the lock file is removed on release");
        let _again = Lock::acquire(&path, "x", false).unwrap();
    }

    #[test]
    fn a_waiting_writer_gets_the_lock_when_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".x.lock");
        let first = Lock::acquire(&path, "x", false).unwrap();
        let waiter = {
            let path = path.clone();
            std::thread::spawn(move || Lock::acquire(&path, "x", true).map(|_| ()))
        };
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert!(!waiter.is_finished());
        drop(first);
        waiter.join().unwrap().unwrap();
    }
}
