//! What `slight!` and `include_slight!` expand to. The macro input becomes Slight source text
//! laid out at the tokens' own lines and columns ([`tokens`](crate::tokens)), the compiled
//! path's driver (`slight_runtime::native::driver`) compiles it to a Rust-AST s-expression,
//! `slight_core::rust_ast` turns that into syn, and syn into tokens. Compile errors become
//! `syn::Error`s at the offending Slight tokens, all the errors of a block combined.

use crate::tokens;
use proc_macro2::{Ident, Literal, Span, TokenStream, TokenTree};
use quote::quote;
use slight_runtime::native::driver::{self, CompileError, Mode, Options, Output};
use std::path::{Path, PathBuf};

/// `slight! { ... }`: the Rust items or the expression the block compiles to, or every error
/// in it (each at the offending tokens).
pub fn slight(input: TokenStream) -> syn::Result<TokenStream> {
    let (text, map) = match tokens::to_source(input) {
        Ok(x) => x,
        Err(e) => {
            let at = e.span.start();
            let message = format!("{}:{}:{}: {}", rust_file_name(), at.line, at.column + 1, e.message);
            return Err(syn::Error::new(e.span, message));
        }
    };
    let mode = choose_mode(&text);
    let name = rust_file_name();
    let mut include_paths = Vec::new();
    if let Some(dir) = Span::call_site().local_file().and_then(|f| f.parent().map(Path::to_path_buf)) {
        include_paths.push(dir);
    }
    include_paths.extend(manifest_dir());
    let opts = Options { mode, include_paths, ..Options::default() };
    match driver::compile(&name, &text, &opts) {
        Ok(out) => emit(&out, mode, &out.files).map_err(|msg| syn::Error::new(Span::call_site(), msg)),
        Err(e) => Err(combined(&e, |e| {
            let site = Span::call_site();
            if e.in_main_file {
                tokens::span_range_for(&map, e.start as usize..e.end as usize).unwrap_or((site, site))
            } else {
                (site, site)
            }
        })),
    }
}

/// Every error of a compilation as one `syn::Error` (shown by rustc as one error each), each
/// from the first to the last span `at` gives it.
fn combined(e: &CompileError, at: impl Fn(&CompileError) -> (Span, Span)) -> syn::Error {
    let mut all = e.all().map(|e| {
        let (first, last) = at(e);
        spanned(first, last, describe(e))
    });
    let mut out = all.next().expect("at least the first error");
    for e in all {
        out.combine(e);
    }
    out
}

/// An error that rustc shows from `first` to `last`.
fn spanned(first: Span, last: Span, message: String) -> syn::Error {
    let range: TokenStream =
        [Ident::new("from", first), Ident::new("to", last)].into_iter().map(TokenTree::Ident).collect();
    syn::Error::new_spanned(range, message)
}

/// `include_slight!("path")`: the Rust items the file compiles to, or every error in it (at the
/// path literal).
pub fn include_slight(input: TokenStream) -> syn::Result<TokenStream> {
    let lit = match syn::parse2::<syn::LitStr>(input) {
        Ok(lit) => lit,
        Err(e) => {
            let span = e.span();
            let span = if span.start() == span.end() { Span::call_site() } else { span };
            return Err(syn::Error::new(span, "include_slight! expects one string literal: the path of a .sl file"));
        }
    };
    let span = lit.span();
    let rel = lit.value();
    let Some(base) = manifest_dir() else {
        return Err(syn::Error::new(span, "include_slight!: CARGO_MANIFEST_DIR is not set"));
    };
    let path = base.join(&rel);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| syn::Error::new(span, format!("include_slight!: cannot read {rel}: {e}")))?;
    let mut include_paths = Vec::new();
    if let Some(dir) = path.parent() {
        include_paths.push(dir.to_path_buf());
    }
    let opts = Options { mode: Mode::Items, include_paths, ..Options::default() };
    match driver::compile(&rel, &text, &opts) {
        Ok(out) => {
            let mut files = vec![path];
            files.extend(out.files.iter().cloned());
            emit(&out, Mode::Items, &files).map_err(|msg| syn::Error::new(span, msg))
        }
        Err(e) => Err(combined(&e, |_| (span, span))),
    }
}

