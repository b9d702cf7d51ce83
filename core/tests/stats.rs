#![allow(clippy::unwrap_used)] // test helpers fail loudly by design
//! The statistics engine against an independent count over the same residents: as-of
//! roll-ups across a merge, a split and moved streets, re-basing, filters, keys, trends,
//! the incremental snapshot, aggregates and access.

#[path = "../../examples/suzhou/network.rs"]
#[allow(dead_code)]
mod suzhou;

#[path = "../../examples/generate/rng.rs"]
#[allow(dead_code)]
mod rng;

use rng::Rng;

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use shiliu::codes::Ethnicity;
use shiliu::network::{NewUnit, Reorganisation, Successor, UnitId, UnitKind};
use shiliu::register::{Category, EthnicityChange, NewResident};
use shiliu::stats::{Dimension, Period, PopulationQuery, Table, TrendQuery, TOTAL};
use shiliu::{ErrorKind, OpenOptions, Principal, Registry, Role};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// One stay of a resident as the test recorded it.
#[derive(Debug, Clone)]
struct Stay {
    unit: UnitId,
    from: NaiveDate,
    to: Option<NaiveDate>,
}

/// A resident as the test recorded it.
#[derive(Debug, Clone)]
struct Person {
    id: i64,
    stays: Vec<Stay>,
    ethnicity: u8,
    /// (from, ethnicity) changes.
    changes: Vec<(NaiveDate, u8)>,
    migrant: bool,
    male: bool,
}

impl Person {
    fn ethnicity_on(&self, day: NaiveDate) -> u8 {
        self.changes
            .iter()
            .filter(|(f, _)| *f <= day)
            .max_by_key(|(f, _)| *f)
            .map_or(self.ethnicity, |(_, e)| *e)
    }
    fn place_on(&self, day: NaiveDate) -> Option<UnitId> {
        self.stays
            .iter()
            .find(|s| s.from <= day && s.to.is_none_or(|t| day < t))
            .map(|s| s.unit)
    }
}

struct City {
    reg: Registry,
    city: UnitId,
    canglang: UnitId,
    pingjiang: UnitId,
    gusu: UnitId,
    wuzhong: UnitId,
    a1: UnitId,
    a2: UnitId,
    a12: UnitId,
    d1: UnitId,
    d1x: UnitId,
    d1y: UnitId,
    people: Vec<Person>,
}

const ETHNICITIES: &[u8] = &[1, 3, 3, 3, 6, 15, 11, 8, 5, 97];

fn unit(kind: UnitKind, name: &str, code: &str, from: &str, parent: Option<UnitId>) -> NewUnit {
    let mut u = NewUnit::new(kind, name, d(from)).code(code);
    if let Some(p) = parent {
        u = u.parent(p);
    }
    u
}

/// The city: 沧浪区 and 平江区 close on 2012-09-01 and their streets move to 姑苏区;
/// communities a1 and a2 merge into a12 on 2018-01-01; d1 splits into d1x and d1y on
/// 2020-01-01; d3 opens in 2010. Residents arrive, move, leave and change ethnicity.
fn city(n: usize, seed: u64) -> City {
    city_in(None, n, seed)
}

