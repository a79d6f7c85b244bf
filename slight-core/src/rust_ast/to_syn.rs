//! Rust-AST s-expressions → syn trees. Every malformed form is a `SyntaxError` at the span of
//! the s-expression at fault; nothing here panics (identifiers and literals are validated before
//! syn sees them).

use super::{BINOPS, INT_SUFFIXES, ITEM_HEADS, MAX_DEPTH};
use crate::error::{Result, SlightError};
use crate::sexp::{Sexp, SexpKind};
use proc_macro2::{Span as PSpan, TokenStream, TokenTree};
use std::cell::Cell;
use syn::punctuated::Punctuated;
use syn::{
    AngleBracketedGenericArguments, Arm, AttrStyle, Attribute, BinOp, Block, Expr, ExprArray, ExprAssign, ExprAwait,
    ExprBinary, ExprBlock, ExprBreak, ExprCall, ExprCast, ExprClosure, ExprContinue, ExprField, ExprForLoop, ExprIf,
    ExprIndex, ExprLit, ExprLoop, ExprMacro, ExprMatch, ExprMethodCall, ExprPath, ExprRange, ExprReference, ExprReturn,
    ExprTry, ExprTuple, ExprUnary, ExprWhile, File, FnArg, GenericArgument, Ident, Index, Item, ItemConst, ItemFn,
    ItemMacro, ItemMod, ItemStatic, ItemUse, Label, Lifetime, Lit, LitBool, LitChar, LitFloat, LitInt, LitStr, Local,
    LocalInit, Macro, MacroDelimiter, Member, Meta, Pat, PatIdent, PatOr, PatTuple, PatTupleStruct, PatType, PatWild,
    Path, PathArguments, PathSegment, RangeLimits, ReturnType, Signature, StaticMutability, Stmt, Type, TypeArray,
    TypePath, TypeReference, TypeSlice, TypeTuple, UnOp, UseGlob, UseGroup, UseName, UsePath, UseRename, UseTree,
    Visibility,
};

fn err(at: &Sexp, msg: impl Into<String>) -> SlightError {
    SlightError::syntax(format!("rust-ast: {}", msg.into()), at.span)
}

thread_local! {
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// One level of conversion nesting, released when dropped.
struct Level;

impl Level {
    fn enter(at: &Sexp) -> Result<Level> {
        DEPTH.with(|d| {
            if d.get() >= MAX_DEPTH {
                return Err(err(at, format!("form nested too deeply (limit {MAX_DEPTH} levels)")));
            }
            d.set(d.get() + 1);
            Ok(Level)
        })
    }
}

impl Drop for Level {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

fn span() -> PSpan {
    PSpan::call_site()
}

/// The elements of a list form, or an error naming what was expected.
fn items<'a>(s: &'a Sexp, what: &str) -> Result<&'a [Sexp]> {
    if let SexpKind::Nil = s.kind {
        return Ok(&[]);
    }
    s.as_list().ok_or_else(|| err(s, format!("expected {what}, found `{s}`")))
}

/// The arguments of a form after its head: positional ones and `:key value` options.
struct Args<'a> {
    form: &'a Sexp,
    pos: Vec<&'a Sexp>,
    keys: Vec<(&'a str, &'a Sexp)>,
}

impl<'a> Args<'a> {
    /// Splits `form`'s elements after the head; `allowed` lists the accepted option names.
    fn parse(form: &'a Sexp, allowed: &[&str]) -> Result<Args<'a>> {
        let list = items(form, "a form")?;
        let head = list.first().and_then(Sexp::as_sym).unwrap_or("form");
        let mut args = Args { form, pos: Vec::new(), keys: Vec::new() };
        let mut i = 1;
        while i < list.len() {
            let x = &list[i];
            if let SexpKind::Keyword(k) = &x.kind {
                if !allowed.contains(&k.as_str()) {
                    let ok = if allowed.is_empty() {
                        "none".to_string()
                    } else {
                        allowed.iter().map(|a| format!(":{a}")).collect::<Vec<_>>().join(" ")
                    };
                    return Err(err(x, format!("unknown option :{k} for `{head}` (accepted: {ok})")));
                }
                if args.keys.iter().any(|(seen, _)| *seen == k) {
                    return Err(err(x, format!("option :{k} given twice")));
                }
                let Some(v) = list.get(i + 1) else {
                    return Err(err(x, format!("option :{k} has no value")));
                };
                args.keys.push((k, v));
                i += 2;
            } else {
                args.pos.push(x);
                i += 1;
            }
        }
        Ok(args)
    }

    fn get(&self, key: &str) -> Option<&'a Sexp> {
        self.keys.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    fn require(&self, key: &str) -> Result<&'a Sexp> {
        self.get(key).ok_or_else(|| err(self.form, format!("missing option :{key}")))
    }

    fn flag(&self, key: &str) -> Result<bool> {
        match self.get(key) {
            None => Ok(false),
            Some(v) => match v.kind {
                SexpKind::Bool(b) => Ok(b),
                _ => Err(err(v, format!("option :{key} must be true or false, found `{v}`"))),
            },
        }
    }

    /// Exactly `n` positional arguments.
    fn exactly(&self, n: usize, what: &str) -> Result<()> {
        if self.pos.len() == n {
            Ok(())
        } else {
            Err(err(self.form, format!("expected {what}, found {} argument(s)", self.pos.len())))
        }
    }
}

// ------------------------------------------------------------------------------------------
// Identifiers, paths, literals
// ------------------------------------------------------------------------------------------

/// A Rust identifier from a symbol; rejects anything the Rust lexer would not read as exactly
/// that one identifier, and the strict keywords.
fn ident_str(at: &Sexp, name: &str) -> Result<Ident> {
    let bad = || err(at, format!("`{name}` is not a valid Rust identifier"));
    let tokens: TokenStream = name.parse().map_err(|_| bad())?;
    let mut it = tokens.into_iter();
    match (it.next(), it.next()) {
        (Some(TokenTree::Ident(id)), None) if id == name && !is_reserved(name) => Ok(id),
        _ => Err(bad()),
    }
}

