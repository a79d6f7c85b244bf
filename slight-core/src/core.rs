//! Core Forms: the small closed language every Slight program is expanded into.
//!
//! Both back ends match [`ExprKind`] exhaustively. The expander produces these forms with
//! variable references by name ([`VarRef::Unresolved`]); the resolver fills in the slots,
//! captures, cells and global indices, the tail flags and each lambda's [`FnInfo`].

pub mod print;

use crate::sexp::Sexp;
use crate::span::Span;

/// A type annotation (§6 of the language).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    I64,
    F64,
    Bool,
    Str,
    List,
    Map,
    Fn,
    Any,
}

impl Type {
    pub fn parse(s: &str) -> Option<Type> {
        Some(match s {
            "i64" | "int" => Type::I64,
            "f64" | "float" => Type::F64,
            "bool" => Type::Bool,
            "str" | "string" => Type::Str,
            "list" => Type::List,
            "map" => Type::Map,
            "fn" => Type::Fn,
            "any" => Type::Any,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            Type::I64 => "i64",
            Type::F64 => "f64",
            Type::Bool => "bool",
            Type::Str => "str",
            Type::List => "list",
            Type::Map => "map",
            Type::Fn => "fn",
            Type::Any => "any",
        }
    }
}

/// Index of a local variable inside its function's [`FnInfo::locals`].
pub type LocalId = u32;

/// What a variable reference resolved to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VarRef {
    Unresolved,
    /// A local of the current function; whether it lives in a cell is `FnInfo::locals[id].boxed`.
    Local(LocalId),
    /// The n-th captured variable of the current closure; `FnInfo::captures[n].boxed` says
    /// whether the capture is a shared cell.
    Capture(u32),
    /// An index into the global table.
    Global(u32),
}

/// A bound name with its optional type.
#[derive(Clone, Debug)]
pub struct Binding {
    pub name: String,
    pub ty: Option<Type>,
    pub span: Span,
    pub local: LocalId,
}

impl Binding {
    pub fn new(name: String, ty: Option<Type>, span: Span) -> Self {
        Binding { name, ty, span, local: 0 }
    }
}

/// Where a closure's captured variable comes from, in the enclosing function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaptureFrom {
    Local(LocalId),
    Capture(u32),
}

#[derive(Clone, Debug)]
pub struct CaptureInfo {
    pub name: String,
    pub from: CaptureFrom,
    /// Shared mutable cell (captured and assigned somewhere) rather than a copied value.
    pub boxed: bool,
}

#[derive(Clone, Debug)]
pub struct LocalInfo {
    pub name: String,
    /// Register slot in the function's frame.
    pub slot: u16,
    pub captured: bool,
    pub assigned: bool,
    /// Lives in a heap cell (captured and assigned, or visible to `eval`).
    pub boxed: bool,
}

/// Per-function facts computed by the resolver.
#[derive(Clone, Debug, Default)]
pub struct FnInfo {
    pub locals: Vec<LocalInfo>,
    pub captures: Vec<CaptureInfo>,
    /// Number of slots the locals need (temporaries go above).
    pub nslots: u16,
}

/// A function literal.
#[derive(Clone, Debug)]
pub struct Lambda {
    pub name: Option<String>,
    pub params: Vec<Binding>,
    pub rest: Option<Binding>,
    pub ret: Option<Type>,
    pub body: Box<Expr>,
    pub span: Span,
    pub info: FnInfo,
}

/// A `match` pattern.
#[derive(Clone, Debug)]
pub enum Pattern {
    Wildcard,
    /// Literal datum compared with `==` (numbers, strings, keywords, quoted symbols, nil, booleans).
    Literal(Sexp),
    Bind(Binding),
    /// Exactly these elements.
    List(Vec<Pattern>),
    /// At least these elements, the rest matched against the tail pattern.
    Cons(Vec<Pattern>, Box<Pattern>),
}

#[derive(Clone, Debug)]
pub struct MatchClause {
    pub pattern: Pattern,
    pub guard: Option<Expr>,
    pub body: Expr,
}

