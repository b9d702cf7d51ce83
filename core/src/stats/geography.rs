//! The geography a statistic is reported on: the unit tree valid on one date, in
//! pre-order (so a subtree is a contiguous range), and where each place lived in lands
//! on it — itself, or its successor by lineage, or its nearest ancestor that is there.

use std::collections::HashMap;

use rustc_hash::FxHashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::network::{Fact, Hierarchy, Network, UnitId, UnitKind};

/// A unit of a result table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitInfo {
    /// Stable id.
    pub id: UnitId,
    /// Code on the geography date, if any.
    pub code: Option<String>,
    /// Name on the geography date.
    pub name: String,
    /// Level (the unit kind label: `city`, `district`, `street`, `area`, `community` …).
    pub level: String,
    /// Level in Chinese.
    pub level_zh: String,
    /// Names from the root, joined by `/`.
    pub path: String,
    /// Depth below the table's root (0).
    pub depth: u32,
    /// Index of the parent unit in the same table, if it is in it.
    pub parent: Option<u32>,
}

/// The tree valid on a date, in pre-order.
#[derive(Debug, Clone)]
pub(crate) struct Tree {
    pub(crate) nodes: Vec<UnitInfo>,
    pub(crate) index: FxHashMap<UnitId, u32>,
}

impl Tree {
    /// Builds the tree under `roots` (every root when `None`) on `date`: the same tree as
    /// [`Network::tree`], made in one pass over the network's facts (trends build one per
    /// epoch).
    pub(crate) fn build(
        net: &Network,
        roots: Option<&[UnitId]>,
        date: NaiveDate,
        hierarchy: &Hierarchy,
    ) -> Result<Tree> {
        let mut kind: FxHashMap<UnitId, &UnitKind> = FxHashMap::default();
        let mut name: FxHashMap<UnitId, &str> = FxHashMap::default();
        let mut code: FxHashMap<UnitId, &str> = FxHashMap::default();
        let mut own_parent: FxHashMap<UnitId, UnitId> = FxHashMap::default();
        let mut legal_parent: FxHashMap<UnitId, UnitId> = FxHashMap::default();
        for (id, f) in net.facts() {
            match f {
                Fact::Unit { kind: k, valid } if valid.contains(date) => {
                    kind.insert(id, k);
                }
                Fact::UnitName {
                    unit,
                    name: n,
                    valid,
                } if valid.contains(date) => {
                    name.entry(*unit).or_insert(n);
                }
                Fact::UnitCode {
                    unit,
                    code: c,
                    valid,
                } if valid.contains(date) => {
                    code.entry(*unit).or_insert(c);
                }
                Fact::UnitParent {
                    unit,
                    parent,
                    hierarchy: h,
                    valid,
                } if valid.contains(date) => {
                    if h == hierarchy {
                        own_parent.entry(*unit).or_insert(*parent);
                    }
                    if *h == Hierarchy::Legal {
                        legal_parent.entry(*unit).or_insert(*parent);
                    }
                }
                _ => {}
            }
        }
        let parent_of = |u: UnitId| {
            own_parent.get(&u).or_else(|| {
                (*hierarchy != Hierarchy::Legal)
                    .then(|| legal_parent.get(&u))
                    .flatten()
            })
        };
        let mut children: FxHashMap<UnitId, Vec<UnitId>> = FxHashMap::default();
        for &u in kind.keys() {
            if let Some(p) = parent_of(u) {
                children.entry(*p).or_default().push(u);
            }
        }
        let sort_key = |u: &UnitId| {
            (
                code.get(u).copied().unwrap_or("\u{10FFFF}"),
                name.get(u).copied().unwrap_or_default(),
                *u,
            )
        };
        for kids in children.values_mut() {
            kids.sort_by_cached_key(sort_key);
        }
        let roots: Vec<UnitId> = match roots {
            Some(r) => r.to_vec(),
            None => {
                let mut r: Vec<UnitId> = kind
                    .keys()
                    .copied()
                    .filter(|u| parent_of(*u).is_none())
                    .collect();
                r.sort_by_cached_key(sort_key);
                r
            }
        };
        let mut nodes: Vec<UnitInfo> = Vec::with_capacity(kind.len());
        let mut index = FxHashMap::default();
        index.reserve(kind.len());
        for &root in &roots {
            net.require_unit(root, date)?;
            let mut base: Vec<&str> = net
                .ancestors(root, date, hierarchy)?
                .into_iter()
                .map(|a| name.get(&a).copied().unwrap_or_default())
                .collect();
            base.push(name.get(&root).copied().unwrap_or_default());
            // (unit, depth, parent index, path)
            let mut stack: Vec<(UnitId, u32, Option<u32>, String)> =
                vec![(root, 0, None, base.join("/"))];
            while let Some((u, depth, parent, path)) = stack.pop() {
                if depth > 64 {
                    return Err(Error::Internal(format!("tree deeper than 64 at unit {u}")));
                }
                let i = nodes.len() as u32;
                if let Some(kids) = children.get(&u) {
                    for k in kids.iter().rev() {
                        let p = format!("{path}/{}", name.get(k).copied().unwrap_or_default());
                        stack.push((*k, depth + 1, Some(i), p));
                    }
                }
                let k = kind.get(&u).copied();
                index.insert(u, i);
                nodes.push(UnitInfo {
                    id: u,
                    code: code.get(&u).map(|c| (*c).to_owned()),
                    name: name.get(&u).copied().unwrap_or_default().to_owned(),
                    level: k.map(|k| k.label().to_owned()).unwrap_or_default(),
                    level_zh: k.map(|k| k.name_zh().to_owned()).unwrap_or_default(),
                    path,
                    depth,
                    parent,
                });
            }
        }
        Ok(Tree { nodes, index })
    }
}

