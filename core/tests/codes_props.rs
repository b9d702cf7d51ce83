//! Property tests for the reference-code parsers in `shiliu::codes`.

use chrono::{Datelike, Duration, NaiveDate};
use proptest::prelude::*;
use shiliu::codes::{
    credit_code, id_number, mask_id_number, CreditCode, DivisionCode, DivisionLevel, Ethnicity,
    IdNumber, Sex,
};
use shiliu::{Error, IdNumberProblem, Parsed};

const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 1).unwrap_or_default()
}

fn day(offset: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default() + Duration::days(offset)
}

/// Days from 1900-01-01 to 2020-12-31.
const DAYS_1900_2020: i64 = 44_194;
/// Days from 1900-01-01 to 1999-12-31.
const DAYS_1900_1999: i64 = 36_523;

fn exercise_all(s: &str) {
    let _ = Ethnicity::parse(s);
    let _ = IdNumber::parse(s, today());
    let _ = DivisionCode::parse(s);
    let _ = CreditCode::parse(s, &[s]);
    let _ = mask_id_number(s);
    let _ = id_number::check_character(s);
    let _ = credit_code::check_character(s);
    let _ = Sex::from_gb2261(s);
    if let Ok(p) = IdNumber::parse(s, today()) {
        let id = p.value;
        let _ = (id.region(), id.sex(), id.masked(), id.age_on(today()));
    }
    if let Ok(p) = DivisionCode::parse(s) {
        let c = p.value;
        let _ = (c.level(), c.padded12(), c.ancestors().count());
    }
    if let Ok(p) = CreditCode::parse(s, &[s]) {
        let c = p.value;
        let _ = (c.registration_authority(), c.division(), c.check_ok());
    }
}

fn parsed_id(s: &str) -> Parsed<IdNumber> {
    match IdNumber::parse(s, today()) {
        Ok(p) => p,
        Err(e) => panic!("{s}: {e}"),
    }
}

/// A 6-digit code with province 11..=82 and no `XX00YY` form, with its level.
fn six_digit() -> impl Strategy<Value = (String, DivisionLevel)> {
    (11u32..=82, 0u32..3, 1u32..=99, 1u32..=99).prop_map(|(p, kind, pref, county)| match kind {
        0 => (format!("{p:02}0000"), DivisionLevel::Province),
        1 => (format!("{p:02}{pref:02}00"), DivisionLevel::Prefecture),
        _ => (format!("{p:02}{pref:02}{county:02}"), DivisionLevel::County),
    })
}

fn township_level(n: u32) -> DivisionLevel {
    match n {
        1..=99 => DivisionLevel::Street,
        100..=199 => DivisionLevel::Town,
        200..=399 => DivisionLevel::Township,
        _ => DivisionLevel::OtherTownship,
    }
}

fn village_level(n: u32) -> DivisionLevel {
    match n {
        1..=199 => DivisionLevel::ResidentsCommittee,
        200..=399 => DivisionLevel::VillagersCommittee,
        _ => DivisionLevel::OtherVillage,
    }
}

