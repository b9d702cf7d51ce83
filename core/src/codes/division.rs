//! 区划代码 — administrative division codes (行政区划代码, GB/T 2260, 6 digits) and
//! the statistical division codes built on them (统计用区划代码: 9 digits for the
//! township level, 12 for the village level).
//!
//! Codes are never checked against a list of current divisions: a code that was valid
//! once stays meaningful for old records.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{normalise, trim_input};
use crate::error::{Error, Parsed, Result};

/// The level a division code denotes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DivisionLevel {
    /// 省级: province, autonomous region, municipality (`XX0000`).
    Province,
    /// 地级: prefecture-level city, or the 市辖区 slot of a municipality (`XXXX00`).
    Prefecture,
    /// 县级: district, county, county-level city (`XXXXXX`, last two digits not 00).
    County,
    /// 街道: sub-district, 9-digit code with digits 7-9 in 001-099.
    Street,
    /// 镇: town, digits 7-9 in 100-199.
    Town,
    /// 乡: township, digits 7-9 in 200-399.
    Township,
    /// 其他乡级: other township-level unit (development zones, farms …), digits 7-9 in 400-999.
    OtherTownship,
    /// 居委会: residents' committee (社区), 12-digit code with digits 10-12 in 001-199.
    ResidentsCommittee,
    /// 村委会: villagers' committee, digits 10-12 in 200-399.
    VillagersCommittee,
    /// 其他村级: other village-level unit, digits 10-12 in 400-999.
    OtherVillage,
}

impl DivisionLevel {
    /// The Chinese name of the level: 省级, 地级, 县级, 街道, 镇, 乡, 其他乡级, 居委会,
    /// 村委会, 其他村级.
    pub fn name_zh(self) -> &'static str {
        match self {
            DivisionLevel::Province => "省级",
            DivisionLevel::Prefecture => "地级",
            DivisionLevel::County => "县级",
            DivisionLevel::Street => "街道",
            DivisionLevel::Town => "镇",
            DivisionLevel::Township => "乡",
            DivisionLevel::OtherTownship => "其他乡级",
            DivisionLevel::ResidentsCommittee => "居委会",
            DivisionLevel::VillagersCommittee => "村委会",
            DivisionLevel::OtherVillage => "其他村级",
        }
    }

    /// The number of digits of a code at this level: 6, 9 or 12.
    pub fn code_length(self) -> usize {
        match self {
            DivisionLevel::Province | DivisionLevel::Prefecture | DivisionLevel::County => 6,
            DivisionLevel::Street
            | DivisionLevel::Town
            | DivisionLevel::Township
            | DivisionLevel::OtherTownship => 9,
            DivisionLevel::ResidentsCommittee
            | DivisionLevel::VillagersCommittee
            | DivisionLevel::OtherVillage => 12,
        }
    }
}

/// A division code in its shortest meaningful form: 6 digits (province, prefecture,
/// county), 9 digits (township level) or 12 digits (village level).
///
/// Serialises as the digit string; deserialises through [`DivisionCode::parse`].
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct DivisionCode(String);

/// The number made of `digits` (ASCII digits only, at most 3 of them).
fn value(digits: &str) -> u32 {
    digits
        .bytes()
        .fold(0, |acc, b| acc * 10 + u32::from(b.wrapping_sub(b'0')))
}

impl DivisionCode {
    /// Reads a division code of 6, 9 or 12 digits (blanks and full-width digits
    /// tolerated). A 12-digit statistical code padded with zeros is shortened:
    /// `320508021000` → `320508021`, `320508000000` → `320508`.
    ///
    /// Rules: the first two digits are a province code 11..=82; a 6-digit code
    /// `XX00YY` with YY ≠ 00 does not exist; in a 9-digit code digits 7-9 are not 000;
    /// in a 12-digit code digits 7-9 are not 000 when digits 10-12 are not.
    ///
    /// # Errors
    /// [`Error::InvalidDivisionCode`] with the trimmed input and the reason.
    pub fn parse(input: &str) -> Result<Parsed<DivisionCode>> {
        let fail = |reason: String| Error::InvalidDivisionCode {
            input: trim_input(input).to_owned(),
            reason,
        };
        let norm = normalise(input, true);
        if norm.is_empty() {
            return Err(fail("it is empty".to_owned()));
        }
        if let Some(pos) = norm.chars().position(|c| !c.is_ascii_digit()) {
            return Err(fail(format!("character {} is not a digit", pos + 1)));
        }
        let len = norm.len();
        if len != 6 && len != 9 && len != 12 {
            return Err(fail(format!("it has {len} digits, not 6, 9 or 12")));
        }
        let province = value(&norm[0..2]);
        if !(11..=82).contains(&province) {
            return Err(fail(format!(
                "{province:02} is not a province code (11 to 82)"
            )));
        }
        if &norm[2..4] == "00" && &norm[4..6] != "00" {
            return Err(fail(
                "digits 3-4 are 00 but digits 5-6 are not (no such county code)".to_owned(),
            ));
        }
        let mut code = norm;
        if code.len() == 12 {
            if &code[9..12] == "000" {
                code.truncate(9);
                if &code[6..9] == "000" {
                    code.truncate(6);
                }
            } else if &code[6..9] == "000" {
                return Err(fail(
                    "digits 7-9 are 000 but digits 10-12 name a village".to_owned(),
                ));
            }
        } else if code.len() == 9 && &code[6..9] == "000" {
            return Err(fail(
                "digits 7-9 are 000 (padding, not a township-level code)".to_owned(),
            ));
        }
        Ok(Parsed::clean(DivisionCode(code)))
    }

