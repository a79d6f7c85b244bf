//! Checks a `defkernel` form and builds its typed IR. Every error carries the span of the
//! Slight form at fault, so a bad kernel is reported where it was written (on the VM as a
//! syntax error, on the compiled path as a Rust compile error at that token).
//!
//! Typing is local and simple: parameters are annotated, a `let`/`loop` variable takes its
//! initialiser's type, and operands of an operator must have one type. Integer literals adapt
//! to the other operand (`(* 2 x)` is `f32` when `x` is), like WGSL's abstract integers.

use super::*;
use crate::error::{ErrorKind, Result, SlightError};
use crate::sexp::{Sexp, SexpKind};

/// Most array parameters a kernel may take (wgpu's default limit of storage buffers per shader
/// stage).
pub const MAX_ARRAYS: usize = 8;

fn type_err<T>(msg: impl Into<String>, span: Span) -> Result<T> {
    Err(SlightError::new(ErrorKind::Type, msg, span))
}

fn syntax_err<T>(msg: impl Into<String>, span: Span) -> Result<T> {
    Err(SlightError::syntax(msg, span))
}

/// Checks `(defkernel name (params...) body...)`, given the forms after `defkernel`.
pub fn check_kernel(args: &[Sexp], span: Span) -> Result<Kernel> {
    let [name, params, body @ ..] = args else {
        return syntax_err("defkernel expects a name, a parameter list and a body: (defkernel name ((x f32) (xs (array f32))) body...)", span);
    };
    let Some(name) = name.as_sym() else {
        return syntax_err("defkernel: the kernel's name must be a symbol", name.span);
    };
    let param_forms: &[Sexp] = match &params.kind {
        SexpKind::List(items) => items,
        SexpKind::Nil => &[],
        _ => return syntax_err("defkernel: parameters must be a list like ((a f32) (xs (array f32)))", params.span),
    };
    let mut checker = Checker { params: Vec::new(), locals: Vec::new(), scope: Vec::new(), loops: Vec::new() };
    for p in param_forms {
        let param = parse_param(p)?;
        if checker.params.iter().any(|q| q.name == param.name) {
            return syntax_err(format!("defkernel: parameter {} appears twice", param.name), p.span);
        }
        checker.params.push(param);
    }
    if checker.params.iter().filter(|p| matches!(p.ty, ParamType::Array(_))).count() > MAX_ARRAYS {
        return syntax_err(format!("defkernel: at most {MAX_ARRAYS} array parameters"), params.span);
    }
    let body = checker.seq(body, None, false, span)?;
    Ok(Kernel { name: name.to_string(), params: checker.params, locals: checker.locals, body, span })
}

/// `(name type)`, `(name (array type))` or `name:type`.
fn parse_param(p: &Sexp) -> Result<Param> {
    let bad = || syntax_err("defkernel: a parameter is (name f32|i32|u32) or (name (array f32|i32|u32))", p.span);
    let (name, ty) = match (&p.kind, p.as_list()) {
        (_, Some([name, ty])) => match name.as_sym() {
            Some(n) => (n.to_string(), param_type(ty)?),
            None => return bad(),
        },
        (SexpKind::Sym(s), _) => match s.split_once(':') {
            Some((n, t)) if !n.is_empty() => match Scalar::from_name(t) {
                Some(s) if s.is_numeric() => (n.to_string(), ParamType::Scalar(s)),
                _ => return type_err(format!("defkernel: unknown parameter type {t} (use f32, i32 or u32)"), p.span),
            },
            _ => return bad(),
        },
        _ => return bad(),
    };
    Ok(Param { name, ty, span: p.span })
}

fn param_type(ty: &Sexp) -> Result<ParamType> {
    if let Some(s) = ty.as_sym().and_then(Scalar::from_name).filter(|s| s.is_numeric()) {
        return Ok(ParamType::Scalar(s));
    }
    if let Some([head, elem]) = ty.as_list() {
        if head.is_sym("array") {
            if let Some(s) = elem.as_sym().and_then(Scalar::from_name).filter(|s| s.is_numeric()) {
                return Ok(ParamType::Array(s));
            }
        }
    }
    type_err("defkernel: unknown parameter type (use f32, i32, u32, or (array f32|i32|u32))", ty.span)
}

