//! The registry handle and its operations.

use std::ffi::c_char;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::de::DeserializeOwned;
use shiliu_core::network::{
    NewBody, NewMembership, NewOrganisation, NewPerson, NewPosition, NewPost, NewUnit,
    Reorganisation, UnitImportOptions,
};
use shiliu_core::{Batch, Error, OpenOptions, Registry};

use crate::boundary::{give, give_string, guard, opt_str_arg, out_arg, shiliu_error, str_arg};

/// An open registry acting for one principal. Opaque.
///
/// Thread safety: a handle may be used from many threads at once (queries run in
/// parallel; writes are serialised), except `shiliu_registry_close`, which must not race
/// with any other call on the same handle. Work runs on the calling thread; only a
/// resident import starts one helper thread for its duration (`"threads": 1` avoids it),
/// and a statistics query over more than 2 million stays splits its scan over the cores
/// (joined before it returns; `SHILIU_THREADS=1` avoids it).
pub struct shiliu_registry {
    reg: Registry,
    poisoned: AtomicBool,
}

/// Runs `f` on a live handle; a panic poisons the handle.
pub(crate) fn with_registry(
    reg: *const shiliu_registry,
    err: *mut *mut shiliu_error,
    f: impl FnOnce(&Registry) -> Result<(), Error>,
) -> i32 {
    // SAFETY: the caller passes NULL or a handle from shiliu_registry_open* not yet closed.
    let handle = unsafe { reg.as_ref() };
    guard(
        err,
        || {
            if let Some(h) = handle {
                h.poisoned.store(true, Ordering::SeqCst);
            }
        },
        || {
            let h = handle.ok_or_else(|| Error::invalid("registry", "NULL handle"))?;
            if h.poisoned.load(Ordering::SeqCst) {
                return Err(Error::Internal(
                    "the registry handle is poisoned by an earlier panic; close it".into(),
                ));
            }
            f(&h.reg)
        },
    )
}

fn open_with(
    out: *mut *mut shiliu_registry,
    err: *mut *mut shiliu_error,
    open: impl FnOnce() -> Result<Registry, Error>,
) -> i32 {
    guard(
        err,
        || {},
        || {
            out_arg("registry output", out)?;
            let reg = open()?;
            let boxed = Box::into_raw(Box::new(shiliu_registry {
                reg,
                poisoned: AtomicBool::new(false),
            }));
            give("registry output", out, boxed)
        },
    )
}

fn options(json: *const u8, len: usize) -> Result<OpenOptions, Error> {
    match opt_str_arg("open options", json, len)? {
        Some(text) => OpenOptions::from_json(text),
        None => Ok(OpenOptions::default()),
    }
}

/// Opens (creating if needed) the registry file at `path`. `options_json` may be NULL or
/// `{"principal":{"name","role","scope","hierarchy","purpose"},"today":"YYYY-MM-DD","must_exist":false}`;
/// without a principal the handle acts as the local administrator. A file that is not a
/// shiliu database, or one from a newer schema, fails with `SHILIU_STATUS_STORAGE` and is
/// not modified. Close the handle with `shiliu_registry_close`.
///
/// # Safety
/// `path` and `options_json` point to their lengths of readable bytes (options may be
/// NULL); `out` is a writable slot; `err` is NULL or a writable slot.
#[no_mangle]
pub unsafe extern "C" fn shiliu_registry_open(
    path: *const u8,
    path_len: usize,
    options_json: *const u8,
    options_len: usize,
    out: *mut *mut shiliu_registry,
    err: *mut *mut shiliu_error,
) -> i32 {
    open_with(out, err, || {
        let path = str_arg("path", path, path_len)?;
        if path.is_empty() || path.contains('\0') {
            return Err(Error::invalid("path", "it is empty or contains a NUL byte"));
        }
        Registry::open(path, options(options_json, options_len)?)
    })
}

/// Opens a private registry in memory; `options_json` as for `shiliu_registry_open`.
///
/// # Safety
/// As for `shiliu_registry_open`.
#[no_mangle]
pub unsafe extern "C" fn shiliu_registry_open_in_memory(
    options_json: *const u8,
    options_len: usize,
    out: *mut *mut shiliu_registry,
    err: *mut *mut shiliu_error,
) -> i32 {
    open_with(out, err, || {
        Registry::open_in_memory(options(options_json, options_len)?)
    })
}

/// Closes a registry and frees the handle. NULL is a no-op.
///
/// # Safety
/// `reg` is NULL or a handle not yet closed, and no other call on it is running.
#[no_mangle]
pub unsafe extern "C" fn shiliu_registry_close(reg: *mut shiliu_registry) {
    if !reg.is_null() {
        // SAFETY: per the contract above, it came from Box::into_raw.
        let handle = unsafe { Box::from_raw(reg) };
        // Dropping closes SQLite; a panic here must not cross the boundary.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(handle)));
    }
}

