//! The `dev` actor: completing an in-flight bio and running its end_io
//! handler (interrupt or completion work in the kernel).

use crate::device::{Bio, BioKind, Done};
use crate::extents::Ext;
use crate::outcome::Outcome;
use crate::pagecache::{DROPBEHIND, ORDERED, UPTODATE, WRITEBACK};
use crate::world::World;

pub fn dev_complete(w: &mut World, k: u8) -> &'static str {
    let bio = w.s.dev.take(k);
    let done = w.s.dev.perform(&bio, w.st.write_cache, w.st.dax);
    if let Some(c) = w.counters() {
        c.device_ios += 1;
    }
    let p = bio.page;
    if bio.kind.is_write() && done.ok {
        // did the data land where the file's page p lives?
        if w.s.ext.get(p).block() != Some(bio.block) {
            let why = format!(
                "a write of {} for page {p} landed in block {}, which page {p} no longer maps ({})",
                w.st.dlong(p, bio.ver),
                bio.block,
                w.s.ext.get(p).kind()
            );
            w.fire(Outcome::MisdirectedWrite, why);
        }
    }
    match bio.kind {
        BioKind::Writeback => writeback_end_io(w, &bio, done),
        BioKind::ReadFolio => {
            if let Some(f) = w.s.cache.get_mut(p) {
                if done.ok {
                    f.ver = done.data;
                    f.set(UPTODATE);
                }
                f.lock = 0;
            }
            if done.ok {
                w.note(|w| {
                    format!(
                        "folio {p} ← {} from block {}; uptodate, unlocked",
                        w.st.dlabel(p, done.data),
                        bio.block
                    )
                });
            } else {
                w.note(|_| format!("read of block {} FAILED: folio {p} not uptodate", bio.block));
            }
            "folio_end_read"
        }
        BioKind::DioRead => dio_read_done(w, &bio, done),
        BioKind::DioWrite => dio_write_end_io(w, &bio, done),
        BioKind::Flush => {
            w.note(|_| "volatile write cache flushed to media".to_string());
            "blkdev_issue_flush: done"
        }
        BioKind::AioComplete => {
            super::direct_write::aio_complete(w, bio.owner.0, true);
            "iomap_dio_complete_work"
        }
        BioKind::OrderedFinish if bio.fua => {
            if crate::locks::ordered_owner(w.s.locks.extent[p as usize]) == Some(bio.owner) {
                w.s.locks.extent[p as usize] = 0;
            }
            w.note(|_| {
                format!(
                    "the direct write's ordered extent for page {p} finished; readers may go on"
                )
            });
            "btrfs_finish_ordered_io"
        }
        BioKind::OrderedFinish => {
            if let Some(f) = w.s.cache.get_mut(p) {
                f.clear(ORDERED);
            }
            w.note(|_| format!("ordered extent for page {p} finished; folio {p} can be released"));
            "btrfs_finish_ordered_io"
        }
        BioKind::LogWrite => {
            // the journal write is on media: the transaction is committed
            let size = w.s.i_size;
            w.s.ext.commit(size);
            w.note(|_| "log write done: cache flushed, extent map and size committed".to_string());
            w.st.fs.names().log_done
        }
    }
}

/// What a completed write did to the device, for the step's note.
fn landed(w: &World, bio: &Bio) -> String {
    let cache = if w.st.write_cache && !bio.fua {
        " (volatile cache)"
    } else {
        ""
    };
    format!(
        "block {} ← {}{cache}",
        bio.block,
        w.st.dlabel(bio.page, bio.ver)
    )
}

