/*
 * The explorer benchmark's family, as a Promela model for SPIN: NW direct
 * writers (`write 0 direct`, `fsync`) and NM mmap writers (`mmap-write 0`)
 * of one page on xfs, linux-5.8, no volatile write cache. The question:
 * can fsync return -EIO although no data was lost (spurious -EIO)?
 *
 * Written after what dioscope models for these ops, one atomic statement
 * per dioscope step (crate/src/paths/):
 * - direct write: xfs_ilock(IOLOCK_SHARED); filemap_write_and_wait_range;
 *   invalidate_inode_pages2_range, whose failure on a dirty folio warns
 *   and sets -EIO in wb_err (5.8); iomap_begin (inode_dio_begin); submit
 *   the bio; iomap_dio_complete once it completed; if the page is cached
 *   again, the post-write invalidation (failure warns too); unlock;
 * - fsync: filemap_write_and_wait_range, then errseq check_and_advance of
 *   the file's cursor (-EIO at once), else the log force and its wait;
 * - mmap-write: the fault (invalidate_lock shared on xfs, mmap_lock;
 *   read the folio in: a read bio the device completes), page_mkwrite
 *   (folio lock, dirty, writable PTE), the store; writeback write-protects
 *   the PTE, invalidation unmaps it, and the store faults again;
 * - the device completes any in-flight bio: a direct write, a writeback
 *   (folio_end_writeback), a page read (uptodate, unlock), a log write;
 * - the oracle: a write's predecessors are the writes returned when it
 *   began; the page is lost when its content is superseded; an fsync
 *   returning -EIO with nothing lost is spurious, unless something is lost
 *   later. dioscope's locks here are all shared (no exclusive taker), so
 *   they are counters.
 *
 * Run: spin -DNW=2 -DNM=2 -a family.pml && cc -O2 -o pan pan.c &&
 *      ./pan -c0 -n   (complete search; every violation counted)
 */

#ifndef NW
#define NW 2
#endif
#ifndef NM
#define NM 2
#endif
#define NT (NW + NM)
/* versions: 0 init, 1..NW the direct writes, NW+1..NT the stores */

/* folio 0 */
bool present, uptodate, dirty, wb;
byte flock;          /* holder + 1 */
byte fver;
byte media;          /* block 0 */
/* errseq wb_err and the writers' cursors */
byte werr; bool wseen; byte wctr;
byte cerr[NW]; bool cseen[NW]; byte cctr[NW];
/* PTEs of the mmap writers: 0 none, 1 read-only, 2 writable */
byte pte[NM];
/* shared locks and i_dio_count, as counters */
byte irw, ilock_inval, mmlock[NM], diocount;
/* in-flight bios */
bool dio_bio[NW]; bool log_bio[NW];
bool wb_bio; byte wb_ver;
bool rd_bio;
/* the oracle */
int returned;
int pred[NT + 1];
int sup;
bool lost, spurious;
byte finished;

#define CONTENT (present && uptodate -> fver : media)
#define TRACK \
    lost = ((sup >> CONTENT) & 1); \
    if \
    :: lost -> spurious = 0 \
    :: else -> skip \
    fi

/* errseq_set(EIO) */
#define WB_ERR_SET \
    if \
    :: wseen -> wctr = wctr + 1 \
    :: else -> skip \
    fi; \
    werr = 5; wseen = 0

/* writepage: write-protect, clean, writeback bio */
#define WRITEPAGE(k) \
    for (k : 0 .. NM - 1) { \
        if \
        :: pte[k] == 2 -> pte[k] = 1 \
        :: else -> skip \
        fi \
    } \
    dirty = 0; wb = 1; wb_bio = 1; wb_ver = fver

/* filemap_write_and_wait_range over page 0: two steps at most */
#define FLUSH_FIRST(k, waitwb) \
    if \
    :: present && dirty && flock == 0 && !wb -> WRITEPAGE(k); waitwb = 1 \
    :: !(present && dirty) && !(present && wb) -> waitwb = 0 \
    fi

/* invalidate_inode_pages2_range over page 0, one step */
#define INVAL(k, failed) \
    if \
    :: !present -> failed = 0 \
    :: present && flock == 0 && !wb -> \
        for (k : 0 .. NM - 1) { pte[k] = 0 } \
        if \
        :: dirty -> failed = 1 \
        :: else -> failed = 0; present = 0; uptodate = 0; fver = 0 \
        fi \
    fi

#define MISMATCH (!(werr == cerr[i] && wseen == cseen[i] && wctr == cctr[i]))
/* file_check_and_advance_wb_err: report -EIO once per cursor */
#define CHECK_WB_ERR \
    wseen = 1; cerr[i] = werr; cseen[i] = wseen; cctr[i] = wctr; \
    if \
    :: !lost -> spurious = 1 \
    :: else -> skip \
    fi