fn ident(s: &Sexp) -> Result<Ident> {
    match s.as_sym() {
        Some(name) => ident_str(s, name),
        None => Err(err(s, format!("expected an identifier, found `{s}`"))),
    }
}

fn label(s: &Sexp) -> Result<Label> {
    Ok(Label { name: lifetime(s)?, colon_token: Default::default() })
}

fn lifetime(s: &Sexp) -> Result<Lifetime> {
    let id = ident(s)?;
    Ok(Lifetime { apostrophe: span(), ident: id })
}

/// A path segment: a symbol or `(generic NAME T...)`; `turbofish` for expression paths.
fn segment(s: &Sexp, turbofish: bool) -> Result<PathSegment> {
    if s.head_sym() == Some("generic") {
        let list = items(s, "a path segment")?;
        let name = list.get(1).ok_or_else(|| err(s, "expected (generic NAME TYPE...)"))?;
        if list.len() < 3 {
            return Err(err(s, "expected (generic NAME TYPE...) with at least one type"));
        }
        let mut args = Punctuated::new();
        for t in &list[2..] {
            args.push(GenericArgument::Type(type_to_syn(t)?));
        }
        let arguments = PathArguments::AngleBracketed(AngleBracketedGenericArguments {
            colon2_token: turbofish.then(Default::default),
            lt_token: Default::default(),
            args,
            gt_token: Default::default(),
        });
        Ok(PathSegment { ident: ident(name)?, arguments })
    } else {
        Ok(PathSegment { ident: ident(s)?, arguments: PathArguments::None })
    }
}

/// A path: a symbol, `(generic ...)` or `(path :global BOOL seg...)`.
fn path(s: &Sexp, turbofish: bool) -> Result<Path> {
    if s.head_sym() == Some("path") {
        let args = Args::parse(s, &["global"])?;
        if args.pos.is_empty() {
            return Err(err(s, "empty path"));
        }
        let mut segments = Punctuated::new();
        for seg in &args.pos {
            segments.push(segment(seg, turbofish)?);
        }
        let leading_colon = args.flag("global")?.then(Default::default);
        Ok(Path { leading_colon, segments })
    } else if s.as_sym().is_some() || s.head_sym() == Some("generic") {
        Ok(Path::from(segment(s, turbofish)?))
    } else {
        Err(err(s, format!("expected a path, found `{s}`")))
    }
}

/// `(lit V SUFFIX?)` or a bare atom.
fn lit(s: &Sexp) -> Result<Expr> {
    let (value, suffix) = if s.head_sym() == Some("lit") {
        let list = items(s, "a literal")?;
        match list.len() {
            2 => (&list[1], None),
            3 => (&list[1], Some(&list[2])),
            _ => return Err(err(s, "expected (lit VALUE) or (lit VALUE SUFFIX)")),
        }
    } else {
        (s, None)
    };
    let suffix_str = match suffix {
        None => "",
        Some(x) => x.as_sym().ok_or_else(|| err(x, format!("expected a literal suffix, found `{x}`")))?,
    };
    let bad_suffix = || err(suffix.unwrap_or(s), format!("invalid suffix `{suffix_str}` for literal `{value}`"));
    let (literal, negative) = match &value.kind {
        SexpKind::Int(n) => {
            if !suffix_str.is_empty() && !INT_SUFFIXES.contains(&suffix_str) {
                return Err(bad_suffix());
            }
            let text = format!("{}{suffix_str}", n.unsigned_abs());
            (Lit::Int(LitInt::new(&text, span())), *n < 0)
        }
        SexpKind::Float(f) => {
            if !["", "f32", "f64"].contains(&suffix_str) {
                return Err(bad_suffix());
            }
            if !f.is_finite() {
                return Err(err(value, "a float literal must be finite"));
            }
            let text = format!("{:?}{suffix_str}", f.abs());
            (Lit::Float(LitFloat::new(&text, span())), f.is_sign_negative())
        }
        SexpKind::Str(text) => match suffix_str {
            "" => (Lit::Str(LitStr::new(text, span())), false),
            "char" => {
                let mut cs = text.chars();
                match (cs.next(), cs.next()) {
                    (Some(c), None) => (Lit::Char(LitChar::new(c, span())), false),
                    _ => return Err(err(value, "a char literal needs a string of exactly one character")),
                }
            }
            _ => return Err(bad_suffix()),
        },
        SexpKind::Bool(b) if suffix.is_none() => (Lit::Bool(LitBool::new(*b, span())), false),
        _ => return Err(err(s, format!("expected a literal (number, string or boolean), found `{value}`"))),
    };
    let expr = Expr::Lit(ExprLit { attrs: Vec::new(), lit: literal });
    Ok(if negative {
        Expr::Unary(ExprUnary { attrs: Vec::new(), op: UnOp::Neg(Default::default()), expr: Box::new(expr) })
    } else {
        expr
    })
}

fn is_atom_literal(s: &Sexp) -> bool {
    matches!(s.kind, SexpKind::Int(_) | SexpKind::Float(_) | SexpKind::Str(_) | SexpKind::Bool(_))
}

// ------------------------------------------------------------------------------------------
// Types
// ------------------------------------------------------------------------------------------

