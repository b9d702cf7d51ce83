//! The registry handle: one SQLite file (or memory), one principal, one clock.
//!
//! Concurrency: a [`Registry`] is `Send + Sync` and cheap to clone; clones share one
//! handle. Any number of threads may query at once — queries read an immutable
//! [`View`] of the network, and file registries keep a pool of reader connections
//! (SQLite WAL: readers never block each other or the writer). Writes are serialised by
//! one writer connection. Every query first checks the newest recorded transaction, so a
//! write by another handle or another process is visible to the next query.
//! Work runs on the calling thread; only [`Registry::import_residents`] starts one helper
//! thread for its duration (`threads: Some(1)` avoids it), and a statistics query over
//! more than 2 million stays splits its scan over the machine's cores, and so does a rule
//! evaluation for a rule with more than 8,192 deadline triggers (scoped threads, joined
//! before they return; `SHILIU_THREADS=1` avoids them).

mod batch;
mod requests;
mod view;

pub use batch::Batch;
pub(crate) use batch::Checks;
pub use requests::{FORMAT_VERSION, OPERATIONS};
pub use view::{OrganisationView, PersonHistory, View};

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use chrono::NaiveDate;
use rusqlite::{Connection, TransactionBehavior};

use crate::access::{append_audit, NewAudit, Principal, Scope};
use crate::error::{Error, Result};
use crate::network::{Network, TxId};
use crate::store;
use crate::time::Clock;

/// How to open a registry.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// Who acts through the handle (default: the local administrator).
    pub principal: Principal,
    /// Where "today" comes from (default: the system clock).
    pub clock: Clock,
    /// Refuse to create a file that does not exist yet.
    pub must_exist: bool,
}

impl OpenOptions {
    /// Options acting for `principal`.
    pub fn principal(mut self, principal: Principal) -> OpenOptions {
        self.principal = principal;
        self
    }

    /// Options with a fixed "today".
    pub fn today(mut self, today: NaiveDate) -> OpenOptions {
        self.clock = Clock::Fixed(today);
        self
    }

    /// Reads options from JSON (the form the C and Python faces pass):
    /// `{"principal": {"name", "role", "scope", "hierarchy", "purpose"}, "today": "2024-12-31",
    /// "must_exist": false}`; every key optional, empty text = defaults.
    pub fn from_json(text: &str) -> Result<OpenOptions> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Spec {
            #[serde(default)]
            principal: Option<Principal>,
            #[serde(default)]
            today: Option<NaiveDate>,
            #[serde(default)]
            must_exist: bool,
        }
        if text.trim().is_empty() {
            return Ok(OpenOptions::default());
        }
        let spec: Spec = crate::error::from_json("open options", text)?;
        Ok(OpenOptions {
            principal: spec.principal.unwrap_or_default(),
            clock: spec.today.map_or(Clock::System, Clock::Fixed),
            must_exist: spec.must_exist,
        })
    }
}

/// A network state together with the principal's scope over it.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub(crate) network: Network,
    pub(crate) scope: Scope,
}

struct Inner {
    path: Option<PathBuf>,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    latest: RwLock<Option<Arc<Snapshot>>>,
    principal: Principal,
    clock: Clock,
    stats: Mutex<crate::stats::StatsState>,
    /// What rule evaluation read, with the transaction it is good for.
    rules: Mutex<Option<(TxId, Arc<crate::rules::RulesData>)>>,
}

