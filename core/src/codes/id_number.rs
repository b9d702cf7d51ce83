//! 公民身份号码 — citizen ID numbers after GB 11643-1999.
//!
//! An ID number is personal data: [`IdNumber`]'s `Debug` shows it masked, it has no
//! `Display`, and errors carry only the masked form. [`IdNumber::as_str`] gives the
//! full number where the caller is entitled to it.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize, Serializer};

use super::normalise;
use crate::error::{Error, IdNumberProblem, Parsed, Result, Warning};

/// Warning code for a 15-digit number that was upgraded to 18 digits.
const WARN_UPGRADED: &str = "id_number.upgraded";

/// Weights Wᵢ of the first 17 digits.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character for S mod 11 = 0..=10.
const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
/// Years before this are not taken as a birth date (nobody alive was born then).
const EARLIEST_YEAR: i32 = 1800;

/// Sex (性别) as the ID number encodes it (odd sequence = male).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    /// 男.
    Male,
    /// 女.
    Female,
}

impl Sex {
    /// Reads a GB/T 2261.1 sex code: `"1"` 男 → Male, `"2"` 女 → Female (blanks and
    /// full-width digits tolerated). Anything else, including 0 (unknown) and
    /// 9 (unstated), gives `None`.
    pub fn from_gb2261(code: &str) -> Option<Sex> {
        match normalise(code, true).as_str() {
            "1" => Some(Sex::Male),
            "2" => Some(Sex::Female),
            _ => None,
        }
    }

    /// The GB/T 2261.1 code: `"1"` or `"2"`.
    pub fn gb2261(self) -> &'static str {
        match self {
            Sex::Male => "1",
            Sex::Female => "2",
        }
    }

    /// The Chinese name: 男 or 女.
    pub fn name_zh(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }
}

/// A valid citizen ID number, always in the 18-character form (a 15-digit input is
/// upgraded). Equality, ordering and hashing use the number only.
///
/// Serialises as the 18-character string. `Debug` shows it masked.
#[derive(Clone)]
pub struct IdNumber {
    number: String,
    birth_date: NaiveDate,
    upgraded: bool,
}

/// Masks an ID number for messages and default displays: keeps the first 6 and the
/// last 4 characters and replaces each one between with `*`
/// (`11010519491231002X` → `110105********002X`). Fewer than 11 characters are
/// masked completely (same length, all `*`).
pub fn mask_id_number(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    let n = chars.len();
    if n < 11 {
        return "*".repeat(n);
    }
    let mut out: String = chars[..6].iter().collect();
    out.push_str(&"*".repeat(n - 10));
    out.extend(&chars[n - 4..]);
    out
}

/// The check character for the first 17 digits of an ID number
/// (S = Σ aᵢ·Wᵢ, S mod 11 → `1 0 X 9 8 7 6 5 4 3 2`), or `None` unless `first17` is
/// exactly 17 ASCII digits.
pub fn check_character(first17: &str) -> Option<char> {
    if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    Some(CHECK[(sum % 11) as usize])
}

/// The date of `yyyymmdd` (8 ASCII digits), if it is a calendar date not before 1800.
fn date_of(yyyymmdd: &str) -> Option<NaiveDate> {
    let year: i32 = yyyymmdd.get(0..4)?.parse().ok()?;
    let month: u32 = yyyymmdd.get(4..6)?.parse().ok()?;
    let day: u32 = yyyymmdd.get(6..8)?.parse().ok()?;
    if year < EARLIEST_YEAR {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month, day)
}

impl IdNumber {
    /// Reads a citizen ID number, 18 characters or the 15-digit legacy form.
    ///
    /// Normalisation: blanks removed everywhere (also U+3000), full-width digits and
    /// letters to ASCII, a lowercase `x` to `X`. Then, in this order, the number is
    /// rejected when it is empty; not 15 or 18 characters long; has a character that
    /// is not a digit (`X` only as the 18th); has birth-date digits that are not a
    /// calendar date (years before 1800 count as not a date); has a birth date after
    /// `today`; or (18 characters) has a wrong check character.
    ///
    /// A 15-digit number (YYMMDD birth date, no check character) becomes 18 digits by
    /// inserting `19` before the year and appending the check character; it carries
    /// the warning `id_number.upgraded`. The region code is never checked against a
    /// list: historical codes stay valid.
    ///
    /// # Errors
    /// [`Error::InvalidIdNumber`] with the masked number ([`mask_id_number`] of the
    /// normalised input) and the [`IdNumberProblem`].
    pub fn parse(input: &str, today: NaiveDate) -> Result<Parsed<IdNumber>> {
        let mut norm = normalise(input, true);
        if norm.contains('x') {
            norm = norm.replace('x', "X");
        }
        let fail = |problem: IdNumberProblem| Error::InvalidIdNumber {
            masked: mask_id_number(&norm),
            problem,
        };
        let len = norm.chars().count();
        if len == 0 {
            return Err(fail(IdNumberProblem::Empty));
        }
        if len != 15 && len != 18 {
            return Err(fail(IdNumberProblem::Length(len)));
        }
        for (i, c) in norm.chars().enumerate() {
            let ok = c.is_ascii_digit() || (c == 'X' && len == 18 && i == 17);
            if !ok {
                return Err(fail(IdNumberProblem::Character(i + 1)));
            }
        }
        // From here on the number is ASCII.
        // Room for the check character pushed below.
        let mut first17 = String::with_capacity(18);
        let upgraded = len == 15;
        if upgraded {
            first17.push_str(&norm[..6]);
            first17.push_str("19");
            first17.push_str(&norm[6..15]);
        } else {
            first17.push_str(&norm[..17]);
        }
        let birth_date =
            date_of(&first17[6..14]).ok_or_else(|| fail(IdNumberProblem::BirthDate))?;
        if birth_date > today {
            return Err(fail(IdNumberProblem::BirthDateInFuture));
        }
        let expected = check_character(&first17)
            .ok_or_else(|| Error::Internal("ID number digits vanished".to_owned()))?;
        if !upgraded {
            let found = norm[17..].chars().next().unwrap_or(' ');
            if found != expected {
                return Err(fail(IdNumberProblem::CheckCharacter { expected, found }));
            }
        }
        let mut number = first17;
        number.push(expected);
        let value = IdNumber {
            number,
            birth_date,
            upgraded,
        };
        let warnings = if upgraded {
            vec![Warning::new(
                WARN_UPGRADED,
                "15-digit ID number upgraded to 18 digits",
            )]
        } else {
            Vec::new()
        };
        Ok(Parsed { value, warnings })
    }

