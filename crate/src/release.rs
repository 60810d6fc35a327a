//! What a kernel release does that no thread argued about, so it is not a
//! knob: helpers that appeared in a release and changed behaviour with
//! them. Filesystem-specific facts live in `fs.rs`. Sources are in
//! docs/kernel-facts.md.

use crate::policy::Kernel;

/// Hellwig's kiocb helpers (6.5: kiocb_write_and_wait,
/// kiocb_invalidate_pages, kiocb_invalidate_post_direct_write; e003f74afbd2
/// and friends). With them, `__iomap_dio_rw` turns any error of
/// kiocb_invalidate_pages() other than -EAGAIN into -ENOTBLK, including an
/// error of the filemap_write_and_wait_range() inside it: a writeback
/// error found by a direct write's flush becomes a silent fallback to a
/// buffered write. Before, iomap_dio_rw returned the flush error.
pub fn dio_write_flush_error_falls_back(k: Kernel) -> bool {
    k >= Kernel(6, 5)
}

use crate::fs::Fs;

/// A step name as the kernel that a preset stands for spelled it. The
/// paths name steps as recent kernels do; this table gives the names
/// that were in use before (and after) each rename, by the release that
/// introduced them (docs/kernel-facts.md, "Names by release"; a release
/// inferred from a date is marked "~" there).
struct Rename {
    /// The name the paths use.
    name: &'static str,
    /// Only on this filesystem.
    fs: Option<Fs>,
    /// From this release on the step is called `to`.
    since: Kernel,
    to: &'static str,
}

const fn r(name: &'static str, since: Kernel, to: &'static str) -> Rename {
    Rename {
        name,
        fs: None,
        since,
        to,
    }
}

const fn rf(name: &'static str, fs: Fs, since: Kernel, to: &'static str) -> Rename {
    Rename {
        name,
        fs: Some(fs),
        since,
        to,
    }
}

const K0: Kernel = Kernel(0, 0);

