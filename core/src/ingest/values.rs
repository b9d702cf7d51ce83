//! Tolerant parsers for the values ledgers hold: dates in every notation staff use
//! (including Excel serial numbers), sexes, population categories, phone numbers, and
//! the recognition of ID numbers that Excel stored as numbers.
//!
//! Problems come back as [`ValueProblem`]s with a stable code and an English and a
//! Chinese message; messages never repeat the value (it may be personal data).

use std::fmt;

use chrono::NaiveDate;
use serde::Serialize;

use crate::codes::id_number::check_character;
use crate::codes::{normalise, Sex};

/// Why a value was not accepted: a stable code and messages in English and Chinese that
/// do not repeat the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValueProblem {
    /// Stable code: `value.empty`, `value.bad_date`, `value.incomplete_date`,
    /// `value.bad_sex`, `value.unknown_sex`, `value.bad_category`, `value.bad_phone`,
    /// `id_number.excel_mangled`.
    pub code: &'static str,
    /// English message.
    pub en: String,
    /// Chinese message.
    pub zh: String,
}

impl ValueProblem {
    fn new(code: &'static str, en: &str, zh: &str) -> ValueProblem {
        ValueProblem {
            code,
            en: en.to_owned(),
            zh: zh.to_owned(),
        }
    }

    /// The problem the register reports for an ID number Excel stored as a number
    /// (see [`excel_mangled_id`]).
    pub fn excel_mangled_id() -> ValueProblem {
        ValueProblem::new(
            "id_number.excel_mangled",
            "the digits were lost when Excel stored the number; re-enter the column as text",
            "身份证号被 Excel 按数字保存，后几位已丢失；请将该列设为文本后重新录入",
        )
    }

    fn empty() -> ValueProblem {
        ValueProblem::new("value.empty", "the value is empty", "未填写")
    }
}

impl fmt::Display for ValueProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en)
    }
}

impl std::error::Error for ValueProblem {}

fn bad_date() -> ValueProblem {
    ValueProblem::new(
        "value.bad_date",
        "not a date; write it as 2024-03-05",
        "不是有效日期，请写成 2024-03-05 的形式",
    )
}

fn no_such_day() -> ValueProblem {
    ValueProblem::new(
        "value.bad_date",
        "there is no such day in the calendar",
        "日历上没有这一天",
    )
}

fn incomplete_date() -> ValueProblem {
    ValueProblem::new(
        "value.incomplete_date",
        "the date lacks the month or the day; write it as 2024-03-05",
        "日期缺少月或日，请写成 2024-03-05 的形式",
    )
}

