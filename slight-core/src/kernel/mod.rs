//! GPU kernels (`defkernel`): the numeric subset of Slight that runs on a GPU.
//!
//! [`check`] turns a `defkernel` form into a typed kernel IR ([`Kernel`]), reporting type errors
//! at the Slight source; [`wgsl`] prints that IR as a WGSL compute shader. The runtime runs the
//! WGSL through wgpu, or interprets the same IR on the CPU (`slight-runtime/src/gpu/cpu.rs`), so
//! both back ends start from one checked program. The shader's layout (bindings, the parameter
//! block, how the invocation index is computed) is described in [`wgsl`].
//!
//! Semantics shared by both back ends (WGSL's, made explicit where WGSL leaves a choice):
//! - `i32`/`u32` arithmetic wraps; `x / 0` is `x`, `x rem 0` is 0, `i32::MIN / -1` is `i32::MIN`.
//! - `f32` is IEEE single precision.
//! - Reading an array out of bounds gives 0; writing out of bounds does nothing.
//! - Invocations `0 .. grid` run the body; the order between invocations is unspecified, so a
//!   kernel that reads what another invocation writes has no defined result.

pub mod check;
pub mod wgsl;

use crate::span::Span;

pub use check::check_kernel;

/// A scalar type a kernel computes with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scalar {
    F32,
    I32,
    U32,
    Bool,
}

impl Scalar {
    pub fn name(self) -> &'static str {
        match self {
            Scalar::F32 => "f32",
            Scalar::I32 => "i32",
            Scalar::U32 => "u32",
            Scalar::Bool => "bool",
        }
    }

    pub fn from_name(name: &str) -> Option<Scalar> {
        Some(match name {
            "f32" => Scalar::F32,
            "i32" => Scalar::I32,
            "u32" => Scalar::U32,
            "bool" => Scalar::Bool,
            _ => return None,
        })
    }

    pub fn is_numeric(self) -> bool {
        self != Scalar::Bool
    }
}

/// The type of a kernel expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    Scalar(Scalar),
    /// No value: `set-at!`, `set!`, a one-armed `if`, a loop body that only stores.
    Unit,
    /// Never returns to its context: `recur`.
    Never,
}

impl Ty {
    pub fn name(self) -> &'static str {
        match self {
            Ty::Scalar(s) => s.name(),
            Ty::Unit => "no value",
            Ty::Never => "recur",
        }
    }
}

/// A kernel parameter: a scalar passed by value, or an array (a GPU buffer) of scalars.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamType {
    Scalar(Scalar),
    Array(Scalar),
}