struct Checker {
    params: Vec<Param>,
    locals: Vec<Local>,
    /// Visible locals, innermost last.
    scope: Vec<(String, usize)>,
    /// Variable types of the enclosing loops, innermost last.
    loops: Vec<Vec<Scalar>>,
}

/// True when the type of `e` would come only from integer literals (`3`, `(- 3)`, a `let`,
/// `do` or `if` whose values are such literals): its type is then taken from the other
/// operands.
fn is_int_literal(e: &Sexp) -> bool {
    match &e.kind {
        SexpKind::Int(_) => true,
        SexpKind::List(items) => match items.as_slice() {
            // Arithmetic on such literals only (`(- 3)`, `(/ 3 3)`, `(min 1 2)`).
            [head, args @ ..]
                if !args.is_empty()
                    && head.as_sym().is_some_and(|h| {
                        matches!(
                            h,
                            "+" | "-"
                                | "*"
                                | "/"
                                | "rem"
                                | "%"
                                | "mod"
                                | "min"
                                | "max"
                                | "abs"
                                | "math/min"
                                | "math/max"
                                | "math/abs"
                        )
                    }) =>
            {
                args.iter().all(is_int_literal)
            }
            [head, _, rest @ ..] if head.is_sym("let") && !rest.is_empty() => rest.last().is_some_and(is_int_literal),
            [head, rest @ ..] if (head.is_sym("do") || head.is_sym("begin")) && !rest.is_empty() => {
                rest.last().is_some_and(is_int_literal)
            }
            [head, _, a, b] if head.is_sym("if") => is_int_literal(a) && is_int_literal(b),
            _ => false,
        },
        _ => false,
    }
}

fn binop(name: &str) -> Option<BinOp> {
    Some(match name {
        "+" => BinOp::Add,
        "-" => BinOp::Sub,
        "*" => BinOp::Mul,
        "/" => BinOp::Div,
        "rem" | "%" => BinOp::Rem,
        "mod" => BinOp::Mod,
        "<" => BinOp::Lt,
        "<=" => BinOp::Le,
        ">" => BinOp::Gt,
        ">=" => BinOp::Ge,
        "=" | "==" => BinOp::Eq,
        "!=" | "/=" => BinOp::Ne,
        "bit-and" => BinOp::BitAnd,
        "bit-or" => BinOp::BitOr,
        "bit-xor" => BinOp::BitXor,
        _ => return None,
    })
}

fn math_fn(name: &str) -> Option<MathFn> {
    let name = name.strip_prefix("math/").unwrap_or(name);
    Some(match name {
        "abs" => MathFn::Abs,
        "min" => MathFn::Min,
        "max" => MathFn::Max,
        "sqrt" => MathFn::Sqrt,
        "floor" => MathFn::Floor,
        "ceil" => MathFn::Ceil,
        "round" => MathFn::Round,
        "trunc" => MathFn::Trunc,
        "sin" => MathFn::Sin,
        "cos" => MathFn::Cos,
        "tan" => MathFn::Tan,
        "exp" => MathFn::Exp,
        "log" => MathFn::Log,
        "pow" => MathFn::Pow,
        _ => return None,
    })
}

fn mk(kind: KExprKind, ty: Ty, span: Span) -> KExpr {
    KExpr { kind, ty, span }
}

/// The type both branches of an `if` give.
fn unify(a: Ty, b: Ty, span: Span) -> Result<Ty> {
    match (a, b) {
        (x, y) if x == y => Ok(x),
        (Ty::Never, x) | (x, Ty::Never) => Ok(x),
        (Ty::Unit, _) | (_, Ty::Unit) => Ok(Ty::Unit),
        (Ty::Scalar(x), Ty::Scalar(y)) => {
            type_err(format!("the branches of this if have different types: {} and {}", x.name(), y.name()), span)
        }
    }
}