    /// The code (6, 9 or 12 digits).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The level the code denotes.
    pub fn level(&self) -> DivisionLevel {
        let s = self.0.as_str();
        match s.len() {
            12 => match value(&s[9..12]) {
                1..=199 => DivisionLevel::ResidentsCommittee,
                200..=399 => DivisionLevel::VillagersCommittee,
                _ => DivisionLevel::OtherVillage,
            },
            9 => match value(&s[6..9]) {
                1..=99 => DivisionLevel::Street,
                100..=199 => DivisionLevel::Town,
                200..=399 => DivisionLevel::Township,
                _ => DivisionLevel::OtherTownship,
            },
            _ => {
                if &s[2..6] == "0000" {
                    DivisionLevel::Province
                } else if &s[4..6] == "00" {
                    DivisionLevel::Prefecture
                } else {
                    DivisionLevel::County
                }
            }
        }
    }

    /// The code one level up, by prefix: village → township (first 9 digits),
    /// township → its 6-digit code, county → `XXXX00`, prefecture → `XX0000`,
    /// province → `None`. (For a district of a municipality, e.g. 110105, the parent is
    /// the 市辖区 slot 110100.)
    pub fn parent(&self) -> Option<DivisionCode> {
        let s = self.0.as_str();
        match self.level() {
            DivisionLevel::Province => None,
            DivisionLevel::Prefecture => Some(DivisionCode(format!("{}0000", &s[..2]))),
            DivisionLevel::County => Some(DivisionCode(format!("{}00", &s[..4]))),
            DivisionLevel::Street
            | DivisionLevel::Town
            | DivisionLevel::Township
            | DivisionLevel::OtherTownship => Some(DivisionCode(s[..6].to_owned())),
            DivisionLevel::ResidentsCommittee
            | DivisionLevel::VillagersCommittee
            | DivisionLevel::OtherVillage => Some(DivisionCode(s[..9].to_owned())),
        }
    }

    /// The codes above this one, nearest first (parent, grandparent, …, province).
    pub fn ancestors(&self) -> impl Iterator<Item = DivisionCode> {
        std::iter::successors(self.parent(), DivisionCode::parent)
    }

    /// Whether this code is a strict ancestor of `other` (`320500` of `320508021017`;
    /// a code is not its own ancestor).
    pub fn is_ancestor_of(&self, other: &DivisionCode) -> bool {
        other.ancestors().any(|a| a == *self)
    }

    /// The code padded with zeros to the 12 digits of the statistical code sets
    /// (`320508021` → `320508021000`).
    pub fn padded12(&self) -> String {
        format!("{:0<12}", self.0)
    }
}

