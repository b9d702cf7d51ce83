//! The resident ledger (residents.csv) and the deliberately bad rows planted in it.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{self, Write};

use crate::calendar::{day, write_digits, Calendar, Day, END, REORG, START};
use crate::idnum::{check_char, check_index, digits_value, excel_mangle, ID_CHECK};
use crate::planted::{Defect, Planted};
use crate::rng::Rng;
use crate::tables::{
    NameStyle, COUNTY_SUFFIXES, ETHNICITIES, FEMALE_GIVEN, GENERIC_SURNAMES, GROUP_SURNAMES,
    MALE_GIVEN, MG_FEMALE, MG_MALE, TB_FEMALE, TB_MALE, UY_FEMALE, UY_MALE,
};
use crate::units::Units;

/// Header of residents.csv (Chinese column names, as in the ledgers the tool ingests).
pub const HEADER: &str =
    "姓名,性别,民族,公民身份号码,出生日期,联系电话,所属社区,人员类别,流出地,来苏时间,离开时间\n";

/// PRNG stream of the residents.
const STREAM_RESIDENTS: u64 = 2;

/// Sequence slots per (region, birth date, sex): male 2k+1, female 2k+2 for k < 499.
const SEQ_SLOTS: u16 = 499;

/// Share of men.
const MALE_SHARE: f64 = 0.52;
/// Share of registered (户籍) residents born in the city (birth date = arrival).
const BORN_HERE_SHARE: f64 = 0.35;
/// Share of migrants who are children.
const MIGRANT_CHILD_SHARE: f64 = 0.12;
/// Chance that a migrant / registered resident has left by the end of the period.
const LEAVE_MIGRANT: f64 = 0.22;
/// See [`LEAVE_MIGRANT`].
const LEAVE_REGISTERED: f64 = 0.10;

/// Counts of what was written.
#[derive(Default, Debug, Clone, PartialEq, Eq)]
pub struct Stats {
    /// Data rows.
    pub rows: u64,
    /// Rows with 人员类别 流动.
    pub migrants: u64,
    /// Rows of residents born in the city.
    pub born_here: u64,
    /// Rows with a 离开时间.
    pub left: u64,
    /// Distinct GB/T 3304 groups among the rows.
    pub ethnicities: usize,
}

/// Hasher for the u64 keys of the sequence-slot table (SipHash is needlessly slow here).
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, v: u64) {
        let x = (self.0 ^ v).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = x ^ (x >> 32);
    }
}

/// Per-row constraints used to plant rows.
#[derive(Default, Clone, Copy)]
struct Constraints {
    /// Fixed arrival day.
    arrival: Option<Day>,
    /// Fixed ethnicity (index into [`ETHNICITIES`]).
    ethnicity: Option<usize>,
    /// Birth strictly before this day.
    born_before: Option<Day>,
    /// Not born in the city.
    not_born_here: bool,
    /// ID number must not end in X (Excel only mangles all-digit numbers).
    no_x: bool,
}

/// One generated person (the name lives in a reused buffer).
#[derive(Clone)]
struct Person {
    community: usize,
    ethnicity: usize,
    migrant: bool,
    male: bool,
    born_here: bool,
    birth: Day,
    arrival: Day,
    left: Option<Day>,
    region: [u8; 6],
    id: [u8; 18],
    phone: [u8; 11],
}

/// A person kept because a later row duplicates its ID number.
struct Identity {
    person: Person,
    name: String,
}

/// Lookup tables and state of the resident generator.
struct Model<'a> {
    units: &'a Units,
    cal: &'a Calendar,
    comm_cum: Vec<f64>,
    eth_of_draw: Vec<usize>,
    eth_cum: Vec<f64>,
    regions: Vec<Vec<[u8; 6]>>,
    surnames: Vec<Vec<char>>,
    generic: Vec<char>,
    male_given: Vec<char>,
    female_given: Vec<char>,
    slots: HashMap<u64, u16, BuildHasherDefault<KeyHasher>>,
    start: Day,
    end: Day,
    reorg: Day,
}

/// Index drawn from cumulative weights.
fn pick(rng: &mut Rng, cum: &[f64]) -> usize {
    let total = cum.last().copied().unwrap_or(0.0);
    let x = rng.f64() * total;
    cum.partition_point(|&c| c <= x)
        .min(cum.len().saturating_sub(1))
}

/// A 6-byte region code from text.
fn region_bytes(s: &str) -> [u8; 6] {
    let mut r = [b'0'; 6];
    for (d, b) in r.iter_mut().zip(s.bytes()) {
        *d = b;
    }
    r
}

