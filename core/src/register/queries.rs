//! Reading residents: scope-checked, masked by default, reveals audited.

use chrono::NaiveDate;
use rusqlite::{params, Connection, OptionalExtension};

use super::records::{ResidentRecord, ResidentView};
use super::{day, store, Residence, ResidentId};
use crate::access::{mask_name, mask_phone};
use crate::codes::{mask_id_number, Ethnicity};
use crate::error::{Error, Result};
use crate::network::{Hierarchy, TxId, UnitId};
use crate::registry::View;

/// The ethnicity valid on `on`: the registered one, or the latest change on or before it.
pub(crate) fn ethnicity_on(
    conn: &Connection,
    resident: ResidentId,
    registered: Ethnicity,
    on: NaiveDate,
    at: TxId,
) -> Result<Ethnicity> {
    let sql = format!(
        "SELECT ethnicity FROM ethnicity_change WHERE resident = ?2 AND from_day <= ?3 AND {}
         ORDER BY from_day DESC, id DESC LIMIT 1",
        store::AS_OF_TX
    );
    let changed: Option<i64> = conn
        .prepare_cached(&sql)?
        .query_row(params![at, resident, day(on)], |r| r.get(0))
        .optional()?;
    Ok(changed
        .and_then(|c| u8::try_from(c).ok())
        .and_then(Ethnicity::from_code)
        .unwrap_or(registered))
}

fn view_of(
    r: ResidentRecord,
    ethnicity: Ethnicity,
    residences: Vec<Residence>,
    as_of: NaiveDate,
    masked: bool,
) -> ResidentView {
    let community = residences
        .iter()
        .find(|x| x.valid.contains(as_of))
        .or(residences.last())
        .map(|x| x.unit);
    ResidentView {
        id: r.id,
        name: if masked { mask_name(&r.name) } else { r.name },
        sex: r.sex,
        birth_date: r.birth_date,
        id_number: r
            .id_number
            .map(|n| if masked { mask_id_number(&n) } else { n }),
        ethnicity: ethnicity.code().to_owned(),
        ethnicity_name: ethnicity.name().to_owned(),
        phone: r.phone.map(|p| if masked { mask_phone(&p) } else { p }),
        category: r.category,
        origin: r.origin,
        community,
        residences,
        registration: None,
        masked,
    }
}

impl View {
    fn require_resident_scope(&self, residences: &[Residence], id: ResidentId) -> Result<()> {
        let p = self.registry().principal();
        p.require_people()?;
        if residences.iter().any(|r| self.scope().covers(r.unit)) {
            Ok(())
        } else {
            Err(p.denied(format!("resident {id} lives outside the scope")))
        }
    }

    fn load_resident(
        &self,
        id: ResidentId,
        as_of: NaiveDate,
        masked: bool,
    ) -> Result<ResidentView> {
        let tx = self.transaction();
        self.registry().with_reader(|c| {
            let r = store::resident(c, id, tx)?
                .ok_or_else(|| Error::not_found(format!("resident {id}")))?;
            let residences = store::residences(c, id, tx)?;
            self.require_resident_scope(&residences, id)?;
            let e = ethnicity_on(c, id, r.ethnicity, as_of, tx)?;
            let registration =
                store::current_registration(c, id)?.and_then(|(_, unit, division)| {
                    unit.and_then(|u| {
                        self.network()
                            .name_at(u, as_of)
                            .map(|n| format!("{n} ({u})"))
                    })
                    .or(division)
                });
            Ok(ResidentView {
                registration,
                ..view_of(r, e, residences, as_of, masked)
            })
        })
    }

    /// A resident as of `as_of` (ethnicity and community valid then), personal data masked.
    pub fn resident(&self, id: ResidentId, as_of: NaiveDate) -> Result<ResidentView> {
        self.load_resident(id, as_of, true)
    }

    /// A resident unmasked, without the reveal checks (callers check and audit).
    pub(crate) fn resident_unmasked(
        &self,
        id: ResidentId,
        as_of: NaiveDate,
    ) -> Result<ResidentView> {
        self.load_resident(id, as_of, false)
    }

    /// A resident with personal data shown. Operators and administrators only, with a
    /// stated purpose (the principal's); every reveal is audited.
    pub fn reveal_resident(&self, id: ResidentId, as_of: NaiveDate) -> Result<ResidentView> {
        let p = self.registry().principal();
        if !p.role.sees_personal_data() {
            return Err(p.denied("only operators and administrators may reveal a resident"));
        }
        if p.purpose.as_deref().is_none_or(|s| s.trim().is_empty()) {
            return Err(p.denied("revealing a resident needs a stated purpose"));
        }
        let v = self.load_resident(id, as_of, false)?;
        self.registry()
            .audit_read("reveal_resident", &format!("resident {id}"))?;
        Ok(v)
    }

    /// Residents living in `under`'s subtree on `as_of`, masked, in unit pre-order then id.
    pub fn residents(
        &self,
        under: UnitId,
        as_of: NaiveDate,
        hierarchy: &Hierarchy,
    ) -> Result<Vec<ResidentView>> {
        self.registry().principal().require_people()?;
        let units: Vec<UnitId> = self
            .tree(Some(under), as_of, hierarchy)?
            .into_iter()
            .map(|n| n.unit.id)
            .collect();
        let tx = self.transaction();
        self.registry().with_reader(|c| {
            let rows = store::living_in(c, &units, as_of, tx)?;
            let mut out = Vec::with_capacity(rows.len());
            for (r, residence) in rows {
                let e = ethnicity_on(c, r.id, r.ethnicity, as_of, tx)?;
                out.push(view_of(r, e, vec![residence], as_of, true));
            }
            Ok(out)
        })
    }
}
