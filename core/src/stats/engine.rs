//! The engine: keeps the columnar snapshots in step with writes, and answers population
//! queries and trends from them.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Months, NaiveDate};

use super::columns::{Basis, Stays, CE_SLOTS, ETH_SLOTS, GONE, OPEN};
use super::count::{age_cutoffs, ce_on, count, Extra, Keyer};
use super::geography::{home, Tree, TreeCache};
use super::query::{Dimension, Place, PopulationQuery, TrendQuery, DEFAULT_AGE_BANDS, DEFAULT_K};
use super::table::{dimension_values, Cell, CellStatus, Scratch, Shape, Table, TOTAL};
use super::{day_of, disclosure};
use crate::access::Role;
use crate::error::{Error, Result};
use crate::network::{Network, TxId, UnitId, UnitKind};
use crate::registry::View;

/// In-process commits remembered for applying them to cached snapshots.
const LOG_LIMIT: usize = 1 << 20;

/// Cached snapshots and trees of one registry handle.
#[derive(Debug, Default)]
pub(crate) struct StatsState {
    stays: HashMap<Basis, Arc<Stays>>,
    trees: TreeCache,
    /// Ids touched by transactions this handle committed, oldest first.
    log: Vec<(TxId, Vec<i64>)>,
    logged_ids: usize,
    /// Snapshots read in full from the store (the rest were brought up to date).
    loads: u64,
}

impl StatsState {
    /// Notes a committed transaction and the ids it touched.
    pub(crate) fn committed(&mut self, tx: TxId, touched: Vec<i64>) {
        if self.stays.is_empty() {
            return;
        }
        self.logged_ids += touched.len();
        self.log.push((tx, touched));
        if self.logged_ids > LOG_LIMIT {
            // Cheaper to read everything again than to remember this much.
            self.stays.clear();
            self.log.clear();
            self.logged_ids = 0;
        }
    }

    /// Ids touched in `(after, upto]` if every transaction in that range is in the log.
    fn touched_since(&self, after: TxId, upto: TxId) -> Option<Vec<i64>> {
        let entries: Vec<&(TxId, Vec<i64>)> = self
            .log
            .iter()
            .filter(|(t, _)| *t > after && *t <= upto)
            .collect();
        if entries.len() as i64 != upto - after {
            return None;
        }
        Some(
            entries
                .iter()
                .flat_map(|(_, ids)| ids.iter().copied())
                .collect(),
        )
    }

    fn forget_before(&mut self, tx: TxId) {
        let oldest = self
            .stays
            .values()
            .map(|s| s.transaction)
            .min()
            .unwrap_or(tx);
        self.log.retain(|(t, _)| *t > oldest);
        self.logged_ids = self.log.iter().map(|(_, v)| v.len()).sum();
    }
}