/// A handle on a shiliu registry. See the module docs for the concurrency contract.
///
/// ```
/// use shiliu::{Registry, OpenOptions, network::{NewUnit, UnitKind}};
/// let reg = Registry::open_in_memory(OpenOptions::default()).unwrap();
/// let d = "2003-01-01".parse().unwrap();
/// let city = reg.write(|b| b.add_unit(NewUnit::new(UnitKind::City, "苏州市", d).code("320500"))).unwrap();
/// assert_eq!(reg.view().unwrap().unit(city, d, &Default::default()).unwrap().name, "苏州市");
/// ```
#[derive(Clone)]
pub struct Registry {
    inner: Arc<Inner>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a connection leaves it usable: its transaction rolled back.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Registry {
    /// Opens (creating if needed) the registry file at `path`.
    pub fn open(path: impl AsRef<Path>, options: OpenOptions) -> Result<Registry> {
        options.principal.validate()?;
        let path = path.as_ref().to_path_buf();
        let conn = store::open_file(&path, !options.must_exist)?;
        Registry::with_connection(Some(path), conn, options)
    }

    /// Opens a private registry in memory (for tests and scratch work).
    pub fn open_in_memory(options: OpenOptions) -> Result<Registry> {
        options.principal.validate()?;
        Registry::with_connection(None, store::open_memory()?, options)
    }

    fn with_connection(
        path: Option<PathBuf>,
        conn: Connection,
        options: OpenOptions,
    ) -> Result<Registry> {
        let reg = Registry {
            inner: Arc::new(Inner {
                path,
                writer: Mutex::new(conn),
                readers: Mutex::new(Vec::new()),
                latest: RwLock::new(None),
                principal: options.principal,
                clock: options.clock,
                stats: Mutex::default(),
                rules: Mutex::default(),
            }),
        };
        // A scoped principal's scope unit must exist.
        if let Some(scope) = reg.inner.principal.scope {
            let snap = reg.snapshot()?;
            if !matches!(
                snap.network.fact(scope),
                Some(crate::network::Fact::Unit { .. })
            ) {
                return Err(Error::not_found(format!("scope unit {scope}")));
            }
        }
        Ok(reg)
    }

    /// Closes the handle. Fails (returning the handle) if other clones still use it.
    pub fn close(self) -> std::result::Result<(), (Registry, Error)> {
        match Arc::try_unwrap(self.inner) {
            Ok(inner) => {
                let conn = inner
                    .writer
                    .into_inner()
                    .unwrap_or_else(PoisonError::into_inner);
                drop(inner.readers);
                conn.close().map_err(|(c, e)| {
                    let reg = Registry {
                        inner: Arc::new(Inner {
                            path: inner.path,
                            writer: Mutex::new(c),
                            readers: Mutex::new(Vec::new()),
                            latest: RwLock::new(None),
                            principal: inner.principal,
                            clock: inner.clock,
                            stats: inner.stats,
                            rules: inner.rules,
                        }),
                    };
                    (reg, Error::Storage(e))
                })
            }
            Err(inner) => Err((
                Registry { inner },
                Error::conflict("the registry is still used by other clones of the handle"),
            )),
        }
    }

    /// The principal this handle acts for.
    pub fn principal(&self) -> &Principal {
        &self.inner.principal
    }

    /// "Today" by the registry's clock.
    pub fn today(&self) -> NaiveDate {
        self.inner.clock.today()
    }

    /// The file path, for file registries.
    pub fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

    /// Runs `f` on a reader connection: a pooled one for files (returned afterwards), the
    /// only one for in-memory registries.
    pub(crate) fn with_reader<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        match &self.inner.path {
            None => f(&lock(&self.inner.writer)),
            Some(p) => {
                let pooled = lock(&self.inner.readers).pop();
                let conn = match pooled {
                    Some(c) => c,
                    None => store::open_reader(p)?,
                };
                let out = f(&conn);
                let mut pool = lock(&self.inner.readers);
                if pool.len() < 8 {
                    pool.push(conn);
                }
                out
            }
        }
    }

    fn scope_for(&self, net: &Network) -> Scope {
        match self.inner.principal.scope {
            None => Scope::everything(),
            Some(u) => Scope::of(net, u, &self.inner.principal.hierarchy),
        }
    }

