//! Rule sets (制度规则集) and their evaluation against a registry.

use std::ffi::c_char;

use serde::Deserialize;
use serde_json::{json, Value};
use shiliu_core::network::{Hierarchy, TxId, UnitId};
use shiliu_core::rules::{EvaluationRequest, Range, RuleSet};
use shiliu_core::{Error, FORMAT_VERSION};

use crate::boundary::{give, give_string, guard, out_arg, shiliu_error, str_arg};
use crate::registry::{shiliu_registry, with_registry};

/// A parsed, validated rule set. Opaque.
///
/// Ownership: created by `shiliu_rules_from_text`, owned by the caller, freed with
/// `shiliu_rules_free`. It does not refer to any registry: one rule set may be evaluated
/// against many registries, and outlives them.
///
/// Thread safety: a rule set is immutable once made, so one handle may be shared by
/// any number of threads and passed to concurrent calls (`shiliu_rules_summary`,
/// `shiliu_registry_evaluate`) at once, except `shiliu_rules_free`, which must not race
/// with any other call on the same handle.
pub struct shiliu_rules {
    set: RuleSet,
}

/// Reads the handle behind a rule-set pointer.
fn rules_ref<'a>(rules: *const shiliu_rules) -> Result<&'a RuleSet, Error> {
    // SAFETY: the caller passes NULL or a handle from shiliu_rules_from_text not yet freed.
    unsafe { rules.as_ref() }
        .map(|r| &r.set)
        .ok_or_else(|| Error::invalid("rule set", "NULL handle"))
}

/// Reads a rule set from TOML or JSON text (JSON when it starts with `{`; the format of
/// the presets, see `shiliu_rules_preset`) and checks it: every rule's kind, fields,
/// values, expressions and the references between rules. On success `*out` receives a
/// new handle (free it with `shiliu_rules_free`).
///
/// A text that is not a valid rule set fails with `SHILIU_STATUS_VALIDATION`; the
/// message names the rule (`rule R2 (#2)`: its id and position) and the field
/// (`field period`), or the line of a TOML syntax error. `*out` is left untouched on
/// failure.
///
/// # Safety
/// `text` points to `len` readable bytes (or is NULL with `len` 0); `out` is a writable
/// slot; `err` is NULL or a writable slot.
#[no_mangle]
pub unsafe extern "C" fn shiliu_rules_from_text(
    text: *const u8,
    len: usize,
    out: *mut *mut shiliu_rules,
    err: *mut *mut shiliu_error,
) -> i32 {
    guard(
        err,
        || {},
        || {
            out_arg("rule set output", out)?;
            let set = RuleSet::from_text(str_arg("rule set", text, len)?)?;
            give(
                "rule set output",
                out,
                Box::into_raw(Box::new(shiliu_rules { set })),
            )
        },
    )
}

/// Frees a rule set. NULL is a no-op.
///
/// # Safety
/// `rules` is NULL or a handle from `shiliu_rules_from_text`, freed at most once, and no
/// other call on it is running.
#[no_mangle]
pub unsafe extern "C" fn shiliu_rules_free(rules: *mut shiliu_rules) {
    if !rules.is_null() {
        // SAFETY: per the contract above, it came from Box::into_raw.
        let handle = unsafe { Box::from_raw(rules) };
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(handle)));
    }
}

/// The summary of a rule set, as the `check_rules` operation gives it: `*out_json`
/// receives `{"format":1,"result":{"id","version","name","hash","canonical","rules":
/// [{"id","kind","title","title_en"},…]},"warnings":[]}`. `hash` is the SHA-256 (hex) of
/// `canonical`, the set's canonical JSON: equal rules give equal hashes however the text
/// was formatted. Free the string with `shiliu_string_free`.
///
/// # Safety
/// `rules` is NULL or a live handle; `out_json` is a writable slot; `err` is NULL or a
/// writable slot.
#[no_mangle]
pub unsafe extern "C" fn shiliu_rules_summary(
    rules: *const shiliu_rules,
    out_json: *mut *mut c_char,
    err: *mut *mut shiliu_error,
) -> i32 {
    guard(
        err,
        || {},
        || {
            out_arg("output string", out_json)?;
            let doc = json!({
                "format": FORMAT_VERSION,
                "result": rules_ref(rules)?.summary(),
                "warnings": [],
            });
            give_string(out_json, doc.to_string())
        },
    )
}

/// The text of a built-in preset, to read with `shiliu_rules_from_text` or to copy and
/// edit: `suzhou` (a rule set, TOML) or `model_community` (an assessment scheme, TOML;
/// not a rule set). `*out_text` receives the UTF-8 text (not JSON); free it with
/// `shiliu_string_free`. An unknown name fails with `SHILIU_STATUS_VALIDATION`, the
/// message listing the presets.
///
/// # Safety
/// `name` points to `len` readable bytes (or is NULL with `len` 0); `out_text` is a
/// writable slot; `err` is NULL or a writable slot.
#[no_mangle]
pub unsafe extern "C" fn shiliu_rules_preset(
    name: *const u8,
    len: usize,
    out_text: *mut *mut c_char,
    err: *mut *mut shiliu_error,
) -> i32 {
    guard(
        err,
        || {},
        || {
            out_arg("output string", out_text)?;
            let text = shiliu_core::rules::preset_text(str_arg("preset", name, len)?)?;
            give_string(out_text, text.to_owned())
        },
    )
}

