//! The `slight!` and `include_slight!` proc macros: Slight compiled to Rust at build time.
//!
//! A thin layer over the compiled path's driver (`slight_runtime::native::driver`): the macro input
//! becomes Slight source text ([`tokens`]), the driver compiles it to a Rust-AST s-expression,
//! `slight_core::rust_ast` turns that into syn, and syn into the returned tokens. A compile
//! error becomes `compile_error!` at the span of the offending Slight token. Nothing here may
//! panic on any input; as a last resort a panic is caught and reported as an error at the call.

use proc_macro2::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
use quote::quote;
use slight_runtime::native::driver::{self, CompileError, Mode, Options, Output};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

mod tokens;

/// Slight code compiled to Rust at build time.
///
/// A block of definitions (`defun`, `def`, `defmacro`, `defclass`, `include`, … or several
/// forms) expands to Rust items: a public Rust function per top-level `defun` (a plain native
/// function when the `defun` is fully typed), plus `register`, `run` and `run_each`. Put each
/// such block in its own module. A single form that is not a definition is an expression; its
/// free names that Slight does not know are Rust variables, and its value converts to the
/// Rust type the context asks for:
///
/// ```ignore
/// mod math {
///     slight::slight! {
///         (defun fib:i64 (n:i64) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))
///     }
/// }
/// assert_eq!(math::fib(10), 55);
/// let n = 21;
/// let v: i64 = slight::slight!{ (* n 2) };
/// ```
///
/// Rust's lexer reads the input, so `;` comments, `#` and `{ }` are not available; write
/// `slight!(r#"..."#)` (one raw string) for the full syntax.
#[proc_macro]
pub fn slight(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    guarded(move || expand_slight(input.into())).into()
}

/// Compiles a Slight file (path relative to `CARGO_MANIFEST_DIR`) into Rust items, like a
/// `slight!` block of definitions. `include` inside it looks in the file's own directory. The
/// crate is rebuilt when the file or anything it includes changes.
///
/// ```ignore
/// mod lib { slight::include_slight!("src/lib.sl"); }
/// ```
#[proc_macro]
pub fn include_slight(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    guarded(move || expand_include(input.into())).into()
}

/// Runs `f`; a panic becomes a `compile_error!` at the macro call.
fn guarded(f: impl FnOnce() -> TokenStream) -> TokenStream {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        let site = Span::call_site();
        compile_error(site, site, &format!("internal error in the Slight compiler (please report): {what}"))
    })
}

fn expand_slight(input: TokenStream) -> TokenStream {
    let (text, map) = match tokens::to_source(input) {
        Ok(x) => x,
        Err(e) => {
            let at = e.span.start();
            let message = format!("{}:{}:{}: {}", rust_file_name(), at.line, at.column + 1, e.message);
            return compile_error(e.span, e.span, &message);
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
        Ok(out) => emit(&out, mode, &out.files).unwrap_or_else(|msg| {
            let site = Span::call_site();
            compile_error(site, site, &msg)
        }),
        Err(e) => {
            let site = Span::call_site();
            let (first, last) = if e.in_main_file {
                tokens::span_range_for(&map, e.start as usize..e.end as usize).unwrap_or((site, site))
            } else {
                (site, site)
            };
            compile_error(first, last, &describe(&e))
        }
    }
}

fn expand_include(input: TokenStream) -> TokenStream {
    let lit = match syn::parse2::<syn::LitStr>(input) {
        Ok(lit) => lit,
        Err(e) => {
            let site = Span::call_site();
            let span = e.span();
            let (first, last) = if span.start() == span.end() { (site, site) } else { (span, span) };
            return compile_error(first, last, "include_slight! expects one string literal: the path of a .sl file");
        }
    };
    let span = lit.span();
    let rel = lit.value();
    let Some(base) = manifest_dir() else {
        return compile_error(span, span, "include_slight!: CARGO_MANIFEST_DIR is not set");
    };
    let path = base.join(&rel);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => return compile_error(span, span, &format!("include_slight!: cannot read {rel}: {e}")),
    };
    let mut include_paths = Vec::new();
    if let Some(dir) = path.parent() {
        include_paths.push(dir.to_path_buf());
    }
    let opts = Options { mode: Mode::Items, include_paths, ..Options::default() };
    match driver::compile(&rel, &text, &opts) {
        Ok(out) => {
            let mut files = vec![path];
            files.extend(out.files.iter().cloned());
            emit(&out, Mode::Items, &files).unwrap_or_else(|msg| compile_error(span, span, &msg))
        }
        Err(e) => compile_error(span, span, &describe(&e)),
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

/// `::core::compile_error! { "message" }`, shown by rustc from `first` to `last`.
fn compile_error(first: Span, last: Span, message: &str) -> TokenStream {
    let punct = |c, spacing| {
        let mut p = Punct::new(c, spacing);
        p.set_span(first);
        TokenTree::Punct(p)
    };
    let mut lit = Literal::string(message);
    lit.set_span(last);
    let mut body = Group::new(Delimiter::Brace, TokenTree::Literal(lit).into());
    body.set_span(last);
    [
        punct(':', Spacing::Joint),
        punct(':', Spacing::Alone),
        TokenTree::Ident(Ident::new("core", first)),
        punct(':', Spacing::Joint),
        punct(':', Spacing::Alone),
        TokenTree::Ident(Ident::new("compile_error", first)),
        punct('!', Spacing::Alone),
        TokenTree::Group(body),
    ]
    .into_iter()
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slight(code: &str) -> String {
        expand_slight(code.parse().unwrap()).to_string()
    }

    fn include(path: &str) -> String {
        expand_include(path.parse().unwrap()).to_string()
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

    #[test]
    fn panics_become_compile_errors() {
        let out = guarded(|| panic!("boom")).to_string();
        assert!(out.contains("compile_error") && out.contains("boom"), "{out}");
        let out = guarded(|| panic!("{}", String::from("formatted"))).to_string();
        assert!(out.contains("formatted"), "{out}");
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
            let out = catch_unwind(|| expand_slight(tokens)).unwrap_or_else(|_| panic!("panicked on {code}"));
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
