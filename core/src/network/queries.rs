//! As-of queries over the network. These know nothing of access: the registry checks
//! scope and masks personal data before results leave it.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::Serialize;

use super::facts::{Fact, Hierarchy, ReorgKind};
use super::model::Network;
use super::{BodyId, FactId, PersonId, PostId, UnitId};
use crate::error::{Error, Result};
use crate::time::Interval;

/// A unit as it was on a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitView {
    /// Stable id.
    pub id: UnitId,
    /// Kind label (`city`, `district`, `street`, `area`, `community` or custom).
    pub kind: String,
    /// Kind in Chinese.
    pub kind_zh: String,
    /// Name on the date.
    pub name: String,
    /// Code on the date, if any.
    pub code: Option<String>,
    /// Parent on the date in the hierarchy asked about.
    pub parent: Option<UnitId>,
    /// Existence interval.
    pub valid: Interval,
}

/// A node of a tree listing (pre-order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TreeNode {
    /// The unit.
    #[serde(flatten)]
    pub unit: UnitView,
    /// Depth below the listing's root (root = 0).
    pub depth: usize,
    /// Names from the root of the hierarchy, joined by `/`.
    pub path: String,
}

/// One step of lineage: a reorganisation linking a predecessor to a successor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lineage {
    /// The reorganisation event's id.
    pub event: FactId,
    /// What happened.
    pub kind: ReorgKind,
    /// Chinese name of the event kind.
    pub kind_zh: &'static str,
    /// The day it took effect.
    pub date: NaiveDate,
    /// The unit before.
    pub predecessor: UnitId,
    /// Its name the day before.
    pub predecessor_name: String,
    /// The unit after.
    pub successor: UnitId,
    /// Its name on the day.
    pub successor_name: String,
}

/// Where a name path resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathMatch {
    /// The unit.
    pub unit: UnitView,
    /// Its full path from the root on that date.
    pub path: String,
}

/// A person as a result shows them: name masked unless the principal may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonRef {
    /// Stable id.
    pub id: PersonId,
    /// Name (masked as `张**` for viewers).
    pub name: String,
    /// Whether `name` is masked.
    pub masked: bool,
}

/// A post on a date with its holder, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostHolding {
    /// The post.
    pub post: PostId,
    /// The unit it belongs to.
    pub unit: UnitId,
    /// The body it is in, if any.
    pub body: Option<BodyId>,
    /// The body's name.
    pub body_name: Option<String>,
    /// Role label.
    pub role: String,
    /// Role in Chinese.
    pub role_zh: String,
    /// Responsibility (分工).
    pub responsibility: Option<String>,
    /// The holder on the date; `None` = vacant.
    pub holder: Option<PersonRef>,
    /// Titles the holder has on the date in the post's unit or above (e.g. 街道党工委书记).
    pub holder_titles: Vec<String>,
}

/// A membership over time (a person's post history).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MembershipView {
    /// The membership's id.
    pub membership: FactId,
    /// The post.
    pub post: PostId,
    /// Role label.
    pub role: String,
    /// Role in Chinese.
    pub role_zh: String,
    /// Unit of the post.
    pub unit: UnitId,
    /// The unit's name at the start of the membership.
    pub unit_name: String,
    /// Body, if any.
    pub body: Option<BodyId>,
    /// When the person held it.
    pub valid: Interval,
}

/// A position a person held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PositionView {
    /// The position fact's id.
    pub position: FactId,
    /// Title.
    pub title: String,
    /// Unit.
    pub unit: UnitId,
    /// When.
    pub valid: Interval,
}

impl Network {
    /// Fails unless `unit` is a unit existing on `date`.
    pub fn require_unit(&self, unit: UnitId, date: NaiveDate) -> Result<()> {
        match self.facts.get(&unit) {
            Some(Fact::Unit { valid, .. }) if valid.contains(date) => Ok(()),
            Some(Fact::Unit { valid, .. }) => Err(Error::not_found(format!(
                "unit {unit} on {date} (it exists over {valid})"
            ))),
            _ => Err(Error::not_found(format!("unit {unit}"))),
        }
    }