proptest! {
    #[test]
    fn no_parser_panics_on_any_string(s in ".*") {
        exercise_all(&s);
    }

    #[test]
    fn no_parser_panics_on_long_strings(s in "\\PC{0,400}") {
        exercise_all(&s);
    }

    #[test]
    fn no_parser_panics_on_code_like_strings(
        s in "[0-9０-９xXｘＸ \u{3000}A-Za-z族回毛难崩龙]{0,24}"
    ) {
        exercise_all(&s);
    }

    #[test]
    fn valid_18_digit_numbers_round_trip(
        region in "[0-9]{6}",
        offset in 0i64..=DAYS_1900_2020,
        seq in 0u32..1000,
        lower in any::<bool>(),
    ) {
        let date = day(offset);
        let first17 = format!("{region}{}{seq:03}", date.format("%Y%m%d"));
        let check = id_number::check_character(&first17);
        prop_assert!(check.is_some());
        let s = format!("{first17}{}", check.unwrap_or(' '));
        let input = if lower { s.to_lowercase() } else { s.clone() };
        let p = parsed_id(&input);
        prop_assert!(p.warnings.is_empty());
        let id = p.value;
        prop_assert_eq!(id.as_str(), s.as_str());
        prop_assert_eq!(id.region(), region.as_str());
        prop_assert_eq!(id.birth_date(), date);
        prop_assert_eq!(id.sex(), if seq % 2 == 1 { Sex::Male } else { Sex::Female });
        prop_assert!(!id.upgraded());
        prop_assert_eq!(id.masked(), format!("{region}********{}", &s[14..]));
    }

    #[test]
    fn a_wrong_check_character_is_reported(
        region in "[0-9]{6}",
        offset in 0i64..=DAYS_1900_2020,
        seq in 0u32..1000,
        wrong in "[0-9X]",
    ) {
        let first17 = format!("{region}{}{seq:03}", day(offset).format("%Y%m%d"));
        let expected = id_number::check_character(&first17).unwrap_or(' ');
        let found = wrong.chars().next().unwrap_or(' ');
        prop_assume!(found != expected);
        let s = format!("{first17}{found}");
        match IdNumber::parse(&s, today()) {
            Err(Error::InvalidIdNumber { masked, problem }) => {
                prop_assert_eq!(problem, IdNumberProblem::CheckCharacter { expected, found });
                prop_assert_eq!(masked, mask_id_number(&s));
            }
            other => prop_assert!(false, "{:?}", other),
        }
    }

    #[test]
    fn fifteen_digit_numbers_upgrade(
        region in "[0-9]{6}",
        offset in 0i64..=DAYS_1900_1999,
        seq in 0u32..1000,
    ) {
        let date = day(offset);
        let s15 = format!("{region}{}{seq:03}", date.format("%y%m%d"));
        prop_assert_eq!(s15.len(), 15);
        let p = parsed_id(&s15);
        prop_assert_eq!(p.warnings.len(), 1);
        prop_assert_eq!(p.warnings[0].code.as_str(), "id_number.upgraded");
        let id = p.value;
        prop_assert!(id.upgraded());
        prop_assert_eq!(id.as_str().len(), 18);
        prop_assert_eq!(id.birth_date(), date);
        prop_assert_eq!(id.birth_date().year() / 100, 19);
        prop_assert_eq!(id.region(), region.as_str());
        let again = parsed_id(id.as_str());
        prop_assert!(again.warnings.is_empty());
        prop_assert!(!again.value.upgraded());
        prop_assert_eq!(again.value.as_str(), id.as_str());
    }

    #[test]
    fn credit_codes_round_trip_and_detect_one_change(
        body in proptest::collection::vec(0usize..31, 17),
        pos in 0usize..18,
        delta in 1usize..31,
    ) {
        let alphabet: Vec<char> = ALPHABET.chars().collect();
        let first17: String = body.iter().map(|&i| alphabet[i]).collect();
        let check = credit_code::check_character(&first17);
        prop_assert!(check.is_some());
        let code = format!("{first17}{}", check.unwrap_or(' '));
        match CreditCode::parse(&code, &[]) {
            Ok(p) => {
                prop_assert!(p.warnings.is_empty());
                prop_assert_eq!(p.value.as_str(), code.as_str());
                prop_assert_eq!(p.value.division(), &code[2..8]);
            }
            Err(e) => prop_assert!(false, "{}: {}", code, e),
        }
        let mut chars: Vec<char> = code.chars().collect();
        let old = alphabet.iter().position(|&c| c == chars[pos]).unwrap_or(0);
        chars[pos] = alphabet[(old + delta) % 31];
        let changed: String = chars.into_iter().collect();
        prop_assert_ne!(&changed, &code);
        prop_assert!(CreditCode::parse(&changed, &[]).is_err(), "{} accepted", changed);
        match CreditCode::parse(&changed, &[changed.as_str()]) {
            Ok(p) => {
                prop_assert_eq!(p.warnings.len(), 1);
                prop_assert_eq!(p.warnings[0].code.as_str(), "credit_code.check_failed_allowed");
                prop_assert!(!p.value.check_ok());
            }
            Err(e) => prop_assert!(false, "{}: {}", changed, e),
        }
    }

    #[test]
    fn division_codes_round_trip_with_predicted_level(
        (six, six_level) in six_digit(),
        township in 1u32..=999,
        village in 1u32..=999,
        length in 0u32..3,
    ) {
        let (s, level) = match length {
            0 => (six.clone(), six_level),
            1 => (format!("{six}{township:03}"), township_level(township)),
            _ => (format!("{six}{township:03}{village:03}"), village_level(village)),
        };
        let c = match DivisionCode::parse(&s) {
            Ok(p) => {
                prop_assert!(p.warnings.is_empty());
                p.value
            }
            Err(e) => return Err(TestCaseError::fail(format!("{s}: {e}"))),
        };
        prop_assert_eq!(c.as_str(), s.as_str());
        prop_assert_eq!(c.level(), level);
        prop_assert_eq!(level.code_length(), s.len());
        // The padded 12-digit form reads back as the same code.
        let padded = c.padded12();
        prop_assert_eq!(padded.len(), 12);
        prop_assert_eq!(DivisionCode::parse(&padded).ok().map(|p| p.value), Some(c.clone()));
        // Every ancestor is a prefix-derived code that is a valid code itself, and an ancestor.
        let mut previous = c.clone();
        for a in c.ancestors() {
            prop_assert!(a.is_ancestor_of(&c));
            prop_assert!(a.level() < previous.level());
            prop_assert_eq!(DivisionCode::parse(a.as_str()).ok().map(|p| p.value), Some(a.clone()));
            previous = a;
        }
        prop_assert_eq!(previous.level(), DivisionLevel::Province);
        prop_assert!(!c.is_ancestor_of(&c));
    }

    #[test]
    fn ethnicity_notations_agree(
        number in 1u8..=56,
        upper in any::<bool>(),
        pad in "[ \u{3000}\t]{0,3}",
    ) {
        let g = Ethnicity::from_code(number);
        prop_assert!(g.is_some());
        let g = g.unwrap_or(Ethnicity::HAN);
        let case = |s: &str| if upper { s.to_uppercase() } else { s.to_lowercase() };
        let full_width: String = g
            .code()
            .chars()
            .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap_or(c))
            .collect();
        for notation in [
            g.code().to_owned(),
            number.to_string(),
            full_width,
            g.name().to_owned(),
            case(g.roman()),
            case(g.alpha2()),
        ] {
            let input = format!("{pad}{notation}{pad}");
            match Ethnicity::parse(&input) {
                Ok(p) => {
                    prop_assert_eq!(p.value, g, "{:?}", input);
                    prop_assert!(p.warnings.is_empty());
                }
                Err(e) => prop_assert!(false, "{:?}: {}", input, e),
            }
        }
        prop_assert!(g.is_standard());
        prop_assert_eq!(g.is_component(), number != 1);
        let json = serde_json::to_string(&g).unwrap_or_default();
        prop_assert_eq!(serde_json::from_str::<Ethnicity>(&json).ok(), Some(g));
    }
}

#[test]
fn generator_date_ranges() {
    assert_eq!(
        day(0),
        NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default()
    );
    assert_eq!(
        day(DAYS_1900_2020),
        NaiveDate::from_ymd_opt(2020, 12, 31).unwrap_or_default()
    );
    assert_eq!(
        day(DAYS_1900_1999),
        NaiveDate::from_ymd_opt(1999, 12, 31).unwrap_or_default()
    );
}
