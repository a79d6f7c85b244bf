//! Slight runtime: values, the bytecode compiler and VM, the builtin table and error rendering.
//! Shared by the interpreted path (this crate's VM) and compiled code.

pub mod builtins;
pub mod bytecode;
#[cfg(feature = "codegen")]
pub mod codegen;
pub mod compiled;
pub mod compiler;
pub mod convert;
pub mod embed;
pub mod error;
pub mod gpu;
pub mod host_async;
mod include;
pub mod ops;
mod own_stack;
pub mod process;
mod scheduler;
pub mod value;
pub mod vm;

pub use convert::{FromValue, IntoValue};
pub use error::{Error, ErrorValue};
pub use process::Pid;
pub use value::Value;
pub use vm::{Capabilities, Output, Vm};