/// `Expr` for one form that is not a definition; `Items` otherwise (also when the text does not
/// read: the driver reports that error either way).
fn choose_mode(text: &str) -> Mode {
    const DEFINITIONS: &[&str] = &["def", "defvar", "defun", "defmacro", "defclass", "include"];
    match slight_core::Reader::read_all(text, 0).as_deref() {
        Ok([only]) if !only.head_sym().is_some_and(|h| DEFINITIONS.contains(&h)) => Mode::Expr,
        _ => Mode::Items,
    }
}

/// The compiled code as tokens, with an `include_bytes!` of every file in `files` so that the
/// crate is rebuilt when one changes.
fn emit(out: &Output, mode: Mode, files: &[PathBuf]) -> Result<TokenStream, String> {
    let internal = |e: slight_core::SlightError| format!("internal error in the Slight compiler: {}", e.message);
    let deps: Vec<TokenStream> = files
        .iter()
        .filter_map(|f| {
            let abs = std::fs::canonicalize(f).ok()?;
            let lit = Literal::string(abs.to_str()?);
            Some(quote! { const _: &[u8] = include_bytes!(#lit); })
        })
        .collect();
    Ok(match mode {
        Mode::Expr => {
            let expr = slight_core::rust_ast::expr_to_syn(&out.rust_sexp).map_err(internal)?;
            if deps.is_empty() {
                quote! { #expr }
            } else {
                quote! { { #(#deps)* #expr } }
            }
        }
        Mode::Items | Mode::Program => {
            let file = slight_core::rust_ast::file_to_syn(&out.rust_sexp).map_err(internal)?;
            let items = &file.items;
            quote! { #(#items)* #(#deps)* }
        }
    })
}

/// `file:line:col: message`, with the file relative to the crate when it is inside it.
fn describe(e: &CompileError) -> String {
    let file = shown_path(&e.file);
    if e.line == 0 {
        format!("{file}: {}", e.message)
    } else {
        format!("{file}:{}:{}: {}", e.line, e.col, e.message)
    }
}

/// A path as shown in messages and embedded in the generated code: relative paths as they
/// are, absolute ones relative to the crate if inside it, else only the file name (so nothing
/// machine-specific reaches the output).
fn shown_path(path: &str) -> String {
    let p = Path::new(path);
    if !p.is_absolute() {
        return path.to_string();
    }
    if let Some(rel) = manifest_dir().and_then(|base| p.strip_prefix(base).ok().map(Path::to_path_buf)) {
        return rel.display().to_string();
    }
    p.file_name().map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned())
}

/// The name of the Rust file of the macro call, for positions in errors.
fn rust_file_name() -> String {
    shown_path(&Span::call_site().file())
}

fn manifest_dir() -> Option<PathBuf> {
    std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slight(code: &str) -> String {
        super::slight(code.parse().unwrap()).unwrap_or_else(syn::Error::into_compile_error).to_string()
    }

    fn include(path: &str) -> String {
        include_slight(path.parse().unwrap()).unwrap_or_else(syn::Error::into_compile_error).to_string()
    }

    #[test]
    fn modes() {
        assert_eq!(choose_mode("(* n 2)"), Mode::Expr);
        assert_eq!(choose_mode("n"), Mode::Expr);
        assert_eq!(choose_mode("(list/map f xs)"), Mode::Expr);
        for items in ["", "(defun f () 1)", "(def x 1)", "(defmacro m () 1)", "(include \"x.sl\")", "1 2", "(f"] {
            assert_eq!(choose_mode(items), Mode::Items, "{items}");
        }
    }

    #[test]
    fn output_is_items_or_an_expression() {
        let items = slight("(defun add (a b) (+ a b))");
        assert!(items.contains("pub fn add") && items.contains("pub fn register"), "{items}");
        let expr = slight("(+ 1 2)");
        assert!(expr.starts_with('{') && !expr.contains("fn register"), "{expr}");
    }

    #[test]
    fn errors_become_compile_error() {
        let out = slight("(defun f (x) (let x))");
        assert!(out.contains("compile_error") && out.contains("let expects"), "{out}");
        let out = slight("(f 'c')");
        assert!(out.contains("compile_error") && out.contains("character literals"), "{out}");
        let out = slight(r##"r#"(f"#"##);
        assert!(out.contains("unclosed"), "{out}");
    }

    #[test]
    fn include_slight_names_the_file_and_position() {
        let out = include("\"fixtures/bad_arity.sl\"");
        assert!(out.contains("\"fixtures/bad_arity.sl:3:13: Wrong number of arguments: expected 2, got 1"), "{out}");
        let out = include("\"fixtures/includes_bad.sl\"");
        assert!(out.contains("\"fixtures/bad_arity.sl:3:13: Wrong number"), "{out}");
        let out = include("\"fixtures/missing.sl\"");
        assert!(out.contains("cannot read fixtures/missing.sl"), "{out}");
        let out = include("fixtures");
        assert!(out.contains("expects one string literal"), "{out}");
    }

    #[test]
    fn include_slight_depends_on_every_file() {
        let out = include("\"fixtures/good.sl\"");
        assert!(out.contains("pub fn twice"), "{out}");
        let deps = out.matches("include_bytes").count();
        assert_eq!(deps, 2, "{out}");
        let dir = std::fs::canonicalize("fixtures").unwrap();
        assert!(out.contains(&format!("{:?}", dir.join("helper.sl").display().to_string())), "{out}");
    }

    /// Random nested forms made of special-form names, annotated names and literals: the
    /// expansion never panics and is always Rust that parses (items, an expression, or a
    /// `compile_error!`).
    #[test]
    fn random_input_never_panics() {
        const ATOMS: &[&str] = &[
            "defun",
            "def",
            "defmacro",
            "fun",
            "let",
            "if",
            "loop",
            "recur",
            "try",
            "catch",
            "finally",
            "match",
            "set!",
            "quote",
            "quasiquote",
            "unquote",
            "begin",
            "cond",
            "else",
            "include",
            "eval",
            "throw",
            "defclass",
            "x",
            "f",
            "xs",
            "n:i64",
            "s:str",
            "f:f64",
            "y:bool",
            "z:int64",
            "1",
            "-2",
            "3.5",
            "\"s\"",
            ":k",
            "nil",
            "true",
            "+",
            "-",
            "<",
            "==",
            "list/map",
            "empty?",
            "_",
            ".",
            "INIT",
            "1e999",
            "9999999999999999999",
        ];
        let mut seed: u64 = 0x5eed;
        let mut next = move |n: usize| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((seed >> 33) as usize) % n
        };
        fn form(depth: usize, next: &mut dyn FnMut(usize) -> usize, out: &mut String) {
            if depth == 0 || next(3) == 0 {
                out.push_str(ATOMS[next(ATOMS.len())]);
                return;
            }
            out.push('(');
            for i in 0..next(5) {
                if i > 0 {
                    out.push(' ');
                }
                form(depth - 1, next, out);
            }
            out.push(')');
        }
        let mut compiled = 0;
        for _ in 0..1000 {
            let mut code = String::new();
            for _ in 0..1 + next(3) {
                form(4, &mut next, &mut code);
                code.push(' ');
            }
            let Ok(tokens) = code.parse::<TokenStream>() else { continue };
            let out = std::panic::catch_unwind(|| super::slight(tokens).unwrap_or_else(syn::Error::into_compile_error))
                .unwrap_or_else(|_| panic!("panicked on {code}"));
            let parses = syn::parse2::<syn::File>(out.clone()).is_ok() || syn::parse2::<syn::Expr>(out.clone()).is_ok();
            assert!(parses, "{code} gave {out}");
            compiled += usize::from(!out.to_string().contains("compile_error"));
        }
        // some of them are valid programs
        assert!(compiled > 10, "{compiled}");
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let code = format!("{}1{}", "(list ".repeat(3000), ")".repeat(3000));
        let out = slight(&code);
        assert!(out.contains("compile_error") && out.contains("nested too deeply"), "{}", &out[..out.len().min(300)]);
        // the raw-string form leaves it to the reader
        let code = format!("r\"{}1{}\"", "(list ".repeat(3000), ")".repeat(3000));
        let out = slight(&code);
        assert!(out.contains("compile_error") && out.contains("nested too deeply"), "{}", &out[..out.len().min(300)]);
    }

    #[test]
    fn shown_paths_are_not_machine_specific() {
        assert_eq!(shown_path("src/main.rs"), "src/main.rs");
        assert_eq!(shown_path("/somewhere/else/file.rs"), "file.rs");
        let inside = manifest_dir().unwrap().join("src/lib.rs");
        assert_eq!(shown_path(inside.to_str().unwrap()), "src/lib.rs");
    }
}