/// A type form: `i64`, `_`, `(path ...)`, `(generic ...)`, `(ref T)`, `(ref-mut T)`,
/// `(tuple T...)`, `(slice T)`, `(array T N)`, or any of these wrapped in `(type ...)`.
pub fn type_to_syn(s: &Sexp) -> Result<Type> {
    let _level = Level::enter(s)?;
    if s.is_sym("_") {
        return Ok(Type::Infer(syn::TypeInfer { underscore_token: Default::default() }));
    }
    if s.as_sym().is_some() {
        return Ok(type_path(path(s, false)?));
    }
    let list = items(s, "a type")?;
    let head = s.head_sym().ok_or_else(|| err(s, format!("expected a type, found `{s}`")))?;
    let one = |what: &str| -> Result<&Sexp> {
        match list {
            [_, x] => Ok(x),
            _ => Err(err(s, format!("expected ({head} {what})"))),
        }
    };
    match head {
        "type" => type_to_syn(one("TYPE")?),
        "path" | "generic" => Ok(type_path(path(s, false)?)),
        "ref" | "ref-mut" => Ok(Type::Reference(TypeReference {
            and_token: Default::default(),
            lifetime: None,
            mutability: (head == "ref-mut").then(Default::default),
            elem: Box::new(type_to_syn(one("TYPE")?)?),
        })),
        "tuple" => {
            let mut elems = Punctuated::new();
            for t in &list[1..] {
                elems.push(type_to_syn(t)?);
            }
            if elems.len() == 1 {
                elems.push_punct(Default::default());
            }
            Ok(Type::Tuple(TypeTuple { paren_token: Default::default(), elems }))
        }
        "slice" => {
            Ok(Type::Slice(TypeSlice { bracket_token: Default::default(), elem: Box::new(type_to_syn(one("TYPE")?)?) }))
        }
        "array" => match list {
            [_, t, n] if matches!(n.kind, SexpKind::Int(k) if k >= 0) => Ok(Type::Array(TypeArray {
                bracket_token: Default::default(),
                elem: Box::new(type_to_syn(t)?),
                semi_token: Default::default(),
                len: lit(n)?,
            })),
            _ => Err(err(s, "expected (array TYPE LENGTH) with a non-negative integer length")),
        },
        _ => Err(err(s, format!("unknown type form `{head}`"))),
    }
}

fn type_path(path: Path) -> Type {
    Type::Path(TypePath { qself: None, path })
}

// ------------------------------------------------------------------------------------------
// Patterns
// ------------------------------------------------------------------------------------------

/// A pattern form: `_`, a name, `(mut x)`, a literal, `(path ...)`, `(tuple P...)`,
/// `(variant PATH P...)`, `(or P...)`, `(range-incl A B)`.
pub fn pat_to_syn(s: &Sexp) -> Result<Pat> {
    let _level = Level::enter(s)?;
    if s.is_sym("_") {
        return Ok(Pat::Wild(PatWild { attrs: Vec::new(), underscore_token: Default::default() }));
    }
    if s.as_sym().is_some() {
        return Ok(pat_ident(ident(s)?, false));
    }
    if is_atom_literal(s) || s.head_sym() == Some("lit") {
        return match lit(s)? {
            Expr::Lit(l) => Ok(Pat::Lit(l)),
            _ => Err(err(s, "negative literal patterns are not supported")),
        };
    }
    let list = items(s, "a pattern")?;
    let head = s.head_sym().ok_or_else(|| err(s, format!("expected a pattern, found `{s}`")))?;
    let pats = |xs: &[Sexp]| -> Result<Punctuated<Pat, syn::Token![,]>> {
        let mut out = Punctuated::new();
        for x in xs {
            out.push(pat_to_syn(x)?);
        }
        Ok(out)
    };
    match head {
        "mut" => match list {
            [_, name] => Ok(pat_ident(ident(name)?, true)),
            _ => Err(err(s, "expected (mut NAME)")),
        },
        "path" | "generic" => Ok(Pat::Path(ExprPath { attrs: Vec::new(), qself: None, path: path(s, true)? })),
        "tuple" => {
            let mut elems = pats(&list[1..])?;
            if elems.len() == 1 {
                elems.push_punct(Default::default());
            }
            Ok(Pat::Tuple(PatTuple { attrs: Vec::new(), paren_token: Default::default(), elems }))
        }
        "variant" => {
            let p = list.get(1).ok_or_else(|| err(s, "expected (variant PATH PATTERN...)"))?;
            Ok(Pat::TupleStruct(PatTupleStruct {
                attrs: Vec::new(),
                qself: None,
                path: path(p, true)?,
                paren_token: Default::default(),
                elems: pats(&list[2..])?,
            }))
        }
        "or" => {
            if list.len() < 3 {
                return Err(err(s, "expected (or PATTERN PATTERN...)"));
            }
            Ok(Pat::Or(PatOr { attrs: Vec::new(), leading_vert: None, cases: pats(&list[1..])?.into_iter().collect() }))
        }
        "range-incl" => match list {
            [_, a, b] => Ok(Pat::Range(ExprRange {
                attrs: Vec::new(),
                start: Some(Box::new(lit(a)?)),
                limits: RangeLimits::Closed(Default::default()),
                end: Some(Box::new(lit(b)?)),
            })),
            _ => Err(err(s, "expected (range-incl LITERAL LITERAL)")),
        },
        _ => Err(err(s, format!("unknown pattern form `{head}`"))),
    }
}

fn pat_ident(ident: Ident, mutable: bool) -> Pat {
    Pat::Ident(PatIdent {
        attrs: Vec::new(),
        by_ref: None,
        mutability: mutable.then(Default::default),
        ident,
        subpat: None,
    })
}

// ------------------------------------------------------------------------------------------
// Items
// ------------------------------------------------------------------------------------------

/// `(file item...)`.
pub fn file_to_syn(s: &Sexp) -> Result<File> {
    if s.head_sym() != Some("file") {
        return Err(err(s, format!("expected (file ITEM...), found `{s}`")));
    }
    let list = items(s, "a file")?;
    let items = list[1..].iter().map(item_to_syn).collect::<Result<Vec<_>>>()?;
    Ok(File { shebang: None, attrs: Vec::new(), items })
}

fn vis(args: &Args) -> Result<Visibility> {
    Ok(if args.flag("pub")? { Visibility::Public(Default::default()) } else { Visibility::Inherited })
}

fn attrs(args: &Args) -> Result<Vec<Attribute>> {
    let Some(list) = args.get("attrs") else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for a in items(list, "a list of attribute strings")? {
        let SexpKind::Str(text) = &a.kind else {
            return Err(err(a, format!("expected an attribute string such as \"inline\", found `{a}`")));
        };
        let meta: Meta = syn::parse_str(text).map_err(|e| err(a, format!("invalid attribute {text:?}: {e}")))?;
        out.push(Attribute {
            pound_token: Default::default(),
            style: AttrStyle::Outer,
            bracket_token: Default::default(),
            meta,
        });
    }
    Ok(out)
}