/// Primitive operations both back ends implement inline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Prim {
    Add,
    Sub,
    Mul,
    Div,
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    Not,
    Neg,
    Cons,
    Head,
    Tail,
    IsEmpty,
    List,
    /// Concatenates lists (quasiquote splicing).
    Append,
    /// Like `Append`, but the last argument is a dotted tail: a list is spliced, any other value
    /// is kept after a `.` marker (quasiquote's `(a . ,rest)`).
    AppendDotted,
    /// `e.message` field access on errors and objects.
    Field,
}

impl Prim {
    /// The global name that resolves to this primitive when called with `argc` arguments.
    pub fn for_call(name: &str, argc: usize) -> Option<Prim> {
        let p = match (name, argc) {
            ("+", 2) => Prim::Add,
            ("-", 2) => Prim::Sub,
            ("-", 1) => Prim::Neg,
            ("*", 2) => Prim::Mul,
            ("/", 2) => Prim::Div,
            ("==", 2) => Prim::Eq,
            ("!=", 2) => Prim::Ne,
            ("<", 2) => Prim::Lt,
            (">", 2) => Prim::Gt,
            ("<=", 2) => Prim::Le,
            (">=", 2) => Prim::Ge,
            ("not", 1) => Prim::Not,
            ("cons" | "list/cons", 2) => Prim::Cons,
            ("head" | "list/head", 1) => Prim::Head,
            ("tail" | "list/tail", 1) => Prim::Tail,
            ("empty?" | "list/empty?", 1) => Prim::IsEmpty,
            ("list" | "list/create", _) => Prim::List,
            _ => return None,
        };
        Some(p)
    }
    pub fn name(self) -> &'static str {
        match self {
            Prim::Add => "+",
            Prim::Sub => "-",
            Prim::Mul => "*",
            Prim::Div => "/",
            Prim::Eq => "==",
            Prim::Ne => "!=",
            Prim::Lt => "<",
            Prim::Gt => ">",
            Prim::Le => "<=",
            Prim::Ge => ">=",
            Prim::Not => "not",
            Prim::Neg => "-",
            Prim::Cons => "cons",
            Prim::Head => "head",
            Prim::Tail => "tail",
            Prim::IsEmpty => "empty?",
            Prim::List => "list",
            Prim::Append => "list/append",
            Prim::AppendDotted => "quasiquote-append",
            Prim::Field => "field",
        }
    }
}

/// A Core Form with its source span.
#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
    /// Set by the resolver: this expression's value is the function's result.
    pub tail: bool,
    /// Set by the resolver (once, bottom up): false when this form, outside nested function
    /// bodies, certainly assigns no local (no `set!` or `def` of a local, no `recur`, no
    /// `eval`). True, the safe answer, until the resolver has seen the form. The back ends ask
    /// [`Expr::may_assign_local`], which stops at once where this is false.
    pub assigns_locals: bool,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    /// A literal or quoted datum.
    Const(Sexp),
    Var {
        name: String,
        var: VarRef,
    },
    Set {
        name: String,
        var: VarRef,
        value: Box<Expr>,
    },
    /// `def`: a global at top level, otherwise a local of the enclosing body.
    Define {
        binding: Binding,
        var: VarRef,
        value: Box<Expr>,
    },
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    Lambda(Box<Lambda>),
    Call(Box<Expr>, Vec<Expr>),
    Prim(Prim, Vec<Expr>),
    Seq(Vec<Expr>),
    /// Sequential bindings, then the body.
    Let(Vec<(Binding, Expr)>, Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    /// `loop`: bindings are the loop variables, `Recur` jumps back with new values.
    Loop(Vec<(Binding, Expr)>, Box<Expr>),
    Recur(Vec<Expr>),
    Try {
        body: Box<Expr>,
        catch: Option<(Binding, Box<Expr>)>,
        finally: Option<Box<Expr>>,
    },
    Throw(Box<Expr>),
    Match(Box<Expr>, Vec<MatchClause>),
    /// `(eval form)` with the locals it can see: (name, reference) pairs, all boxed.
    Eval(Box<Expr>, Vec<(String, VarRef)>),
    /// `defmacro`: the expander already registered the name; the back end installs the function.
    DefMacro(String, Box<Lambda>),
}

