//! Slight runtime: values, the bytecode compiler and VM, the builtin table and error rendering.
//! Shared by the interpreted path (this crate's VM) and compiled code.
#![warn(missing_docs)]

pub mod builtins;
pub mod bytecode;
#[cfg(feature = "codegen")]
pub mod codegen;
pub mod compiled;
pub mod compiler;
pub mod convert;
pub mod embed;
pub mod error;
#[cfg(feature = "gpu")]
pub mod gpu;
/// Without the `gpu` feature: no GPU objects can exist, and the `gpu/` builtins are errors.
#[cfg(not(feature = "gpu"))]
#[path = "gpu_off.rs"]
pub mod gpu;
pub mod host_async;
mod include;
pub mod ops;
#[cfg(feature = "compiled")]
mod own_stack;
/// Without the `compiled` feature: no process runs on a stack of its own.
#[cfg(not(feature = "compiled"))]
#[path = "own_stack_off.rs"]
mod own_stack;
pub mod process;
mod scheduler;
pub mod value;
pub mod vm;
#[cfg(feature = "wgsl")]
pub mod wgsl;

pub use convert::{FromValue, IntoValue};
pub use error::{Error, ErrorValue};
pub use process::Pid;
pub use value::Value;
pub use vm::{Capabilities, Output, Vm};
