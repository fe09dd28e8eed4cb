//! Text encodings: UTF-8 (with or without BOM) and GB18030/GBK, detected or declared.
//!
//! Detection reads the start of the file: valid UTF-8 is UTF-8, otherwise text that
//! decodes cleanly as GB18030 is GB18030 (GBK is a subset of it). A declaration that
//! contradicts the bytes is refused instead of producing mojibake: GB18030 declared for a
//! file whose non-ASCII bytes are valid UTF-8, or UTF-8 declared for bytes that are not.
//! Decoding is streamed and strict, so a malformed sequence further in stops the load
//! with its place (its byte offset; in UTF-8 CSV, where the CSV reader checks every
//! record, its line) rather than turning into replacement characters.

use std::io::{self, Read};

use encoding_rs::{DecoderResult, Encoding, GB18030, UTF_8};

/// How much of a file detection looks at.
const SNIFF_BYTES: usize = 64 * 1024;

/// Why a file's encoding was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodingProblem {
    /// What is wrong, in a sentence.
    pub reason: String,
    /// How to fix it.
    pub hint: String,
}

/// Looks an encoding up by a user-given label (`utf-8`, `gb18030`, `gbk`, ...).
pub fn encoding_for_label(label: &str) -> Option<&'static Encoding> {
    Encoding::for_label(label.trim().as_bytes())
}

/// Decides the encoding of `reader`'s text and returns a reader of its UTF-8 form.
///
/// `declared` is the user's `--encoding`, if any. A leading BOM is consumed.
pub(crate) fn utf8_reader<'a, R: Read + 'a>(
    reader: R,
    declared: Option<&'static Encoding>,
) -> Result<(&'static Encoding, Box<dyn Read + 'a>), EncodingProblem> {
    text_reader(reader, declared, true)
}

/// [`utf8_reader`] for a reader that checks UTF-8 itself, as the CSV reader does for
/// every record (naming its line): UTF-8 text, once detected, passes through as it is,
/// without being checked and copied twice.
pub(crate) fn raw_utf8_reader<'a, R: Read + 'a>(
    reader: R,
    declared: Option<&'static Encoding>,
) -> Result<(&'static Encoding, Box<dyn Read + 'a>), EncodingProblem> {
    text_reader(reader, declared, false)
}

fn text_reader<'a, R: Read + 'a>(
    mut reader: R,
    declared: Option<&'static Encoding>,
    check_utf8: bool,
) -> Result<(&'static Encoding, Box<dyn Read + 'a>), EncodingProblem> {
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    (&mut reader)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(|e| EncodingProblem {
            reason: format!("cannot read: {e}"),
            hint: "check that the file is readable".into(),
        })?;
    let complete = head.len() < SNIFF_BYTES;
    let (bom, bom_len) = match Encoding::for_bom(&head) {
        Some((enc, len)) => (Some(enc), len),
        None => (None, 0),
    };
    let encoding = choose(declared, bom, &head[bom_len..], complete)?;
    let head_body = head[bom_len..].to_vec();
    let inner = io::Cursor::new(head_body).chain(reader);
    if encoding == UTF_8 && !check_utf8 {
        return Ok((encoding, Box::new(inner)));
    }
    let decoder = StrictDecoder::new(encoding, inner, bom_len as u64);
    Ok((encoding, Box::new(decoder)))
}

