//! Disclosure control (统计披露控制): primary and secondary cell suppression.
//!
//! **Primary.** A headcount of 1..k−1 is suppressed (and 0 too when zeros are not
//! published).
//!
//! **What an attacker knows.** Every published cell; every sum relation of the table —
//! a unit's total is the sum of its cells, and (when a table lists a unit and its
//! children) each of a unit's cells is the sum of its children's same cells plus any
//! residents placed on the unit itself, which are unknown but not negative;
//! non-negativity; and, when zeros are published, that a suppressed cell is at least 1.
//!
//! **Requirement.** For every primary cell the largest value consistent with that
//! knowledge is at least k, and no suppressed cell's feasible range is a single value.
//! Both are checked exactly, by linear programming over each connected group of
//! suppressed cells (the attack of sdcTable's `attack()`).
//!
//! **Secondary.** Until the requirement holds, each failing cell gets a partner in one
//! of its sum relations: preferably one where it is the only hidden cell, the smallest
//! cell that leaves the failing cell room to reach k. Then, largest first, every
//! secondary cell is published again if the requirement still holds without it — so
//! removing any one remaining secondary suppression breaks the requirement.
//!
//! Derived measures follow their cell: a hidden headcount hides the row's components,
//! shares and migrant share. A published migrant share is kept only when both the
//! migrants and the others are 0 or at least k. In trends, a hidden cell also hides its
//! arrivals, departures and growth, and those of the next period (they would give it
//! away through the previous count); an arrival or departure count of 1..k−1 is hidden.
//! Each period of a trend is protected as its own table.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::table::{CellStatus, Table, TOTAL};

/// One sum relation: `Σ coef × cell (+ hidden) = 0`.
#[derive(Debug, Clone)]
struct Relation {
    cells: Vec<(usize, f64)>,
    /// An unknown non-negative term (residents placed on the unit itself).
    hidden: bool,
}

/// The table of one period as an attack problem.
struct Problem {
    /// Global row index of each local cell.
    rows: Vec<usize>,
    values: Vec<u64>,
    relations: Vec<Relation>,
    of_cell: Vec<Vec<usize>>,
    lb: f64,
    k: u64,
    /// Cells published by the subtable above, which this one may not hide.
    frozen: Vec<bool>,
}

/// Protects `t` with minimum cell size `k` (see the module docs).
pub fn protect(t: &mut Table, k: u32, publish_zeros: bool) {
    let k = u64::from(k);
    let mut by_period: HashMap<u32, Vec<usize>> = HashMap::new();
    for i in 0..t.len() {
        by_period.entry(t.period[i]).or_default().push(i);
    }
    let mut periods: Vec<u32> = by_period.keys().copied().collect();
    periods.sort_unstable();
    for p in periods {
        let rows = &by_period[&p];
        if rows.len() <= WHOLE_TABLE_LIMIT || !nested(t, rows) {
            let problem = Problem::of(t, rows, k, publish_zeros);
            let status = problem.solve(publish_zeros, &vec![false; rows.len()]);
            for (local, s) in status.into_iter().enumerate() {
                t.status[problem.rows[local]] = s;
            }
        } else {
            protect_by_subtables(t, rows, k, publish_zeros);
        }
    }
    hide_derived(t, k, publish_zeros);
}

/// Tables up to this many cells are protected as a whole; larger tables that list units
/// with their children are protected subtable by subtable.
pub const WHOLE_TABLE_LIMIT: usize = 3000;

/// Whether the rows list some unit together with its parent.
fn nested(t: &Table, rows: &[usize]) -> bool {
    let units: HashSet<u32> = rows.iter().map(|i| t.unit[*i]).collect();
    units.iter().any(|u| {
        t.units[*u as usize]
            .parent
            .is_some_and(|p| units.contains(&p))
    })
}