    /// The 18-character number.
    pub fn as_str(&self) -> &str {
        &self.number
    }

    /// The 6-digit address code (GB/T 2260, of the registration when the number was
    /// issued; historical codes are kept as they are).
    pub fn region(&self) -> &str {
        &self.number[..6]
    }

    /// The birth date.
    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }

    /// Sex from the 17th digit: odd is male, even is female.
    pub fn sex(&self) -> Sex {
        let digit = self.number.as_bytes().get(16).copied().unwrap_or(b'0');
        if (digit - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// Whether the input was a 15-digit number.
    pub fn upgraded(&self) -> bool {
        self.upgraded
    }

    /// Age in whole years on `date` (0 before the first birthday; 0 for a date before
    /// birth). Someone born on 29 February turns a year older on 1 March in common years.
    pub fn age_on(&self, date: NaiveDate) -> u32 {
        let b = self.birth_date;
        if date < b {
            return 0;
        }
        let mut years = date.year() - b.year();
        if (date.month(), date.day()) < (b.month(), b.day()) {
            years -= 1;
        }
        u32::try_from(years).unwrap_or(0)
    }

    /// The masked number: first 6 + `********` + last 4 (`110105********002X`).
    pub fn masked(&self) -> String {
        mask_id_number(&self.number)
    }
}

impl fmt::Debug for IdNumber {
    /// Shows the masked number only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IdNumber").field(&self.masked()).finish()
    }
}

impl PartialEq for IdNumber {
    fn eq(&self, other: &Self) -> bool {
        self.number == other.number
    }
}

impl Eq for IdNumber {}

impl Hash for IdNumber {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.number.hash(state);
    }
}