impl Checker {
    /// A body of forms: all but the last for their effect; the last gives the value.
    fn seq(&mut self, forms: &[Sexp], want: Option<Scalar>, tail: bool, span: Span) -> Result<KExpr> {
        match forms {
            [] => Ok(mk(KExprKind::Seq(Vec::new()), Ty::Unit, span)),
            [one] => self.expr(one, want, tail),
            [init @ .., last] => {
                let mut items = Vec::with_capacity(forms.len());
                for f in init {
                    items.push(self.expr(f, None, false)?);
                }
                let last = self.expr(last, want, tail)?;
                let ty = last.ty;
                items.push(last);
                Ok(mk(KExprKind::Seq(items), ty, span))
            }
        }
    }

    /// An expression that must produce a scalar.
    fn value(&mut self, e: &Sexp, want: Option<Scalar>) -> Result<KExpr> {
        let k = self.expr(e, want, false)?;
        match k.ty {
            Ty::Scalar(_) => Ok(k),
            Ty::Never => syntax_err("recur must be in tail position of a loop", e.span),
            Ty::Unit => type_err("this expression has no value", e.span),
        }
    }

    /// An expression that must have type `want`.
    fn typed(&mut self, e: &Sexp, want: Scalar) -> Result<KExpr> {
        let k = self.value(e, Some(want))?;
        self.expect(&k, want)?;
        Ok(k)
    }

    fn expect(&self, k: &KExpr, want: Scalar) -> Result<()> {
        if k.ty == Ty::Scalar(want) {
            return Ok(());
        }
        let hint = if want.is_numeric() { format!(" (convert with ({} x))", want.name()) } else { String::new() };
        type_err(format!("expected {}, found {}{hint}", want.name(), k.ty.name()), k.span)
    }

    fn scalar_of(k: &KExpr) -> Scalar {
        match k.ty {
            Ty::Scalar(s) => s,
            _ => unreachable!("value() checked"),
        }
    }

    fn expr(&mut self, e: &Sexp, want: Option<Scalar>, tail: bool) -> Result<KExpr> {
        let span = e.span;
        match &e.kind {
            SexpKind::Int(i) => self.int_literal(*i, want, span),
            SexpKind::Float(f) => match want {
                None | Some(Scalar::F32) => {
                    Ok(mk(KExprKind::Const(Lit::F32(*f as f32)), Ty::Scalar(Scalar::F32), span))
                }
                Some(other) => type_err(format!("expected {}, found a float literal", other.name()), span),
            },
            SexpKind::Bool(b) => Ok(mk(KExprKind::Const(Lit::Bool(*b)), Ty::Scalar(Scalar::Bool), span)),
            SexpKind::Sym(name) => self.name(name, span),
            SexpKind::List(items) if !items.is_empty() => self.form(items, want, tail, span),
            _ => syntax_err("kernels compute with numbers and booleans only", span),
        }
    }

    fn int_literal(&self, i: i64, want: Option<Scalar>, span: Span) -> Result<KExpr> {
        let lit = match want.unwrap_or(Scalar::I32) {
            Scalar::F32 => Lit::F32(i as f32),
            Scalar::U32 => match u32::try_from(i) {
                Ok(u) => Lit::U32(u),
                Err(_) => return type_err(format!("{i} does not fit in u32"), span),
            },
            Scalar::I32 => match i32::try_from(i) {
                Ok(v) => Lit::I32(v),
                Err(_) => return type_err(format!("{i} does not fit in i32"), span),
            },
            Scalar::Bool => return type_err("expected bool, found an integer literal", span),
        };
        let ty = match lit {
            Lit::F32(_) => Scalar::F32,
            Lit::U32(_) => Scalar::U32,
            _ => Scalar::I32,
        };
        Ok(mk(KExprKind::Const(lit), Ty::Scalar(ty), span))
    }