/// Large nested tables, as HITAS does: each unit with its children (and both their
/// totals) is a subtable, protected exactly, top down; cells hidden in a subtable stay
/// hidden in the one below, where they must be protected again.
fn protect_by_subtables(t: &mut Table, rows: &[usize], k: u64, publish_zeros: bool) {
    let mut rows_of: HashMap<u32, Vec<usize>> = HashMap::new();
    for &i in rows {
        rows_of.entry(t.unit[i]).or_default().push(i);
    }
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    let mut roots: Vec<u32> = Vec::new();
    let mut units: Vec<u32> = rows_of.keys().copied().collect();
    units.sort_unstable();
    for &u in &units {
        match t.units[u as usize]
            .parent
            .filter(|p| rows_of.contains_key(p))
        {
            Some(p) => children.entry(p).or_default().push(u),
            None => roots.push(u),
        }
    }
    // Wave by wave down the tree: the subtables of one wave share no cells (a unit's
    // cells above were fixed by the wave before), so they are solved in parallel.
    let mut hidden: HashSet<usize> = HashSet::new();
    let mut wave: Vec<u32> = roots;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    while !wave.is_empty() {
        // (rows, rows of the unit itself when a subtable above decided them)
        let subtables: Vec<(Vec<usize>, usize)> = wave
            .iter()
            .filter_map(|u| {
                let kids = children.get(u).map(Vec::as_slice).unwrap_or_default();
                let parent_known = t.units[*u as usize]
                    .parent
                    .is_some_and(|p| rows_of.contains_key(&p));
                if kids.is_empty() && parent_known {
                    return None; // a leaf: protected in its parent's subtable
                }
                let mut sub: Vec<usize> = rows_of[u].clone();
                let own = if parent_known { sub.len() } else { 0 };
                for kid in kids {
                    sub.extend(&rows_of[kid]);
                }
                Some((sub, own))
            })
            .collect();
        let table: &Table = t;
        let fixed_set = &hidden;
        let solve = |(sub, own): &(Vec<usize>, usize)| -> Vec<(usize, CellStatus)> {
            let mut problem = Problem::of(table, sub, k, publish_zeros);
            let fixed: Vec<bool> = sub.iter().map(|i| fixed_set.contains(i)).collect();
            // The unit's own cells were decided above: what was published stays so.
            for (local, f) in problem.frozen.iter_mut().enumerate().take(*own) {
                *f = !fixed[local];
            }
            let status = problem.solve(publish_zeros, &fixed);
            problem.rows.iter().copied().zip(status).collect()
        };
        let results: Vec<Vec<(usize, CellStatus)>> = if threads < 2 || subtables.len() < 2 {
            subtables.iter().map(solve).collect()
        } else {
            std::thread::scope(|scope| {
                let workers: Vec<_> = (0..threads)
                    .map(|w| {
                        let subtables = &subtables;
                        let solve = &solve;
                        scope.spawn(move || {
                            subtables
                                .iter()
                                .enumerate()
                                .filter(|(i, _)| i % threads == w)
                                .map(|(i, sub)| (i, solve(sub)))
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                let mut all: Vec<(usize, Vec<(usize, CellStatus)>)> = Vec::new();
                for (w, h) in workers.into_iter().enumerate() {
                    match h.join() {
                        Ok(done) => all.extend(done),
                        // A worker that failed is redone here: a panic then reaches the
                        // caller instead of leaving cells unprotected.
                        Err(_) => all.extend(
                            subtables
                                .iter()
                                .enumerate()
                                .filter(|(i, _)| i % threads == w)
                                .map(|(i, sub)| (i, solve(sub))),
                        ),
                    }
                }
                all.sort_by_key(|(i, _)| *i);
                all.into_iter().map(|(_, r)| r).collect()
            })
        };
        for (row, status) in results.into_iter().flatten() {
            if status != CellStatus::Published {
                hidden.insert(row);
                t.status[row] = status;
            }
        }
        wave = wave
            .iter()
            .flat_map(|u| children.get(u).cloned().unwrap_or_default())
            .collect();
    }
    // Safety net across subtables: no sum relation may be left with a single hidden
    // cell (it would be derived exactly); hide the smallest published cell beside it.
    let whole = Problem::of(t, rows, k, publish_zeros);
    let mut hide: Vec<bool> = whole.rows.iter().map(|r| hidden.contains(r)).collect();
    loop {
        let mut changed = false;
        for rel in whole.relations.iter().filter(|r| !r.hidden) {
            if rel.cells.iter().filter(|(c, _)| hide[*c]).count() != 1 {
                continue;
            }
            let partner = rel
                .cells
                .iter()
                .map(|(c, _)| *c)
                .filter(|c| !hide[*c] && (whole.values[*c] > 0 || !publish_zeros))
                .min_by_key(|c| (whole.values[*c], *c));
            if let Some(c) = partner {
                hide[c] = true;
                t.status[whole.rows[c]] = CellStatus::Secondary;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
}

impl Problem {
    fn of(t: &Table, rows: &[usize], k: u64, publish_zeros: bool) -> Problem {
        let values: Vec<u64> = rows.iter().map(|&i| t.headcount[i].unwrap_or(0)).collect();
        // Local cells by unit and key.
        let mut cell_of: HashMap<(u32, Vec<u32>), usize> = HashMap::new();
        let mut unit_cells: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
        for (local, &i) in rows.iter().enumerate() {
            let key: Vec<u32> = t.keys.iter().map(|c| c[i]).collect();
            cell_of.insert((t.unit[i], key), local);
            unit_cells.entry(t.unit[i]).or_default().push(local);
        }
        let is_total = |local: usize| t.keys.iter().all(|c| c[rows[local]] == TOTAL);
        let key_of = |local: usize| -> Vec<u32> { t.keys.iter().map(|c| c[rows[local]]).collect() };
        let mut relations = Vec::new();
        // A unit's total is the sum of its cells.
        if !t.keys.is_empty() {
            for cells in unit_cells.values() {
                let total = cells.iter().copied().find(|c| is_total(*c));
                let parts: Vec<usize> = cells.iter().copied().filter(|c| !is_total(*c)).collect();
                if let Some(total) = total {
                    if !parts.is_empty() {
                        let mut r = vec![(total, 1.0)];
                        r.extend(parts.iter().map(|c| (*c, -1.0)));
                        relations.push(Relation {
                            cells: r,
                            hidden: false,
                        });
                    }
                }
            }
        }
        // A unit's cells are the sums of its children's (plus its own residents).
        let mut children: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
        for u in unit_cells.keys() {
            if let Some(p) = t.units[*u as usize].parent {
                if unit_cells.contains_key(&p) {
                    children.entry(p).or_default().push(*u);
                }
            }
        }
        for (parent, kids) in &children {
            let mut keys: Vec<Vec<u32>> = unit_cells[parent].iter().map(|c| key_of(*c)).collect();
            for kid in kids {
                keys.extend(unit_cells[kid].iter().map(|c| key_of(*c)));
            }
            keys.sort();
            keys.dedup();
            for key in keys {
                let p = cell_of.get(&(*parent, key.clone())).copied();
                let parts: Vec<usize> = kids
                    .iter()
                    .filter_map(|kid| cell_of.get(&(*kid, key.clone())).copied())
                    .collect();
                let pv = p.map_or(0, |p| values[p]);
                let sum: u64 = parts.iter().map(|c| values[*c]).sum();
                let mut r: Vec<(usize, f64)> = parts.iter().map(|c| (*c, -1.0)).collect();
                if let Some(p) = p {
                    r.push((p, 1.0));
                }
                if r.len() > 1 || pv != sum {
                    relations.push(Relation {
                        cells: r,
                        hidden: pv != sum,
                    });
                }
            }
        }
        let mut of_cell = vec![Vec::new(); rows.len()];
        for (ri, r) in relations.iter().enumerate() {
            for (c, _) in &r.cells {
                of_cell[*c].push(ri);
            }
        }
        Problem {
            frozen: vec![false; rows.len()],
            rows: rows.to_vec(),
            values,
            relations,
            of_cell,
            lb: if publish_zeros { 1.0 } else { 0.0 },
            k,
        }
    }

    fn primary(&self, c: usize, publish_zeros: bool) -> bool {
        let v = self.values[c];
        (v > 0 || !publish_zeros) && v < self.k
    }

    /// The status of every local cell; `fixed` cells are hidden already (from a
    /// subtable above) and stay hidden.
    fn solve(&self, publish_zeros: bool, fixed: &[bool]) -> Vec<CellStatus> {
        let n = self.values.len();
        let primary: Vec<bool> = (0..n).map(|c| self.primary(c, publish_zeros)).collect();
        let mut hidden: Vec<bool> = (0..n).map(|c| primary[c] || fixed[c]).collect();
        if !hidden.iter().any(|h| *h) {
            return vec![CellStatus::Published; n];
        }
        // Add partners until every cell is protected.
        let mut pool = Pool::default();
        for _round in 0..10_000 {
            let failing = self.failing(&hidden, &primary, None, &mut pool);
            if failing.is_empty() {
                break;
            }
            let mut added = false;
            for f in failing {
                if let Some(c) = self.partner(f, &hidden, &primary, publish_zeros) {
                    hidden[c] = true;
                    added = true;
                }
            }
            if !added {
                // Nothing left to hide next to the failing cells: hide every cell
                // (never expected; keeps the requirement).
                for ((h, v), frozen) in hidden.iter_mut().zip(&self.values).zip(&self.frozen) {
                    if (*v > 0 || !publish_zeros) && !frozen {
                        *h = true;
                    }
                }
                break;
            }
        }
        // Publish again every secondary cell that is not needed, largest first.
        let mut secondary: Vec<usize> = (0..n)
            .filter(|c| hidden[*c] && !primary[*c] && !fixed[*c])
            .collect();
        secondary.sort_by_key(|c| std::cmp::Reverse((self.values[*c], *c)));
        for s in secondary {
            hidden[s] = false;
            // Publishing s would leave a relation with one hidden cell, pinned exactly:
            // s is needed, no program to solve.
            if self.pins_a_cell(s, &hidden)
                || !self
                    .failing(&hidden, &primary, Some(s), &mut pool)
                    .is_empty()
            {
                hidden[s] = true;
            }
        }
        (0..n)
            .map(|c| match (hidden[c], primary[c]) {
                (false, _) => CellStatus::Published,
                (true, true) => CellStatus::Primary,
                (true, false) => CellStatus::Secondary,
            })
            .collect()
    }

    /// Whether some relation of `s` (without an unknown own term) has exactly one hidden
    /// cell: that cell's value then follows from the published ones.
    fn pins_a_cell(&self, s: usize, hidden: &[bool]) -> bool {
        self.of_cell[s].iter().any(|r| {
            let rel = &self.relations[*r];
            !rel.hidden && rel.cells.iter().filter(|(c, _)| hidden[*c]).count() == 1
        })
    }

    /// Hidden cells that fail the requirement; with `near`, only in the groups that
    /// cell's relations reach (the only ones publishing it can change). Cells a known
    /// feasible point already shows protected are not solved for again.
    fn failing(
        &self,
        hidden: &[bool],
        primary: &[bool],
        near: Option<usize>,
        pool: &mut Pool,
    ) -> Vec<usize> {
        let groups = self.groups(hidden);
        let wanted: Option<Vec<usize>> = near.map(|s| {
            let mut g: Vec<usize> = self.of_cell[s]
                .iter()
                .flat_map(|r| self.relations[*r].cells.iter())
                .filter(|(c, _)| hidden[*c])
                .map(|(c, _)| groups.of[*c])
                .collect();
            g.sort_unstable();
            g.dedup();
            g
        });
        let mut out = Vec::new();
        for (gi, cells) in groups.members.iter().enumerate() {
            if wanted.as_ref().is_some_and(|w| !w.contains(&gi)) {
                continue;
            }
            let open: Vec<usize> = cells
                .iter()
                .copied()
                .filter(|c| {
                    if pool.certifies(*c, primary[*c], self, hidden) {
                        return false;
                    }
                    match self.rectangle(*c, primary[*c], hidden) {
                        Some(point) => {
                            pool.add(point);
                            false
                        }
                        None => true,
                    }
                })
                .collect();
            if open.is_empty() {
                continue;
            }
            let lp = Attack::new(self, cells, hidden);
            out.extend(lp.unprotected(open, primary, pool));
        }
        out
    }

    /// A feasible point showing `c` protected without solving: a rectangle of hidden
    /// cells — `c`, another cell of its unit, the same cell of another unit in the same
    /// sum, and the fourth corner — each in exactly those two relations, moved by
    /// `+t −t −t +t` (or the reverse) where the cells decreased have room.
    fn rectangle(&self, c: usize, primary: bool, hidden: &[bool]) -> Option<Vec<(usize, f64)>> {
        let v = |x: usize| self.values[x] as f64;
        let need = if primary { self.k as f64 - v(c) } else { 1.0 };
        let rels = &self.of_cell[c];
        if rels.len() != 2 {
            return None;
        }
        let partners = |r: usize| -> Vec<usize> {
            self.relations[r]
                .cells
                .iter()
                .map(|(x, _)| *x)
                .filter(|x| *x != c && hidden[*x] && self.of_cell[*x].len() == 2)
                .collect()
        };
        // The sign of c in each relation decides which corners go down.
        let coef = |r: usize, x: usize| {
            self.relations[r]
                .cells
                .iter()
                .find(|(y, _)| *y == x)
                .map_or(0.0, |(_, k)| *k)
        };
        let (r1, r2) = (rels[0], rels[1]);
        for q in partners(r1) {
            let q_other = self.of_cell[q].iter().copied().find(|r| *r != r1)?;
            for r in partners(r2) {
                let r_other = self.of_cell[r].iter().copied().find(|x| *x != r2)?;
                // The fourth corner: hidden, in q's other relation and r's other one.
                let Some(s) = self.relations[q_other]
                    .cells
                    .iter()
                    .map(|(x, _)| *x)
                    .find(|x| {
                        *x != q
                            && hidden[*x]
                            && self.of_cell[*x].len() == 2
                            && self.of_cell[*x].contains(&q_other)
                            && self.of_cell[*x].contains(&r_other)
                    })
                else {
                    continue;
                };
                if s == c || s == r {
                    continue;
                }
                // Directions keeping every relation: c +1, q −(c's coef / q's coef) …
                let dq = -coef(r1, c) / coef(r1, q);
                let dr = -coef(r2, c) / coef(r2, r);
                let ds = -coef(q_other, q) * dq / coef(q_other, s);
                if (coef(r_other, r) * dr + coef(r_other, s) * ds).abs() > 1e-9 {
                    continue;
                }
                for sign in [1.0, -1.0] {
                    if primary && sign < 0.0 {
                        break;
                    }
                    let moves = [(c, sign), (q, sign * dq), (r, sign * dr), (s, sign * ds)];
                    // Room: cells going down stay at or above the lower bound.
                    let t = moves
                        .iter()
                        .filter(|(_, d)| *d < 0.0)
                        .map(|(x, d)| (v(*x) - self.lb) / -d)
                        .fold(f64::INFINITY, f64::min);
                    if t >= need - 1e-9 {
                        let t = need;
                        return Some(moves.iter().map(|(x, d)| (*x, v(*x) + d * t)).collect());
                    }
                }
            }
        }
        None
    }

    /// Connected groups of hidden cells (linked by sharing a relation).
    fn groups(&self, hidden: &[bool]) -> Groups {
        let n = self.values.len();
        let mut parent: Vec<usize> = (0..n).collect();
        fn find(p: &mut [usize], mut x: usize) -> usize {
            while p[x] != x {
                p[x] = p[p[x]];
                x = p[x];
            }
            x
        }
        for r in &self.relations {
            let mut first = None;
            for (c, _) in &r.cells {
                if !hidden[*c] {
                    continue;
                }
                match first {
                    None => first = Some(*c),
                    Some(f) => {
                        let (a, b) = (find(&mut parent, f), find(&mut parent, *c));
                        parent[a] = b;
                    }
                }
            }
        }
        let mut index: HashMap<usize, usize> = HashMap::new();
        let mut members: Vec<Vec<usize>> = Vec::new();
        let mut of = vec![usize::MAX; n];
        for c in 0..n {
            if !hidden[c] {
                continue;
            }
            let root = find(&mut parent, c);
            let g = *index.entry(root).or_insert_with(|| {
                members.push(Vec::new());
                members.len() - 1
            });
            members[g].push(c);
            of[c] = g;
        }
        Groups { members, of }
    }

    /// A published cell to hide beside failing cell `f`.
    fn partner(
        &self,
        f: usize,
        hidden: &[bool],
        primary: &[bool],
        publish_zeros: bool,
    ) -> Option<usize> {
        let need = if primary[f] {
            (self.k - self.values[f].min(self.k)) as f64 + self.lb
        } else {
            1.0 + self.lb
        };
        let mut rels: Vec<usize> = self.of_cell[f].clone();
        // Relations where f is alone first, then the least hidden.
        rels.sort_by_key(|r| {
            self.relations[*r]
                .cells
                .iter()
                .filter(|(c, _)| hidden[*c])
                .count()
        });
        for r in rels {
            let candidates: Vec<usize> = self.relations[r]
                .cells
                .iter()
                .map(|(c, _)| *c)
                .filter(|c| {
                    !hidden[*c] && !self.frozen[*c] && (self.values[*c] > 0 || !publish_zeros)
                })
                .collect();
            let enough = candidates
                .iter()
                .copied()
                .filter(|c| self.values[*c] as f64 >= need)
                .min_by_key(|c| (self.values[*c], *c));
            let best = enough.or_else(|| {
                candidates
                    .iter()
                    .copied()
                    .max_by_key(|c| (self.values[*c], std::cmp::Reverse(*c)))
            });
            if best.is_some() {
                return best;
            }
        }
        None
    }
}

struct Groups {
    members: Vec<Vec<usize>>,
    of: Vec<usize>,
}

/// Feasible points the attacker's programs returned, kept as the cells they move. A
/// point stays feasible while every cell it moves is hidden (hiding more cells only
/// adds freedom), so it keeps certifying cells across rounds and removals.
#[derive(Default)]
struct Pool {
    moved: Vec<Vec<usize>>,
    by_cell: HashMap<usize, Vec<(usize, f64)>>,
}

impl Pool {
    const LIMIT: usize = 4096;

    fn add(&mut self, deviations: Vec<(usize, f64)>) {
        if deviations.is_empty() || self.moved.len() >= Self::LIMIT {
            return;
        }
        let id = self.moved.len();
        for (c, x) in &deviations {
            self.by_cell.entry(*c).or_default().push((id, *x));
        }
        self.moved
            .push(deviations.into_iter().map(|(c, _)| c).collect());
    }

    /// Whether a point feasible under `hidden` shows cell `c` protected.
    fn certifies(&self, c: usize, primary: bool, p: &Problem, hidden: &[bool]) -> bool {
        let v = p.values[c] as f64;
        self.by_cell.get(&c).is_some_and(|points| {
            points.iter().any(|(id, x)| {
                let shows = if primary {
                    *x >= p.k as f64 - 1e-6
                } else {
                    (x - v).abs() > 0.5
                };
                shows && self.moved[*id].iter().all(|m| hidden[*m])
            })
        })
    }
}

/// The attacker's linear program over one group of hidden cells.
struct Attack {
    /// Variable index of each group cell.
    var: HashMap<usize, usize>,
    /// Rows: (terms over variables, right-hand side, hidden term).
    rows: Vec<Row>,
    lb: f64,
    k: f64,
    values: HashMap<usize, f64>,
}

type Row = (Vec<(usize, f64)>, f64, bool);

impl Attack {
    fn new(p: &Problem, cells: &[usize], hidden: &[bool]) -> Attack {
        let var: HashMap<usize, usize> = cells.iter().enumerate().map(|(i, c)| (*c, i)).collect();
        let mut rels: Vec<usize> = cells
            .iter()
            .flat_map(|c| p.of_cell[*c].iter().copied())
            .collect();
        rels.sort_unstable();
        rels.dedup();
        let rows = rels
            .into_iter()
            .map(|r| {
                let rel = &p.relations[r];
                let mut terms = Vec::new();
                let mut rhs = 0.0;
                for (c, coef) in &rel.cells {
                    if hidden[*c] {
                        terms.push((var[c], *coef));
                    } else {
                        rhs -= coef * p.values[*c] as f64;
                    }
                }
                (terms, rhs, rel.hidden)
            })
            .collect();
        Attack {
            var,
            rows,
            lb: p.lb,
            k: p.k as f64,
            values: cells.iter().map(|c| (*c, p.values[*c] as f64)).collect(),
        }
    }

    /// A feasible point of the attacker's program maximising (or minimising) the sum
    /// of `weights` over cells, every variable at most `cap`; `None` when unbounded or
    /// when the solver gives no answer.
    fn point(
        &self,
        weights: &HashMap<usize, f64>,
        direction: microlp::OptimizationDirection,
        cap: f64,
    ) -> Option<Vec<f64>> {
        let solve = || -> Option<Vec<f64>> {
            let mut lp = microlp::Problem::new(direction);
            let mut objective = vec![0.0; self.var.len()];
            for (c, w) in weights {
                objective[self.var[c]] = *w;
            }
            let vars: Vec<microlp::Variable> = objective
                .iter()
                .map(|w| lp.add_var(*w, (self.lb, cap)))
                .collect();
            for (terms, rhs, hidden) in &self.rows {
                let mut expr: Vec<(microlp::Variable, f64)> =
                    terms.iter().map(|(v, c)| (vars[*v], *c)).collect();
                if *hidden {
                    // p − Σ children − own = 0 with own ≥ 0.
                    expr.push((lp.add_var(0.0, (0.0, cap)), -1.0));
                }
                lp.add_constraint(expr.as_slice(), microlp::ComparisonOp::Eq, *rhs);
            }
            let solution = lp.solve().ok()?.into_solution().ok()?;
            Some(vars.iter().map(|v| solution.var_value(*v)).collect())
        };
        // The solver is pure Rust; a failure inside it must not take the caller down.
        std::panic::catch_unwind(solve).ok().flatten()
    }

    /// Whether a feasible point shows cell `c` protected.
    fn shows(&self, x: &[f64], c: usize, primary: bool) -> bool {
        let (xv, v) = (x[self.var[&c]], self.values[&c]);
        if primary {
            xv >= self.k - 1e-6
        } else {
            (xv - v).abs() > 0.5
        }
    }

    /// The cells of the group not protected. Every feasible point the solver returns
    /// certifies all the cells it shows protected, so most cells need no program of
    /// their own: first the sum of the uncertified cells is pushed up, then each
    /// remaining cell alone (up, and for secondary cells also down).
    fn unprotected(&self, cells: Vec<usize>, primary: &[bool], pool: &mut Pool) -> Vec<usize> {
        use microlp::OptimizationDirection::{Maximize, Minimize};
        let mut open = cells;
        let mut certify = |x: &[f64], open: &mut Vec<usize>| {
            open.retain(|c| !self.shows(x, *c, primary[*c]));
            pool.add(self.deviations(x));
        };
        // Unbounded sums mean unbounded cells: those are certified one by one below.
        for _ in 0..4 {
            if open.len() < 2 {
                break;
            }
            let before = open.len();
            let weights: HashMap<usize, f64> = open.iter().map(|c| (*c, 1.0)).collect();
            match self.point(&weights, Maximize, f64::INFINITY) {
                Some(x) => certify(&x, &mut open),
                None => break,
            }
            if open.len() == before {
                break;
            }
        }
        let mut failing = Vec::new();
        while let Some(c) = open.pop() {
            let one: HashMap<usize, f64> = [(c, 1.0)].into_iter().collect();
            let ok = match self.optimum(&one, Maximize) {
                Optimum::Unbounded => true,
                Optimum::At(x) => {
                    let shown = self.shows(&x, c, primary[c]);
                    certify(&x, &mut open);
                    shown
                }
                Optimum::Failed => false,
            };
            let ok = ok
                || (!primary[c]
                    && match self.optimum(&one, Minimize) {
                        Optimum::At(x) => {
                            let shown = self.shows(&x, c, false);
                            certify(&x, &mut open);
                            shown
                        }
                        Optimum::Unbounded => true,
                        Optimum::Failed => false,
                    });
            if !ok {
                failing.push(c);
            }
        }
        failing
    }

    /// The cells a point moves off their true values, with the values it gives them.
    fn deviations(&self, x: &[f64]) -> Vec<(usize, f64)> {
        self.var
            .iter()
            .filter(|(c, v)| (x[**v] - self.values[c]).abs() > 1e-7)
            .map(|(c, v)| (*c, x[*v]))
            .collect()
    }

    /// The optimum of a weighted sum, telling unbounded apart from a failed solve.
    fn optimum(
        &self,
        weights: &HashMap<usize, f64>,
        direction: microlp::OptimizationDirection,
    ) -> Optimum {
        if let Some(x) = self.point(weights, direction, f64::INFINITY) {
            return Optimum::At(x);
        }
        // Tell unbounded from failure: the same program with every variable capped.
        let cap = self.k * 1e6 + self.values.values().sum::<f64>() * 2.0;
        match self.point(weights, direction, cap) {
            Some(x)
                if weights.iter().map(|(c, w)| w * x[self.var[c]]).sum::<f64>() >= cap - 1.0 =>
            {
                Optimum::Unbounded
            }
            Some(x) => Optimum::At(x),
            None => Optimum::Failed,
        }
    }
}

/// What a solve found.
enum Optimum {
    At(Vec<f64>),
    Unbounded,
    Failed,
}

/// Hides the measures derived from hidden cells (see the module docs).
fn hide_derived(t: &mut Table, k: u64, publish_zeros: bool) {
    let trend = !t.arrivals.is_empty();
    // Cells hidden in the previous period (by unit and keys), for trends.
    let mut hidden_at: HashSet<(u32, Vec<u32>, u32)> = HashSet::new();
    if trend {
        for i in 0..t.len() {
            if t.status[i] != CellStatus::Published {
                let key: Vec<u32> = t.keys.iter().map(|c| c[i]).collect();
                hidden_at.insert((t.unit[i], key, t.period[i]));
            }
        }
    }
    let mut unit_has_hidden: HashMap<(u32, u32), bool> = HashMap::new();
    for i in 0..t.len() {
        if t.status[i] != CellStatus::Published {
            unit_has_hidden.insert((t.period[i], t.unit[i]), true);
        }
    }
    for i in 0..t.len() {
        let hidden = t.status[i] != CellStatus::Published;
        let n = t.headcount[i].unwrap_or(0);
        if hidden {
            t.headcount[i] = None;
            t.components[i] = None;
            t.migrant_share[i] = None;
            if let Some(s) = t.share.get_mut(i) {
                *s = None;
            }
        } else {
            let total = t.keys.iter().all(|c| c[i] == TOTAL);
            if total && !publish_zeros && unit_has_hidden.contains_key(&(t.period[i], t.unit[i])) {
                t.components[i] = None;
            }
            if let Some(m) = t.migrant_share[i] {
                let migrants = (m * n as f64).round() as u64;
                let others = n.saturating_sub(migrants);
                let safe = |x: u64| x == 0 || x >= k;
                if !(safe(migrants) && safe(others)) {
                    t.migrant_share[i] = None;
                }
            }
        }
        if trend {
            let key: Vec<u32> = t.keys.iter().map(|c| c[i]).collect();
            let before = t.period[i] > 0 && hidden_at.contains(&(t.unit[i], key, t.period[i] - 1));
            if hidden || before {
                t.arrivals[i] = None;
                t.departures[i] = None;
                if let Some(g) = t.growth.get_mut(i) {
                    *g = None;
                }
            }
            for f in [&mut t.arrivals[i], &mut t.departures[i]] {
                if f.is_some_and(|x| x > 0 && x < k) {
                    *f = None;
                }
            }
        }
    }
}
