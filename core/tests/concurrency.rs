#![allow(clippy::unwrap_used)] // test helpers fail loudly by design
//! The concurrency contract: one handle from many threads; writes by another handle are
//! visible to the next query.

#[path = "../../examples/suzhou/network.rs"]
mod suzhou;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use shiliu::network::{Hierarchy, NewUnit, UnitKind};
use shiliu::{OpenOptions, Registry};
use suzhou::d;

fn is_send_sync<T: Send + Sync>() {}

#[test]
fn registry_is_send_and_sync() {
    is_send_sync::<Registry>();
    is_send_sync::<shiliu::View>();
}

#[test]
fn readers_and_a_writer_share_one_handle() {
    let path = std::env::temp_dir().join(format!("shiliu-conc-{}.db", std::process::id()));
    for s in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{s}", path.display()));
    }
    let reg = Registry::open(&path, OpenOptions::default().today(d("2024-12-31"))).unwrap();
    let s = suzhou::build(&reg).unwrap();
    let base = reg
        .view()
        .unwrap()
        .tree(Some(s.gusu), d("2024-12-31"), &Hierarchy::Legal)
        .unwrap()
        .len();
    let done = Arc::new(AtomicBool::new(false));
    let writes = 40;
    std::thread::scope(|scope| {
        for _ in 0..4 {
            let reg = reg.clone();
            let done = done.clone();
            scope.spawn(move || {
                let mut last = 0;
                let mut n = 0;
                while !done.load(Ordering::SeqCst) || n < 50 {
                    let v = reg.view().unwrap();
                    let t = v
                        .tree(Some(s.gusu), d("2024-12-31"), &Hierarchy::Legal)
                        .unwrap();
                    // Every view is consistent: the tree grows with the recorded transaction.
                    assert!(t.len() >= base && t.len() <= base + writes);
                    assert!(v.transaction() >= last);
                    last = v.transaction();
                    n += 1;
                }
            });
        }
        let writer = reg.clone();
        let done = done.clone();
        scope.spawn(move || {
            for i in 0..writes {
                writer
                    .write(|b| {
                        b.add_unit(
                            NewUnit::new(UnitKind::Community, format!("社区{i}"), d("2020-01-01"))
                                .parent(s.nanmen),
                        )
                    })
                    .unwrap();
            }
            done.store(true, Ordering::SeqCst);
        });
    });
    let t = reg
        .view()
        .unwrap()
        .tree(Some(s.gusu), d("2024-12-31"), &Hierarchy::Legal)
        .unwrap();
    assert_eq!(t.len(), base + writes);

    // Another handle on the same file (as another process would be) sees the writes, and
    // the first handle sees the other's next write on its next query.
    let other = Registry::open(&path, OpenOptions::default()).unwrap();
    assert_eq!(
        other.view().unwrap().transaction(),
        reg.view().unwrap().transaction()
    );
    other
        .write(|b| {
            b.add_unit(
                NewUnit::new(UnitKind::Community, "他处社区", d("2021-01-01")).parent(s.nanmen),
            )
        })
        .unwrap();
    let v = reg.view().unwrap();
    assert!(v
        .find_by_path(
            "姑苏区/沧浪街道/他处社区",
            d("2024-12-31"),
            &Hierarchy::Legal
        )
        .is_ok());
    drop((reg, other));
    for s in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{s}", path.display()));
    }
}