    /// The latest state, reloading only when a newer transaction was recorded.
    pub(crate) fn snapshot(&self) -> Result<Arc<Snapshot>> {
        let loaded = self.with_reader(|conn| {
            let latest = store::latest_transaction(conn)?;
            if let Some(s) = self.cached(latest) {
                return Ok(Err(s));
            }
            let tx = conn.unchecked_transaction()?;
            let network = store::load_network(&tx, None)?;
            tx.finish()?;
            Ok(Ok(network))
        })?;
        let network = match loaded {
            Ok(n) => n,
            Err(cached) => return Ok(cached),
        };
        let snap = Arc::new(Snapshot {
            scope: self.scope_for(&network),
            network,
        });
        self.remember(&snap);
        Ok(snap)
    }

    fn cached(&self, latest: TxId) -> Option<Arc<Snapshot>> {
        let guard = self
            .inner
            .latest
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        guard
            .as_ref()
            .filter(|s| s.network.transaction() == latest)
            .cloned()
    }

    fn remember(&self, snap: &Arc<Snapshot>) {
        let mut guard = self
            .inner
            .latest
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if guard
            .as_ref()
            .is_none_or(|s| s.network.transaction() < snap.network.transaction())
        {
            *guard = Some(snap.clone());
        }
    }

    /// A read view of the latest recorded state.
    pub fn view(&self) -> Result<View> {
        Ok(View::new(self.clone(), self.snapshot()?))
    }

    /// A read view of the state as recorded by transaction `tx` (reproducing an earlier report).
    pub fn view_at(&self, tx: TxId) -> Result<View> {
        let network = self.with_reader(|conn| store::load_network(conn, Some(tx)))?;
        let snap = Arc::new(Snapshot {
            scope: self.scope_for(&network),
            network,
        });
        Ok(View::new(self.clone(), snap))
    }

