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
                "--input-format xroad reads operational-monitoring records: a JSON array, \
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
    match first {
        Ok(Some(Value::Array(items))) if rest_is_empty => objects(items, |i| {
            bad(
                Some(format!("record {}", i + 1)),
                "not a JSON object".into(),
            )
        }),
        Ok(Some(Value::Object(mut o))) if rest_is_empty && o.contains_key("records") => {
            match o.remove("records") {
                Some(Value::Array(items)) => objects(items, |i| {
                    bad(
                        Some(format!("record {}", i + 1)),
                        "not a JSON object".into(),
                    )
                }),
                _ => Err(bad(None, "\"records\" is not a JSON array".into())),
            }
        }
        _ => ndjson(text).map_err(|(line, reason)| bad(Some(format!("line {line}")), reason)),
    }
}

/// The items of an array, each of which must be an object.
fn objects(items: Vec<Value>, bad: impl Fn(usize) -> Error) -> Result<Vec<Record>, Error> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::Object(o) => Ok(o),
            _ => Err(bad(i)),
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