    /// A unit as it was on `date`.
    pub fn unit_view(
        &self,
        unit: UnitId,
        date: NaiveDate,
        hierarchy: &Hierarchy,
    ) -> Result<UnitView> {
        self.require_unit(unit, date)?;
        let (kind, valid) = match self.facts.get(&unit) {
            Some(Fact::Unit { kind, valid }) => (kind, *valid),
            _ => return Err(Error::not_found(format!("unit {unit}"))),
        };
        Ok(UnitView {
            id: unit,
            kind: kind.label().to_owned(),
            kind_zh: kind.name_zh().to_owned(),
            name: self.name_at(unit, date).unwrap_or_default().to_owned(),
            code: self.code_at(unit, date).map(str::to_owned),
            parent: self.parent_at(unit, hierarchy, date),
            valid,
        })
    }

    /// Ancestors of a unit on `date`, from the root down to the unit's parent.
    pub fn ancestors(
        &self,
        unit: UnitId,
        date: NaiveDate,
        hierarchy: &Hierarchy,
    ) -> Result<Vec<UnitId>> {
        self.require_unit(unit, date)?;
        let mut chain = Vec::new();
        let mut cur = unit;
        while let Some(p) = self.parent_at(cur, hierarchy, date) {
            if p == unit || chain.contains(&p) {
                return Err(Error::Internal(format!("parent cycle through unit {p}")));
            }
            chain.push(p);
            cur = p;
        }
        chain.reverse();
        Ok(chain)
    }

    /// The names from the root to the unit, joined by `/`.
    pub fn path_of(&self, unit: UnitId, date: NaiveDate, hierarchy: &Hierarchy) -> Result<String> {
        let mut names: Vec<&str> = self
            .ancestors(unit, date, hierarchy)?
            .into_iter()
            .map(|u| self.name_at(u, date).unwrap_or_default())
            .collect();
        names.push(self.name_at(unit, date).unwrap_or_default());
        Ok(names.join("/"))
    }

    /// The subtree under `root` (or under every root) on `date`, in pre-order.
    pub fn tree(
        &self,
        roots: &[UnitId],
        date: NaiveDate,
        hierarchy: &Hierarchy,
    ) -> Result<Vec<TreeNode>> {
        let mut out = Vec::new();
        for &root in roots {
            let base = self.path_of(root, date, hierarchy)?;
            let mut stack = vec![(root, 0usize, base)];
            while let Some((u, depth, path)) = stack.pop() {
                if depth > 64 {
                    return Err(Error::Internal(format!("tree deeper than 64 at unit {u}")));
                }
                let kids = self.children_at(u, hierarchy, date);
                for k in kids.iter().rev() {
                    let p = format!("{path}/{}", self.name_at(*k, date).unwrap_or_default());
                    stack.push((*k, depth + 1, p));
                }
                out.push(TreeNode {
                    unit: self.unit_view(u, date, hierarchy)?,
                    depth,
                    path,
                });
            }
        }
        Ok(out)
    }

    /// Units with `code` on `date` (normally one).
    pub fn find_by_code(&self, code: &str, date: NaiveDate) -> Result<UnitId> {
        let code = normalise_code(code);
        let hits: BTreeSet<UnitId> = self
            .code_facts(&code)
            .filter_map(|(_, f)| match f {
                Fact::UnitCode {
                    unit,
                    code: c,
                    valid,
                } if *c == code && valid.contains(date) => Some(*unit),
                _ => None,
            })
            .filter(|u| self.unit_exists(*u, date))
            .collect();
        one_of(hits, || format!("unit code {code} on {date}"))
    }