proctype Writer(byte i) {
    byte v = i + 1;
    byte k;
    bool waitwb, failed;
    /* write 0 direct: xfs_ilock(IOLOCK_SHARED) */
    atomic { pred[v] = returned | 1; irw++; TRACK };
    /* kiocb_write_and_wait */
    atomic {
        FLUSH_FIRST(k, waitwb); TRACK;
        if
        :: waitwb -> goto dw_waitwb
        :: else -> goto dw_inval
        fi
    };
dw_waitwb:
    atomic { !(present && wb); TRACK };
dw_inval:
    /* kiocb_invalidate_pages; 5.8: dio_warn_stale_pagecache on failure */
    atomic {
        INVAL(k, failed);
        if
        :: failed -> WB_ERR_SET
        :: else -> skip
        fi;
        TRACK
    };
    /* iomap_begin: inode_dio_begin */
    atomic { diocount++; TRACK };
    /* submit_bio */
    atomic { dio_bio[i] = 1; TRACK };
    /* iomap_dio_complete: ->end_io; post-write invalidation if cached */
    atomic {
        !dio_bio[i];
        if
        :: present -> TRACK; goto dw_postinval
        :: else -> diocount--; irw--;
            returned = returned | (1 << v); sup = sup | pred[v]; TRACK;
            goto fsync
        fi
    };
dw_postinval:
    atomic {
        INVAL(k, failed);
        if
        :: failed -> WB_ERR_SET
        :: else -> skip
        fi;
        diocount--; irw--;
        returned = returned | (1 << v); sup = sup | pred[v];
        TRACK
    };
fsync:
    /* fsync: filemap_write_and_wait_range, then the errseq check */
    atomic {
        FLUSH_FIRST(k, waitwb); TRACK;
        if
        :: waitwb -> goto fs_waitwb
        :: !waitwb && MISMATCH -> CHECK_WB_ERR; goto done
        :: !waitwb && !MISMATCH -> goto fs_commit
        fi
    };
fs_waitwb:
    atomic {
        !(present && wb); TRACK;
        if
        :: MISMATCH -> CHECK_WB_ERR; goto done
        :: else -> skip
        fi
    };
fs_commit:
    /* xfs_log_force_seq: a journal write; submit_bio_wait */
    atomic { log_bio[i] = 1; TRACK };
    atomic { !log_bio[i]; TRACK };
done:
    finished++
}

proctype Mapper(byte j) {
    byte w = NW + 1 + j;
access:
    /* mmap-write 0: the store if the PTE is writable, else filemap_fault
     * (invalidate_lock shared on xfs, mmap_lock; read the folio in) */
    atomic {
        if
        :: pte[j] == 2 -> pred[w] = returned | 1; fver = w;
            returned = returned | (1 << w); sup = sup | pred[w];
            TRACK; goto stored
        :: else -> ilock_inval++; mmlock[j]++;
            if
            :: present && uptodate && flock == 0 -> TRACK; goto mkwrite
            :: present && !(uptodate && flock == 0) -> TRACK; goto fill
            :: !present -> present = 1; uptodate = 0; dirty = 0; flock = NW + j + 1;
                rd_bio = 1; TRACK; goto fill
            fi
        fi
    };
fill:
    atomic {
        !(present && flock != 0);
        if
        :: !present -> present = 1; uptodate = 0; dirty = 0; flock = NW + j + 1;
            rd_bio = 1; TRACK; goto fill
        :: else -> TRACK
        fi
    };
mkwrite:
    /* page_mkwrite: folio lock, dirty, map writable; retry if gone */
    atomic {
        !(present && flock != 0);
        if
        :: !present -> ilock_inval--; mmlock[j]--
        :: else -> dirty = 1; pte[j] = 2; ilock_inval--; mmlock[j]--
        fi;
        TRACK;
        goto access
    };
stored:
    finished++
}

/* the device completes any in-flight bio */
proctype DioBio(byte i) {
end:
    do
    :: atomic { dio_bio[i] -> dio_bio[i] = 0; media = i + 1; TRACK }
    :: atomic { log_bio[i] -> log_bio[i] = 0 }
    od
}

active proctype PageBios() {
end:
    do
    :: atomic { wb_bio -> wb_bio = 0; media = wb_ver;
        if
        :: present -> wb = 0
        :: else -> skip
        fi;
        TRACK }
    :: atomic { rd_bio -> rd_bio = 0; fver = media; uptodate = 1; flock = 0; TRACK }
    od
}

init {
    byte i;
    atomic {
        for (i : 0 .. NW - 1) { run Writer(i); run DioBio(i) }
        for (i : 0 .. NM - 1) { run Mapper(i) }
    }
}

/* the question: at the end of every run, no fsync returned a spurious -EIO */
active proctype Oracle() {
    finished == NT -> assert(!spurious)
}
