//! The scan: counting the stays present on a day into a dense array indexed by place,
//! combination of the extra grouping keys, and the packed category × ethnicity byte.

use chrono::{Months, NaiveDate};

use super::columns::{Stays, CE_SLOTS, GONE, NO_BIRTH};

/// A grouping key read from the stay's columns besides category and ethnicity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Extra {
    /// 0 unknown, 1 male, 2 female.
    Sex,
    /// The band index of the age on the day; `cutoffs[j]` is the last birth day of
    /// someone who has turned the j-th boundary; the last band is "unknown".
    Age { cutoffs: Vec<i32> },
    /// The origin province index (0 unknown).
    Origin,
}

impl Extra {
    fn cardinality(&self) -> usize {
        match self {
            Extra::Sex => 3,
            Extra::Age { cutoffs } => cutoffs.len() + 2,
            Extra::Origin => super::provinces::PROVINCES.len() + 1,
        }
    }

    #[inline]
    fn value(&self, s: &Stays, i: usize) -> usize {
        match self {
            Extra::Sex => usize::from(s.sex[i]),
            Extra::Origin => usize::from(s.origin[i]),
            Extra::Age { cutoffs } => {
                let b = s.birth[i];
                if b == NO_BIRTH {
                    cutoffs.len() + 1
                } else {
                    cutoffs.iter().take_while(|c| b <= **c).count()
                }
            }
        }
    }
}

/// Birth-day cutoffs of the age boundaries (in years) on `day`.
pub(crate) fn age_cutoffs(on: NaiveDate, boundaries: &[u32]) -> Vec<i32> {
    boundaries
        .iter()
        .map(|years| {
            on.checked_sub_months(Months::new(years * 12))
                .map_or(i32::MIN + 1, super::day_of)
        })
        .collect()
}

/// The extra keys of a count and the size of their combination.
#[derive(Debug, Clone, Default)]
pub(crate) struct Keyer {
    pub(crate) extras: Vec<Extra>,
}

impl Keyer {
    /// Number of combinations of the extra keys.
    pub(crate) fn combos(&self) -> usize {
        self.extras.iter().map(Extra::cardinality).product()
    }

    #[inline]
    fn combo(&self, s: &Stays, i: usize) -> usize {
        let mut c = 0;
        for e in &self.extras {
            c = c * e.cardinality() + e.value(s, i);
        }
        c
    }

    /// Offset of stay `i` with packed byte `ce` within its place's counts.
    #[inline]
    pub(crate) fn offset(&self, s: &Stays, i: usize, ce: u8) -> usize {
        if self.extras.is_empty() {
            return usize::from(ce);
        }
        self.combo(s, i) * CE_SLOTS + usize::from(ce)
    }

    /// Index of stay `i` with packed byte `ce` in a count array.
    #[inline]
    pub(crate) fn index(&self, s: &Stays, i: usize, ce: u8) -> usize {
        if self.extras.is_empty() {
            return s.place[i] as usize * CE_SLOTS + usize::from(ce);
        }
        (s.place[i] as usize * self.combos() + self.combo(s, i)) * CE_SLOTS + usize::from(ce)
    }

    /// Length of a count array over `places`.
    pub(crate) fn width(&self, places: usize) -> usize {
        places * self.combos() * CE_SLOTS
    }
}

/// Counts the stays present on `day` (from ≤ day < to), with every ethnicity change in
/// force on that day applied. Splits the scan over `threads` threads.
pub(crate) fn count(s: &Stays, day: i32, keyer: &Keyer, threads: usize) -> Vec<u32> {
    let width = keyer.width(s.places.len());
    let n = s.len();
    // A thread pays for its own counters (page faults, merging): worth it only for
    // millions of stays.
    let threads = threads.clamp(1, 16).min(n / 2_000_000 + 1);
    let mut total = if threads == 1 {
        count_range(s, day, keyer, 0, n, width)
    } else {
        let chunk = n.div_ceil(threads);
        let parts: Vec<Vec<u32>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let (lo, hi) = (t * chunk, ((t + 1) * chunk).min(n));
                    scope.spawn(move || count_range(s, day, keyer, lo, hi, width))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
        let mut it = parts.into_iter();
        let mut total = it.next().unwrap_or_else(|| vec![0; width]);
        for p in it {
            for (a, b) in total.iter_mut().zip(p) {
                *a += b;
            }
        }
        total
    };
    apply_changes(s, day, keyer, &mut total);
    total
}

fn count_range(s: &Stays, day: i32, keyer: &Keyer, lo: usize, hi: usize, width: usize) -> Vec<u32> {
    let mut counts = vec![0u32; width];
    if keyer.extras.is_empty() {
        // The hot loop: 13 bytes per stay.
        let (place, ce, from, to) = (
            &s.place[lo..hi],
            &s.ce[lo..hi],
            &s.from[lo..hi],
            &s.to[lo..hi],
        );
        for j in 0..place.len() {
            // Branch-free: a stay's presence is as good as random to the predictor.
            let here = u32::from(from[j] <= day) & u32::from(day < to[j]);
            counts[place[j] as usize * CE_SLOTS + ce[j] as usize] += here;
        }
    } else {
        for i in lo..hi {
            if s.from[i] <= day && day < s.to[i] {
                counts[keyer.index(s, i, s.ce[i])] += 1;
            }
        }
    }
    counts
}

/// The packed byte of stay `i` on `day`, given its changes (a slice of `s.changes`).
pub(crate) fn ce_on(s: &Stays, i: usize, changes: &[super::columns::Change], day: i32) -> u8 {
    changes
        .iter()
        .rev()
        .find(|c| c.from <= day)
        .map_or(s.ce[i], |c| c.ce)
}

/// Moves the stays whose ethnicity changed on or before `day` to their new slot.
fn apply_changes(s: &Stays, day: i32, keyer: &Keyer, counts: &mut [u32]) {
    for group in s.changes.chunk_by(|a, b| a.stay == b.stay) {
        let i = group[0].stay as usize;
        if s.from[i] == GONE || !(s.from[i] <= day && day < s.to[i]) {
            continue;
        }
        let now = ce_on(s, i, group, day);
        if now != s.ce[i] {
            counts[keyer.index(s, i, s.ce[i])] -= 1;
            counts[keyer.index(s, i, now)] += 1;
        }
    }
}
