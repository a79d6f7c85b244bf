//! The Rust lowering: resolved Core Forms → Rust-AST s-expressions (see
//! [`rust_ast`](crate::rust_ast) for the format).
//!
//! * [`typed`]: typed numeric functions become plain native Rust functions (`fn(i64) -> i64`).
//! * [`dynamic`]: everything else becomes Rust over the runtime's `Value`, calling the runtime
//!   support library (`slight::__rt`) for operations, calls, globals and errors.

pub mod dynamic;
pub mod typed;

pub use typed::*;
