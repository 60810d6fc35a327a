//! Filesystem personalities: which locks each path takes and what a
//! filesystem does with `-ENOTBLK` or a short direct write, as of a release.

use crate::policy::{Kernel, Policy};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fs {
    Xfs,
    Ext4,
    Btrfs,
}

impl Fs {
    pub const ALL: [Fs; 3] = [Fs::Xfs, Fs::Ext4, Fs::Btrfs];

    pub fn name(self) -> &'static str {
        match self {
            Fs::Xfs => "xfs",
            Fs::Ext4 => "ext4",
            Fs::Btrfs => "btrfs",
        }
    }

    pub fn parse(s: &str) -> Option<Fs> {
        Fs::ALL.into_iter().find(|f| f.name() == s)
    }
}