impl fmt::Display for DivisionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for DivisionCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for DivisionCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        DivisionCode::parse(&s)
            .map(|p| p.value)
            .map_err(|e| serde::de::Error::custom(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> DivisionCode {
        match DivisionCode::parse(s) {
            Ok(p) => {
                assert!(p.warnings.is_empty());
                p.value
            }
            Err(e) => panic!("{s:?}: {e}"),
        }
    }

    fn reason(s: &str) -> String {
        match DivisionCode::parse(s) {
            Err(Error::InvalidDivisionCode { reason, .. }) => reason,
            other => panic!("{s:?}: {other:?}"),
        }
    }

    #[test]
    fn suzhou_examples() {
        let street = code("320508021");
        assert_eq!(street.level(), DivisionLevel::Street);
        assert_eq!(street.level().name_zh(), "街道");
        let community = code("320508021017");
        assert_eq!(community.level(), DivisionLevel::ResidentsCommittee);
        assert_eq!(community.parent(), Some(street.clone()));
        assert_eq!(code("320571").level(), DivisionLevel::County);
        assert_eq!(code("320500").level(), DivisionLevel::Prefecture);
        assert_eq!(code("320000").level(), DivisionLevel::Province);
        let chain: Vec<String> = community.ancestors().map(|c| c.0).collect();
        assert_eq!(chain, ["320508021", "320508", "320500", "320000"]);
        assert!(code("320500").is_ancestor_of(&community));
        assert!(street.is_ancestor_of(&community));
        assert!(!community.is_ancestor_of(&street));
        assert!(!street.is_ancestor_of(&street));
        assert!(!code("320505").is_ancestor_of(&community));
        assert_eq!(street.padded12(), "320508021000");
        assert_eq!(code("320500").padded12(), "320500000000");
        assert_eq!(community.padded12(), "320508021017");
        assert_eq!(code("110105").parent(), Some(code("110100")));
        assert_eq!(code("110100").parent(), Some(code("110000")));
        assert_eq!(code("110000").parent(), None);
    }

    #[test]
    fn padding_and_notation() {
        assert_eq!(code("320508021000").as_str(), "320508021");
        assert_eq!(code("320508000000").as_str(), "320508");
        assert_eq!(code("320000000000").as_str(), "320000");
        assert_eq!(code(" ３２０５０８ ０２１ ").as_str(), "320508021");
        assert_eq!(code("\u{3000}320508\u{3000}").as_str(), "320508");
    }

    #[test]
    fn levels_by_digits() {
        for (s, level) in [
            ("320508001", DivisionLevel::Street),
            ("320508099", DivisionLevel::Street),
            ("320508100", DivisionLevel::Town),
            ("320508199", DivisionLevel::Town),
            ("320508200", DivisionLevel::Township),
            ("320508399", DivisionLevel::Township),
            ("320508400", DivisionLevel::OtherTownship),
            ("320508999", DivisionLevel::OtherTownship),
            ("320508021001", DivisionLevel::ResidentsCommittee),
            ("320508021199", DivisionLevel::ResidentsCommittee),
            ("320508021200", DivisionLevel::VillagersCommittee),
            ("320508021399", DivisionLevel::VillagersCommittee),
            ("320508021400", DivisionLevel::OtherVillage),
            ("320508021999", DivisionLevel::OtherVillage),
            ("441900003", DivisionLevel::Street),
        ] {
            let c = code(s);
            assert_eq!(c.level(), level, "{s}");
            assert_eq!(c.level().code_length(), s.len());
        }
        assert_eq!(code("441900003").parent(), Some(code("441900")));
    }

    #[test]
    fn invalid_codes() {
        assert_eq!(reason(""), "it is empty");
        assert_eq!(reason("32050"), "it has 5 digits, not 6, 9 or 12");
        assert_eq!(reason("3205080211"), "it has 10 digits, not 6, 9 or 12");
        assert_eq!(reason("32O508"), "character 3 is not a digit");
        assert_eq!(reason("100000"), "10 is not a province code (11 to 82)");
        assert_eq!(reason("830000"), "83 is not a province code (11 to 82)");
        assert_eq!(
            reason("000000000000"),
            "00 is not a province code (11 to 82)"
        );
        assert!(reason("320508000").contains("000"));
        assert!(reason("320508000017").contains("village"));
        assert!(reason("320012").contains("digits 3-4"));
        match DivisionCode::parse(" 32O508 ") {
            Err(Error::InvalidDivisionCode { input, .. }) => assert_eq!(input, "32O508"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn serde() {
        let c = code("320508021017");
        assert_eq!(
            serde_json::to_string(&c).ok().as_deref(),
            Some("\"320508021017\"")
        );
        assert_eq!(
            serde_json::from_str::<DivisionCode>("\"320508021000\"").ok(),
            Some(code("320508021"))
        );
        assert!(serde_json::from_str::<DivisionCode>("\"99\"").is_err());
        assert_eq!(
            serde_json::to_string(&DivisionLevel::ResidentsCommittee)
                .ok()
                .as_deref(),
            Some("\"residents_committee\"")
        );
        assert_eq!(
            serde_json::to_string(&DivisionLevel::OtherTownship)
                .ok()
                .as_deref(),
            Some("\"other_township\"")
        );
        assert_eq!(c.to_string(), "320508021017");
    }
}
