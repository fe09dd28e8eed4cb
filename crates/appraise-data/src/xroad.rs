//! X-Road operational-monitoring records, as a security server hands them out.
//!
//! `getSecurityServerOperationalData` answers with a multipart SOAP message whose
//! attachment is the gzipped JSON `{"records": [...]}`; exports and X-Road Metrics'
//! collectors keep the records as a JSON array, as `{"records": [...]}` or as one
//! record per line (NDJSON), gzipped or not. [`read_records`] takes any of these, as
//! they come, and gives the records as JSON objects.

use std::io::Read;
use std::path::Path;

use serde_json::{Map, Value};

use crate::Error;

/// One operational-monitoring record: its fields as the security server wrote them.
pub type Record = Map<String, Value>;

/// The gzip magic number.
const GZIP: [u8; 2] = [0x1f, 0x8b];

/// Reads the records of `path` (see the module's documentation for the containers).
pub fn read_records(path: &Path) -> Result<Vec<Record>, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    records(path, &bytes, 0)
}

/// The records in `bytes`; `depth` counts the containers opened to reach them.
fn records(path: &Path, bytes: &[u8], depth: usize) -> Result<Vec<Record>, Error> {
    let bad = |place: Option<String>, reason: String| {
        Error::unreadable(
            path,
            place,
            reason,
            Some(
                "X-Road operational-monitoring records are read as a JSON array, \
                 {\"records\": [...]}, one record per line, gzipped or not, or the \
                 security server's multipart answer to getSecurityServerOperationalData"
                    .into(),
            ),
        )
    };
    if depth > 2 {
        return Err(bad(None, "containers nested too deep".into()));
    }
    if bytes.starts_with(&GZIP) {
        let mut text = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes)
            .read_to_end(&mut text)
            .map_err(|e| bad(None, format!("cannot gunzip: {e}")))?;
        return records(path, &text, depth + 1);
    }
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
    let Some(start) = start else {
        return Ok(Vec::new());
    };
    let text = &bytes[start..];
    if text.starts_with(b"--") {
        let body = attachment(text).map_err(|reason| bad(None, reason))?;
        return records(path, body, depth + 1);
    }
    // One JSON value (an array, or an object holding `records`), else NDJSON.
    let mut values = serde_json::Deserializer::from_slice(text).into_iter::<Value>();
    let first = values.next().transpose();
    let rest_is_empty = text[values.byte_offset()..]
        .iter()
        .all(u8::is_ascii_whitespace);
    let items = match first {
        Ok(Some(Value::Array(items))) if rest_is_empty => items,
        Ok(Some(Value::Object(mut o))) if rest_is_empty && o.contains_key("records") => {
            match o.remove("records") {
                Some(Value::Array(items)) => items,
                _ => return Err(bad(None, "\"records\" is not a JSON array".into())),
            }
        }
        _ => {
            return ndjson(text)
                .map_err(|(line, reason)| bad(Some(format!("line {line}")), reason));
        }
    };
    // Each item of the array must be an object.
    items
        .into_iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::Object(o) => Ok(o),
            _ => Err(bad(
                Some(format!("record {}", i + 1)),
                "not a JSON object".into(),
            )),
        })
        .collect()
}

/// One record per line; blank lines are skipped. An error gives its line (from 1).
fn ndjson(text: &[u8]) -> Result<Vec<Record>, (usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Value>(line) {
            Ok(Value::Object(o)) => out.push(o),
            Ok(_) => return Err((i + 1, "not a JSON object".into())),
            Err(e) => return Err((i + 1, format!("not JSON: {e}"))),
        }
    }
    Ok(out)
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

/// How an exchange's records were matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matching {
    /// A Client record and a Producer record of the same exchange.
    Pair,
    /// One half, whose other half is not in the data.
    Orphan,
}

/// One exchange: its Client record (the consumer's security server), its Producer
/// record (the provider's), or both.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exchange {
    /// The Client record.
    pub client: Option<Record>,
    /// The Producer record.
    pub producer: Option<Record>,
}

impl Exchange {
    /// Whether both halves are here.
    pub fn matching(&self) -> Matching {
        if self.client.is_some() && self.producer.is_some() {
            Matching::Pair
        } else {
            Matching::Orphan
        }
    }
}

