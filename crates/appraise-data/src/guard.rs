//! The file boundary: a corrupt file is an error that names it, never a crash.
//!
//! The Parquet and Arrow readers trust a file's own lengths and offsets in places, and a
//! corrupted byte can make them panic (an out-of-range slice, an unwrap) or ask for an
//! absurd allocation, which aborts the process. appraise therefore
//!
//! - checks an Arrow IPC file's or stream's framing (every block and message body within
//!   the file) before the reader sees it ([`check_ipc`]), so no length read from the file
//!   can ask for more memory than the file has;
//! - runs every Parquet and Arrow read inside [`guarded`], which turns a panic of the
//!   reader into [`Error::Unreadable`] for the file, with the reader's message.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Once;

use datafusion::arrow::ipc::{root_as_footer, root_as_message};

use crate::Error;

/// Panics of a reader caught so far in this process (for the corruption tests, which
/// report how often the upstream readers still panic).
static CAUGHT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// How many panics [`catch`] (and so [`guarded`]) has caught in this process.
pub fn caught_panics() -> usize {
    CAUGHT.load(std::sync::atomic::Ordering::Relaxed)
}

thread_local! {
    /// Whether this thread is inside [`guarded`]: its panics are reported as errors,
    /// not printed.
    static GUARDED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `work`; a panic inside it (on this thread) is caught, counted and returned as
/// its message, instead of being printed and unwinding further.
pub fn catch<T>(work: impl FnOnce() -> T) -> Result<T, String> {
    static QUIET: Once = Once::new();
    QUIET.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let was = GUARDED.with(|g| g.replace(true));
    let outcome = catch_unwind(AssertUnwindSafe(work));
    GUARDED.with(|g| g.set(was));
    outcome.map_err(|payload| {
        CAUGHT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown failure".into())
    })
}

/// Runs `read` on the file at `path`; a panic inside it becomes an error naming the
/// file.
pub(crate) fn guarded<T>(path: &Path, read: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    catch(read).unwrap_or_else(|message| {
        tracing::warn!(file = %path.display(), %message, "the reader panicked on a corrupt file");
        Err(Error::unreadable(
            path,
            None,
            format!("the file is corrupt (the reader failed: {message})"),
            Some("restore the file from its source, or export it again".to_string()),
        ))
    })
}

/// Checks the framing of an Arrow IPC file (`ARROW1` magic, footer, blocks) or stream
/// (length-prefixed messages): every length it states must lie within the file. Reads
/// only the footer and the message headers.
pub(crate) fn check_ipc(path: &Path, file: &mut std::fs::File) -> Result<(), Error> {
    let n = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut ipc = Ipc { path, file, n };
    const MAGIC: &[u8] = b"ARROW1";
    let magic = MAGIC.len() as u64;
    let head = ipc.read_at(0, magic.min(n))?;
    if head == MAGIC && n >= 2 * magic + 4 {
        let tail = ipc.read_at(n - magic - 4, magic + 4)?;
        if &tail[4..] != MAGIC {
            return Err(ipc.corrupt("the file does not end with ARROW1".into()));
        }
        ipc.check_file(n - magic - 4, i32::from_le_bytes(le4(&tail)))
    } else {
        ipc.check_stream()
    }
}

/// An Arrow IPC file being checked: `n` bytes long.
struct Ipc<'a> {
    path: &'a Path,
    file: &'a mut std::fs::File,
    n: u64,
}