/// A writeback bio completed: the ioend work (unwritten conversion or
/// mapping_set_error), then folio_end_writeback().
fn writeback_end_io(w: &mut World, bio: &Bio, done: Done) -> &'static str {
    let p = bio.page;
    let mut unwritten_converted = false;
    if done.ok {
        w.note(|w| landed(w, bio));
        // ioend completion: unwritten extent conversion
        if let Ext::Unwritten(b, _) = w.s.ext.get(p) {
            if b == bio.block {
                w.s.ext.set(p, Ext::Written(b));
                unwritten_converted = true;
                w.note(|_| format!("page {p}: unwritten → written"));
            }
        }
    } else {
        super::writeback::mapping_set_error(w, crate::world::Errno::EIO.code());
        w.note(|_| {
            format!(
                "write to block {} FAILED: mapping_set_error(-EIO) → wb_err; folio {p} stays clean",
                bio.block
            )
        });
    }
    // folio_end_writeback()
    let btrfs = w.st.fs == crate::fs::Fs::Btrfs;
    if btrfs && w.s.cache.get(p).is_some() && !w.s.dev.queue_full() {
        // btrfs: the ordered extent finishes later, in a worker
        w.s.cache.get_mut(p).unwrap().set(ORDERED);
        w.s.dev.submit(crate::device::Bio {
            kind: BioKind::OrderedFinish,
            block: bio.block,
            page: p,
            ver: bio.ver,
            fua: false,
            owner: bio.owner,
            op: bio.op,
        });
        w.note(|_| format!("folio {p}: ordered extent pending (btrfs_finish_ordered_io queued)"));
    }
    let converted = done.ok && unwritten_converted;
    if let Some(f) = w.s.cache.get_mut(p) {
        f.clear(WRITEBACK);
        if f.has(DROPBEHIND)
            && super::invalidate::dropbehind_droppable(w, p)
            && w.st.fs.wb_end_in_task(converted)
        {
            // folio_end_dropbehind(): RWF_DONTCACHE folios go once
            // clean, unmapped first if mapped
            super::invalidate::remove_folio(w, p);
            w.note(|_| format!("folio {p} dropped (dropbehind)"));
        }
    }
    w.st.fs.names().wb_done
}

/// A direct write's bio completed; on btrfs its ordered extent finishes
/// later, and an AIO write's last bio completes the iocb.
fn dio_write_end_io(w: &mut World, bio: &Bio, done: Done) -> &'static str {
    let p = bio.page;
    if done.ok {
        w.note(|w| landed(w, bio));
    } else {
        let t = bio.owner.0;
        if w.in_op(t, bio.op) {
            w.s.tasks[t as usize].dio_err = true;
        }
        w.note(|_| format!("write to block {} FAILED", bio.block));
    }
    if crate::locks::ordered_owner(w.s.locks.extent[p as usize]) == Some(bio.owner) {
        // btrfs_finish_ordered_extent: btrfs_finish_ordered_io runs
        // later, in a worker
        w.s.dev.submit(crate::device::Bio {
            kind: BioKind::OrderedFinish,
            block: bio.block,
            page: p,
            ver: bio.ver,
            fua: true,
            owner: bio.owner,
            op: bio.op,
        });
        w.note(|_| format!("ordered extent of page {p} pending (btrfs_finish_ordered_io queued)"));
    }
    let t = bio.owner.0;
    if w.s.tasks[t as usize].aio.op == bio.op + 1 {
        super::direct_write::aio_bio_done(w, t, done.ok);
    }
    if super::dio::legacy_btrfs(w) == Some(true) {
        "btrfs_endio_direct_write"
    } else {
        "iomap_dio_bio_end_io"
    }
}

/// A direct read's bio completed: the data reaches the buffer of the op
/// that submitted it. The bio knows its op: the task may have left it (a
/// direct read that failed on a fault returns without waiting for the
/// bios it had submitted), and then nobody reads this buffer.
fn dio_read_done(w: &mut World, bio: &Bio, done: Done) -> &'static str {
    let (t, p) = (bio.owner.0, bio.page);
    // btrfs_dio_end_io (btrfs_endio_direct_read before 5.9): a read's
    // range is unlocked when its bio completes
    w.s.locks.extent_release(p, p, bio.owner);
    if !w.in_op(t, bio.op) {
        w.note(|w| {
            format!(
                "read of block {} for {}'s op #{} done, but that read has returned: its buffer is no longer read",
                bio.block,
                w.st.task_name(t),
                bio.op + 1
            )
        });
    } else if done.ok {
        w.read_value(t, p, done.data);
        w.note(|w| {
            format!(
                "{}'s buffer ← {} (page {p}, block {})",
                w.st.task_name(t),
                w.st.dlabel(p, done.data),
                bio.block
            )
        });
        super::dio::dma_into_mmap_of(w, t, bio.op, p);
    } else {
        w.s.tasks[t as usize].dio_err = true;
        w.note(|_| format!("read of block {} FAILED", bio.block));
    }
    if super::dio::legacy_btrfs(w) == Some(true) {
        "btrfs_endio_direct_read"
    } else {
        "iomap_dio_bio_end_io"
    }
}