/// The exchanges of a set of records, and how many records repeated one already taken.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Paired {
    /// Pairs and orphans, in the order their first record came.
    pub exchanges: Vec<Exchange>,
    /// Records that repeated a half already taken (kept once).
    pub duplicates: usize,
}

/// How far apart, in milliseconds, the `requestInTs` of the two halves of an exchange
/// without `xRequestId` may be: the Producer's security server receives the request a
/// network hop after the Client's sent it.
pub const LEGACY_WINDOW_MS: i64 = 60_000;

/// Text of a field, if present and not empty.
fn text<'a>(r: &'a Record, field: &str) -> Option<&'a str> {
    r.get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// A whole number of a field, if present.
fn number(r: &Record, field: &str) -> Option<i64> {
    r.get(field).and_then(Value::as_i64)
}

/// Pairs the Client and Producer records of each exchange: by `xRequestId`, or, in
/// older logs without it, by `messageId` with the same client and service and
/// `requestInTs` within [`LEGACY_WINDOW_MS`]. A record that repeats a half already
/// taken counts as a duplicate; a record with neither id is an orphan of its own.
pub fn pair(records: Vec<Record>) -> Paired {
    use std::collections::HashMap;
    let mut out = Paired::default();
    let mut by_request: HashMap<String, usize> = HashMap::new();
    // messageId and parties → the exchanges holding a half with them.
    let mut by_message: HashMap<String, Vec<usize>> = HashMap::new();
    for r in records {
        let producer = text(&r, "securityServerType") == Some("Producer");
        if let Some(id) = text(&r, "xRequestId") {
            match by_request.get(id) {
                Some(&at) => out.fill(at, r, producer),
                None => {
                    let id = id.to_string();
                    by_request.insert(id, out.start(r, producer));
                }
            }
            continue;
        }
        let Some(key) = legacy_key(&r) else {
            out.start(r, producer);
            continue;
        };
        let at_ms = number(&r, "requestInTs");
        // Exchanges already holding a half with this key, complete or not: a repeat of a
        // half they hold is a duplicate, not a new exchange.
        let known = by_message.entry(key).or_default();
        let found = known.iter().copied().find(|&i| {
            let e = &out.exchanges[i];
            let (mine, other) = if producer {
                (&e.producer, &e.client)
            } else {
                (&e.client, &e.producer)
            };
            let close = |o: &Record| match (at_ms, number(o, "requestInTs")) {
                (Some(a), Some(b)) => (a - b).abs() <= LEGACY_WINDOW_MS,
                _ => false,
            };
            match (mine, other) {
                (Some(m), _) => m == &r,
                (None, Some(o)) => close(o),
                (None, None) => false,
            }
        });
        match found {
            Some(at) => out.fill(at, r, producer),
            None => known.push(out.start(r, producer)),
        }
    }
    out
}

impl Paired {
    /// Starts an exchange with `r`; returns where it is.
    fn start(&mut self, r: Record, producer: bool) -> usize {
        let mut e = Exchange::default();
        *half(&mut e, producer) = Some(r);
        self.exchanges.push(e);
        self.exchanges.len() - 1
    }

    /// Puts `r` into exchange `at`, or counts it a duplicate when that half is taken.
    fn fill(&mut self, at: usize, r: Record, producer: bool) {
        let slot = half(&mut self.exchanges[at], producer);
        if slot.is_some() {
            self.duplicates += 1;
        } else {
            *slot = Some(r);
        }
    }
}

/// The Producer's or the Client's half of `e`.
fn half(e: &mut Exchange, producer: bool) -> &mut Option<Record> {
    if producer {
        &mut e.producer
    } else {
        &mut e.client
    }
}

/// What two halves of an exchange without `xRequestId` share: its `messageId`, client
/// and service.
fn legacy_key(r: &Record) -> Option<String> {
    let id = text(r, "messageId")?;
    let parts = [
        "clientXRoadInstance",
        "clientMemberClass",
        "clientMemberCode",
        "clientSubsystemCode",
        "serviceXRoadInstance",
        "serviceMemberClass",
        "serviceMemberCode",
        "serviceSubsystemCode",
        "serviceCode",
        "serviceVersion",
    ]
    .map(|f| text(r, f).unwrap_or(""));
    Some(format!("{id}\u{1f}{}", parts.join("\u{1f}")))
}

