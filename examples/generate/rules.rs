//! The rules-bench data (`--rules YEAR`): for the generated city, one year of the
//! community ethnic work that the Suzhou rule preset (`RuleSet::preset("suzhou")`)
//! checks, written to `OUT/rules/`:
//!
//! - `ledger-YYYY-MM-DD.csv` — the resident ledger as the registry learns it: the first
//!   file holds every row of residents.csv that arrived by the last day before YEAR (a
//!   departure shown only when it happened by then); each later file is one wave of
//!   community updates during YEAR (the arrivals and departures of the wave's
//!   communities since then). Every community sends one update during the year, most in
//!   its last quarter, some much earlier (a stale ledger); arrivals after a community's
//!   update stay unknown. Import each file with "today" = the date in its name.
//! - `network.jsonl` — one record a line (`type` = area, body, post, person, position,
//!   membership; keys `A…`, `B…`, `T…`, `P…` refer back to earlier lines): 联络片 (`area`
//!   units under each street, grouping its communities, each with an area_head and an
//!   area_liaison post), a 领导小组 (`leadership_group`) per street with leader,
//!   deputy_leader and member posts — the leader normally held by the street's
//!   街道党工委书记 (a position), sometimes after a delay or by an acting 街道办事处主任 —
//!   and most streets' 少数民族联谊会 (`fellowship_association`). Posts change holders
//!   every few years, sometimes with long vacancies.
//! - `life_events.csv` — `公民身份号码,类型,日期`: hospitalised / special / dispute /
//!   disaster (disasters strike several households of a community on one day) during
//!   YEAR, as many as `--triggers` minus the migrants arriving in YEAR (R10's triggers).
//! - `flags.csv` — `公民身份号码,类型,详情,起始日期,终止日期`: hardship over intervals.
//! - `activities.csv` — the work ledger in the layout `Registry::import_activities`
//!   reads (Chinese headers; units by code, bodies by name, participants by name,
//!   subjects by ID number), exactly `--activities` rows in YEAR: street meetings of the
//!   preset's subtypes (some quarters missed), leadership-group studies, fellowship
//!   trainings and festival events, visits answering most life events (some late, some
//!   never), visits to new migrants, aid or visits to residents in hardship each
//!   quarter, important matters and the briefings after them, and routine work
//!   (consultations, publicity, community events, visits) making up the rest. (When
//!   the work the rules call for alone is more — 1.6 % of residents in hardship get
//!   about four contacts a year, so with a million residents — all of it is written.)
//! - `meta.json` — parameters and counts.
//!
//! Everything depends only on `(N, seed, YEAR, --activities, --triggers)`; the other
//! files of the generator are the same with or without `--rules`.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::fs;
use std::io::{self, Write};
use std::path::Path;

use chrono::NaiveDate;

use crate::calendar::{day, ymd, Calendar, Day, END, START};
use crate::rng::Rng;
use crate::tables::{FEMALE_GIVEN, GENERIC_SURNAMES, MALE_GIVEN};
use crate::units::Units;

/// Version of the rules data; bump when the output for given parameters changes.
pub const RULES_VERSION: u32 = 1;
/// PRNG stream of the rules data.
const STREAM_RULES: u64 = 4;
/// Default `--activities`.
pub const DEFAULT_ACTIVITIES: u64 = 100_000;
/// Default `--triggers`.
pub const DEFAULT_TRIGGERS: u64 = 50_000;

/// Share of communities whose only update of the year comes before its last quarter.
const STALE_SHARE: f64 = 0.12;
/// Share of residents living in the city during the year flagged as in hardship.
const HARDSHIP_SHARE: f64 = 0.016;
/// Life-event kinds (preset labels), their Chinese words and weights; disasters come
/// in clusters.
const EVENT_KINDS: [(&str, &str, f64); 4] = [
    ("hospitalised", "住院", 0.46),
    ("special", "特殊情况", 0.24),
    ("dispute", "纠纷", 0.18),
    ("disaster", "受灾", 0.12),
];
/// Kinds of hardship (困难类型).
const HARDSHIP: [&str; 6] = [
    "低保户",
    "低保边缘户",
    "因病致困",
    "残疾",
    "孤寡老人",
    "失业",
];
/// Matters a community briefs its minority representatives on.
const MATTERS: [&str; 8] = [
    "老旧小区改造方案",
    "社区换届选举",
    "停车位调整",
    "垃圾分类新规",
    "社区养老服务站建设",
    "拆迁安置政策",
    "清真餐饮网点调整",
    "社区公共空间改造",
];
/// Consultation categories.
const CONSULTATIONS: [&str; 6] = [
    "政策咨询",
    "就业创业",
    "子女入学",
    "社会保障",
    "纠纷调解",
    "清真食品",
];
/// Festival events of a fellowship association: (title, month).
const FESTIVALS: [(&str, u32); 5] = [
    ("春节联谊会", 2),
    ("开斋节联谊活动", 4),
    ("古尔邦节联谊活动", 6),
    ("中秋民族团结联欢", 9),
    ("民族团结进步月活动", 10),
];
const CHINESE_NUMBERS: [&str; 4] = ["一", "二", "三", "四"];

/// What `--rules` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesParams {
    /// The year of the work.
    pub year: i32,
    /// Activities to write.
    pub activities: u64,
    /// Trigger events to make (life events + migrant arrivals in the year).
    pub triggers: u64,
    /// Seed.
    pub seed: u64,
}

