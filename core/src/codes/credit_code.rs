//! 统一社会信用代码 — unified social credit codes after GB 32100-2015, for the
//! organisations a unit works with (an organisation's code is public, not personal data).

use std::fmt;

use serde::{Serialize, Serializer};

use super::{normalise, trim_input};
use crate::error::{Error, Parsed, Result, Warning};

/// Warning code for a code whose check character is wrong but which the caller listed
/// as known and legal (early pilot codes).
const WARN_CHECK_ALLOWED: &str = "credit_code.check_failed_allowed";

/// The 31 characters of the code, in value order (no I, O, Z, S, V).
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Weights 3ⁱ mod 31 of the first 17 characters.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// The value 0..=30 of a code character, or `None` when it is not in the alphabet.
fn char_value(c: char) -> Option<u32> {
    let c = u8::try_from(c).ok()?;
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// The check character for the first 17 characters of a credit code
/// (`ALPHABET[(31 − Σ vᵢ·3ⁱ mod 31) mod 31]`), or `None` unless `first17` is exactly 17
/// characters of the alphabet `0-9A-Z` without I, O, Z, S, V (upper case).
pub fn check_character(first17: &str) -> Option<char> {
    if first17.chars().count() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in first17.chars().zip(WEIGHTS) {
        sum += char_value(c)? * w;
    }
    let index = (31 - sum % 31) % 31;
    Some(char::from(ALPHABET[index as usize]))
}

/// A unified social credit code: 18 characters from `0-9A-Z` without I, O, Z, S, V.
///
/// Serialises as the 18-character string.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct CreditCode(String);

impl CreditCode {
    /// Reads a credit code: blanks removed, full-width characters to ASCII, upper case;
    /// then 18 characters, each in the alphabet, with the right check character.
    ///
    /// Some early pilot codes fail the check and are still legal: a code with a wrong
    /// check character is accepted when its normalised form equals the normalised form
    /// of an entry of `allow`, with the warning `credit_code.check_failed_allowed`
    /// naming the expected character — never silently.
    ///
    /// # Errors
    /// [`Error::InvalidCreditCode`] with the trimmed input and a reason such as
    /// `check character is L, should be M`.
    pub fn parse(input: &str, allow: &[&str]) -> Result<Parsed<CreditCode>> {
        let fail = |reason: String| Error::InvalidCreditCode {
            input: trim_input(input).to_owned(),
            reason,
        };
        let norm = normalise_code(input);
        let len = norm.chars().count();
        if len != 18 {
            return Err(fail(format!("it has {len} characters, not 18")));
        }
        if let Some(pos) = norm.chars().position(|c| char_value(c).is_none()) {
            return Err(fail(format!(
                "character {} is not allowed (0-9 and A-Z without I, O, Z, S, V)",
                pos + 1
            )));
        }
        // From here on the code is ASCII.
        let expected = check_character(&norm[..17])
            .ok_or_else(|| Error::Internal("credit code characters vanished".to_owned()))?;
        let found = norm[17..].chars().next().unwrap_or(' ');
        if found == expected {
            return Ok(Parsed::clean(CreditCode(norm)));
        }
        let problem = format!("check character is {found}, should be {expected}");
        if allow.iter().any(|a| normalise_code(a) == norm) {
            Ok(Parsed {
                value: CreditCode(norm),
                warnings: vec![Warning::new(
                    WARN_CHECK_ALLOWED,
                    format!("{problem}; accepted because the code is on the allow list"),
                )],
            })
        } else {
            Err(fail(problem))
        }
    }

    /// The 18-character code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The registration authority (登记管理部门代码), 1st character: `1` 机构编制,
    /// `5` 民政, `9` 工商 …
    pub fn registration_authority(&self) -> char {
        self.0.chars().next().unwrap_or(' ')
    }

    /// The organisation type (机构类别代码), 2nd character.
    pub fn organisation_type(&self) -> char {
        self.0.chars().nth(1).unwrap_or(' ')
    }

    /// The division code of the registering authority (登记管理机关行政区划码),
    /// characters 3-8.
    pub fn division(&self) -> &str {
        self.0.get(2..8).unwrap_or("")
    }

    /// Whether the check character is right (false only for codes accepted through
    /// the allow list).
    pub fn check_ok(&self) -> bool {
        check_character(&self.0[..17]) == self.0.chars().nth(17)
    }
}

/// Normalised form of a credit code: no blanks, ASCII, upper case.
fn normalise_code(s: &str) -> String {
    normalise(s, true).to_ascii_uppercase()
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for CreditCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = "91110000600037341L";

    fn reason(s: &str, allow: &[&str]) -> String {
        match CreditCode::parse(s, allow) {
            Err(Error::InvalidCreditCode { reason, .. }) => reason,
            other => panic!("{s:?}: {other:?}"),
        }
    }

    #[test]
    fn weights_are_powers_of_three() {
        let mut w = 1;
        for weight in WEIGHTS {
            assert_eq!(weight, w);
            w = w * 3 % 31;
        }
        assert_eq!(ALPHABET.len(), 31);
        for c in ['I', 'O', 'Z', 'S', 'V', 'a', '０'] {
            assert_eq!(char_value(c), None);
        }
    }

    #[test]
    fn valid_example() {
        assert_eq!(check_character(&VALID[..17]), Some('L'));
        let p = match CreditCode::parse(VALID, &[]) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        };
        assert!(p.warnings.is_empty());
        let c = p.value;
        assert_eq!(c.as_str(), VALID);
        assert_eq!(c.registration_authority(), '9');
        assert_eq!(c.organisation_type(), '1');
        assert_eq!(c.division(), "110000");
        assert!(c.check_ok());
        assert_eq!(
            serde_json::to_string(&c).ok().as_deref(),
            Some("\"91110000600037341L\"")
        );
        assert_eq!(c.to_string(), VALID);
    }

    #[test]
    fn notations() {
        for s in [
            "91110000600037341l",
            " 9111 0000 6000 3734 1L ",
            "\u{3000}91110000600037341L\u{3000}",
            "９１１１００００６０００３７３４１Ｌ",
            "９１１１００００６０００３７３４１ｌ",
        ] {
            match CreditCode::parse(s, &[]) {
                Ok(p) => {
                    assert!(p.warnings.is_empty());
                    assert_eq!(p.value.as_str(), VALID);
                }
                Err(e) => panic!("{s:?}: {e}"),
            }
        }
    }

    #[test]
    fn one_char_changed() {
        let changed = "91110000600037341M";
        let expected_reason = "check character is M, should be L";
        assert_eq!(reason(changed, &[]), expected_reason);
        assert_eq!(reason(changed, &[VALID]), expected_reason);
        let changed_body = "91110000600037342L";
        let should = check_character(&changed_body[..17]).unwrap_or(' ');
        assert_ne!(should, 'L');
        assert_eq!(
            reason(changed_body, &[]),
            format!("check character is L, should be {should}")
        );
        match CreditCode::parse(changed, &["91110000600037341m "]) {
            Ok(p) => {
                assert_eq!(p.value.as_str(), changed);
                assert!(!p.value.check_ok());
                assert_eq!(p.warnings.len(), 1);
                assert_eq!(p.warnings[0].code, WARN_CHECK_ALLOWED);
                assert!(p.warnings[0].message.contains("should be L"));
            }
            Err(e) => panic!("{e}"),
        }
        match CreditCode::parse(changed, &[]) {
            Err(e) => assert_eq!(
                e.to_string(),
                "invalid unified social credit code \"91110000600037341M\": check character is M, should be L"
            ),
            Ok(p) => panic!("{p:?}"),
        }
    }

    #[test]
    fn malformed() {
        assert_eq!(reason("", &[]), "it has 0 characters, not 18");
        assert_eq!(
            reason("9111000060003734", &[]),
            "it has 16 characters, not 18"
        );
        assert!(reason("9111000060003734IL", &[]).starts_with("character 17 is not allowed"));
        assert!(reason("O1110000600037341L", &[]).starts_with("character 1 is not allowed"));
        assert!(reason("9111000060003734-L", &[]).starts_with("character 17 is not allowed"));
        assert!(reason("9111000060003734４汉", &[]).starts_with("character 18 is not allowed"));
        // The allow list never admits malformed codes.
        assert!(reason("O1110000600037341L", &["O1110000600037341L"]).starts_with("character 1"));
        assert_eq!(check_character("9111000060003734"), None);
        assert_eq!(check_character("9111000060003734I"), None);
        assert_eq!(check_character("9111000060003734l"), None);
    }
}