    fn name(&self, name: &str, span: Span) -> Result<KExpr> {
        if let Some(&(_, slot)) = self.scope.iter().rev().find(|(n, _)| n == name) {
            return Ok(mk(KExprKind::Local(slot), Ty::Scalar(self.locals[slot].ty), span));
        }
        match self.params.iter().position(|p| p.name == name) {
            Some(i) => match self.params[i].ty {
                ParamType::Scalar(s) => Ok(mk(KExprKind::Param(i), Ty::Scalar(s), span)),
                ParamType::Array(_) => type_err(
                    format!("{name} is an array: read it with (at {name} i), its size with (len {name})"),
                    span,
                ),
            },
            None => syntax_err(
                format!("unknown name in kernel: {name} (a kernel sees only its parameters and local variables)"),
                span,
            ),
        }
    }

    fn array_param(&self, e: &Sexp) -> Result<(usize, Scalar)> {
        if let Some(name) = e.as_sym() {
            if let Some(i) = self.params.iter().position(|p| p.name == name) {
                if let ParamType::Array(s) = self.params[i].ty {
                    return Ok((i, s));
                }
            }
        }
        type_err("expected an array parameter of the kernel", e.span)
    }

    fn arity(name: &str, args: &[Sexp], n: usize, span: Span) -> Result<()> {
        if args.len() == n {
            return Ok(());
        }
        syntax_err(
            format!("{name} expects {n} argument{} in a kernel, got {}", if n == 1 { "" } else { "s" }, args.len()),
            span,
        )
    }