/// Counts of what was written.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Streets (街道/镇) of the city in the year.
    pub streets: usize,
    /// Communities.
    pub communities: usize,
    /// 联络片.
    pub areas: usize,
    /// Bodies (leadership groups, fellowship associations).
    pub bodies: usize,
    /// Posts.
    pub posts: usize,
    /// Persons (staff).
    pub persons: usize,
    /// Memberships.
    pub memberships: usize,
    /// Ledger files.
    pub ledger_files: usize,
    /// Rows over all ledger files.
    pub ledger_rows: usize,
    /// Ledger residents living in the city on some day of the year.
    pub living: usize,
    /// Life events, by kind (in [`EVENT_KINDS`] order).
    pub life_events: [usize; 4],
    /// Migrants arriving during the year, as the ledger knows them (R10's triggers).
    pub arrivals: usize,
    /// Important matters (R8's triggers; they are activities).
    pub matters: usize,
    /// Hardship flags.
    pub flags: usize,
    /// Activities written.
    pub activities: usize,
    /// Of them, routine work filling up to `--activities`.
    pub routine: usize,
}

impl Summary {
    /// Life events of every kind.
    pub fn events(&self) -> usize {
        self.life_events.iter().sum()
    }
}

/// A resident of residents.csv as the rules data needs it.
struct Resident {
    /// Index of its line in residents.csv (0 = first data row).
    line: u32,
    community: u32,
    migrant: bool,
    arrival: Day,
    left: Option<Day>,
    /// In the registry's ledger by the end of the year.
    known: bool,
}

impl Resident {
    /// The days of `[lo, hi]` it lived in the city (half-open `[from, to)`), if any.
    fn window(&self, lo: Day, hi: Day) -> Option<(Day, Day)> {
        let from = self.arrival.max(lo);
        let to = self.left.unwrap_or(Day::MAX).min(hi + 1);
        (self.known && from < to).then_some((from, to))
    }
}

/// A street and what the rules data gives it.
struct Street {
    code: String,
    name: String,
    /// Multiplies the chance of every lapse (missed meeting, late or missing visit …):
    /// streets differ, and lapses cluster.
    laxity: f64,
    communities: Vec<usize>,
    leadership: Option<usize>,
    fellowship: Option<usize>,
    /// Leadership-group posts (all roles).
    group_posts: Vec<usize>,
    area_heads: Vec<usize>,
    area_liaisons: Vec<usize>,
}

/// A community.
struct Community {
    code: String,
    street: usize,
    valid_from: Day,
    /// Day of its ledger update during the year.
    update: Day,
}

/// Who owns a post.
#[derive(Clone, Copy)]
enum Owner {
    Area(usize),
    Body(usize),
}

struct Post {
    owner: Owner,
    role: &'static str,
    from: Day,
    /// (person, from, to) in day order.
    holders: Vec<(usize, Day, Option<Day>)>,
}

struct Body {
    street: usize,
    kind: &'static str,
    name: String,
    from: Day,
}

struct Area {
    street: usize,
    name: String,
    from: Day,
    communities: Vec<usize>,
}

/// An activity row.
struct Act {
    day: Day,
    kind: &'static str,
    subtype: &'static str,
    unit: String,
    body: String,
    participants: Vec<usize>,
    subject: Option<u32>,
    title: String,
    category: &'static str,
    resolved: &'static str,
    aid_kind: &'static str,
    amount: u32,
}

impl Act {
    fn new(day: Day, kind: &'static str, unit: &str) -> Act {
        Act {
            day,
            kind,
            subtype: "",
            unit: unit.to_owned(),
            body: String::new(),
            participants: Vec::new(),
            subject: None,
            title: String::new(),
            category: "",
            resolved: "",
            aid_kind: "",
            amount: 0,
        }
    }
}

/// Reads `YYYY-MM-DD`.
fn parse_day(s: &str) -> Option<Day> {
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<u32>().ok();
    if s.len() != 10 {
        return None;
    }
    NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(5..7)?, num(8..10)?).map(day)
}

/// `d` moved off a weekend: to the Monday after, or the Friday before when that Monday
/// is after `hi` (day 0, 1900-01-01, was a Monday).
fn workday(d: Day, hi: Day) -> Day {
    let wd = d % 7;
    if wd < 5 {
        d
    } else if d + (7 - wd) <= hi {
        d + (7 - wd)
    } else {
        d - (wd - 4)
    }
}