fn year_last() -> ValueProblem {
    ValueProblem::new(
        "value.bad_date",
        "write the year first, as in 2024-03-05",
        "请把年份写在前面，如 2024-03-05",
    )
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Year (4 digits), month and day (1–2 digits each) to a date.
fn ymd(y: &str, m: &str, d: &str) -> Result<NaiveDate, ValueProblem> {
    if y.len() != 4 || !(1..=2).contains(&m.len()) || !(1..=2).contains(&d.len()) {
        if y.len() <= 2 && d.len() == 4 && digits(y) && digits(m) && digits(d) {
            return Err(year_last());
        }
        return Err(bad_date());
    }
    if !(digits(y) && digits(m) && digits(d)) {
        return Err(bad_date());
    }
    let (y, m, d) = (
        y.parse::<i32>().map_err(|_| bad_date())?,
        m.parse::<u32>().map_err(|_| bad_date())?,
        d.parse::<u32>().map_err(|_| bad_date())?,
    );
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(no_such_day)
}

/// An Excel (1900 system) serial day number to a date. Serial 60 is Excel's
/// non-existent 1900-02-29; serials after it are one day ahead of the calendar.
fn excel_serial(n: u32) -> Result<NaiveDate, ValueProblem> {
    if !(1..=2_958_465).contains(&n) || n == 60 {
        return Err(no_such_day());
    }
    let base = if n < 60 {
        NaiveDate::from_ymd_opt(1899, 12, 31)
    } else {
        NaiveDate::from_ymd_opt(1899, 12, 30)
    };
    base.and_then(|b| b.checked_add_days(chrono::Days::new(u64::from(n))))
        .ok_or_else(no_such_day)
}

/// A serial given as digits; 4-digit numbers that read as a year are a bare year.
fn serial_digits(s: &str) -> Result<NaiveDate, ValueProblem> {
    if s.len() == 4 && matches!(s.parse::<u32>(), Ok(1800..=2100)) {
        return Err(incomplete_date());
    }
    excel_serial(s.parse::<u32>().map_err(|_| bad_date())?)
}

/// Removes a trailing time of day (` 08:30`, `T00:00:00`, ` 0:00:00.000`), which
/// spreadsheets add to dates; `None` when what follows the date is not a time.
fn strip_time(s: &str) -> Option<&str> {
    let Some(colon) = s.find(':') else {
        return Some(s);
    };
    let cut = s[..colon].rfind([' ', 'T'])?;
    let time = &s[cut + 1..];
    let in_range = |part: Option<&str>, max: u32| {
        part.is_some_and(|p| p.len() <= 2 && digits(p) && p.parse::<u32>().is_ok_and(|v| v <= max))
    };
    let mut parts = time.split(':');
    let ok = in_range(parts.next(), 23)
        && in_range(parts.next(), 59)
        && parts.next().is_none_or(|sec| {
            let (whole, frac) = sec.split_once('.').unwrap_or((sec, "0"));
            in_range(Some(whole), 60) && digits(frac)
        })
        && parts.next().is_none();
    ok.then(|| s[..cut].trim_end())
}

/// Reads a date written in any of the notations ledgers use:
/// `2024-03-05`, `2024/3/5`, `2024.3.5`, `20240305`, `2024年3月5日` (or `…号`), with
/// surrounding or inner blanks, full-width digits, and a trailing time of day;
/// also Excel serial day numbers (`45356` or `45356.0` → 2024-03-05), given as at most
/// five digits (eight digits are always `YYYYMMDD`).
///
/// # Errors
/// `value.empty`; `value.bad_date` for what is not a date or not a calendar day
/// (`2024-02-30`, Excel's phantom 1900-02-29) or puts the year last;
/// `value.incomplete_date` for a year alone (`1985`) or a year and month (`2024-03`,
/// `2024年3月`).
pub fn parse_date(input: &str) -> Result<NaiveDate, ValueProblem> {
    iso_date(input).unwrap_or_else(|| any_date(input))
}

/// `2024-03-05` exactly, the notation most ledgers use: what [`any_date`] makes of it,
/// without its copies; `None` for any other notation.
fn iso_date(input: &str) -> Option<Result<NaiveDate, ValueProblem>> {
    let [y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2] = *input.as_bytes() else {
        return None;
    };
    let number = |ds: &[u8]| {
        ds.iter().try_fold(0u16, |n, b| {
            b.is_ascii_digit().then(|| n * 10 + u16::from(b - b'0'))
        })
    };
    let y = number(&[y1, y2, y3, y4])?;
    let m = number(&[m1, m2])?;
    let d = number(&[d1, d2])?;
    Some(NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(d)).ok_or_else(no_such_day))
}

/// [`parse_date`] for every notation.
fn any_date(input: &str) -> Result<NaiveDate, ValueProblem> {
    let s = normalise(input, false);
    if s.is_empty() {
        return Err(ValueProblem::empty());
    }
    let s = strip_time(&s).ok_or_else(bad_date)?;
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if let Some(year_end) = s.find('年') {
        let (y, rest) = (&s[..year_end], &s[year_end + '年'.len_utf8()..]);
        let Some(month_end) = rest.find('月') else {
            return if digits(y) && rest.is_empty() {
                Err(incomplete_date())
            } else {
                Err(bad_date())
            };
        };
        let (m, rest) = (&rest[..month_end], &rest[month_end + '月'.len_utf8()..]);
        if rest.is_empty() && digits(y) && digits(m) {
            return Err(incomplete_date());
        }
        let d = rest
            .strip_suffix('日')
            .or_else(|| rest.strip_suffix('号'))
            .ok_or_else(bad_date)?;
        return ymd(y, m, d);
    }
    if digits(&s) {
        return match s.len() {
            8 => ymd(&s[..4], &s[4..6], &s[6..]),
            6 if matches!(s[4..].parse::<u32>(), Ok(1..=12)) => Err(incomplete_date()),
            1..=5 => serial_digits(&s),
            _ => Err(bad_date()),
        };
    }
    let parts: Vec<&str> = s.split(['-', '/', '.']).collect();
    match parts.as_slice() {
        [y, m, d] => ymd(y, m, d),
        [whole, frac] if s.contains('.') && digits(whole) && digits(frac) => {
            if whole.len() <= 5 && (frac.bytes().all(|b| b == b'0') || whole.len() == 5) {
                serial_digits(whole)
            } else if whole.len() == 4 && frac.len() <= 2 {
                Err(incomplete_date())
            } else {
                Err(bad_date())
            }
        }
        [y, m] if y.len() == 4 && digits(y) && digits(m) && m.len() <= 2 => Err(incomplete_date()),
        _ => Err(bad_date()),
    }
}

