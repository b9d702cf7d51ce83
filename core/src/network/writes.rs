//! Adding units, bodies, posts, people, positions, memberships and organisations.
//! Every write is validated against the network as it stands inside the batch.

use chrono::NaiveDate;
use serde::Deserialize;

use super::facts::{BodyKind, Fact, Hierarchy, PostRole, UnitKind};
use super::{BodyId, FactId, PersonId, PostId, UnitId};
use crate::codes::CreditCode;
use crate::error::{Error, Result, Warning};
use crate::registry::Batch;
use crate::time::Interval;

/// A new unit (单位).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUnit {
    /// Kind (`city`, `district`, `street`, `area`, `community`, their Chinese names, or custom).
    pub kind: UnitKind,
    /// Name.
    pub name: String,
    /// Division code or custom code, if any.
    #[serde(default)]
    pub code: Option<String>,
    /// Legal parent; `None` makes a root (administrators without a scope only).
    #[serde(default)]
    pub parent: Option<UnitId>,
    /// Managing parent, if it differs from the legal one.
    #[serde(default)]
    pub managing_parent: Option<UnitId>,
    /// Working parent (for a community: its 联络片).
    #[serde(default)]
    pub working_parent: Option<UnitId>,
    /// First day of existence.
    pub valid_from: NaiveDate,
    /// First day it no longer exists, if known.
    #[serde(default)]
    pub valid_to: Option<NaiveDate>,
}

impl NewUnit {
    /// A unit open from `valid_from` with only kind and name set.
    pub fn new(kind: UnitKind, name: impl Into<String>, valid_from: NaiveDate) -> NewUnit {
        NewUnit {
            kind,
            name: name.into(),
            code: None,
            parent: None,
            managing_parent: None,
            working_parent: None,
            valid_from,
            valid_to: None,
        }
    }

    /// Sets the code.
    pub fn code(mut self, code: impl Into<String>) -> NewUnit {
        self.code = Some(code.into());
        self
    }

    /// Sets the legal parent.
    pub fn parent(mut self, parent: UnitId) -> NewUnit {
        self.parent = Some(parent);
        self
    }

    /// Sets the working parent.
    pub fn working_parent(mut self, parent: UnitId) -> NewUnit {
        self.working_parent = Some(parent);
        self
    }

    /// Sets the managing parent.
    pub fn managing_parent(mut self, parent: UnitId) -> NewUnit {
        self.managing_parent = Some(parent);
        self
    }
}

/// A new body (机构) attached to a unit.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewBody {
    /// The unit.
    pub unit: UnitId,
    /// Kind (`leadership_group` / 领导小组, `coordination_group` / 协调小组, …).
    pub kind: BodyKind,
    /// Name.
    pub name: String,
    /// First day.
    pub valid_from: NaiveDate,
    /// End (exclusive), if known.
    #[serde(default)]
    pub valid_to: Option<NaiveDate>,
}

/// A new post (岗位) in a unit or in one of its bodies.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPost {
    /// The body, if the post is in one (its unit is then the body's unit).
    #[serde(default)]
    pub body: Option<BodyId>,
    /// The unit, if the post is not in a body (片长 of a 联络片, say).
    #[serde(default)]
    pub unit: Option<UnitId>,
    /// Role (`leader` / 组长, `deputy_leader` / 副组长, `member` / 组员, `area_head` / 片长, …).
    pub role: PostRole,
    /// Responsibility (分工负责).
    #[serde(default)]
    pub responsibility: Option<String>,
    /// First day.
    pub valid_from: NaiveDate,
    /// End (exclusive), if known.
    #[serde(default)]
    pub valid_to: Option<NaiveDate>,
}

/// A new person (personal data).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPerson {
    /// Full name.
    pub name: String,
    /// Phone number.
    #[serde(default)]
    pub phone: Option<String>,
}