/// Everything generated, and the generator's state.
struct Gen<'a> {
    rng: Rng,
    cal: &'a Calendar,
    y0: Day,
    ye: Day,
    base: Day,
    year: i32,
    streets: Vec<Street>,
    communities: Vec<Community>,
    residents: Vec<Resident>,
    /// Residents living in the city during the year, and the same by community.
    living: Vec<u32>,
    living_in: Vec<Vec<u32>>,
    areas: Vec<Area>,
    bodies: Vec<Body>,
    posts: Vec<Post>,
    persons: Vec<(String, String)>,
    person_names: HashSet<String>,
    /// (person, street, title, from, to).
    positions: Vec<(usize, usize, &'static str, Day, Option<Day>)>,
    surnames: Vec<char>,
    given: Vec<char>,
    events: Vec<(u32, usize, Day)>,
    flags: Vec<(u32, &'static str, Day, Option<Day>)>,
    acts: Vec<Act>,
    summary: Summary,
}

impl Gen<'_> {
    /// A day uniform in `[a, b]`.
    fn between(&mut self, a: Day, b: Day) -> Day {
        a + self.rng.below(u64::from(b.saturating_sub(a)) + 1) as Day
    }

    /// First and last day of quarter `q` (0..4) of the year.
    fn quarter(&self, q: u32) -> (Day, Day) {
        let from = ymd(self.year, 3 * q + 1, 1, self.y0);
        let to = if q == 3 {
            self.ye
        } else {
            ymd(self.year, 3 * q + 4, 1, self.ye) - 1
        };
        (from, to)
    }

    /// A new person with a name no other person has.
    fn person(&mut self) -> usize {
        loop {
            let mut name = String::new();
            name.push(self.surnames[self.rng.index(self.surnames.len())]);
            name.push(self.given[self.rng.index(self.given.len())]);
            if self.rng.chance(0.75) {
                name.push(self.given[self.rng.index(self.given.len())]);
            }
            if self.person_names.insert(name.clone()) {
                let phone = format!(
                    "1{}{:09}",
                    [3, 5, 8][self.rng.index(3)],
                    self.rng.below(1_000_000_000)
                );
                self.persons.push((name, phone));
                return self.persons.len() - 1;
            }
        }
    }

    /// Holder spells from `from` to beyond the year: every few years a new holder,
    /// mostly within a week, sometimes after a long vacancy (which may still run at the
    /// end of the year). `to` = None: still held.
    fn spells(&mut self, from: Day) -> Vec<(Day, Option<Day>)> {
        let mut out = Vec::new();
        let mut t = from;
        loop {
            let end = t + 400 + self.rng.below(1800) as Day;
            if end > self.ye {
                out.push((t, None));
                return out;
            }
            out.push((t, Some(end)));
            let gap = if self.rng.chance(0.7) {
                self.rng.below(8)
            } else {
                31 + self.rng.below(120)
            };
            t = end + gap as Day;
            if t > self.ye {
                return out;
            }
        }
    }

    fn add_post(&mut self, owner: Owner, role: &'static str, from: Day) -> usize {
        self.posts.push(Post {
            owner,
            role,
            from,
            holders: Vec::new(),
        });
        self.posts.len() - 1
    }

    /// A post whose holders follow [`Gen::spells`], each spell a new person.
    fn staffed_post(&mut self, owner: Owner, role: &'static str, from: Day) -> usize {
        let p = self.add_post(owner, role, from);
        for (a, b) in self.spells(from) {
            let who = self.person();
            self.posts[p].holders.push((who, a, b));
        }
        p
    }

    /// Who holds `post` on `d`.
    fn holder(&self, post: usize, d: Day) -> Option<usize> {
        self.posts[post]
            .holders
            .iter()
            .find(|(_, a, b)| *a <= d && b.is_none_or(|b| d < b))
            .map(|(p, ..)| *p)
    }

    /// The holders of `posts` on `d`, each present with probability `p`.
    fn present(&mut self, posts: &[usize], d: Day, p: f64) -> Vec<usize> {
        let mut out = Vec::new();
        for &post in posts {
            if let Some(h) = self.holder(post, d) {
                if self.rng.chance(p) {
                    out.push(h);
                }
            }
        }
        out
    }

    /// The chance `p` of a lapse on street `s`.
    fn lapse(&self, s: usize, p: f64) -> f64 {
        (p * self.streets[s].laxity).min(0.9)
    }

    /// The street of resident `r`.
    fn street_of(&self, r: u32) -> usize {
        self.communities[self.residents[r as usize].community as usize].street
    }

    /// 0, 1 or 2 with the given chances of 0 and 2.
    fn count(&mut self, none: f64, two: f64) -> u32 {
        let x = self.rng.f64();
        if x < none {
            0
        } else if x < none + two {
            2
        } else {
            1
        }
    }

    /// Areas, bodies, posts, persons, positions and memberships of every street.
    fn network(&mut self) {
        let area_start = ymd(2015, 3, 1, self.base);
        for s in 0..self.streets.len() {
            // 联络片: consecutive communities, 4–6 each.
            let comms = self.streets[s].communities.clone();
            let n_areas = comms.len().div_ceil(5).clamp(2, 4).min(comms.len().max(1));
            let from = area_start + self.rng.below(700) as Day;
            for (k, number) in CHINESE_NUMBERS.iter().enumerate().take(n_areas) {
                let lo = comms.len() * k / n_areas;
                let hi = comms.len() * (k + 1) / n_areas;
                self.areas.push(Area {
                    street: s,
                    name: format!("{}第{number}联络片", self.streets[s].name),
                    from,
                    communities: comms[lo..hi].to_vec(),
                });
                let a = self.areas.len() - 1;
                let head = self.staffed_post(Owner::Area(a), "area_head", from);
                let liaison = self.staffed_post(Owner::Area(a), "area_liaison", from);
                self.streets[s].area_heads.push(head);
                self.streets[s].area_liaisons.push(liaison);
            }
            // 领导小组: a few founded during the year.
            let group_from = if self.rng.chance(0.03) {
                self.y0 + 60 + self.rng.below(180) as Day
            } else {
                ymd(2016, 1, 1, self.base) + self.rng.below(2500) as Day
            };
            let name = format!("{}少数民族工作领导小组", self.streets[s].name);
            self.bodies.push(Body {
                street: s,
                kind: "leadership_group",
                name,
                from: group_from,
            });
            let group = self.bodies.len() - 1;
            self.streets[s].leadership = Some(group);
            let leader = self.leader_post(s, group, group_from);
            let mut posts = vec![leader];
            let deputies = if self.rng.chance(0.2) { 2 } else { 1 };
            for _ in 0..deputies {
                posts.push(self.staffed_post(Owner::Body(group), "deputy_leader", group_from));
            }
            for _ in 0..4 + self.rng.below(3) {
                posts.push(self.staffed_post(Owner::Body(group), "member", group_from));
            }
            self.streets[s].group_posts = posts;
            // 联谊会: most streets, a few founded during the year.
            let x = self.rng.f64();
            if x < 0.90 {
                let from = if x < 0.05 {
                    self.y0 + 30 + self.rng.below(150) as Day
                } else {
                    ymd(2012, 1, 1, self.base) + self.rng.below(4000) as Day
                };
                self.bodies.push(Body {
                    street: s,
                    kind: "fellowship_association",
                    name: format!("{}少数民族联谊会", self.streets[s].name),
                    from,
                });
                let fa = self.bodies.len() - 1;
                self.streets[s].fellowship = Some(fa);
                self.staffed_post(Owner::Body(fa), "leader", from);
            }
        }
    }

    /// The leadership group's leader post: held by the street's party secretary (a
    /// position with its own gaps), taken up after a short delay (sometimes a long
    /// one); on a few streets the street director stands in for part of the year.
    fn leader_post(&mut self, s: usize, group: usize, from: Day) -> usize {
        let post = self.add_post(Owner::Body(group), "leader", from);
        let acting = self.rng.chance(0.05);
        let secretaries = self.spells(ymd(2010, 1, 1, self.base));
        for (a, b) in secretaries {
            let who = self.person();
            self.positions.push((who, s, "街道党工委书记", a, b));
            if b.is_some_and(|b| b <= from) {
                continue;
            }
            let lag = if self.rng.chance(0.85) {
                self.rng.below(15)
            } else {
                35 + self.rng.below(60)
            };
            let mut start = a.max(from) + lag as Day;
            if b.is_some_and(|b| start >= b) {
                continue;
            }
            // Standing in: the director holds the post first, into the year.
            if acting && a < self.y0 && b.is_none_or(|b| b > self.ye) {
                let until = self.y0 + 60 + self.rng.below(200) as Day;
                if start < until {
                    let director = self.person();
                    self.positions
                        .push((director, s, "街道办事处主任", a.min(start), None));
                    self.posts[post]
                        .holders
                        .push((director, start, Some(until)));
                    start = until;
                }
            }
            self.posts[post].holders.push((who, start, b));
        }
        post
    }

    /// Migrant arrivals (R10) and life events (R6) up to `triggers` in all.
    fn triggers(&mut self, triggers: u64) {
        let (y0, ye) = (self.y0, self.ye);
        let arrivals: Vec<u32> = (0..self.residents.len() as u32)
            .filter(|&i| {
                let r = &self.residents[i as usize];
                r.known && r.migrant && r.arrival >= y0 && r.arrival <= ye
            })
            .collect();
        self.summary.arrivals = arrivals.len();
        let wanted = (triggers as usize).saturating_sub(arrivals.len());
        // A disaster draw makes a cluster of 5.5 events on average.
        let cum: Vec<f64> = EVENT_KINDS
            .iter()
            .scan(0.0, |acc, k| {
                *acc += if k.0 == "disaster" { k.2 / 5.5 } else { k.2 };
                Some(*acc)
            })
            .collect();
        let mut events = Vec::with_capacity(wanted);
        let mut tries = 0;
        while events.len() < wanted && !self.living.is_empty() && tries < 100 * wanted + 1000 {
            tries += 1;
            let x = self.rng.f64() * cum[3];
            let kind = cum.iter().position(|&c| x < c).unwrap_or(0);
            let r = self.living[self.rng.index(self.living.len())];
            let d = self.between(y0, ye);
            let Some((a, b)) = self.residents[r as usize].window(y0, ye) else {
                continue;
            };
            if d < a || d >= b {
                continue;
            }
            if EVENT_KINDS[kind].0 != "disaster" {
                events.push((r, kind, d));
                continue;
            }
            // A storm or a fire: several households of the community on the same day.
            let c = self.residents[r as usize].community as usize;
            let n = 3 + self.rng.below(6) as usize;
            let mut hit = vec![r];
            for _ in 0..4 * n {
                if hit.len() >= n || events.len() + hit.len() >= wanted {
                    break;
                }
                let pool = &self.living_in[c];
                let o = pool[self.rng.index(pool.len())];
                if hit.contains(&o) {
                    continue;
                }
                if let Some((a, b)) = self.residents[o as usize].window(y0, ye) {
                    if a <= d && d < b {
                        hit.push(o);
                    }
                }
            }
            events.extend(hit.into_iter().map(|o| (o, kind, d)));
        }
        events.sort_unstable_by_key(|&(r, k, d)| (d, r, k));
        for &(_, k, _) in &events {
            self.summary.life_events[k] += 1;
        }
        // Visits: most within the week, some late, some never (none after the year).
        for &(r, kind, d) in &events {
            let s = self.street_of(r);
            let (late, never) = (self.lapse(s, 0.045), self.lapse(s, 0.035));
            let x = self.rng.f64();
            let delay = if x < never {
                continue;
            } else if x < never + late {
                8 + self.rng.below(30)
            } else {
                self.rng.below(8).min(self.rng.below(8))
            };
            let on = d + delay as Day;
            if on > ye {
                continue;
            }
            let unit = self.unit_of(r);
            let mut v = Act::new(on, "走访", &unit);
            v.subject = Some(r);
            v.title = format!("{}必访", EVENT_KINDS[kind].1);
            self.acts.push(v);
            if self.rng.chance(0.15) {
                let mut a = Act::new(on, "帮扶", &unit);
                a.subject = Some(r);
                a.title = format!("{}慰问", EVENT_KINDS[kind].1);
                a.aid_kind = "慰问金";
                a.amount = 200 + 100 * self.rng.below(9) as u32;
                self.acts.push(a);
            }
        }
        self.events = events;
        // New migrants: a registration visit within 30 days, mostly.
        for r in arrivals {
            let res = &self.residents[r as usize];
            let (arrival, left) = (res.arrival, res.left);
            let s = self.street_of(r);
            let (late, never) = (self.lapse(s, 0.08), self.lapse(s, 0.09));
            let x = self.rng.f64();
            let delay = if x < never {
                continue;
            } else if x < never + late {
                31 + self.rng.below(45)
            } else {
                1 + self.rng.below(26).min(self.rng.below(26))
            };
            let on = arrival + delay as Day;
            if on > ye || left.is_some_and(|l| on >= l) {
                continue;
            }
            let mut v = Act::new(on, "走访", &self.unit_of(r));
            v.subject = Some(r);
            v.title = "新到流动人员登记走访".into();
            self.acts.push(v);
        }
    }

    fn unit_of(&self, r: u32) -> String {
        let c = self.residents[r as usize].community as usize;
        self.communities[c].code.clone()
    }

    /// Hardship flags and the quarterly aid or visits (R7).
    fn hardship(&mut self) {
        let (y0, ye) = (self.y0, self.ye);
        let n = (self.living.len() as f64 * HARDSHIP_SHARE).round() as usize;
        let mut chosen = HashSet::new();
        while chosen.len() < n.min(self.living.len()) {
            chosen.insert(self.living[self.rng.index(self.living.len())]);
        }
        let mut chosen: Vec<u32> = chosen.into_iter().collect();
        chosen.sort_unstable();
        for r in chosen {
            let res = &self.residents[r as usize];
            let (arrival, left) = (res.arrival, res.left);
            let from = if self.rng.chance(0.75) && arrival < self.base {
                let earliest = arrival.max(y0 - 5 * 365);
                self.between(earliest, self.base)
            } else {
                let a = arrival.max(y0);
                self.between(a, a.max(ye - 20))
            };
            // Flags end when the hardship does, or when the resident leaves.
            let mut to = if self.rng.chance(0.08) {
                Some(self.between(from.max(y0) + 30, ye + 30))
            } else {
                None
            };
            if let Some(l) = left.filter(|&l| l <= ye) {
                to = Some(to.map_or(l, |t| t.min(l)));
            }
            let to = to.filter(|&t| t > from);
            let detail = HARDSHIP[self.rng.index(HARDSHIP.len())];
            self.flags.push((r, detail, from, to));
            for q in 0..4 {
                let (q0, q1) = self.quarter(q);
                let a0 = q0.max(from);
                let a1 = q1.min(to.map_or(Day::MAX, |t| t - 1));
                if a1 < a0 {
                    continue;
                }
                let none = self.lapse(self.street_of(r), 0.05);
                for _ in 0..self.count(none, 0.12) {
                    let d = self.between(a0, a1);
                    let unit = self.unit_of(r);
                    let mut a = if self.rng.chance(0.6) {
                        let mut a = Act::new(d, "帮扶", &unit);
                        let (kind, lo, steps) =
                            [("慰问金", 300, 8), ("物资", 100, 5), ("助学金", 500, 6)]
                                [self.rng.index(3)];
                        a.aid_kind = kind;
                        a.amount = lo + 100 * self.rng.below(steps) as u32;
                        a.title = "困难群众帮扶".into();
                        a
                    } else {
                        let mut a = Act::new(d, "走访", &unit);
                        a.title = "困难群众定期走访".into();
                        a
                    };
                    a.subject = Some(r);
                    self.acts.push(a);
                }
            }
        }
        self.summary.flags = self.flags.len();
    }

    /// Important matters in every community and the briefings after them (R8).
    fn matters(&mut self) {
        let (y0, ye) = (self.y0, self.ye);
        for c in 0..self.communities.len() {
            let code = self.communities[c].code.clone();
            let open = self.communities[c].valid_from.max(y0);
            if open > ye {
                continue;
            }
            for _ in 0..1 + self.rng.below(6) {
                let d = workday(self.between(open, ye), ye);
                let mut m = Act::new(d, "重要事项", &code);
                m.title = MATTERS[self.rng.index(MATTERS.len())].into();
                let title = m.title.clone();
                self.acts.push(m);
                self.summary.matters += 1;
                let s = self.communities[c].street;
                let (late, never) = (self.lapse(s, 0.06), self.lapse(s, 0.06));
                let x = self.rng.f64();
                let delay = if x < never {
                    continue;
                } else if x < never + late {
                    15 + self.rng.below(30)
                } else {
                    self.rng.below(15).min(self.rng.below(15))
                };
                let on = workday(d + delay as Day, ye);
                if on <= ye {
                    let mut b = Act::new(on, "通报", &code);
                    b.title = format!("{title}情况通报");
                    self.acts.push(b);
                }
            }
        }
    }

    /// Street meetings (R1, R2), leadership-group studies (R5), fellowship trainings
    /// (R9) and festival events (R9b).
    fn street_work(&mut self) {
        let (y0, ye) = (self.y0, self.ye);
        let half = ymd(self.year, 7, 1, ye);
        for s in 0..self.streets.len() {
            let code = self.streets[s].code.clone();
            let heads = self.streets[s].area_heads.clone();
            let liaisons = self.streets[s].area_liaisons.clone();
            // 联络片组长会议: twice a year, usually.
            let once = self.lapse(s, 0.08);
            let x = self.rng.f64();
            let n = if x < once {
                1
            } else if x < once + 0.06 {
                3
            } else {
                2
            };
            for k in 0..n {
                let (lo, hi) = match (n, k) {
                    (1, _) => (y0, ye),
                    (2, 0) => (y0 + 31, half - 1),
                    (2, _) => (half, ye - 20),
                    _ => (y0 + 120 * k as Day, y0 + 120 * k as Day + 110),
                };
                let d = workday(self.between(lo, hi), hi);
                let mut m = Act::new(d, "会议", &code);
                m.subtype = "联络片组长会议";
                m.title = format!("{}年联络片组长会议", self.year);
                m.participants = self.present(&heads, d, 0.9);
                self.acts.push(m);
            }
            // 联络员会议: each quarter, a few missed.
            for q in 0..4 {
                let (q0, q1) = self.quarter(q);
                let none = self.lapse(s, 0.05);
                for _ in 0..self.count(none, 0.12) {
                    let d = workday(self.between(q0, q1), q1);
                    let mut m = Act::new(d, "会议", &code);
                    m.subtype = "联络员会议";
                    m.title = format!("第{}季度联络员会议", CHINESE_NUMBERS[q as usize]);
                    m.participants = self.present(&liaisons, d, 0.85);
                    self.acts.push(m);
                }
            }
            // 领导小组研究: each quarter of the group's existence.
            if let Some(g) = self.streets[s].leadership {
                let (from, name) = (self.bodies[g].from, self.bodies[g].name.clone());
                let posts = self.streets[s].group_posts.clone();
                for q in 0..4 {
                    let (q0, q1) = self.quarter(q);
                    let q0 = q0.max(from);
                    if q0 > q1 {
                        continue;
                    }
                    let none = self.lapse(s, 0.06);
                    for _ in 0..self.count(none, 0.08) {
                        let d = workday(self.between(q0, q1), q1);
                        let mut m = Act::new(d, "会议", &code);
                        m.subtype = "领导小组研究";
                        m.body.clone_from(&name);
                        m.title = "研究部署民族工作".into();
                        m.participants = self.present(&posts, d, 0.8);
                        self.acts.push(m);
                    }
                }
            }
            // 联谊会: training each half-year, festival events.
            if let Some(f) = self.streets[s].fellowship {
                let (from, name) = (self.bodies[f].from, self.bodies[f].name.clone());
                for (h0, h1) in [(y0, half - 1), (half, ye)] {
                    let h0 = h0.max(from);
                    if h0 > h1 {
                        continue;
                    }
                    let none = self.lapse(s, 0.07);
                    for _ in 0..self.count(none, 0.12) {
                        let d = workday(self.between(h0, h1), h1);
                        let mut t = Act::new(d, "培训", &code);
                        t.body.clone_from(&name);
                        t.title = "民族政策学习".into();
                        self.acts.push(t);
                    }
                }
                let once = self.lapse(s, 0.08);
                let x = self.rng.f64();
                let n = if x < once {
                    1
                } else if x < once + 0.15 {
                    3
                } else {
                    2
                };
                let mut picked = Vec::new();
                while picked.len() < n {
                    let i = self.rng.index(FESTIVALS.len());
                    if !picked.contains(&i) {
                        picked.push(i);
                    }
                }
                picked.sort_unstable();
                for i in picked {
                    let (title, month) = FESTIVALS[i];
                    let d = ymd(self.year, month, 1, y0) + self.rng.below(28) as Day;
                    if d < from {
                        continue;
                    }
                    let mut e = Act::new(d, "活动", &code);
                    e.body.clone_from(&name);
                    e.title = title.into();
                    self.acts.push(e);
                }
            }
        }
    }

    /// Routine community work up to `total` activities.
    fn routine(&mut self, total: usize) {
        let (y0, ye) = (self.y0, self.ye);
        let n = total.saturating_sub(self.acts.len());
        self.summary.routine = n;
        let mut made = 0;
        while made < n && !self.living.is_empty() {
            // Where work happens follows where people live.
            let r = self.living[self.rng.index(self.living.len())];
            let Some((a, b)) = self.residents[r as usize].window(y0, ye) else {
                continue;
            };
            let d = self.between(a, b - 1);
            let unit = self.unit_of(r);
            let x = self.rng.f64();
            let act = if x < 0.40 {
                let mut c = Act::new(d, "咨询", &unit);
                c.category = CONSULTATIONS[self.rng.index(CONSULTATIONS.len())];
                c.title = format!("{}服务", c.category);
                c.resolved = if self.rng.chance(0.86) { "是" } else { "否" };
                if self.rng.chance(0.8) {
                    c.subject = Some(r);
                }
                c
            } else if x < 0.65 {
                let mut v = Act::new(d, "走访", &unit);
                v.subject = Some(r);
                v.title = "日常走访".into();
                v
            } else if x < 0.85 {
                let mut p = Act::new(d, "宣传", &unit);
                p.title = "民族团结进步宣传".into();
                p
            } else {
                let mut e = Act::new(d, "活动", &unit);
                e.title = "社区民族团结活动".into();
                e
            };
            self.acts.push(act);
            made += 1;
        }
    }
}

