//! syn trees → Rust-AST s-expressions, in the canonical spelling described in the module
//! documentation. Constructs outside the format are errors naming the Rust text.

use super::{fast_string, MAX_DEPTH};
use crate::error::{Result, SlightError};
use crate::sexp::{Sexp, SexpKind};
use crate::span::Span;
use quote::ToTokens;
use std::cell::Cell;
use syn::{
    AttrStyle, Attribute, BinOp, Block, Expr, File, FnArg, GenericArgument, Item, Label, Lit, Macro, MacroDelimiter,
    Member, Pat, Path, PathArguments, RangeLimits, ReturnType, StaticMutability, Stmt, Type, UnOp, UseTree, Visibility,
};

fn unsupported(what: &str, node: &impl ToTokens) -> SlightError {
    SlightError::syntax(
        format!("rust-ast: {what} not in the s-expression format: `{}`", fast_string(node)),
        Span::default(),
    )
}

thread_local! {
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

struct Level;

impl Level {
    fn enter(node: &impl ToTokens) -> Result<Level> {
        DEPTH.with(|d| {
            if d.get() >= MAX_DEPTH {
                return Err(unsupported(&format!("nesting deeper than {MAX_DEPTH} levels is"), node));
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

fn mk(kind: SexpKind) -> Sexp {
    Sexp::new(kind, Span::default())
}
fn sym(name: &str) -> Sexp {
    mk(SexpKind::Sym(name.to_string()))
}
fn kw(name: &str) -> Sexp {
    mk(SexpKind::Keyword(name.to_string()))
}
fn list(items: Vec<Sexp>) -> Sexp {
    mk(SexpKind::List(items))
}
fn head(name: &str, rest: impl IntoIterator<Item = Sexp>) -> Sexp {
    let mut items = vec![sym(name)];
    items.extend(rest);
    list(items)
}
fn string(s: &str) -> Sexp {
    mk(SexpKind::Str(s.to_string()))
}
/// `:key true` when `on`.
fn flag(out: &mut Vec<Sexp>, key: &str, on: bool) {
    if on {
        out.push(kw(key));
        out.push(mk(SexpKind::Bool(true)));
    }
}

fn no_attrs(attrs: &[Attribute], node: &impl ToTokens) -> Result<()> {
    if attrs.is_empty() {
        Ok(())
    } else {
        Err(unsupported("attributes here are", node))
    }
}

/// `:attrs ("...")` for outer attributes.
fn attrs_opt(out: &mut Vec<Sexp>, attrs: &[Attribute]) -> Result<()> {
    if attrs.is_empty() {
        return Ok(());
    }
    let mut strs = Vec::new();
    for a in attrs {
        if !matches!(a.style, AttrStyle::Outer) {
            return Err(unsupported("an inner attribute is", a));
        }
        strs.push(string(&fast_string(&a.meta)));
    }
    out.push(kw("attrs"));
    out.push(list(strs));
    Ok(())
}

fn pub_flag(out: &mut Vec<Sexp>, vis: &Visibility) -> Result<()> {
    match vis {
        Visibility::Inherited => Ok(()),
        Visibility::Public(_) => {
            flag(out, "pub", true);
            Ok(())
        }
        Visibility::Restricted(_) => Err(unsupported("restricted visibility is", vis)),
    }
}

// ------------------------------------------------------------------------------------------
// Paths, literals, types, patterns
// ------------------------------------------------------------------------------------------

fn segment_from(seg: &syn::PathSegment) -> Result<Sexp> {
    let name = sym(&seg.ident.to_string());
    match &seg.arguments {
        PathArguments::None => Ok(name),
        PathArguments::AngleBracketed(g) => {
            let mut out = vec![sym("generic"), name];
            for a in &g.args {
                match a {
                    GenericArgument::Type(t) => out.push(type_from_syn(t)?),
                    other => return Err(unsupported("a generic argument other than a type is", other)),
                }
            }
            Ok(list(out))
        }
        PathArguments::Parenthesized(p) => Err(unsupported("a parenthesized generic argument list is", p)),
    }
}

fn path_from(p: &Path) -> Result<Sexp> {
    if p.leading_colon.is_none() && p.segments.len() == 1 {
        return segment_from(&p.segments[0]);
    }
    let mut out = vec![sym("path")];
    flag(&mut out, "global", p.leading_colon.is_some());
    for seg in &p.segments {
        out.push(segment_from(seg)?);
    }
    Ok(list(out))
}

fn lit_from(l: &Lit) -> Result<Sexp> {
    let with_suffix = |value: Sexp, suffix: &str| {
        let mut out = vec![sym("lit"), value];
        if !suffix.is_empty() {
            out.push(sym(suffix));
        }
        list(out)
    };
    match l {
        Lit::Int(i) => {
            let n: i64 = i.base10_digits().parse().map_err(|_| unsupported("an integer literal beyond i64 is", i))?;
            Ok(with_suffix(mk(SexpKind::Int(n)), i.suffix()))
        }
        Lit::Float(f) => {
            let x: f64 = f.base10_digits().parse().map_err(|_| unsupported("this float literal is", f))?;
            Ok(with_suffix(mk(SexpKind::Float(x)), f.suffix()))
        }
        Lit::Str(s) if s.suffix().is_empty() => Ok(with_suffix(string(&s.value()), "")),
        Lit::Char(c) if c.suffix().is_empty() => Ok(with_suffix(string(&c.value().to_string()), "char")),
        Lit::Bool(b) => Ok(with_suffix(mk(SexpKind::Bool(b.value)), "")),
        other => Err(unsupported("this literal is", other)),
    }
}

/// A syn type as a bare type form.
pub fn type_from_syn(t: &Type) -> Result<Sexp> {
    let _level = Level::enter(t)?;
    match t {
        Type::Path(p) if p.qself.is_none() => path_from(&p.path),
        Type::Infer(_) => Ok(sym("_")),
        Type::Reference(r) if r.lifetime.is_none() => {
            Ok(head(if r.mutability.is_some() { "ref-mut" } else { "ref" }, [type_from_syn(&r.elem)?]))
        }
        Type::Tuple(tu) => Ok(head("tuple", tu.elems.iter().map(type_from_syn).collect::<Result<Vec<_>>>()?)),
        Type::Slice(s) => Ok(head("slice", [type_from_syn(&s.elem)?])),
        Type::Array(a) => match &a.len {
            Expr::Lit(syn::ExprLit { lit: Lit::Int(n), attrs }) if attrs.is_empty() && n.suffix().is_empty() => {
                let len: i64 = n.base10_parse().map_err(|_| unsupported("this array length is", n))?;
                Ok(head("array", [type_from_syn(&a.elem)?, mk(SexpKind::Int(len))]))
            }
            _ => Err(unsupported("an array length other than a plain integer is", &a.len)),
        },
        Type::Paren(p) => type_from_syn(&p.elem),
        Type::Group(g) => type_from_syn(&g.elem),
        other => Err(unsupported("this type is", other)),
    }
}

/// A syn pattern as a pattern form.
pub fn pat_from_syn(p: &Pat) -> Result<Sexp> {
    let _level = Level::enter(p)?;
    match p {
        Pat::Wild(w) => no_attrs(&w.attrs, p).map(|_| sym("_")),
        Pat::Ident(id) if id.attrs.is_empty() && id.by_ref.is_none() && id.subpat.is_none() => {
            let name = sym(&id.ident.to_string());
            Ok(if id.mutability.is_some() { head("mut", [name]) } else { name })
        }
        Pat::Lit(l) if l.attrs.is_empty() => lit_from(&l.lit),
        Pat::Path(pp) if pp.attrs.is_empty() && pp.qself.is_none() => path_from(&pp.path),
        Pat::Tuple(t) if t.attrs.is_empty() => Ok(head("tuple", pats(t.elems.iter())?)),
        Pat::TupleStruct(t) if t.attrs.is_empty() && t.qself.is_none() => {
            let mut out = vec![path_from(&t.path)?];
            out.extend(pats(t.elems.iter())?);
            Ok(head("variant", out))
        }
        Pat::Or(o) if o.attrs.is_empty() => Ok(head("or", pats(o.cases.iter())?)),
        Pat::Range(r) if r.attrs.is_empty() && matches!(r.limits, RangeLimits::Closed(_)) => {
            match (r.start.as_deref(), r.end.as_deref()) {
                (Some(Expr::Lit(a)), Some(Expr::Lit(b))) if a.attrs.is_empty() && b.attrs.is_empty() => {
                    Ok(head("range-incl", [lit_from(&a.lit)?, lit_from(&b.lit)?]))
                }
                _ => Err(unsupported("a range pattern without two literal bounds is", p)),
            }
        }
        Pat::Paren(pp) if pp.attrs.is_empty() => pat_from_syn(&pp.pat),
        other => Err(unsupported("this pattern is", other)),
    }
}

fn pats<'a>(ps: impl Iterator<Item = &'a Pat>) -> Result<Vec<Sexp>> {
    ps.map(pat_from_syn).collect()
}

// ------------------------------------------------------------------------------------------
// Items
// ------------------------------------------------------------------------------------------

/// A syn file as `(file item...)`.
pub fn file_from_syn(f: &File) -> Result<Sexp> {
    if f.shebang.is_some() || !f.attrs.is_empty() {
        return Err(SlightError::syntax(
            "rust-ast: file-level attributes and shebangs are not in the s-expression format",
            Span::default(),
        ));
    }
    Ok(head("file", f.items.iter().map(item_from_syn).collect::<Result<Vec<_>>>()?))
}

/// A syn item as an item form.
pub fn item_from_syn(item: &Item) -> Result<Sexp> {
    let _level = Level::enter(item)?;
    match item {
        Item::Fn(f) => {
            let sig = &f.sig;
            if sig.constness.is_some()
                || sig.unsafety.is_some()
                || sig.abi.is_some()
                || sig.variadic.is_some()
                || !sig.generics.params.is_empty()
                || sig.generics.where_clause.is_some()
            {
                return Err(unsupported("a const, unsafe, extern, variadic or generic fn is", item));
            }
            let mut out = vec![sym("fn"), kw("name"), sym(&sig.ident.to_string())];
            pub_flag(&mut out, &f.vis)?;
            flag(&mut out, "async", sig.asyncness.is_some());
            attrs_opt(&mut out, &f.attrs)?;
            let mut params = Vec::new();
            for input in &sig.inputs {
                match input {
                    FnArg::Typed(pt) if pt.attrs.is_empty() => {
                        params.push(list(vec![pat_from_syn(&pt.pat)?, type_from_syn(&pt.ty)?]))
                    }
                    other => return Err(unsupported("this parameter is", other)),
                }
            }
            out.extend([kw("params"), list(params)]);
            if let ReturnType::Type(_, t) = &sig.output {
                out.extend([kw("ret"), type_from_syn(t)?]);
            }
            out.extend([kw("body"), block_from(&f.block)?]);
            Ok(list(out))
        }
        Item::Static(s) => {
            let mut out = vec![sym("static"), sym(&s.ident.to_string())];
            pub_flag(&mut out, &s.vis)?;
            flag(&mut out, "mut", matches!(s.mutability, StaticMutability::Mut(_)));
            attrs_opt(&mut out, &s.attrs)?;
            out.extend([kw("ty"), type_from_syn(&s.ty)?, expr_from_syn(&s.expr)?]);
            Ok(list(out))
        }
        Item::Const(c) => {
            if !c.generics.params.is_empty() {
                return Err(unsupported("a generic const is", item));
            }
            let mut out = vec![sym("const"), sym(&c.ident.to_string())];
            pub_flag(&mut out, &c.vis)?;
            attrs_opt(&mut out, &c.attrs)?;
            out.extend([kw("ty"), type_from_syn(&c.ty)?, expr_from_syn(&c.expr)?]);
            Ok(list(out))
        }
        Item::Use(u) => {
            let mut out = vec![sym("use")];
            pub_flag(&mut out, &u.vis)?;
            flag(&mut out, "global", u.leading_colon.is_some());
            attrs_opt(&mut out, &u.attrs)?;
            use_parts(&u.tree, &mut out)?;
            Ok(list(out))
        }
        Item::Mod(m) => {
            let Some((_, items)) = &m.content else {
                return Err(unsupported("a module without a body is", item));
            };
            if m.unsafety.is_some() {
                return Err(unsupported("an unsafe module is", item));
            }
            let mut out = vec![sym("mod"), sym(&m.ident.to_string())];
            pub_flag(&mut out, &m.vis)?;
            attrs_opt(&mut out, &m.attrs)?;
            for i in items {
                out.push(item_from_syn(i)?);
            }
            Ok(list(out))
        }
        Item::Macro(m) if m.ident.is_none() && m.attrs.is_empty() => macro_from(&m.mac),
        other => Err(unsupported("this item is", other)),
    }
}

/// Flattens a use tree into segments and a last part.
fn use_parts(tree: &UseTree, out: &mut Vec<Sexp>) -> Result<()> {
    match tree {
        UseTree::Path(p) => {
            out.push(sym(&p.ident.to_string()));
            use_parts(&p.tree, out)
        }
        UseTree::Name(n) => {
            out.push(sym(&n.ident.to_string()));
            Ok(())
        }
        UseTree::Rename(r) => {
            out.push(head("as", [sym(&r.ident.to_string()), sym(&r.rename.to_string())]));
            Ok(())
        }
        UseTree::Glob(_) => {
            out.push(sym("*"));
            Ok(())
        }
        UseTree::Group(g) => {
            let mut members = Vec::new();
            for t in &g.items {
                let mut parts = Vec::new();
                use_parts(t, &mut parts)?;
                members.push(list(parts));
            }
            out.push(head("group", members));
            Ok(())
        }
    }
}

fn macro_from(m: &Macro) -> Result<Sexp> {
    let mut out = vec![sym("macro"), path_from(&m.path)?, string(&m.tokens.to_string())];
    match m.delimiter {
        MacroDelimiter::Paren(_) => {}
        MacroDelimiter::Bracket(_) => out.push(sym("bracket")),
        MacroDelimiter::Brace(_) => out.push(sym("brace")),
    }
    Ok(list(out))
}

// ------------------------------------------------------------------------------------------
// Statements and blocks
// ------------------------------------------------------------------------------------------

fn block_from(b: &Block) -> Result<Sexp> {
    Ok(head("block", stmts_from(b, false)?))
}

/// True for expressions whose value is `()` or `!` whatever they contain, so a `;` after them
/// as the last statement changes nothing (prettyplease adds one): no `(semi ...)` is written.
fn semi_is_noise(e: &Expr) -> bool {
    match e {
        Expr::Assign(_) | Expr::Break(_) | Expr::Continue(_) | Expr::Return(_) => true,
        Expr::Binary(b) => matches!(
            b.op,
            BinOp::AddAssign(_)
                | BinOp::SubAssign(_)
                | BinOp::MulAssign(_)
                | BinOp::DivAssign(_)
                | BinOp::RemAssign(_)
                | BinOp::BitXorAssign(_)
                | BinOp::BitAndAssign(_)
                | BinOp::BitOrAssign(_)
                | BinOp::ShlAssign(_)
                | BinOp::ShrAssign(_)
        ),
        _ => false,
    }
}

/// The statements of a block; in a loop body (`loop_body`, always of type `()`) the last
/// statement's `;` is not written either.
fn stmts_from(b: &Block, loop_body: bool) -> Result<Vec<Sexp>> {
    let n = b.stmts.len();
    let mut out = Vec::with_capacity(n);
    for (i, s) in b.stmts.iter().enumerate() {
        let last = i + 1 == n;
        let form = match s {
            Stmt::Local(l) => {
                no_attrs(&l.attrs, l)?;
                let mut items = vec![sym("let")];
                let (pat, ty) = match &l.pat {
                    Pat::Type(pt) if pt.attrs.is_empty() => (&*pt.pat, Some(&*pt.ty)),
                    p => (p, None),
                };
                match pat {
                    Pat::Ident(id)
                        if id.attrs.is_empty()
                            && id.by_ref.is_none()
                            && id.subpat.is_none()
                            && id.mutability.is_some() =>
                    {
                        items.push(sym(&id.ident.to_string()));
                        flag(&mut items, "mut", true);
                    }
                    p => items.push(pat_from_syn(p)?),
                }
                if let Some(t) = ty {
                    items.extend([kw("ty"), type_from_syn(t)?]);
                }
                if let Some(init) = &l.init {
                    if init.diverge.is_some() {
                        return Err(unsupported("let-else is", l));
                    }
                    items.push(expr_from_syn(&init.expr)?);
                }
                list(items)
            }
            Stmt::Item(item) => item_from_syn(item)?,
            Stmt::Expr(e, semi) => {
                let keep_semi = last && semi.is_some() && !loop_body && !semi_is_noise(e);
                let e = expr_from_syn(e)?;
                if keep_semi {
                    head("semi", [e])
                } else {
                    e
                }
            }
            Stmt::Macro(m) => {
                no_attrs(&m.attrs, m)?;
                let e = macro_from(&m.mac)?;
                if last && m.semi_token.is_some() && !loop_body {
                    head("semi", [e])
                } else {
                    e
                }
            }
        };
        out.push(form);
    }
    Ok(out)
}

/// An `if` branch: a block holding one tail expression is written as that expression.
fn branch_from(b: &Block) -> Result<Sexp> {
    match b.stmts.as_slice() {
        [Stmt::Expr(e, semi)] if semi.is_none() || semi_is_noise(e) => expr_from_syn(e),
        _ => block_from(b),
    }
}

fn label_opt(out: &mut Vec<Sexp>, label: &Option<Label>) {
    if let Some(l) = label {
        out.extend([kw("label"), sym(&l.name.ident.to_string())]);
    }
}

fn lifetime_opt(out: &mut Vec<Sexp>, l: &Option<syn::Lifetime>) {
    if let Some(l) = l {
        out.extend([kw("label"), sym(&l.ident.to_string())]);
    }
}

fn binop_name(op: &BinOp) -> Result<&'static str> {
    Ok(match op {
        BinOp::Add(_) => "+",
        BinOp::Sub(_) => "-",
        BinOp::Mul(_) => "*",
        BinOp::Div(_) => "/",
        BinOp::Rem(_) => "%",
        BinOp::And(_) => "and",
        BinOp::Or(_) => "or",
        BinOp::BitXor(_) => "^",
        BinOp::BitAnd(_) => "&",
        BinOp::BitOr(_) => "bitor",
        BinOp::Shl(_) => "<<",
        BinOp::Shr(_) => ">>",
        BinOp::Eq(_) => "==",
        BinOp::Lt(_) => "<",
        BinOp::Le(_) => "<=",
        BinOp::Ne(_) => "!=",
        BinOp::Ge(_) => ">=",
        BinOp::Gt(_) => ">",
        BinOp::AddAssign(_) => "+=",
        BinOp::SubAssign(_) => "-=",
        BinOp::MulAssign(_) => "*=",
        BinOp::DivAssign(_) => "/=",
        BinOp::RemAssign(_) => "%=",
        BinOp::BitXorAssign(_) => "^=",
        BinOp::BitAndAssign(_) => "&=",
        BinOp::BitOrAssign(_) => "bitor=",
        BinOp::ShlAssign(_) => "<<=",
        BinOp::ShrAssign(_) => ">>=",
        other => return Err(unsupported("this binary operator is", other)),
    })
}

// ------------------------------------------------------------------------------------------
// Expressions
// ------------------------------------------------------------------------------------------

fn exprs<'a>(es: impl Iterator<Item = &'a Expr>) -> Result<Vec<Sexp>> {
    es.map(expr_from_syn).collect()
}

/// A syn expression as an expression form.
pub fn expr_from_syn(e: &Expr) -> Result<Sexp> {
    let _level = Level::enter(e)?;
    let attrs: &[Attribute] = match e {
        Expr::Array(x) => &x.attrs,
        Expr::Assign(x) => &x.attrs,
        Expr::Await(x) => &x.attrs,
        Expr::Binary(x) => &x.attrs,
        Expr::Block(x) => &x.attrs,
        Expr::Break(x) => &x.attrs,
        Expr::Call(x) => &x.attrs,
        Expr::Cast(x) => &x.attrs,
        Expr::Closure(x) => &x.attrs,
        Expr::Continue(x) => &x.attrs,
        Expr::Field(x) => &x.attrs,
        Expr::ForLoop(x) => &x.attrs,
        Expr::If(x) => &x.attrs,
        Expr::Index(x) => &x.attrs,
        Expr::Lit(x) => &x.attrs,
        Expr::Loop(x) => &x.attrs,
        Expr::Macro(x) => &x.attrs,
        Expr::Match(x) => &x.attrs,
        Expr::MethodCall(x) => &x.attrs,
        Expr::Paren(x) => &x.attrs,
        Expr::Path(x) => &x.attrs,
        Expr::Range(x) => &x.attrs,
        Expr::Reference(x) => &x.attrs,
        Expr::Return(x) => &x.attrs,
        Expr::Try(x) => &x.attrs,
        Expr::Tuple(x) => &x.attrs,
        Expr::Unary(x) => &x.attrs,
        Expr::While(x) => &x.attrs,
        _ => &[],
    };
    no_attrs(attrs, e)?;
    match e {
        Expr::Lit(l) => lit_from(&l.lit),
        Expr::Path(p) if p.qself.is_none() => path_from(&p.path),
        Expr::Paren(p) => expr_from_syn(&p.expr),
        Expr::Group(g) => expr_from_syn(&g.expr),
        Expr::Macro(m) => macro_from(&m.mac),

        Expr::Block(_)
        | Expr::If(_)
        | Expr::Loop(_)
        | Expr::While(_)
        | Expr::ForLoop(_)
        | Expr::Break(_)
        | Expr::Continue(_)
        | Expr::Return(_)
        | Expr::Closure(_)
        | Expr::Match(_) => expr_control(e),
        _ => expr_ops(e),
    }
}

#[inline(never)]
fn expr_ops(e: &Expr) -> Result<Sexp> {
    Ok(match e {
        Expr::Call(c) => {
            let mut out = vec![expr_from_syn(&c.func)?];
            out.extend(exprs(c.args.iter())?);
            head("call", out)
        }
        Expr::MethodCall(m) => {
            let name = sym(&m.method.to_string());
            let name = match &m.turbofish {
                None => name,
                Some(g) => {
                    let mut out = vec![sym("generic"), name];
                    for a in &g.args {
                        match a {
                            GenericArgument::Type(t) => out.push(type_from_syn(t)?),
                            other => return Err(unsupported("a generic argument other than a type is", other)),
                        }
                    }
                    list(out)
                }
            };
            let mut out = vec![expr_from_syn(&m.receiver)?, name];
            out.extend(exprs(m.args.iter())?);
            head("method", out)
        }
        Expr::Field(f) => {
            let member = match &f.member {
                Member::Named(id) => sym(&id.to_string()),
                Member::Unnamed(i) => mk(SexpKind::Int(i64::from(i.index))),
            };
            head("field", [expr_from_syn(&f.base)?, member])
        }
        Expr::Index(i) => head("index", [expr_from_syn(&i.expr)?, expr_from_syn(&i.index)?]),
        Expr::Binary(b) => head("binop", [sym(binop_name(&b.op)?), expr_from_syn(&b.left)?, expr_from_syn(&b.right)?]),
        Expr::Unary(u) => {
            let inner = expr_from_syn(&u.expr)?;
            match u.op {
                UnOp::Deref(_) => head("deref", [inner]),
                UnOp::Neg(_) => head("unop", [sym("-"), inner]),
                UnOp::Not(_) => head("unop", [sym("!"), inner]),
                _ => return Err(unsupported("this unary operator is", e)),
            }
        }
        Expr::Reference(r) => head(if r.mutability.is_some() { "ref-mut" } else { "ref" }, [expr_from_syn(&r.expr)?]),
        Expr::Assign(a) => head("assign", [expr_from_syn(&a.left)?, expr_from_syn(&a.right)?]),
        Expr::Cast(c) => head("cast", [expr_from_syn(&c.expr)?, type_from_syn(&c.ty)?]),
        Expr::Try(t) => head("try", [expr_from_syn(&t.expr)?]),
        Expr::Await(a) => head("await", [expr_from_syn(&a.base)?]),
        Expr::Tuple(t) => head("tuple", exprs(t.elems.iter())?),
        Expr::Array(a) => head("array", exprs(a.elems.iter())?),
        Expr::Range(r) => match (&r.start, &r.end) {
            (Some(a), Some(b)) => {
                let name = if matches!(r.limits, RangeLimits::Closed(_)) { "range-incl" } else { "range" };
                head(name, [expr_from_syn(a)?, expr_from_syn(b)?])
            }
            _ => return Err(unsupported("an open range is", e)),
        },
        other => return Err(unsupported("this expression is", other)),
    })
}

#[inline(never)]
fn expr_control(e: &Expr) -> Result<Sexp> {
    Ok(match e {
        Expr::Block(b) if b.label.is_none() => block_from(&b.block)?,
        Expr::If(i) => {
            let mut out = vec![expr_from_syn(&i.cond)?, branch_from(&i.then_branch)?];
            if let Some((_, els)) = &i.else_branch {
                out.push(match &**els {
                    Expr::If(_) => expr_from_syn(els)?,
                    Expr::Block(b) if b.label.is_none() && b.attrs.is_empty() => branch_from(&b.block)?,
                    other => return Err(unsupported("this else branch is", other)),
                });
            }
            head("if", out)
        }
        Expr::Loop(l) => {
            let mut out = vec![sym("loop")];
            label_opt(&mut out, &l.label);
            out.extend(stmts_from(&l.body, true)?);
            list(out)
        }
        Expr::While(w) => {
            let mut out = vec![sym("while")];
            label_opt(&mut out, &w.label);
            out.push(expr_from_syn(&w.cond)?);
            out.extend(stmts_from(&w.body, true)?);
            list(out)
        }
        Expr::ForLoop(f) => {
            let mut out = vec![sym("for")];
            label_opt(&mut out, &f.label);
            out.extend([pat_from_syn(&f.pat)?, expr_from_syn(&f.expr)?]);
            out.extend(stmts_from(&f.body, true)?);
            list(out)
        }
        Expr::Break(b) => {
            let mut out = vec![sym("break")];
            lifetime_opt(&mut out, &b.label);
            if let Some(x) = &b.expr {
                out.push(expr_from_syn(x)?);
            }
            list(out)
        }
        Expr::Continue(c) => {
            let mut out = vec![sym("continue")];
            lifetime_opt(&mut out, &c.label);
            list(out)
        }
        Expr::Return(r) => head("return", r.expr.as_deref().map(expr_from_syn).transpose()?),
        Expr::Closure(c) => {
            if c.lifetimes.is_some() || c.constness.is_some() || c.movability.is_some() || c.asyncness.is_some() {
                return Err(unsupported("this closure is", e));
            }
            let mut out = vec![sym("closure")];
            flag(&mut out, "move", c.capture.is_some());
            if let ReturnType::Type(_, t) = &c.output {
                out.extend([kw("ret"), type_from_syn(t)?]);
            }
            let mut params = Vec::new();
            for p in &c.inputs {
                params.push(match p {
                    Pat::Type(pt) if pt.attrs.is_empty() => list(vec![pat_from_syn(&pt.pat)?, type_from_syn(&pt.ty)?]),
                    Pat::Wild(_) => pat_from_syn(p)?,
                    Pat::Ident(id) if id.mutability.is_none() => pat_from_syn(p)?,
                    _ => list(vec![pat_from_syn(p)?, sym("_")]),
                });
            }
            out.extend([list(params), expr_from_syn(&c.body)?]);
            list(out)
        }
        Expr::Match(m) => {
            let mut out = vec![expr_from_syn(&m.expr)?];
            for arm in &m.arms {
                no_attrs(&arm.attrs, arm)?;
                let mut a = vec![pat_from_syn(&arm.pat)?];
                if let Some((_, g)) = &arm.guard {
                    a.push(expr_from_syn(g)?);
                }
                a.push(expr_from_syn(&arm.body)?);
                out.push(list(a));
            }
            head("match", out)
        }
        other => return Err(unsupported("this expression is", other)),
    })
}
