//! The outcome names the oracles report, and the litmus verdicts.

use std::fmt;

/// An outcome an oracle can report (docs/outcomes.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    StaleRead,
    StaleCache,
    LostWrite,
    UnreportedLoss,
    SpuriousEio,
    Deadlock,
    MisdirectedWrite,
    SyscallError,
    StaleIomap,
}

impl Outcome {
    pub const ALL: [Outcome; 9] = [
        Outcome::StaleRead,
        Outcome::StaleCache,
        Outcome::LostWrite,
        Outcome::UnreportedLoss,
        Outcome::SpuriousEio,
        Outcome::Deadlock,
        Outcome::MisdirectedWrite,
        Outcome::SyscallError,
        Outcome::StaleIomap,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Outcome::StaleRead => "stale-read",
            Outcome::StaleCache => "stale-cache",
            Outcome::LostWrite => "lost-write",
            Outcome::UnreportedLoss => "unreported-loss",
            Outcome::SpuriousEio => "spurious-eio",
            Outcome::Deadlock => "deadlock",
            Outcome::MisdirectedWrite => "misdirected-write",
            Outcome::SyscallError => "syscall-error",
            Outcome::StaleIomap => "stale-iomap",
        }
    }

    /// One line for a student: what the outcome means.
    pub fn meaning(self) -> &'static str {
        match self {
            Outcome::StaleRead => {
                "a read returned data older than a write that had already returned"
            }
            Outcome::StaleCache => {
                "at the end a clean cached page differs from what the device holds"
            }
            Outcome::LostWrite => {
                "after the crash, data that fsync or O_DSYNC promised durable is gone"
            }
            Outcome::UnreportedLoss => {
                "a returned write's data is gone and no fsync reported an error"
            }
            Outcome::SpuriousEio => "fsync returned -EIO although no data was lost",
            Outcome::Deadlock => "nothing can run and a task is unfinished",
            Outcome::MisdirectedWrite => {
                "a device write landed in a block that no longer maps its file offset"
            }
            Outcome::SyscallError => "a syscall returned an error (informational)",
            Outcome::StaleIomap => "a buffered write went on with an extent mapping that had changed under it (informational)",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.name() == s)
    }

    pub fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A litmus verdict over all interleavings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    Always,
    Sometimes,
    Never,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Always => "always",
            Verdict::Sometimes => "sometimes",
            Verdict::Never => "never",
        }
    }
    pub fn parse(s: &str) -> Option<Verdict> {
        [Verdict::Always, Verdict::Sometimes, Verdict::Never]
            .into_iter()
            .find(|v| v.name() == s)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
