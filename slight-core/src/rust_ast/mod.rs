//! Rust-AST s-expressions ("Oxur AST"): a small, printable s-expression format for Rust items,
//! statements, expressions, patterns and types, and its conversion to and from `syn`.
//!
//! The compiled path lowers Core Forms to this format; it is the only module that imports
//! `syn`. Forms are ordinary [`Sexp`]s, so they print with `Display` and read back with the
//! Slight [`Reader`](crate::Reader) — which is what `slight expand --to rust-sexp` shows.
//!
//! * [`file_to_syn`], [`item_to_syn`], [`expr_to_syn`], [`type_to_syn`], [`pat_to_syn`]:
//!   `Sexp` → syn. Malformed input is a [`SlightError`] of kind `Syntax` carrying the span of
//!   the offending s-expression; they never panic.
//! * [`file_from_syn`], [`item_from_syn`], [`expr_from_syn`], [`type_from_syn`],
//!   [`pat_from_syn`]: the reverse, for the same subset. Anything outside the subset is an error
//!   naming the Rust text (with a default span: syn trees carry no Slight position).
//!   [`expr_from_rust`] and [`file_from_rust`] parse Rust text first.
//! * Printers: [`fast_string`] (`ToTokens` → `TokenStream::to_string`, for `slight!`) and
//!   [`pretty_file`] (`prettyplease`, for `build.rs` and `slight expand --to rust`).
//!   [`source`] picks the right entry point from the form's head.
//!
//! # The format
//!
//! Every compound form is a list whose head symbol names the construct; a function call is
//! `(call f args...)`, never a bare list. Options are `:keyword value` pairs that may appear
//! anywhere after the head; everything else is positional. Identifiers are symbols and must be
//! valid Rust identifiers (Slight names are mapped to Rust names by the lowering, not here);
//! strict Rust keywords are rejected except `self`, `Self`, `super` and `crate`.
//!
//! ## Items (at the top level, in `(mod ...)`, or as statements)
//!
//! ```text
//! (file item...)                                         a whole source file
//! (fn :name fib :pub true :async false :attrs ("inline")
//!     :params ((n i64) ((mut acc) i64)) :ret i64
//!     :body (block stmt... expr))                        fn; :params entries are (PAT TYPE)
//! (static NAME :pub true :mut false :ty T EXPR)          static NAME: T = EXPR;
//! (const NAME :pub true :ty T EXPR)                      const NAME: T = EXPR;
//! (use :pub true std collections HashMap)                use std::collections::HashMap;
//! (use std io *)  (use std fmt (as Write W))             glob, rename
//! (use std (group (fmt Write) (io *)))                   use std::{fmt::Write, io::*};
//! (mod NAME :pub true item...)                           mod NAME { item... }
//! (macro NAME "TOKENS" [paren|bracket|brace])            an item-level macro call
//! ```
//!
//! `:pub`, `:async`, `:mut` and `:global` are flags (`true`/`false`, default `false`);
//! `:attrs` is a list of strings, each the inside of an outer attribute `#[...]`. A lazily
//! initialised global is a `static` with a generic path type:
//!
//! ```text
//! (static COUNTER :ty (path once_cell sync (generic Lazy (path slight Value)))
//!   (call (path once_cell sync Lazy new) (closure () (call init))))
//! ```
//!
//! ## Statements (the elements of `(block ...)`, `(loop ...)`, `(while ...)`, `(for ...)`)
//!
//! ```text
//! (let PAT :mut true :ty T EXPR)     let mut PAT: T = EXPR;   (:mut needs a plain name;
//!                                    :ty and EXPR are optional)
//! (semi EXPR)                        EXPR;  — only needed for the last element
//! item                               a nested item
//! EXPR                               every element but the last gets a `;`; the last one is
//!                                    the block's value (tail expression)
//! ```
//!
//! Semicolons follow what rustfmt and prettyplease print, so the fast and pretty outputs agree
//! and pretty output parses back to the same forms: `while`, `for`, `if` without `else` and a
//! `loop` with no `(break ... VALUE)` inside need no `;` as statements; in a loop body, whose
//! value is always `()`, the last expression gets a `;` too. `(semi ...)` is therefore never
//! written in loop bodies, nor around an assignment, compound assignment, `break`, `continue`
//! or `return` (their value is `()` or `!` either way).
//!
//! ## Expressions
//!
//! ```text
//! x   (path a b c)   (path :global true slight Value)   a path: x, a::b::c, ::slight::Value
//! (path (generic Vec i64) new)   (generic f T)          turbofish: Vec::<i64>::new, f::<T>
//! (lit 1)  (lit 1 i64)  (lit 2.5 f64)  (lit "s")  (lit "c" char)  (lit true)
//! (call F ARG...)                    F(ARG, ...)
//! (method RECV NAME ARG...)          RECV.NAME(ARG, ...); NAME may be (generic NAME T...)
//! (field E name)  (field E 0)        E.name, E.0
//! (index E I)                        E[I]
//! (binop OP A B)                     A OP B
//! (unop - X)  (unop ! X)  (deref X)  -X, !X, *X
//! (ref X)  (ref-mut X)               &X, &mut X
//! (assign A B)                       A = B
//! (cast E T)                         E as T
//! (try E)  (await E)                 E?, E.await
//! (tuple E...)  (array E...)         (E, ...), [E, ...]; (tuple) is ()
//! (range A B)  (range-incl A B)      A..B, A..=B
//! (block stmt...)                    { stmt... }
//! (if C THEN ELSE?)                  a branch that is not (block ...) is wrapped in one;
//!                                    ELSE may be another (if ...) for `else if`
//! (loop :label L stmt...)            'L: loop { ... }   (:label is optional everywhere)
//! (while :label L C stmt...)         while C { ... }
//! (for :label L PAT ITER stmt...)    for PAT in ITER { ... }
//! (break :label L E?)  (continue :label L)  (return E?)
//! (closure :move true :ret T (PARAM...) BODY)   move |PARAM, ...| -> T BODY;
//!                                    PARAM is a name or (PAT TYPE), with TYPE _ for "untyped";
//!                                    :ret needs BODY to be a (block ...)
//! (match E (PAT BODY) (PAT GUARD BODY)...)   match E { PAT if GUARD => BODY, ... }
//! (macro NAME "TOKENS" [paren|bracket|brace])   NAME!(TOKENS); NAME may be a (path ...)
//! ```
//!
//! Binary operators are written as in Rust — `+ - * / % ^ & << >> == != < <= > >=` and the
//! compound assignments `+= -= *= /= %= ^= &= <<= >>=` — except the ones containing `|`, which
//! the Slight reader does not accept in symbols: `and` is `&&`, `or` is `||`, `bitor` is `|`
//! and `bitor=` is `|=`. Negative literals such as `(lit -1)` are accepted and produce `-1`,
//! which reads back as `(unop - (lit 1))`.
//!
//! ## Patterns and types
//!
//! ```text
//! _  x  (mut x)  (lit 1)  (path Ordering Less)        wildcard, binding, literal, path
//! (tuple P...)  (variant PATH P...)  (or P...)        (P, ...), PATH(P, ...), P | ...
//! (range-incl (lit 1) (lit 9))                        1..=9
//!
//! i64  _  (path slight Value)  (generic Vec T)        named, inferred, path, generic
//! (path std rc (generic Rc (path slight Value)))      generic segment inside a path
//! (ref T)  (ref-mut T)  (tuple T...)  (slice T)  (array T N)
//! (type T)                                            an explicit wrapper, accepted
//!                                                     wherever a type is expected
//! ```
//!
//! ## Canonical form
//!
//! The `*_from_syn` functions produce one spelling per construct, and `s → syn → s` is the
//! identity on canonical input: flags are printed only when `true`; options come right after
//! the head (or the name), in the orders shown above — `fn`: `:name :pub :async :attrs :params
//! :ret :body` (`:params` always, even when empty); `static`: `NAME :pub :mut :attrs :ty EXPR`;
//! `use`: `:pub :global :attrs`; `let`: `PAT :mut :ty EXPR`; `closure`: `:move :ret`; loops,
//! `break` and `continue`: `:label` first. Types are bare (no `(type ...)` wrapper); a
//! one-segment path is a symbol, or `(generic ...)` when it has arguments; an untyped closure
//! parameter that is a plain name or `_` is a bare symbol; an `if` branch that is a block
//! holding just one tail expression is written as that expression; macro tokens and attributes
//! are the strings `TokenStream` prints (`"1 , 2"`). Parentheses are not represented: the tree
//! gives the grouping and the printers add parentheses where precedence needs them.
//!
//! ## Example
//!
//! ```text
//! (fn :name fib :pub true :params ((n i64)) :ret i64
//!   :body (block (if (binop < n (lit 2)) n
//!                  (binop + (call fib (binop - n (lit 1))) (call fib (binop - n (lit 2)))))))
//! ```
//! is `pub fn fib(n: i64) -> i64 { if n < 2 { n } else { fib(n - 1) + fib(n - 2) } }`.

