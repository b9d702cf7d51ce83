//! Masking of personal data for principals who may not see it.

/// Masks a personal name, keeping the first character: `张三丰` → `张**`.
///
/// ```
/// assert_eq!(shiliu::access::mask_name("张三丰"), "张**");
/// assert_eq!(shiliu::access::mask_name(""), "");
/// ```
pub fn mask_name(name: &str) -> String {
    let mut chars = name.trim().chars();
    match chars.next() {
        None => String::new(),
        Some(first) => {
            let rest = chars.count().max(1);
            let mut out = String::with_capacity(first.len_utf8() + rest);
            out.push(first);
            out.extend(std::iter::repeat_n('*', rest));
            out
        }
    }
}

/// Masks a phone number, keeping the first 3 and last 4 digits: `13812345678` → `138****5678`.
///
/// ```
/// assert_eq!(shiliu::access::mask_phone("13812345678"), "138****5678");
/// assert_eq!(shiliu::access::mask_phone("12345"), "*****");
/// ```
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.trim().chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let n = chars.len();
    let mut out: String = chars[..3].iter().collect();
    out.push_str(&"*".repeat(n - 7));
    out.extend(&chars[n - 4..]);
    out
}