impl ParamType {
    pub fn describe(self) -> String {
        match self {
            ParamType::Scalar(s) => s.name().to_string(),
            ParamType::Array(s) => format!("(array {})", s.name()),
        }
    }
    /// "an f32 number", "an (array f32)".
    pub fn describe_with_article(self) -> String {
        match self {
            ParamType::Scalar(s) => format!("an {} number", s.name()),
            ParamType::Array(s) => format!("an (array {})", s.name()),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Param {
    pub name: String,
    pub ty: ParamType,
    pub span: Span,
}

/// A `let` or `loop` variable.
#[derive(Clone, Debug)]
pub struct Local {
    pub name: String,
    pub ty: Scalar,
}

/// A checked kernel.
#[derive(Clone, Debug)]
pub struct Kernel {
    pub name: String,
    pub params: Vec<Param>,
    /// Every local of the body, indexed by `KExprKind::Local` slots.
    pub locals: Vec<Local>,
    pub body: KExpr,
    pub span: Span,
}

impl Kernel {
    /// Indices of the array parameters, in binding order.
    pub fn arrays(&self) -> impl Iterator<Item = (usize, &Param)> {
        self.params.iter().enumerate().filter(|(_, p)| matches!(p.ty, ParamType::Array(_)))
    }
    /// Indices of the scalar parameters, in the order of the parameter block.
    pub fn scalars(&self) -> impl Iterator<Item = (usize, &Param)> {
        self.params.iter().enumerate().filter(|(_, p)| matches!(p.ty, ParamType::Scalar(_)))
    }
}

/// A constant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Lit {
    F32(f32),
    I32(i32),
    U32(u32),
    Bool(bool),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    /// Truncating remainder (WGSL `%`).
    Rem,
    /// Floored modulo (Slight's `mod`): the result has the sign of the divisor.
    Mod,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    BitAnd,
    BitOr,
    BitXor,
}

impl BinOp {
    pub fn is_comparison(self) -> bool {
        matches!(self, BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne)
    }
}

/// Built-in math functions (WGSL's, computed by the same formulas on the CPU).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MathFn {
    Abs,
    Min,
    Max,
    Sqrt,
    Floor,
    Ceil,
    Round,
    Trunc,
    Sin,
    Cos,
    Tan,
    Exp,
    Log,
    Pow,
}

impl MathFn {
    /// The WGSL builtin with the same meaning.
    pub fn wgsl_name(self) -> &'static str {
        match self {
            MathFn::Abs => "abs",
            MathFn::Min => "min",
            MathFn::Max => "max",
            MathFn::Sqrt => "sqrt",
            MathFn::Floor => "floor",
            MathFn::Ceil => "ceil",
            MathFn::Round => "round",
            MathFn::Trunc => "trunc",
            MathFn::Sin => "sin",
            MathFn::Cos => "cos",
            MathFn::Tan => "tan",
            MathFn::Exp => "exp",
            MathFn::Log => "log",
            MathFn::Pow => "pow",
        }
    }
    pub fn arity(self) -> usize {
        match self {
            MathFn::Min | MathFn::Max | MathFn::Pow => 2,
            _ => 1,
        }
    }
    /// True for the functions defined on integers too (the rest take `f32` only).
    pub fn takes_integers(self) -> bool {
        matches!(self, MathFn::Abs | MathFn::Min | MathFn::Max)
    }
}

/// A typed kernel expression.
#[derive(Clone, Debug)]
pub struct KExpr {
    pub kind: KExprKind,
    pub ty: Ty,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum KExprKind {
    Const(Lit),
    /// A scalar parameter (its index in `Kernel::params`).
    Param(usize),
    Local(usize),
    /// `(gpu/id)`: this invocation's index, `0 .. grid`, as `i32`.
    Id,
    /// `(gpu/size)`: the grid size, as `i32`.
    Size,
    /// `(len xs)`: the number of elements of an array parameter, as `i32`.
    Len(usize),
    /// `(at xs i)`.
    At(usize, Box<KExpr>),
    /// `(set-at! xs i v)`.
    SetAt(usize, Box<KExpr>, Box<KExpr>),
    /// `(set! x v)` on a local.
    Set(usize, Box<KExpr>),
    Unary(UnOp, Box<KExpr>),
    Binary(BinOp, Box<KExpr>, Box<KExpr>),
    /// `and`/`or`: short-circuit (the right operand runs only when needed).
    Logic {
        and: bool,
        left: Box<KExpr>,
        right: Box<KExpr>,
    },
    Math(MathFn, Vec<KExpr>),
    /// `(f32 x)`, `(i32 x)`, `(u32 x)`: numeric conversion (float to integer truncates and
    /// saturates; NaN gives 0).
    Cast(Scalar, Box<KExpr>),
    If(Box<KExpr>, Box<KExpr>, Option<Box<KExpr>>),
    /// Locals initialised in order, then the body.
    Let(Vec<(usize, KExpr)>, Box<KExpr>),
    Seq(Vec<KExpr>),
    /// `(loop ((v init)...) body)`: `recur` in the body's tail positions starts the next round.
    Loop(Vec<(usize, KExpr)>, Box<KExpr>),
    /// `(recur v...)`: new values for the innermost loop's variables.
    Recur(Vec<KExpr>),
}
