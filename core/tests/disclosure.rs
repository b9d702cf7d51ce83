#![allow(clippy::unwrap_used)] // test helpers fail loudly by design
//! Disclosure control against a linear-programming attacker (as sdcTable's `attack()`):
//! every primary cell can reach k, no hidden cell is pinned to one value, and every
//! secondary suppression is needed.

#[path = "../../examples/generate/rng.rs"]
#[allow(dead_code)]
mod rng;

use rng::Rng;
use shiliu::network::Hierarchy;
use shiliu::stats::disclosure::protect;
use shiliu::stats::{CellStatus, Dimension, DimensionValues, ShareUnit, Table, UnitInfo, TOTAL};

/// A table of a root unit, its children (and optionally grandchildren) × `keys`
/// categories, with a total row per unit; `own` residents may sit on parents.
fn table(units: &[(Option<u32>, &str)], cells: &[(u32, Option<u32>, u64)], keys: usize) -> Table {
    let n = cells.len();
    Table {
        transaction: 1,
        hierarchy: Hierarchy::Legal,
        geography: None,
        periods: vec!["2024-12-31".parse().unwrap()],
        k: Some(5),
        share_unit: ShareUnit::Permille,
        units: units
            .iter()
            .enumerate()
            .map(|(i, (parent, name))| UnitInfo {
                id: i as i64 + 1,
                code: None,
                name: (*name).to_owned(),
                level: "community".into(),
                level_zh: "社区".into(),
                path: (*name).to_owned(),
                depth: u32::from(parent.is_some()),
                parent: *parent,
            })
            .collect(),
        dimensions: vec![DimensionValues {
            dimension: Dimension::Ethnicity,
            codes: (0..keys).map(|k| format!("{:02}", k + 1)).collect(),
            names: (0..keys).map(|k| format!("e{k}")).collect(),
        }],
        notes: vec![],
        period: vec![0; n],
        unit: cells.iter().map(|c| c.0).collect(),
        keys: vec![cells.iter().map(|c| c.1.unwrap_or(TOTAL)).collect()],
        headcount: cells.iter().map(|c| Some(c.2)).collect(),
        components: vec![Some(1); n],
        migrant_share: vec![None; n],
        population: vec![None; n],
        share: vec![None; n],
        arrivals: vec![],
        departures: vec![],
        growth: vec![],
        status: vec![CellStatus::Published; n],
        split: vec![false; n],
    }
}

/// The attacker: every relation of the table, bounds, and the published values.
struct Attacker {
    values: Vec<f64>,
    relations: Vec<(Vec<(usize, f64)>, bool)>,
    lb: f64,
}

impl Attacker {
    fn new(t: &Table, values: &[u64], publish_zeros: bool) -> Attacker {
        let n = values.len();
        let mut relations = Vec::new();
        let units = t.units.len() as u32;
        let cell = |u: u32, k: Option<u32>| {
            (0..n).find(|i| t.unit[*i] == u && t.keys[0][*i] == k.unwrap_or(TOTAL))
        };
        for u in 0..units {
            let total = cell(u, None);
            let parts: Vec<usize> = (0..n)
                .filter(|i| t.unit[*i] == u && t.keys[0][*i] != TOTAL)
                .collect();
            if let (Some(tot), false) = (total, parts.is_empty()) {
                let mut r = vec![(tot, 1.0)];
                r.extend(parts.iter().map(|p| (*p, -1.0)));
                relations.push((r, false));
            }
            let kids: Vec<u32> = (0..units)
                .filter(|c| t.units[*c as usize].parent == Some(u))
                .collect();
            if kids.is_empty() {
                continue;
            }
            let mut keys: Vec<u32> = (0..n)
                .filter(|i| t.unit[*i] == u || kids.contains(&t.unit[*i]))
                .map(|i| t.keys[0][i])
                .collect();
            keys.sort_unstable();
            keys.dedup();
            for k in keys {
                let key = (k != TOTAL).then_some(k);
                let p = cell(u, key);
                let parts: Vec<usize> = kids.iter().filter_map(|c| cell(*c, key)).collect();
                let sum: u64 = parts.iter().map(|i| values[*i]).sum();
                let pv = p.map_or(0, |p| values[p]);
                let mut r: Vec<(usize, f64)> = parts.iter().map(|i| (*i, -1.0)).collect();
                if let Some(p) = p {
                    r.push((p, 1.0));
                }
                relations.push((r, pv != sum));
            }
        }
        Attacker {
            values: values.iter().map(|v| *v as f64).collect(),
            relations,
            lb: if publish_zeros { 1.0 } else { 0.0 },
        }
    }

