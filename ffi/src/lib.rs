//! C ABI of shiliu (`libshiliu`). The header `include/shiliu.h` is generated from this
//! crate by cbindgen (pinned) and checked for drift by `tests/header.rs`.
//!
//! Conventions (see the README): opaque handles; fallible functions return `int32_t`
//! status (0 = OK) and take an optional `shiliu_error **err` last, set only on failure;
//! strings go in as pointer + length (UTF-8, no NUL needed) and come out owned, freed
//! with `shiliu_string_free`; structured results are JSON documents carrying
//! `"format": 1`; a panic becomes `SHILIU_STATUS_PANIC`, never an abort.
#![allow(non_camel_case_types)]
#![deny(unsafe_op_in_unsafe_fn)]

mod boundary;
mod register;
mod registry;
mod rules;

pub use boundary::*;
pub use register::*;
pub use registry::*;
pub use rules::*;

use std::ffi::{c_char, CStr, CString};

use serde_json::json;
use shiliu_core::codes::{CreditCode, DivisionCode, Ethnicity, IdNumber};
use shiliu_core::{Parsed, FORMAT_VERSION};

/// Major version of the library.
pub const SHILIU_VERSION_MAJOR: u32 = 0;
/// Minor version of the library.
pub const SHILIU_VERSION_MINOR: u32 = 1;
/// Patch version of the library.
pub const SHILIU_VERSION_PATCH: u32 = 0;
/// Version of the C ABI; bumped on any incompatible change (the SONAME follows the major).
pub const SHILIU_ABI_VERSION: u32 = 1;
/// Version of the JSON documents the library reads and writes.
pub const SHILIU_FORMAT_VERSION: u32 = 1;

static VERSION: &CStr =
    match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(v) => v,
        Err(_) => c"unknown",
    };

/// The library version as `"MAJOR.MINOR.PATCH"`; a static string, never freed.
#[no_mangle]
pub extern "C" fn shiliu_version() -> *const c_char {
    VERSION.as_ptr()
}

/// The ABI version (`SHILIU_ABI_VERSION` of the library actually loaded).
#[no_mangle]
pub extern "C" fn shiliu_abi_version() -> u32 {
    SHILIU_ABI_VERSION
}

/// The status of an error (one of `SHILIU_STATUS_*`); 0 for NULL.
///
/// # Safety
/// `err` is NULL or an error returned by shiliu and not yet freed.
#[no_mangle]
pub unsafe extern "C" fn shiliu_error_status(err: *const shiliu_error) -> i32 {
    // SAFETY: per the contract above.
    unsafe { err.as_ref() }.map_or(0, |e| e.status)
}

/// The stable numeric code of an error (listed in the README, e.g. 1002 = invalid ID
/// number); 0 for NULL.
///
/// # Safety
/// `err` is NULL or an error returned by shiliu and not yet freed.
#[no_mangle]
pub unsafe extern "C" fn shiliu_error_code(err: *const shiliu_error) -> u32 {
    // SAFETY: per the contract above.
    unsafe { err.as_ref() }.map_or(0, |e| e.code)
}

/// The error message (UTF-8, NUL-terminated, no personal data), valid until
/// `shiliu_error_free`; an empty string for NULL.
///
/// # Safety
/// `err` is NULL or an error returned by shiliu and not yet freed.
#[no_mangle]
pub unsafe extern "C" fn shiliu_error_message(err: *const shiliu_error) -> *const c_char {
    // SAFETY: per the contract above.
    match unsafe { err.as_ref() } {
        Some(e) => e.message.as_ptr(),
        None => c"".as_ptr(),
    }
}

/// Frees an error. NULL is a no-op.
///
/// # Safety
/// `err` is NULL or an error returned by shiliu, freed at most once.
#[no_mangle]
pub unsafe extern "C" fn shiliu_error_free(err: *mut shiliu_error) {
    if !err.is_null() {
        // SAFETY: per the contract above, it came from Box::into_raw.
        drop(unsafe { Box::from_raw(err) });
    }
}

/// Frees a string returned by shiliu. NULL is a no-op. Never pass it to `free()`.
///
/// # Safety
/// `s` is NULL or a string returned by shiliu, freed at most once.
#[no_mangle]
pub unsafe extern "C" fn shiliu_string_free(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: per the contract above, it came from CString::into_raw.
        drop(unsafe { CString::from_raw(s) });
    }
}

/// The JSON document `{"format":1,"result":…,"warnings":[…]}` of a parse.
fn parsed_json<T>(p: &Parsed<T>, result: serde_json::Value) -> String {
    json!({ "format": FORMAT_VERSION, "result": result, "warnings": p.warnings }).to_string()
}

/// Parses an ethnicity (民族) in any ledger notation (`回族`, `回`, `03`, `3`, `Hui`, `HU`,
/// full-width digits, legacy names …). On success `*out_json` receives
/// `{"format":1,"result":{"code","name","roman","alpha2","is_minority","is_standard"},"warnings":[…]}`.
///
/// # Safety
/// `text` points to `len` readable bytes (or is NULL with `len` 0); `out_json` is a
/// writable slot; `err` is NULL or a writable slot.
#[no_mangle]
pub unsafe extern "C" fn shiliu_ethnicity_parse(
    text: *const u8,
    len: usize,
    out_json: *mut *mut c_char,
    err: *mut *mut shiliu_error,
) -> i32 {
    guard(
        err,
        || {},
        || {
            let p = Ethnicity::parse(str_arg("ethnicity", text, len)?)?;
            give_string(out_json, parsed_json(&p, json!(p.value.describe())))
        },
    )
}

