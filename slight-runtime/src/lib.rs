//! Slight runtime: values, builtins, processes, GPU and errors, shared by both execution paths,
//! and each path's own machinery:
//!
//! - the interpreted path: [`bytecode`] (instructions, and the compiler from Core Forms) and
//!   [`vm`] (state, calls, the interpreter loop);
//! - the compiled path: [`native`] (the build-time driver from Slight to Rust, and the run-time
//!   support the generated Rust calls).
#![warn(missing_docs)]

pub mod builtins;
pub mod bytecode;
pub mod convert;
pub mod embed;
pub mod error;
pub(crate) mod front_end;
#[cfg(feature = "gpu")]
pub mod gpu;
/// Without the `gpu` feature: no GPU objects can exist, and the `gpu/` builtins are errors.
#[cfg(not(feature = "gpu"))]
#[path = "gpu_off.rs"]
pub mod gpu;
pub mod host_async;
pub mod limits;
pub mod memory;
pub mod native;
pub mod ops;
pub mod process;
pub(crate) mod scheduler;
pub mod value;
pub mod vm;
#[cfg(feature = "wgsl")]
pub mod wgsl;

pub use convert::{FromValue, IntoValue};
pub use error::{Error, ErrorValue};
pub use limits::{InterruptHandle, Limits, Progress};
pub use memory::CountingAllocator;
pub use process::Pid;
pub use value::Value;
pub use vm::{Capabilities, Output, Vm};