/// Generates the rules data for the city of `units` and its residents.csv (already
/// written in `out`) into `out/rules/`.
pub fn write_rules(
    p: &RulesParams,
    units: &Units,
    cal: &Calendar,
    out: &Path,
) -> Result<Summary, String> {
    let y0 = NaiveDate::from_ymd_opt(p.year, 1, 1)
        .filter(|d| *d > START && p.year < 2026 && *d < END)
        .ok_or_else(|| {
            format!(
                "--rules: the year must be from 1991 to 2025, not {}",
                p.year
            )
        })?;
    let ye = ymd(p.year, 12, 31, day(y0));
    let y0 = day(y0);
    let fail = |path: &Path, e: io::Error| format!("{}: {e}", path.display());
    let csv_path = out.join("residents.csv");
    let text = fs::read_to_string(&csv_path).map_err(|e| fail(&csv_path, e))?;

    // Streets valid in the year and their communities.
    let mut streets: Vec<Street> = Vec::new();
    let mut communities: Vec<Community> = Vec::new();
    for r in &units.rows {
        let valid = r.valid_from <= ye && r.valid_to.is_none_or(|t| t > y0);
        if r.level == "street" && valid {
            streets.push(Street {
                code: r.code.clone(),
                name: r.name.clone(),
                laxity: 1.0,
                communities: Vec::new(),
                leadership: None,
                fellowship: None,
                group_posts: Vec::new(),
                area_heads: Vec::new(),
                area_liaisons: Vec::new(),
            });
        }
    }
    let street_of: std::collections::HashMap<String, usize> = streets
        .iter()
        .enumerate()
        .map(|(i, s)| (s.code.clone(), i))
        .collect();
    let mut community_of = std::collections::HashMap::new();
    for c in &units.communities {
        let Some(&s) = c.code.get(..9).and_then(|s| street_of.get(s)) else {
            continue;
        };
        if c.valid_from > ye {
            continue;
        }
        community_of.insert(c.code.as_str(), communities.len());
        streets[s].communities.push(communities.len());
        communities.push(Community {
            code: c.code.clone(),
            street: s,
            valid_from: c.valid_from,
            update: ye,
        });
    }
    let mut g = Gen {
        rng: Rng::new(p.seed, STREAM_RULES),
        cal,
        y0,
        ye,
        base: y0 - 1,
        year: p.year,
        streets,
        communities,
        residents: Vec::new(),
        living: Vec::new(),
        living_in: Vec::new(),
        areas: Vec::new(),
        bodies: Vec::new(),
        posts: Vec::new(),
        persons: Vec::new(),
        person_names: HashSet::new(),
        positions: Vec::new(),
        surnames: GENERIC_SURNAMES.chars().collect(),
        given: MALE_GIVEN.chars().chain(FEMALE_GIVEN.chars()).collect(),
        events: Vec::new(),
        flags: Vec::new(),
        acts: Vec::new(),
        summary: Summary::default(),
    };
    // How lax each street is: log-normal around 1 (most between 0.4 and 2.5).
    for s in 0..g.streets.len() {
        let spread = g.rng.f64() + g.rng.f64() + g.rng.f64() - 1.5;
        g.streets[s].laxity = (1.2 * spread).exp();
    }
    // Ledger updates: one wave date per community (the 1st or 16th of a month).
    let waves: Vec<Day> = (1..=12)
        .flat_map(|m| [1, 16].map(|d| ymd(p.year, m, d, y0)))
        .collect();
    for c in 0..g.communities.len() {
        let w = if g.rng.chance(STALE_SHARE) {
            // February to mid-September.
            2 + g.rng.index(16)
        } else {
            // Mid-October to mid-December, later more often.
            let x = g.rng.f64();
            19 + ((x.sqrt() * 5.0) as usize).min(4)
        };
        g.communities[c].update = waves[w];
    }

    // Residents, and what the registry knows of them by the end of the year.
    let lines: Vec<&str> = text.lines().skip(1).collect();
    g.living_in = vec![Vec::new(); g.communities.len()];
    for (i, line) in lines.iter().enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != 11 {
            continue;
        }
        let (Some(&c), Some(arrival)) = (community_of.get(f[6]), parse_day(f[9])) else {
            continue;
        };
        let left = parse_day(f[10]);
        let known = arrival <= g.base || arrival <= g.communities[c].update;
        let r = Resident {
            line: i as u32,
            community: c as u32,
            migrant: f[7] == "流动",
            arrival,
            left,
            known,
        };
        if r.window(y0, ye).is_some() {
            g.living.push(g.residents.len() as u32);
            g.living_in[c].push(g.residents.len() as u32);
        }
        g.residents.push(r);
    }
    g.summary.living = g.living.len();

    g.network();
    g.triggers(p.triggers);
    g.hardship();
    g.matters();
    g.street_work();
    g.routine(p.activities as usize);

    let dir = out.join("rules");
    fs::create_dir_all(&dir).map_err(|e| fail(&dir, e))?;
    write_ledgers(&mut g, &lines, &waves, &dir)?;
    let file = |name: &str| dir.join(name);
    crate::write_file(&file("network.jsonl"), |w| write_network(&mut g, w))?;
    crate::write_file(&file("life_events.csv"), |w| {
        w.write_all("公民身份号码,类型,日期\n".as_bytes())?;
        for &(r, k, d) in &g.events {
            let id = id_of(&lines, &g.residents, r);
            writeln!(w, "{id},{},{}", EVENT_KINDS[k].0, cal.iso_str(d))?;
        }
        Ok(())
    })?;
    crate::write_file(&file("flags.csv"), |w| {
        w.write_all("公民身份号码,类型,详情,起始日期,终止日期\n".as_bytes())?;
        for &(r, detail, from, to) in &g.flags {
            let id = id_of(&lines, &g.residents, r);
            let to = to.map_or("", |t| cal.iso_str(t));
            writeln!(w, "{id},hardship,{detail},{},{to}", cal.iso_str(from))?;
        }
        Ok(())
    })?;
    crate::write_file(&file("activities.csv"), |w| {
        write_activities(&mut g, &lines, w)
    })?;
    let meta = rules_meta(p, &g.summary);
    crate::write_file(&file("meta.json"), |w| w.write_all(meta.as_bytes()))?;
    Ok(g.summary)
}

