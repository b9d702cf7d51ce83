//! Reorganisations (区划调整): merge, split, move, rename, recode, close, open. Each is an
//! event with lineage; nothing is deleted — intervals end and new ones begin.

use chrono::NaiveDate;
use serde::Deserialize;

use super::facts::{Fact, Hierarchy, ReorgKind};
use super::writes::NewUnit;
use super::{FactId, UnitId};
use crate::error::{Error, Result};
use crate::registry::Batch;
use crate::time::Interval;

/// A successor of a merge or split: a unit that exists, or one to open on the day.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Successor {
    /// An existing unit (by id).
    Existing(UnitId),
    /// A new unit, opening on the event's date.
    New(NewUnit),
}

/// A reorganisation to record. Every variant takes effect on `date` (the first day of
/// the new state).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case", deny_unknown_fields)]
pub enum Reorganisation {
    /// 更名 — the unit is called `name` from `date` on.
    Rename {
        /// The unit.
        unit: UnitId,
        /// First day of the new name.
        date: NaiveDate,
        /// The new name.
        name: String,
        /// Free text.
        #[serde(default)]
        note: Option<String>,
    },
    /// 代码变更 — the unit has `code` from `date` on.
    Recode {
        /// The unit.
        unit: UnitId,
        /// First day of the new code.
        date: NaiveDate,
        /// The new code.
        code: String,
        /// Free text.
        #[serde(default)]
        note: Option<String>,
    },
    /// 隶属变更 — the unit's parent in `hierarchy` is `parent` from `date` on.
    Move {
        /// The unit.
        unit: UnitId,
        /// First day under the new parent.
        date: NaiveDate,
        /// The new parent.
        parent: UnitId,
        /// Which hierarchy (default legal).
        #[serde(default)]
        hierarchy: Hierarchy,
        /// Free text.
        #[serde(default)]
        note: Option<String>,
    },
    /// 合并 — `units` merge into `into` on `date`: their children move to it and they close.
    Merge {
        /// First day of the merged unit.
        date: NaiveDate,
        /// The units merged (an existing `into` may be listed; it stays open).
        units: Vec<UnitId>,
        /// The unit they become.
        into: Successor,
        /// Free text.
        #[serde(default)]
        note: Option<String>,
    },
    /// 拆分 — `unit` splits into `into` on `date` and closes (unless it is one of them).
    /// Its children must be moved to the successors first (or on the same date).
    Split {
        /// First day of the successors.
        date: NaiveDate,
        /// The unit split.
        unit: UnitId,
        /// The successors.
        into: Vec<Successor>,
        /// Free text.
        #[serde(default)]
        note: Option<String>,
    },
    /// 撤销 — the unit closes on `date` (no successor). It must have no children then.
    Close {
        /// The unit.
        unit: UnitId,
        /// First day it no longer exists.
        date: NaiveDate,
        /// Free text.
        #[serde(default)]
        note: Option<String>,
    },
    /// 设立 — a new unit opens on its `valid_from`.
    Open {
        /// The unit.
        unit: NewUnit,
        /// Free text.
        #[serde(default)]
        note: Option<String>,
    },
}

/// What a reorganisation did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReorgOutcome {
    /// The event's id.
    pub event: FactId,
    /// The units after the event (new ones included).
    pub successors: Vec<UnitId>,
}

