//! The CPU fallback: runs a checked kernel's IR (`slight_core::kernel`) invocation by
//! invocation, with the semantics the WGSL back end has (see `slight_core::kernel`): wrapping
//! integer arithmetic, WGSL's division and remainder by zero, saturating float-to-integer
//! conversion, round-half-to-even, zero for out-of-bounds reads. Integer results are therefore
//! bit-identical to the GPU's; float results can differ where the GPU's math library rounds
//! differently (see docs/GPU.md for the bound).

use slight_core::kernel::{BinOp, KExpr, KExprKind, Kernel, Lit, MathFn, ParamType, Scalar, UnOp};
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

/// Grids at least this large are split across threads.
const PARALLEL_GRID: u32 = 16 * 1024;

/// A value during interpretation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Val {
    /// An `f32`.
    F(f32),
    /// An `i32`.
    I(i32),
    /// A `u32`.
    U(u32),
    /// A `bool`.
    B(bool),
    /// The result of an expression that has no value (an assignment, a store, an `if` without
    /// else).
    Unit,
}

impl Val {
    /// From a buffer word of element type `t`.
    pub fn from_word(t: Scalar, w: u32) -> Val {
        match t {
            Scalar::F32 => Val::F(f32::from_bits(w)),
            Scalar::I32 => Val::I(w as i32),
            Scalar::U32 => Val::U(w),
            Scalar::Bool => Val::B(w != 0),
        }
    }

    /// As a buffer word: the value's bits, 0 or 1 for a boolean, 0 for `Unit`.
    pub fn to_word(self) -> u32 {
        match self {
            Val::F(f) => f.to_bits(),
            Val::I(i) => i as u32,
            Val::U(u) => u,
            Val::B(b) => b as u32,
            Val::Unit => 0,
        }
    }

    fn bool(self) -> bool {
        matches!(self, Val::B(true))
    }

    fn index(self) -> u32 {
        match self {
            Val::I(i) => i as u32,
            Val::U(u) => u,
            _ => u32::MAX,
        }
    }
}

/// Float to `i32` as the generated WGSL does it: clamped to the largest `f32`s inside the range.
pub fn f32_to_i32(x: f32) -> i32 {
    if x.is_nan() {
        0
    } else {
        x.clamp(-2147483648.0, 2147483520.0) as i32
    }
}

/// Float to `u32` as the generated WGSL does it: clamped to the largest `f32`s inside the range,
/// NaN to 0.
pub fn f32_to_u32(x: f32) -> u32 {
    if x.is_nan() {
        0
    } else {
        x.clamp(0.0, 4294967040.0) as u32
    }
}

/// What the body of a loop ended with.
enum Tail {
    Value(Val),
    /// The new values of the loop's variables are on top of `Invocation::scratch`.
    Recur,
}

struct Invocation<'a> {
    kernel: &'a Kernel,
    scalars: &'a [u32],
    /// Array contents, by parameter index (`None` for scalar parameters). Invocations on
    /// several threads share them, as GPU invocations share buffers; element accesses are
    /// relaxed atomics, which compile to plain loads and stores.
    arrays: &'a [Option<&'a [AtomicU32]>],
    locals: Vec<Val>,
    /// `recur` values being computed (a stack: computing one may run an inner loop).
    scratch: Vec<Val>,
    id: u32,
    grid: u32,
}

/// Runs invocations `0 .. grid` of `kernel`. `scalars[i]` is the word of scalar parameter `i`
/// (ignored for arrays); `arrays[i]` the contents of array parameter `i`.
///
/// Large grids run on all cores, each thread taking a contiguous range of invocations.
pub fn run(kernel: &Kernel, scalars: &[u32], arrays: &mut [Option<&mut [u32]>], grid: u32) {
    let shared: Vec<Option<&[AtomicU32]>> = arrays.iter_mut().map(|a| a.as_deref_mut().map(as_atomic)).collect();
    if grid < PARALLEL_GRID || cores() < 2 {
        run_range(kernel, scalars, &shared, grid, 0..grid);
        return;
    }
    let threads = cores();
    let chunk = grid.div_ceil(threads);
    std::thread::scope(|s| {
        for t in 1..threads {
            let range = (t * chunk).min(grid)..((t + 1) * chunk).min(grid);
            let shared = &shared;
            s.spawn(move || run_range(kernel, scalars, shared, grid, range));
        }
        run_range(kernel, scalars, &shared, grid, 0..chunk.min(grid));
    });
}