/// An item form: `fn`, `static`, `const`, `use`, `mod` or `macro`.
pub fn item_to_syn(s: &Sexp) -> Result<Item> {
    let _level = Level::enter(s)?;
    let head = s.head_sym().ok_or_else(|| err(s, format!("expected an item form, found `{s}`")))?;
    match head {
        "fn" => item_fn(s),
        "static" | "const" => {
            let args = Args::parse(s, &["pub", "mut", "ty", "attrs"])?;
            args.exactly(2, &format!("({head} NAME :ty TYPE EXPR)"))?;
            let name = ident(args.pos[0])?;
            let ty = Box::new(type_to_syn(args.require("ty")?)?);
            let expr = Box::new(expr_to_syn(args.pos[1])?);
            let (attrs, vis) = (attrs(&args)?, vis(&args)?);
            if head == "const" {
                if args.get("mut").is_some() {
                    return Err(err(s, "a const cannot be :mut"));
                }
                return Ok(Item::Const(ItemConst {
                    attrs,
                    vis,
                    const_token: Default::default(),
                    ident: name,
                    generics: Default::default(),
                    colon_token: Default::default(),
                    ty,
                    eq_token: Default::default(),
                    expr,
                    semi_token: Default::default(),
                }));
            }
            Ok(Item::Static(ItemStatic {
                attrs,
                vis,
                static_token: Default::default(),
                mutability: if args.flag("mut")? {
                    StaticMutability::Mut(Default::default())
                } else {
                    StaticMutability::None
                },
                ident: name,
                colon_token: Default::default(),
                ty,
                eq_token: Default::default(),
                expr,
                semi_token: Default::default(),
            }))
        }
        "use" => {
            let args = Args::parse(s, &["pub", "global", "attrs"])?;
            Ok(Item::Use(ItemUse {
                attrs: attrs(&args)?,
                vis: vis(&args)?,
                use_token: Default::default(),
                leading_colon: args.flag("global")?.then(Default::default),
                tree: use_tree(s, &args.pos)?,
                semi_token: Default::default(),
            }))
        }
        "mod" => {
            let args = Args::parse(s, &["pub", "attrs"])?;
            let name = args.pos.first().ok_or_else(|| err(s, "expected (mod NAME ITEM...)"))?;
            let body = args.pos[1..].iter().map(|i| item_to_syn(i)).collect::<Result<Vec<_>>>()?;
            Ok(Item::Mod(ItemMod {
                attrs: attrs(&args)?,
                vis: vis(&args)?,
                unsafety: None,
                mod_token: Default::default(),
                ident: ident(name)?,
                content: Some((Default::default(), body)),
                semi: None,
            }))
        }
        "macro" => {
            let mac = macro_call(s)?;
            let semi_token = (!matches!(mac.delimiter, MacroDelimiter::Brace(_))).then(Default::default);
            Ok(Item::Macro(ItemMacro { attrs: Vec::new(), ident: None, mac, semi_token }))
        }
        _ => Err(err(s, format!("unknown item form `{head}`"))),
    }
}

fn item_fn(s: &Sexp) -> Result<Item> {
    let args = Args::parse(s, &["name", "pub", "async", "attrs", "params", "ret", "body"])?;
    args.exactly(0, "only options in (fn :name NAME :params (...) :ret TYPE :body (block ...))")?;
    let mut inputs = Punctuated::new();
    if let Some(params) = args.get("params") {
        for p in items(params, "a parameter list ((PATTERN TYPE)...)")? {
            let [pat, ty] = items(p, "a parameter (PATTERN TYPE)")? else {
                return Err(err(p, format!("expected a parameter (PATTERN TYPE), found `{p}`")));
            };
            inputs.push(FnArg::Typed(PatType {
                attrs: Vec::new(),
                pat: Box::new(pat_to_syn(pat)?),
                colon_token: Default::default(),
                ty: Box::new(type_to_syn(ty)?),
            }));
        }
    }
    let output = match args.get("ret") {
        None => ReturnType::Default,
        Some(t) => ReturnType::Type(Default::default(), Box::new(type_to_syn(t)?)),
    };
    let body = args.require("body")?;
    if body.head_sym() != Some("block") {
        return Err(err(body, format!("the :body of a fn must be a (block ...), found `{body}`")));
    }
    let sig = Signature {
        constness: None,
        asyncness: args.flag("async")?.then(Default::default),
        unsafety: None,
        abi: None,
        fn_token: Default::default(),
        ident: ident(args.require("name")?)?,
        generics: Default::default(),
        paren_token: Default::default(),
        inputs,
        variadic: None,
        output,
    };
    Ok(Item::Fn(ItemFn { attrs: attrs(&args)?, vis: vis(&args)?, sig, block: Box::new(block(body)?) }))
}

/// The tree of a `use`: segments, then a name, `*`, `(as NAME ALIAS)` or `(group (SEG...)...)`.
fn use_tree(at: &Sexp, parts: &[&Sexp]) -> Result<UseTree> {
    let (last, prefix) = parts.split_last().ok_or_else(|| err(at, "expected (use SEGMENT... LAST)"))?;
    let mut tree = match last.head_sym() {
        _ if last.is_sym("*") => UseTree::Glob(UseGlob { star_token: Default::default() }),
        Some("as") => match items(last, "a rename")? {
            [_, name, alias] => {
                UseTree::Rename(UseRename { ident: ident(name)?, as_token: Default::default(), rename: ident(alias)? })
            }
            _ => return Err(err(last, "expected (as NAME ALIAS)")),
        },
        Some("group") => {
            let mut trees = Punctuated::new();
            for g in &items(last, "a group")?[1..] {
                let parts: Vec<&Sexp> = items(g, "a group member (SEGMENT... LAST)")?.iter().collect();
                trees.push(use_tree(g, &parts)?);
            }
            UseTree::Group(UseGroup { brace_token: Default::default(), items: trees })
        }
        _ => UseTree::Name(UseName { ident: ident(last)? }),
    };
    for seg in prefix.iter().rev() {
        tree = UseTree::Path(UsePath { ident: ident(seg)?, colon2_token: Default::default(), tree: Box::new(tree) });
    }
    Ok(tree)
}

