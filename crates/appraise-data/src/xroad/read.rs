//! Reading operational-monitoring records in every container they come in.
//!
//! `getSecurityServerOperationalData` answers with a multipart SOAP message whose
//! attachment is the gzipped JSON `{"records": [...]}`; exports and X-Road Metrics'
//! collectors keep the records as a JSON array, as `{"records": [...]}` or as one record
//! per line (NDJSON), gzipped or not. Each is recognised by its content and read as a
//! stream, so a file may be larger than memory: a thread cuts it into blocks of whole
//! records (lines, or the elements of an array), every core parses blocks, and the
//! records are handed on in file order.
//!
//! Only the fields appraise uses are kept ([`Record`]); the rest of a record, personal
//! data (`messageUserId`) among it, is skipped as it is read. Values are read leniently
//! (a number written as text, a member code written as a number): a record whose value
//! still does not read is unusable, and says which field and why.
//!
//! Sizes are taken, per side, in this order: the MIME size (`requestMimeSize`), else the
//! message size (`requestSize`), else, in legacy logs, the SOAP and REST sizes added up
//! (`requestSoapSize` + `requestRestSize`).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{Names, Record, Side};
use crate::Error;
use crate::validate::{Reason, Rejection};

/// The gzip magic number.
const GZIP: [u8; 2] = [0x1f, 0x8b];

/// Read-ahead of files and of decompressed text.
const BUFFER: usize = 1 << 18;

/// The records of one or more files, with the names they share.
#[derive(Debug, Default, Clone)]
pub struct Records {
    /// The records, in the order read.
    pub records: Vec<Record>,
    /// The members and services they name.
    pub names: Names,
}

/// Reads every record of `path` (any container of the module's documentation). A record
/// that cannot be used is an error here; a load rejects it instead.
pub fn read_records(path: &Path) -> Result<Records, Error> {
    let mut out = Records::default();
    let mut names = Names::default();
    let max = crate::source::MAX_RECORD_BYTES;
    each_record(path, max, &mut names, &mut |_, item, n| match item {
        Item::Record(r) => {
            out.records.push(r);
            Ok(())
        }
        Item::Unusable(r) => Err(Error::unreadable(
            path,
            Some(format!("record {n}")),
            r.detail,
            None,
        )),
    })?;
    out.names = names;
    Ok(out)
}

/// What one record of a file gives.
#[derive(Debug)]
pub(crate) enum Item {
    /// A record.
    Record(Record),
    /// A record that cannot be used, and why.
    Unusable(Rejection),
}

/// Reads `path` a record at a time; `each` gets the names so far and every record with
/// its line (NDJSON) or its number in the array, from 1. A file that is none of the
/// containers stops with an error naming the file and the place, and so does a record
/// longer than `max_record` bytes or a gzip member that inflates past
/// [`MAX_INFLATION`] times its size.
pub(crate) fn each_record(
    path: &Path,
    max_record: usize,
    names: &mut Names,
    each: &mut dyn FnMut(&Names, Item, u64) -> Result<(), Error>,
) -> Result<(), Error> {
    let file = crate::source::open_regular(path)?;
    let size = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut reader = Reader {
        path,
        names,
        each,
        max_record,
        max_inflated: size.saturating_mul(MAX_INFLATION).max(MIN_INFLATED),
    };
    reader.container(Box::new(BufReader::with_capacity(BUFFER, file)), 0)
}

/// How many times its size a gzipped file may inflate to (X-Road records compress
/// about 10 to 30 times); more is taken for a decompression bomb.
pub const MAX_INFLATION: u64 = 200;

/// What any gzipped file may inflate to, however small.
const MIN_INFLATED: u64 = 1 << 30;

/// The most of a multipart answer read into memory.
const MAX_MESSAGE: u64 = 1 << 30;

/// A reader that fails once more than `left` bytes came through.
struct Capped<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.left = self.left.checked_sub(n as u64).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "it inflates to more than {MAX_INFLATION} times its size (or 1 GiB): \
                     refused as a decompression bomb"
                ),
            )
        })?;
        Ok(n)
    }
}