    /// The range of hidden cell `c` given which cells are hidden (`None` = unbounded).
    fn range(&self, hidden: &[bool], c: usize) -> (f64, Option<f64>) {
        let solve = |dir| {
            let mut lp = microlp::Problem::new(dir);
            let vars: Vec<Option<microlp::Variable>> = (0..self.values.len())
                .map(|i| {
                    hidden[i].then(|| {
                        lp.add_var(if i == c { 1.0 } else { 0.0 }, (self.lb, f64::INFINITY))
                    })
                })
                .collect();
            for (r, own) in &self.relations {
                let mut expr = Vec::new();
                let mut rhs = 0.0;
                for (i, k) in r {
                    match vars[*i] {
                        Some(v) => expr.push((v, *k)),
                        None => rhs -= k * self.values[*i],
                    }
                }
                if *own {
                    expr.push((lp.add_var(0.0, (0.0, f64::INFINITY)), -1.0));
                }
                if !expr.is_empty() {
                    lp.add_constraint(expr.as_slice(), microlp::ComparisonOp::Eq, rhs);
                }
            }
            match lp.solve() {
                Ok(o) => Some(o.into_solution().ok().unwrap().objective()),
                Err(microlp::Error::Unbounded) => None,
                Err(e) => panic!("attack failed: {e}"),
            }
        };
        let min = solve(microlp::OptimizationDirection::Minimize).unwrap();
        (min, solve(microlp::OptimizationDirection::Maximize))
    }

    /// Whether the hidden set meets the requirement.
    fn protected(&self, hidden: &[bool], primary: &[bool], k: f64) -> bool {
        (0..hidden.len()).filter(|c| hidden[*c]).all(|c| {
            let (min, max) = self.range(hidden, c);
            let max = max.unwrap_or(f64::INFINITY);
            max > min + 0.5 && (!primary[c] || max >= k - 1e-6)
        })
    }
}

fn check(t: &Table, values: &[u64], k: u64) {
    let hidden: Vec<bool> = t
        .status
        .iter()
        .map(|s| *s != CellStatus::Published)
        .collect();
    let primary: Vec<bool> = t.status.iter().map(|s| *s == CellStatus::Primary).collect();
    for (i, v) in values.iter().enumerate() {
        assert_eq!(
            primary[i],
            *v > 0 && *v < k,
            "primary status of cell {i} ({v})"
        );
        assert_eq!(t.headcount[i].is_none(), hidden[i]);
    }
    let attacker = Attacker::new(t, values, true);
    assert!(
        attacker.protected(&hidden, &primary, k as f64),
        "not protected: {:?}",
        t.status
    );
    // Not more than needed: publishing any one secondary cell breaks it.
    for s in (0..values.len()).filter(|c| hidden[*c] && !primary[*c]) {
        let mut fewer = hidden.clone();
        fewer[s] = false;
        assert!(
            !attacker.protected(&fewer, &primary, k as f64),
            "secondary cell {s} is not needed"
        );
    }
}

#[test]
fn the_known_optimum_of_a_small_table_is_a_rectangle() {
    //          e1  e2 | T
    //   c1      2  10 | 12
    //   c2      8   9 | 17
    //   root   10  19 | 29
    let units = [(None, "root"), (Some(0), "c1"), (Some(0), "c2")];
    let cells = [
        (0, None, 29),
        (0, Some(0), 10),
        (0, Some(1), 19),
        (1, None, 12),
        (1, Some(0), 2),
        (1, Some(1), 10),
        (2, None, 17),
        (2, Some(0), 8),
        (2, Some(1), 9),
    ];
    let mut t = table(&units, &cells, 2);
    let values: Vec<u64> = cells.iter().map(|c| c.2).collect();
    protect(&mut t, 5, true);
    let hidden: Vec<usize> = (0..cells.len())
        .filter(|i| t.status[*i] != CellStatus::Published)
        .collect();
    assert_eq!(hidden, [4, 5, 7, 8], "{:?}", t.status);
    assert_eq!(t.status[4], CellStatus::Primary);
    check(&t, &values, 5);
}