    fn form(&mut self, items: &[Sexp], want: Option<Scalar>, tail: bool, span: Span) -> Result<KExpr> {
        let Some(head) = items[0].as_sym() else {
            return syntax_err("kernels cannot call function values", items[0].span);
        };
        let args = &items[1..];
        match head {
            "let" | "loop" => self.let_form(head == "loop", args, want, tail, span),
            "recur" => self.recur(args, tail, span),
            "if" => {
                if !(2..=3).contains(&args.len()) {
                    return syntax_err("if expects a test, a then-branch and an optional else-branch", span);
                }
                let test = self.typed(&args[0], Scalar::Bool)?;
                // A literal branch takes the other branch's type: check that one first.
                let literal_first =
                    want.is_none() && args.len() == 3 && is_int_literal(&args[1]) && !is_int_literal(&args[2]);
                let (then, other) = if literal_first {
                    let other = self.expr(&args[2], want, tail)?;
                    let hint = match other.ty {
                        Ty::Scalar(s) => Some(s),
                        _ => None,
                    };
                    (self.expr(&args[1], hint, tail)?, Some(other))
                } else {
                    let then = self.expr(&args[1], want, tail)?;
                    let hint = want.or(match then.ty {
                        Ty::Scalar(s) => Some(s),
                        _ => None,
                    });
                    let other = match args.get(2) {
                        Some(e) => Some(self.expr(e, hint, tail)?),
                        None => None,
                    };
                    (then, other)
                };
                let (other, ty) = match other {
                    Some(other) => {
                        let ty = unify(then.ty, other.ty, other.span)?;
                        (Some(Box::new(other)), ty)
                    }
                    None => (None, Ty::Unit),
                };
                Ok(mk(KExprKind::If(Box::new(test), Box::new(then), other), ty, span))
            }
            "when" | "unless" => {
                let Some(test) = args.first() else { return syntax_err(format!("{head} expects a test"), span) };
                let mut test = self.typed(test, Scalar::Bool)?;
                if head == "unless" {
                    let s = test.span;
                    test = mk(KExprKind::Unary(UnOp::Not, Box::new(test)), Ty::Scalar(Scalar::Bool), s);
                }
                let body = self.seq(&args[1..], None, tail, span)?;
                Ok(mk(KExprKind::If(Box::new(test), Box::new(body), None), Ty::Unit, span))
            }
            "cond" => self.cond(args, want, tail, span),
            "do" | "begin" => self.seq(args, want, tail, span),
            "set!" => {
                Self::arity(head, args, 2, span)?;
                let Some(name) = args[0].as_sym() else {
                    return syntax_err("set! expects a variable name", args[0].span);
                };
                let Some(&(_, slot)) = self.scope.iter().rev().find(|(n, _)| n == name) else {
                    return syntax_err(
                        format!("set!: {name} is not a local variable of the kernel (parameters cannot be assigned)"),
                        args[0].span,
                    );
                };
                let v = self.typed(&args[1], self.locals[slot].ty)?;
                Ok(mk(KExprKind::Set(slot, Box::new(v)), Ty::Unit, span))
            }
            "and" | "or" => {
                let and = head == "and";
                let mut operands = Vec::new();
                for a in args {
                    operands.push(self.typed(a, Scalar::Bool)?);
                }
                let mut iter = operands.into_iter().rev();
                let Some(mut acc) = iter.next() else {
                    return Ok(mk(KExprKind::Const(Lit::Bool(and)), Ty::Scalar(Scalar::Bool), span));
                };
                for left in iter {
                    acc = mk(
                        KExprKind::Logic { and, left: Box::new(left), right: Box::new(acc) },
                        Ty::Scalar(Scalar::Bool),
                        span,
                    );
                }
                Ok(acc)
            }
            "not" => {
                Self::arity(head, args, 1, span)?;
                let v = self.typed(&args[0], Scalar::Bool)?;
                Ok(mk(KExprKind::Unary(UnOp::Not, Box::new(v)), Ty::Scalar(Scalar::Bool), span))
            }
            "f32" | "i32" | "u32" => {
                Self::arity(head, args, 1, span)?;
                let to = Scalar::from_name(head).expect("a scalar name");
                let v = self.value(&args[0], None)?;
                if !Self::scalar_of(&v).is_numeric() {
                    return type_err(format!("({head} x) converts numbers, found bool"), v.span);
                }
                Ok(mk(KExprKind::Cast(to, Box::new(v)), Ty::Scalar(to), span))
            }
            "gpu/id" | "gpu/size" => {
                Self::arity(head, args, 0, span)?;
                let kind = if head == "gpu/id" { KExprKind::Id } else { KExprKind::Size };
                Ok(mk(kind, Ty::Scalar(Scalar::I32), span))
            }
            "len" | "gpu/len" => {
                Self::arity(head, args, 1, span)?;
                let (arr, _) = self.array_param(&args[0])?;
                Ok(mk(KExprKind::Len(arr), Ty::Scalar(Scalar::I32), span))
            }
            "at" => {
                Self::arity(head, args, 2, span)?;
                let (arr, elem) = self.array_param(&args[0])?;
                let index = self.index(&args[1])?;
                Ok(mk(KExprKind::At(arr, Box::new(index)), Ty::Scalar(elem), span))
            }
            "set-at!" => {
                Self::arity(head, args, 3, span)?;
                let (arr, elem) = self.array_param(&args[0])?;
                let index = self.index(&args[1])?;
                let v = self.typed(&args[2], elem)?;
                Ok(mk(KExprKind::SetAt(arr, Box::new(index), Box::new(v)), Ty::Unit, span))
            }
            _ => {
                if let Some(op) = binop(head) {
                    return self.arith(head, op, args, want, span);
                }
                if let Some(f) = math_fn(head) {
                    return self.math(head, f, args, want, span);
                }
                syntax_err(
                    format!("{head} is not available in kernels (they use arithmetic, comparisons, math/ functions, if, let, loop, at, set-at!, gpu/id)"),
                    items[0].span,
                )
            }
        }
    }

    fn index(&mut self, e: &Sexp) -> Result<KExpr> {
        let i = self.value(e, None)?;
        match Self::scalar_of(&i) {
            Scalar::I32 | Scalar::U32 => Ok(i),
            other => type_err(format!("an array index must be i32 or u32, found {}", other.name()), i.span),
        }
    }

