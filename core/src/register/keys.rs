//! Match keys held in memory by an import: a million `"id:…"` strings in a hash map cost
//! a heap allocation each and a string comparison per lookup, so keys of ID numbers are
//! held as numbers instead; other keys (the fallback key) stay text.

use rustc_hash::FxHashMap as HashMap;

/// The number of an ID-number key (`id:` and 17 digits and a digit or `X`): the 17
/// digits times 11 plus the check character (`X` = 10). One number per key and one key
/// per number, so comparing numbers compares the keys. `None` for any other key.
pub(crate) fn pack(key: &str) -> Option<u64> {
    let number = key.strip_prefix("id:")?.as_bytes();
    let (first17, check) = match number {
        [first @ .., last] if first.len() == 17 => (first, *last),
        _ => return None,
    };
    let mut n: u64 = 0;
    for b in first17 {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(b - b'0');
    }
    let check = match check {
        b'0'..=b'9' => u64::from(check - b'0'),
        b'X' => 10,
        _ => return None,
    };
    // At most (10^17 - 1) * 11 + 10 < 2^64.
    Some(n * 11 + check)
}

/// A map from match keys to `V`.
pub(crate) struct KeyMap<V> {
    ids: HashMap<u64, V>,
    other: HashMap<String, V>,
}

impl<V> Default for KeyMap<V> {
    fn default() -> Self {
        KeyMap {
            ids: HashMap::default(),
            other: HashMap::default(),
        }
    }
}

impl<V> KeyMap<V> {
    /// The value of `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&V> {
        if self.ids.is_empty() && self.other.is_empty() {
            return None;
        }
        match pack(key) {
            Some(n) => self.ids.get(&n),
            None => self.other.get(key),
        }
    }

    /// Sets the value of `key`, returning the one it replaces.
    pub(crate) fn insert(&mut self, key: &str, value: V) -> Option<V> {
        match pack(key) {
            Some(n) => self.ids.insert(n, value),
            None => self.other.insert(key.to_owned(), value),
        }
    }

    /// How many keys are keys of ID numbers.
    pub(crate) fn id_keys(&self) -> usize {
        self.ids.len()
    }

    /// How many keys there are.
    pub(crate) fn len(&self) -> usize {
        self.ids.len() + self.other.len()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn id_keys_pack_one_to_one_and_others_stay_text() {
        assert_eq!(pack("id:000000000000000000"), Some(0));
        assert_eq!(pack("id:00000000000000000X"), Some(10));
        assert_eq!(pack("id:000000000000000010"), Some(11));
        assert_eq!(
            pack("id:99999999999999999X"),
            Some(99_999_999_999_999_999 * 11 + 10)
        );
        for not in [
            "id:11010519491231002x",
            "id:1101051949123100X2",
            "id:11010519491231002",
            "id:11010519491231002X1",
            "fb:张三|1990-01-01|1|42",
            "11010519491231002X",
            "id:１1010519491231002X",
        ] {
            assert_eq!(pack(not), None, "{not}");
        }
        let mut m = KeyMap::default();
        assert_eq!(m.insert("id:11010519491231002X", 1), None);
        assert_eq!(m.insert("fb:张三|1990-01-01|1|42", 2), None);
        assert_eq!(m.insert("id:11010519491231002X", 3), Some(1));
        assert_eq!(m.get("id:11010519491231002X"), Some(&3));
        assert_eq!(m.get("id:110105194912310029"), None);
        assert_eq!(m.get("fb:张三|1990-01-01|1|42"), Some(&2));
        assert_eq!((m.len(), m.id_keys()), (2, 1));
    }
}