/// The request of `shiliu_registry_evaluate`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EvaluateArgs {
    /// Optional here only so that its absence is reported by name (core's JSON errors
    /// drop the name of a missing field).
    #[serde(default)]
    period: Option<String>,
    #[serde(default)]
    under: Option<UnitId>,
    #[serde(default)]
    hierarchy: Hierarchy,
    #[serde(default)]
    only: Vec<String>,
    #[serde(default)]
    record: Option<bool>,
    #[serde(default)]
    transaction: Option<TxId>,
}

/// 制度检查 — evaluates a rule set over a period and a unit subtree of the registry, as
/// the `evaluate` operation of `shiliu_registry_execute` does with the same arguments.
///
/// `request` is JSON: `{"period": "2024" | "2024-Q1" | "2024-H1" | "2024-03" |
/// "2024-01-01..2024-06-30", "under"?: unit id (default: the principal's scope, or
/// everything), "hierarchy"?: "legal" | "managing" | "working", "only"?: [rule ids]
/// (default: all), "record"?: bool, "transaction"?: N}`. With `record` (default: true for
/// principals who may write, refused for the others) the run is stored in a new
/// transaction — its rule set, request, "today" and the transaction seen — and can be
/// reproduced exactly with the `reproduce` operation. With `transaction` the record is
/// evaluated as that transaction left it, and nothing is stored (`"record": true` is
/// then refused). "Today" (for pending and overdue deadlines) is the registry's.
///
/// `*out_json` receives `{"format":1,"transaction":N,"result":{"rule_set","version",
/// "hash","transaction","today","period","under","findings":[{"rule","version",
/// "rule_kind","subject_kind","subject","subject_name","unit","unit_name","period_from",
/// "period_to","status","expected","actual","triggered","due","evidence","explanation",
/// "explanation_zh"},…],"compliance":[…],"digest","run"},"warnings":[]}` where `N` is
/// the transaction evaluated — byte for byte what the `evaluate` operation answers.
/// Free it with `shiliu_string_free`.
///
/// Errors: a NULL handle, a malformed request or an unknown field, a bad period or an
/// `only` rule the set lacks fail with `SHILIU_STATUS_VALIDATION` (the message names the
/// field); `under` outside the principal's scope with `SHILIU_STATUS_ACCESS_DENIED`.
/// `*out_json` is left untouched on failure.
///
/// Thread safety: like every query, it may run on many threads at once on one registry
/// handle and one rule-set handle (except concurrently with `shiliu_registry_close` or
/// `shiliu_rules_free`); recording a run is a write, serialised with the others. Work runs
/// on the calling thread, except that a rule with more than 8,192 deadline triggers is
/// judged on all cores (scoped threads joined before it returns; `SHILIU_THREADS=1`
/// avoids them). The rule set is only read; it stays owned by the caller.
///
/// # Safety
/// `reg` is NULL or an open handle; `rules` is NULL or a live rule-set handle; `request`
/// points to `len` readable bytes; `out_json` is a writable slot; `err` is NULL or a
/// writable slot.
#[no_mangle]
pub unsafe extern "C" fn shiliu_registry_evaluate(
    reg: *const shiliu_registry,
    rules: *const shiliu_rules,
    request: *const u8,
    len: usize,
    out_json: *mut *mut c_char,
    err: *mut *mut shiliu_error,
) -> i32 {
    with_registry(reg, err, |r| {
        out_arg("output string", out_json)?;
        let set = rules_ref(rules)?;
        let text = str_arg("evaluation request", request, len)?;
        let doc: Value = shiliu_core::error::from_json("evaluation request", text)?;
        if !doc.is_object() {
            return Err(Error::invalid(
                "evaluation request",
                "not a JSON object {\"period\": …}",
            ));
        }
        let args: EvaluateArgs = shiliu_core::error::from_json_value("evaluation request", doc)?;
        let period = args.period.ok_or_else(|| {
            Error::invalid(
                "evaluation request",
                "field period is required (2024, 2024-Q1, 2024-H1, 2024-03 or a date range)",
            )
        })?;
        let req = EvaluationRequest {
            period: Range::parse(&period)?,
            under: args.under,
            hierarchy: args.hierarchy,
            rules: args.only,
        };
        let ev = r.evaluate_as(set, &req, args.record, args.transaction)?;
        // Through a Value, and in the envelope's key order, as `execute` writes it.
        let result = serde_json::to_value(&ev)
            .map_err(|e| Error::Internal(format!("cannot encode the evaluation: {e}")))?;
        let tx = ev.transaction;
        give_string(
            out_json,
            format!(
                "{{\"format\":{FORMAT_VERSION},\"transaction\":{tx},\"result\":{result},\"warnings\":[]}}"
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    /// The handle is shared across threads: the rule set must be Send + Sync.
    #[test]
    fn a_rule_set_may_be_shared_across_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<super::shiliu_rules>();
    }
}