/// The ID number of resident `r`.
fn id_of<'a>(lines: &[&'a str], residents: &[Resident], r: u32) -> &'a str {
    lines[residents[r as usize].line as usize]
        .split(',')
        .nth(3)
        .unwrap_or("")
}

/// Writes the ledger row of `line` with its departure shown only if by `shown`.
fn ledger_row(w: &mut impl Write, line: &str, left: Option<Day>, shown: Day) -> io::Result<()> {
    let cut = line.rfind(',').map_or(line.len(), |i| i + 1);
    w.write_all(&line.as_bytes()[..cut])?;
    if left.is_some_and(|l| l <= shown) {
        w.write_all(&line.as_bytes()[cut..])?;
    }
    w.write_all(b"\n")
}

/// The first ledger and the waves of community updates.
fn write_ledgers(g: &mut Gen<'_>, lines: &[&str], waves: &[Day], dir: &Path) -> Result<(), String> {
    let base = g.base;
    let header = crate::residents::HEADER;
    let name = |d: Day| dir.join(format!("ledger-{}.csv", g.cal.iso_str(d)));
    let mut rows = 0;
    crate::write_file(&name(base), |w| {
        w.write_all(header.as_bytes())?;
        for r in g.residents.iter().filter(|r| r.arrival <= base) {
            ledger_row(w, lines[r.line as usize], r.left, base)?;
            rows += 1;
        }
        Ok(())
    })?;
    let mut files = 1;
    for &wave in waves {
        let mine: Vec<&Resident> = g
            .residents
            .iter()
            .filter(|r| g.communities[r.community as usize].update == wave)
            .filter(|r| {
                let arrived = r.arrival > base && r.arrival <= wave;
                let left = r.arrival <= base && r.left.is_some_and(|l| l > base && l <= wave);
                arrived || left
            })
            .collect();
        if mine.is_empty() {
            continue;
        }
        crate::write_file(&name(wave), |w| {
            w.write_all(header.as_bytes())?;
            for r in &mine {
                ledger_row(w, lines[r.line as usize], r.left, wave)?;
            }
            Ok(())
        })?;
        rows += mine.len();
        files += 1;
    }
    g.summary.ledger_files = files;
    g.summary.ledger_rows = rows;
    Ok(())
}