/// The number of cores (asked once: the query reads files on Linux).
fn cores() -> u32 {
    static CORES: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()) as u32)
}

fn run_range(
    kernel: &Kernel,
    scalars: &[u32],
    arrays: &[Option<&[AtomicU32]>],
    grid: u32,
    range: std::ops::Range<u32>,
) {
    let mut inv = Invocation {
        kernel,
        scalars,
        arrays,
        locals: vec![Val::Unit; kernel.locals.len()],
        scratch: Vec::new(),
        id: 0,
        grid,
    };
    for id in range {
        inv.id = id;
        inv.eval(&kernel.body);
    }
}

/// Views an array's words as atomics, so that invocations on several threads can share it.
fn as_atomic(words: &mut [u32]) -> &[AtomicU32] {
    // SAFETY: `AtomicU32` has the same size, alignment and bit validity as `u32` (documented
    // by std), and the exclusive borrow of `words` lasts as long as the returned view, so no
    // non-atomic access can happen meanwhile.
    unsafe { &*(words as *mut [u32] as *const [AtomicU32]) }
}

impl Invocation<'_> {
    fn array(&self, param: usize) -> &[AtomicU32] {
        self.arrays[param].expect("checked: an array parameter")
    }

    fn elem(&self, param: usize) -> Scalar {
        match self.kernel.params[param].ty {
            ParamType::Array(t) | ParamType::Scalar(t) => t,
        }
    }

    fn eval(&mut self, e: &KExpr) -> Val {
        match &e.kind {
            KExprKind::Const(lit) => match *lit {
                Lit::F32(f) => Val::F(f),
                Lit::I32(i) => Val::I(i),
                Lit::U32(u) => Val::U(u),
                Lit::Bool(b) => Val::B(b),
            },
            KExprKind::Param(i) => Val::from_word(self.elem(*i), self.scalars[*i]),
            KExprKind::Local(s) => self.locals[*s],
            KExprKind::Id => Val::I(self.id as i32),
            KExprKind::Size => Val::I(self.grid as i32),
            KExprKind::Len(a) => Val::I(self.array(*a).len() as i32),
            KExprKind::At(a, i) => {
                let i = self.eval(i).index() as usize;
                let t = self.elem(*a);
                match self.array(*a).get(i) {
                    Some(w) => Val::from_word(t, w.load(Relaxed)),
                    None => Val::from_word(t, 0),
                }
            }
            KExprKind::SetAt(a, i, v) => {
                let i = self.eval(i).index() as usize;
                let v = self.eval(v).to_word();
                if let Some(slot) = self.array(*a).get(i) {
                    slot.store(v, Relaxed);
                }
                Val::Unit
            }
            KExprKind::Set(s, v) => {
                self.locals[*s] = self.eval(v);
                Val::Unit
            }
            KExprKind::Unary(op, x) => match (op, self.eval(x)) {
                (UnOp::Neg, Val::F(f)) => Val::F(-f),
                (UnOp::Neg, Val::I(i)) => Val::I(i.wrapping_neg()),
                (UnOp::Not, Val::B(b)) => Val::B(!b),
                (_, v) => unreachable!("checked: {op:?} on {v:?}"),
            },
            KExprKind::Binary(op, a, b) => {
                let a = self.eval(a);
                let b = self.eval(b);
                binary(*op, a, b)
            }
            KExprKind::Logic { and, left, right } => {
                let l = self.eval(left).bool();
                if l == *and {
                    self.eval(right)
                } else {
                    Val::B(l)
                }
            }
            KExprKind::Math(f, args) => {
                let a = self.eval(&args[0]);
                let b = args.get(1).map(|x| self.eval(x));
                math(*f, a, b)
            }
            KExprKind::Cast(to, x) => cast(*to, self.eval(x)),
            KExprKind::If(c, a, b) => {
                if self.eval(c).bool() {
                    self.eval(a)
                } else if let Some(b) = b {
                    self.eval(b)
                } else {
                    Val::Unit
                }
            }
            KExprKind::Let(bindings, body) => {
                self.bind(bindings);
                self.eval(body)
            }
            KExprKind::Seq(items) => {
                let mut last = Val::Unit;
                for i in items {
                    last = self.eval(i);
                }
                last
            }
            KExprKind::Loop(bindings, body) => {
                self.bind(bindings);
                loop {
                    match self.tail(body) {
                        Tail::Value(v) => return v,
                        Tail::Recur => {
                            let base = self.scratch.len() - bindings.len();
                            for (i, (slot, _)) in bindings.iter().enumerate() {
                                self.locals[*slot] = self.scratch[base + i];
                            }
                            self.scratch.truncate(base);
                        }
                    }
                }
            }
            KExprKind::Recur(_) => unreachable!("checked: recur only in tail position"),
        }
    }

    fn bind(&mut self, bindings: &[(usize, KExpr)]) {
        for (slot, init) in bindings {
            self.locals[*slot] = self.eval(init);
        }
    }

    fn tail(&mut self, e: &KExpr) -> Tail {
        match &e.kind {
            KExprKind::Recur(values) => {
                for v in values {
                    let x = self.eval(v);
                    self.scratch.push(x);
                }
                Tail::Recur
            }
            KExprKind::If(c, a, b) => {
                if self.eval(c).bool() {
                    self.tail(a)
                } else if let Some(b) = b {
                    self.tail(b)
                } else {
                    Tail::Value(Val::Unit)
                }
            }
            KExprKind::Let(bindings, body) => {
                self.bind(bindings);
                self.tail(body)
            }
            KExprKind::Seq(items) if !items.is_empty() => {
                let (last, init) = items.split_last().expect("not empty");
                for i in init {
                    self.eval(i);
                }
                self.tail(last)
            }
            _ => Tail::Value(self.eval(e)),
        }
    }
}