/// Threads a scan uses.
pub(crate) fn threads() -> usize {
    std::env::var("SHILIU_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(8)))
}

fn basis(p: Place) -> Basis {
    match p {
        Place::Residence => Basis::Residence,
        Place::Registration => Basis::Registration,
    }
}

impl View {
    /// The columnar snapshot of `basis` as of this view's transaction: the cached one,
    /// brought up to date with this handle's later commits, or read afresh.
    pub(crate) fn stays(&self, basis: Basis) -> Result<Arc<Stays>> {
        let tx = self.transaction();
        let reg = self.registry();
        let mut state = reg.stats_state();
        if let Some(s) = state.stays.get(&basis) {
            if s.transaction == tx {
                return Ok(s.clone());
            }
            if s.transaction < tx {
                if let Some(ids) = state.touched_since(s.transaction, tx) {
                    if ids.len() <= s.len() / 4 + 64 {
                        let mut s = s.clone();
                        reg.with_reader(|c| Arc::make_mut(&mut s).apply(c, basis, tx, &ids))?;
                        state.stays.insert(basis, s.clone());
                        state.forget_before(tx);
                        return Ok(s);
                    }
                }
            }
        }
        let latest = reg.with_reader(crate::store::latest_transaction)?;
        let loaded = Arc::new(reg.with_reader(|c| Stays::load(c, basis, tx))?);
        state.loads += 1;
        if tx == latest {
            state.stays.insert(basis, loaded.clone());
            state.forget_before(tx);
        }
        Ok(loaded)
    }

    /// The residence snapshot's size: bytes held and stays (for the benchmark), and how
    /// many snapshots this handle has read in full from the store.
    pub fn stats_snapshot_bytes(&self) -> Result<(usize, usize, u64)> {
        let s = self.stays(Basis::Residence)?;
        let loads = self.registry().stats_state().loads;
        Ok((s.bytes(), s.len(), loads))
    }

    /// The minimum cell size for this principal and query.
    fn effective_k(&self, k: Option<u32>, publish: bool) -> Result<Option<u32>> {
        let analyst = self.registry().principal().role == Role::Analyst;
        match k {
            Some(0) => Err(Error::invalid(
                "k",
                "the minimum cell size must be at least 1",
            )),
            Some(k) if analyst && k < DEFAULT_K => Err(self.registry().principal().denied(
                format!("analysts get tables with k ≥ {DEFAULT_K}; k = {k} was asked"),
            )),
            Some(1) => Ok(None),
            Some(k) => Ok(Some(k)),
            None if analyst || publish => Ok(Some(DEFAULT_K)),
            None => Ok(None),
        }
    }

    /// Roots of the table on `geo`: the subtree asked for (or the principal's scope),
    /// carried to its successors if it no longer exists then.
    fn stats_roots(&self, root: Option<UnitId>, geo: NaiveDate) -> Result<Option<Vec<UnitId>>> {
        let net = self.network();
        let Some(r) = root else {
            return Ok(None);
        };
        if net.unit_exists(r, geo) {
            return Ok(Some(vec![r]));
        }
        let s = net.successors(r, geo)?;
        if s.is_empty() {
            Err(Error::not_found(format!("unit {r} on {geo}")))
        } else {
            Ok(Some(s))
        }
    }

    fn tree_on(&self, geo: NaiveDate, q: &PopulationQuery) -> Result<Arc<Tree>> {
        let root = q.under.or(self.registry().principal().scope);
        if let Some(r) = root {
            self.require_scope(r)?;
        }
        let net = self.network();
        self.registry()
            .stats_state()
            .trees
            .tree(net, root, geo, &q.hierarchy, || self.stats_roots(root, geo))
    }

    /// 人口统计 — the population as of a date, grouped as asked (see [`crate::stats`]).
    pub fn population(&self, q: &PopulationQuery) -> Result<Table> {
        let as_of = q.as_of.unwrap_or_else(|| self.registry().today());
        let k = self.effective_k(q.k, q.publish)?;
        let geo = q.rebase_to.unwrap_or(as_of);
        if let Some(name) = &q.source {
            return self.population_from_aggregates(q, name, as_of, geo, k);
        }
        let tree = self.tree_on(geo, q)?;
        let stays = self.stays(basis(q.place))?;
        let plan = Plan::new(q, as_of)?;
        let counts = count(&stays, day_of(as_of), &plan.keyer, threads());
        let homes = Homes::new(self.network(), &tree, &stays, geo, q);
        let nodes = homes.roll_up(&tree, &counts, plan.shape.width());
        let mut table = plan.empty_table(self.transaction(), q, k, Some(geo), vec![as_of]);
        plan.emit_tree(&tree, &nodes, &homes.split, &mut table, |_, _, _| {});
        super::denominators::apply(self, q, as_of, &mut table)?;
        Ok(finish(table, homes.split.iter().any(|s| *s), k, q))
    }

    /// A population table counted from an aggregate table: each unit's own counts where
    /// the table gives them (at the latest reference date on or before `as_of`), else the
    /// sum of its children's.
    fn population_from_aggregates(
        &self,
        q: &PopulationQuery,
        name: &str,
        as_of: NaiveDate,
        geo: NaiveDate,
        k: Option<u32>,
    ) -> Result<Table> {
        if q.by.iter().any(|d| *d != Dimension::Ethnicity) {
            return Err(Error::invalid(
                "by",
                "an aggregate table can only be grouped by ethnicity",
            ));
        }
        let at = self.transaction();
        let counts = self
            .registry()
            .with_reader(|c| super::aggregates::read_counts(c, Some(name), as_of, at))?
            .ok_or_else(|| Error::not_found(format!("aggregate table {name}")))?;
        let tree = self.tree_on(geo, q)?;
        let plan = Plan::new(q, as_of)?;
        let w = plan.shape.width();
        let n = tree.nodes.len();
        let mut given = vec![0u32; n * w];
        let mut given_total: Vec<Option<u64>> = vec![None; n];
        let mut has = vec![false; n];
        for (&(unit, eth), &(_, count)) in &counts.counts {
            let Some(h) = home(self.network(), &tree, unit, geo, &q.hierarchy) else {
                continue;
            };
            let node = h.node as usize;
            has[node] = true;
            let count32 = u32::try_from(count).unwrap_or(u32::MAX);
            if eth == 0 {
                *given_total[node].get_or_insert(0) += count;
            } else if let Some(slot) = super::columns::eth_slot(eth) {
                given[node * w + usize::from(slot)] += count32;
            }
        }
        // Units without counts of their own take their children's sums.
        let mut nodes = given;
        let mut totals = given_total;
        // A total summed from children only when every child has one.
        let mut complete = vec![true; n];
        for i in (0..n).rev() {
            if !has[i] && !complete[i] {
                totals[i] = None;
            }
            let Some(p) = tree.nodes[i].parent.map(|p| p as usize) else {
                continue;
            };
            if has[p] {
                continue;
            }
            if totals[i].is_none() {
                complete[p] = false;
            }
            let (head, tail) = nodes.split_at_mut(i * w);
            for (d, s) in head[p * w..(p + 1) * w].iter_mut().zip(&tail[..w]) {
                *d += s;
            }
            let child = totals[i];
            if let Some(c) = child {
                *totals[p].get_or_insert(0) += c;
            }
        }
        let mut table = plan.empty_table(at, q, k, Some(geo), vec![as_of]);
        // A total the table gives outright wins over the sum of its ethnicities.
        plan.emit_tree(
            &tree,
            &nodes,
            &vec![false; n],
            &mut table,
            |t, node, first| {
                if let Some(total) = totals[node] {
                    t.headcount[first] = Some(total);
                }
            },
        );
        table.migrant_share = vec![None; table.len()];
        table.notes.push(format!(
            "counted from aggregate table {} (汇总表)",
            counts.name
        ));
        super::denominators::apply(self, q, as_of, &mut table)?;
        Ok(finish(table, false, k, q))
    }

    /// 趋势 — the same query at the end of every period in a range, with arrivals,
    /// departures and growth per period. One pass sorts the stays' arrivals and
    /// departures into periods; each period then applies only its own events to running
    /// counts of the reported units (no scan per period).
    pub fn population_trend(&self, t: &TrendQuery) -> Result<Table> {
        let q = &t.query;
        let k = self.effective_k(q.k, q.publish)?;
        let ends = period_ends(t)?;
        if q.by.contains(&Dimension::AgeBand) {
            // Ages move every day: each period is counted on its own.
            return self.trend_by_recount(t, &ends, k);
        }
        let start = t.from.pred_opt().unwrap_or(t.from);
        let stays = self.stays(basis(q.place))?;
        let plan = Plan::new(q, start)?;
        let w = plan.shape.width();
        let np = ends.len();
        let end_days: Vec<i32> = ends.iter().map(|d| day_of(*d)).collect();
        let start_day = day_of(start);
        let changed = Changed::of(&stays);
        let events = Events::sort(&stays, start_day, &end_days, &plan.keyer, &changed);
        // Place-level running counts of the unchanged stays, from the start.
        let mut running = count(&stays, start_day, &plan.keyer, threads());
        for (i, group) in changed.iter() {
            if present(&stays, i, start_day) {
                running[plan
                    .keyer
                    .index(&stays, i, ce_on(&stays, i, group, start_day))] -= 1;
            }
        }
        let mut table = plan.empty_table(self.transaction(), q, k, q.rebase_to, ends.clone());
        let mut units = UnitIndex::default();
        let mut emitter = Emitter::default();
        let mut growth = Growth::default();
        let mut out: Option<Outputs> = None;
        let mut any_split = false;
        for p in 0..np {
            let day = end_days[p];
            let geo = q.rebase_to.unwrap_or(ends[p]);
            let tree = self.tree_on(geo, q)?;
            if !out.as_ref().is_some_and(|o| Arc::ptr_eq(&o.tree, &tree)) {
                let homes = Homes::new(self.network(), &tree, &stays, geo, q);
                out = Some(Outputs::new(tree, homes, &plan, &running, w));
            }
            let Some(o) = out.as_mut() else {
                continue;
            };
            o.clear_flows();
            for (list, flow) in [
                (&events.arrivals[p], Flow::Arrival),
                (&events.departures[p], Flow::Departure),
            ] {
                for e in list {
                    o.event(
                        &mut running,
                        e.place as usize,
                        e.off as usize,
                        w,
                        e.counted,
                        flow,
                    );
                }
            }
            // The changed stays, counted directly on this day (and taken out again).
            let direct: Vec<usize> = changed
                .iter()
                .filter(|(i, _)| present(&stays, *i, day))
                .map(|(i, g)| plan.keyer.index(&stays, i, ce_on(&stays, i, g, day)))
                .collect();
            o.adjust(&direct, w, true);
            any_split |= o.homes.split.iter().any(|s| *s);
            let first_row = table.len();
            for (pos, &node) in o.nodes.iter().enumerate() {
                let u = units.get(&mut table, &o.tree, node);
                let r = pos * w..(pos + 1) * w;
                emitter.emit(
                    &plan.shape,
                    &o.running[r.clone()],
                    u,
                    p as u32,
                    o.homes.split[node as usize],
                    &mut table,
                    Some((&o.arrivals[r.clone()], &o.departures[r])),
                );
            }
            o.adjust(&direct, w, false);
            growth.fill(&mut table, first_row, p as u32, &plan.shape);
        }
        Ok(finish(table, any_split, k, q))
    }

    /// A trend with one full count per period (for keys that change with time itself).
    fn trend_by_recount(
        &self,
        t: &TrendQuery,
        ends: &[NaiveDate],
        k: Option<u32>,
    ) -> Result<Table> {
        let mut out: Option<Table> = None;
        for (p, end) in ends.iter().enumerate() {
            let mut q = t.query.clone();
            q.as_of = Some(*end);
            q.k = None;
            q.publish = false;
            let part = self.population(&q)?;
            let merged = out.get_or_insert_with(|| Table {
                periods: ends.to_vec(),
                geography: t.query.rebase_to,
                k,
                ..part.clone_empty()
            });
            merged.append(part, p as u32);
        }
        let mut table =
            out.ok_or_else(|| Error::invalid("trend", "the range holds no whole period"))?;
        table.arrivals = vec![None; table.len()];
        table.departures = vec![None; table.len()];
        table.growth = vec![None; table.len()];
        Ok(finish(table, false, k, &t.query))
    }
}

/// Notes a split and applies disclosure control.
fn finish(mut table: Table, split: bool, k: Option<u32>, q: &PopulationQuery) -> Table {
    if split {
        table.notes.push(SPLIT_NOTE.into());
    }
    if let Some(k) = k {
        disclosure::protect(&mut table, k, q.publish_zeros);
    }
    table
}

const SPLIT_NOTE: &str = "units marked split include the residents of a unit that was split \
    between several units; they are counted under its first successor (拆分单位的居民计入其第一个承继单位)";

fn present(s: &Stays, i: usize, day: i32) -> bool {
    s.from[i] <= day && day < s.to[i]
}

/// Stays with ethnicity changes, with their changes, by stay.
struct Changed<'a>(Vec<(usize, &'a [super::columns::Change])>);

