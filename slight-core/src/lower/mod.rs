//! The Rust lowering: resolved Core Forms → Rust-AST s-expressions (see
//! [`rust_ast`](crate::rust_ast) for the format).
//!
//! * [`typed`]: typed numeric functions become plain native Rust functions (`fn(i64) -> i64`).
//! * [`dynamic`]: everything else becomes Rust over the runtime's `Value`, calling the runtime
//!   support library (`slight::__rt`) for operations, calls, globals and errors.
//! * [`analysis`]: whole-program analyses that decide what is lowered how (typed and
//!   specialized functions, known functions, impossible calls).
//! * [`inline`]: before a function is specialized, the closures it builds and only calls are
//!   inlined away (Core Forms → Core Forms).

pub mod analysis;
pub mod dynamic;
pub mod inline;
pub mod typed;

pub use typed::*;

use crate::sexp::{Sexp, SexpKind};
use crate::span::Span;

macro_rules! define_rt {
    ($($item:ident),* $(,)?) => {
        /// An item of the runtime support library that generated code names: the only way the
        /// lowering refers to the runtime (the list is [`crate::rt_api`]).
        #[allow(non_camel_case_types)] // each variant is spelled as the runtime item it names
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Rt {
            $(
                #[allow(missing_docs)]
                $item,
            )*
        }

        impl Rt {
            /// Every item, in the table's order.
            pub const ALL: &'static [Rt] = &[$(Rt::$item),*];

            /// The item's Rust name.
            pub fn name(self) -> &'static str {
                match self {
                    $(Rt::$item => stringify!($item),)*
                }
            }
        }
    };
}

crate::rt_items!(define_rt);

/// `(path :global true RT... ITEM MEMBER...)`: the path of a runtime item (or of an associated
/// item, `FnInfo::new`), where `rt` is the runtime library's path (`["slight", "__rt"]`).
pub fn rt_path(rt: &[String], item: Rt, member: &[&str], span: Span) -> Sexp {
    let mut v = vec![Sexp::sym("path", span), Sexp::new(SexpKind::Keyword("global".into()), span)];
    v.push(Sexp::new(SexpKind::Bool(true), span));
    v.extend(rt.iter().map(|s| Sexp::sym(s, span)));
    v.push(Sexp::sym(item.name(), span));
    v.extend(member.iter().map(|s| Sexp::sym(s, span)));
    Sexp::list(v, span)
}