fn binary(op: BinOp, a: Val, b: Val) -> Val {
    use Val::*;
    match (op, a, b) {
        (BinOp::Add, F(x), F(y)) => F(x + y),
        (BinOp::Add, I(x), I(y)) => I(x.wrapping_add(y)),
        (BinOp::Add, U(x), U(y)) => U(x.wrapping_add(y)),
        (BinOp::Sub, F(x), F(y)) => F(x - y),
        (BinOp::Sub, I(x), I(y)) => I(x.wrapping_sub(y)),
        (BinOp::Sub, U(x), U(y)) => U(x.wrapping_sub(y)),
        (BinOp::Mul, F(x), F(y)) => F(x * y),
        (BinOp::Mul, I(x), I(y)) => I(x.wrapping_mul(y)),
        (BinOp::Mul, U(x), U(y)) => U(x.wrapping_mul(y)),
        (BinOp::Div, F(x), F(y)) => F(x / y),
        // WGSL: a zero divisor (or MIN / -1) divides by one instead.
        (BinOp::Div, I(x), I(y)) => I(if y == 0 || (x == i32::MIN && y == -1) { x } else { x / y }),
        (BinOp::Div, U(x), U(y)) => U(x.checked_div(y).unwrap_or(x)),
        (BinOp::Rem, F(x), F(y)) => F(x - y * (x / y).trunc()),
        (BinOp::Rem, I(x), I(y)) => I(rem_i32(x, y)),
        (BinOp::Rem | BinOp::Mod, U(x), U(y)) => U(if y == 0 { 0 } else { x % y }),
        (BinOp::Mod, F(x), F(y)) => F(x - y * (x / y).floor()),
        (BinOp::Mod, I(x), I(y)) => {
            let r = rem_i32(x, y);
            I(if r != 0 && ((r < 0) != (y < 0)) { r.wrapping_add(y) } else { r })
        }
        (BinOp::BitAnd, I(x), I(y)) => I(x & y),
        (BinOp::BitAnd, U(x), U(y)) => U(x & y),
        (BinOp::BitOr, I(x), I(y)) => I(x | y),
        (BinOp::BitOr, U(x), U(y)) => U(x | y),
        (BinOp::BitXor, I(x), I(y)) => I(x ^ y),
        (BinOp::BitXor, U(x), U(y)) => U(x ^ y),
        (op, a, b) => B(compare(op, a, b)),
    }
}

fn rem_i32(x: i32, y: i32) -> i32 {
    if y == 0 || (x == i32::MIN && y == -1) {
        0
    } else {
        x % y
    }
}