impl<'a> Model<'a> {
    fn new(units: &'a Units, cal: &'a Calendar) -> Self {
        let mut acc = 0.0;
        let comm_cum = units
            .communities
            .iter()
            .map(|c| {
                acc += c.weight;
                acc
            })
            .collect();
        let eth_of_draw: Vec<usize> = (0..ETHNICITIES.len())
            .filter(|&i| ETHNICITIES[i].weight > 0.0)
            .collect();
        let mut acc = 0.0;
        let eth_cum = eth_of_draw
            .iter()
            .map(|&i| {
                acc += ETHNICITIES[i].weight;
                acc
            })
            .collect();
        let regions = ETHNICITIES
            .iter()
            .map(|e| {
                e.homes
                    .split_whitespace()
                    .flat_map(|p| COUNTY_SUFFIXES.iter().map(move |s| format!("{p}{s}")))
                    .map(|s| region_bytes(&s))
                    .collect()
            })
            .collect();
        let surnames = ETHNICITIES
            .iter()
            .map(|e| {
                GROUP_SURNAMES
                    .iter()
                    .find(|(c, _)| *c == e.code)
                    .map_or(GENERIC_SURNAMES, |(_, s)| s)
                    .chars()
                    .collect()
            })
            .collect();
        Model {
            units,
            cal,
            comm_cum,
            eth_of_draw,
            eth_cum,
            regions,
            surnames,
            generic: GENERIC_SURNAMES.chars().collect(),
            male_given: MALE_GIVEN.chars().collect(),
            female_given: FEMALE_GIVEN.chars().collect(),
            slots: HashMap::default(),
            start: day(START),
            end: day(END),
            reorg: day(REORG),
        }
    }

    /// An arrival day for community `ci`: density rising over time, never before the
    /// community exists.
    fn arrival(&self, rng: &mut Rng, ci: usize) -> Day {
        let span = f64::from(self.end - self.start + 1);
        let mut arr = self.start + (span * rng.f64().powf(0.6)) as Day;
        let vf = self.units.communities[ci].valid_from;
        if arr < vf {
            arr = vf + rng.below(u64::from(self.end - vf + 1)) as Day;
        }
        arr.min(self.end)
    }

    /// A departure day after `arrival`, or none (still present).
    fn departure(&self, rng: &mut Rng, arrival: Day, migrant: bool) -> Option<Day> {
        let p = if migrant {
            LEAVE_MIGRANT
        } else {
            LEAVE_REGISTERED
        };
        (arrival < self.end && rng.chance(p))
            .then(|| arrival + 1 + rng.below(u64::from(self.end - arrival)) as Day)
    }

    /// Reserves a sequence number for (region, birth, sex); on the (practically
    /// impossible) exhaustion of a day, moves the birth a day earlier.
    fn reserve(&mut self, region: &[u8; 6], mut birth: Day, male: bool) -> (Day, u16) {
        let r = digits_value(region);
        loop {
            let key = ((r << 18 | u64::from(birth)) << 1) | u64::from(male);
            let used = self.slots.entry(key).or_insert(0);
            if *used < SEQ_SLOTS || birth == 0 {
                let k = (*used).min(SEQ_SLOTS - 1);
                *used += 1;
                return (birth, 2 * k + if male { 1 } else { 2 });
            }
            birth -= 1;
        }
    }

    /// Builds an 18-character ID number.
    fn id_number(&self, region: &[u8; 6], birth: Day, seq: u16) -> [u8; 18] {
        let mut id = [0u8; 18];
        id[..6].copy_from_slice(region);
        id[6..14].copy_from_slice(&self.cal.compact(birth));
        write_digits(&mut id[14..17], u32::from(seq));
        id[17] = check_char(&id[..17]);
        id
    }