/// For each name, its spellings from the oldest; the last entry whose
/// `since` is not newer than the release wins, and a name without an
/// entry for a release keeps the paths' spelling.
static RENAMES: &[Rename] = &[
    r("folio_wait_writeback", K0, "wait_on_page_writeback"),
    // __filemap_fdatawait_range still called wait_on_page_writeback(page)
    // in 5.16 (then a wrapper); the folio call came with its conversion to
    // filemap_get_folios_tag (~6.2)
    r("folio_wait_writeback", Kernel(6, 2), "folio_wait_writeback"),
    r("copy_folio_to_iter", K0, "copy_page_to_iter"),
    r("copy_folio_to_iter", Kernel(5, 17), "copy_folio_to_iter"),
    r("page_cache_ra_unbounded", K0, "__do_page_cache_readahead"),
    r(
        "page_cache_ra_unbounded",
        Kernel(5, 10),
        "page_cache_ra_unbounded",
    ),
    r(
        "filemap_fault: page_cache_ra_order",
        K0,
        "filemap_fault: do_sync_mmap_readahead",
    ),
    r(
        "filemap_fault: page_cache_ra_order",
        Kernel(5, 18),
        "filemap_fault: page_cache_ra_order",
    ),
    r("filemap_read", K0, "generic_file_buffered_read"),
    r("filemap_read", Kernel(5, 12), "filemap_read"),
    r("iomap_dio_bio_iter", K0, "iomap_dio_bio_actor"),
    r("iomap_dio_bio_iter", Kernel(5, 15), "iomap_dio_bio_iter"),
    r(
        "iomap_dio_bio_iter: submit_bio",
        K0,
        "iomap_dio_bio_actor: submit_bio",
    ),
    r(
        "iomap_dio_bio_iter: submit_bio",
        Kernel(5, 15),
        "iomap_dio_bio_iter: submit_bio",
    ),
    r("iomap_write_iter", K0, "iomap_write_actor"),
    r("iomap_write_iter", Kernel(5, 15), "iomap_write_iter"),
    r("dax_iomap_iter", K0, "dax_iomap_actor"),
    r("dax_iomap_iter", Kernel(5, 15), "dax_iomap_iter"),
    r("shrink_folio_list", K0, "shrink_page_list"),
    r("shrink_folio_list", Kernel(6, 1), "shrink_folio_list"),
    // folio_end_read (~6.7) in iomap and mpage; before, each filesystem's
    // read end_io set the page uptodate and unlocked it. btrfs never
    // called it (6.12, 6.18: end_bbio_data_read → end_folio_read); its
    // end_io was renamed with the write side's (end_bbio_data_write)
    rf("folio_end_read", Fs::Xfs, K0, "iomap_read_end_io"),
    rf("folio_end_read", Fs::Ext4, K0, "mpage_end_io"),
    r("folio_end_read", Kernel(6, 7), "folio_end_read"),
    rf("folio_end_read", Fs::Btrfs, K0, "end_bio_extent_readpage"),
    rf(
        "folio_end_read",
        Fs::Btrfs,
        Kernel(6, 9),
        "end_bbio_data_read",
    ),
    // XFS writeback moved into iomap in 5.5, and iomap's writeback was
    // reworked again in ~6.17
    r("iomap_writepage_map", K0, "xfs_writepage_map"),
    r("iomap_writepage_map", Kernel(5, 5), "iomap_writepage_map"),
    r(
        "iomap_writepage_map",
        Kernel(6, 17),
        "iomap_writeback_folio",
    ),
    r("iomap_finish_ioend", K0, "xfs_destroy_ioend"),
    r("iomap_finish_ioend", Kernel(5, 5), "iomap_finish_ioend"),
    r(
        "iomap_finish_ioend",
        Kernel(6, 17),
        "iomap_finish_ioend_buffered",
    ),
    r("xfs_read_iomap_begin", K0, "xfs_file_iomap_begin"),
    r("xfs_read_iomap_begin", Kernel(5, 5), "xfs_read_iomap_begin"),
    r("xfs_direct_write_iomap_begin", K0, "xfs_file_iomap_begin"),
    r(
        "xfs_direct_write_iomap_begin",
        Kernel(5, 5),
        "xfs_direct_write_iomap_begin",
    ),
    r(
        "xfs_buffered_write_iomap_begin",
        K0,
        "xfs_file_iomap_begin_delay",
    ),
    r(
        "xfs_buffered_write_iomap_begin",
        Kernel(5, 5),
        "xfs_buffered_write_iomap_begin",
    ),
    // XFS direct I/O went through __blockdev_direct_IO until iomap_dio_rw
    // (4.10); its end_io was xfs_end_io_direct_write
    r("xfs_dio_write_end_io", K0, "xfs_end_io_direct_write"),
    r(
        "xfs_dio_write_end_io",
        Kernel(4, 10),
        "xfs_dio_write_end_io",
    ),
    r("xfs_log_force_seq", K0, "xfs_log_force_lsn"),
    // 5f9b4b0de8dc, Chinner's CIL series in the 5.14 xfs pull
    r("xfs_log_force_seq", Kernel(5, 14), "xfs_log_force_seq"),
    r(
        "xfs_write_fault → iomap_page_mkwrite",
        K0,
        "xfs_filemap_page_mkwrite → iomap_page_mkwrite",
    ),
    r(
        "xfs_write_fault → iomap_page_mkwrite",
        Kernel(6, 12),
        "xfs_write_fault → iomap_page_mkwrite",
    ),
    r(
        "xfs_file_write_zero_eof",
        K0,
        "xfs_file_write_checks: iomap_zero_range",
    ),
    r(
        "xfs_file_write_zero_eof",
        Kernel(6, 12),
        "xfs_file_write_zero_eof",
    ),
    r("mpage_submit_folio", K0, "mpage_submit_page"),
    r("mpage_submit_folio", Kernel(6, 4), "mpage_submit_folio"),
    r("extent_writepage", K0, "__extent_writepage"),
    r("extent_writepage", Kernel(6, 8), "extent_writepage"),
    r("end_bbio_data_write", K0, "end_bio_extent_writepage"),
    r("end_bbio_data_write", Kernel(6, 9), "end_bbio_data_write"),
    r("btrfs_inode_lock", K0, "inode_lock"),
    // Rodrigues' series (a14b78ad06ab, e9adabb9712e): 5.11
    r("btrfs_inode_lock", Kernel(5, 11), "btrfs_inode_lock"),
    r("btrfs_inode_lock(SHARED)", K0, "inode_lock_shared"),
    r(
        "btrfs_inode_lock(SHARED)",
        Kernel(5, 11),
        "btrfs_inode_lock(SHARED)",
    ),
    r("btrfs_inode_lock(BTRFS_ILOCK_MMAP)", K0, "inode_lock"),
    r(
        "btrfs_inode_lock(BTRFS_ILOCK_MMAP)",
        Kernel(5, 13),
        "btrfs_inode_lock(BTRFS_ILOCK_MMAP)",
    ),
];

