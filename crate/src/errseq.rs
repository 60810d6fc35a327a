//! `errseq_t` (lib/errseq.c, Jeff Layton, 4.13): an errno, a SEEN flag and
//! a counter in one word. `mapping->wb_err` is one; every open file
//! description keeps a cursor (`file->f_wb_err`) sampled at open.

/// An errseq value. `err` is a positive errno (0 for none).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Errseq {
    pub err: u8,
    pub seen: bool,
    pub ctr: u16,
}

impl Errseq {
    /// errseq_set(): record `err`. The counter moves only if the previous
    /// value was seen, so an unseen error is not reported twice.
    pub fn set(&mut self, err: u8) {
        let mut new = Errseq {
            err,
            seen: false,
            ctr: self.ctr,
        };
        if self.seen {
            new.ctr = new.ctr.wrapping_add(1);
        }
        *self = new;
    }

    /// errseq_sample(): what a newly opened file starts from. An error no
    /// one has seen yet samples as 0, so the new file will still see it.
    pub fn sample(&self) -> Errseq {
        if self.seen {
            *self
        } else {
            Errseq::default()
        }
    }

    /// errseq_check_and_advance(): report an error once per cursor.
    /// Returns the errno to report (0 for none) and marks the value seen.
    pub fn check_and_advance(&mut self, cursor: &mut Errseq) -> u8 {
        if *self == *cursor {
            return 0;
        }
        self.seen = true;
        *cursor = *self;
        self.err
    }
}

/// Symmetry (see [`crate::perm`]): an errseq value names no task and no
/// version (a task's cursor moves with its task).
impl Errseq {
    pub fn permute(&mut self, _p: &crate::perm::Perm) {
        let Errseq {
            err: _,
            seen: _,
            ctr: _,
        } = self;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each open file description reports each new error exactly once
    /// (fstests generic/441, generic/487).
    #[test]
    fn each_cursor_reports_an_error_once() {
        let mut wb = Errseq::default();
        let mut a = wb.sample();
        let mut b = wb.sample();
        assert_eq!(wb.check_and_advance(&mut a), 0);
        wb.set(5);
        assert_eq!(wb.check_and_advance(&mut a), 5);
        assert_eq!(wb.check_and_advance(&mut a), 0);
        assert_eq!(wb.check_and_advance(&mut b), 5);
        assert_eq!(wb.check_and_advance(&mut b), 0);
        // a file opened after the error was seen does not report it
        let mut c = wb.sample();
        assert_eq!(wb.check_and_advance(&mut c), 0);
        // a new error is reported again to everyone
        wb.set(5);
        assert_eq!(wb.check_and_advance(&mut a), 5);
        assert_eq!(wb.check_and_advance(&mut c), 5);
    }

    #[test]
    fn an_unseen_error_samples_as_zero() {
        let mut wb = Errseq::default();
        wb.set(5);
        let mut late = wb.sample();
        assert_eq!(wb.check_and_advance(&mut late), 5);
        // setting again before anyone saw it does not bump the counter
        let mut wb2 = Errseq::default();
        wb2.set(5);
        let before = wb2.ctr;
        wb2.set(5);
        assert_eq!(wb2.ctr, before);
    }
}