/// Answers one JSON request `{"op": "...", "args": {...}}` — every query and write of the
/// library (see the README for the operations). `*out_json` receives
/// `{"format":1,"transaction":N,"result":…,"warnings":[…]}`.
///
/// # Safety
/// `reg` is NULL or an open handle; `request` points to `len` readable bytes;
/// `out_json` is a writable slot; `err` is NULL or a writable slot.
#[no_mangle]
pub unsafe extern "C" fn shiliu_registry_execute(
    reg: *const shiliu_registry,
    request: *const u8,
    len: usize,
    out_json: *mut *mut c_char,
    err: *mut *mut shiliu_error,
) -> i32 {
    with_registry(reg, err, |r| {
        out_arg("output string", out_json)?;
        let req = str_arg("request", request, len)?;
        give_string(out_json, r.execute_json(req)?)
    })
}

/// Answers one JSON request whose result is a table — the ops `population`,
/// `population_trend` and `protect_cube`, with the same args as for
/// `shiliu_registry_execute` (an optional `"transaction": N` pins the read likewise) —
/// with the table as CSV text instead of JSON. `*out_csv` receives UTF-8 text: a header
/// row (`period,unit,code,name,level,level_zh,path,depth`, two columns `<key>`,
/// `<key>_name` per grouping key, `headcount,components,migrant_share,population,share`,
/// for a trend `arrivals,departures,growth`, then `status,status_zh,split`) and one line
/// per row of the table, each ending in `\n`; missing or suppressed values are empty
/// cells. Free it with `shiliu_string_free`.
///
/// Any other op (`tree`, `summary`, a write …) fails with `SHILIU_STATUS_VALIDATION`
/// and changes nothing; a malformed request or an unknown field fails with
/// `SHILIU_STATUS_VALIDATION`, the message naming the field. `*out_csv` is left
/// untouched on failure; nothing is done if `out_csv` is NULL
/// (`SHILIU_STATUS_VALIDATION`).
///
/// Thread safety: like every query, it may run on many threads at once on one handle
/// (except concurrently with `shiliu_registry_close`); all work runs on the calling
/// thread.
///
/// # Safety
/// `reg` is NULL or an open handle; `request` points to `len` readable bytes;
/// `out_csv` is a writable slot; `err` is NULL or a writable slot.
#[no_mangle]
pub unsafe extern "C" fn shiliu_registry_execute_csv(
    reg: *const shiliu_registry,
    request: *const u8,
    len: usize,
    out_csv: *mut *mut c_char,
    err: *mut *mut shiliu_error,
) -> i32 {
    with_registry(reg, err, |r| {
        out_arg("output string", out_csv)?;
        let req = str_arg("request", request, len)?;
        give_string(out_csv, r.execute_csv(req)?)
    })
}

/// The newest recorded transaction the handle sees (0 for an empty registry).
///
/// # Safety
/// `reg` is NULL or an open handle; `out` is a writable slot; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn shiliu_registry_transaction(
    reg: *const shiliu_registry,
    out: *mut i64,
    err: *mut *mut shiliu_error,
) -> i32 {
    with_registry(reg, err, |r| {
        give("transaction output", out, r.view()?.transaction())
    })
}

/// Reads a JSON spec and runs one write with it, returning the new id.
fn add<T: DeserializeOwned>(
    reg: *const shiliu_registry,
    what: &str,
    json: *const u8,
    len: usize,
    out_id: *mut i64,
    err: *mut *mut shiliu_error,
    f: impl FnOnce(&mut Batch<'_>, T) -> Result<i64, Error>,
) -> i32 {
    with_registry(reg, err, |r| {
        out_arg("id output", out_id)?;
        let text = str_arg(what, json, len)?;
        let spec: T = shiliu_core::error::from_json(what, text)?;
        let id = r.write(|b| f(b, spec))?;
        give("id output", out_id, id)
    })
}

/// Adds a unit: `{"kind","name","code"?,"parent"?,"managing_parent"?,"working_parent"?,
/// "valid_from","valid_to"?}`; `*out_id` receives its id.
///
/// # Safety
/// `reg` is NULL or an open handle; `json` points to `len` readable bytes; `out_id` is
/// writable; `err` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn shiliu_registry_add_unit(
    reg: *const shiliu_registry,
    json: *const u8,
    len: usize,
    out_id: *mut i64,
    err: *mut *mut shiliu_error,
) -> i32 {
    add(reg, "unit", json, len, out_id, err, |b, u: NewUnit| {
        b.add_unit(u)
    })
}

/// Adds a body to a unit: `{"unit","kind","name","valid_from","valid_to"?}`.
///
/// # Safety
/// As for `shiliu_registry_add_unit`.
#[no_mangle]
pub unsafe extern "C" fn shiliu_registry_add_body(
    reg: *const shiliu_registry,
    json: *const u8,
    len: usize,
    out_id: *mut i64,
    err: *mut *mut shiliu_error,
) -> i32 {
    add(reg, "body", json, len, out_id, err, |b, x: NewBody| {
        b.add_body(x)
    })
}

