//! The set of units a principal's scope covers.

use std::collections::HashSet;

use crate::network::{Fact, Hierarchy, Network, UnitId};

/// Units a principal may touch: the scope unit's subtree in its hierarchy at any date,
/// together with its predecessors (by lineage) and everything ever under them.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    all: bool,
    units: HashSet<UnitId>,
}

impl Scope {
    /// A scope covering everything.
    pub fn everything() -> Scope {
        Scope {
            all: true,
            units: HashSet::new(),
        }
    }

    /// Whether the scope covers everything.
    pub fn is_everything(&self) -> bool {
        self.all
    }

    /// Whether `unit` is covered.
    pub fn covers(&self, unit: UnitId) -> bool {
        self.all || self.units.contains(&unit)
    }

    /// Adds a unit created inside the scope.
    pub(crate) fn grant(&mut self, unit: UnitId) {
        if !self.all {
            self.units.insert(unit);
        }
    }

    /// Computes the scope of `root` in `hierarchy` over the whole recorded network.
    pub fn of(net: &Network, root: UnitId, hierarchy: &Hierarchy) -> Scope {
        let mut units = HashSet::new();
        let mut todo = vec![root];
        while let Some(u) = todo.pop() {
            if !units.insert(u) {
                continue;
            }
            // Children ever linked to u in this hierarchy, or legally linked while they
            // had no link in this hierarchy.
            for (_, f) in net.links_to(u) {
                if let Fact::UnitParent {
                    unit,
                    hierarchy: h,
                    valid,
                    ..
                } = f
                {
                    let counts = h == hierarchy
                        || (*h == Hierarchy::Legal
                            && !net.facts_of_unit(*unit).any(|(_, g)| {
                                matches!(g, Fact::UnitParent { hierarchy: gh, valid: gv, .. }
                                    if gh == hierarchy && gv.overlaps(valid))
                            }));
                    if counts {
                        todo.push(*unit);
                    }
                }
            }
            // Predecessors by lineage.
            for (_, f) in net.facts() {
                if let Fact::Reorganisation {
                    predecessors,
                    successors,
                    ..
                } = f
                {
                    if successors.contains(&u) {
                        todo.extend(predecessors.iter().copied());
                    }
                }
            }
        }
        Scope { all: false, units }
    }
}