/// The hint of every unreadable X-Road file.
fn containers_hint() -> String {
    "X-Road operational-monitoring records are read as a JSON array, {\"records\": [...]}, \
     one record per line, gzipped or not, or the security server's multipart answer to \
     getSecurityServerOperationalData"
        .into()
}

struct Reader<'r> {
    path: &'r Path,
    names: &'r mut Names,
    each: &'r mut dyn FnMut(&Names, Item, u64) -> Result<(), Error>,
    /// The longest record read.
    max_record: usize,
    /// The most decompressed text read from the file.
    max_inflated: u64,
}

impl Reader<'_> {
    fn bad(&self, place: Option<String>, reason: impl Into<String>) -> Error {
        Error::unreadable(self.path, place, reason, Some(containers_hint()))
    }

    fn io(&self, e: std::io::Error) -> Error {
        let (place, reason) = io_error(e);
        self.bad(place, reason)
    }

    /// Reads the records in `input`; `depth` counts the containers opened to reach it.
    fn container(&mut self, mut input: Input<'_>, depth: usize) -> Result<(), Error> {
        if depth > 2 {
            return Err(self.bad(None, "containers nested too deep"));
        }
        if input.fill_buf().map_err(|e| self.io(e))?.starts_with(&GZIP) {
            let text = Capped {
                inner: flate2::bufread::MultiGzDecoder::new(input),
                left: self.max_inflated,
            };
            return self.container(Box::new(BufReader::with_capacity(BUFFER, text)), depth + 1);
        }
        // Skip white space and a byte-order mark, then look at the first byte.
        let first = loop {
            let buf = input.fill_buf().map_err(|e| self.io(e))?;
            let Some(&b) = buf.first() else {
                return Ok(());
            };
            if buf.starts_with(b"\xef\xbb\xbf") {
                input.consume(3);
                continue;
            }
            let blank = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
            if blank == 0 {
                break b;
            }
            input.consume(blank);
        };
        match first {
            b'-' => {
                let mut message = Vec::new();
                (&mut input)
                    .take(MAX_MESSAGE + 1)
                    .read_to_end(&mut message)
                    .map_err(|e| self.io(e))?;
                if message.len() as u64 > MAX_MESSAGE {
                    return Err(self.bad(None, "a multipart answer larger than 1 GiB"));
                }
                let body = attachment(&message).map_err(|reason| self.bad(None, reason))?;
                self.container(Box::new(body), depth + 1)
            }
            b'[' => {
                input.consume(1);
                self.parallel(input, Split::Array)
            }
            b'{' => {
                let head = input.fill_buf().map_err(|e| self.io(e))?;
                match records_array(head) {
                    Some(at) => {
                        input.consume(at);
                        self.parallel(input, Split::Array)
                    }
                    None => self.parallel(input, Split::Lines),
                }
            }
            _ => self.parallel(input, Split::Lines),
        }
    }

    /// The records of NDJSON or of a JSON array. A thread reads blocks of whole
    /// records, one a line; every core parses them (each block with names of its own);
    /// and this thread hands the records on in order, their names made the load's.
    fn parallel(&mut self, input: Input<'_>, split: Split) -> Result<(), Error> {
        use std::sync::mpsc::sync_channel;
        use std::sync::{Arc, Mutex};
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let (blocks, to_parse) = sync_channel::<(usize, u64, Vec<u8>)>(2 * threads);
        let (parsed, results) = sync_channel::<(usize, ParsedLines)>(2 * threads);
        let (spend, spent) = std::sync::mpsc::channel::<Vec<u8>>();
        // Owned by the parsers alone: once they stop, the reader's sends fail and it
        // stops too.
        let to_parse = Arc::new(Mutex::new(to_parse));
        let max = self.max_record;
        std::thread::scope(|s| {
            let reader = s.spawn(move || {
                let out = Outbox {
                    blocks: &blocks,
                    spent: &spent,
                    sent: 0,
                };
                match split {
                    Split::Lines => read_lines(input, out, max),
                    Split::Array => read_elements(input, out, max),
                }
            });
            for _ in 0..threads {
                let (to_parse, parsed) = (Arc::clone(&to_parse), parsed.clone());
                let spend = spend.clone();
                s.spawn(move || {
                    loop {
                        let job = to_parse.lock().map(|rx| rx.recv());
                        let Ok(Ok((n, first, block))) = job else {
                            return;
                        };
                        let lines = parse_lines(first, &block);
                        let _ = spend.send(block);
                        if parsed.send((n, lines)).is_err() {
                            return;
                        }
                    }
                });
            }
            drop((to_parse, parsed, spend));
            // On an error `results` is dropped: the parsers, then the reader, stop.
            self.hand_on_in_order(results, split)?;
            match reader.join() {
                Ok(read) => read.map_err(|(place, reason)| self.bad(place, reason)),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        })
    }

    /// Hands on the records of the parsed blocks in the blocks' order, whatever order
    /// they come in.
    fn hand_on_in_order(
        &mut self,
        results: std::sync::mpsc::Receiver<(usize, ParsedLines)>,
        split: Split,
    ) -> Result<(), Error> {
        let mut seen = false;
        let mut waiting = BTreeMap::new();
        let mut next = 0;
        for (n, block) in results {
            waiting.insert(n, block);
            while let Some(block) = waiting.remove(&next) {
                next += 1;
                self.hand_on(block, split, &mut seen)?;
            }
        }
        Ok(())
    }

    /// Hands on the records of a parsed block, in order.
    fn hand_on(&mut self, block: ParsedLines, split: Split, seen: &mut bool) -> Result<(), Error> {
        let (members, services) = self.names.absorb(&block.names);
        for (number, outcome) in block.lines {
            let item = match outcome {
                Ok(Item::Record(mut r)) => {
                    r.client = r.client.map(|c| members[c as usize]);
                    r.service = r.service.map(|s| services[s as usize]);
                    Item::Record(r)
                }
                Ok(unusable) => unusable,
                Err(reason) if !*seen => {
                    return Err(self.bad(Some(split.place(number)), reason));
                }
                Err(reason) => Item::Unusable(Rejection {
                    reason: Reason::MalformedJson,
                    column: None,
                    detail: reason,
                }),
            };
            *seen = true;
            (self.each)(self.names, item, number)?;
        }
        Ok(())
    }
}