/// Adds a post: `{"body"? | "unit"?, "role", "responsibility"?, "valid_from", "valid_to"?}`.
///
/// # Safety
/// As for `shiliu_registry_add_unit`.
#[no_mangle]
pub unsafe extern "C" fn shiliu_registry_add_post(
    reg: *const shiliu_registry,
    json: *const u8,
    len: usize,
    out_id: *mut i64,
    err: *mut *mut shiliu_error,
) -> i32 {
    add(reg, "post", json, len, out_id, err, |b, x: NewPost| {
        b.add_post(x)
    })
}

/// Adds a person: `{"name","phone"?}` (personal data).
///
/// # Safety
/// As for `shiliu_registry_add_unit`.
#[no_mangle]
pub unsafe extern "C" fn shiliu_registry_add_person(
    reg: *const shiliu_registry,
    json: *const u8,
    len: usize,
    out_id: *mut i64,
    err: *mut *mut shiliu_error,
) -> i32 {
    add(reg, "person", json, len, out_id, err, |b, x: NewPerson| {
        b.add_person(x)
    })
}

/// Records a position: `{"person","title","unit","valid_from","valid_to"?}`.
///
/// # Safety
/// As for `shiliu_registry_add_unit`.
#[no_mangle]
pub unsafe extern "C" fn shiliu_registry_add_position(
    reg: *const shiliu_registry,
    json: *const u8,
    len: usize,
    out_id: *mut i64,
    err: *mut *mut shiliu_error,
) -> i32 {
    add(
        reg,
        "position",
        json,
        len,
        out_id,
        err,
        |b, x: NewPosition| b.add_position(x),
    )
}

/// Records that a person holds a post: `{"post","person","valid_from","valid_to"?}`.
///
/// # Safety
/// As for `shiliu_registry_add_unit`.
#[no_mangle]
pub unsafe extern "C" fn shiliu_registry_add_membership(
    reg: *const shiliu_registry,
    json: *const u8,
    len: usize,
    out_id: *mut i64,
    err: *mut *mut shiliu_error,
) -> i32 {
    add(
        reg,
        "membership",
        json,
        len,
        out_id,
        err,
        |b, x: NewMembership| b.add_membership(x),
    )
}

/// Adds an organisation in the jurisdiction:
/// `{"name","credit_code"?,"credit_code_allow"?,"unit","kind"?,"valid_from","valid_to"?}`.
///
/// # Safety
/// As for `shiliu_registry_add_unit`.
#[no_mangle]
pub unsafe extern "C" fn shiliu_registry_add_organisation(
    reg: *const shiliu_registry,
    json: *const u8,
    len: usize,
    out_id: *mut i64,
    err: *mut *mut shiliu_error,
) -> i32 {
    add(
        reg,
        "organisation",
        json,
        len,
        out_id,
        err,
        |b, x: NewOrganisation| b.add_organisation(x).map(|(id, _)| id),
    )
}

/// Records a reorganisation: `{"event":"merge"|"split"|"move"|"rename"|"recode"|"close"|"open", …}`
/// (README). `*out_json` receives `{"format":1,"transaction":N,"result":{"event","successors"},"warnings":[]}`.
///
/// # Safety
/// As for `shiliu_registry_execute`.
#[no_mangle]
pub unsafe extern "C" fn shiliu_registry_reorganise(
    reg: *const shiliu_registry,
    json: *const u8,
    len: usize,
    out_json: *mut *mut c_char,
    err: *mut *mut shiliu_error,
) -> i32 {
    with_registry(reg, err, |r| {
        out_arg("output string", out_json)?;
        let text = str_arg("reorganisation", json, len)?;
        let spec: Reorganisation = shiliu_core::error::from_json("reorganisation", text)?;
        let (tx, outcome) = r.write(|b| Ok((b.transaction(), b.reorganise(spec)?)))?;
        let doc = serde_json::json!({
            "format": shiliu_core::FORMAT_VERSION,
            "transaction": tx,
            "result": outcome,
            "warnings": [],
        });
        give_string(out_json, doc.to_string())
    })
}

/// Imports units from a CSV file (units.csv layout) and, if `reorg_path` is not NULL,
/// lineage from a reorganisations CSV. `*out_json` receives the import report
/// (`rows_read`, `units_created`, `events`, `rejected` rows with row numbers …).
///
/// # Safety
/// `reg` is NULL or an open handle; the paths point to their lengths of readable bytes
/// (`reorg_path` may be NULL); `out_json` is writable; `err` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn shiliu_registry_import_units(
    reg: *const shiliu_registry,
    path: *const u8,
    path_len: usize,
    reorg_path: *const u8,
    reorg_len: usize,
    out_json: *mut *mut c_char,
    err: *mut *mut shiliu_error,
) -> i32 {
    with_registry(reg, err, |r| {
        out_arg("output string", out_json)?;
        let opts = UnitImportOptions {
            path: str_arg("path", path, path_len)?.to_owned(),
            reorganisations: opt_str_arg("reorganisations path", reorg_path, reorg_len)?
                .map(str::to_owned),
            dry_run: false,
        };
        let report = r.import_units(&opts)?;
        let doc = serde_json::json!({
            "format": shiliu_core::FORMAT_VERSION,
            "transaction": report.transaction,
            "result": report,
            "warnings": report.warnings,
        });
        give_string(out_json, doc.to_string())
    })
}
