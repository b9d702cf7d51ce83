//! Turning a text file's bytes into a `String`: byte-order marks, UTF-8, and GB18030
//! (which also covers GBK and GB2312, the encodings Chinese Excel saves CSV in).

use super::Encoding;
use crate::error::{Error, Result};

/// Decodes `bytes` as `encoding`, returning the text (without a BOM) and the name of the
/// encoding used: `"utf-8"`, `"gb18030"`, `"utf-16le"` or `"utf-16be"`.
///
/// A byte-order mark always wins, whatever was asked for. Otherwise `Auto` takes UTF-8
/// when the bytes are valid UTF-8 and GB18030 when not; an explicit encoding is used as
/// is. Bytes that do not decode are an error naming the first bad row (1-based line).
pub(crate) fn decode(
    bytes: &[u8],
    encoding: Encoding,
    file: &str,
) -> Result<(String, &'static str)> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return utf8(rest, file).map(|s| (s, "utf-8"));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, encoding_rs::UTF_16LE, file).map(|s| (s, "utf-16le"));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, encoding_rs::UTF_16BE, file).map(|s| (s, "utf-16be"));
    }
    match encoding {
        Encoding::Utf8 => utf8(bytes, file).map(|s| (s, "utf-8")),
        Encoding::Gb18030 => gb18030(bytes, file).map(|s| (s, "gb18030")),
        Encoding::Auto => match std::str::from_utf8(bytes) {
            Ok(s) => Ok((s.to_owned(), "utf-8")),
            Err(_) => gb18030(bytes, file)
                .map(|s| (s, "gb18030"))
                .map_err(|e| match e {
                    Error::InvalidArgument { what, reason } => Error::InvalidArgument {
                        what,
                        reason: format!("neither UTF-8 nor GB18030: {reason}"),
                    },
                    other => other,
                }),
        },
    }
}

/// [`decode`] taking the bytes: UTF-8 text becomes the `String` without a copy.
pub(crate) fn decode_owned(
    mut bytes: Vec<u8>,
    encoding: Encoding,
    file: &str,
) -> Result<(String, &'static str)> {
    let utf8_wanted = matches!(encoding, Encoding::Utf8 | Encoding::Auto);
    let has_bom = bytes.starts_with(b"\xEF\xBB\xBF");
    let other_bom = bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF");
    if other_bom || !(has_bom || utf8_wanted) {
        return decode(&bytes, encoding, file);
    }
    if has_bom {
        bytes.drain(..3);
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok((text, "utf-8")),
        // Not UTF-8: the slow path names the row (or tries GB18030).
        Err(e) => {
            let mut bytes = e.into_bytes();
            if has_bom {
                bytes.splice(..0, *b"\xEF\xBB\xBF");
            }
            decode(&bytes, encoding, file)
        }
    }
}

/// The 1-based line of byte offset `at`.
fn line_of(bytes: &[u8], at: usize) -> usize {
    bytes[..at.min(bytes.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

fn bad_row(file: &str, bytes: &[u8], at: usize, name: &str) -> Error {
    Error::invalid(
        format!("{file} encoding"),
        format!("row {} is not valid {name}", line_of(bytes, at)),
    )
}

fn utf8(bytes: &[u8], file: &str) -> Result<String> {
    std::str::from_utf8(bytes)
        .map(str::to_owned)
        .map_err(|e| bad_row(file, bytes, e.valid_up_to(), "UTF-8"))
}

fn gb18030(bytes: &[u8], file: &str) -> Result<String> {
    strict(bytes, encoding_rs::GB18030, file, "GB18030").map(|s| {
        // The GB18030 form of a BOM (84 31 95 33) decodes to U+FEFF.
        s.strip_prefix('\u{FEFF}').map(str::to_owned).unwrap_or(s)
    })
}

fn utf16(bytes: &[u8], enc: &'static encoding_rs::Encoding, file: &str) -> Result<String> {
    strict(bytes, enc, file, enc.name())
}

/// Decodes without replacement; on malformed input, names the row of the first bad byte.
fn strict(
    bytes: &[u8],
    enc: &'static encoding_rs::Encoding,
    file: &str,
    name: &str,
) -> Result<String> {
    let mut decoder = enc.new_decoder_without_bom_handling();
    let capacity = decoder
        .max_utf8_buffer_length_without_replacement(bytes.len())
        .unwrap_or(bytes.len().saturating_mul(3));
    let mut out = String::with_capacity(capacity);
    let mut read_total = 0;
    loop {
        let (result, read) =
            decoder.decode_to_string_without_replacement(&bytes[read_total..], &mut out, true);
        read_total += read;
        match result {
            encoding_rs::DecoderResult::InputEmpty => return Ok(out),
            encoding_rs::DecoderResult::OutputFull => out.reserve(bytes.len() - read_total + 16),
            encoding_rs::DecoderResult::Malformed(bad, extra) => {
                let at = read_total.saturating_sub(usize::from(bad) + usize::from(extra));
                return Err(bad_row(file, bytes, at, name));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn gbk(s: &str) -> Vec<u8> {
        encoding_rs::GB18030.encode(s).0.into_owned()
    }

    #[test]
    fn detects_boms_utf8_and_gb18030() {
        let (s, e) = decode("\u{FEFF}姓名,民族".as_bytes(), Encoding::Auto, "f").unwrap();
        assert_eq!((s.as_str(), e), ("姓名,民族", "utf-8"));
        let (s, e) = decode("姓名".as_bytes(), Encoding::Auto, "f").unwrap();
        assert_eq!((s.as_str(), e), ("姓名", "utf-8"));
        let (s, e) = decode(&gbk("姓名,民族\n张三,回族"), Encoding::Auto, "f").unwrap();
        assert_eq!((s.as_str(), e), ("姓名,民族\n张三,回族", "gb18030"));
        let mut le = vec![0xFF, 0xFE];
        for u in "姓名\n".encode_utf16() {
            le.extend(u.to_le_bytes());
        }
        let (s, e) = decode(&le, Encoding::Gb18030, "f").unwrap();
        assert_eq!((s.as_str(), e), ("姓名\n", "utf-16le"));
        let mut be = vec![0xFE, 0xFF];
        for u in "民族".encode_utf16() {
            be.extend(u.to_be_bytes());
        }
        assert_eq!(decode(&be, Encoding::Auto, "f").unwrap().1, "utf-16be");
    }

    #[test]
    fn explicit_encoding_errors_name_the_row() {
        let bytes = gbk("a\nb\n张三\n");
        let err = decode(&bytes, Encoding::Utf8, "x.csv").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid x.csv encoding: row 3 is not valid UTF-8"
        );
        let mut bad = b"a\nb\nc\n".to_vec();
        bad.extend([0x81, 0x20]);
        let err = decode(&bad, Encoding::Gb18030, "x.csv").unwrap_err();
        assert!(
            err.to_string().contains("row 4 is not valid GB18030"),
            "{err}"
        );
        let err = decode(&bad, Encoding::Auto, "x.csv").unwrap_err();
        assert!(
            err.to_string().contains("neither UTF-8 nor GB18030"),
            "{err}"
        );
        // Explicit GB18030 on GBK bytes.
        let (s, _) = decode(&gbk("回族"), Encoding::Gb18030, "f").unwrap();
        assert_eq!(s, "回族");
    }
}
