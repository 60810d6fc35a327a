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