/// The encoding of a text: the one `declared` (`--encoding`), the byte-order mark's,
/// or detected from `body`, a sample of the start (`complete`: the whole text).
fn choose(
    declared: Option<&'static Encoding>,
    bom: Option<&'static Encoding>,
    body: &[u8],
    complete: bool,
) -> Result<&'static Encoding, EncodingProblem> {
    let utf8_ok = utf8_prefix_valid(body, complete);
    let non_ascii = body.iter().any(|b| !b.is_ascii());
    let encoding = match (declared, bom) {
        (_, Some(enc)) if enc != UTF_8 => {
            return Err(EncodingProblem {
                reason: format!("the file starts with a {} byte-order mark", enc.name()),
                hint: "save the file as UTF-8 or GB18030".into(),
            });
        }
        (Some(d), Some(_)) if d != UTF_8 => {
            return Err(EncodingProblem {
                reason: format!(
                    "--encoding {} was given, but the file starts with a UTF-8 byte-order mark",
                    d.name()
                ),
                hint: "drop --encoding, or pass --encoding utf-8".into(),
            });
        }
        (_, Some(_)) => UTF_8,
        (Some(d), None) if d == UTF_8 => UTF_8,
        (Some(d), None) if d == GB18030 || d == encoding_rs::GBK => {
            if utf8_ok && non_ascii {
                return Err(EncodingProblem {
                    reason: format!(
                        "--encoding {} was given, but the text is valid UTF-8; decoding it as {} would garble every non-ASCII character",
                        d.name(),
                        d.name()
                    ),
                    hint: "drop --encoding (it is detected), or pass --encoding utf-8".into(),
                });
            }
            GB18030
        }
        (Some(d), None) => {
            return Err(EncodingProblem {
                reason: format!("unsupported encoding {}", d.name()),
                hint: "use --encoding utf-8 or --encoding gb18030".into(),
            });
        }
        (None, None) if utf8_ok => UTF_8,
        (None, None) => {
            if gb18030_clean(body, complete) && looks_latin1(body) {
                return Err(EncodingProblem {
                    reason: "the text is not UTF-8, and it reads as GB18030 only by chance: its \
                             non-ASCII bytes sit between ASCII letters, as in Latin-1 \
                             (ISO-8859-1, Windows-1252) text"
                        .into(),
                    hint: "save the file as UTF-8 (or, if it really is Chinese text, pass \
                           --encoding gb18030)"
                        .into(),
                });
            }
            if gb18030_clean(body, complete) {
                GB18030
            } else {
                return Err(EncodingProblem {
                    reason: "the text is neither UTF-8 nor GB18030".into(),
                    hint: "save the file as UTF-8, or name its encoding with --encoding".into(),
                });
            }
        }
    };
    Ok(encoding)
}

/// Valid UTF-8, allowing a character cut at the end of an incomplete sample.
fn utf8_prefix_valid(b: &[u8], complete: bool) -> bool {
    match std::str::from_utf8(b) {
        Ok(_) => true,
        Err(e) => !complete && e.error_len().is_none(),
    }
}

/// Whether bytes that decode as GB18030 look more like Latin-1: Chinese text is nearly
/// all GB2312 characters, two bytes each of 0xA1 or above, while a Latin-1 letter is one
/// byte between ASCII ones, which GB18030 reads as a rare character whose second byte
/// is ASCII. More than half the two-byte characters of that kind is taken for Latin-1.
fn looks_latin1(b: &[u8]) -> bool {
    let (mut pairs, mut ascii_trail) = (0usize, 0usize);
    let mut i = 0;
    while i < b.len() {
        let lead = b[i];
        match b.get(i + 1) {
            Some(&t) if (0x81..=0xfe).contains(&lead) && t.is_ascii_digit() => i += 4,
            Some(&t) if (0x81..=0xfe).contains(&lead) => {
                pairs += 1;
                ascii_trail += usize::from(t < 0x80);
                i += 2;
            }
            _ => i += 1,
        }
    }
    pairs > 0 && 2 * ascii_trail > pairs
}

fn gb18030_clean(b: &[u8], complete: bool) -> bool {
    let mut decoder = GB18030.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(b.len() * 2);
    let (result, _) = decoder.decode_to_string_without_replacement(b, &mut out, complete);
    matches!(result, DecoderResult::InputEmpty)
}

/// A `Read` of UTF-8 produced by strictly decoding another `Read`.
///
/// A malformed byte sequence is an `InvalidData` error naming its byte offset in the
/// original file.
struct StrictDecoder<R> {
    encoding: &'static Encoding,
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    input_start: usize,
    input_end: usize,
    /// Bytes of the original file consumed before `input[0]`.
    offset: u64,
    output: Vec<u8>,
    output_start: usize,
    eof: bool,
    /// The decoder has seen the end of the input and must not be called again.
    finished: bool,
}

impl<R: Read> StrictDecoder<R> {
    fn new(encoding: &'static Encoding, inner: R, offset: u64) -> Self {
        StrictDecoder {
            encoding,
            inner,
            decoder: encoding.new_decoder_without_bom_handling(),
            input: vec![0; 64 * 1024],
            input_start: 0,
            input_end: 0,
            offset,
            output: Vec::with_capacity(128 * 1024),
            output_start: 0,
            eof: false,
            finished: false,
        }
    }

