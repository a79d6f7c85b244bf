//! Slight front end: everything between source text and a resolved program.
//!
//! The pipeline, one top-level form at a time:
//! [`reader`] (text → [`Sexp`] with spans) → [`expander`] (macros and sugar → [`core`] forms) →
//! [`resolver`] (names → local slots, cells, captures and global indices; tail positions).
//! Both back ends (the bytecode compiler in `slight-runtime` and the Rust lowering) consume the
//! resolved Core Forms.

pub mod core;
pub mod error;
pub mod expander;
pub mod globals;
pub mod kernel;
#[cfg(feature = "codegen")]
pub mod lower;
pub mod names;
pub mod reader;
pub mod resolver;
pub mod rt_api;
#[cfg(feature = "codegen")]
pub mod rust_ast;
pub mod sexp;
pub mod span;

/// How many nested calls typed native code makes between two stack checks (the compiled
/// path's depth budget; see `lower::typed`). Shared by the lowering and the runtime.
pub const TYPED_DEPTH_BUDGET: i64 = 64;

pub use crate::core::{Expr, ExprKind, Lambda, Prim, Type};
pub use error::{ErrorKind, SlightError};
pub use globals::GlobalNames;
pub use reader::Reader;
pub use sexp::{Sexp, SexpKind};
pub use span::{FileId, SourceMap, Span};