mod from_syn;
mod to_syn;

pub use from_syn::{expr_from_syn, file_from_syn, item_from_syn, pat_from_syn, type_from_syn};
pub use to_syn::{expr_to_syn, file_to_syn, item_to_syn, pat_to_syn, type_to_syn};

use crate::error::{Result, SlightError};
use crate::sexp::Sexp;
use crate::span::Span;
use quote::ToTokens;

/// Heads of the forms that are items (everything else in a file position is an error, and in
/// a statement position an expression).
pub const ITEM_HEADS: &[&str] = &["fn", "static", "const", "use", "mod"];

/// Deepest nesting of expressions, statements, items, patterns and types the converters accept
/// (counted per thread); deeper input is an error instead of a stack overflow, since the
/// converters and both printers recurse on the tree. The value keeps converting and printing
/// within an 8 MiB stack (a main thread's, and rustc's when a proc macro runs) in unoptimised
/// builds.
pub const MAX_DEPTH: usize = 256;

/// Binary operators: the s-expression symbol and the Rust spelling.
pub const BINOPS: &[(&str, &str)] = &[
    ("+", "+"),
    ("-", "-"),
    ("*", "*"),
    ("/", "/"),
    ("%", "%"),
    ("and", "&&"),
    ("or", "||"),
    ("^", "^"),
    ("&", "&"),
    ("bitor", "|"),
    ("<<", "<<"),
    (">>", ">>"),
    ("==", "=="),
    ("<", "<"),
    ("<=", "<="),
    ("!=", "!="),
    (">=", ">="),
    (">", ">"),
    ("+=", "+="),
    ("-=", "-="),
    ("*=", "*="),
    ("/=", "/="),
    ("%=", "%="),
    ("^=", "^="),
    ("&=", "&="),
    ("bitor=", "|="),
    ("<<=", "<<="),
    (">>=", ">>="),
];

