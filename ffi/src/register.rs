//! The resident register (少数民族居民台账) through the C ABI.
//!
//! Only the ledger import has an export of its own, because it alone takes a callback;
//! every other register operation is a JSON request of `shiliu_registry_execute`.

use std::ffi::{c_char, c_void};

use shiliu_core::register::{ImportProgress, ResidentImportOptions};
use shiliu_core::Error;

use crate::boundary::{give_string, out_arg, shiliu_error, str_arg};
use crate::registry::{shiliu_registry, with_registry};

/// Progress of a long operation: `done` of `total` data rows processed. `user_data` is
/// the pointer given with the callback. Called on the calling thread, during the call it
/// was given to; it must return normally (no `longjmp`, no C++ exception) and must not
/// call back into shiliu on the same handle.
pub type shiliu_progress_fn =
    Option<unsafe extern "C" fn(done: u64, total: u64, user_data: *mut c_void)>;

/// Imports a residents' ledger (台账) — CSV (UTF-8 or GB18030, title rows and total rows
/// tolerated), XLSX or JSON Lines — into the register.
///
/// `options_json` (required) is
/// `{"path", "format"?: "csv"|"xlsx"|"json_lines", "encoding"?, "sheet"?, "header_row"?,
/// "mapping"?: {header: field}, "mode"?: "upsert"|"snapshot", "snapshot_unit"?,
/// "snapshot_date"?, "on_conflict"?: "update"|"skip"|"reject", "dry_run"?: false}`.
/// Every good row is kept and every bad row reported; the batch commits atomically in one
/// transaction; re-importing the same file changes nothing; `dry_run` validates and
/// reports without writing. `*out_json` receives
/// `{"format":1,"transaction":N|null,"result":{"transaction","rows_read","inserted",
/// "updated","unchanged","skipped_existing","departed","uncertain_matches","rejected":
/// [{"file","sheet","row","column","value","code","message","message_zh"}],"skipped",
/// "warnings","file_warnings"},"warnings":[]}` — `transaction` is null for a dry run or
/// when nothing changed; row numbers are those the file shows (a title row is row 1);
/// ID numbers and phone numbers in the report are masked.
///
/// `progress` may be NULL. Otherwise it is called with `user_data` from the calling
/// thread while the import runs (every few thousand rows, and once at the end with
/// `done == total`). It runs while the import holds the registry's writer: it must not
/// call back into shiliu on the same handle (nor write to the same file through another
/// handle), and it must return normally.
///
/// Everything else of the register goes through `shiliu_registry_execute` with the ops
/// `add_resident`, `upsert_resident`, `depart_resident`, `move_resident`,
/// `change_ethnicity`, `add_flag`, `add_life_event`, `declare_preference`, `resident`,
/// `reveal_resident`, `residents`, `circumstances`, `import_residents` (this import,
/// without progress) and `export_residents` (see the README).
///
/// Nothing is imported if `out_json` is NULL (`SHILIU_STATUS_VALIDATION`). A missing or
/// unreadable file fails with `SHILIU_STATUS_STORAGE`; malformed options with
/// `SHILIU_STATUS_VALIDATION` (code 1007).
///
/// # Safety
/// `reg` is NULL or an open handle; `options_json` points to `options_len` readable
/// bytes; `progress` is NULL or a function safe to call with `user_data`; `out_json` is
/// a writable slot; `err` is NULL or a writable slot.
#[no_mangle]
pub unsafe extern "C" fn shiliu_registry_import_residents(
    reg: *const shiliu_registry,
    options_json: *const u8,
    options_len: usize,
    progress: shiliu_progress_fn,
    user_data: *mut c_void,
    out_json: *mut *mut c_char,
    err: *mut *mut shiliu_error,
) -> i32 {
    with_registry(reg, err, |r| {
        out_arg("output string", out_json)?;
        let text = str_arg("import options", options_json, options_len)?;
        if text.trim().is_empty() {
            return Err(Error::invalid(
                "import options",
                "required: a JSON object with at least \"path\"",
            ));
        }
        let opts: ResidentImportOptions = shiliu_core::error::from_json("import options", text)?;
        let mut notify = |p: ImportProgress| {
            if let Some(f) = progress {
                let done = u64::try_from(p.done).unwrap_or(u64::MAX);
                let total = u64::try_from(p.total).unwrap_or(u64::MAX);
                // SAFETY: the caller guarantees `f` may be called with `user_data`.
                unsafe { f(done, total, user_data) };
            }
            true
        };
        let report = r.import_residents(
            &opts,
            progress.map(|_| &mut notify as &mut dyn FnMut(ImportProgress) -> bool),
        )?;
        let doc = serde_json::json!({
            "format": shiliu_core::FORMAT_VERSION,
            "transaction": report.transaction,
            "result": report,
            "warnings": [],
        });
        give_string(out_json, doc.to_string())
    })
}