/// Lists the 56 standard groups of GB/T 3304-1991 in code order as
/// `{"format":1,"result":[{"code","name","roman","alpha2",…},…],"warnings":[]}`.
///
/// # Safety
/// `out_json` is a writable slot; `err` is NULL or a writable slot.
#[no_mangle]
pub unsafe extern "C" fn shiliu_ethnicity_list(
    out_json: *mut *mut c_char,
    err: *mut *mut shiliu_error,
) -> i32 {
    guard(
        err,
        || {},
        || {
            let all: Vec<_> = Ethnicity::standard().map(|e| e.describe()).collect();
            give_string(out_json, parsed_json(&Parsed::clean(()), json!(all)))
        },
    )
}

/// Parses and validates a citizen ID number (GB 11643-1999), upgrading 15-digit numbers.
/// `today` (ISO date, may be NULL = the system date) bounds the birth date. Result:
/// `{"number","region","birth_date","sex","upgraded"}`. Errors never echo the number.
///
/// # Safety
/// `text` and `today` point to their lengths of readable bytes (or are NULL);
/// `out_json` is a writable slot; `err` is NULL or a writable slot.
#[no_mangle]
pub unsafe extern "C" fn shiliu_id_number_parse(
    text: *const u8,
    len: usize,
    today: *const u8,
    today_len: usize,
    out_json: *mut *mut c_char,
    err: *mut *mut shiliu_error,
) -> i32 {
    guard(
        err,
        || {},
        || {
            let today = match opt_str_arg("today", today, today_len)? {
                Some(t) => shiliu_core::time::parse_date("today", t)?,
                None => shiliu_core::Clock::System.today(),
            };
            let p = IdNumber::parse(str_arg("ID number", text, len)?, today)?;
            let v = &p.value;
            let result = json!({
                "number": v.as_str(),
                "region": v.region(),
                "birth_date": v.birth_date(),
                "sex": v.sex(),
                "upgraded": v.upgraded(),
            });
            give_string(out_json, parsed_json(&p, result))
        },
    )
}

/// Parses a division code (6, 9 or 12 digits; 12-digit statistical codes padded with
/// zeros shorten). Result: `{"code","level","level_zh","parent"}`.
///
/// # Safety
/// `text` points to `len` readable bytes (or is NULL with `len` 0); `out_json` is a
/// writable slot; `err` is NULL or a writable slot.
#[no_mangle]
pub unsafe extern "C" fn shiliu_division_code_parse(
    text: *const u8,
    len: usize,
    out_json: *mut *mut c_char,
    err: *mut *mut shiliu_error,
) -> i32 {
    guard(
        err,
        || {},
        || {
            let p = DivisionCode::parse(str_arg("division code", text, len)?)?;
            let v = &p.value;
            let result = json!({
                "code": v.as_str(),
                "level": v.level(),
                "level_zh": v.level().name_zh(),
                "parent": v.parent().map(|c| c.as_str().to_owned()),
            });
            give_string(out_json, parsed_json(&p, result))
        },
    )
}

/// Parses a unified social credit code (GB 32100-2015). A code whose check character
/// fails is refused unless `allow_json` (a JSON array of codes, may be NULL) names it; it
/// is then accepted with the warning `credit_code.check_failed_allowed`.
/// Result: `{"code","check_ok"}`.
///
/// # Safety
/// `text` and `allow_json` point to their lengths of readable bytes (or are NULL);
/// `out_json` is a writable slot; `err` is NULL or a writable slot.
#[no_mangle]
pub unsafe extern "C" fn shiliu_credit_code_parse(
    text: *const u8,
    len: usize,
    allow_json: *const u8,
    allow_len: usize,
    out_json: *mut *mut c_char,
    err: *mut *mut shiliu_error,
) -> i32 {
    guard(
        err,
        || {},
        || {
            let allow: Vec<String> = match opt_str_arg("allow list", allow_json, allow_len)? {
                Some(j) => shiliu_core::error::from_json("allow list", j)?,
                None => Vec::new(),
            };
            let allow: Vec<&str> = allow.iter().map(String::as_str).collect();
            let p = CreditCode::parse(str_arg("credit code", text, len)?, &allow)?;
            let result = json!({ "code": p.value.as_str(), "check_ok": p.value.check_ok() });
            give_string(out_json, parsed_json(&p, result))
        },
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn version_macros_match_the_package() {
        assert_eq!(
            format!(
                "{}.{}.{}",
                super::SHILIU_VERSION_MAJOR,
                super::SHILIU_VERSION_MINOR,
                super::SHILIU_VERSION_PATCH
            ),
            env!("CARGO_PKG_VERSION")
        );
        assert_eq!(
            super::VERSION.to_str().ok(),
            Some(env!("CARGO_PKG_VERSION"))
        );
    }
}