/// How a file's records are cut apart for the parsers.
#[derive(Debug, Clone, Copy)]
enum Split {
    /// One record per line.
    Lines,
    /// The elements of a JSON array; the input starts after its `[`.
    Array,
}

impl Split {
    /// Where record `n` is, for a person.
    fn place(self, n: u64) -> String {
        match self {
            Split::Lines => format!("line {n}"),
            Split::Array => format!("record {n}"),
        }
    }
}

/// Blocks of records on their way to the parsers: each with its number and the number
/// of its first record.
type Blocks = std::sync::mpsc::SyncSender<(usize, u64, Vec<u8>)>;

/// Where a reading thread sends its blocks, numbered in order, and gets back the
/// buffers the parsers are done with.
struct Outbox<'a> {
    blocks: &'a Blocks,
    spent: &'a std::sync::mpsc::Receiver<Vec<u8>>,
    sent: usize,
}

impl Outbox<'_> {
    /// An empty buffer for a block: one the parsers are done with, or a new one.
    fn buffer(&self) -> Vec<u8> {
        let mut block = self
            .spent
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(2 * LINES_BLOCK));
        block.clear();
        block
    }

    /// Sends `block`, whose first record is number `first`, unless it is empty; false
    /// when nobody receives blocks any more.
    fn send(&mut self, first: u64, block: Vec<u8>) -> bool {
        if block.is_empty() {
            return true;
        }
        self.sent += 1;
        self.blocks.send((self.sent - 1, first, block)).is_ok()
    }
}

/// Why a file could not be cut into records: the place, if known, and the reason.
type Unsplittable = (Option<String>, String);