fn city_in(path: Option<&std::path::Path>, n: usize, seed: u64) -> City {
    let opts = OpenOptions::default().today(d("2025-06-30"));
    let reg = match path {
        Some(p) => Registry::open(p, opts).unwrap(),
        None => Registry::open_in_memory(opts).unwrap(),
    };
    let w = |u: NewUnit| reg.write(|b| b.add_unit(u)).unwrap();
    let city = w(unit(UnitKind::City, "苏州市", "320500", "1990-01-01", None));
    let canglang = w(NewUnit::new(UnitKind::District, "沧浪区", d("1990-01-01"))
        .code("320502")
        .parent(city));
    let pingjiang = w(unit(
        UnitKind::District,
        "平江区",
        "320503",
        "1990-01-01",
        Some(city),
    ));
    let wuzhong = w(unit(
        UnitKind::District,
        "吴中区",
        "320506",
        "1990-01-01",
        Some(city),
    ));
    let sa = w(unit(
        UnitKind::Street,
        "双塔街道",
        "320502001",
        "1990-01-01",
        Some(canglang),
    ));
    let sb = w(unit(
        UnitKind::Street,
        "平江街道",
        "320503001",
        "1990-01-01",
        Some(pingjiang),
    ));
    let sd = w(unit(
        UnitKind::Street,
        "长桥街道",
        "320506001",
        "1990-01-01",
        Some(wuzhong),
    ));
    let a1 = w(unit(
        UnitKind::Community,
        "南园社区",
        "320502001001",
        "1990-01-01",
        Some(sa),
    ));
    let a2 = w(unit(
        UnitKind::Community,
        "北园社区",
        "320502001002",
        "1990-01-01",
        Some(sa),
    ));
    let b1 = w(unit(
        UnitKind::Community,
        "平江社区",
        "320503001001",
        "1990-01-01",
        Some(sb),
    ));
    let d1 = w(unit(
        UnitKind::Community,
        "长桥社区",
        "320506001001",
        "1990-01-01",
        Some(sd),
    ));
    let d2 = w(unit(
        UnitKind::Community,
        "新家社区",
        "320506001002",
        "1990-01-01",
        Some(sd),
    ));
    let d3 = w(unit(
        UnitKind::Community,
        "龙西社区",
        "320506001003",
        "2010-05-01",
        Some(sd),
    ));
    // 2012: the two districts merge into 姑苏区 (their streets move).
    let out = reg
        .write(|b| {
            b.reorganise(Reorganisation::Merge {
                date: d("2012-09-01"),
                units: vec![canglang, pingjiang],
                into: Successor::New(
                    NewUnit::new(UnitKind::District, "姑苏区", d("2012-09-01"))
                        .code("320508")
                        .parent(city),
                ),
                note: None,
            })
        })
        .unwrap();
    let gusu = out.successors[0];
    let out = reg
        .write(|b| {
            b.reorganise(Reorganisation::Merge {
                date: d("2018-01-01"),
                units: vec![a1, a2],
                into: Successor::New(
                    NewUnit::new(UnitKind::Community, "南北园社区", d("2018-01-01"))
                        .code("320508001003")
                        .parent(sa),
                ),
                note: None,
            })
        })
        .unwrap();
    let a12 = out.successors[0];
    let out = reg
        .write(|b| {
            b.reorganise(Reorganisation::Split {
                date: d("2020-01-01"),
                unit: d1,
                into: vec![
                    Successor::New(
                        NewUnit::new(UnitKind::Community, "长桥东社区", d("2020-01-01"))
                            .code("320506001004")
                            .parent(sd),
                    ),
                    Successor::New(
                        NewUnit::new(UnitKind::Community, "长桥西社区", d("2020-01-01"))
                            .code("320506001005")
                            .parent(sd),
                    ),
                ],
                note: None,
            })
        })
        .unwrap();
    let (d1x, d1y) = (out.successors[0], out.successors[1]);
    // Community validity, for placing residents.
    let communities: Vec<(UnitId, NaiveDate, Option<NaiveDate>)> = vec![
        (a1, d("1990-01-01"), Some(d("2018-01-01"))),
        (a2, d("1990-01-01"), Some(d("2018-01-01"))),
        (a12, d("2018-01-01"), None),
        (b1, d("1990-01-01"), None),
        (d1, d("1990-01-01"), Some(d("2020-01-01"))),
        (d1x, d("2020-01-01"), None),
        (d1y, d("2020-01-01"), None),
        (d2, d("1990-01-01"), None),
        (d3, d("2010-05-01"), None),
    ];
    let mut rng = Rng::new(seed, 0);
    let day0 = d("1995-01-01");
    let span = (d("2025-06-01") - day0).num_days() as u64;
    let mut people = Vec::new();
    reg.write(|b| {
        for i in 0..n {
            let arrive = day0 + chrono::Duration::days(rng.below(span) as i64);
            let open: Vec<&(UnitId, NaiveDate, Option<NaiveDate>)> = communities
                .iter()
                .filter(|(_, f, t)| *f <= arrive && t.is_none_or(|t| arrive < t))
                .collect();
            let (c, _, c_end) = *open[rng.below(open.len() as u64) as usize];
            // Most stays end with their community; a few run on past a merge or split
            // (the residents were never moved) to test landing on successors.
            let mut to = if rng.below(4) == 0 {
                Some(arrive + chrono::Duration::days(1 + rng.below(3000) as i64))
            } else {
                None
            };
            if let Some(end) = c_end {
                if rng.below(5) != 0 && to.is_none_or(|t| t > end) {
                    to = Some(end);
                }
            }
            let eth = ETHNICITIES[rng.below(ETHNICITIES.len() as u64) as usize];
            let migrant = rng.below(10) < 4;
            let male = rng.below(2) == 0;
            let birth = d("1950-01-01") + chrono::Duration::days(rng.below(25_000) as i64);
            let birth = birth.min(arrive);
            let (id, _) = b.add_resident(NewResident {
                name: format!("居民{i}"),
                sex: Some(if male {
                    shiliu::codes::Sex::Male
                } else {
                    shiliu::codes::Sex::Female
                }),
                birth_date: Some(birth),
                id_number: None,
                ethnicity: Ethnicity::from_code(eth).unwrap(),
                phone: None,
                category: if migrant {
                    Category::Migrant
                } else {
                    Category::Registered
                },
                origin: Some(if migrant { "640104" } else { "320508" }.into()),
                household: None,
                father_ethnicity: Some(Ethnicity::from_code(11).unwrap()),
                mother_ethnicity: None,
                community: c,
                arrived_on: arrive,
                left_on: to,
                registered_unit: None,
                registered_division: None,
                hardship: None,
            })?;
            people.push(Person {
                id,
                stays: vec![Stay {
                    unit: c,
                    from: arrive,
                    to,
                }],
                ethnicity: eth,
                changes: Vec::new(),
                migrant,
                male,
            });
        }
        Ok(())
    })
    .unwrap();
    let mut c = City {
        reg,
        city,
        canglang,
        pingjiang,
        gusu,
        wuzhong,
        a1,
        a2,
        a12,
        d1,
        d1x,
        d1y,
        people,
    };
    // Moves and ethnicity changes, in separate transactions.
    for i in (0..c.people.len()).step_by(9) {
        let p = &c.people[i];
        let s = p.stays[0].clone();
        if s.to.is_some() {
            continue;
        }
        let when = s.from + chrono::Duration::days(200);
        if when >= d("2025-06-01") || s.unit == d2 {
            continue;
        }
        c.reg.write(|b| b.move_resident(p.id, d2, when)).unwrap();
        let p = &mut c.people[i];
        p.stays[0].to = Some(when);
        p.stays.push(Stay {
            unit: d2,
            from: when,
            to: None,
        });
    }
    let mut changed = 0;
    for p in c.people.iter_mut() {
        if changed == 6 || p.ethnicity == 11 {
            continue;
        }
        // A change to the father's ethnicity (满族) before turning 18, while living here.
        let v = c.reg.view().unwrap();
        let r = v.resident(p.id, d("2025-01-01")).unwrap();
        let birth = r.birth_date.unwrap();
        let when = birth + chrono::Duration::days(365 * 10);
        if when <= p.stays[0].from || when >= d("2025-01-01") {
            continue;
        }
        c.reg
            .write(|b| {
                b.change_ethnicity(EthnicityChange {
                    resident: p.id,
                    ethnicity: Ethnicity::from_code(11).unwrap(),
                    date: when,
                    reason: None,
                })
            })
            .unwrap();
        p.changes.push((when, 11));
        changed += 1;
    }
    assert_eq!(changed, 6, "the scenario needs ethnicity changes");
    c
}