/// The durations (milliseconds) and sizes (bytes) X-Road Metrics derives for an
/// exchange; `None` where a time stamp or size they need is missing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Durations {
    /// Client `responseOutTs` − `requestInTs`: the exchange as its consumer saw it.
    pub total: Option<i64>,
    /// Client `requestOutTs` − `requestInTs`.
    pub client_ss_request: Option<i64>,
    /// Client `responseOutTs` − `responseInTs`.
    pub client_ss_response: Option<i64>,
    /// Client `responseInTs` − `requestOutTs`.
    pub producer_client_view: Option<i64>,
    /// Producer `responseOutTs` − `requestInTs`.
    pub producer_producer_view: Option<i64>,
    /// Producer `requestOutTs` − `requestInTs`.
    pub producer_ss_request: Option<i64>,
    /// Producer `responseOutTs` − `responseInTs`.
    pub producer_ss_response: Option<i64>,
    /// Producer `responseInTs` − `requestOutTs`: the information system's own time.
    pub producer_is: Option<i64>,
    /// Producer `requestInTs` − Client `requestOutTs`.
    pub request_nw: Option<i64>,
    /// Client `responseInTs` − Producer `responseOutTs`.
    pub response_nw: Option<i64>,
    /// Request size on the Client's side (MIME size where recorded).
    pub client_request_size: Option<i64>,
    /// Request size on the Producer's side.
    pub producer_request_size: Option<i64>,
    /// Response size on the Client's side.
    pub client_response_size: Option<i64>,
    /// Response size on the Producer's side.
    pub producer_response_size: Option<i64>,
}

/// A size: the MIME size where recorded, else the message size (current or legacy
/// field names: `requestSize`, or `requestSoapSize` and `requestRestSize`).
fn size(r: &Record, what: &str) -> Option<i64> {
    number(r, &format!("{what}MimeSize"))
        .or_else(|| number(r, &format!("{what}Size")))
        .or_else(|| {
            let soap = number(r, &format!("{what}SoapSize"));
            let rest = number(r, &format!("{what}RestSize"));
            match (soap, rest) {
                (None, None) => None,
                (s, r) => Some(s.unwrap_or(0) + r.unwrap_or(0)),
            }
        })
}

impl Exchange {
    /// The derived durations and sizes.
    pub fn durations(&self) -> Durations {
        let ts = |r: &Option<Record>, f: &str| r.as_ref().and_then(|r| number(r, f));
        let diff = |a: Option<i64>, b: Option<i64>| Some(a? - b?);
        let (c, p) = (&self.client, &self.producer);
        Durations {
            total: diff(ts(c, "responseOutTs"), ts(c, "requestInTs")),
            client_ss_request: diff(ts(c, "requestOutTs"), ts(c, "requestInTs")),
            client_ss_response: diff(ts(c, "responseOutTs"), ts(c, "responseInTs")),
            producer_client_view: diff(ts(c, "responseInTs"), ts(c, "requestOutTs")),
            producer_producer_view: diff(ts(p, "responseOutTs"), ts(p, "requestInTs")),
            producer_ss_request: diff(ts(p, "requestOutTs"), ts(p, "requestInTs")),
            producer_ss_response: diff(ts(p, "responseOutTs"), ts(p, "responseInTs")),
            producer_is: diff(ts(p, "responseInTs"), ts(p, "requestOutTs")),
            request_nw: diff(ts(p, "requestInTs"), ts(c, "requestOutTs")),
            response_nw: diff(ts(c, "responseInTs"), ts(p, "responseOutTs")),
            client_request_size: c.as_ref().and_then(|r| size(r, "request")),
            producer_request_size: p.as_ref().and_then(|r| size(r, "request")),
            client_response_size: c.as_ref().and_then(|r| size(r, "response")),
            producer_response_size: p.as_ref().and_then(|r| size(r, "response")),
        }
    }
}