fn io_error(e: std::io::Error) -> Unsplittable {
    (None, format!("cannot read: {e}"))
}

/// Reads `input` in blocks of whole lines; stops early when nobody receives them, and
/// with an error at a line longer than `max` bytes.
fn read_lines(mut input: Input<'_>, mut out: Outbox<'_>, max: usize) -> Result<(), Unsplittable> {
    let mut next_line = 1u64;
    let mut carry = Vec::new();
    loop {
        let mut block = out.buffer();
        block.append(&mut carry);
        let mut end = false;
        // The carry holds no line break: only what is read now can.
        let mut broken = false;
        loop {
            let before = block.len();
            // Straight into the block, past the reader's own buffer where it can.
            let got = (&mut input)
                .take(LINES_BLOCK as u64)
                .read_to_end(&mut block)
                .map_err(io_error)?;
            if got == 0 {
                end = true;
                break;
            }
            broken |= memchr::memchr(b'\n', &block[before..]).is_some();
            if !broken && block.len() > max {
                return Err(too_long(Split::Lines.place(next_line), max));
            }
            if block.len() >= LINES_BLOCK && broken {
                break;
            }
        }
        if !end && let Some(at) = memchr::memrchr(b'\n', &block) {
            carry.extend_from_slice(&block[at + 1..]);
            block.truncate(at + 1);
        }
        // Lines, each within the limit (the last may have no line break).
        let (mut lines, mut start) = (0u64, 0usize);
        for at in memchr::memchr_iter(b'\n', &block).chain([block.len()]) {
            if at - start > max {
                return Err(too_long(Split::Lines.place(next_line + lines), max));
            }
            lines += 1;
            start = at + 1;
        }
        lines -= 1;
        if !out.send(next_line, block) {
            return Ok(());
        }
        next_line += lines;
        if end {
            return Ok(());
        }
    }
}

/// Reads the elements of a JSON array (`input` starts after its `[`) in blocks of
/// whole elements, one a line: the line breaks within an element, white space in JSON,
/// become spaces. Whatever follows the array's `]` is not read. Stops early when
/// nobody receives the blocks. One scanning loop over the bytes, kept whole: its
/// states (in a string, escaped, depth) are what the loop is about.
fn read_elements(
    mut input: Input<'_>,
    mut out: Outbox<'_>,
    max: usize,
) -> Result<(), Unsplittable> {
    // Long: one scanning loop over the bytes, kept whole: its states (in a string,
    // escaped, depth) are what the loop is about.
    let mut done = 0u64; // elements complete
    let mut pending = 0usize; // bytes of the element under way copied into the block
    let mut first = 1u64; // the first element of the block being filled
    let mut block = out.buffer();
    // Where the scan stands: nesting within the element, and inside a string.
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    loop {
        let buf = input.fill_buf().map_err(io_error)?;
        if buf.is_empty() {
            let place = Some(format!("record {}", done + 1));
            return Err((place, "the JSON ends before its array of records".into()));
        }
        let len = buf.len();
        // The part of `buf` inside an element, still to be copied into the block.
        let mut from = (depth > 0).then_some(0);
        let mut closed = false;
        for (i, &b) in buf.iter().enumerate() {
            if depth == 0 {
                match b {
                    b'{' => {
                        depth = 1;
                        from = Some(i);
                    }
                    b']' => {
                        closed = true;
                        break;
                    }
                    b',' => {}
                    b if b.is_ascii_whitespace() => {}
                    _ => {
                        let place = Some(format!("record {}", done + 1));
                        return Err((place, "not a JSON object".into()));
                    }
                }
                continue;
            }
            if in_string {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_string = false;
                }
                continue;
            }
            match b {
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        copy_element(&mut block, &buf[from.unwrap_or(0)..=i]);
                        block.push(b'\n');
                        from = None;
                        pending = 0;
                        done += 1;
                        if block.len() >= LINES_BLOCK {
                            let full = std::mem::replace(&mut block, out.buffer());
                            if !out.send(first, full) {
                                return Ok(());
                            }
                            first = done + 1;
                        }
                    }
                }
                _ => {}
            }
        }
        if let Some(at) = from {
            copy_element(&mut block, &buf[at..]);
            pending += len - at;
            if pending > max {
                return Err(too_long(Split::Array.place(done + 1), max));
            }
        }
        input.consume(len);
        if closed {
            out.send(first, block);
            return Ok(());
        }
    }
}

