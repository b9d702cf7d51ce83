//! GB 11643-1999 citizen ID numbers: the check character, and how Excel mangles them.

/// GB 11643 weights of the first 17 characters.
const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character by `Σ digit·weight mod 11` (ISO 7064 MOD 11-2).
pub const ID_CHECK: &[u8; 11] = b"10X98765432";

/// Index of the check character of the first 17 digits of an ID number.
pub fn check_index(first17: &[u8]) -> usize {
    let s: u32 = first17
        .iter()
        .zip(ID_WEIGHTS)
        .map(|(c, w)| u32::from(c.wrapping_sub(b'0')) * w)
        .sum();
    (s % 11) as usize
}

/// The GB 11643 check character of the first 17 digits of an ID number.
pub fn check_char(first17: &[u8]) -> u8 {
    ID_CHECK[check_index(first17)]
}

/// The numeric value of ASCII digits.
pub fn digits_value(d: &[u8]) -> u64 {
    d.iter()
        .fold(0u64, |a, &b| a * 10 + u64::from(b.wrapping_sub(b'0')))
}

/// How Excel's General format shows an 18-digit number: 6 significant digits,
/// trailing zeros dropped, e.g. `1.10105E+17`.
pub fn excel_mangle(id: &[u8]) -> String {
    let v = digits_value(&id[..18.min(id.len())]);
    let mut mant = (v + 500_000_000_000) / 1_000_000_000_000;
    let mut exp = 17;
    if mant >= 1_000_000 {
        mant /= 10;
        exp = 18;
    }
    let s = mant.to_string();
    let (head, tail) = s.split_at(1);
    let tail = tail.trim_end_matches('0');
    if tail.is_empty() {
        format!("{head}E+{exp}")
    } else {
        format!("{head}.{tail}E+{exp}")
    }
}