impl<'a> Changed<'a> {
    fn of(s: &'a Stays) -> Changed<'a> {
        Changed(
            s.changes
                .chunk_by(|a, b| a.stay == b.stay)
                .filter(|g| s.from[g[0].stay as usize] != GONE)
                .map(|g| (g[0].stay as usize, g))
                .collect(),
        )
    }

    #[inline]
    fn get(&self, stay: usize) -> Option<&'a [super::columns::Change]> {
        if self.0.is_empty() {
            return None;
        }
        self.0
            .binary_search_by_key(&stay, |(i, _)| *i)
            .ok()
            .map(|at| self.0[at].1)
    }

    fn iter(&self) -> impl Iterator<Item = (usize, &'a [super::columns::Change])> + '_ {
        self.0.iter().copied()
    }
}

/// The period ends of a trend: whole periods from `from`, the last ending on or before
/// `to`.
fn period_ends(t: &TrendQuery) -> Result<Vec<NaiveDate>> {
    let mut ends = Vec::new();
    let step = t.period.months();
    for n in 1..=2400u32 {
        let next_start = t
            .from
            .checked_add_months(Months::new(step * n))
            .ok_or_else(|| Error::invalid("trend", "the range runs past the calendar"))?;
        let end = next_start.pred_opt().unwrap_or(next_start);
        if end > t.to {
            break;
        }
        ends.push(end);
    }
    if ends.is_empty() {
        return Err(Error::invalid(
            "trend",
            format!("no whole period fits between {} and {}", t.from, t.to),
        ));
    }
    Ok(ends)
}

/// The stays' arrivals and departures, by the period they fall in.
struct Events {
    arrivals: Vec<Vec<Event>>,
    departures: Vec<Vec<Event>>,
}

/// One arrival or departure, resolved while scanning the stays in order (applying them
/// period by period then reads only these compact lists, not the columns at random).
#[derive(Clone, Copy)]
struct Event {
    place: u32,
    /// Offset within the place's counts.
    off: u32,
    /// Whether it moves the running headcount (stays without ethnicity changes).
    counted: bool,
}

impl Events {
    /// A stay arrives in the first period whose end is on or after its first day (if
    /// that is after `start`), and departs in the first period whose end is on or after
    /// its first day away. Stays whose ethnicity changes arrive with the ethnicity of
    /// their first day and depart with that of their last.
    fn sort(s: &Stays, start: i32, ends: &[i32], keyer: &Keyer, changed: &Changed<'_>) -> Events {
        let np = ends.len();
        // Day → period by table over the range (a binary search per stay costs more).
        let last = ends.last().copied().unwrap_or(start);
        let mut table = Vec::with_capacity((last - start).max(0) as usize);
        for (p, e) in ends.iter().enumerate() {
            while start + 1 + (table.len() as i32) <= *e {
                table.push(p as u32);
            }
        }
        let period_of = |day: i32| -> usize {
            if day <= start {
                0
            } else if day > last {
                np
            } else {
                table[(day - start - 1) as usize] as usize
            }
        };
        let mut arrivals = vec![Vec::new(); np];
        let mut departures = vec![Vec::new(); np];
        for i in 0..s.len() {
            let (from, to) = (s.from[i], s.to[i]);
            if from == GONE || to <= start {
                continue;
            }
            let group = changed.get(i);
            let event = |day: i32| Event {
                place: s.place[i],
                off: keyer.offset(s, i, group.map_or(s.ce[i], |g| ce_on(s, i, g, day))) as u32,
                counted: group.is_none(),
            };
            if from > start {
                let a = period_of(from);
                if a < np {
                    arrivals[a].push(event(from));
                }
            }
            if to != OPEN {
                let b = period_of(to);
                if b < np {
                    departures[b].push(event(to - 1));
                }
            }
        }
        Events {
            arrivals,
            departures,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Flow {
    Arrival,
    Departure,
}

/// Running counts of the units a trend reports, for one tree.
struct Outputs {
    tree: Arc<Tree>,
    homes: Homes,
    /// Reported nodes, in pre-order.
    nodes: Vec<u32>,
    /// Per place, the positions (in `nodes`) of the reported units it counts towards.
    towards: Vec<Vec<u32>>,
    running: Vec<u32>,
    arrivals: Vec<u32>,
    departures: Vec<u32>,
    /// Positions × width touched by flows this period.
    dirty: Vec<usize>,
}

impl Outputs {
    fn new(tree: Arc<Tree>, homes: Homes, plan: &Plan, running: &[u32], w: usize) -> Outputs {
        let mut pos_of = vec![None; tree.nodes.len()];
        let mut nodes = Vec::new();
        for (i, n) in tree.nodes.iter().enumerate() {
            if plan.level_matches(&n.level) {
                pos_of[i] = Some(nodes.len() as u32);
                nodes.push(i as u32);
            }
        }
        let towards: Vec<Vec<u32>> = homes
            .node_of_place
            .iter()
            .map(|home| {
                let mut v = Vec::new();
                let mut at = *home;
                while let Some(n) = at {
                    if let Some(p) = pos_of[n as usize] {
                        v.push(p);
                    }
                    at = tree.nodes[n as usize].parent;
                }
                v
            })
            .collect();
        let mut out = vec![0u32; nodes.len() * w];
        for (place, to) in towards.iter().enumerate() {
            let src = &running[place * w..(place + 1) * w];
            for &p in to {
                let dst = &mut out[p as usize * w..(p as usize + 1) * w];
                for (d, s) in dst.iter_mut().zip(src) {
                    *d += s;
                }
            }
        }
        Outputs {
            tree,
            homes,
            towards,
            arrivals: vec![0; nodes.len() * w],
            departures: vec![0; nodes.len() * w],
            running: out,
            nodes,
            dirty: Vec::new(),
        }
    }

    fn clear_flows(&mut self) {
        for &i in &self.dirty {
            self.arrivals[i] = 0;
            self.departures[i] = 0;
        }
        self.dirty.clear();
    }

    /// One arrival or departure at `place`, `off` within its counts;
    /// `counted` = it also moves the running headcount (unchanged stays only).
    fn event(
        &mut self,
        running: &mut [u32],
        place: usize,
        off: usize,
        w: usize,
        counted: bool,
        flow: Flow,
    ) {
        let at = place * w + off;
        if counted {
            match flow {
                Flow::Arrival => running[at] += 1,
                Flow::Departure => running[at] -= 1,
            }
        }
        for &p in &self.towards[place] {
            let i = p as usize * w + off;
            if counted {
                match flow {
                    Flow::Arrival => self.running[i] += 1,
                    Flow::Departure => self.running[i] -= 1,
                }
            }
            match flow {
                Flow::Arrival => self.arrivals[i] += 1,
                Flow::Departure => self.departures[i] += 1,
            }
            self.dirty.push(i);
        }
    }

    /// Adds (or takes out again) directly counted stays at place-level indices.
    fn adjust(&mut self, at: &[usize], w: usize, add: bool) {
        for &a in at {
            let (place, off) = (a / w, a % w);
            for &p in &self.towards[place] {
                let i = p as usize * w + off;
                if add {
                    self.running[i] += 1;
                } else {
                    self.running[i] -= 1;
                }
            }
        }
    }
}

/// Growth of each trend row against the same unit and keys one period earlier.
#[derive(Default)]
struct Growth {
    units: Vec<GrowthUnit>,
}

/// What [`Growth`] remembers of one table unit.
#[derive(Default, Clone)]
struct GrowthUnit {
    /// The last period the unit was reported in, and the one before that.
    last: Option<u32>,
    previous: Option<u32>,
    /// (period, headcount) per key; the last slot is the total.
    cells: Vec<(u32, u64)>,
}

impl Growth {
    fn fill(&mut self, t: &mut Table, first_row: usize, period: u32, shape: &Shape) {
        let space = shape.key_space() + 1;
        if self.units.len() < t.units.len() {
            self.units.resize(t.units.len(), GrowthUnit::default());
        }
        let mut keys = vec![0u32; shape.columns()];
        for row in first_row..t.len() {
            let g = &mut self.units[t.unit[row] as usize];
            if g.cells.is_empty() {
                g.cells = vec![(u32::MAX, 0); space];
            }
            if g.last != Some(period) {
                g.previous = g.last;
                g.last = Some(period);
            }
            for (d, k) in keys.iter_mut().zip(&t.keys) {
                *d = k[row];
            }
            let slot = if keys.first().is_none_or(|k| *k == TOTAL) {
                space - 1
            } else {
                shape.encode(&keys)
            };
            let n = t.headcount[row].unwrap_or(0);
            let was_there = period > 0 && g.previous == Some(period - 1);
            let before = match g.cells[slot] {
                (p, v) if p.wrapping_add(1) == period => v,
                _ => 0,
            };
            t.growth.push(was_there.then(|| n as i64 - before as i64));
            g.cells[slot] = (period, n);
        }
    }
}

/// The count layout and the table shape of a query.
struct Plan {
    keyer: Keyer,
    shape: Shape,
    level: Option<UnitKind>,
    age_bands: Vec<u32>,
}

impl Plan {
    fn new(q: &PopulationQuery, as_of: NaiveDate) -> Result<Plan> {
        let mut seen = Vec::new();
        for d in &q.by {
            if seen.contains(d) {
                return Err(Error::invalid(
                    "by",
                    format!("{} is listed twice", d.label()),
                ));
            }
            seen.push(*d);
        }
        let age_bands = q
            .age_bands
            .clone()
            .unwrap_or_else(|| DEFAULT_AGE_BANDS.to_vec());
        if age_bands.windows(2).any(|w| w[0] >= w[1]) || age_bands.first() == Some(&0) {
            return Err(Error::invalid(
                "age_bands",
                "age boundaries must be increasing whole years above 0",
            ));
        }
        let extras: Vec<Extra> =
            q.by.iter()
                .filter_map(|d| match d {
                    Dimension::Sex => Some(Extra::Sex),
                    Dimension::AgeBand => Some(Extra::Age {
                        cutoffs: age_cutoffs(as_of, &age_bands),
                    }),
                    Dimension::OriginProvince => Some(Extra::Origin),
                    Dimension::Ethnicity | Dimension::Category => None,
                })
                .collect();
        let mut allowed = [true; CE_SLOTS];
        for (ce, ok) in allowed.iter_mut().enumerate() {
            let (cat, eth) = (ce / ETH_SLOTS, ce % ETH_SLOTS);
            let category = if cat == 0 {
                crate::register::Category::Registered
            } else {
                crate::register::Category::Migrant
            };
            let ethnicity = super::columns::slot_ethnicity(eth);
            if let Some(cs) = &q.categories {
                *ok &= cs.contains(&category);
            }
            if let Some(es) = &q.ethnicities {
                *ok &= ethnicity.is_some_and(|e| es.contains(&e));
            }
            if q.minorities_only {
                *ok &= ethnicity.is_some_and(|e| e.is_minority() && e.is_component());
            }
        }
        let keyer = Keyer { extras };
        let shape = Shape::new(&q.by, &keyer.extras, allowed);
        let size: usize = keyer.combos() * CE_SLOTS;
        if size > 1 << 22 {
            return Err(Error::invalid(
                "by",
                "the grouping is too fine (more than 4 million cells per unit)",
            ));
        }
        Ok(Plan {
            keyer,
            shape,
            level: q.level_kind(),
            age_bands,
        })
    }

    /// Appends the rows of every reported node of `tree` (per-node internal counts in
    /// `nodes`); `after(table, node, first row)` runs once per node emitted.
    fn emit_tree(
        &self,
        tree: &Tree,
        nodes: &[u32],
        split: &[bool],
        table: &mut Table,
        mut after: impl FnMut(&mut Table, usize, usize),
    ) {
        let w = self.shape.width();
        table.reserve(tree.nodes.len() * (1 + self.shape.key_space().min(64)));
        let mut units = UnitIndex::default();
        let mut emitter = Emitter::default();
        for (i, node) in tree.nodes.iter().enumerate() {
            if !self.level_matches(&node.level) {
                continue;
            }
            let u = units.get(table, tree, i as u32);
            let first = table.len();
            let v = &nodes[i * w..(i + 1) * w];
            emitter.emit(&self.shape, v, u, 0, split[i], table, None);
            after(table, i, first);
        }
    }

    fn level_matches(&self, level: &str) -> bool {
        self.level.as_ref().is_none_or(|k| k.label() == level)
    }

    fn empty_table(
        &self,
        tx: TxId,
        q: &PopulationQuery,
        k: Option<u32>,
        geography: Option<NaiveDate>,
        periods: Vec<NaiveDate>,
    ) -> Table {
        let dimensions =
            q.by.iter()
                .map(|d| dimension_values(*d, &self.age_bands))
                .collect();
        Table::with_header(
            tx,
            q.hierarchy,
            geography,
            periods,
            k,
            q.share_unit,
            dimensions,
        )
    }
}

/// Where every place of a snapshot lands on a tree.
struct Homes {
    node_of_place: Vec<Option<u32>>,
    split: Vec<bool>,
}

impl Homes {
    fn new(net: &Network, tree: &Tree, s: &Stays, geo: NaiveDate, q: &PopulationQuery) -> Homes {
        let mut split = vec![false; tree.nodes.len()];
        let node_of_place = s
            .places
            .iter()
            .map(|u| {
                home(net, tree, *u, geo, &q.hierarchy).map(|h| {
                    split[h.node as usize] |= h.split;
                    h.node
                })
            })
            .collect();
        // A split below a unit is inside its count too.
        for i in (0..tree.nodes.len()).rev() {
            if split[i] {
                if let Some(p) = tree.nodes[i].parent {
                    split[p as usize] = true;
                }
            }
        }
        Homes {
            node_of_place,
            split,
        }
    }

    /// Per-node counts: each place's counts added to its node, then every node to its
    /// parent (reverse pre-order).
    fn roll_up(&self, tree: &Tree, place_counts: &[u32], w: usize) -> Vec<u32> {
        let mut nodes = vec![0u32; tree.nodes.len() * w];
        for (p, node) in self.node_of_place.iter().enumerate() {
            if let Some(n) = node {
                let src = &place_counts[p * w..(p + 1) * w];
                let dst = &mut nodes[*n as usize * w..(*n as usize + 1) * w];
                for (d, s) in dst.iter_mut().zip(src) {
                    *d += s;
                }
            }
        }
        for i in (1..tree.nodes.len()).rev() {
            if let Some(p) = tree.nodes[i].parent {
                let (head, tail) = nodes.split_at_mut(i * w);
                let src = &tail[..w];
                let dst = &mut head[p as usize * w..(p as usize + 1) * w];
                for (d, s) in dst.iter_mut().zip(src) {
                    *d += s;
                }
            }
        }
        nodes
    }
}

/// Table unit indices by unit id (a trend's periods may list different trees).
#[derive(Default)]
struct UnitIndex(HashMap<UnitId, u32>);

impl UnitIndex {
    fn get(&mut self, table: &mut Table, tree: &Tree, node: u32) -> u32 {
        let info = &tree.nodes[node as usize];
        if let Some(i) = self.0.get(&info.id) {
            return *i;
        }
        let mut info = info.clone();
        info.parent = info
            .parent
            .and_then(|p| self.0.get(&tree.nodes[p as usize].id).copied());
        table.units.push(info);
        let i = table.units.len() as u32 - 1;
        self.0.insert(table.units[i as usize].id, i);
        i
    }
}

/// Appends rows to a table.
#[derive(Default)]
struct Emitter {
    scratch: Scratch,
    cells: Vec<(u64, Cell)>,
    arrived: Vec<(u64, Cell)>,
    departed: Vec<(u64, Cell)>,
    keys: Vec<u32>,
}

impl Emitter {
    /// Appends a unit's total row and its cells (with flows, for trends: every key with
    /// people there or arriving or leaving, in key order).
    #[allow(clippy::too_many_arguments)]
    fn emit(
        &mut self,
        shape: &Shape,
        v: &[u32],
        unit: u32,
        period: u32,
        split: bool,
        t: &mut Table,
        flows: Option<(&[u32], &[u32])>,
    ) {
        let total = shape.cells(v, &mut self.scratch, &mut self.cells);
        let flow_totals = flows.map(|(a, d)| {
            (
                shape.cells(a, &mut self.scratch, &mut self.arrived).n,
                shape.cells(d, &mut self.scratch, &mut self.departed).n,
            )
        });
        self.keys.resize(shape.columns(), 0);
        let mut row = |t: &mut Table, key: Option<u64>, c: &Cell, flow: Option<(u64, u64)>| {
            t.period.push(period);
            t.unit.push(unit);
            match key {
                None => t.keys.iter_mut().for_each(|col| col.push(TOTAL)),
                Some(k) => {
                    shape.decode(k, &mut self.keys);
                    for (col, v) in t.keys.iter_mut().zip(&self.keys) {
                        col.push(*v);
                    }
                }
            }
            t.headcount.push(Some(c.n));
            t.components.push(Some(c.components()));
            t.migrant_share
                .push((c.n > 0).then(|| c.migrants as f64 / c.n as f64));
            t.status.push(CellStatus::Published);
            t.split.push(split);
            if let Some((a, d)) = flow {
                t.arrivals.push(Some(a));
                t.departures.push(Some(d));
            }
        };
        row(t, None, &total, flow_totals);
        if flows.is_none() {
            for (k, c) in &self.cells {
                row(t, Some(*k), c, None);
            }
            return;
        }
        // Merge the three key-ordered lists.
        let (mut i, mut a, mut d) = (0, 0, 0);
        loop {
            let next = [
                self.cells.get(i).map(|x| x.0),
                self.arrived.get(a).map(|x| x.0),
                self.departed.get(d).map(|x| x.0),
            ]
            .into_iter()
            .flatten()
            .min();
            let Some(key) = next else {
                break;
            };
            let take = |list: &Vec<(u64, Cell)>, at: &mut usize| -> Option<Cell> {
                let c = list.get(*at).filter(|x| x.0 == key).map(|x| x.1);
                if c.is_some() {
                    *at += 1;
                }
                c
            };
            let c = take(&self.cells, &mut i).unwrap_or_default();
            let na = take(&self.arrived, &mut a).map_or(0, |c| c.n);
            let nd = take(&self.departed, &mut d).map_or(0, |c| c.n);
            row(t, Some(key), &c, Some((na, nd)));
        }
    }
}