/// network.jsonl.
fn write_network(g: &mut Gen<'_>, w: &mut impl Write) -> io::Result<()> {
    let cal = g.cal;
    let d = |x: Day| cal.iso_str(x);
    let opt = |x: Option<Day>| x.map_or("null".to_owned(), |x| format!("\"{}\"", cal.iso_str(x)));
    for (i, a) in g.areas.iter().enumerate() {
        let mut members = String::new();
        for (k, &c) in a.communities.iter().enumerate() {
            let c = &g.communities[c];
            let sep = if k == 0 { "" } else { "," };
            let _ = write!(
                members,
                "{sep}[\"{}\",\"{}\"]",
                c.code,
                d(c.valid_from.max(a.from))
            );
        }
        writeln!(
            w,
            "{{\"type\":\"area\",\"key\":\"A{i}\",\"street\":\"{}\",\"name\":\"{}\",\"from\":\"{}\",\"communities\":[{members}]}}",
            g.streets[a.street].code,
            a.name,
            d(a.from)
        )?;
    }
    for (i, b) in g.bodies.iter().enumerate() {
        writeln!(
            w,
            "{{\"type\":\"body\",\"key\":\"B{i}\",\"unit\":\"{}\",\"kind\":\"{}\",\"name\":\"{}\",\"from\":\"{}\"}}",
            g.streets[b.street].code,
            b.kind,
            b.name,
            d(b.from)
        )?;
    }
    for (i, p) in g.posts.iter().enumerate() {
        let owner = match p.owner {
            Owner::Area(a) => format!("A{a}"),
            Owner::Body(b) => format!("B{b}"),
        };
        writeln!(
            w,
            "{{\"type\":\"post\",\"key\":\"T{i}\",\"owner\":\"{owner}\",\"role\":\"{}\",\"from\":\"{}\"}}",
            p.role,
            d(p.from)
        )?;
    }
    for (i, (name, phone)) in g.persons.iter().enumerate() {
        writeln!(
            w,
            "{{\"type\":\"person\",\"key\":\"P{i}\",\"name\":\"{name}\",\"phone\":\"{phone}\"}}"
        )?;
    }
    for &(who, s, title, from, to) in &g.positions {
        writeln!(
            w,
            "{{\"type\":\"position\",\"person\":\"P{who}\",\"unit\":\"{}\",\"title\":\"{title}\",\"from\":\"{}\",\"to\":{}}}",
            g.streets[s].code,
            d(from),
            opt(to)
        )?;
    }
    let mut memberships = 0;
    for (i, p) in g.posts.iter().enumerate() {
        for &(who, from, to) in &p.holders {
            writeln!(
                w,
                "{{\"type\":\"membership\",\"post\":\"T{i}\",\"person\":\"P{who}\",\"from\":\"{}\",\"to\":{}}}",
                d(from),
                opt(to)
            )?;
            memberships += 1;
        }
    }
    let s = &mut g.summary;
    s.streets = g.streets.len();
    s.communities = g.communities.len();
    s.areas = g.areas.len();
    s.bodies = g.bodies.len();
    s.posts = g.posts.len();
    s.persons = g.persons.len();
    s.memberships = memberships;
    Ok(())
}