/// A record longer than the limit.
fn too_long(place: String, max: usize) -> Unsplittable {
    (
        Some(place),
        format!("a record longer than {max} bytes (the limit; --max-record-bytes sets another)"),
    )
}

/// Appends part of an element to a block, its line breaks made spaces.
fn copy_element(block: &mut Vec<u8>, part: &[u8]) {
    let at = block.len();
    block.extend_from_slice(part);
    for b in &mut block[at..] {
        if *b == b'\n' || *b == b'\r' {
            *b = b' ';
        }
    }
}

/// Bytes of records (NDJSON lines or array elements) a thread parses at a time.
const LINES_BLOCK: usize = 1 << 20;

/// What records are read from: a file, decompressed text or a part of a message.
type Input<'a> = Box<dyn BufRead + Send + 'a>;

/// The lines of a block, parsed: each line's number with its record, or why it is not
/// JSON; the names are the block's own.
struct ParsedLines {
    names: Names,
    lines: Vec<(u64, Result<Item, String>)>,
}

/// Parses the lines of `block`, the first of them line `first`; blank lines are skipped.
fn parse_lines(first: u64, block: &[u8]) -> ParsedLines {
    let mut names = Names::default();
    let mut lines = Vec::with_capacity(block.len() / 512);
    for (i, line) in block.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let outcome = serde_json::from_slice::<Raw<'_>>(line)
            .map(|raw| raw.into_item(&mut names))
            .map_err(|e| json_reason(&e));
        lines.push((first + i as u64, outcome));
    }
    ParsedLines { names, lines }
}

/// Where the array of `{"records": [...]}` starts, just past its `[`, when `buf` begins
/// with it: an object whose first key is `records`.
fn records_array(buf: &[u8]) -> Option<usize> {
    let rest = buf.strip_prefix(b"{")?.trim_ascii_start();
    let rest = rest.strip_prefix(b"\"records\"")?.trim_ascii_start();
    let rest = rest.strip_prefix(b":")?.trim_ascii_start();
    let rest = rest.strip_prefix(b"[")?;
    Some(buf.len() - rest.len())
}

fn json_reason(e: &serde_json::Error) -> String {
    match e.classify() {
        serde_json::error::Category::Data => format!("not a record: {e}"),
        serde_json::error::Category::Eof => format!("the JSON ends early: {e}"),
        _ => format!("not JSON: {e}"),
    }
}

/// A JSON value as it came, read leniently ([`Raw`]'s fields).
#[derive(Debug)]
enum Field<'a> {
    Text(Cow<'a, str>),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// An array or an object.
    Nested,
}