/// A position a person holds in a unit (e.g. 街道党工委书记).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPosition {
    /// Who.
    pub person: PersonId,
    /// Title.
    pub title: String,
    /// Unit.
    pub unit: UnitId,
    /// First day.
    pub valid_from: NaiveDate,
    /// End (exclusive), if known.
    #[serde(default)]
    pub valid_to: Option<NaiveDate>,
}

/// A person holds a post over an interval.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMembership {
    /// The post.
    pub post: PostId,
    /// The holder.
    pub person: PersonId,
    /// First day.
    pub valid_from: NaiveDate,
    /// End (exclusive), if known.
    #[serde(default)]
    pub valid_to: Option<NaiveDate>,
}

/// An organisation in the jurisdiction (辖区单位).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrganisation {
    /// Name.
    pub name: String,
    /// Unified social credit code, if it has one.
    #[serde(default)]
    pub credit_code: Option<String>,
    /// Codes accepted even though their check character fails (early pilot codes).
    #[serde(default)]
    pub credit_code_allow: Vec<String>,
    /// The unit it is located in.
    pub unit: UnitId,
    /// Free-text kind (企业, 学校, 医院, 商户 …).
    #[serde(default)]
    pub kind: Option<String>,
    /// First day.
    pub valid_from: NaiveDate,
    /// End (exclusive), if known.
    #[serde(default)]
    pub valid_to: Option<NaiveDate>,
}

/// A unit with the history of its names and parents.
pub(crate) struct UnitHistory {
    pub kind: UnitKind,
    pub valid: Interval,
    pub names: Vec<(String, Interval)>,
    pub code: Option<String>,
    pub parents: Vec<(Hierarchy, UnitId, Interval)>,
}

fn non_empty(what: &str, s: &str) -> Result<String> {
    let t = s.trim();
    if t.is_empty() {
        Err(Error::invalid(what, "it is empty"))
    } else {
        Ok(t.to_owned())
    }
}

