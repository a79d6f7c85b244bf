//! Proc macros for Slight's compiled path. The `slight!` macro lands with the compiled-path
//! work; this crate exists now so the workspace layout is final.