/// Where a place lands on the units valid on `geo` (the documented rule).
fn land(reg: &Registry, unit: UnitId, geo: NaiveDate) -> UnitId {
    let v = reg.view().unwrap();
    let net = v.network();
    if net.unit_exists(unit, geo) {
        return unit;
    }
    let s = net.successors(unit, geo).unwrap();
    if let Some(first) = s.iter().min() {
        return *first;
    }
    panic!("unit {unit} lands nowhere on {geo}");
}

type Counts = BTreeMap<(UnitId, Option<String>), (u64, BTreeSet<u8>)>;

/// The independent count: every resident present on `day`, on the units valid on `geo`,
/// at every level, by ethnicity (`None` = total).
fn oracle(c: &City, day: NaiveDate, geo: NaiveDate, keep: impl Fn(&Person, u8) -> bool) -> Counts {
    let v = c.reg.view().unwrap();
    let mut out: Counts = BTreeMap::new();
    for p in &c.people {
        let Some(place) = p.place_on(day) else {
            continue;
        };
        let eth = p.ethnicity_on(day);
        if !keep(p, eth) {
            continue;
        }
        let home = land(&c.reg, place, geo);
        let mut chain = v
            .ancestors(home, geo, &Default::default())
            .unwrap()
            .into_iter()
            .map(|u| u.id)
            .collect::<Vec<_>>();
        chain.push(home);
        for u in chain {
            for key in [None, Some(format!("{eth:02}"))] {
                let e = out.entry((u, key)).or_default();
                e.0 += 1;
                e.1.insert(eth);
            }
        }
    }
    out
}

/// The engine's table as the same map (components of total rows only).
fn engine(t: &Table) -> Counts {
    let mut out: Counts = BTreeMap::new();
    for i in 0..t.len() {
        let unit = t.units[t.unit[i] as usize].id;
        let key = t.keys.first().map(|k| k[i]).filter(|k| *k != TOTAL);
        let code = key.map(|k| t.dimensions[0].codes[k as usize].clone());
        let n = t.headcount[i].unwrap();
        if n == 0 {
            continue;
        }
        let e = out.entry((unit, code.clone())).or_default();
        e.0 = n;
        // Components as a set of placeholders of the right size.
        let comps = t.components[i].unwrap() as u8;
        e.1 = (0..comps).collect();
        if let Some(code) = &code {
            // A cell is one component, unless it is 97/98.
            assert_eq!(comps, u8::from(code.as_str() < "97"), "{code}");
        }
    }
    out
}

/// Components exclude 97/98; the oracle's sets include every code: compare sizes.
fn same(a: &Counts, b: &Counts) {
    let strip = |m: &Counts| -> BTreeMap<(UnitId, Option<String>), (u64, usize)> {
        m.iter()
            .map(|(k, (n, s))| {
                let comps = s.iter().filter(|e| **e < 97).count();
                (k.clone(), (*n, comps))
            })
            .collect()
    };
    assert_eq!(strip(a), strip(b));
}

