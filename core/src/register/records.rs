//! What a resident is, as given, as stored and as shown.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Category, ResidentId};
use crate::codes::{Ethnicity, Sex};
use crate::network::UnitId;
use crate::time::Interval;

/// A resident to add (one row of a ledger).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewResident {
    /// 姓名.
    pub name: String,
    /// 性别 (taken from the ID number when absent).
    #[serde(default)]
    pub sex: Option<Sex>,
    /// 出生日期 (taken from the ID number when absent).
    #[serde(default)]
    pub birth_date: Option<NaiveDate>,
    /// 公民身份号码 (optional: some migrants have none); 15-digit numbers are upgraded.
    #[serde(default)]
    pub id_number: Option<String>,
    /// 民族.
    pub ethnicity: Ethnicity,
    /// 联系电话.
    #[serde(default)]
    pub phone: Option<String>,
    /// 人员类别: registered (户籍) or migrant (流动).
    pub category: Category,
    /// 流出地 — the division code of the origin region.
    #[serde(default)]
    pub origin: Option<String>,
    /// 户号 / household reference.
    #[serde(default)]
    pub household: Option<String>,
    /// Father's ethnicity, when recorded (the 2015 rules check changes against it).
    #[serde(default)]
    pub father_ethnicity: Option<Ethnicity>,
    /// Mother's ethnicity, when recorded.
    #[serde(default)]
    pub mother_ethnicity: Option<Ethnicity>,
    /// The community lived in (居住地).
    pub community: UnitId,
    /// 来苏时间 / 迁入日期 — first day living there.
    pub arrived_on: NaiveDate,
    /// 离开时间 / 迁出日期 — first day no longer living there.
    #[serde(default)]
    pub left_on: Option<NaiveDate>,
    /// 户籍地 — the unit where the resident is registered, if inside the registry.
    #[serde(default)]
    pub registered_unit: Option<UnitId>,
    /// 户籍地 — the division code (or address) of the registration place, if elsewhere.
    #[serde(default)]
    pub registered_division: Option<String>,
    /// 困难类型 — sets a hardship flag with this detail (from the day it is recorded).
    #[serde(default)]
    pub hardship: Option<String>,
}

/// A resident's core record (one version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResidentRecord {
    /// Stable id.
    pub id: ResidentId,
    /// Name.
    pub name: String,
    /// Sex.
    pub sex: Option<Sex>,
    /// Birth date.
    pub birth_date: Option<NaiveDate>,
    /// Normalised 18-character ID number.
    pub id_number: Option<String>,
    /// Ethnicity as registered (changes are recorded separately with their dates).
    pub ethnicity: Ethnicity,
    /// Phone.
    pub phone: Option<String>,
    /// Category.
    pub category: Category,
    /// Origin region (division code).
    pub origin: Option<String>,
    /// Household reference.
    pub household: Option<String>,
    /// Father's ethnicity.
    pub father_ethnicity: Option<Ethnicity>,
    /// Mother's ethnicity.
    pub mother_ethnicity: Option<Ethnicity>,
}

impl ResidentRecord {
    /// The identity key of a resident without an ID number: name, birth date, sex and
    /// the community first lived in (documented fallback; such matches are uncertain).
    pub fn fallback_key(&self, community: UnitId) -> String {
        format!(
            "{}|{}|{}|{community}",
            self.name.trim(),
            self.birth_date.map(|d| d.to_string()).unwrap_or_default(),
            self.sex.map(|s| s.gb2261()).unwrap_or("0"),
        )
    }

    /// The key a resident is matched on: the ID number, or the fallback key.
    pub fn match_key(&self, community: UnitId) -> String {
        match &self.id_number {
            Some(n) => format!("id:{n}"),
            None => format!("fb:{}", self.fallback_key(community)),
        }
    }

    /// A stable digest of the content (with the residence given), so that a re-import of
    /// an unchanged row is recognised without comparing field by field.
    pub fn content_hash(&self, residence: &Residence, extra: &[Option<&str>]) -> i64 {
        let mut h = Sha256::new();
        let text = |h: &mut Sha256, s: Option<&str>| {
            h.update(s.unwrap_or("").as_bytes());
            h.update([0x1f]);
        };
        let number = |h: &mut Sha256, n: Option<i64>| {
            h.update(n.unwrap_or(i64::MIN).to_le_bytes());
        };
        let day = |d: Option<NaiveDate>| d.map(super::day);
        text(&mut h, Some(&self.name));
        number(&mut h, self.sex.map(|s| if s == Sex::Male { 1 } else { 2 }));
        number(&mut h, day(self.birth_date));
        text(&mut h, self.id_number.as_deref());
        number(&mut h, Some(i64::from(self.ethnicity.number())));
        text(&mut h, self.phone.as_deref());
        number(&mut h, Some(self.category.code()));
        text(&mut h, self.origin.as_deref());
        text(&mut h, self.household.as_deref());
        number(&mut h, self.father_ethnicity.map(|e| i64::from(e.number())));
        number(&mut h, self.mother_ethnicity.map(|e| i64::from(e.number())));
        number(&mut h, Some(residence.unit));
        number(&mut h, day(Some(residence.valid.from)));
        number(&mut h, day(residence.valid.to));
        for e in extra {
            text(&mut h, *e);
        }
        let digest = h.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        i64::from_le_bytes(first)
    }
}

/// Where a resident lived over an interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Residence {
    /// The residence record's id.
    pub id: i64,
    /// The community.
    pub unit: UnitId,
    /// When.
    pub valid: Interval,
}

/// A resident as a principal may see them: personal data masked unless revealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResidentView {
    /// Stable id.
    pub id: ResidentId,
    /// Name (`张**` when masked).
    pub name: String,
    /// Sex (`male` / `female`).
    pub sex: Option<Sex>,
    /// Birth date.
    pub birth_date: Option<NaiveDate>,
    /// ID number (first 6 and last 4 characters when masked).
    pub id_number: Option<String>,
    /// Ethnicity code valid on the date asked about.
    pub ethnicity: String,
    /// Its Chinese name.
    pub ethnicity_name: String,
    /// Phone (`138****5678` when masked).
    pub phone: Option<String>,
    /// Category.
    pub category: Category,
    /// Origin region.
    pub origin: Option<String>,
    /// The community lived in on the date (or last).
    pub community: Option<UnitId>,
    /// Residence history, oldest first.
    pub residences: Vec<Residence>,
    /// 户籍地: the registration unit's id and name, or the division code or address
    /// (single-resident reads only).
    pub registration: Option<String>,
    /// Whether personal data is masked.
    pub masked: bool,
}