/// activities.csv, in day order, numbered.
fn write_activities(g: &mut Gen<'_>, lines: &[&str], w: &mut impl Write) -> io::Result<()> {
    w.write_all(
        "编号,日期,类型,子类型,单位,机构,参加人员,对象,主题,咨询类别,是否解决,帮扶类型,金额\n"
            .as_bytes(),
    )?;
    g.acts.sort_by_key(|a| a.day);
    let mut row = String::new();
    for (i, a) in g.acts.iter().enumerate() {
        row.clear();
        let who: Vec<&str> = a
            .participants
            .iter()
            .map(|p| g.persons[*p].0.as_str())
            .collect();
        let subject = a.subject.map_or("", |r| id_of(lines, &g.residents, r));
        let amount = if a.amount > 0 {
            a.amount.to_string()
        } else {
            String::new()
        };
        let _ = writeln!(
            row,
            "{}-{:06},{},{},{},{},{},{},{},{},{},{},{},{amount}",
            g.year,
            i + 1,
            g.cal.iso_str(a.day),
            a.kind,
            a.subtype,
            a.unit,
            a.body,
            who.join("、"),
            subject,
            a.title,
            a.category,
            a.resolved,
            a.aid_kind
        );
        w.write_all(row.as_bytes())?;
    }
    g.summary.activities = g.acts.len();
    Ok(())
}