#[test]
fn random_hierarchical_tables_resist_the_attack() {
    let mut rng = Rng::new(0x5eed, 0);
    for round in 0..25 {
        let kids = 2 + rng.below(4) as u32;
        let keys = 2 + rng.below(4) as u32;
        let grandkids = round % 3 == 0;
        let mut units: Vec<(Option<u32>, String)> = vec![(None, "root".into())];
        for c in 0..kids {
            units.push((Some(0), format!("c{c}")));
        }
        if grandkids {
            for g in 0..3 {
                units.push((Some(1), format!("g{g}")));
            }
        }
        let nu = units.len() as u32;
        // Leaf counts: many small, some large, some zero; parents sum their children
        // (the root sometimes has residents of its own).
        let mut counts = vec![vec![0u64; keys as usize]; nu as usize];
        let is_parent = |u: u32| units.iter().any(|(p, _)| *p == Some(u));
        for u in (0..nu).rev() {
            if !is_parent(u) {
                for c in counts[u as usize].iter_mut() {
                    *c = match rng.below(10) {
                        0..=1 => 0,
                        2..=5 => 1 + rng.below(4),
                        _ => 5 + rng.below(30),
                    };
                }
            }
            if let Some(p) = units[u as usize].0 {
                let mine = counts[u as usize].clone();
                for (dst, c) in counts[p as usize].iter_mut().zip(mine) {
                    *dst += c;
                }
            }
        }
        if round % 4 == 1 {
            counts[0][0] += 2; // residents placed on the root itself
        }
        let mut cells: Vec<(u32, Option<u32>, u64)> = Vec::new();
        for u in 0..nu {
            let total: u64 = counts[u as usize].iter().sum();
            cells.push((u, None, total));
            for k in 0..keys {
                let c = counts[u as usize][k as usize];
                if c > 0 {
                    cells.push((u, Some(k), c));
                }
            }
        }
        let names: Vec<(Option<u32>, &str)> = units.iter().map(|(p, n)| (*p, n.as_str())).collect();
        let mut t = table(&names, &cells, keys as usize);
        let values: Vec<u64> = cells.iter().map(|c| c.2).collect();
        protect(&mut t, 5, true);
        check(&t, &values, 5);
    }
}

#[test]
fn large_nested_tables_are_protected_subtable_by_subtable() {
    // root → 6 children → 8 grandchildren each, × 100 keys: past the whole-table limit.
    let mut rng = Rng::new(0xb16, 0);
    let mut units: Vec<(Option<u32>, String)> = vec![(None, "root".into())];
    for c in 0..6u32 {
        units.push((Some(0), format!("c{c}")));
    }
    for c in 0..6u32 {
        for g in 0..8 {
            units.push((Some(1 + c), format!("g{c}-{g}")));
        }
    }
    let keys = 100usize;
    let nu = units.len();
    let mut counts = vec![vec![0u64; keys]; nu];
    for u in (0..nu).rev() {
        if u >= 7 {
            for c in counts[u].iter_mut() {
                *c = match rng.below(20) {
                    0..=5 => 0,
                    6..=8 => 1 + rng.below(4),
                    _ => 5 + rng.below(40),
                };
            }
        }
        if let Some(p) = units[u].0 {
            let mine = counts[u].clone();
            for (dst, c) in counts[p as usize].iter_mut().zip(mine) {
                *dst += c;
            }
        }
    }
    let mut cells: Vec<(u32, Option<u32>, u64)> = Vec::new();
    for (u, row) in counts.iter().enumerate() {
        cells.push((u as u32, None, row.iter().sum()));
        for (k, c) in row.iter().enumerate() {
            if *c > 0 {
                cells.push((u as u32, Some(k as u32), *c));
            }
        }
    }
    assert!(cells.len() > shiliu::stats::disclosure::WHOLE_TABLE_LIMIT);
    let names: Vec<(Option<u32>, &str)> = units.iter().map(|(p, n)| (*p, n.as_str())).collect();
    let values: Vec<u64> = cells.iter().map(|c| c.2).collect();
    let mut t = table(&names, &cells, keys);
    protect(&mut t, 5, true);
    let mut again = table(&names, &cells, keys);
    protect(&mut again, 5, true);
    assert_eq!(
        t.status, again.status,
        "the same table gets the same protection"
    );
    let hidden: Vec<bool> = t
        .status
        .iter()
        .map(|s| *s != CellStatus::Published)
        .collect();
    for (i, v) in values.iter().enumerate() {
        assert_eq!(t.status[i] == CellStatus::Primary, *v > 0 && *v < 5);
        if !hidden[i] {
            assert!(*v == 0 || *v >= 5, "a published count below k");
        }
    }
    assert!(t.status.contains(&CellStatus::Secondary));
    // No sum relation leaves exactly one hidden cell (it would be derived exactly).
    let attacker = Attacker::new(&t, &values, true);
    for (r, own) in &attacker.relations {
        let n = r.iter().filter(|(c, _)| hidden[*c]).count();
        assert!(*own || n != 1, "a relation pins a hidden cell: {r:?}");
    }
}
