//! One writer at a time: an advisory lock on a file beside what is written.
//!
//! A [`Lock`] holds an exclusive `flock` on its file for as long as it lives; a second
//! writer is refused at once (with a hint naming `--wait`) or waits for the first. The
//! lock file is appraise's own and is removed when the lock is released, so nothing is
//! left behind. Because a waiting writer may have opened the file just before it was
//! removed, a writer that got the lock checks that the path still names the file it
//! locked, and starts again if not.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
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
    ///
    /// The file is opened without following a symbolic link, and one that is not a
    /// regular file with one name holding at most a process number is refused: a lock
    /// file is appraise's own, and a link or a user's file at its name is never
    /// written through.
    pub fn acquire(path: &Path, what: &str, wait: bool) -> Result<Lock, Error> {
        loop {
            let file = open_own(path)?;
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
                // Who holds it, for the message a second writer gets; best effort. The
                // file was checked to be a lock file (a process number at most).
                let _ = lock.file.set_len(0);
                let _ = lock.file.rewind();
                let _ = write!(lock.file, "{}", std::process::id());
                return Ok(lock);
            }
            // The holder before us removed the file after we opened it: try again on
            // the file that is there now.
        }
    }
}

/// Opens (or creates) the lock file at `path`, refusing anything that is not a lock
/// file of appraise's: a symbolic link, a hard link (a file with another name), a
/// folder or device, or a file holding more than a process number.
fn open_own(path: &Path) -> Result<File, Error> {
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).read(true).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NONBLOCK: a FIFO at the name must not stall the open.
        let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
        options.custom_flags(flags.bits() as i32);
    }
    let not_ours = |what: &str| Error::Input {
        reason: format!("{}: {what}, not a lock file of appraise's", path.display()),
        hint: Some(
            "appraise keeps a lock file of its own at this name while it writes and never \
             writes through a link or into another file: move this one away and run again"
                .into(),
        ),
    };
    let file = match options.open(path) {
        Ok(f) => f,
        Err(e) => {
            return Err(match std::fs::symlink_metadata(path) {
                Ok(m) if m.file_type().is_symlink() => not_ours("is a symbolic link"),
                Ok(m) if m.is_dir() => not_ours("is a folder"),
                _ => Error::io(path, e),
            });
        }
    };
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(not_ours("is not a regular file"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.nlink() > 1 {
            return Err(not_ours("is a hard link: the same file has another name"));
        }
    }
    // A lock file holds the number of the process that holds it, or nothing yet.
    let mut text = String::new();
    let read = (&file).take(32).read_to_string(&mut text);
    if meta.len() > 20 || read.is_err() || !text.trim().bytes().all(|b| b.is_ascii_digit()) {
        return Err(not_ours("holds something other than a process number"));
    }
    Ok(file)
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

    #[test]
    fn lock_file_that_is_a_link_truncates_its_target() {
        // Regression: a lock file made a link to a data file (hard or symbolic) was
        // opened through the link and truncated to the lock holder's process number.
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("exchanges.csv");
        let text = "exchange_id,consumer_dept\nx1,a\n";
        std::fs::write(&data, text).unwrap();
        let hard = dir.path().join(".q.lock");
        std::fs::hard_link(&data, &hard).unwrap();
        let err = Lock::acquire(&hard, "q", false).unwrap_err();
        assert!(err.to_string().contains("hard link"), "{err}");
        assert!(err.hint().unwrap().contains("move this one away"));
        #[cfg(unix)]
        {
            let soft = dir.path().join(".r.lock");
            std::os::unix::fs::symlink(&data, &soft).unwrap();
            let err = Lock::acquire(&soft, "r", true).unwrap_err();
            assert!(err.to_string().contains("symbolic link"), "{err}");
            // A link to a file that does not exist yet is not created through either.
            let dangling = dir.path().join(".s.lock");
            std::os::unix::fs::symlink(dir.path().join("new.txt"), &dangling).unwrap();
            assert!(Lock::acquire(&dangling, "s", false).is_err());
            assert!(!dir.path().join("new.txt").exists());
        }
        // A user's file at the name is not a lock file either.
        let users = dir.path().join(".t.lock");
        std::fs::write(&users, "my notes").unwrap();
        assert!(Lock::acquire(&users, "t", false).is_err());
        assert_eq!(std::fs::read_to_string(&users).unwrap(), "my notes");
        assert_eq!(std::fs::read_to_string(&data).unwrap(), text);
        // A lock file a killed run left behind (its process number) is taken over.
        let stale = dir.path().join(".u.lock");
        std::fs::write(&stale, "4242").unwrap();
        let lock = Lock::acquire(&stale, "u", false).unwrap();
        assert_eq!(
            std::fs::read_to_string(&stale).unwrap(),
            std::process::id().to_string()
        );
        drop(lock);
        assert!(!stale.exists());
    }
}