/// rules/meta.json (deterministic).
fn rules_meta(p: &RulesParams, s: &Summary) -> String {
    let kinds: Vec<String> = EVENT_KINDS
        .iter()
        .zip(s.life_events)
        .map(|(k, n)| format!("\"{}\": {n}", k.0))
        .collect();
    format!(
        "{{\n \"generator\": \"shiliu examples/generate --rules\",\n \"version\": {RULES_VERSION},\n \
         \"parameters\": {{\"year\": {}, \"activities\": {}, \"triggers\": {}, \"seed\": {}}},\n \
         \"streets\": {},\n \"communities\": {},\n \"areas\": {},\n \"bodies\": {},\n \"posts\": {},\n \
         \"persons\": {},\n \"memberships\": {},\n \
         \"ledger\": {{\"files\": {}, \"rows\": {}, \"living_in_year\": {}}},\n \
         \"triggers\": {{\"life_events\": {}, \"migrant_arrivals\": {}, \"total\": {}, \"by_kind\": {{{}}}}},\n \
         \"matters\": {},\n \"hardship_flags\": {},\n \
         \"activities\": {{\"total\": {}, \"routine\": {}}}\n}}\n",
        p.year,
        p.activities,
        p.triggers,
        p.seed,
        s.streets,
        s.communities,
        s.areas,
        s.bodies,
        s.posts,
        s.persons,
        s.memberships,
        s.ledger_files,
        s.ledger_rows,
        s.living,
        s.events(),
        s.arrivals,
        s.events() + s.arrivals,
        kinds.join(", "),
        s.matters,
        s.flags,
        s.activities,
        s.routine
    )
}