/// `name` as the kernel `k` spelled it, on filesystem `fs`.
pub fn step_name(name: &'static str, fs: Fs, k: Kernel) -> &'static str {
    let mut out = name;
    for e in RENAMES {
        if e.name == name && e.since <= k && e.fs.is_none_or(|f| f == fs) {
            out = e.to;
        }
    }
    out
}

/// The name the paths use for a step that release-specific naming
/// ([`step_name`]) spelled `name`: the key for anything said about a step
/// whatever release it ran on (its explanation, for one).
pub fn canonical(name: &'static str) -> &'static str {
    RENAMES
        .iter()
        .find(|e| e.to == name)
        .map_or(name, |e| e.name)
}

/// The name of the function that dirties a page, in notes.
pub fn mark_dirty(k: Kernel) -> &'static str {
    if k >= Kernel(5, 16) {
        "folio_mark_dirty"
    } else {
        "set_page_dirty"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_release() {
        assert_eq!(
            step_name("folio_wait_writeback", Fs::Xfs, Kernel(5, 8)),
            "wait_on_page_writeback"
        );
        assert_eq!(
            step_name("folio_wait_writeback", Fs::Xfs, Kernel(6, 18)),
            "folio_wait_writeback"
        );
        assert_eq!(
            step_name("iomap_writepage_map", Fs::Xfs, Kernel(5, 0)),
            "xfs_writepage_map"
        );
        assert_eq!(
            step_name("iomap_writepage_map", Fs::Xfs, Kernel(6, 15)),
            "iomap_writepage_map"
        );
        assert_eq!(
            step_name("iomap_writepage_map", Fs::Xfs, Kernel(6, 18)),
            "iomap_writeback_folio"
        );
        assert_eq!(
            step_name("folio_end_read", Fs::Ext4, Kernel(5, 9)),
            "mpage_end_io"
        );
        assert_eq!(
            step_name("folio_end_read", Fs::Btrfs, Kernel(6, 18)),
            "end_bbio_data_read"
        );
        assert_eq!(
            step_name("folio_end_read", Fs::Btrfs, Kernel(6, 7)),
            "end_bio_extent_readpage"
        );
        assert_eq!(
            step_name("folio_end_read", Fs::Xfs, Kernel(6, 18)),
            "folio_end_read"
        );
        assert_eq!(
            step_name("inode_dio_wait", Fs::Xfs, Kernel(5, 8)),
            "inode_dio_wait"
        );
        // every old spelling leads back to a name the paths use for it
        for e in RENAMES {
            let c = canonical(e.to);
            assert!(
                RENAMES.iter().any(|f| f.name == c && f.to == e.to),
                "{}",
                e.to
            );
        }
    }
}