/// `(macro NAME "TOKENS" DELIM?)`.
fn macro_call(s: &Sexp) -> Result<Macro> {
    let list = items(s, "a macro call")?;
    let (name, body, delim) = match list {
        [_, n, b] => (n, b, None),
        [_, n, b, d] => (n, b, Some(d)),
        _ => return Err(err(s, "expected (macro NAME \"TOKENS\") or (macro NAME \"TOKENS\" paren|bracket|brace)")),
    };
    let SexpKind::Str(text) = &body.kind else {
        return Err(err(body, format!("macro tokens must be a string, found `{body}`")));
    };
    let tokens: TokenStream = text.parse().map_err(|e| err(body, format!("invalid macro tokens {text:?}: {e}")))?;
    let delimiter = match delim.map(|d| (d, d.as_sym())) {
        None | Some((_, Some("paren"))) => MacroDelimiter::Paren(Default::default()),
        Some((_, Some("bracket"))) => MacroDelimiter::Bracket(Default::default()),
        Some((_, Some("brace"))) => MacroDelimiter::Brace(Default::default()),
        Some((d, _)) => return Err(err(d, format!("macro delimiter must be paren, bracket or brace, found `{d}`"))),
    };
    Ok(Macro { path: path(name, false)?, bang_token: Default::default(), delimiter, tokens })
}

// ------------------------------------------------------------------------------------------
// Statements and blocks
// ------------------------------------------------------------------------------------------

/// `(block stmt...)` as a syn block.
fn block(s: &Sexp) -> Result<Block> {
    let list = items(s, "a block")?;
    stmts_block(&list[1..].iter().collect::<Vec<_>>(), false)
}

/// A block from a statement list: every expression but the last gets a `;` (except `while`,
/// `for` and `if` without `else`, which do not need one), the last expression is the block's
/// value. In a loop body (`loop_body`), whose value is always `()`, the last one gets a `;` too.
fn stmts_block(list: &[&Sexp], loop_body: bool) -> Result<Block> {
    let mut stmts = Vec::with_capacity(list.len());
    for (i, s) in list.iter().enumerate() {
        stmts.push(stmt(s, i + 1 == list.len() && !loop_body)?);
    }
    Ok(Block { brace_token: Default::default(), stmts })
}

/// True for expressions that need no `;` as a statement (the rule prettyplease prints by).
fn needs_no_semi(e: &Expr) -> bool {
    match e {
        Expr::ForLoop(_) | Expr::While(_) => true,
        Expr::If(i) => match &i.else_branch {
            None => true,
            Some((_, els)) => needs_no_semi(els),
        },
        _ => false,
    }
}

/// Whether a form contains a `(break ... VALUE)` anywhere (so a `loop` in it may have a value
/// and needs a `;` as a statement).
fn has_valued_break(s: &Sexp) -> bool {
    let Some(items) = s.as_list() else { return false };
    if s.head_sym() == Some("break") {
        let positional = items[1..].iter().filter(|x| !matches!(x.kind, SexpKind::Keyword(_))).count();
        let labelled = items[1..].iter().any(|x| matches!(x.kind, SexpKind::Keyword(_)));
        if positional > usize::from(labelled) {
            return true;
        }
    }
    items.iter().any(has_valued_break)
}

fn stmt(s: &Sexp, last: bool) -> Result<Stmt> {
    let _level = Level::enter(s)?;
    match s.head_sym() {
        Some("let") => local(s),
        Some(h) if ITEM_HEADS.contains(&h) => Ok(Stmt::Item(item_to_syn(s)?)),
        Some("semi") => match items(s, "a statement")? {
            [_, e] => Ok(Stmt::Expr(expr_to_syn(e)?, Some(Default::default()))),
            _ => Err(err(s, "expected (semi EXPR)")),
        },
        _ => {
            let e = expr_to_syn(s)?;
            let unit_loop = s.head_sym() == Some("loop") && !has_valued_break(s);
            let semi = (!last && !unit_loop && !needs_no_semi(&e)).then(Default::default);
            Ok(Stmt::Expr(e, semi))
        }
    }
}

/// `(let PAT :mut BOOL :ty TYPE EXPR?)`.
fn local(s: &Sexp) -> Result<Stmt> {
    let args = Args::parse(s, &["mut", "ty"])?;
    let (p, init) = match args.pos.as_slice() {
        [p] => (*p, None),
        [p, e] => (*p, Some(*e)),
        _ => return Err(err(s, "expected (let PATTERN :mut BOOL :ty TYPE EXPR)")),
    };
    let mut pat = pat_to_syn(p)?;
    if args.flag("mut")? {
        match &mut pat {
            Pat::Ident(id) if id.mutability.is_none() => id.mutability = Some(Default::default()),
            _ => return Err(err(p, "`:mut true` needs a plain name as the pattern")),
        }
    }
    if let Some(t) = args.get("ty") {
        pat = Pat::Type(PatType {
            attrs: Vec::new(),
            pat: Box::new(pat),
            colon_token: Default::default(),
            ty: Box::new(type_to_syn(t)?),
        });
    }
    let init = match init {
        None => None,
        Some(e) => Some(LocalInit { eq_token: Default::default(), expr: Box::new(expr_to_syn(e)?), diverge: None }),
    };
    Ok(Stmt::Local(Local {
        attrs: Vec::new(),
        let_token: Default::default(),
        pat,
        init,
        semi_token: Default::default(),
    }))
}

// ------------------------------------------------------------------------------------------
// Expressions
// ------------------------------------------------------------------------------------------

fn bx(s: &Sexp) -> Result<Box<Expr>> {
    expr_to_syn(s).map(Box::new)
}

