//! The kernel lab (`dioscope kernel`): run a scenario's tasks on the
//! running kernel, on a real file, and set what the kernel shows beside
//! what the model says — as litmus7 runs herd7's tests on hardware.
//!
//! Everything here but the executor is plain logic, shared with the web
//! build: what can run ([`plan`]), the model at syscall granularity
//! ([`stepper`]), data that names its writer ([`tag`]), the comparison
//! ([`report`]) and the recorded observations ([`observation`]). The
//! executor ([`kernel`], Linux only, with the CLI) makes the syscalls.

pub mod observation;
pub mod plan;
pub mod report;
pub mod stepper;
pub mod tag;

// The executor is the one place that needs unsafe code: fork, shared
// anonymous memory, futexes, a SIGBUS handler, O_DIRECT buffers. Each
// block says why it is sound (SAFETY:); the rest of the crate denies it.
#[cfg(all(feature = "cli", target_os = "linux"))]
#[allow(unsafe_code)]
pub mod host;
#[cfg(all(feature = "cli", target_os = "linux"))]
#[allow(unsafe_code)]
pub mod kernel;
