//! Reading a CSV file on every core: the file is cut into blocks at record boundaries,
//! each block is parsed and validated on a worker thread, and the sink takes the blocks
//! back in file order, where it settles repeated ids as it would row by row. Rows,
//! line numbers, rejects (and their order) and accounting are those of reading the
//! file on one thread.

use std::collections::BTreeMap;
use std::io::Read;
use std::ops::Range;
use std::path::Path;
use std::sync::mpsc::{channel, sync_channel};
use std::sync::{Arc, Mutex};

use csv::StringRecord;

use super::{ColumnMap, LoadOptions, decode_hint, encoding_error};
use crate::Error;
use crate::rejects::REDACTED;
use crate::validate::{BlockBuilder, CheckedBlock, Reason, Rejection, TableSink, Validator};

/// The most a block reserves ahead of reading.
const RESERVE_MAX: usize = 64 << 20;

/// A block of the file: its bytes from `start` on hold whole records; `lines_before`
/// line breaks precede it in the file.
struct Block {
    index: usize,
    bytes: Vec<u8>,
    start: usize,
    lines_before: u64,
}

/// Reads `file` (CSV with a header row; a file, or a database's `COPY` stream) into
/// `sink`, `opts.csv_block_bytes` at a time; a record longer than
/// `opts.max_record_bytes` stops it. Blocks are validated on
/// worker threads and taken back in file order: the workers and the hand-back share
/// one thread scope, which keeps them in one function.
pub(crate) fn read_csv(
    path: &Path,
    name: &Arc<str>,
    file: impl Read,
    sink: &mut TableSink<'_>,
    opts: &LoadOptions,
    warnings: &mut Vec<crate::Warning>,
) -> Result<(), Error> {
    // Long: the workers, the reader that cuts blocks and the hand-back in file order
    // share one thread scope, which keeps them in one function.
    let (encoding, text) = crate::encoding::raw_utf8_reader(file, opts.encoding)
        .map_err(|e| encoding_error(path, e))?;
    let faults = Faults {
        path,
        encoding,
        max_record: opts.max_record_bytes,
    };
    let mut blocks = Blocks {
        reader: text,
        carry: Vec::new(),
        size: opts.csv_block_bytes.max(1),
        max_record: opts.max_record_bytes,
        lines: 0,
        index: 0,
    };
    let (first, headers) = header(&mut blocks, &faults)?;
    let names: Vec<&str> = headers.iter().collect();
    let map = ColumnMap::new(sink.table(), path, &names, warnings)?;
    let fields = headers.len();
    let csv_error = |e: csv::Error, lines_before: u64| faults.csv(e, lines_before);

    let validator = sink.validator().clone();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let (work_tx, work_rx) = sync_channel::<Block>(threads);
    let work_rx = Mutex::new(work_rx);
    let (done_tx, done_rx) = channel::<(Block, Result<CheckedBlock, Error>)>();
    std::thread::scope(|scope| {
        // Owned here, so that the workers stop when this returns.
        let work_tx = work_tx;
        for _ in 0..threads {
            let (work_rx, done_tx) = (&work_rx, done_tx.clone());
            let (validator, map, csv_error) = (&validator, &map, &csv_error);
            scope.spawn(move || {
                loop {
                    let next = work_rx.lock().map(|rx| rx.recv());
                    let Ok(Ok(block)) = next else { break };
                    let checked = check_block(&block, validator, map, fields, csv_error);
                    if done_tx.send((block, checked)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);

        // Blocks go out while no more than two per worker wait to be taken back, and
        // come back in file order.
        let mut next = Some(first);
        let (mut sent, mut taken) = (0, 0);
        let mut ready = BTreeMap::new();
        loop {
            while sent - taken < 2 * threads {
                let Some(block) = next.take() else { break };
                next = blocks.next().map_err(|e| faults.read(e))?;
                if work_tx.send(block).is_err() {
                    break;
                }
                sent += 1;
            }
            if taken == sent {
                return Ok(());
            }
            let Ok((block, checked)) = done_rx.recv() else {
                return Err(Error::Input {
                    reason: format!("{}: a reading thread stopped", path.display()),
                    hint: None,
                });
            };
            ready.insert(block.index, (block, checked));
            while let Some((block, checked)) = ready.remove(&taken) {
                let render = |range: Range<usize>| render_bytes(&block.bytes[range], &map);
                sink.push_block(checked?, name, render)?;
                taken += 1;
            }
        }
    })
}

/// The header row, from the first block, and that block with its records after it.
fn header(blocks: &mut Blocks, faults: &Faults<'_>) -> Result<(Block, csv::StringRecord), Error> {
    let mut first = blocks.next().map_err(|e| faults.read(e))?.unwrap_or(Block {
        index: 0,
        bytes: Vec::new(),
        start: 0,
        lines_before: 0,
    });
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(first.bytes.as_slice());
    let headers = reader.headers().map_err(|e| faults.csv(e, 0))?.clone();
    let after = reader.position().clone();
    first.start = after.byte() as usize;
    first.lines_before = after.line().saturating_sub(1);
    Ok((first, headers))
}

/// How a file's read and CSV errors are told: the file, the line, and a hint about
/// its encoding.
struct Faults<'a> {
    path: &'a Path,
    encoding: &'static encoding_rs::Encoding,
    max_record: usize,
}

impl Faults<'_> {
    fn read(&self, e: std::io::Error) -> Error {
        let path = self.path;
        if let Some(line) = e.get_ref().and_then(|i| i.downcast_ref::<TooLong>()) {
            return Error::unreadable(
                path,
                Some(format!("line {}", line.0)),
                format!("a record longer than {} bytes (the limit)", self.max_record),
                Some("check the file's line breaks and quotes; --max-record-bytes sets another limit".into()),
            );
        }
        if e.kind() == std::io::ErrorKind::InvalidData {
            Error::unreadable(path, None, e.to_string(), Some(decode_hint(self.encoding)))
        } else {
            Error::io(path, e)
        }
    }

    fn csv(&self, e: csv::Error, lines_before: u64) -> Error {
        let path = self.path;
        let place = e
            .position()
            .map(|p| format!("line {}", lines_before + p.line()));
        match e.into_kind() {
            csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => {
                Error::unreadable(
                    path,
                    place,
                    io.to_string(),
                    Some(decode_hint(self.encoding)),
                )
            }
            csv::ErrorKind::Io(io) => Error::io(path, io),
            csv::ErrorKind::Utf8 { err, .. } => Error::unreadable(
                path,
                place,
                format!("not valid UTF-8 ({err})"),
                Some(decode_hint(self.encoding)),
            ),
            other => Error::unreadable(path, place, format!("{other:?}"), None),
        }
    }
}

/// Cuts a reader into blocks that end on a record boundary.
struct Blocks<'a> {
    reader: Box<dyn Read + 'a>,
    carry: Vec<u8>,
    size: usize,
    /// The longest record.
    max_record: usize,
    lines: u64,
    index: usize,
}

/// A record longer than the limit begins at this line.
#[derive(Debug)]
struct TooLong(u64);

impl std::fmt::Display for TooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a record too long at line {}", self.0)
    }
}