impl Batch<'_> {
    /// Adds a unit with its name, code and parents; returns its id.
    pub fn add_unit(&mut self, u: NewUnit) -> Result<UnitId> {
        let valid = Interval::new(u.valid_from, u.valid_to)?;
        let parents = [
            (Hierarchy::Legal, u.parent),
            (Hierarchy::Managing, u.managing_parent),
            (Hierarchy::Working, u.working_parent),
        ]
        .into_iter()
        .filter_map(|(h, p)| p.map(|p| (h, p, valid)))
        .collect();
        self.add_unit_history(UnitHistory {
            kind: u.kind,
            valid,
            names: vec![(u.name, valid)],
            code: u.code,
            parents,
        })
    }

    /// Adds a unit whose name and parents already changed over its life (as an imported
    /// ledger describes it): every segment is validated like a single [`Batch::add_unit`].
    pub(crate) fn add_unit_history(&mut self, u: UnitHistory) -> Result<UnitId> {
        let valid = u.valid;
        let code = u.code.as_deref().map(super::queries::normalise_code);
        let legal: Vec<&(Hierarchy, UnitId, Interval)> = u
            .parents
            .iter()
            .filter(|(h, _, _)| *h == Hierarchy::Legal)
            .collect();
        if legal.is_empty() {
            self.require_unscoped("add a unit without a parent")?;
        }
        for (h, p, span) in &u.parents {
            self.require_writable(*p)?;
            if !valid.covers(span) {
                return Err(Error::conflict(format!(
                    "{} parent link over {span} outside the unit's existence {valid}",
                    h.label()
                )));
            }
            self.require_parent_covers(*p, span, h)?;
        }
        if let Some(c) = &code {
            self.require_code_free(c, &valid, None)?;
        }
        let mut names = Vec::new();
        for (name, span) in u.names {
            if !valid.covers(&span) {
                return Err(Error::conflict(format!(
                    "name over {span} outside the unit's existence {valid}"
                )));
            }
            names.push((non_empty("unit name", &name)?, span));
        }
        if names.is_empty() {
            return Err(Error::invalid("unit name", "it is empty"));
        }
        let id = self.insert(Fact::Unit {
            kind: u.kind,
            valid,
        })?;
        self.grant(id);
        for (name, span) in names {
            self.insert(Fact::UnitName {
                unit: id,
                name,
                valid: span,
            })?;
        }
        if let Some(code) = code {
            self.insert(Fact::UnitCode {
                unit: id,
                code,
                valid,
            })?;
        }
        for (hierarchy, parent, span) in u.parents {
            self.insert(Fact::UnitParent {
                unit: id,
                hierarchy,
                parent,
                valid: span,
            })?;
        }
        Ok(id)
    }

    /// Sets a unit's parent in a non-legal hierarchy from `from` on (ending any current
    /// link in that hierarchy). Legal moves are reorganisations: see [`Batch::reorganise`].
    pub fn set_parent(
        &mut self,
        unit: UnitId,
        hierarchy: Hierarchy,
        parent: UnitId,
        from: NaiveDate,
    ) -> Result<FactId> {
        self.move_unit(unit, &hierarchy, parent, from)
    }

    /// Adds a body to a unit.
    pub fn add_body(&mut self, b: NewBody) -> Result<BodyId> {
        let valid = Interval::new(b.valid_from, b.valid_to)?;
        self.require_writable(b.unit)?;
        self.require_unit_covers(b.unit, &valid, "body")?;
        let name = non_empty("body name", &b.name)?;
        self.insert(Fact::Body {
            unit: b.unit,
            kind: b.kind,
            name,
            valid,
        })
    }

    /// Adds a post to a body or a unit.
    pub fn add_post(&mut self, p: NewPost) -> Result<PostId> {
        let valid = Interval::new(p.valid_from, p.valid_to)?;
        let unit = match (p.body, p.unit) {
            (Some(b), u) => match self.network().fact(b) {
                Some(Fact::Body {
                    unit, valid: bv, ..
                }) => {
                    if u.is_some_and(|u| u != *unit) {
                        return Err(Error::invalid("post", "its unit is not its body's unit"));
                    }
                    if !bv.covers(&valid) {
                        return Err(Error::conflict(format!(
                            "post over {valid} outside its body {b}'s existence {bv}"
                        )));
                    }
                    *unit
                }
                _ => return Err(Error::not_found(format!("body {b}"))),
            },
            (None, Some(u)) => u,
            (None, None) => return Err(Error::invalid("post", "neither a body nor a unit given")),
        };
        self.require_writable(unit)?;
        self.require_unit_covers(unit, &valid, "post")?;
        self.insert(Fact::Post {
            unit,
            body: p.body,
            role: p.role,
            responsibility: p.responsibility.filter(|s| !s.trim().is_empty()),
            valid,
        })
    }

    /// Adds a person.
    pub fn add_person(&mut self, p: NewPerson) -> Result<PersonId> {
        self.principal().require_write()?;
        let name = non_empty("person name", &p.name)?;
        self.insert(Fact::Person {
            name,
            phone: p.phone.filter(|s| !s.trim().is_empty()),
        })
    }

    /// Records a position a person holds.
    pub fn add_position(&mut self, p: NewPosition) -> Result<FactId> {
        let valid = Interval::new(p.valid_from, p.valid_to)?;
        self.require_writable(p.unit)?;
        self.require_person(p.person)?;
        self.require_unit_covers(p.unit, &valid, "position")?;
        let title = non_empty("title", &p.title)?;
        self.insert(Fact::Position {
            person: p.person,
            title,
            unit: p.unit,
            valid,
        })
    }

    /// Records that a person holds a post; a post has one holder at a time.
    pub fn add_membership(&mut self, m: NewMembership) -> Result<FactId> {
        let valid = Interval::new(m.valid_from, m.valid_to)?;
        self.require_person(m.person)?;
        let (unit, post_valid) = match self.network().fact(m.post) {
            Some(Fact::Post { unit, valid, .. }) => (*unit, *valid),
            _ => return Err(Error::not_found(format!("post {}", m.post))),
        };
        self.require_writable(unit)?;
        if !post_valid.covers(&valid) {
            return Err(Error::conflict(format!(
                "membership over {valid} outside post {}'s existence {post_valid}",
                m.post
            )));
        }
        let clash = self
            .network()
            .attached_to(m.post)
            .find_map(|(id, f)| match f {
                Fact::Membership { post, valid: v, .. }
                    if *post == m.post && v.overlaps(&valid) =>
                {
                    Some((id, *v))
                }
                _ => None,
            });
        if let Some((id, v)) = clash {
            return Err(Error::conflict(format!(
                "post {} is already held over {v} (membership {id})",
                m.post
            )));
        }
        self.insert(Fact::Membership {
            post: m.post,
            person: m.person,
            valid,
        })
    }

    /// Ends a membership, position, post or body on `end` (exclusive).
    pub fn end(&mut self, id: FactId, end: NaiveDate) -> Result<()> {
        let fact = self
            .network()
            .fact(id)
            .cloned()
            .ok_or_else(|| Error::not_found(format!("record {id}")))?;
        let unit = match &fact {
            Fact::Membership { post, .. } => match self.network().fact(*post) {
                Some(Fact::Post { unit, .. }) => *unit,
                _ => return Err(Error::not_found(format!("post {post}"))),
            },
            Fact::Position { unit, .. }
            | Fact::Post { unit, .. }
            | Fact::Body { unit, .. }
            | Fact::Organisation { unit, .. } => *unit,
            _ => {
                return Err(Error::invalid(
                    "record",
                    format!(
                        "{id} is a {}; units end by reorganisation",
                        fact.kind_name()
                    ),
                ))
            }
        };
        self.require_writable(unit)?;
        let valid = fact
            .valid()
            .ok_or_else(|| Error::Internal(format!("record {id} has no interval")))?;
        if let Some(t) = valid.to.filter(|t| end >= *t) {
            return Err(Error::conflict(format!("record {id} already ends on {t}")));
        }
        // An end on or before the start is an invalid interval, not a conflict.
        valid.ended(end)?;
        let mut ids = vec![id];
        ids.extend(self.dependents(id));
        self.end_all(&ids, end, &format!("record {id}"))
    }

    /// Records that hang off `root` and cannot outlive it: a unit's names, codes, parent
    /// links, bodies, posts, positions and organisations; a body's posts; a post's
    /// memberships — transitively.
    pub(crate) fn dependents(&self, root: FactId) -> Vec<FactId> {
        let net = self.network();
        let mut out = Vec::new();
        let mut todo = vec![root];
        while let Some(id) = todo.pop() {
            let below: Vec<FactId> = match net.fact(id) {
                Some(Fact::Unit { .. }) => net
                    .facts_of_unit(id)
                    .chain(
                        net.attached_to(id)
                            .filter(|(_, f)| !matches!(f, Fact::Membership { .. })),
                    )
                    .map(|(f, _)| f)
                    .collect(),
                Some(Fact::Body { .. }) => net
                    .attached_to(id)
                    .filter(|(_, f)| matches!(f, Fact::Post { body: Some(b), .. } if *b == id))
                    .map(|(f, _)| f)
                    .collect(),
                Some(Fact::Post { .. }) => net
                    .attached_to(id)
                    .filter(|(_, f)| matches!(f, Fact::Membership { post, .. } if *post == id))
                    .map(|(f, _)| f)
                    .collect(),
                _ => Vec::new(),
            };
            for f in below {
                if f != root && !out.contains(&f) {
                    out.push(f);
                    todo.push(f);
                }
            }
        }
        out.sort_unstable();
        out
    }

    /// Ends every record of `ids` that is still valid on `date`; a record that only
    /// starts on or after `date` is a conflict (it would be left outside its owner).
    pub(crate) fn end_all(&mut self, ids: &[FactId], date: NaiveDate, owner: &str) -> Result<()> {
        for &id in ids {
            let Some(f) = self.network().fact(id).cloned() else {
                continue;
            };
            let Some(v) = f.valid() else { continue };
            if v.to.is_some_and(|t| t <= date) {
                continue;
            }
            if v.from >= date {
                return Err(Error::conflict(format!(
                    "record {id} starts on {}, on or after {owner} ends ({date})",
                    v.from
                )));
            }
            self.replace(id, f.with_valid(v.ended(date)?))?;
        }
        Ok(())
    }

    /// Adds an organisation located in a unit. A credit code that fails its check is
    /// refused unless `credit_code_allow` names it; then it is kept with a warning.
    pub fn add_organisation(&mut self, o: NewOrganisation) -> Result<(FactId, Vec<Warning>)> {
        let valid = Interval::new(o.valid_from, o.valid_to)?;
        self.require_writable(o.unit)?;
        self.require_unit_covers(o.unit, &valid, "organisation")?;
        let name = non_empty("organisation name", &o.name)?;
        let (credit_code, warnings) =
            match o.credit_code.as_deref().filter(|s| !s.trim().is_empty()) {
                Some(c) => {
                    let allow: Vec<&str> = o.credit_code_allow.iter().map(String::as_str).collect();
                    let parsed = CreditCode::parse(c, &allow)?;
                    (Some(parsed.value.as_str().to_owned()), parsed.warnings)
                }
                None => (None, Vec::new()),
            };
        let id = self.insert(Fact::Organisation {
            name,
            credit_code,
            unit: o.unit,
            kind: o.kind.filter(|s| !s.trim().is_empty()),
            valid,
        })?;
        Ok((id, warnings))
    }

    fn require_person(&self, person: PersonId) -> Result<()> {
        match self.network().fact(person) {
            Some(Fact::Person { .. }) => Ok(()),
            _ => Err(Error::not_found(format!("person {person}"))),
        }
    }

    /// Fails unless `unit` exists over all of `valid`.
    pub(crate) fn require_unit_covers(
        &self,
        unit: UnitId,
        valid: &Interval,
        what: &str,
    ) -> Result<()> {
        match self.network().fact(unit) {
            Some(Fact::Unit { valid: uv, .. }) if uv.covers(valid) => Ok(()),
            Some(Fact::Unit { valid: uv, .. }) => Err(Error::conflict(format!(
                "{what} over {valid} outside unit {unit}'s existence {uv}"
            ))),
            _ => Err(Error::not_found(format!("unit {unit}"))),
        }
    }

    /// Fails unless `parent` exists over all of `valid` and is not below itself.
    pub(crate) fn require_parent_covers(
        &self,
        parent: UnitId,
        valid: &Interval,
        hierarchy: &Hierarchy,
    ) -> Result<()> {
        self.require_unit_covers(parent, valid, &format!("{} parent link", hierarchy.label()))
    }

    /// Fails if another unit has `code` on a day of `valid`.
    pub(crate) fn require_code_free(
        &self,
        code: &str,
        valid: &Interval,
        except: Option<UnitId>,
    ) -> Result<()> {
        let clash = self.network().code_facts(code).find_map(|(_, f)| match f {
            Fact::UnitCode {
                unit,
                code: c,
                valid: v,
            } if c == code && v.overlaps(valid) && Some(*unit) != except => Some((*unit, *v)),
            _ => None,
        });
        match clash {
            Some((u, v)) => Err(Error::conflict(format!(
                "code {code} is already held by unit {u} over {v}"
            ))),
            None => Ok(()),
        }
    }
}