impl Expr {
    /// The direct subexpressions of this form, in evaluation order, not looking into function
    /// bodies (a lambda's body runs later, in another frame).
    pub fn children(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::Const(_) | ExprKind::Var { .. } | ExprKind::Lambda(_) | ExprKind::DefMacro(..) => vec![],
            ExprKind::Set { value, .. } | ExprKind::Define { value, .. } | ExprKind::Throw(value) => vec![value],
            ExprKind::Eval(form, _) => vec![form],
            ExprKind::If(a, b, c) => vec![a, b, c],
            ExprKind::Call(f, args) => std::iter::once(&**f).chain(args.iter()).collect(),
            ExprKind::Prim(_, args)
            | ExprKind::Seq(args)
            | ExprKind::And(args)
            | ExprKind::Or(args)
            | ExprKind::Recur(args) => args.iter().collect(),
            ExprKind::Let(bindings, body) | ExprKind::Loop(bindings, body) => {
                bindings.iter().map(|(_, e)| e).chain(std::iter::once(&**body)).collect()
            }
            ExprKind::Try { body, catch, finally } => {
                let mut v: Vec<&Expr> = vec![body];
                v.extend(catch.iter().map(|(_, h)| &**h));
                v.extend(finally.iter().map(|f| &**f));
                v
            }
            ExprKind::Match(value, clauses) => {
                let mut v: Vec<&Expr> = vec![value];
                for c in clauses {
                    v.extend(c.guard.iter());
                    v.push(&c.body);
                }
                v
            }
        }
    }

    /// The locals a body defines with an inner `def` among its top forms: a back end gives each a
    /// home (`nil`, or a cell when boxed) before the body runs, so closures made earlier in the
    /// body can capture it.
    pub fn body_defines(&self) -> impl Iterator<Item = (LocalId, Span)> + '_ {
        let forms = match &self.kind {
            ExprKind::Seq(items) => items.as_slice(),
            _ => std::slice::from_ref(self),
        };
        forms.iter().filter_map(|f| match f.kind {
            ExprKind::Define { var: VarRef::Local(id), .. } => Some((id, f.span)),
            _ => None,
        })
    }

    /// What the resolver records in [`Expr::assigns_locals`], from this form's own kind and its
    /// children's flags.
    pub fn compute_assigns_locals(&self) -> bool {
        match &self.kind {
            ExprKind::Set { var: VarRef::Local(_), .. }
            | ExprKind::Define { var: VarRef::Local(_), .. }
            | ExprKind::Recur(_)
            | ExprKind::Eval(..) => true,
            _ => self.children().into_iter().any(|c| c.assigns_locals),
        }
    }

    /// True if this form (outside nested function bodies) assigns local `id` with `set!`,
    /// `def`, or (conservatively) any `recur` or `eval`.
    pub fn may_assign_local(&self, id: LocalId) -> bool {
        if !self.assigns_locals {
            return false;
        }
        match &self.kind {
            ExprKind::Set { var: VarRef::Local(l), .. } | ExprKind::Define { var: VarRef::Local(l), .. }
                if *l == id =>
            {
                true
            }
            ExprKind::Recur(_) | ExprKind::Eval(..) => true,
            _ => self.children().into_iter().any(|c| c.may_assign_local(id)),
        }
    }

    pub fn new(kind: ExprKind, span: Span) -> Self {
        Expr { kind, span, tail: false, assigns_locals: true }
    }
    pub fn nil(span: Span) -> Self {
        Expr::new(ExprKind::Const(Sexp::new(crate::sexp::SexpKind::Nil, span)), span)
    }
    pub fn constant(kind: crate::sexp::SexpKind, span: Span) -> Self {
        Expr::new(ExprKind::Const(Sexp::new(kind, span)), span)
    }
}