    /// Decodes more input into `output`; returns false at the end of the text.
    fn refill(&mut self) -> io::Result<bool> {
        self.output.clear();
        self.output_start = 0;
        loop {
            if self.finished {
                return Ok(false);
            }
            if self.input_start == self.input_end && !self.eof {
                self.offset += self.input_end as u64;
                self.input_start = 0;
                self.input_end = self.inner.read(&mut self.input)?;
                if self.input_end == 0 {
                    self.eof = true;
                }
            }
            let src = &self.input[self.input_start..self.input_end];
            let room = self
                .decoder
                .max_utf8_buffer_length_without_replacement(src.len())
                .unwrap_or(src.len() * 4)
                .max(16);
            self.output.resize(room, 0);
            let (result, read, written) =
                self.decoder
                    .decode_to_utf8_without_replacement(src, &mut self.output, self.eof);
            self.output.truncate(written);
            self.input_start += read;
            match result {
                DecoderResult::Malformed(bad, _) => {
                    let at = self.offset + self.input_start as u64 - u64::from(bad);
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("byte {at} is not valid {}", self.encoding.name()),
                    ));
                }
                DecoderResult::InputEmpty => self.finished = self.eof,
                DecoderResult::OutputFull => {}
            }
            if !self.output.is_empty() {
                return Ok(true);
            }
        }
    }
}

impl<R: Read> Read for StrictDecoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.output_start == self.output.len() && !self.refill()? {
            return Ok(0);
        }
        let n = buf.len().min(self.output.len() - self.output_start);
        buf[..n].copy_from_slice(&self.output[self.output_start..self.output_start + n]);
        self.output_start += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8], declared: Option<&str>) -> Result<(String, String), String> {
        let declared = declared.map(|l| encoding_for_label(l).unwrap());
        let (enc, mut r) =
            utf8_reader(io::Cursor::new(bytes.to_vec()), declared).map_err(|p| p.reason)?;
        let mut s = String::new();
        r.read_to_string(&mut s).map_err(|e| e.to_string())?;
        Ok((enc.name().to_string(), s))
    }

    fn gb(text: &str) -> Vec<u8> {
        GB18030.encode(text).0.into_owned()
    }

    #[test]
    fn utf8_with_and_without_bom() {
        let text = "dept_id,name\nD01,省发展改革委\n";
        assert_eq!(
            decode(text.as_bytes(), None).unwrap(),
            ("UTF-8".into(), text.into())
        );
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(decode(&bom, None).unwrap().1, text);
    }

    #[test]
    fn gb18030_is_detected_and_decoded() {
        let text = "dept_id,name\nD01,省发展改革委\nD02,南京市数据局\n";
        let (enc, s) = decode(&gb(text), None).unwrap();
        assert_eq!(enc, "gb18030");
        assert_eq!(s, text);
        // GBK declared explicitly reads the same bytes.
        assert_eq!(decode(&gb(text), Some("gbk")).unwrap().1, text);
    }

    #[test]
    fn latin1_text_is_refused_not_read_as_gb18030() {
        // Regression (latin1_read_as_gb18030): "Müller" in Latin-1 decoded cleanly as
        // GB18030 and loaded as mojibake.
        let latin1: Vec<u8> = "dept_id,name\nD01,Müller Straße Amt\nD02,Zürich\n"
            .chars()
            .map(|c| c as u32 as u8)
            .collect();
        let err = decode(&latin1, None).unwrap_err();
        assert!(err.contains("Latin-1"), "{err}");
        // Said to be GB18030, it is read as such: the user decides.
        assert_eq!(decode(&latin1, Some("gb18030")).unwrap().0, "gb18030");
        // Chinese text with a rare character among common ones stays GB18030.
        let text = "dept_id,name\nD01,省发展改革委丂\n";
        assert_eq!(decode(&gb(text), None).unwrap().1, text);
    }

    #[test]
    fn a_contradicting_declaration_is_refused() {
        let text = "dept_id,name\nD01,省发展改革委\n";
        let err = decode(text.as_bytes(), Some("gb18030")).unwrap_err();
        assert!(err.contains("valid UTF-8"), "{err}");
        let err = decode(&gb(text), Some("utf-8")).unwrap_err();
        assert!(err.contains("not valid UTF-8"), "{err}");
    }

    #[test]
    fn reading_past_the_end_keeps_returning_nothing() {
        // Regression: a second read after the end called the finished decoder again.
        let (_, mut r) = utf8_reader(io::Cursor::new(b"no newline".to_vec()), None).unwrap();
        let mut buf = [0u8; 64];
        assert_eq!(r.read(&mut buf).unwrap(), 10);
        assert_eq!(r.read(&mut buf).unwrap(), 0);
        assert_eq!(r.read(&mut buf).unwrap(), 0);
    }

    #[test]
    fn malformed_bytes_past_the_sniffed_head_stop_the_read() {
        let mut bytes = "a,b\n".repeat(SNIFF_BYTES / 4 + 10).into_bytes();
        let at = bytes.len();
        bytes.extend_from_slice(b"x,\xFF\xFE\n");
        let err = decode(&bytes, None).unwrap_err();
        assert!(err.contains(&format!("byte {}", at + 2)), "{err}");
    }
}