    /// Checks operands that must share one numeric type; that type.
    fn operands(&mut self, args: &[Sexp], want: Option<Scalar>) -> Result<(Vec<KExpr>, Scalar)> {
        // The type comes from the first operand that is not an integer literal.
        let anchor = args.iter().position(|a| !is_int_literal(a));
        let ty = match anchor {
            Some(i) => {
                let k = self.value(&args[i], want)?;
                Self::scalar_of(&k)
            }
            None => want.filter(|w| w.is_numeric()).unwrap_or(Scalar::I32),
        };
        let mut out = Vec::with_capacity(args.len());
        for a in args {
            out.push(self.typed(a, ty)?);
        }
        Ok((out, ty))
    }

    fn arith(&mut self, head: &str, op: BinOp, args: &[Sexp], want: Option<Scalar>, span: Span) -> Result<KExpr> {
        let comparison = op.is_comparison();
        let want = if comparison { None } else { want };
        match (op, args.len()) {
            (_, 0) => return syntax_err(format!("{head} expects operands"), span),
            (BinOp::Sub, 1) => {
                let v = self.value(&args[0], want)?;
                let ty = Self::scalar_of(&v);
                if !matches!(ty, Scalar::F32 | Scalar::I32) {
                    return type_err(format!("cannot negate {}", ty.name()), span);
                }
                match v.kind {
                    KExprKind::Const(Lit::F32(f)) => return Ok(mk(KExprKind::Const(Lit::F32(-f)), v.ty, span)),
                    KExprKind::Const(Lit::I32(i)) if i != i32::MIN => {
                        return Ok(mk(KExprKind::Const(Lit::I32(-i)), v.ty, span))
                    }
                    _ => {}
                }
                return Ok(mk(KExprKind::Unary(UnOp::Neg, Box::new(v)), Ty::Scalar(ty), span));
            }
            (BinOp::Add | BinOp::Mul, 1) => return self.operands(args, want).map(|(mut v, _)| v.remove(0)),
            (_, 1) => return syntax_err(format!("{head} expects two operands in a kernel"), span),
            (_, n) if n > 2 && (comparison || matches!(op, BinOp::Rem | BinOp::Mod)) => {
                return syntax_err(format!("{head} expects two operands in a kernel"), span)
            }
            _ => {}
        }
        let (operands, ty) = self.operands(args, want)?;
        let ok = match op {
            BinOp::Eq | BinOp::Ne => true,
            BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor => matches!(ty, Scalar::I32 | Scalar::U32),
            _ => ty.is_numeric(),
        };
        if !ok {
            return type_err(format!("{head} does not take {} operands", ty.name()), span);
        }
        let result = if comparison { Scalar::Bool } else { ty };
        let mut iter = operands.into_iter();
        let mut acc = iter.next().expect("at least two operands");
        for right in iter {
            acc = mk(KExprKind::Binary(op, Box::new(acc), Box::new(right)), Ty::Scalar(result), span);
        }
        Ok(acc)
    }

    fn math(&mut self, head: &str, f: MathFn, args: &[Sexp], want: Option<Scalar>, span: Span) -> Result<KExpr> {
        Self::arity(head, args, f.arity(), span)?;
        let want = if f.takes_integers() { want } else { Some(Scalar::F32) };
        let (operands, ty) = self.operands(args, want)?;
        let ok = if f.takes_integers() {
            ty.is_numeric() && !(f == MathFn::Abs && ty == Scalar::U32)
        } else {
            ty == Scalar::F32
        };
        if !ok {
            return type_err(format!("{head} does not take {} in a kernel", ty.name()), span);
        }
        Ok(mk(KExprKind::Math(f, operands), Ty::Scalar(ty), span))
    }