    /// Draws one person under constraints `c`.
    fn person(&mut self, rng: &mut Rng, c: Constraints) -> Person {
        let ci = pick(rng, &self.comm_cum);
        let ei = match c.ethnicity {
            Some(e) => e,
            None => self.eth_of_draw[pick(rng, &self.eth_cum)],
        };
        let comm = &self.units.communities[ci];
        let migrant = rng.chance(comm.migrant_share);
        let male = rng.chance(MALE_SHARE);
        let arrival = match c.arrival {
            Some(a) => a.max(comm.valid_from),
            None => self.arrival(rng, ci),
        };
        let born_here = !migrant && !c.not_born_here && rng.chance(BORN_HERE_SHARE);
        let (mut birth, region) = if born_here {
            let d = if arrival >= self.reorg {
                comm.district_after
            } else {
                comm.district_before
            };
            (arrival, region_bytes(d))
        } else {
            let age = if migrant && rng.chance(MIGRANT_CHILD_SHARE) {
                rng.f64() * 18.0 * 365.25
            } else {
                (18.0 + 44.0 * rng.f64() * rng.f64()) * 365.25 + rng.f64() * 365.0
            };
            let regs = &self.regions[ei];
            let region = regs[rng.index(regs.len())];
            (arrival.saturating_sub(age as Day), region)
        };
        if let Some(limit) = c.born_before {
            if birth >= limit {
                birth = limit.saturating_sub(1 + rng.below(3650) as Day);
            }
        }
        let mut id;
        loop {
            let (b, seq) = self.reserve(&region, birth, male);
            birth = b;
            id = self.id_number(&region, birth, seq);
            if !(c.no_x && id[17] == b'X') {
                break;
            }
        }
        let left = self.departure(rng, arrival, migrant);
        let mut phone = [0u8; 11];
        phone[0] = b'1';
        phone[1] = [b'3', b'5', b'8'][rng.index(3)];
        write_digits(&mut phone[2..], rng.below(1_000_000_000) as u32);
        Person {
            community: ci,
            ethnicity: ei,
            migrant,
            male,
            born_here,
            birth,
            arrival,
            left,
            region,
            id,
            phone,
        }
    }

    /// Writes a name typical of group `ei` into `out`.
    fn name(&self, rng: &mut Rng, ei: usize, male: bool, out: &mut String) {
        out.clear();
        let style = ETHNICITIES[ei].style;
        if style == NameStyle::Han || (style == NameStyle::Mongol && rng.chance(0.5)) {
            let group = &self.surnames[ei];
            let surname = if rng.chance(0.7) {
                group[rng.index(group.len())]
            } else {
                // Skewed towards the most common surnames.
                let x = rng.f64() * rng.f64();
                self.generic[((self.generic.len() as f64 * x) as usize).min(self.generic.len() - 1)]
            };
            let given = if male {
                &self.male_given
            } else {
                &self.female_given
            };
            out.push(surname);
            out.push(given[rng.index(given.len())]);
            if rng.chance(0.7) {
                out.push(given[rng.index(given.len())]);
            }
            return;
        }
        let (m, f): (&[&str], &[&str]) = match style {
            NameStyle::Uyghur => (UY_MALE, UY_FEMALE),
            NameStyle::Tibetan => (TB_MALE, TB_FEMALE),
            _ => (MG_MALE, MG_FEMALE),
        };
        let own = if male { m } else { f };
        let first = rng.index(own.len());
        out.push_str(own[first]);
        match style {
            NameStyle::Uyghur => {
                out.push('·');
                out.push_str(UY_MALE[rng.index(UY_MALE.len())]);
            }
            NameStyle::Tibetan => {
                // Two different parts (扎西次仁, never 扎西扎西).
                let second = (first + 1 + rng.index(own.len() - 1)) % own.len();
                out.push_str(own[second]);
            }
            _ => {}
        }
    }
}

/// Index of a group by its 2-digit code.
fn ethnicity_index(code: &str) -> usize {
    ETHNICITIES.iter().position(|e| e.code == code).unwrap_or(0)
}

/// What a planted row changes in the output.
#[derive(Default)]
struct Override {
    id: Option<Vec<u8>>,
    ethnicity: Option<&'static str>,
    arrival: Option<&'static str>,
    community: Option<Vec<u8>>,
}

