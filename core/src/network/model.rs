//! The in-memory network: the current facts of one recorded transaction, indexed for
//! as-of queries. Small (thousands of facts for a whole city), rebuilt from the store.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;

use super::facts::{Fact, Hierarchy};
use super::{FactId, TxId, UnitId};

/// The network as recorded up to one transaction.
#[derive(Debug, Clone, Default)]
pub struct Network {
    pub(crate) transaction: TxId,
    /// Every current fact by id.
    pub(crate) facts: BTreeMap<FactId, Fact>,
    /// Fact ids that describe a unit (names, codes, parent links), by unit.
    pub(crate) unit_facts: HashMap<UnitId, Vec<FactId>>,
    /// Parent links by parent (any hierarchy).
    pub(crate) child_links: HashMap<UnitId, Vec<FactId>>,
    /// Facts that hang off another entity (posts of a body, memberships of a post or
    /// person, bodies and positions of a unit), by that entity.
    pub(crate) attached: HashMap<i64, Vec<FactId>>,
    /// Code facts by code (any date).
    pub(crate) by_code: HashMap<String, Vec<FactId>>,
}

impl Network {
    /// The recorded transaction this network reflects (0 = empty registry).
    pub fn transaction(&self) -> TxId {
        self.transaction
    }

    /// The fact with this id, if current.
    pub fn fact(&self, id: FactId) -> Option<&Fact> {
        self.facts.get(&id)
    }

    /// Every current fact in id order.
    pub fn facts(&self) -> impl Iterator<Item = (FactId, &Fact)> {
        self.facts.iter().map(|(k, v)| (*k, v))
    }

    /// The ids of the entities a fact is indexed under.
    fn index_keys(fact: &Fact) -> (Option<UnitId>, Option<UnitId>, Vec<i64>) {
        match fact {
            Fact::UnitName { unit, .. } | Fact::UnitCode { unit, .. } => {
                (Some(*unit), None, vec![])
            }
            Fact::UnitParent { unit, parent, .. } => (Some(*unit), Some(*parent), vec![]),
            Fact::Body { unit, .. } | Fact::Organisation { unit, .. } => (None, None, vec![*unit]),
            Fact::Post { unit, body, .. } => {
                let mut v = vec![*unit];
                v.extend(body);
                (None, None, v)
            }
            Fact::Position { person, unit, .. } => (None, None, vec![*person, *unit]),
            Fact::Membership { post, person, .. } => (None, None, vec![*post, *person]),
            Fact::Unit { .. } | Fact::Reorganisation { .. } | Fact::Person { .. } => {
                (None, None, vec![])
            }
        }
    }

    /// Adds a fact (a new one or a new version).
    pub(crate) fn apply(&mut self, id: FactId, fact: Fact) {
        let (unit, parent, attached) = Self::index_keys(&fact);
        if let Some(u) = unit {
            self.unit_facts.entry(u).or_default().push(id);
        }
        if let Some(p) = parent {
            self.child_links.entry(p).or_default().push(id);
        }
        for a in attached {
            self.attached.entry(a).or_default().push(id);
        }
        if let Fact::UnitCode { code, .. } = &fact {
            self.by_code.entry(code.clone()).or_default().push(id);
        }
        self.facts.insert(id, fact);
    }

    /// Removes a fact (before applying its new version).
    pub(crate) fn retract(&mut self, id: FactId) -> Option<Fact> {
        let fact = self.facts.remove(&id)?;
        let (unit, parent, attached) = Self::index_keys(&fact);
        let drop_from = |m: &mut HashMap<i64, Vec<FactId>>, k: i64| {
            if let Some(v) = m.get_mut(&k) {
                v.retain(|x| *x != id);
            }
        };
        if let Some(u) = unit {
            drop_from(&mut self.unit_facts, u);
        }
        if let Some(p) = parent {
            drop_from(&mut self.child_links, p);
        }
        for a in attached {
            drop_from(&mut self.attached, a);
        }
        if let Fact::UnitCode { code, .. } = &fact {
            if let Some(v) = self.by_code.get_mut(code) {
                v.retain(|x| *x != id);
            }
        }
        Some(fact)
    }

    /// Facts describing a unit.
    pub(crate) fn facts_of_unit(&self, unit: UnitId) -> impl Iterator<Item = (FactId, &Fact)> {
        self.ids_to_facts(self.unit_facts.get(&unit))
    }

    /// Facts attached to an entity (bodies, posts, positions, memberships, organisations).
    pub(crate) fn attached_to(&self, entity: i64) -> impl Iterator<Item = (FactId, &Fact)> {
        self.ids_to_facts(self.attached.get(&entity))
    }

    /// Parent links pointing at a unit.
    pub(crate) fn links_to(&self, parent: UnitId) -> impl Iterator<Item = (FactId, &Fact)> {
        self.ids_to_facts(self.child_links.get(&parent))
    }

