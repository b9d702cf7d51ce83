//! Reference codes that ledgers in ethnic-affairs work are full of, each with one
//! tolerant parser:
//!
//! - [`Ethnicity`] — 民族, GB/T 3304-1991 (plus the practice codes 97 其他 and
//!   98 外国血统中国籍人士);
//! - [`IdNumber`] — 公民身份号码, GB 11643-1999 (15-digit legacy numbers are upgraded);
//! - [`DivisionCode`] — 行政区划代码 GB/T 2260 and 统计用区划代码 (6, 9 or 12 digits);
//! - [`CreditCode`] — 统一社会信用代码, GB 32100-2015.
//!
//! Every parser first runs the same normalisation (full-width characters to ASCII,
//! surrounding blanks including U+3000 removed), then returns a [`Parsed`](crate::error::Parsed)
//! value whose warnings say what was accepted but deserves a look. Warning codes are
//! stable: `ethnicity.legacy_name`, `ethnicity.practice_code`, `id_number.upgraded`,
//! `credit_code.check_failed_allowed`.

pub mod credit_code;
pub mod division;
pub mod ethnicity;
pub mod id_number;

pub use credit_code::CreditCode;
pub use division::{DivisionCode, DivisionLevel};
pub use ethnicity::{Ethnicity, EthnicityInfo};
pub use id_number::{mask_id_number, IdNumber, Sex};

/// Whether `c` counts as a blank for the parsers: Unicode white space (this covers
/// U+3000 IDEOGRAPHIC SPACE and U+00A0 NO-BREAK SPACE) plus the invisible characters
/// spreadsheets leave behind (U+200B ZERO WIDTH SPACE, U+FEFF BYTE ORDER MARK).
fn is_blank(c: char) -> bool {
    c.is_whitespace() || c == '\u{200B}' || c == '\u{FEFF}'
}

/// The input with blanks (see [`normalise`]) removed at both ends, otherwise as given.
/// Used to echo an input in an error message.
pub(crate) fn trim_input(input: &str) -> &str {
    input.trim_matches(is_blank)
}

/// The one normalisation every code parser runs first:
///
/// - full-width ASCII forms U+FF01..=U+FF5E become their ASCII characters (`０３` → `03`,
///   `ＨＵ` → `HU`);
/// - U+3000 IDEOGRAPHIC SPACE and U+00A0 NO-BREAK SPACE become a plain space;
/// - blanks are removed at both ends, and everywhere when `remove_inner_space` is true.
///
/// Case is left alone: each parser decides what case means for its code.
pub(crate) fn normalise(input: &str, remove_inner_space: bool) -> String {
    // Printable ASCII (no blanks, no full-width forms) is already normal: the common
    // case, a ledger cell of digits, costs one copy.
    if input.bytes().all(|b| b.is_ascii_graphic()) {
        return input.to_owned();
    }
    let mapped = input.chars().map(|c| match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' | '\u{00A0}' => ' ',
        _ => c,
    });
    if remove_inner_space {
        mapped.filter(|c| !is_blank(*c)).collect()
    } else {
        let s: String = mapped.collect();
        s.trim_matches(is_blank).to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_leaves_printable_ascii_alone() {
        for s in [
            "",
            "110105",
            "1.10105E+17",
            "0512-(65)123456",
            "x~!",
            "A b",
            "\t1",
        ] {
            let slow = |keep: bool| -> String {
                let mapped: String = s.chars().filter(|c| keep || !is_blank(*c)).collect();
                if keep {
                    mapped.trim_matches(is_blank).to_owned()
                } else {
                    mapped
                }
            };
            assert_eq!(normalise(s, true), slow(false), "{s:?}");
            assert_eq!(normalise(s, false), slow(true), "{s:?}");
        }
    }

    #[test]
    fn normalise_full_width_and_blanks() {
        assert_eq!(normalise("\u{3000} ０３\u{3000}", false), "03");
        assert_eq!(normalise("ＡＢ", false), "AB");
        assert_eq!(normalise("\u{FEFF}1101 05\u{00A0}19", true), "11010519");
        assert_eq!(normalise(" Foreign  origin ", false), "Foreign  origin");
        assert_eq!(normalise("ｘ", false), "x");
        assert_eq!(normalise("！～", false), "!~");
        assert_eq!(normalise("", true), "");
        assert_eq!(trim_input("\u{3000}回 族 "), "回 族");
    }
}