impl<'de: 'a, 'a> Deserialize<'de> for Field<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Field<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Field<'de>, E> {
                Ok(Field::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Field<'de>, E> {
                Ok(Field::Text(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Field<'de>, E> {
                Ok(Field::Text(Cow::Owned(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Field<'de>, E> {
                Ok(Field::Int(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Field<'de>, E> {
                Ok(i64::try_from(v).map_or(Field::Float(v as f64), Field::Int))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Field<'de>, E> {
                Ok(Field::Float(v))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Field<'de>, E> {
                Ok(Field::Bool(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Field<'de>, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Field::Nested)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Field<'de>, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Field::Nested)
            }
        }
        d.deserialize_any(V)
    }
}

/// The fields of a record that appraise uses, under their current and legacy names.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw<'a> {
    #[serde(borrow)]
    security_server_type: Option<Field<'a>>,
    #[serde(borrow)]
    x_request_id: Option<Field<'a>>,
    #[serde(borrow)]
    message_id: Option<Field<'a>>,
    #[serde(borrow)]
    client_x_road_instance: Option<Field<'a>>,
    #[serde(borrow)]
    client_member_class: Option<Field<'a>>,
    #[serde(borrow)]
    client_member_code: Option<Field<'a>>,
    #[serde(borrow)]
    client_subsystem_code: Option<Field<'a>>,
    #[serde(borrow)]
    service_x_road_instance: Option<Field<'a>>,
    #[serde(borrow)]
    service_member_class: Option<Field<'a>>,
    #[serde(borrow)]
    service_member_code: Option<Field<'a>>,
    #[serde(borrow)]
    service_subsystem_code: Option<Field<'a>>,
    #[serde(borrow)]
    service_code: Option<Field<'a>>,
    #[serde(borrow)]
    service_version: Option<Field<'a>>,
    #[serde(borrow)]
    request_in_ts: Option<Field<'a>>,
    #[serde(borrow)]
    request_out_ts: Option<Field<'a>>,
    #[serde(borrow)]
    response_in_ts: Option<Field<'a>>,
    #[serde(borrow)]
    response_out_ts: Option<Field<'a>>,
    #[serde(borrow)]
    request_mime_size: Option<Field<'a>>,
    #[serde(borrow)]
    request_size: Option<Field<'a>>,
    #[serde(borrow)]
    request_soap_size: Option<Field<'a>>,
    #[serde(borrow)]
    request_rest_size: Option<Field<'a>>,
    #[serde(borrow)]
    response_mime_size: Option<Field<'a>>,
    #[serde(borrow)]
    response_size: Option<Field<'a>>,
    #[serde(borrow)]
    response_soap_size: Option<Field<'a>>,
    #[serde(borrow)]
    response_rest_size: Option<Field<'a>>,
    #[serde(borrow)]
    succeeded: Option<Field<'a>>,
}

/// Why a field did not read.
type Bad = Rejection;

fn bad(reason: Reason, column: &'static str, detail: String) -> Bad {
    Rejection {
        reason,
        column: Some(column),
        detail,
    }
}

/// A text field; empty is absent. A number is taken as its digits.
fn text<'f>(f: &'f Option<Field<'_>>, column: &'static str) -> Result<Option<Cow<'f, str>>, Bad> {
    match f {
        None => Ok(None),
        Some(Field::Text(s)) if s.is_empty() => Ok(None),
        Some(Field::Text(s)) => Ok(Some(Cow::Borrowed(s.as_ref()))),
        Some(Field::Int(i)) => Ok(Some(Cow::Owned(i.to_string()))),
        Some(other) => Err(bad(
            Reason::MalformedJson,
            column,
            format!("{column} is {}, not text", kind(other)),
        )),
    }
}

/// A whole number: a JSON integer, a float without a fraction, or digits as text.
fn int(f: &Option<Field<'_>>, column: &'static str) -> Result<Option<i64>, Bad> {
    let fail = |what: String| {
        Err(bad(
            Reason::InvalidInteger,
            column,
            format!("{column} is {what}, not a whole number"),
        ))
    };
    match f {
        None => Ok(None),
        Some(Field::Int(i)) => Ok(Some(*i)),
        Some(Field::Float(x)) if x.fract() == 0.0 && x.abs() < 9.0e15 => Ok(Some(*x as i64)),
        Some(Field::Float(x)) => fail(x.to_string()),
        Some(Field::Text(s)) if s.trim().is_empty() => Ok(None),
        Some(Field::Text(s)) => match s.trim().parse::<i64>() {
            Ok(i) => Ok(Some(i)),
            Err(_) => fail(format!("{s:?}")),
        },
        Some(other) => fail(kind(other).into()),
    }
}

/// A message's size: the MIME size, else the plain size, else SOAP and REST summed.
fn size(fields: [&Option<Field<'_>>; 4], names: [&'static str; 4]) -> Result<Option<i64>, Bad> {
    let [mime, plain, soap, rest] = [0, 1, 2, 3].map(|i| int(fields[i], names[i]));
    let (mime, plain, soap, rest) = (mime?, plain?, soap?, rest?);
    Ok(mime.or(plain).or(match (soap, rest) {
        (None, None) => None,
        (s, r) => Some(s.unwrap_or(0) + r.unwrap_or(0)),
    }))
}

fn kind(f: &Field<'_>) -> &'static str {
    match f {
        Field::Text(_) => "text",
        Field::Int(_) | Field::Float(_) => "a number",
        Field::Bool(_) => "true or false",
        Field::Nested => "an array or object",
    }
}

impl Raw<'_> {
    fn into_item(self, names: &mut Names) -> Item {
        match self.record(names) {
            Ok(r) => Item::Record(r),
            Err(r) => Item::Unusable(r),
        }
    }

    fn record(&self, names: &mut Names) -> Result<Record, Bad> {
        let side = self.side()?;
        let client = self.member(
            names,
            [
                (&self.client_x_road_instance, "clientXRoadInstance"),
                (&self.client_member_class, "clientMemberClass"),
                (&self.client_member_code, "clientMemberCode"),
                (&self.client_subsystem_code, "clientSubsystemCode"),
            ],
        )?;
        let provider = self.member(
            names,
            [
                (&self.service_x_road_instance, "serviceXRoadInstance"),
                (&self.service_member_class, "serviceMemberClass"),
                (&self.service_member_code, "serviceMemberCode"),
                (&self.service_subsystem_code, "serviceSubsystemCode"),
            ],
        )?;
        let service = match provider {
            None => None,
            Some(p) => {
                let code = text(&self.service_code, "serviceCode")?;
                let version = text(&self.service_version, "serviceVersion")?;
                Some(names.intern_service(
                    p,
                    code.as_deref().unwrap_or(""),
                    version.as_deref().unwrap_or(""),
                ))
            }
        };
        Ok(Record {
            side,
            x_request_id: text(&self.x_request_id, "xRequestId")?.map(|s| s.into()),
            message_id: text(&self.message_id, "messageId")?.map(|s| s.into()),
            client,
            service,
            request_in_ts: int(&self.request_in_ts, "requestInTs")?,
            request_out_ts: int(&self.request_out_ts, "requestOutTs")?,
            response_in_ts: int(&self.response_in_ts, "responseInTs")?,
            response_out_ts: int(&self.response_out_ts, "responseOutTs")?,
            request_size: size(
                [
                    &self.request_mime_size,
                    &self.request_size,
                    &self.request_soap_size,
                    &self.request_rest_size,
                ],
                [
                    "requestMimeSize",
                    "requestSize",
                    "requestSoapSize",
                    "requestRestSize",
                ],
            )?,
            response_size: size(
                [
                    &self.response_mime_size,
                    &self.response_size,
                    &self.response_soap_size,
                    &self.response_rest_size,
                ],
                [
                    "responseMimeSize",
                    "responseSize",
                    "responseSoapSize",
                    "responseRestSize",
                ],
            )?,
            succeeded: self.succeeded()?,
        })
    }

    /// Which security server logged the record.
    fn side(&self) -> Result<Side, Bad> {
        const SIDE: &str = "securityServerType";
        match text(&self.security_server_type, SIDE)?.as_deref() {
            None => Err(bad(
                Reason::MissingRequired,
                SIDE,
                "the record does not say which security server logged it".into(),
            )),
            Some(s) if s.eq_ignore_ascii_case("client") => Ok(Side::Client),
            Some(s) if s.eq_ignore_ascii_case("producer") => Ok(Side::Producer),
            Some(s) => Err(bad(
                Reason::InvalidEnum,
                SIDE,
                format!("{SIDE} is {s:?}; expected Client or Producer"),
            )),
        }
    }

    /// `succeeded`, a boolean or its text.
    fn succeeded(&self) -> Result<Option<bool>, Bad> {
        match &self.succeeded {
            None => Ok(None),
            Some(Field::Bool(b)) => Ok(Some(*b)),
            Some(Field::Text(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Field::Text(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(other) => Err(bad(
                Reason::InvalidBoolean,
                "succeeded",
                format!("succeeded is {}, not true or false", kind(other)),
            )),
        }
    }

    /// A member or subsystem, interned; `None` when instance, class or code is absent.
    fn member(
        &self,
        names: &mut Names,
        fields: [(&Option<Field<'_>>, &'static str); 4],
    ) -> Result<Option<u32>, Bad> {
        let [i, c, m, s] = fields.map(|(f, name)| text(f, name));
        let (Some(i), Some(c), Some(m)) = (i?, c?, m?) else {
            return Ok(None);
        };
        let s = s?;
        Ok(Some(names.intern_member(
            &i,
            &c,
            &m,
            s.as_deref().unwrap_or(""),
        )))
    }
}

/// The body of the first part of a multipart message that is not the SOAP envelope
/// (`text/xml`): the records' attachment. The boundary is the first line.
fn attachment(text: &[u8]) -> Result<&[u8], String> {
    let line_end = text
        .iter()
        .position(|&b| b == b'\n')
        .ok_or("a multipart message without parts")?;
    let boundary = text[..line_end].trim_ascii_end();
    let mut rest = &text[line_end + 1..];
    loop {
        // A part: headers, a blank line, the body, up to the next boundary line.
        let next = find(rest, boundary).ok_or("a multipart part without its end")?;
        let part = &rest[..next];
        let (headers, body) = split_headers(part).ok_or("a multipart part without headers")?;
        let xml = headers.lines().any(|h| {
            let h = h.to_ascii_lowercase();
            h.starts_with("content-type:") && h.contains("xml")
        });
        if !xml {
            return Ok(strip_line_end(body));
        }
        rest = &rest[next + boundary.len()..];
        if rest.starts_with(b"--") {
            return Err("a multipart message without an attachment of records".into());
        }
    }
}

/// Where `boundary` starts a line in `bytes`.
fn find(bytes: &[u8], boundary: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = memchr::memmem::find(&bytes[from..], boundary) {
        let at = from + i;
        if at == 0 || bytes[at - 1] == b'\n' {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// A part's headers (as text) and body, split at the first blank line.
fn split_headers(part: &[u8]) -> Option<(String, &[u8])> {
    let at = memchr::memmem::find(part, b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| memchr::memmem::find(part, b"\n\n").map(|i| (i, 2)))?;
    let headers = String::from_utf8_lossy(&part[..at.0]).into_owned();
    Some((headers, &part[at.0 + at.1..]))
}

/// `body` without the line break that precedes the next boundary.
fn strip_line_end(body: &[u8]) -> &[u8] {
    let body = body.strip_suffix(b"\n").unwrap_or(body);
    body.strip_suffix(b"\r").unwrap_or(body)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    /// Regression (gzip_bomb): a 9 MB gzip of 2 GB of zeros took 2.1 GB of memory and
    /// some 200 s as X-Road input. Text inflated past the cap (200 times the file, and
    /// 1 GiB at least; 1 MiB here) is refused, in time linear in what was read.
    #[test]
    fn a_gzip_that_inflates_past_its_cap_is_refused() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        // Blank lines, which NDJSON skips: only the cap can stop them.
        gz.write_all(&vec![b'\n'; 3 << 20]).unwrap();
        let bytes = gz.finish().unwrap();
        let read = |cap: u64| {
            let mut names = Names::default();
            let mut each = |_: &Names, _: Item, _: u64| Ok(());
            let mut reader = Reader {
                path: Path::new("bomb.ndjson.gz"),
                names: &mut names,
                each: &mut each,
                max_record: 1 << 20,
                max_inflated: cap,
            };
            let input: Input<'_> = Box::new(BufReader::new(std::io::Cursor::new(bytes.clone())));
            reader.container(input, 0)
        };
        let err = read(1 << 20).unwrap_err().to_string();
        assert!(
            err.contains("bomb.ndjson.gz") && err.contains("decompression bomb"),
            "{err}"
        );
        read(4 << 20).unwrap();
    }
}