impl std::error::Error for TooLong {}

impl Blocks<'_> {
    fn next(&mut self) -> std::io::Result<Option<Block>> {
        let mut want = self.size;
        loop {
            let have = self.carry.len();
            // Room for the whole block at once, not grown (and copied) as it is read;
            // within reason, for a block size meant as "the whole file".
            self.carry
                .reserve(want.saturating_sub(have).min(RESERVE_MAX));
            let eof = have < want
                && (&mut self.reader)
                    .take((want - have) as u64)
                    .read_to_end(&mut self.carry)?
                    < want - have;
            let cut = if eof {
                Some(self.carry.len())
            } else {
                last_record_end(&self.carry)
            };
            match cut {
                Some(0) => return Ok(None),
                Some(cut) => {
                    let rest = self.carry.split_off(cut);
                    let bytes = std::mem::replace(&mut self.carry, rest);
                    let lines_before = self.lines;
                    self.lines += memchr::memchr_iter(b'\n', &bytes).count() as u64;
                    self.index += 1;
                    return Ok(Some(Block {
                        index: self.index - 1,
                        bytes,
                        start: 0,
                        lines_before,
                    }));
                }
                // No whole record yet: read on, up to the longest record allowed.
                None if self.carry.len() > self.max_record => {
                    return Err(std::io::Error::other(TooLong(self.lines + 1)));
                }
                None => want = self.carry.len() * 2,
            }
        }
    }
}