/// Reads a sex: 男/女 (also 男性/女性), M/F, male/female, and the GB/T 2261.1 codes
/// 1 (male) and 2 (female); blanks, case and full-width forms are tolerated.
///
/// # Errors
/// `value.unknown_sex` for 0 (未知的性别), 9 (未说明的性别), 未知 and 未说明;
/// `value.bad_sex` for anything else, `value.empty` for nothing.
pub fn parse_sex(input: &str) -> Result<Sex, ValueProblem> {
    match input {
        "男" => return Ok(Sex::Male),
        "女" => return Ok(Sex::Female),
        _ => {}
    }
    let s = normalise(input, true).to_lowercase();
    match s.as_str() {
        "" => Err(ValueProblem::empty()),
        "男" | "男性" | "m" | "male" | "1" => Ok(Sex::Male),
        "女" | "女性" | "f" | "female" | "2" => Ok(Sex::Female),
        "0" | "9" | "未知" | "未说明" | "不详" => Err(ValueProblem::new(
            "value.unknown_sex",
            "the sex is recorded as unknown or unstated",
            "性别为未知或未说明",
        )),
        _ => Err(ValueProblem::new(
            "value.bad_sex",
            "not a sex; write 男 or 女",
            "性别应填写“男”或“女”",
        )),
    }
}

pub use crate::register::Category;

/// Reads a population category: 户籍, 户籍人口, 常住户籍, 本地户籍, registered →
/// Registered; 流动, 流动人口, 外来, 外来人口, 暂住, 暂住人口, 非户籍, migrant → Migrant.
///
/// # Errors
/// `value.bad_category`, or `value.empty`.
pub fn parse_category(input: &str) -> Result<Category, ValueProblem> {
    match input {
        "户籍" => return Ok(Category::Registered),
        "流动" => return Ok(Category::Migrant),
        _ => {}
    }
    let s = normalise(input, true).to_lowercase();
    match s.as_str() {
        "" => Err(ValueProblem::empty()),
        "户籍" | "户籍人口" | "常住户籍" | "本地户籍" | "户籍居民" | "registered" => {
            Ok(Category::Registered)
        }
        "流动" | "流动人口" | "外来" | "外来人口" | "暂住" | "暂住人口" | "非户籍" | "migrant" => {
            Ok(Category::Migrant)
        }
        _ => Err(ValueProblem::new(
            "value.bad_category",
            "not a category; write 户籍 or 流动",
            "人员类别应填写“户籍”或“流动”",
        )),
    }
}

/// Whether an ID-number cell shows the marks of Excel having stored it as a number
/// (Excel keeps 15 significant digits, so the last digits are gone):
/// scientific notation (`1.10105E+17`); 15 or 18 digits followed by `.0`; or 18 digits
/// ending in `000` whose check character is wrong (`110105194912310000`).
pub fn excel_mangled_id(input: &str) -> bool {
    let s = normalise(input, true);
    if let Some((mantissa, exp)) = s.split_once(['e', 'E']) {
        let exp = exp.strip_prefix('+').unwrap_or(exp);
        let mantissa_ok = match mantissa.split_once('.') {
            Some((a, b)) => digits(a) && (b.is_empty() || digits(b)),
            None => digits(mantissa),
        };
        return mantissa_ok && digits(exp);
    }
    if let Some((whole, frac)) = s.split_once('.') {
        return digits(whole)
            && matches!(whole.len(), 15 | 18)
            && !frac.is_empty()
            && frac.bytes().all(|b| b == b'0');
    }
    s.len() == 18
        && digits(&s)
        && s.ends_with("000")
        && check_character(&s[..17]) != s.chars().last()
}

fn bad_phone() -> ValueProblem {
    ValueProblem::new(
        "value.bad_phone",
        "not an 11-digit mobile number or a landline number with its area code (0512-65123456)",
        "应为 11 位手机号码或带区号的固定电话（如 0512-65123456）",
    )
}