    /// Resolves a name path such as `姑苏区/双塔街道` on `date`: the first name may be any
    /// unit's, each following name a child of the one before.
    pub fn find_by_path(
        &self,
        path: &str,
        date: NaiveDate,
        hierarchy: &Hierarchy,
    ) -> Result<UnitId> {
        let parts: Vec<&str> = path
            .split(['/', '／', '>'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        let Some((first, rest)) = parts.split_first() else {
            return Err(Error::invalid("path", "it is empty"));
        };
        let mut current: BTreeSet<UnitId> = self
            .unit_ids()
            .filter(|u| self.unit_exists(*u, date) && self.name_at(*u, date) == Some(first))
            .collect();
        for part in rest {
            current = current
                .iter()
                .flat_map(|u| self.children_at(*u, hierarchy, date))
                .filter(|k| self.name_at(*k, date) == Some(part))
                .collect();
        }
        one_of(current, || format!("unit path {path} on {date}"))
    }

    /// Lineage events where `unit` is a predecessor, in date order.
    fn lineage_from(&self, unit: UnitId) -> Vec<(FactId, ReorgKind, NaiveDate, Vec<UnitId>)> {
        let mut v: Vec<_> = self
            .facts
            .iter()
            .filter_map(|(id, f)| match f {
                Fact::Reorganisation {
                    kind,
                    date,
                    predecessors,
                    successors,
                    ..
                } if predecessors.contains(&unit) => Some((*id, *kind, *date, successors.clone())),
                _ => None,
            })
            .collect();
        v.sort_by_key(|(id, _, d, _)| (*d, *id));
        v
    }

    /// The units that carry on `unit` on `date`: itself if it still exists, otherwise
    /// whatever it was merged or split into, followed transitively. Empty if it closed
    /// without a successor.
    pub fn successors(&self, unit: UnitId, date: NaiveDate) -> Result<Vec<UnitId>> {
        if !matches!(self.facts.get(&unit), Some(Fact::Unit { .. })) {
            return Err(Error::not_found(format!("unit {unit}")));
        }
        let mut out = BTreeSet::new();
        let mut todo = vec![unit];
        let mut seen = BTreeSet::new();
        while let Some(u) = todo.pop() {
            if !seen.insert(u) {
                continue;
            }
            if self.unit_exists(u, date) {
                out.insert(u);
                continue;
            }
            for (_, _, when, succ) in self.lineage_from(u) {
                if when <= date {
                    todo.extend(succ.into_iter().filter(|s| *s != u));
                }
            }
        }
        Ok(out.into_iter().collect())
    }

    /// Every lineage step leading into `unit`, transitively, newest first.
    pub fn predecessors(&self, unit: UnitId) -> Result<Vec<Lineage>> {
        if !matches!(self.facts.get(&unit), Some(Fact::Unit { .. })) {
            return Err(Error::not_found(format!("unit {unit}")));
        }
        let mut out = Vec::new();
        let mut todo = vec![unit];
        let mut seen = BTreeSet::new();
        while let Some(u) = todo.pop() {
            if !seen.insert(u) {
                continue;
            }
            for (id, f) in &self.facts {
                if let Fact::Reorganisation {
                    kind,
                    date,
                    predecessors,
                    successors,
                    ..
                } = f
                {
                    if !successors.contains(&u) {
                        continue;
                    }
                    for p in predecessors.iter().filter(|p| **p != u) {
                        let before = date.pred_opt().unwrap_or(*date);
                        out.push(Lineage {
                            event: *id,
                            kind: *kind,
                            kind_zh: kind.name_zh(),
                            date: *date,
                            predecessor: *p,
                            predecessor_name: self
                                .name_at(*p, before)
                                .or_else(|| self.last_name(*p))
                                .unwrap_or_default()
                                .to_owned(),
                            successor: u,
                            successor_name: self
                                .name_at(u, *date)
                                .or_else(|| self.last_name(u))
                                .unwrap_or_default()
                                .to_owned(),
                        });
                        todo.push(*p);
                    }
                }
            }
        }
        out.sort_by_key(|l| std::cmp::Reverse((l.date, l.event)));
        Ok(out)
    }

    /// Posts of a unit (and of its bodies) existing on `date`, with their holders.
    /// `holder_name` turns a person id into what the caller may see.
    pub fn post_holdings(
        &self,
        unit: UnitId,
        date: NaiveDate,
        holder_name: &dyn Fn(PersonId, &str) -> PersonRef,
    ) -> Vec<PostHolding> {
        let mut out: Vec<PostHolding> = self
            .attached_to(unit)
            .filter_map(|(post_id, f)| match f {
                Fact::Post {
                    unit: u,
                    body,
                    role,
                    responsibility,
                    valid,
                } if *u == unit && valid.contains(date) => {
                    let holder = self.holder_at(post_id, date);
                    Some(PostHolding {
                        post: post_id,
                        unit,
                        body: *body,
                        body_name: body.and_then(|b| match self.facts.get(&b) {
                            Some(Fact::Body { name, .. }) => Some(name.clone()),
                            _ => None,
                        }),
                        role: role.label().to_owned(),
                        role_zh: role.name_zh().to_owned(),
                        responsibility: responsibility.clone(),
                        holder_titles: holder.map(|p| self.titles_at(p, date)).unwrap_or_default(),
                        holder: holder.and_then(|p| match self.facts.get(&p) {
                            Some(Fact::Person { name, .. }) => Some(holder_name(p, name)),
                            _ => None,
                        }),
                    })
                }
                _ => None,
            })
            .collect();
        out.sort_by_key(|h| (h.body, role_rank(&h.role), h.post));
        out
    }

    /// The person holding `post` on `date`.
    pub fn holder_at(&self, post: PostId, date: NaiveDate) -> Option<PersonId> {
        self.attached_to(post).find_map(|(_, f)| match f {
            Fact::Membership {
                post: p,
                person,
                valid,
            } if *p == post && valid.contains(date) => Some(*person),
            _ => None,
        })
    }

    /// Titles a person holds on `date`.
    pub fn titles_at(&self, person: PersonId, date: NaiveDate) -> Vec<String> {
        self.attached_to(person)
            .filter_map(|(_, f)| match f {
                Fact::Position {
                    person: p,
                    title,
                    valid,
                    ..
                } if *p == person && valid.contains(date) => Some(title.clone()),
                _ => None,
            })
            .collect()
    }

    /// A person's memberships over time, oldest first.
    pub fn person_memberships(&self, person: PersonId) -> Result<Vec<MembershipView>> {
        if !matches!(self.facts.get(&person), Some(Fact::Person { .. })) {
            return Err(Error::not_found(format!("person {person}")));
        }
        let mut out: Vec<MembershipView> = self
            .attached_to(person)
            .filter_map(|(id, f)| match f {
                Fact::Membership {
                    post,
                    person: p,
                    valid,
                } if *p == person => match self.facts.get(post) {
                    Some(Fact::Post {
                        unit, body, role, ..
                    }) => Some(MembershipView {
                        membership: id,
                        post: *post,
                        role: role.label().to_owned(),
                        role_zh: role.name_zh().to_owned(),
                        unit: *unit,
                        unit_name: self
                            .name_at(*unit, valid.from)
                            .or_else(|| self.last_name(*unit))
                            .unwrap_or_default()
                            .to_owned(),
                        body: *body,
                        valid: *valid,
                    }),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        out.sort_by_key(|m| (m.valid.from, m.membership));
        Ok(out)
    }

    /// A person's positions over time, oldest first.
    pub fn person_positions(&self, person: PersonId) -> Vec<PositionView> {
        let mut out: Vec<PositionView> = self
            .attached_to(person)
            .filter_map(|(id, f)| match f {
                Fact::Position {
                    person: p,
                    title,
                    unit,
                    valid,
                } if *p == person => Some(PositionView {
                    position: id,
                    title: title.clone(),
                    unit: *unit,
                    valid: *valid,
                }),
                _ => None,
            })
            .collect();
        out.sort_by_key(|p| (p.valid.from, p.position));
        out
    }
}

/// Order of roles within a body: leaders first.
fn role_rank(role: &str) -> u8 {
    match role {
        "leader" => 0,
        "deputy_leader" => 1,
        "area_head" => 2,
        "area_liaison" => 3,
        "station_head" => 4,
        "member" => 5,
        _ => 6,
    }
}

/// Normalises a division code for lookups (12-digit padded statistical codes shorten);
/// other codes are only trimmed.
pub(crate) fn normalise_code(code: &str) -> String {
    match crate::codes::DivisionCode::parse(code) {
        Ok(p) => p.value.as_str().to_owned(),
        Err(_) => code.trim().to_owned(),
    }
}

fn one_of(hits: BTreeSet<UnitId>, what: impl Fn() -> String) -> Result<UnitId> {
    let mut it = hits.iter();
    match (it.next(), it.next()) {
        (Some(u), None) => Ok(*u),
        (None, _) => Err(Error::not_found(what())),
        (Some(_), Some(_)) => Err(Error::conflict(format!(
            "{} is ambiguous: units {}",
            what(),
            hits.iter()
                .map(|u| u.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}