/// Where the last whole record in `buf` (which starts on a record) ends, if one does.
/// Without quotes every line break ends a record; with them, the records are found as
/// the CSV reader finds them.
fn last_record_end(buf: &[u8]) -> Option<usize> {
    if memchr::memchr(b'"', buf).is_none() {
        return memchr::memrchr(b'\n', buf).map(|i| i + 1);
    }
    let mut reader = csv_core::Reader::new();
    let (mut out, mut ends) = (vec![0; 64 * 1024], vec![0; 1024]);
    let (mut at, mut last) = (0, None);
    loop {
        let (result, read, _, _) = reader.read_record(&buf[at..], &mut out, &mut ends);
        at += read;
        match result {
            csv_core::ReadRecordResult::Record => last = Some(at),
            csv_core::ReadRecordResult::OutputFull | csv_core::ReadRecordResult::OutputEndsFull => {
            }
            csv_core::ReadRecordResult::InputEmpty | csv_core::ReadRecordResult::End => {
                return last;
            }
        }
    }
}

/// Parses and validates one block on a worker thread.
fn check_block(
    block: &Block,
    validator: &Validator<'_>,
    map: &ColumnMap,
    fields: usize,
    csv_error: &(dyn Fn(csv::Error, u64) -> Error + Sync),
) -> Result<CheckedBlock, Error> {
    let bytes = &block.bytes[block.start..];
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut rows = BlockBuilder::new(validator, 8192);
    let mut record = StringRecord::new();
    loop {
        let begin = block.start + reader.position().byte() as usize;
        if !reader
            .read_record(&mut record)
            .map_err(|e| csv_error(e, block.lines_before))?
        {
            break;
        }
        let end = block.start + reader.position().byte() as usize;
        let line = block.lines_before + record.position().map_or(0, |p| p.line());
        let render = || render_record(&record, &map.redacted);
        if record.len() != fields {
            // The fields do not line up with the header, so the personal one cannot be
            // told apart: redacted whole where the table has one.
            let render = || {
                if map.redact_misaligned {
                    REDACTED.to_string()
                } else {
                    render()
                }
            };
            let r = Rejection {
                reason: Reason::FieldCount,
                column: None,
                detail: format!("{} fields, the header has {fields}", record.len()),
            };
            let id = map.source[0].and_then(|i| record.get(i));
            rows.reject(line, id, r, render());
            continue;
        }
        let values = map.fields(|i| record.get(i));
        rows.push(&values, line, begin..end, render);
    }
    rows.finish()
}

/// A record as one line of CSV for a rejects file, the fields `redacted` marks (the
/// personal one, and any that may be) redacted.
fn render_record(record: &StringRecord, redacted: &[bool]) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b' '))
        .from_writer(vec![]);
    let fields = record.iter().enumerate().map(|(i, f)| {
        // A field past the header's (a misaligned record) is redacted too.
        if redacted.get(i).copied().unwrap_or(!redacted.is_empty()) {
            REDACTED
        } else {
            f
        }
    });
    let _ = w.write_record(fields);
    String::from_utf8_lossy(&w.into_inner().unwrap_or_default())
        .trim_end()
        .to_string()
}

/// The record in `bytes` rendered as [`render_record`] does.
fn render_bytes(bytes: &[u8], map: &ColumnMap) -> String {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut record = StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => render_record(&record, &map.redacted),
        _ if map.redact_misaligned => REDACTED.to_string(),
        _ => String::from_utf8_lossy(bytes).trim_end().to_string(),
    }
}