/// Reads one phone number: a mobile number (11 digits starting with 1, returned as the
/// digits) or a landline with its area code (3–4 digits starting with 0, then 7–8
/// digits; returned as `0512-65123456`). A `+86`/`0086`/`86` prefix, blanks, hyphens,
/// and brackets around the area code are tolerated; full-width digits too.
///
/// # Errors
/// `value.bad_phone` (also for several numbers in one cell, local numbers without an
/// area code, and numbers Excel turned into `1.38123E+10`), or `value.empty`.
pub fn parse_phone(input: &str) -> Result<String, ValueProblem> {
    let s = normalise(input, true);
    if s.is_empty() {
        return Err(ValueProblem::empty());
    }
    let s = s
        .strip_prefix("+86")
        .or_else(|| s.strip_prefix("0086"))
        .map(|r| r.trim_start_matches('-'))
        .unwrap_or(&s);
    if !s
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '-' | '(' | ')'))
    {
        return Err(bad_phone());
    }
    let all: String = s.chars().filter(char::is_ascii_digit).collect();
    let mobile = |d: &str| d.len() == 11 && d.starts_with('1') && !d.starts_with("10");
    if mobile(&all) {
        return Ok(all);
    }
    if let Some(rest) = all.strip_prefix("86").filter(|r| mobile(r)) {
        return Ok(rest.to_owned());
    }
    if !all.starts_with('0') {
        return Err(bad_phone());
    }
    // The area code: as separated in the input, else 3 digits for 010 and 02x, else 4.
    let written = s
        .trim_start_matches('(')
        .split([')', '-'])
        .next()
        .filter(|a| a.len() < all.len());
    let area_len = match written {
        Some(a) => a.len(),
        None if all.starts_with("01") || all.starts_with("02") => 3,
        None => 4,
    };
    let (area, number) = all.split_at(area_len.min(all.len()));
    if !(3..=4).contains(&area.len()) || !(7..=8).contains(&number.len()) {
        return Err(bad_phone());
    }
    Ok(format!("{area}-{number}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn dates_in_every_notation() {
        let want = d(2024, 3, 5);
        for s in [
            "2024-03-05",
            "2024-3-5",
            "2024/3/5",
            "2024/03/05",
            "2024.3.5",
            "20240305",
            "2024年3月5日",
            "2024年03月05日",
            "2024年3月5号",
            " 2024 年 3 月 5 日 ",
            "\u{3000}２０２４－０３－０５\u{3000}",
            "２０２４年３月５日",
            "2024-03-05 00:00:00",
            "2024/3/5 8:30",
            "2024-03-05T00:00:00",
            "45356",
            "45356.0",
            "45356.5",
        ] {
            assert_eq!(parse_date(s), Ok(want), "{s:?}");
        }
        assert_eq!(parse_date("19491231"), Ok(d(1949, 12, 31)));
        assert_eq!(parse_date("59"), Ok(d(1900, 2, 28)));
        assert_eq!(parse_date("61"), Ok(d(1900, 3, 1)));
        assert_eq!(parse_date("1"), Ok(d(1900, 1, 1)));
        assert_eq!(parse_date("2958465"), Err(bad_date()));
    }

    #[test]
    fn iso_dates_read_as_every_notation_does() {
        let mut n = 0;
        for y in [
            "0000", "0001", "1799", "1900", "1949", "2000", "2023", "2024", "9999",
        ] {
            for m in ["00", "01", "02", "09", "12", "13", "99"] {
                for d in ["00", "01", "28", "29", "30", "31", "32"] {
                    let s = format!("{y}-{m}-{d}");
                    assert!(iso_date(&s).is_some(), "{s}");
                    assert_eq!(parse_date(&s), any_date(&s), "{s}");
                    n += 1;
                }
            }
        }
        assert_eq!(n, 441);
        for s in [
            "2024-3-05",
            "2024/03/05",
            "2024-03-0x",
            "+024-03-05",
            "２024-03-05",
        ] {
            assert!(iso_date(s).is_none(), "{s}");
        }
    }

    #[test]
    fn dates_rejected() {
        for (s, code) in [
            ("2024-02-30", "value.bad_date"),
            ("2023年2月29日", "value.bad_date"),
            ("20240230", "value.bad_date"),
            ("60", "value.bad_date"),
            ("0", "value.bad_date"),
            ("5/3/2024", "value.bad_date"),
            ("2024-03-05 25:99", "value.bad_date"),
            ("2024-3-5-1", "value.bad_date"),
            ("yesterday", "value.bad_date"),
            ("1.10105E+17", "value.bad_date"),
            ("", "value.empty"),
            ("1985", "value.incomplete_date"),
            ("2024-03", "value.incomplete_date"),
            ("2024.3", "value.incomplete_date"),
            ("202403", "value.incomplete_date"),
            ("2024年3月", "value.incomplete_date"),
            ("2024年", "value.incomplete_date"),
        ] {
            assert_eq!(parse_date(s).map_err(|p| p.code), Err(code), "{s:?}");
        }
        let p = parse_date("1990-02-30").unwrap_err();
        assert!(!p.en.contains("1990") && !p.zh.contains("1990"));
    }

    #[test]
    fn sexes() {
        for s in ["男", "男性", "M", "m", "male", "Male", "1", "１", " 男 "] {
            assert_eq!(parse_sex(s), Ok(Sex::Male), "{s}");
        }
        for s in ["女", "F", "f", "female", "2", "Ｆ"] {
            assert_eq!(parse_sex(s), Ok(Sex::Female), "{s}");
        }
        for s in ["0", "9", "未知"] {
            assert_eq!(parse_sex(s).unwrap_err().code, "value.unknown_sex");
        }
        assert_eq!(parse_sex("x").unwrap_err().code, "value.bad_sex");
        assert_eq!(parse_sex(" ").unwrap_err().code, "value.empty");
    }

    #[test]
    fn categories() {
        for s in ["户籍", "户籍人口", "常住户籍", "registered", "Registered"] {
            assert_eq!(parse_category(s), Ok(Category::Registered), "{s}");
        }
        for s in ["流动", "流动人口", "外来", "暂住", "migrant", " 流 动 "] {
            assert_eq!(parse_category(s), Ok(Category::Migrant), "{s}");
        }
        assert_eq!(
            parse_category("其他").unwrap_err().code,
            "value.bad_category"
        );
        assert_eq!(Category::Migrant.name_zh(), "流动");
        assert_eq!(
            serde_json::from_str::<Category>("\"户籍\"").unwrap(),
            Category::Registered
        );
        assert_eq!(
            serde_json::to_string(&Category::Registered).unwrap(),
            "\"registered\""
        );
    }

    #[test]
    fn phones() {
        for (s, want) in [
            ("13812345678", "13812345678"),
            ("138 1234 5678", "13812345678"),
            ("138-1234-5678", "13812345678"),
            ("+86 138 1234 5678", "13812345678"),
            ("+86-13812345678", "13812345678"),
            ("008613812345678", "13812345678"),
            ("8613812345678", "13812345678"),
            ("１３８１２３４５６７８", "13812345678"),
            ("0512-65123456", "0512-65123456"),
            ("(0512)65123456", "0512-65123456"),
            ("051265123456", "0512-65123456"),
            ("010-6512345", "010-6512345"),
            ("01065123456", "010-65123456"),
            ("021 65123456", "021-65123456"),
            ("+86 0512 65123456", "0512-65123456"),
        ] {
            assert_eq!(parse_phone(s).as_deref(), Ok(want), "{s}");
        }
        for s in [
            "65123456",
            "1381234567",
            "138123456789",
            "1.38123E+10",
            "13812345678/13912345678",
            "0512-123",
            "10086123456",
            "电话",
        ] {
            assert_eq!(parse_phone(s).unwrap_err().code, "value.bad_phone", "{s}");
        }
        assert_eq!(parse_phone("").unwrap_err().code, "value.empty");
    }

    #[test]
    fn mangled_ids() {
        for s in [
            "1.10105E+17",
            "1.10105e17",
            "1.1010519491231E+17",
            "110105194912310000",
            "110105194912310000.0",
            "110105491231002.0",
            " 1.10105E+17 ",
        ] {
            assert!(excel_mangled_id(s), "{s}");
        }
        for s in [
            "11010519491231002X",
            "110105491231002",
            "",
            "abc",
            "1.5",
            "45356.0",
            "e17",
        ] {
            assert!(!excel_mangled_id(s), "{s}");
        }
        // An 18-digit number ending in 000 whose check character is right is not mangled.
        let first17 = "11010519491231000";
        let check = check_character(first17).unwrap();
        if check == '0' {
            assert!(!excel_mangled_id(&format!("{first17}{check}")));
        }
        assert_eq!(
            ValueProblem::excel_mangled_id().code,
            "id_number.excel_mangled"
        );
    }
}