fn by_eth(day: NaiveDate) -> PopulationQuery {
    PopulationQuery::new(day).by(&[Dimension::Ethnicity])
}

#[test]
fn as_of_roll_ups_match_an_independent_count_on_many_dates() {
    let c = city(1500, 7);
    let v = c.reg.view().unwrap();
    for day in [
        "1996-03-01",
        "2003-12-31",
        "2012-08-31",
        "2012-09-01",
        "2017-12-31",
        "2018-01-01",
        "2019-12-31",
        "2020-01-01",
        "2024-12-31",
    ] {
        let day = d(day);
        let t = v.population(&by_eth(day)).unwrap();
        // Every unit valid on the day is listed, with its total first.
        let listed: BTreeSet<UnitId> = t.units.iter().map(|u| u.id).collect();
        let tree: BTreeSet<UnitId> = v
            .tree(None, day, &Default::default())
            .unwrap()
            .iter()
            .map(|n| n.unit.id)
            .collect();
        assert_eq!(listed, tree, "{day}");
        let want = oracle(&c, day, day, |_, _| true);
        same(&engine(&t), &want);
    }
}

#[test]
fn a_merged_district_counts_under_its_successor_when_re_based() {
    let c = city(800, 11);
    let v = c.reg.view().unwrap();
    let day = d("2005-06-30");
    let as_was = v.population(&PopulationQuery::new(day)).unwrap();
    let mut q = PopulationQuery::new(day);
    q.rebase_to = Some(d("2024-12-31"));
    let rebased = v.population(&q).unwrap();
    let total = |t: &Table, u: UnitId| t.find(u, &[]).map(|i| t.headcount[i].unwrap());
    assert_eq!(total(&as_was, c.gusu), None, "姑苏区 did not exist in 2005");
    assert_eq!(total(&rebased, c.canglang), None);
    assert_eq!(
        total(&rebased, c.gusu).unwrap(),
        total(&as_was, c.canglang).unwrap() + total(&as_was, c.pingjiang).unwrap()
    );
    assert_eq!(total(&rebased, c.city), total(&as_was, c.city));
    assert_eq!(total(&rebased, c.wuzhong), total(&as_was, c.wuzhong));
    // Every cell, by ethnicity, equals the independent count on 2024's units.
    let mut q = by_eth(day);
    q.rebase_to = Some(d("2024-12-31"));
    let rebased = v.population(&q).unwrap();
    same(
        &engine(&rebased),
        &oracle(&c, day, d("2024-12-31"), |_, _| true),
    );
}

#[test]
fn a_split_unit_counts_under_its_first_successor_and_says_so() {
    let c = city(800, 13);
    let v = c.reg.view().unwrap();
    let day = d("2015-06-30");
    let mut q = PopulationQuery::new(day);
    q.rebase_to = Some(d("2024-12-31"));
    let t = v.population(&q).unwrap();
    let as_was = v.population(&PopulationQuery::new(day)).unwrap();
    let total = |t: &Table, u: UnitId| t.find(u, &[]).map(|i| t.headcount[i].unwrap());
    let first = c.d1x.min(c.d1y);
    let other = c.d1x.max(c.d1y);
    assert_eq!(total(&t, first), total(&as_was, c.d1));
    assert_eq!(total(&t, other), Some(0));
    let i = t.find(first, &[]).unwrap();
    assert!(t.split[i]);
    assert!(
        t.split[t.find(c.city, &[]).unwrap()],
        "the split is inside the city's count"
    );
    assert!(!t.split[t.find(other, &[]).unwrap()]);
    assert!(t.notes.iter().any(|n| n.contains("split")));
    // As it was, nothing is approximate.
    assert!(as_was.split.iter().all(|s| !s));
}

#[test]
fn merged_communities_land_on_their_successor_as_it_was() {
    let c = city(1200, 17);
    let v = c.reg.view().unwrap();
    let day = d("2021-06-30");
    let t = v.population(&PopulationQuery::new(day)).unwrap();
    let want: u64 = c
        .people
        .iter()
        .filter(|p| {
            p.place_on(day)
                .is_some_and(|u| u == c.a1 || u == c.a2 || u == c.a12)
        })
        .count() as u64;
    assert!(want > 0);
    let i = t.find(c.a12, &[]).unwrap();
    assert_eq!(t.headcount[i], Some(want));
    assert!(t.find(c.a1, &[]).is_none());
}