/// Where a place lands on a tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Home {
    pub(crate) node: u32,
    /// The place was split between several units of the tree; its residents are counted
    /// under the first successor (see [`crate::stats`]).
    pub(crate) split: bool,
}

/// The node `unit` lands on: itself if it is in the tree; otherwise its successors by
/// lineage on `date` (the first, by id, when it was split); otherwise, walking up its
/// own parents as they were while it existed, the first that lands.
pub(crate) fn home(
    net: &Network,
    tree: &Tree,
    unit: UnitId,
    date: NaiveDate,
    hierarchy: &Hierarchy,
) -> Option<Home> {
    let mut u = unit;
    for _ in 0..16 {
        if let Some(i) = tree.index.get(&u) {
            return Some(Home {
                node: *i,
                split: false,
            });
        }
        let ended = matches!(net.fact(u), Some(Fact::Unit { valid, .. }) if valid.to.is_some_and(|t| t <= date));
        let succ: Vec<u32> = if !ended {
            Vec::new()
        } else {
            net.successors(u, date)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|s| tree.index.get(&s).copied())
                .collect()
        };
        if let Some(first) = succ.first() {
            return Some(Home {
                node: *first,
                split: succ.len() > 1,
            });
        }
        // The parent it had on its last day of existence.
        let last = match net.fact(u) {
            Some(Fact::Unit { valid, .. }) => valid
                .to
                .and_then(|t| t.pred_opt())
                .unwrap_or(date)
                .max(valid.from),
            _ => return None,
        };
        let at = if last < date {
            last
        } else {
            date.max(unit_start(net, u))
        };
        u = net.parent_at(u, hierarchy, at)?;
    }
    None
}

fn unit_start(net: &Network, u: UnitId) -> NaiveDate {
    match net.fact(u) {
        Some(Fact::Unit { valid, .. }) => valid.from,
        _ => NaiveDate::MIN,
    }
}

/// The dates on which some unit's existence, name, code or parent changes: between two
/// consecutive ones every tree is the same, so trees are cached per such epoch.
pub(crate) fn boundaries(net: &Network) -> Vec<NaiveDate> {
    let mut v: Vec<NaiveDate> = net
        .facts()
        .filter(|(_, f)| {
            matches!(
                f,
                Fact::Unit { .. }
                    | Fact::UnitName { .. }
                    | Fact::UnitCode { .. }
                    | Fact::UnitParent { .. }
            )
        })
        .filter_map(|(_, f)| f.valid())
        .flat_map(|v| std::iter::once(v.from).chain(v.to))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Trees already built, per network transaction, epoch, hierarchy and root.
#[derive(Debug, Default)]
pub(crate) struct TreeCache {
    transaction: i64,
    boundaries: Vec<NaiveDate>,
    trees: HashMap<(usize, Hierarchy, Option<UnitId>), Arc<Tree>>,
}

impl TreeCache {
    /// The tree under `root` (or every root, `None`) on `date`, built once per epoch
    /// from the roots `roots` gives (`None`: every root of the network).
    pub(crate) fn tree(
        &mut self,
        net: &Network,
        root: Option<UnitId>,
        date: NaiveDate,
        hierarchy: &Hierarchy,
        roots: impl FnOnce() -> Result<Option<Vec<UnitId>>>,
    ) -> Result<Arc<Tree>> {
        if self.transaction != net.transaction() || self.boundaries.is_empty() {
            self.transaction = net.transaction();
            self.boundaries = boundaries(net);
            self.trees.clear();
        }
        let epoch = self.boundaries.partition_point(|b| *b <= date);
        let key = (epoch, *hierarchy, root);
        if let Some(t) = self.trees.get(&key) {
            return Ok(t.clone());
        }
        let roots = roots()?;
        let t = Arc::new(Tree::build(net, roots.as_deref(), date, hierarchy)?);
        if self.trees.len() >= 64 {
            self.trees.clear();
        }
        self.trees.insert(key, t.clone());
        Ok(t)
    }
}