/// Numeric literal suffixes accepted by `(lit N SUFFIX)`.
const INT_SUFFIXES: &[&str] =
    &["i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize", "f32", "f64"];

/// The fast printer: tokens, space separated (what a proc macro returns).
pub fn fast_string(node: &impl ToTokens) -> String {
    node.to_token_stream().to_string()
}

/// The pretty printer: `prettyplease` formatting of a whole file.
pub fn pretty_file(file: &syn::File) -> String {
    prettyplease::unparse(file)
}

/// How [`source`] prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Printer {
    Fast,
    Pretty,
}

/// Rust source text for a form: a `(file ...)`, an item, or an expression (for `Pretty`, an
/// expression is formatted inside a function and returned without it).
pub fn source(form: &Sexp, printer: Printer) -> Result<String> {
    match form.head_sym() {
        Some("file") => {
            let file = file_to_syn(form)?;
            Ok(match printer {
                // One item per line: rustc is several times slower on one huge line.
                Printer::Fast => {
                    let mut out = String::new();
                    for attr in &file.attrs {
                        out.push_str(&fast_string(attr));
                        out.push('\n');
                    }
                    for item in &file.items {
                        out.push_str(&fast_string(item));
                        out.push('\n');
                    }
                    out
                }
                Printer::Pretty => pretty_file(&file),
            })
        }
        Some(h) if ITEM_HEADS.contains(&h) => {
            let item = item_to_syn(form)?;
            Ok(match printer {
                Printer::Fast => fast_string(&item),
                Printer::Pretty => pretty_file(&one_item_file(item)),
            })
        }
        _ => {
            let expr = expr_to_syn(form)?;
            Ok(match printer {
                Printer::Fast => fast_string(&expr),
                Printer::Pretty => pretty_expr(expr),
            })
        }
    }
}