fn compare(op: BinOp, a: Val, b: Val) -> bool {
    use Val::*;
    let ord = match (a, b) {
        (F(x), F(y)) => x.partial_cmp(&y),
        (I(x), I(y)) => Some(x.cmp(&y)),
        (U(x), U(y)) => Some(x.cmp(&y)),
        (B(x), B(y)) => Some(x.cmp(&y)),
        _ => unreachable!("checked: operands of one type"),
    };
    use std::cmp::Ordering::*;
    match op {
        BinOp::Lt => ord == Some(Less),
        BinOp::Le => matches!(ord, Some(Less | Equal)),
        BinOp::Gt => ord == Some(Greater),
        BinOp::Ge => matches!(ord, Some(Greater | Equal)),
        BinOp::Eq => ord == Some(Equal),
        BinOp::Ne => ord != Some(Equal),
        _ => unreachable!("checked: {op:?} is arithmetic"),
    }
}

fn math(f: MathFn, a: Val, b: Option<Val>) -> Val {
    use Val::*;
    match (f, a, b) {
        (MathFn::Abs, F(x), _) => F(x.abs()),
        (MathFn::Abs, I(x), _) => I(x.wrapping_abs()),
        (MathFn::Min, F(x), Some(F(y))) => F(x.min(y)),
        (MathFn::Min, I(x), Some(I(y))) => I(x.min(y)),
        (MathFn::Min, U(x), Some(U(y))) => U(x.min(y)),
        (MathFn::Max, F(x), Some(F(y))) => F(x.max(y)),
        (MathFn::Max, I(x), Some(I(y))) => I(x.max(y)),
        (MathFn::Max, U(x), Some(U(y))) => U(x.max(y)),
        (MathFn::Pow, F(x), Some(F(y))) => F(x.powf(y)),
        (MathFn::Sqrt, F(x), _) => F(x.sqrt()),
        (MathFn::Floor, F(x), _) => F(x.floor()),
        (MathFn::Ceil, F(x), _) => F(x.ceil()),
        (MathFn::Round, F(x), _) => F(x.round_ties_even()),
        (MathFn::Trunc, F(x), _) => F(x.trunc()),
        (MathFn::Sin, F(x), _) => F(x.sin()),
        (MathFn::Cos, F(x), _) => F(x.cos()),
        (MathFn::Tan, F(x), _) => F(x.tan()),
        (MathFn::Exp, F(x), _) => F(x.exp()),
        (MathFn::Log, F(x), _) => F(x.ln()),
        (f, a, b) => unreachable!("checked: {f:?} on {a:?} {b:?}"),
    }
}

fn cast(to: Scalar, v: Val) -> Val {
    use Val::*;
    match (to, v) {
        (Scalar::F32, F(x)) => F(x),
        (Scalar::F32, I(x)) => F(x as f32),
        (Scalar::F32, U(x)) => F(x as f32),
        (Scalar::I32, F(x)) => I(f32_to_i32(x)),
        (Scalar::I32, I(x)) => I(x),
        (Scalar::I32, U(x)) => I(x as i32),
        (Scalar::U32, F(x)) => U(f32_to_u32(x)),
        (Scalar::U32, I(x)) => U(x as u32),
        (Scalar::U32, U(x)) => U(x),
        (to, v) => unreachable!("checked: ({to:?} {v:?})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kernel(src: &str) -> Kernel {
        let mut sources = slight_core::SourceMap::new();
        let file = sources.add("k.sl", src);
        let form = slight_core::Reader::read_all(src, file).unwrap().remove(0);
        let items = form.as_list().unwrap();
        slight_core::kernel::check_kernel(&items[1..], form.span).unwrap()
    }

    /// A grid large enough to run on several threads (through the atomic view of the arrays)
    /// computes every element, exactly once.
    #[test]
    fn large_grids_run_on_threads_and_cover_every_invocation() {
        let k = kernel("(defkernel k ((xs (array u32))) (set-at! xs (gpu/id) (+ (at xs (gpu/id)) (u32 (gpu/id)) 1)))");
        let n = PARALLEL_GRID * 5 + 3;
        let mut words = vec![10u32; n as usize];
        run(&k, &[0], &mut [Some(&mut words[..])], n);
        assert!(words.iter().enumerate().all(|(i, &w)| w == 11 + i as u32));
        let mut small = vec![0u32; 4];
        run(&k, &[0], &mut [Some(&mut small[..])], 3);
        assert_eq!(small, [1, 2, 3, 0]);
    }
}