fn exprs(xs: &[Sexp]) -> Result<Punctuated<Expr, syn::Token![,]>> {
    let mut out = Punctuated::new();
    for x in xs {
        out.push(expr_to_syn(x)?);
    }
    Ok(out)
}

/// A branch of `if`: a `(block ...)` as is, anything else wrapped in a block.
fn branch(s: &Sexp) -> Result<Block> {
    if s.head_sym() == Some("block") {
        block(s)
    } else {
        Ok(Block { brace_token: Default::default(), stmts: vec![Stmt::Expr(expr_to_syn(s)?, None)] })
    }
}

fn binop(s: &Sexp) -> Result<BinOp> {
    let name = s.as_sym().ok_or_else(|| err(s, format!("expected a binary operator, found `{s}`")))?;
    Ok(match name {
        "+" => BinOp::Add(Default::default()),
        "-" => BinOp::Sub(Default::default()),
        "*" => BinOp::Mul(Default::default()),
        "/" => BinOp::Div(Default::default()),
        "%" => BinOp::Rem(Default::default()),
        "and" => BinOp::And(Default::default()),
        "or" => BinOp::Or(Default::default()),
        "^" => BinOp::BitXor(Default::default()),
        "&" => BinOp::BitAnd(Default::default()),
        "bitor" => BinOp::BitOr(Default::default()),
        "<<" => BinOp::Shl(Default::default()),
        ">>" => BinOp::Shr(Default::default()),
        "==" => BinOp::Eq(Default::default()),
        "<" => BinOp::Lt(Default::default()),
        "<=" => BinOp::Le(Default::default()),
        "!=" => BinOp::Ne(Default::default()),
        ">=" => BinOp::Ge(Default::default()),
        ">" => BinOp::Gt(Default::default()),
        "+=" => BinOp::AddAssign(Default::default()),
        "-=" => BinOp::SubAssign(Default::default()),
        "*=" => BinOp::MulAssign(Default::default()),
        "/=" => BinOp::DivAssign(Default::default()),
        "%=" => BinOp::RemAssign(Default::default()),
        "^=" => BinOp::BitXorAssign(Default::default()),
        "&=" => BinOp::BitAndAssign(Default::default()),
        "bitor=" => BinOp::BitOrAssign(Default::default()),
        "<<=" => BinOp::ShlAssign(Default::default()),
        ">>=" => BinOp::ShrAssign(Default::default()),
        _ => {
            let known = BINOPS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(" ");
            return Err(err(s, format!("unknown binary operator `{name}` (known: {known})")));
        }
    })
}

/// Optional `:label L`.
fn opt_label(args: &Args) -> Result<Option<Label>> {
    args.get("label").map(label).transpose()
}

/// Checks that a form has exactly `n` arguments after its head.
fn arity(s: &Sexp, list: &[Sexp], n: usize, shape: &str) -> Result<()> {
    if list.len() == n + 1 {
        Ok(())
    } else {
        Err(err(s, format!("expected {shape}")))
    }
}

/// An expression form (see the module documentation). The forms are converted by a few
/// helpers rather than one large `match`, which keeps each recursion level's stack frame small.
/// True if the leftmost token of `e` is the `::` of a global path.
fn starts_with_global_path(e: &Expr) -> bool {
    match e {
        Expr::Path(p) => p.path.leading_colon.is_some(),
        Expr::Call(c) => starts_with_global_path(&c.func),
        Expr::MethodCall(m) => starts_with_global_path(&m.receiver),
        Expr::Field(f) => starts_with_global_path(&f.base),
        Expr::Index(i) => starts_with_global_path(&i.expr),
        Expr::Try(t) => starts_with_global_path(&t.expr),
        Expr::Cast(c) => starts_with_global_path(&c.expr),
        Expr::Binary(b) => starts_with_global_path(&b.left),
        Expr::Await(a) => starts_with_global_path(&a.base),
        _ => false,
    }
}

pub fn expr_to_syn(s: &Sexp) -> Result<Expr> {
    let _level = Level::enter(s)?;
    if s.as_sym().is_some() {
        return Ok(Expr::Path(ExprPath { attrs: Vec::new(), qself: None, path: path(s, true)? }));
    }
    if is_atom_literal(s) {
        return lit(s);
    }
    let list = items(s, "an expression")?;
    let head = s.head_sym().ok_or_else(|| err(s, format!("expected an expression form (HEAD ...), found `{s}`")))?;
    match head {
        "field" | "index" | "binop" | "unop" | "deref" | "ref" | "ref-mut" | "assign" | "cast" | "try" | "await" => {
            expr_ops(s, head, list)
        }
        "path" | "generic" | "call" | "method" | "tuple" | "array" | "range" | "range-incl" | "block" => {
            expr_compound(s, head, list)
        }
        "if" | "loop" | "while" | "for" | "break" | "continue" | "return" | "match" => expr_control(s, head, list),
        "lit" => lit(s),
        "closure" => closure(s),
        "macro" => Ok(Expr::Macro(ExprMacro { attrs: Vec::new(), mac: macro_call(s)? })),
        "let" => Err(err(s, "`let` is a statement: use it directly inside (block ...)")),
        "semi" => Err(err(s, "`semi` is a statement: use it directly inside (block ...)")),
        "type" => Err(err(s, "a type is not an expression")),
        h if ITEM_HEADS.contains(&h) => Err(err(s, format!("`{h}` is an item, not an expression"))),
        _ => Err(err(s, format!("unknown expression form `{head}`"))),
    }
}