fn one_item_file(item: syn::Item) -> syn::File {
    syn::File { shebang: None, attrs: Vec::new(), items: vec![item] }
}

/// Formats an expression with prettyplease by wrapping it in `fn f() { EXPR }` and removing the
/// wrapper lines and their indentation again.
fn pretty_expr(expr: syn::Expr) -> String {
    let block = syn::Block { brace_token: Default::default(), stmts: vec![syn::Stmt::Expr(expr, None)] };
    let sig = syn::Signature {
        constness: None,
        asyncness: None,
        unsafety: None,
        abi: None,
        fn_token: Default::default(),
        ident: proc_macro2::Ident::new("f", proc_macro2::Span::call_site()),
        generics: Default::default(),
        paren_token: Default::default(),
        inputs: Default::default(),
        variadic: None,
        output: syn::ReturnType::Default,
    };
    let item = syn::ItemFn { attrs: Vec::new(), vis: syn::Visibility::Inherited, sig, block: Box::new(block) };
    let text = pretty_file(&one_item_file(syn::Item::Fn(item)));
    let lines: Vec<&str> = text.lines().collect();
    let inner = lines.get(1..lines.len().saturating_sub(1)).unwrap_or(&[]);
    inner.iter().map(|l| l.strip_prefix("    ").unwrap_or(l)).collect::<Vec<_>>().join("\n")
}

/// Parses Rust source text as an expression and converts it to the s-expression format (for
/// tests, and for writing templates in Rust syntax).
pub fn expr_from_rust(text: &str) -> Result<Sexp> {
    let expr: syn::Expr = syn::parse_str(text).map_err(|e| rust_parse_error(text, e))?;
    expr_from_syn(&expr)
}

/// Parses Rust source text as a file and converts it to a `(file ...)` form.
pub fn file_from_rust(text: &str) -> Result<Sexp> {
    let file: syn::File = syn::parse_str(text).map_err(|e| rust_parse_error(text, e))?;
    file_from_syn(&file)
}

/// Parses Rust source text as a type and converts it to the s-expression format.
pub fn type_from_rust(text: &str) -> Result<Sexp> {
    let ty: syn::Type = syn::parse_str(text).map_err(|e| rust_parse_error(text, e))?;
    type_from_syn(&ty)
}

/// Rust text as its tokens separated by single spaces (punctuation one character at a time), so
/// that texts differing only in layout compare equal — e.g. expected source in tests against
/// [`fast_string`] output, which spaces `>>` and `::<` differently from hand-written code.
pub fn normalize_tokens(text: &str) -> Result<String> {
    fn walk(tokens: proc_macro2::TokenStream, out: &mut Vec<String>) {
        use proc_macro2::{Delimiter, TokenTree};
        for t in tokens {
            match t {
                TokenTree::Group(g) => {
                    let (open, close) = match g.delimiter() {
                        Delimiter::Parenthesis => ("(", ")"),
                        Delimiter::Bracket => ("[", "]"),
                        Delimiter::Brace => ("{", "}"),
                        Delimiter::None => ("", ""),
                    };
                    out.push(open.to_string());
                    walk(g.stream(), out);
                    out.push(close.to_string());
                }
                TokenTree::Punct(p) => out.push(p.as_char().to_string()),
                other => out.push(other.to_string()),
            }
        }
    }
    let tokens: proc_macro2::TokenStream =
        text.parse().map_err(|e| SlightError::syntax(format!("invalid Rust tokens {text:?}: {e}"), Span::default()))?;
    let mut out = Vec::new();
    walk(tokens, &mut out);
    out.retain(|t| !t.is_empty());
    Ok(out.join(" "))
}

fn rust_parse_error(text: &str, e: syn::Error) -> SlightError {
    SlightError::syntax(format!("invalid Rust {text:?}: {e}"), Span::default())
}