    /// Runs `f` as one recorded transaction: all of its writes commit together, or none
    /// if it fails. Returns what `f` returns.
    pub fn write<T>(&self, f: impl FnOnce(&mut Batch<'_>) -> Result<T>) -> Result<T> {
        self.write_batch(None, f)
    }

    /// Like [`Registry::write`], labelling the transaction with an import batch name.
    pub fn write_batch<T>(
        &self,
        batch: Option<&str>,
        f: impl FnOnce(&mut Batch<'_>) -> Result<T>,
    ) -> Result<T> {
        self.write_batch_inner(batch, false, f)
    }

    /// Runs a batch; with `dry_run` everything is validated and then rolled back.
    pub(crate) fn write_batch_inner<T>(
        &self,
        batch: Option<&str>,
        dry_run: bool,
        f: impl FnOnce(&mut Batch<'_>) -> Result<T>,
    ) -> Result<T> {
        let p = &self.inner.principal;
        p.require_write()?;
        let mut conn = lock(&self.inner.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let latest = store::latest_transaction(&tx)?;
        let (network, scope) = match self.cached(latest) {
            Some(s) => (s.network.clone(), s.scope.clone()),
            None => {
                let n = store::load_network(&tx, None)?;
                let s = self.scope_for(&n);
                (n, s)
            }
        };
        let at = self.now_stamp();
        let role = p.role.label();
        let txid = store::begin_transaction(
            &tx,
            &store::TxHeader {
                at: &at,
                principal: &p.name,
                role,
                purpose: p.purpose.as_deref(),
                batch,
            },
        )?;
        let mut b = Batch {
            conn: &tx,
            tx: txid,
            net: network,
            scope,
            principal: p,
            today: self.inner.clock.today(),
            touched: Vec::new(),
        };
        let out = f(&mut b)?;
        let mut touched = std::mem::take(&mut b.touched);
        touched.sort_unstable();
        touched.dedup();
        let target = summarise_ids(&touched);
        let Batch { mut net, .. } = b;
        self.audit(&tx, &at, "write", &target, Some(txid))?;
        if dry_run || touched.is_empty() {
            // Nothing to record: no transaction, no audit entry.
            tx.rollback()?;
            return Ok(out);
        }
        tx.commit()?;
        lock(&self.inner.stats).committed(txid, touched);
        net.transaction = txid;
        let snap = Arc::new(Snapshot {
            scope: self.scope_for(&net),
            network: net,
        });
        self.remember(&snap);
        Ok(out)
    }

    /// The statistics engine's cached snapshots.
    pub(crate) fn stats_state(&self) -> MutexGuard<'_, crate::stats::StatsState> {
        lock(&self.inner.stats)
    }

    /// The rules data cached for transaction `tx`, if any.
    pub(crate) fn rules_cache(&self, tx: TxId) -> Option<Arc<crate::rules::RulesData>> {
        lock(&self.inner.rules)
            .as_ref()
            .filter(|(t, _)| *t == tx)
            .map(|(_, d)| d.clone())
    }

    /// Caches rules data read for transaction `tx` (when it is the newest seen).
    pub(crate) fn remember_rules(&self, tx: TxId, data: &Arc<crate::rules::RulesData>) {
        let mut slot = lock(&self.inner.rules);
        if slot.as_ref().is_none_or(|(t, _)| *t <= tx) {
            *slot = Some((tx, data.clone()));
        }
    }

    /// Marks the rules data cached for `from` good for `to` too (nothing they read
    /// changed in between).
    pub(crate) fn carry_rules_cache(&self, from: TxId, to: TxId) {
        let mut slot = lock(&self.inner.rules);
        if let Some((t, _)) = slot.as_mut().filter(|(t, _)| *t == from) {
            *t = to;
        }
    }

    /// Records a read that revealed personal data.
    pub(crate) fn audit_read(&self, action: &str, target: &str) -> Result<()> {
        let at = self.now_stamp();
        let mut conn = lock(&self.inner.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        self.audit(&tx, &at, action, target, None)?;
        tx.commit()?;
        Ok(())
    }

    /// The clock's current timestamp as recorded on transactions and audit entries.
    fn now_stamp(&self) -> String {
        self.inner
            .clock
            .now()
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string()
    }

    /// Appends an audit entry for this handle's principal.
    fn audit(
        &self,
        conn: &Connection,
        at: &str,
        action: &str,
        target: &str,
        tx: Option<TxId>,
    ) -> Result<()> {
        let p = &self.inner.principal;
        append_audit(
            conn,
            &NewAudit {
                at,
                principal: &p.name,
                role: p.role.label(),
                action,
                purpose: p.purpose.as_deref(),
                target,
                transaction: tx,
            },
        )
    }
}

/// `ids 3-7, 9` style summary of touched ids for the audit log.
fn summarise_ids(ids: &[i64]) -> String {
    use std::fmt::Write;
    // One string written in place: an import touches a million ids.
    let mut out = String::with_capacity(4 + ids.len() * 8);
    out.push_str("ids ");
    let mut i = 0;
    while i < ids.len() {
        let start = ids[i];
        let mut end = start;
        while i + 1 < ids.len() && ids[i + 1] == end + 1 {
            i += 1;
            end = ids[i];
        }
        if out.len() > 4 {
            out.push(',');
        }
        let _ = if start == end {
            write!(out, "{start}")
        } else {
            write!(out, "{start}-{end}")
        };
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::summarise_ids;

    #[test]
    fn touched_ids_summarised_as_ranges() {
        assert_eq!(summarise_ids(&[]), "ids ");
        assert_eq!(summarise_ids(&[9]), "ids 9");
        assert_eq!(summarise_ids(&[3, 4, 5, 6, 7, 9]), "ids 3-7,9");
        assert_eq!(summarise_ids(&[1, 3, 5, 6]), "ids 1,3,5-6");
        assert_eq!(summarise_ids(&[-2, -1, 0, 10]), "ids -2-0,10");
    }
}