    fn ids_to_facts<'a>(
        &'a self,
        ids: Option<&'a Vec<FactId>>,
    ) -> impl Iterator<Item = (FactId, &'a Fact)> + 'a {
        ids.into_iter()
            .flatten()
            .filter_map(move |id| self.facts.get(id).map(|f| (*id, f)))
    }

    /// Code facts carrying `code` (any date).
    pub(crate) fn code_facts(&self, code: &str) -> impl Iterator<Item = (FactId, &Fact)> {
        self.ids_to_facts(self.by_code.get(code))
    }

    /// Whether `unit` is a unit and exists on `date`.
    pub fn unit_exists(&self, unit: UnitId, date: NaiveDate) -> bool {
        matches!(self.facts.get(&unit), Some(Fact::Unit { valid, .. }) if valid.contains(date))
    }

    /// Every unit id, in id order.
    pub(crate) fn unit_ids(&self) -> impl Iterator<Item = UnitId> + '_ {
        self.facts
            .iter()
            .filter(|(_, f)| matches!(f, Fact::Unit { .. }))
            .map(|(id, _)| *id)
    }

    /// The unit's name on `date`.
    pub fn name_at(&self, unit: UnitId, date: NaiveDate) -> Option<&str> {
        self.facts_of_unit(unit).find_map(|(_, f)| match f {
            Fact::UnitName { name, valid, .. } if valid.contains(date) => Some(name.as_str()),
            _ => None,
        })
    }

    /// The unit's code on `date`.
    pub fn code_at(&self, unit: UnitId, date: NaiveDate) -> Option<&str> {
        self.facts_of_unit(unit).find_map(|(_, f)| match f {
            Fact::UnitCode { code, valid, .. } if valid.contains(date) => Some(code.as_str()),
            _ => None,
        })
    }

    /// The unit's last known name (for messages about units that no longer exist).
    pub fn last_name(&self, unit: UnitId) -> Option<&str> {
        self.facts_of_unit(unit)
            .filter_map(|(_, f)| match f {
                Fact::UnitName { name, valid, .. } => Some((valid.from, name.as_str())),
                _ => None,
            })
            .max()
            .map(|(_, n)| n)
    }

    /// The parent link fact of `unit` in exactly `hierarchy` on `date`.
    pub(crate) fn parent_link_at(
        &self,
        unit: UnitId,
        hierarchy: &Hierarchy,
        date: NaiveDate,
    ) -> Option<(FactId, UnitId)> {
        self.facts_of_unit(unit).find_map(|(id, f)| match f {
            Fact::UnitParent {
                hierarchy: h,
                parent,
                valid,
                ..
            } if h == hierarchy && valid.contains(date) => Some((id, *parent)),
            _ => None,
        })
    }

    /// The unit's parent in `hierarchy` on `date`, falling back to the legal parent.
    pub fn parent_at(
        &self,
        unit: UnitId,
        hierarchy: &Hierarchy,
        date: NaiveDate,
    ) -> Option<UnitId> {
        self.parent_link_at(unit, hierarchy, date)
            .or_else(|| {
                if *hierarchy == Hierarchy::Legal {
                    None
                } else {
                    self.parent_link_at(unit, &Hierarchy::Legal, date)
                }
            })
            .map(|(_, p)| p)
    }

    /// Units whose parent in `hierarchy` on `date` is `parent`, sorted by code, name, id.
    pub fn children_at(
        &self,
        parent: UnitId,
        hierarchy: &Hierarchy,
        date: NaiveDate,
    ) -> Vec<UnitId> {
        let mut kids: Vec<UnitId> = self
            .links_to(parent)
            .filter_map(|(_, f)| match f {
                Fact::UnitParent { unit, valid, .. } if valid.contains(date) => Some(*unit),
                _ => None,
            })
            .filter(|u| {
                self.unit_exists(*u, date) && self.parent_at(*u, hierarchy, date) == Some(parent)
            })
            .collect();
        kids.sort_by_cached_key(|u| self.sort_key(*u, date));
        kids.dedup();
        kids
    }

    /// Stable sort key of a unit on a date: code, then name, then id.
    pub(crate) fn sort_key(&self, unit: UnitId, date: NaiveDate) -> (String, String, UnitId) {
        (
            self.code_at(unit, date).unwrap_or("\u{10FFFF}").to_owned(),
            self.name_at(unit, date).unwrap_or_default().to_owned(),
            unit,
        )
    }

    /// Roots on `date`: units that exist and have no parent in the hierarchy.
    pub fn roots_at(&self, hierarchy: &Hierarchy, date: NaiveDate) -> Vec<UnitId> {
        let mut roots: Vec<UnitId> = self
            .unit_ids()
            .filter(|u| self.unit_exists(*u, date) && self.parent_at(*u, hierarchy, date).is_none())
            .collect();
        roots.sort_by_cached_key(|u| self.sort_key(*u, date));
        roots
    }
}