impl Ipc<'_> {
    fn corrupt(&self, what: String) -> Error {
        Error::unreadable(
            self.path,
            None,
            format!("not a valid Arrow IPC file or stream: {what}"),
            Some("check the file, or pass the right --input-format".to_string()),
        )
    }

    /// `len` bytes at `offset`, which must lie within the file.
    fn read_at(&mut self, offset: u64, len: u64) -> Result<Vec<u8>, Error> {
        use std::io::{Read, Seek, SeekFrom};
        if offset.checked_add(len).is_none_or(|end| end > self.n) {
            return Err(self.corrupt(format!("{len} bytes at byte {offset}, beyond the file")));
        }
        let mut buf = vec![0; len as usize];
        self.file
            .seek(SeekFrom::Start(offset))
            .and_then(|_| self.file.read_exact(&mut buf))
            .map_err(|e| Error::io(self.path, e))?;
        Ok(buf)
    }

    /// The file format: the footer (`footer_len` bytes ending at `at`) and every block
    /// it lists, each within the bytes before the footer.
    fn check_file(&mut self, at: u64, footer_len: i32) -> Result<(), Error> {
        let footer_len = u64::try_from(footer_len)
            .ok()
            .filter(|l| *l <= at)
            .ok_or_else(|| self.corrupt(format!("footer length {footer_len}")))?;
        let footer_bytes = self.read_at(at - footer_len, footer_len)?;
        let footer =
            root_as_footer(&footer_bytes).map_err(|e| self.corrupt(format!("footer: {e}")))?;
        let blocks: Vec<(i64, i64, i64)> = footer
            .recordBatches()
            .into_iter()
            .flatten()
            .chain(footer.dictionaries().into_iter().flatten())
            .map(|b| (b.offset(), i64::from(b.metaDataLength()), b.bodyLength()))
            .collect();
        for (offset, meta, body) in blocks {
            let within = offset
                .checked_add(meta)
                .and_then(|e| e.checked_add(body))
                .is_some_and(|e| offset >= 0 && meta >= 0 && body >= 0 && e <= at as i64);
            if !within {
                return Err(self.corrupt(format!(
                    "a block at byte {offset} states {meta} + {body} bytes, beyond the file"
                )));
            }
            let header = self.read_at(offset as u64, meta as u64)?;
            check_message(&header, body)
                .map_err(|e| self.corrupt(format!("the block at byte {offset}: {e}")))?;
        }
        Ok(())
    }

    /// The stream format: messages until an end marker (length 0) or the end of the
    /// file.
    fn check_stream(&mut self) -> Result<(), Error> {
        let n = self.n;
        let mut pos = 0u64;
        while pos < n {
            let mut len = i32::from_le_bytes(le4(&self.read_at(pos, 4)?));
            pos += 4;
            if len == -1 {
                // The continuation marker, then the length.
                len = i32::from_le_bytes(le4(&self.read_at(pos, 4)?));
                pos += 4;
            }
            if len == 0 {
                return Ok(());
            }
            let meta = u64::try_from(len)
                .map_err(|_| self.corrupt(format!("a message at byte {pos} states {len} bytes")))?;
            let header = self.read_at(pos, meta)?;
            let body = root_as_message(&header)
                .map_err(|e| self.corrupt(format!("the message at byte {pos}: {e}")))?
                .bodyLength();
            pos += meta;
            let body = u64::try_from(body)
                .ok()
                .filter(|b| pos.checked_add(*b).is_some_and(|e| e <= n))
                .ok_or_else(|| {
                    self.corrupt(format!(
                        "a message at byte {pos} states a body of {body} bytes, beyond the file"
                    ))
                })?;
            pos += body;
        }
        Ok(())
    }
}

/// Checks one file block's message header against the block's body length.
fn check_message(meta: &[u8], block_body: i64) -> Result<(), String> {
    // The header is prefixed by its length (and before that, maybe a continuation).
    let skip = if meta.starts_with(&[0xff; 4]) { 8 } else { 4 };
    let header = meta.get(skip..).ok_or("a truncated message header")?;
    let message = root_as_message(header).map_err(|e| e.to_string())?;
    if message.bodyLength() < 0 || message.bodyLength() > block_body {
        return Err(format!(
            "a body of {} bytes in a block of {block_body}",
            message.bodyLength()
        ));
    }
    Ok(())
}

fn le4(b: &[u8]) -> [u8; 4] {
    [b[0], b[1], b[2], b[3]]
}