impl Batch<'_> {
    /// Records a reorganisation and its consequences.
    pub fn reorganise(&mut self, r: Reorganisation) -> Result<ReorgOutcome> {
        let (kind, date, preds, succs, note) = match r {
            Reorganisation::Rename {
                unit,
                date,
                name,
                note,
            } => {
                let name = name.trim().to_owned();
                if name.is_empty() {
                    return Err(Error::invalid("name", "it is empty"));
                }
                self.replace_attribute(
                    unit,
                    date,
                    "name",
                    |f| matches!(f, Fact::UnitName { .. }),
                    |valid| Fact::UnitName {
                        unit,
                        name: name.clone(),
                        valid,
                    },
                )?;
                (ReorgKind::Rename, date, vec![unit], vec![unit], note)
            }
            Reorganisation::Recode {
                unit,
                date,
                code,
                note,
            } => {
                let code = super::queries::normalise_code(&code);
                let span = Interval::new(date, self.unit_interval(unit)?.to)?;
                self.require_code_free(&code, &span, Some(unit))?;
                self.replace_attribute(
                    unit,
                    date,
                    "code",
                    |f| matches!(f, Fact::UnitCode { .. }),
                    |valid| Fact::UnitCode {
                        unit,
                        code: code.clone(),
                        valid,
                    },
                )?;
                (ReorgKind::Recode, date, vec![unit], vec![unit], note)
            }
            Reorganisation::Move {
                unit,
                date,
                parent,
                hierarchy,
                note,
            } => {
                self.move_unit(unit, &hierarchy, parent, date)?;
                (ReorgKind::Move, date, vec![unit], vec![unit], note)
            }
            Reorganisation::Merge {
                date,
                units,
                into,
                note,
            } => {
                if units.is_empty() {
                    return Err(Error::invalid("merge", "no units to merge"));
                }
                let target = self.successor(into, date)?;
                let closing: Vec<UnitId> = units.iter().copied().filter(|u| *u != target).collect();
                if closing.is_empty() {
                    return Err(Error::invalid(
                        "merge",
                        "no unit other than the successor to merge",
                    ));
                }
                for &u in &closing {
                    self.require_writable(u)?;
                    self.move_children(u, target, date)?;
                    self.close_unit(u, date)?;
                }
                (ReorgKind::Merge, date, closing, vec![target], note)
            }
            Reorganisation::Split {
                date,
                unit,
                into,
                note,
            } => {
                if into.is_empty() {
                    return Err(Error::invalid("split", "no successors"));
                }
                self.require_writable(unit)?;
                self.network().require_unit(unit, date)?;
                let mut succ = Vec::new();
                for s in into {
                    succ.push(self.successor(s, date)?);
                }
                if !succ.contains(&unit) {
                    self.close_unit(unit, date)?;
                }
                (ReorgKind::Split, date, vec![unit], succ, note)
            }
            Reorganisation::Close { unit, date, note } => {
                self.close_unit(unit, date)?;
                (ReorgKind::Close, date, vec![unit], vec![], note)
            }
            Reorganisation::Open { unit, note } => {
                let date = unit.valid_from;
                let id = self.add_unit(unit)?;
                (ReorgKind::Open, date, vec![], vec![id], note)
            }
        };
        let event = self.insert(Fact::Reorganisation {
            kind,
            date,
            predecessors: preds,
            successors: succs.clone(),
            note: note.filter(|s| !s.trim().is_empty()),
        })?;
        Ok(ReorgOutcome {
            event,
            successors: succs,
        })
    }

    fn successor(&mut self, s: Successor, date: NaiveDate) -> Result<UnitId> {
        match s {
            Successor::Existing(u) => {
                self.require_writable(u)?;
                self.network().require_unit(u, date)?;
                Ok(u)
            }
            Successor::New(n) => {
                if n.valid_from != date {
                    return Err(Error::invalid(
                        "successor",
                        format!(
                            "a new unit must open on the event date {date}, not {}",
                            n.valid_from
                        ),
                    ));
                }
                self.add_unit(n)
            }
        }
    }

    fn unit_interval(&self, unit: UnitId) -> Result<Interval> {
        match self.network().fact(unit) {
            Some(Fact::Unit { valid, .. }) => Ok(*valid),
            _ => Err(Error::not_found(format!("unit {unit}"))),
        }
    }

    /// Ends the attribute fact (name, code) valid on `date` and starts a new one there.
    fn replace_attribute(
        &mut self,
        unit: UnitId,
        date: NaiveDate,
        what: &str,
        is_kind: impl Fn(&Fact) -> bool,
        make: impl Fn(Interval) -> Fact,
    ) -> Result<()> {
        self.require_writable(unit)?;
        self.network().require_unit(unit, date)?;
        let unit_end = self.unit_interval(unit)?.to;
        let current = self
            .network()
            .facts_of_unit(unit)
            .find(|(_, f)| is_kind(f) && f.valid().is_some_and(|v| v.contains(date)))
            .map(|(id, f)| (id, f.clone()));
        let end = match current {
            Some((id, old)) => {
                let v = old.valid().unwrap_or(Interval::since(date));
                if v.from == date {
                    return Err(Error::conflict(format!(
                        "unit {unit}'s {what} already changes on {date}"
                    )));
                }
                self.replace(id, old.with_valid(v.ended(date)?))?;
                v.to
            }
            None => unit_end,
        };
        self.insert(make(Interval::new(date, end)?))?;
        Ok(())
    }

    /// Moves `unit` under `parent` in `hierarchy` from `date` on.
    pub(crate) fn move_unit(
        &mut self,
        unit: UnitId,
        hierarchy: &Hierarchy,
        parent: UnitId,
        date: NaiveDate,
    ) -> Result<FactId> {
        self.require_writable(unit)?;
        self.require_writable(parent)?;
        self.network().require_unit(unit, date)?;
        if parent == unit
            || self
                .network()
                .ancestors(parent, date, hierarchy)?
                .contains(&unit)
        {
            return Err(Error::conflict(format!(
                "unit {parent} is below unit {unit}; moving would make a cycle"
            )));
        }
        let unit_end = self.unit_interval(unit)?.to;
        let end = match self.network().parent_link_at(unit, hierarchy, date) {
            Some((id, _)) => {
                let old = self
                    .network()
                    .fact(id)
                    .cloned()
                    .ok_or_else(|| Error::Internal(format!("link {id} vanished")))?;
                let v = old.valid().unwrap_or(Interval::since(date));
                if v.from == date {
                    // Same-day correction of a link: end it where it began is impossible,
                    // so the new link replaces it outright.
                    self.replace(
                        id,
                        Fact::UnitParent {
                            unit,
                            hierarchy: *hierarchy,
                            parent,
                            valid: v,
                        },
                    )?;
                    self.require_parent_covers(parent, &v, hierarchy)?;
                    return Ok(id);
                }
                self.replace(id, old.with_valid(v.ended(date)?))?;
                v.to
            }
            None => unit_end,
        };
        let valid = Interval::new(date, end)?;
        self.require_parent_covers(parent, &valid, hierarchy)?;
        self.insert(Fact::UnitParent {
            unit,
            hierarchy: *hierarchy,
            parent,
            valid,
        })
    }

    /// Re-parents every child of `from` (in every hierarchy) to `to` as of `date`.
    fn move_children(&mut self, from: UnitId, to: UnitId, date: NaiveDate) -> Result<()> {
        let links: Vec<(UnitId, Hierarchy)> = self
            .network()
            .links_to(from)
            .filter_map(|(_, f)| match f {
                Fact::UnitParent {
                    unit,
                    hierarchy,
                    valid,
                    ..
                } if valid.contains(date) => Some((*unit, *hierarchy)),
                _ => None,
            })
            .collect();
        for (child, h) in links {
            self.move_unit(child, &h, to, date)?;
        }
        Ok(())
    }

    /// Closes a unit on `date`: its names, codes and parent links end, and so do the
    /// bodies, posts, positions, memberships and organisations attached to it.
    fn close_unit(&mut self, unit: UnitId, date: NaiveDate) -> Result<()> {
        self.require_writable(unit)?;
        let uv = self.unit_interval(unit)?;
        if !uv.contains(date) || uv.from == date {
            return Err(Error::conflict(format!(
                "unit {unit} exists over {uv}; it cannot close on {date}"
            )));
        }
        let children: Vec<String> = self
            .network()
            .links_to(unit)
            .filter_map(|(_, f)| match f {
                Fact::UnitParent { unit: c, valid, .. } if valid.to.is_none_or(|t| t > date) => {
                    Some(c.to_string())
                }
                _ => None,
            })
            .collect();
        if !children.is_empty() {
            return Err(Error::conflict(format!(
                "unit {unit} still has children on {date} (units {}); move them first",
                children.join(", ")
            )));
        }
        let dependents = self.dependents(unit);
        self.end_all(&dependents, date, &format!("unit {unit}"))?;
        let uf = self
            .network()
            .fact(unit)
            .cloned()
            .ok_or_else(|| Error::not_found(format!("unit {unit}")))?;
        self.replace(unit, uf.with_valid(uv.ended(date)?))
    }
}