#[test]
fn filters_keys_and_levels() {
    let c = city(1200, 19);
    let v = c.reg.view().unwrap();
    let day = d("2024-12-31");
    // Minority migrants by sex, district level.
    let mut q = PopulationQuery::new(day)
        .by(&[Dimension::Sex, Dimension::Ethnicity])
        .level("district");
    q.minorities_only = true;
    q.categories = Some(vec![Category::Migrant]);
    let t = v.population(&q).unwrap();
    assert!(t.units.iter().all(|u| u.level == "district"));
    let mut want: BTreeMap<(UnitId, u8, u8), u64> = BTreeMap::new();
    for p in &c.people {
        let Some(place) = p.place_on(day) else {
            continue;
        };
        let eth = p.ethnicity_on(day);
        if !p.migrant || eth == 1 || eth >= 97 {
            continue;
        }
        let home = land(&c.reg, place, day);
        let district = v
            .ancestors(home, day, &Default::default())
            .unwrap()
            .into_iter()
            .find(|u| u.kind == "district")
            .unwrap()
            .id;
        *want
            .entry((district, if p.male { 1 } else { 2 }, eth))
            .or_default() += 1;
    }
    let mut got: BTreeMap<(UnitId, u8, u8), u64> = BTreeMap::new();
    for i in 0..t.len() {
        if t.keys[0][i] == TOTAL {
            continue;
        }
        let sex: u8 = t.dimensions[0].codes[t.keys[0][i] as usize]
            .parse()
            .unwrap();
        let eth: u8 = t.dimensions[1].codes[t.keys[1][i] as usize]
            .parse()
            .unwrap();
        got.insert(
            (t.units[t.unit[i] as usize].id, sex, eth),
            t.headcount[i].unwrap(),
        );
    }
    assert_eq!(got, want);
    // Every migrant share in this table is 1.
    assert!(t
        .migrant_share
        .iter()
        .flatten()
        .all(|s| (*s - 1.0).abs() < 1e-12));
    // Age bands cover everyone: their sum is the total.
    let t = v
        .population(
            &PopulationQuery::new(day)
                .by(&[Dimension::AgeBand])
                .level("city"),
        )
        .unwrap();
    let total = t.headcount[t.find(c.city, &[None]).unwrap()].unwrap();
    let bands: u64 = (0..t.len())
        .filter(|i| t.keys[0][*i] != TOTAL)
        .map(|i| t.headcount[i].unwrap())
        .sum();
    assert_eq!(bands, total);
    assert_eq!(
        t.dimensions[0].codes[..4],
        ["0-17", "18-34", "35-59", "60+"]
    );
    // Repeated keys are refused.
    let e = v
        .population(&PopulationQuery::new(day).by(&[Dimension::Sex, Dimension::Sex]))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
}

#[test]
fn trends_equal_the_query_at_each_period_end_and_flows_add_up() {
    let c = city(1000, 23);
    let v = c.reg.view().unwrap();
    let tq = TrendQuery {
        query: by_eth(d("2000-01-01")),
        from: d("2010-01-01"),
        to: d("2021-12-31"),
        period: Period::Quarter,
    };
    let t = v.population_trend(&tq).unwrap();
    assert_eq!(t.periods.len(), 48);
    assert_eq!(t.periods[0], d("2010-03-31"));
    assert_eq!(*t.periods.last().unwrap(), d("2021-12-31"));
    for (p, end) in t.periods.iter().enumerate() {
        let one = v.population(&by_eth(*end)).unwrap();
        let mut part = t.clone();
        let rows: Vec<usize> = (0..t.len()).filter(|i| t.period[*i] == p as u32).collect();
        for col in [&mut part.unit, &mut part.period] {
            *col = rows.iter().map(|i| col[*i]).collect();
        }
        for col in part.keys.iter_mut() {
            *col = rows.iter().map(|i| col[*i]).collect();
        }
        part.headcount = rows.iter().map(|i| t.headcount[*i]).collect();
        part.components = rows.iter().map(|i| t.components[*i]).collect();
        assert_eq!(engine(&part), engine(&one), "period ending {end}");
    }
    // headcount(p) = headcount(p-1) + arrivals - departures for the city total, except
    // where an ethnicity change moves someone between cells (not in the total).
    let city_rows: Vec<usize> = (0..t.len())
        .filter(|i| t.units[t.unit[*i] as usize].id == c.city && t.keys[0][*i] == TOTAL)
        .collect();
    for w in city_rows.windows(2) {
        let (a, b) = (w[0], w[1]);
        let grow = t.headcount[b].unwrap() as i64 - t.headcount[a].unwrap() as i64;
        assert_eq!(
            grow,
            t.arrivals[b].unwrap() as i64 - t.departures[b].unwrap() as i64
        );
        assert_eq!(t.growth[b], Some(grow));
    }
    assert_eq!(t.growth[city_rows[0]], None);
    // Arrivals in a period are the residents whose stay began in it.
    let (s, e) = (d("2010-01-01"), d("2010-03-31"));
    let arrived = c
        .people
        .iter()
        .flat_map(|p| p.stays.iter())
        .filter(|st| st.from >= s && st.from <= e)
        .count() as u64;
    assert_eq!(t.arrivals[city_rows[0]], Some(arrived));
}