#[inline(never)]
fn expr_ops(s: &Sexp, head: &str, list: &[Sexp]) -> Result<Expr> {
    let a = Vec::new;
    Ok(match head {
        "field" => {
            arity(s, list, 2, "(field EXPR NAME) or (field EXPR INDEX)")?;
            let member = match list[2].kind {
                SexpKind::Int(i) => Member::Unnamed(Index {
                    index: u32::try_from(i).map_err(|_| err(&list[2], "tuple field index out of range"))?,
                    span: span(),
                }),
                _ => Member::Named(ident(&list[2])?),
            };
            Expr::Field(ExprField { attrs: a(), base: bx(&list[1])?, dot_token: Default::default(), member })
        }
        "index" => {
            arity(s, list, 2, "(index EXPR INDEX)")?;
            Expr::Index(ExprIndex {
                attrs: a(),
                expr: bx(&list[1])?,
                bracket_token: Default::default(),
                index: bx(&list[2])?,
            })
        }
        "binop" => {
            arity(s, list, 3, "(binop OP LEFT RIGHT)")?;
            Expr::Binary(ExprBinary { attrs: a(), left: bx(&list[2])?, op: binop(&list[1])?, right: bx(&list[3])? })
        }
        "unop" => {
            arity(s, list, 2, "(unop - EXPR) or (unop ! EXPR)")?;
            let op = match list[1].as_sym() {
                Some("-") => UnOp::Neg(Default::default()),
                Some("!") => UnOp::Not(Default::default()),
                _ => return Err(err(&list[1], format!("unknown unary operator `{}` (known: - !)", list[1]))),
            };
            Expr::Unary(ExprUnary { attrs: a(), op, expr: bx(&list[2])? })
        }
        "deref" => {
            arity(s, list, 1, "(deref EXPR)")?;
            Expr::Unary(ExprUnary { attrs: a(), op: UnOp::Deref(Default::default()), expr: bx(&list[1])? })
        }
        "ref" | "ref-mut" => {
            arity(s, list, 1, &format!("({head} EXPR)"))?;
            Expr::Reference(ExprReference {
                attrs: a(),
                and_token: Default::default(),
                mutability: (head == "ref-mut").then(Default::default),
                expr: bx(&list[1])?,
            })
        }
        "assign" => {
            arity(s, list, 2, "(assign PLACE EXPR)")?;
            Expr::Assign(ExprAssign {
                attrs: a(),
                left: bx(&list[1])?,
                eq_token: Default::default(),
                right: bx(&list[2])?,
            })
        }
        "cast" => {
            arity(s, list, 2, "(cast EXPR TYPE)")?;
            Expr::Cast(ExprCast {
                attrs: a(),
                expr: bx(&list[1])?,
                as_token: Default::default(),
                ty: Box::new(type_to_syn(&list[2])?),
            })
        }
        "try" => {
            arity(s, list, 1, "(try EXPR)")?;
            Expr::Try(ExprTry { attrs: a(), expr: bx(&list[1])?, question_token: Default::default() })
        }
        "await" => {
            arity(s, list, 1, "(await EXPR)")?;
            Expr::Await(ExprAwait {
                attrs: a(),
                base: bx(&list[1])?,
                dot_token: Default::default(),
                await_token: Default::default(),
            })
        }
        _ => return Err(err(s, format!("unknown expression form `{head}`"))),
    })
}

#[inline(never)]
fn expr_compound(s: &Sexp, head: &str, list: &[Sexp]) -> Result<Expr> {
    let a = Vec::new;
    Ok(match head {
        "path" | "generic" => Expr::Path(ExprPath { attrs: a(), qself: None, path: path(s, true)? }),
        "call" => {
            let f = list.get(1).ok_or_else(|| err(s, "expected (call FUNCTION ARG...)"))?;
            Expr::Call(ExprCall { attrs: a(), func: bx(f)?, paren_token: Default::default(), args: exprs(&list[2..])? })
        }
        "method" => {
            let [_, recv, name, rest @ ..] = list else {
                return Err(err(s, "expected (method RECEIVER NAME ARG...)"));
            };
            let seg = segment(name, true)?;
            let turbofish = match seg.arguments {
                PathArguments::AngleBracketed(g) => Some(g),
                _ => None,
            };
            Expr::MethodCall(ExprMethodCall {
                attrs: a(),
                receiver: bx(recv)?,
                dot_token: Default::default(),
                method: seg.ident,
                turbofish,
                paren_token: Default::default(),
                args: exprs(rest)?,
            })
        }
        "tuple" => {
            let mut elems = exprs(&list[1..])?;
            if elems.len() == 1 {
                elems.push_punct(Default::default());
            }
            Expr::Tuple(ExprTuple { attrs: a(), paren_token: Default::default(), elems })
        }
        "array" => Expr::Array(ExprArray { attrs: a(), bracket_token: Default::default(), elems: exprs(&list[1..])? }),
        "range" | "range-incl" => {
            arity(s, list, 2, &format!("({head} START END)"))?;
            Expr::Range(ExprRange {
                attrs: a(),
                start: Some(bx(&list[1])?),
                limits: if head == "range" {
                    RangeLimits::HalfOpen(Default::default())
                } else {
                    RangeLimits::Closed(Default::default())
                },
                end: Some(bx(&list[2])?),
            })
        }
        "block" => Expr::Block(ExprBlock { attrs: a(), label: None, block: block(s)? }),
        _ => return Err(err(s, format!("unknown expression form `{head}`"))),
    })
}