impl PartialOrd for IdNumber {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for IdNumber {
    fn cmp(&self, other: &Self) -> Ordering {
        self.number.cmp(&other.number)
    }
}

impl Serialize for IdNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 6, 1).unwrap_or_default()
    }

    fn ok(s: &str) -> Parsed<IdNumber> {
        match IdNumber::parse(s, today()) {
            Ok(p) => p,
            Err(e) => panic!("{s:?}: {e}"),
        }
    }

    fn problem(s: &str) -> (String, IdNumberProblem) {
        match IdNumber::parse(s, today()) {
            Err(Error::InvalidIdNumber { masked, problem }) => (masked, problem),
            other => panic!("{s:?}: {other:?}"),
        }
    }

    #[test]
    fn check_character_values() {
        assert_eq!(check_character("11010519491231002"), Some('X'));
        assert_eq!(check_character("1101051949123100"), None);
        assert_eq!(check_character("1101051949123100X"), None);
        assert_eq!(check_character("１1010519491231002"), None);
    }

    #[test]
    fn valid_example() {
        let p = ok("11010519491231002X");
        assert!(p.warnings.is_empty());
        let id = p.value;
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.region(), "110105");
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap_or_default()
        );
        assert_eq!(id.sex(), Sex::Female);
        assert!(!id.upgraded());
        assert_eq!(id.masked(), "110105********002X");
        assert_eq!(format!("{id:?}"), "IdNumber(\"110105********002X\")");
        assert_eq!(
            serde_json::to_string(&id).ok().as_deref(),
            Some("\"11010519491231002X\"")
        );
        assert_eq!(id.age_on(today()), 75);
        assert_eq!(
            id.age_on(NaiveDate::from_ymd_opt(1950, 12, 30).unwrap_or_default()),
            0
        );
        assert_eq!(
            id.age_on(NaiveDate::from_ymd_opt(1950, 12, 31).unwrap_or_default()),
            1
        );
    }

    #[test]
    fn ledger_spellings() {
        for s in [
            "11010519491231002x",
            " 110105 19491231 002X ",
            "\u{3000}11010519491231002X\u{3000}",
            "１１０１０５１９４９１２３１００２Ｘ",
            "１１０１０５１９４９１２３１００２ｘ",
        ] {
            let p = ok(s);
            assert!(p.warnings.is_empty());
            assert_eq!(p.value.as_str(), "11010519491231002X", "{s:?}");
        }
    }

    #[test]
    fn fifteen_digits_upgrade() {
        let p = ok("110105491231002");
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].code, WARN_UPGRADED);
        assert!(!p.warnings[0].message.contains("110105"));
        let id = p.value;
        assert_eq!(id.as_str(), "11010519491231002X");
        assert!(id.upgraded());
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap_or_default()
        );
        let again = ok(id.as_str());
        assert!(again.warnings.is_empty());
        assert_eq!(again.value, id);
        assert!(!again.value.upgraded());
    }

    #[test]
    fn male_sex() {
        // 17th digit 1 → male.
        let first17 = "11010519800101001";
        let check = check_character(first17).unwrap_or(' ');
        let id = ok(&format!("{first17}{check}")).value;
        assert_eq!(id.sex(), Sex::Male);
    }

    #[test]
    fn each_problem() {
        assert_eq!(problem(""), (String::new(), IdNumberProblem::Empty));
        assert_eq!(problem(" \u{3000} ").1, IdNumberProblem::Empty);
        assert_eq!(problem("1101051949123100").1, IdNumberProblem::Length(16));
        assert_eq!(
            problem("11010519491231002X1").1,
            IdNumberProblem::Length(19)
        );
        assert_eq!(problem("123").0, "***");
        assert_eq!(
            problem("11010519491231002Y").1,
            IdNumberProblem::Character(18)
        );
        assert_eq!(
            problem("1101051949123100X2").1,
            IdNumberProblem::Character(17)
        );
        assert_eq!(problem("11010549123100X").1, IdNumberProblem::Character(15));
        assert_eq!(problem("1a0105491231002").1, IdNumberProblem::Character(2));
        assert_eq!(
            problem("11010519491231002-").1,
            IdNumberProblem::Character(18)
        );
        assert_eq!(problem("11010520240230002X").1, IdNumberProblem::BirthDate);
        assert_eq!(problem("11010519491331002X").1, IdNumberProblem::BirthDate);
        assert_eq!(problem("11010500000101002X").1, IdNumberProblem::BirthDate);
        assert_eq!(problem("110105490230002").1, IdNumberProblem::BirthDate);
        assert_eq!(
            problem("11010520250602002X").1,
            IdNumberProblem::BirthDateInFuture
        );
        assert_eq!(
            problem("110105194912310021"),
            (
                "110105********0021".to_owned(),
                IdNumberProblem::CheckCharacter {
                    expected: 'X',
                    found: '1'
                }
            )
        );
    }

    #[test]
    fn today_is_not_future() {
        let first17 = "32050820250601003";
        let s = format!("{first17}{}", check_character(first17).unwrap_or(' '));
        assert_eq!(ok(&s).value.birth_date(), today());
    }

    #[test]
    fn errors_never_show_the_number() {
        for s in [
            "110105194912310021",
            "11010520240230002X",
            "11010520250602002X",
            "11010519491231002Y",
            "1101051949123100211",
        ] {
            let err = match IdNumber::parse(s, today()) {
                Err(e) => e,
                Ok(p) => panic!("{s} parsed: {p:?}"),
            };
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains(s), "{shown}");
            assert!(!shown.contains(&s[6..14]), "{shown}");
            assert!(shown.contains("110105"), "{shown}");
        }
        let err = IdNumber::parse("110105194912310021", today()).err();
        assert_eq!(
            err.map(|e| e.to_string()).as_deref(),
            Some("invalid citizen ID number 110105********0021: check character is 1, should be X")
        );
    }

    #[test]
    fn masking() {
        assert_eq!(mask_id_number("11010519491231002X"), "110105********002X");
        assert_eq!(mask_id_number("110105491231002"), "110105*****1002");
        assert_eq!(mask_id_number("12345678901"), "123456*8901");
        assert_eq!(mask_id_number("1234567890"), "**********");
        assert_eq!(mask_id_number(""), "");
        assert_eq!(mask_id_number("身份证号码"), "*****");
    }

    #[test]
    fn sex_codes() {
        assert_eq!(Sex::from_gb2261("1"), Some(Sex::Male));
        assert_eq!(Sex::from_gb2261(" ２ "), Some(Sex::Female));
        assert_eq!(Sex::from_gb2261("0"), None);
        assert_eq!(Sex::from_gb2261("9"), None);
        assert_eq!(Sex::Female.gb2261(), "2");
        assert_eq!(Sex::Male.name_zh(), "男");
        assert_eq!(
            serde_json::to_string(&Sex::Male).ok().as_deref(),
            Some("\"male\"")
        );
        assert_eq!(
            serde_json::from_str::<Sex>("\"female\"").ok(),
            Some(Sex::Female)
        );
    }
}