#[test]
fn the_snapshot_follows_writes_without_reloading_and_matches_a_fresh_handle() {
    let dir = std::env::temp_dir().join(format!("shiliu-stats-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("s.db");
    let reg = Registry::open(&path, OpenOptions::default().today(d("2025-06-30"))).unwrap();
    let w = |u: NewUnit| reg.write(|b| b.add_unit(u)).unwrap();
    let city = w(unit(UnitKind::City, "苏州市", "320500", "1990-01-01", None));
    let c1 = w(unit(
        UnitKind::Community,
        "一社区",
        "320500001001",
        "1990-01-01",
        Some(city),
    ));
    let c2 = w(unit(
        UnitKind::Community,
        "二社区",
        "320500001002",
        "1990-01-01",
        Some(city),
    ));
    let add = |name: &str, unit: UnitId, eth: u8| {
        reg.write(|b| {
            b.add_resident(NewResident {
                name: name.into(),
                sex: Some(shiliu::codes::Sex::Male),
                birth_date: Some(d("1980-01-01")),
                id_number: None,
                ethnicity: Ethnicity::from_code(eth).unwrap(),
                phone: None,
                category: Category::Registered,
                origin: None,
                household: None,
                father_ethnicity: None,
                mother_ethnicity: None,
                community: unit,
                arrived_on: d("2000-01-01"),
                left_on: None,
                registered_unit: None,
                registered_division: None,
                hardship: None,
            })
        })
        .unwrap()
        .0
    };
    let a = add("甲", c1, 3);
    add("乙", c1, 3);
    add("丙", c2, 6);
    let day = d("2024-12-31");
    let q = by_eth(day);
    let count =
        |t: &Table, u: UnitId, e: Option<&str>| t.find(u, &[e]).and_then(|i| t.headcount[i]);
    let t = reg.view().unwrap().population(&q).unwrap();
    assert_eq!(count(&t, city, None), Some(3));
    // Writes after the snapshot was built: a move, a new resident, a departure.
    reg.write(|b| b.move_resident(a, c2, d("2024-06-01")))
        .unwrap();
    let b2 = add("丁", c1, 15);
    reg.write(|b| b.depart_resident(b2, d("2024-12-01")))
        .unwrap();
    add("戊", c2, 3);
    let t = reg.view().unwrap().population(&q).unwrap();
    // Brought up to date from the writes: still the one snapshot read from the file.
    assert_eq!(reg.view().unwrap().stats_snapshot_bytes().unwrap().2, 1);
    assert_eq!(count(&t, c1, Some("03")), Some(1));
    assert_eq!(count(&t, c2, Some("03")), Some(2));
    assert_eq!(count(&t, c1, Some("15")), None);
    assert_eq!(count(&t, city, None), Some(4));
    // A fresh handle (cold snapshot) answers the same; so does the past.
    let fresh = Registry::open(&path, OpenOptions::default()).unwrap();
    let t2 = fresh.view().unwrap().population(&q).unwrap();
    assert_eq!(engine(&t), engine(&t2));
    let before = count(&t, c1, Some("03"));
    let past = reg
        .view_at(t.transaction - 4)
        .unwrap()
        .population(&q)
        .unwrap();
    assert_eq!(count(&past, c1, Some("03")), Some(2));
    assert_ne!(before, count(&past, c1, Some("03")));
    drop(fresh);
    drop(reg);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn analysts_get_aggregates_with_k_and_scopes_hold() {
    let dir = std::env::temp_dir().join(format!("shiliu-stats-k-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("k.db");
    let c = city_in(Some(&path), 600, 29);
    let open_as =
        |p: Principal| Registry::open(&path, OpenOptions::default().principal(p)).unwrap();
    let a = open_as(Principal::new("analyst", Role::Analyst, Some(c.gusu)).with_purpose("report"));
    let v = a.view().unwrap();
    let t = v.population(&by_eth(d("2024-12-31"))).unwrap();
    assert_eq!(t.k, Some(5));
    assert!(
        t.units.iter().all(|u| u.path.starts_with("苏州市/姑苏区")),
        "scope"
    );
    assert!(!t.is_empty());
    for i in 0..t.len() {
        if let Some(n) = t.headcount[i] {
            assert!(n == 0 || n >= 5, "a published count below k: {n}");
        }
    }
    let e = v.population(&by_eth(d("2024-12-31")).k(2)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AccessDenied);
    let e = v
        .population(&{
            let mut q = by_eth(d("2024-12-31"));
            q.under = Some(c.wuzhong);
            q
        })
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AccessDenied);
    // Analysts do not report upward: the cube holds the small counts.
    let cube = dir.join("cube.csv");
    let e = v
        .export_cube(&by_eth(d("2024-12-31")), cube.to_str().unwrap())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AccessDenied);
    assert!(!cube.exists());
    drop(v);
    drop(a);
    drop(c);
    let _ = std::fs::remove_dir_all(&dir);
}

fn temp_dir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("shiliu-stats-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn json_and_csv_requests_answer_tables_and_name_bad_fields() {
    let c = city(400, 31);
    let doc: serde_json::Value = serde_json::from_str(
        &c.reg
            .execute_json(
                r#"{"op": "population", "args": {"as_of": "2024-12-31", "by": ["民族"], "level": "district"}}"#,
            )
            .unwrap(),
    )
    .unwrap();
    let rows = doc["result"]["rows"].as_array().unwrap();
    let t = c
        .reg
        .view()
        .unwrap()
        .population(&by_eth(d("2024-12-31")).level("district"))
        .unwrap();
    assert_eq!(rows.len(), t.len());
    assert_eq!(rows[0]["level"], "district");
    assert_eq!(rows[0]["ethnicity"], serde_json::Value::Null);
    assert_eq!(rows[0]["ethnicity_name"], "合计");
    assert_eq!(rows[0]["headcount"], t.headcount[0].unwrap());
    assert!(
        rows[1]["ethnicity_name"].as_str().unwrap().ends_with('族') || rows[1]["ethnicity"] == "97"
    );
    // CSV: a header and one line per row.
    let csv = c
        .reg
        .execute_csv(r#"{"op": "population", "args": {"as_of": "2024-12-31", "by": ["ethnicity"], "level": "district"}}"#)
        .unwrap();
    assert_eq!(csv.lines().count(), t.len() + 1);
    assert!(csv.starts_with(
        "period,unit,code,name,level,level_zh,path,depth,ethnicity,ethnicity_name,headcount"
    ));
    // A trend: the query's fields beside from/to/period.
    let doc: serde_json::Value = serde_json::from_str(
        &c.reg
            .execute_json(r#"{"op": "population_trend", "args": {"from": "2020-01-01", "to": "2021-12-31", "period": "year", "level": "city"}}"#)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        doc["result"]["periods"],
        serde_json::json!(["2020-12-31", "2021-12-31"])
    );
    assert_eq!(doc["result"]["rows"].as_array().unwrap().len(), 2);
    // Bad input names the field.
    let e = c
        .reg
        .execute_json(
            r#"{"op": "population", "args": {"as_of": "2024-12-31", "by": ["religion"]}}"#,
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    assert!(e.to_string().contains("by"), "{e}");
    let e = c
        .reg
        .execute_json(r#"{"op": "population_trend", "args": {"from": "2020-01-01", "to": "2021-12-31", "period": "fortnight"}}"#)
        .unwrap_err();
    assert!(e.to_string().contains("period"), "{e}");
    let e = c
        .reg
        .execute_csv(r#"{"op": "tree", "args": {"as_of": "2024-12-31"}}"#)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
}

#[test]
fn aggregate_tables_give_denominators_and_answer_queries() {
    let c = city(600, 37);
    let dir = temp_dir("agg");
    let path = dir.join("census.csv");
    std::fs::write(
        &path,
        "苏州市第七次人口普查\n单位代码,民族,日期,人数\n320500,合计,2020-11-01,\"12,000\"\n320508,,2020-11-01,5000\n320506,合计,2020-11-01,7000\n320506,回族,2020-11-01,40\n999999,合计,2020-11-01,3\n320506,火星族,2020-11-01,3\n",
    )
    .unwrap();
    let opts =
        shiliu::stats::aggregates::AggregateImportOptions::new(path.to_str().unwrap(), "七普");
    let r = c.reg.import_aggregates(&opts).unwrap();
    assert_eq!((r.rows_read, r.stored, r.unchanged), (6, 4, 0));
    let codes: Vec<&str> = r.rejected.iter().map(|p| p.code.as_str()).collect();
    assert_eq!(codes, ["aggregate.unknown_unit", "aggregate.bad_ethnicity"]);
    assert_eq!(r.rejected[0].row, 7, "rows as the file shows them");
    let again = c.reg.import_aggregates(&opts).unwrap();
    assert_eq!(
        (again.stored, again.unchanged, again.transaction),
        (0, 4, None)
    );
    // Without a name the table is named after the file.
    let mut unnamed =
        shiliu::stats::aggregates::AggregateImportOptions::new(path.to_str().unwrap(), " ");
    let e = c.reg.import_aggregates(&unnamed).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation, "a blank name is refused");
    unnamed.name = None;
    assert_eq!(c.reg.import_aggregates(&unnamed).unwrap().stored, 4);
    let mut q = PopulationQuery::new(d("2021-01-01"));
    q.source = Some("census".into());
    let t = c.reg.view().unwrap().population(&q).unwrap();
    assert_eq!(t.headcount[t.find(c.city, &[]).unwrap()], Some(12_000));
    // Shares: headcount / total population, in ‰.
    let v = c.reg.view().unwrap();
    let t = v
        .population(&PopulationQuery::new(d("2024-12-31")).level("district"))
        .unwrap();
    let i = t.find(c.wuzhong, &[]).unwrap();
    assert_eq!(t.population[i], Some(7000));
    let want = t.headcount[i].unwrap() as f64 / 7000.0 * 1000.0;
    assert!((t.share[i].unwrap() - want).abs() < 1e-9);
    // Before the census date there is no denominator: missing, not zero.
    let t = v
        .population(&PopulationQuery::new(d("2019-12-31")).level("district"))
        .unwrap();
    assert!(t.population.iter().all(|p| p.is_none()) && t.share.iter().all(|s| s.is_none()));
    assert!(t.notes.iter().any(|n| n.contains("missing")));
    // The table itself through the same API.
    let mut q = by_eth(d("2021-01-01"));
    q.source = Some("七普".into());
    let t = v.population(&q).unwrap();
    assert_eq!(t.headcount[t.find(c.city, &[None]).unwrap()], Some(12_000));
    assert_eq!(
        t.headcount[t.find(c.wuzhong, &[Some("03")]).unwrap()],
        Some(40)
    );
    assert_eq!(t.headcount[t.find(c.gusu, &[None]).unwrap()], Some(5000));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_cube_exported_and_protected_matches_the_registry_own_protection() {
    let c = city(900, 41);
    let dir = temp_dir("cube");
    let path = dir.join("cube.csv");
    let v = c.reg.view().unwrap();
    let r = v
        .export_cube(&by_eth(d("2024-12-31")), path.to_str().unwrap())
        .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("code_path,level,name,ethnicity,headcount\n"));
    assert_eq!(text.lines().count(), r.rows + 1);
    assert!(text.contains("\n320500/320508,district,姑苏区,,"));
    let cube = shiliu::stats::protect_cube(path.to_str().unwrap(), 5, true).unwrap();
    let own = v.population(&by_eth(d("2024-12-31")).k(5)).unwrap();
    let key = |t: &Table, i: usize| {
        (
            t.units[t.unit[i] as usize].code.clone(),
            t.keys[0][i],
            t.headcount[i],
            t.status[i],
        )
    };
    let a: Vec<_> = (0..cube.len()).map(|i| key(&cube, i)).collect();
    let b: Vec<_> = (0..own.len()).map(|i| key(&own, i)).collect();
    assert_eq!(a, b);
    assert!(a.iter().any(|x| x.3 == shiliu::stats::CellStatus::Primary));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn working_areas_and_registration_places_are_reported_too() {
    let reg = Registry::open_in_memory(OpenOptions::default().today(d("2024-12-31"))).unwrap();
    let s = suzhou::build(&reg).unwrap();
    let day = d("2003-06-30");
    let v = reg.view().unwrap();
    let jinfan = v
        .find_by_path("府前街道/锦帆路社区", day, &Default::default())
        .unwrap()
        .id;
    let add = |name: &str, lives: UnitId, registered: Option<UnitId>| {
        reg.write(|b| {
            b.add_resident(NewResident {
                name: name.into(),
                sex: Some(shiliu::codes::Sex::Female),
                birth_date: Some(d("1970-01-01")),
                id_number: None,
                ethnicity: Ethnicity::from_code(3).unwrap(),
                phone: None,
                category: Category::Registered,
                origin: None,
                household: None,
                father_ethnicity: None,
                mother_ethnicity: None,
                community: lives,
                arrived_on: d("2002-06-01"),
                left_on: None,
                registered_unit: registered,
                registered_division: None,
                hardship: None,
            })
        })
        .unwrap();
    };
    add("甲", s.daoqian, Some(jinfan));
    add("乙", s.daoqian, None);
    add("丙", s.daoqian, None);
    add("丁", jinfan, Some(s.daoqian));
    let v = reg.view().unwrap();
    // The working hierarchy: 联络片 between street and community.
    let mut q = PopulationQuery::new(day).level("area");
    q.hierarchy = shiliu::network::Hierarchy::Working;
    let t = v.population(&q).unwrap();
    let n = |t: &Table, u: UnitId| t.find(u, &[]).and_then(|i| t.headcount[i]);
    assert_eq!(n(&t, s.south_area), Some(3));
    assert_eq!(n(&t, s.north_area), Some(1));
    assert!(t.units.iter().all(|u| u.level == "area"));
    // Legally the areas hang off the street with no communities under them.
    let t = v
        .population(&PopulationQuery::new(day).level("area"))
        .unwrap();
    assert_eq!(
        (n(&t, s.south_area), n(&t, s.north_area)),
        (Some(0), Some(0))
    );
    // By registration place: only residents registered in a unit of the registry.
    let mut q = PopulationQuery::new(day).level("community");
    q.place = shiliu::stats::Place::Registration;
    let t = v.population(&q).unwrap();
    assert_eq!(n(&t, jinfan), Some(1));
    assert_eq!(n(&t, s.daoqian), Some(1));
    let t = v
        .population(&PopulationQuery::new(day).level("community"))
        .unwrap();
    assert_eq!((n(&t, s.daoqian), n(&t, jinfan)), (Some(3), Some(1)));
}