#[inline(never)]
fn expr_control(s: &Sexp, head: &str, list: &[Sexp]) -> Result<Expr> {
    let a = Vec::new;
    Ok(match head {
        "if" => {
            let (c, then, els) = match list {
                [_, c, t] => (c, t, None),
                [_, c, t, e] => (c, t, Some(e)),
                _ => return Err(err(s, "expected (if COND THEN) or (if COND THEN ELSE)")),
            };
            let else_branch = match els {
                None => None,
                Some(e) => {
                    let expr = if e.head_sym() == Some("if") {
                        expr_to_syn(e)?
                    } else {
                        Expr::Block(ExprBlock { attrs: a(), label: None, block: branch(e)? })
                    };
                    Some((Default::default(), Box::new(expr)))
                }
            };
            Expr::If(ExprIf {
                attrs: a(),
                if_token: Default::default(),
                cond: bx(c)?,
                then_branch: branch(then)?,
                else_branch,
            })
        }
        "loop" => {
            let args = Args::parse(s, &["label"])?;
            Expr::Loop(ExprLoop {
                attrs: a(),
                label: opt_label(&args)?,
                loop_token: Default::default(),
                body: stmts_block(&args.pos, true)?,
            })
        }
        "while" => {
            let args = Args::parse(s, &["label"])?;
            let (c, body) = args.pos.split_first().ok_or_else(|| err(s, "expected (while COND STMT...)"))?;
            Expr::While(ExprWhile {
                attrs: a(),
                label: opt_label(&args)?,
                while_token: Default::default(),
                cond: bx(c)?,
                body: stmts_block(body, true)?,
            })
        }
        "for" => {
            let args = Args::parse(s, &["label"])?;
            let [p, iter, body @ ..] = args.pos.as_slice() else {
                return Err(err(s, "expected (for PATTERN ITER STMT...)"));
            };
            Expr::ForLoop(ExprForLoop {
                attrs: a(),
                label: opt_label(&args)?,
                for_token: Default::default(),
                pat: Box::new(pat_to_syn(p)?),
                in_token: Default::default(),
                expr: bx(iter)?,
                body: stmts_block(body, true)?,
            })
        }
        "break" => {
            let args = Args::parse(s, &["label"])?;
            let mut expr = match args.pos.as_slice() {
                [] => None,
                [e] => Some(bx(e)?),
                _ => return Err(err(s, "expected (break :label L EXPR?)")),
            };
            let label = args.get("label").map(lifetime).transpose()?;
            // `break 'l { ... }` reads like a labelled block: rustc warns unless it is
            // parenthesised (`break_with_label_and_loop`).
            // `break 'l ::a::b(..)` is valid Rust that syn cannot parse back (it reads `'l :` as
            // a label): a value starting with a global path is parenthesised too.
            if let (Some(_), Some(e)) = (&label, &mut expr) {
                if matches!(**e, Expr::Block(_)) || starts_with_global_path(e) {
                    let inner = std::mem::replace(&mut **e, Expr::Verbatim(Default::default()));
                    **e = Expr::Paren(syn::ExprParen {
                        attrs: a(),
                        paren_token: Default::default(),
                        expr: Box::new(inner),
                    });
                }
            }
            Expr::Break(ExprBreak { attrs: a(), break_token: Default::default(), label, expr })
        }
        "continue" => {
            let args = Args::parse(s, &["label"])?;
            args.exactly(0, "(continue :label L)")?;
            Expr::Continue(ExprContinue {
                attrs: a(),
                continue_token: Default::default(),
                label: args.get("label").map(lifetime).transpose()?,
            })
        }
        "return" => {
            let expr = match list {
                [_] => None,
                [_, e] => Some(bx(e)?),
                _ => return Err(err(s, "expected (return EXPR?)")),
            };
            Expr::Return(ExprReturn { attrs: a(), return_token: Default::default(), expr })
        }
        "match" => {
            let scrutinee = list.get(1).ok_or_else(|| err(s, "expected (match EXPR (PATTERN BODY)...)"))?;
            let mut arms = Vec::new();
            for arm in &list[2..] {
                let (p, guard, body) = match items(arm, "a match arm (PATTERN GUARD? BODY)")? {
                    [p, b] => (p, None, b),
                    [p, g, b] => (p, Some(g), b),
                    _ => return Err(err(arm, "expected a match arm (PATTERN BODY) or (PATTERN GUARD BODY)")),
                };
                let body = bx(body)?;
                let comma = (!matches!(*body, Expr::Block(_))).then(Default::default);
                arms.push(Arm {
                    attrs: a(),
                    pat: pat_to_syn(p)?,
                    guard: guard.map(|g| Ok::<_, SlightError>((Default::default(), bx(g)?))).transpose()?,
                    fat_arrow_token: Default::default(),
                    body,
                    comma,
                });
            }
            Expr::Match(ExprMatch {
                attrs: a(),
                match_token: Default::default(),
                expr: bx(scrutinee)?,
                brace_token: Default::default(),
                arms,
            })
        }
        _ => return Err(err(s, format!("unknown expression form `{head}`"))),
    })
}

/// `(closure :move BOOL :ret TYPE (PARAM...) BODY)`.
fn closure(s: &Sexp) -> Result<Expr> {
    let args = Args::parse(s, &["move", "ret"])?;
    let [params, body] = args.pos.as_slice() else {
        return Err(err(s, "expected (closure (PARAM...) BODY)"));
    };
    let mut inputs = Punctuated::new();
    for p in items(params, "a closure parameter list")? {
        let pat = if p.as_sym().is_some() {
            pat_to_syn(p)?
        } else {
            let [pat, ty] = items(p, "a closure parameter")? else {
                return Err(err(p, format!("expected a closure parameter NAME or (PATTERN TYPE), found `{p}`")));
            };
            let pat = pat_to_syn(pat)?;
            if ty.is_sym("_") {
                pat
            } else {
                Pat::Type(PatType {
                    attrs: Vec::new(),
                    pat: Box::new(pat),
                    colon_token: Default::default(),
                    ty: Box::new(type_to_syn(ty)?),
                })
            }
        };
        inputs.push(pat);
    }
    let output = match args.get("ret") {
        None => ReturnType::Default,
        Some(t) => {
            if body.head_sym() != Some("block") {
                return Err(err(body, "a closure with :ret needs a (block ...) body"));
            }
            ReturnType::Type(Default::default(), Box::new(type_to_syn(t)?))
        }
    };
    Ok(Expr::Closure(ExprClosure {
        attrs: Vec::new(),
        lifetimes: None,
        constness: None,
        movability: None,
        asyncness: None,
        capture: args.flag("move")?.then(Default::default),
        or1_token: Default::default(),
        inputs,
        or2_token: Default::default(),
        output,
        body: bx(body)?,
    }))
}

/// Keywords that cannot be identifiers here (the name rule's list; `self`, `Self`, `super` and
/// `crate` are allowed as path segments).
fn is_reserved(name: &str) -> bool {
    crate::names::KEYWORDS.contains(&name) && !matches!(name, "self" | "Self" | "super" | "crate")
}