/// Writes residents.csv: the header and `residents` data rows, with the rows of
/// `planted` (from [`plan`]) in their places.
pub fn write_residents(
    residents: u64,
    seed: u64,
    planted: &[Planted],
    units: &Units,
    cal: &Calendar,
    w: &mut impl Write,
) -> io::Result<Stats> {
    let mut model = Model::new(units, cal);
    let mut rng = Rng::new(seed, STREAM_RESIDENTS);
    let mut sources: HashMap<u64, Option<Identity>> = planted
        .iter()
        .filter_map(|p| p.source)
        .map(|s| (s, None))
        .collect();
    let mut next = planted.iter().peekable();
    let mut stats = Stats::default();
    let mut seen = [false; 100];
    let mut name = String::with_capacity(32);
    let leap_day = cal_day(2024, 2, 29);
    let deang = ethnicity_index("46");
    w.write_all(HEADER.as_bytes())?;
    for index in 0..residents {
        let plant = next.next_if(|p| p.index == index);
        let mut ov = Override::default();
        let person = match plant.map(|p| (p.defect, p.source)) {
            None => {
                let p = model.person(&mut rng, Constraints::default());
                model.name(&mut rng, p.ethnicity, p.male, &mut name);
                if let Some(slot) = sources.get_mut(&index) {
                    *slot = Some(Identity {
                        person: p.clone(),
                        name: name.clone(),
                    });
                }
                p
            }
            Some((Defect::DuplicateId, source)) => {
                let kept = source
                    .and_then(|s| sources.get(&s))
                    .and_then(Option::as_ref);
                match kept {
                    Some(k) => {
                        // The same person registered again, in a community drawn afresh.
                        let mut p = k.person.clone();
                        name.clone_from(&k.name);
                        p.community = pick(&mut rng, &model.comm_cum);
                        let vf = units.communities[p.community].valid_from;
                        p.arrival = model.arrival(&mut rng, p.community).max(p.birth).max(vf);
                        p.left = model.departure(&mut rng, p.arrival, p.migrant);
                        p.born_here = false;
                        p
                    }
                    None => {
                        let p = model.person(&mut rng, Constraints::default());
                        model.name(&mut rng, p.ethnicity, p.male, &mut name);
                        p
                    }
                }
            }
            Some((defect, _)) => {
                let c = match defect {
                    Defect::ExcelId => Constraints {
                        no_x: true,
                        ..Constraints::default()
                    },
                    Defect::ImpossibleDate => Constraints {
                        arrival: Some(leap_day),
                        not_born_here: true,
                        ..Constraints::default()
                    },
                    Defect::LegacyId15 => Constraints {
                        born_before: Some(cal_day(1985, 1, 1)),
                        not_born_here: true,
                        ..Constraints::default()
                    },
                    Defect::LegacyEthnicity => Constraints {
                        ethnicity: Some(deang),
                        ..Constraints::default()
                    },
                    _ => Constraints::default(),
                };
                let mut p = model.person(&mut rng, c);
                model.name(&mut rng, p.ethnicity, p.male, &mut name);
                match defect {
                    Defect::ExcelId => ov.id = Some(excel_mangle(&p.id).into_bytes()),
                    Defect::WrongCheck => {
                        let right = check_index(&p.id[..17]);
                        let wrong = (right + 1 + rng.index(10)) % 11;
                        let mut id = p.id.to_vec();
                        id[17] = ID_CHECK[wrong];
                        ov.id = Some(id);
                    }
                    Defect::UnknownEthnicity => ov.ethnicity = Some("火星族"),
                    Defect::ImpossibleDate => {
                        ov.arrival = Some("2024-02-30");
                        p.left = None;
                    }
                    Defect::UnknownCommunity => {
                        let code = units.communities[p.community].code.as_bytes();
                        let mut bogus = code[..9.min(code.len())].to_vec();
                        bogus.extend_from_slice(b"099");
                        ov.community = Some(bogus);
                    }
                    Defect::LegacyId15 => {
                        let mut id = p.id[..6].to_vec();
                        id.extend_from_slice(&p.id[8..17]);
                        ov.id = Some(id);
                    }
                    Defect::LegacyEthnicity => ov.ethnicity = Some("崩龙族"),
                    Defect::DuplicateId => {}
                }
                p
            }
        };
        let e = &ETHNICITIES[person.ethnicity];
        seen[ethnicity_index(e.code)] = true;
        stats.rows += 1;
        stats.migrants += u64::from(person.migrant);
        stats.born_here += u64::from(person.born_here);
        stats.left += u64::from(person.left.is_some());

        w.write_all(name.as_bytes())?;
        w.write_all(if person.male { ",男," } else { ",女," }.as_bytes())?;
        w.write_all(ov.ethnicity.unwrap_or(e.name).as_bytes())?;
        w.write_all(b",")?;
        w.write_all(ov.id.as_deref().unwrap_or(&person.id))?;
        w.write_all(b",")?;
        w.write_all(cal.iso(person.birth))?;
        w.write_all(b",")?;
        w.write_all(&person.phone)?;
        w.write_all(b",")?;
        let code = units.communities[person.community].code.as_bytes();
        w.write_all(ov.community.as_deref().unwrap_or(code))?;
        if person.migrant {
            w.write_all(",流动,".as_bytes())?;
            w.write_all(&person.region)?;
        } else {
            w.write_all(",户籍,".as_bytes())?;
        }
        w.write_all(b",")?;
        w.write_all(
            ov.arrival
                .map_or(&cal.iso(person.arrival)[..], str::as_bytes),
        )?;
        w.write_all(b",")?;
        if let Some(l) = person.left {
            w.write_all(cal.iso(l))?;
        }
        w.write_all(b"\n")?;
    }
    stats.ethnicities = seen.iter().filter(|&&s| s).count();
    Ok(stats)
}

/// Day number of a fixed, valid date.
fn cal_day(y: i32, m: u32, d: u32) -> Day {
    crate::calendar::ymd(y, m, d, 0)
}