    fn cond(&mut self, clauses: &[Sexp], want: Option<Scalar>, tail: bool, span: Span) -> Result<KExpr> {
        let Some((first, rest)) = clauses.split_first() else {
            return Ok(mk(KExprKind::Seq(Vec::new()), Ty::Unit, span));
        };
        let Some(items) = first.as_list().filter(|l| !l.is_empty()) else {
            return syntax_err("cond clause must be (test body...)", first.span);
        };
        let is_else = items[0].is_sym("else") || matches!(&items[0].kind, SexpKind::Keyword(k) if k == "else");
        if is_else {
            return self.seq(&items[1..], want, tail, first.span);
        }
        let test = self.typed(&items[0], Scalar::Bool)?;
        let then = self.seq(&items[1..], want, tail, first.span)?;
        if rest.is_empty() {
            return Ok(mk(KExprKind::If(Box::new(test), Box::new(then), None), Ty::Unit, span));
        }
        let other = self.cond(rest, want, tail, span)?;
        let ty = unify(then.ty, other.ty, other.span)?;
        Ok(mk(KExprKind::If(Box::new(test), Box::new(then), Some(Box::new(other))), ty, span))
    }

    fn let_form(
        &mut self,
        is_loop: bool,
        args: &[Sexp],
        want: Option<Scalar>,
        tail: bool,
        span: Span,
    ) -> Result<KExpr> {
        let head = if is_loop { "loop" } else { "let" };
        let Some(bindings) = args.first() else {
            return syntax_err(format!("{head} expects a binding list like ((name value) ...)"), span);
        };
        let items: &[Sexp] = match &bindings.kind {
            SexpKind::List(items) => items,
            SexpKind::Nil => &[],
            _ => return syntax_err(format!("{head} expects a binding list like ((name value) ...)"), bindings.span),
        };
        let scope_len = self.scope.len();
        let mut slots = Vec::with_capacity(items.len());
        for b in items {
            let Some([name, init]) = b.as_list() else {
                return syntax_err(format!("{head}: a binding in a kernel is (name value)"), b.span);
            };
            let Some(name) = name.as_sym() else {
                return syntax_err(format!("{head}: expected a variable name"), name.span);
            };
            let (name, ann) = match name.split_once(':') {
                Some((n, t)) => match Scalar::from_name(t) {
                    Some(s) => (n, Some(s)),
                    None => return type_err(format!("unknown type {t} (use f32, i32, u32 or bool)"), b.span),
                },
                None => (name, None),
            };
            let init = match ann {
                Some(t) => self.typed(init, t)?,
                None => self.value(init, None)?,
            };
            let slot = self.locals.len();
            self.locals.push(Local { name: name.to_string(), ty: Self::scalar_of(&init) });
            self.scope.push((name.to_string(), slot));
            slots.push((slot, init));
        }
        let body = if is_loop {
            self.loops.push(slots.iter().map(|(s, _)| self.locals[*s].ty).collect());
            let body = self.seq(&args[1..], want, true, span);
            self.loops.pop();
            body?
        } else {
            self.seq(&args[1..], want, tail, span)?
        };
        self.scope.truncate(scope_len);
        let ty = body.ty;
        let kind = if is_loop { KExprKind::Loop(slots, Box::new(body)) } else { KExprKind::Let(slots, Box::new(body)) };
        Ok(mk(kind, ty, span))
    }

    fn recur(&mut self, args: &[Sexp], tail: bool, span: Span) -> Result<KExpr> {
        let Some(types) = self.loops.last().cloned().filter(|_| tail) else {
            return syntax_err("recur must be in tail position of a loop", span);
        };
        if args.len() != types.len() {
            return syntax_err(
                format!("recur expects {} values (the loop's variables), got {}", types.len(), args.len()),
                span,
            );
        }
        let mut values = Vec::with_capacity(args.len());
        for (a, t) in args.iter().zip(types) {
            values.push(self.typed(a, t)?);
        }
        Ok(mk(KExprKind::Recur(values), Ty::Never, span))
    }
}
