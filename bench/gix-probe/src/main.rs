//! Read every object of each pack given (`.idx` paths) with gix-pack's
//! delta-tree traversal (each base and delta decoded once, in parallel), and
//! look for the key prefixes in each blob: what a history scanner built on
//! gix-pack would at least do. Prints objects, blob bytes and blobs with a
//! prefix.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use gix_pack::index::traverse::{Algorithm, Options, SafetyCheck};

fn main() {
    let (objects, bytes, hits) = (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
    let finder = memchr::memmem::Finder::new("sk_");
    for idx in std::env::args().skip(1) {
        let bundle = gix_pack::Bundle::at(&idx, gix_hash::Kind::Sha1).expect("a pack index");
        let (objects, bytes, hits, finder) = (&objects, &bytes, &hits, &finder);
        bundle
            .index
            .traverse(
                &bundle.pack,
                &mut gix_utils::progress::Discard,
                &AtomicBool::new(false),
                move |kind, data, _entry, _progress| {
                    objects.fetch_add(1, Ordering::Relaxed);
                    if kind == gix_object::Kind::Blob {
                        bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
                        if finder.find(data).is_some() {
                            hits.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Ok(())
                },
                Options {
                    traversal: Algorithm::DeltaTreeLookup,
                    thread_limit: None,
                    check: SafetyCheck::SkipFileAndObjectChecksumVerification,
                    alloc_limit_bytes: None,
                    make_pack_lookup_cache: || gix_pack::cache::Never,
                },
            )
            .expect("traversal");
    }
    println!(
        "objects {} blob_bytes {} blobs_with_prefix {}",
        objects.into_inner(),
        bytes.into_inner(),
        hits.into_inner()
    );
}
