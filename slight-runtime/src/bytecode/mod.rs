//! Bytecode: the register-machine instruction set ([`Instr`]), function prototypes ([`Proto`]),
//! their verifier and the disassembler.
//!
//! Every instruction is 8 bytes. Register operands are relative to the running frame's base;
//! jump offsets are relative to the instruction after the jump. [`Instr`]'s documentation
//! defines the notation of each instruction's line. `compile.rs` (beside this file) emits the instructions; the
//! interpreter loop in `vm/interp.rs` runs them (calls, returns and handlers: `vm/call.rs`).

pub mod compile;

use crate::value::Value;
use slight_core::{SourceMap, Span, Type};
use std::fmt::Write as _;
use std::rc::Rc;

/// A register number, relative to the running frame's base (`R[x]` in [`Instr`]'s notation).
pub type Reg = u16;

/// One VM instruction: a tag and its operands in 8 bytes. Each instruction's line states its
/// effect (in the spirit of Lua's `lopcodes.h`), in this notation:
///
/// - `R[x]`: register `x` of the running frame (VM stack slot `frame.base + x`); `R[a..b]` is
///   `R[a]` up to `R[b-1]`. A function's parameters arrive in `R[0..nparams]`, a variadic
///   function's rest list in `R[nparams]`. Operands `dst`, `src`, `a`, `b`, `cond`, `slot`,
///   `start`, `base`, `func`, `reg`, `err`, `form`, `scan`, `ms` are registers.
/// - `K[i]`: constant `i` of the function ([`Proto::consts`]); `P[i]`: its nested function `i`
///   ([`Proto::protos`]); `C[i]`: capture `i` of the running closure (a value, or the cell of a
///   captured variable).
/// - `G[i]`: slot `i` of the VM's global table (indices from `GlobalNames`, shared by all code).
///   Reading, calling or `set!`-ing an undefined global raises a `NameError`.
/// - `cell(v)`: a fresh mutable cell holding `v`; `*x`: the value in cell `x` (`x` itself when
///   it is not a cell).
/// - `pc`: the index of the next instruction. It is advanced before an instruction runs, so
///   `pc += offset` continues at (index of the jump) + 1 + `offset`: `offset = 0` falls through.
///   `offset` is an `i32` in `Jump`, `JumpIfFalse`, `JumpIfTrue`, `JumpIfNotEmpty` and `TryPush`,
///   an `i16` elsewhere (a function with longer branches is compiled again without fused jumps).
/// - `value`: an immediate operand (`i16` unless stated otherwise). `truthy(v)`: `v` is neither
///   `nil` nor `false`.
/// - Numbers: `+ - *` on two integers are checked (overflow raises an `ArithmeticError`), a float
///   operand makes the result a float, any other operand raises a `TypeError`. `< <= > >=` take
///   numbers only (else `TypeError`), compare integers with floats exactly and are false with a
///   NaN. `==` is [`Value::equals`]: deep on lists and maps, numeric on numbers, never an error.
/// - Raising an error unwinds to the innermost handler ([`Instr::TryPush`]) of this interpreter
///   run, dropping the frames above the handler's; without one, the run ends with the error.
/// - Calls: `args` are `R[base+1..base+1+argc]`. The callee's frame starts at the caller's
///   `R[base+1]` (its `R[0]` is the first argument), so the compiler puts `base` above every
///   live register; the result lands in the caller's `R[base]`. Closures get a frame; builtins,
///   registered and compiled functions are called directly; `apply`, `method/call`, objects and
///   quoted names are first rewritten into plain calls. Arity errors raise an `ArityError`,
///   non-functions a `TypeError`, too deep a nesting a `StackOverflow`.
/// - tick: the instruction uses one unit of the process's time slice; when the slice is used up
///   and another process is runnable, this one yields and runs the instruction again on resuming.
/// - `mailbox`, `deadline`: the current process's message queue (oldest first) and the deadline
///   of its `receive`.
#[derive(Clone, Copy, Debug, PartialEq)]
// Operands are described by each instruction's line (see the notation above), not one by one.
#[allow(missing_docs)]
pub enum Instr {
    /// `R[dst] := nil`
    LoadNil { dst: Reg },
    /// `R[dst] := value` (a boolean)
    LoadBool { dst: Reg, value: bool },
    /// `R[dst] := value` (an `i32`; larger integer literals use `LoadConst`)
    LoadInt { dst: Reg, value: i32 },
    /// `R[dst] := K[index]` (also a `fun` that captures nothing: one closure, made at compile time)
    LoadConst { dst: Reg, index: u32 },
    /// `R[dst] := R[src]`
    Move { dst: Reg, src: Reg },
    /// `R[dst] := C[index]` (a captured variable that is never assigned: a copy of its value)
    GetCapture { dst: Reg, index: u16 },
    /// `R[dst] := *C[index]` (a captured variable that is assigned: it lives in a cell)
    GetCaptureCell { dst: Reg, index: u16 },
    /// `*C[index] := R[src]` (`set!` of a captured variable; nothing happens if `C[index]` is not a cell)
    SetCaptureCell { index: u16, src: Reg },
    /// `R[dst] := *R[slot]` (a local that lives in a cell)
    GetCell { dst: Reg, slot: Reg },
    /// `*R[slot] := R[src]`, or `R[slot] := cell(R[src])` if `R[slot]` is not a cell
    SetCell { slot: Reg, src: Reg },
    /// `R[slot] := cell(R[slot])` (a captured and assigned local, when it is bound)
    MakeCell { slot: Reg },
    /// `R[dst] := G[index]` (`NameError` if undefined)
    GetGlobal { dst: Reg, index: u32 },
    /// `G[index] := R[src]` (`set!`: `NameError` if `G[index]` is undefined)
    SetGlobal { index: u32, src: Reg },
    /// `G[index] := R[src]` (a top-level `def`: defines or redefines)
    DefGlobal { index: u32, src: Reg },
    /// `R[dst] := R[a] + R[b]` (integers checked for overflow, else floats, else a `TypeError`)
    Add { dst: Reg, a: Reg, b: Reg },
    /// `R[dst] := R[a] - R[b]` (integers checked for overflow, else floats, else a `TypeError`)
    Sub { dst: Reg, a: Reg, b: Reg },
    /// `R[dst] := R[a] * R[b]` (integers checked for overflow, else floats, else a `TypeError`)
    Mul { dst: Reg, a: Reg, b: Reg },
    /// `R[dst] := R[a] / R[b]`, always a float (integer divisor 0: `ArithmeticError`; floats: IEEE)
    Div { dst: Reg, a: Reg, b: Reg },
    /// `R[dst] := R[a] + value` (as `Add`)
    AddInt { dst: Reg, a: Reg, value: i16 },
    /// `R[dst] := R[a] - value` (as `Sub`)
    SubInt { dst: Reg, a: Reg, value: i16 },
    /// `R[dst] := R[a] == R[b]` (structural equality; also literal patterns of `match`)
    Eq { dst: Reg, a: Reg, b: Reg },
    /// `R[dst] := not (R[a] == R[b])`
    Ne { dst: Reg, a: Reg, b: Reg },
    /// `R[dst] := R[a] < R[b]` (numbers only)
    Lt { dst: Reg, a: Reg, b: Reg },
    /// `R[dst] := R[a] > R[b]` (numbers only)
    Gt { dst: Reg, a: Reg, b: Reg },
    /// `R[dst] := R[a] <= R[b]` (numbers only)
    Le { dst: Reg, a: Reg, b: Reg },
    /// `R[dst] := R[a] >= R[b]` (numbers only)
    Ge { dst: Reg, a: Reg, b: Reg },
    /// `R[dst] := not truthy(R[a])`
    Not { dst: Reg, a: Reg },
    /// `R[dst] := -R[a]` (integer overflow: `ArithmeticError`; not a number: `TypeError`)
    Neg { dst: Reg, a: Reg },
    /// `R[dst] := cons(R[a], R[b])`: head `R[a]`, tail `R[b]` (a list or nil, else a `TypeError`)
    Cons { dst: Reg, a: Reg, b: Reg },
    /// `R[dst] := head(R[a])` (nil for `()` and nil; not a list: `TypeError`)
    Head { dst: Reg, a: Reg },
    /// `R[dst] := tail(R[a])` (`()` for `()` and nil; not a list: `TypeError`)
    Tail { dst: Reg, a: Reg },
    /// `R[dst] := empty?(R[a])` (lists, nil, strings, maps; anything else: `TypeError`)
    IsEmpty { dst: Reg, a: Reg },
    /// `R[dst] := (list R[start] .. R[start+count-1])`
    List { dst: Reg, start: Reg, count: u16 },
    /// `R[dst] :=` the lists `R[start..start+count]` concatenated (nil is `()`; a non-list: `TypeError`)
    Append { dst: Reg, start: Reg, count: u16 },
    /// As `Append`, but a last part that is not a list is a dotted tail: `(.. . R[last])`, kept
    /// after a `.` symbol (quasiquote `(a . ,rest)`).
    AppendDotted { dst: Reg, start: Reg, count: u16 },
    /// `R[dst] := R[a].R[b]` (`x.name` on a local; `R[b]` a string): an error's `message`, `type`,
    /// `payload`/`value`; a map's entry under keyword, then string key (nil if none); an object's slot.
    Field { dst: Reg, a: Reg, b: Reg },
    /// `pc += offset`; tick if `offset < 0` (a loop's back edge)
    Jump { offset: i32 },
    /// `if not truthy(R[cond]) then pc += offset`
    JumpIfFalse { cond: Reg, offset: i32 },
    /// `if truthy(R[cond]) then pc += offset` (`or`)
    JumpIfTrue { cond: Reg, offset: i32 },
    /// `if not (R[a] < R[b]) then pc += offset` (fused `if (< a b)`; also `(> b a)`)
    JumpIfNotLt { a: Reg, b: Reg, offset: i16 },
    /// `if not (R[a] <= R[b]) then pc += offset` (fused `if (<= a b)`; also `(>= b a)`)
    JumpIfNotLe { a: Reg, b: Reg, offset: i16 },
    /// `if not (R[a] == R[b]) then pc += offset` (fused `if (== a b)`)
    JumpIfNotEq { a: Reg, b: Reg, offset: i16 },
    /// `if not empty?(R[a]) then pc += offset` (fused `if (empty? x)`; errors as `IsEmpty`)
    JumpIfNotEmpty { a: Reg, offset: i32 },
    /// `if not (R[a] < value) then pc += offset`
    JumpIfNotLtInt { a: Reg, value: i16, offset: i16 },
    /// `if not (R[a] <= value) then pc += offset`
    JumpIfNotLeInt { a: Reg, value: i16, offset: i16 },
    /// `if not (R[a] > value) then pc += offset`
    JumpIfNotGtInt { a: Reg, value: i16, offset: i16 },
    /// `if not (R[a] >= value) then pc += offset`
    JumpIfNotGeInt { a: Reg, value: i16, offset: i16 },
    /// `if not (R[a] == value) then pc += offset` (also an inline `receive`'s clause dispatch)
    JumpIfNotEqInt { a: Reg, value: i16, offset: i16 },
    /// `R[base] := R[base](args)`; tick
    Call { base: Reg, argc: u16 },
    /// `return R[base](args)`; tick. A closure replaces this frame (`R[0..argc] := args; pc := 0`);
    /// other callees, and prelude closures, set `R[base]` and fall through to a `Return base`.
    TailCall { base: Reg, argc: u16 },
    /// `R[base] := G[index](args)`; tick (saves loading the callee into `R[base]`)
    CallGlobal { base: Reg, argc: u8, index: u32 },
    /// `return G[index](args)`, as `TailCall`; a self call (`G[index]` is the running closure)
    /// restarts this frame in place.
    TailCallGlobal { base: Reg, argc: u8, index: u32 },
    /// `R[base] := R[func](args)`; tick (saves copying the callee to `R[base]`)
    CallLocal { base: Reg, argc: u8, func: Reg },
    /// `return R[func](args)`, as `TailCall`
    TailCallLocal { base: Reg, argc: u8, func: Reg },
    /// `return R[src]`: pop the frame, store `R[src]` in the caller's `R[base]` (or `Eval`'s `R[dst]`);
    /// returning from the run's entry frame ends the run with that value
    Return { src: Reg },
    /// `R[dst] := closure(P[proto])`, capture `i` from `P[proto].captures[i]`: `R[r]` or `C[j]` (cells shared)
    Closure { dst: Reg, proto: u32 },
    /// raise a `TypeError` unless `*R[reg]` has type `ty` (typed bindings, parameters and results)
    CheckType { reg: Reg, ty: Type },
    /// push handler `(this frame, err, target := pc + offset)`; an error it catches (it is the innermost,
    /// and the error is catchable or the handler is a `finally`) drops the frames above, `R[err] := error; pc := target`
    TryPush { err: Reg, finally: bool, offset: i32 },
    /// pop the innermost handler (its `try` body completed, or the `catch` body of a `try` with `finally`)
    TryPop,
    /// raise `R[src]`: an error (re-raised as is if it has a position), a string as an `Error` with
    /// that message, another value as an `Error` carrying it as payload
    Throw { src: Reg },
    /// raise a `MatchError` "No match for value: `R[src]`" (no `match` clause matched)
    MatchFail { src: Reg },
    /// `R[dst] := R[src]` is a list (nil: `()`) of length `== len` if `exact`, else `>= len`
    TestList { dst: Reg, src: Reg, len: u16, exact: bool },
    /// `R[dst] := R[src][index]` (nil if out of range or not a list; `TestList` checked the shape)
    Nth { dst: Reg, src: Reg, index: u16 },
    /// `R[dst] := R[src]` without its first `count` elements (`()` if shorter or not a list)
    Drop { dst: Reg, src: Reg, count: u16 },
    /// `R[dst] := eval(R[form])`: compiled now, seeing the names and cells of
    /// `eval_envs[env]` ([`Proto::eval_envs`]), and run in a new frame returning to `R[dst]`
    Eval { dst: Reg, form: Reg, env: u16 },
    /// `macros[K[name]] := R[src]` (`defmacro`: `K[name]` is the name, `R[src]` the expander)
    DefMacro { name: u32, src: Reg },
    /// `deadline := now + R[ms]` milliseconds (nil: none; a bad timeout raises an error);
    /// `R[scan] := 0` (the next message to try; an inline `receive`: see `FnCompiler::receive_inline`)
    RecvStart { scan: Reg, ms: Reg },
    /// `if mailbox[R[scan]] then R[dst] := mailbox[R[scan]]; pc += offset`, else at the deadline
    /// clear it and fall through (to `after`), else wait for a message and run again
    RecvNext { scan: Reg, dst: Reg, offset: i16 },
    /// `R[dst] := remove mailbox[R[scan]]`; the wait is over (`deadline := none`)
    RecvTake { scan: Reg, dst: Reg },
    /// `R[scan] += 1` (the message matched no clause and stays queued)
    RecvSkip { scan: Reg },
}

// The dispatch loop and its cache footprint are designed for 8-byte instructions.
const _: () = assert!(std::mem::size_of::<Instr>() == 8);

/// Where a closure gets each captured variable from, in the frame creating it.
#[derive(Clone, Copy, Debug)]
pub enum CaptureSrc {
    /// A register of the creating frame (holding a value or a cell).
    Register(Reg),
    /// One of the creating closure's own captures.
    Capture(u16),
}

/// A compiled function.
#[derive(Debug, Default)]
pub struct Proto {
    /// The function's name (`None`: an anonymous `fun`; `<toplevel>` for a top-level form).
    pub name: Option<String>,
    /// Fixed parameters, passed in `R[0..nparams]`.
    pub nparams: u16,
    /// Takes a rest list after the fixed parameters, in `R[nparams]`.
    pub variadic: bool,
    /// Registers a frame of this function uses: every register operand is below it.
    pub nregs: u16,
    /// The instructions; execution starts at index 0.
    pub code: Vec<Instr>,
    /// The span of each instruction (parallel to `code`).
    pub spans: Vec<Span>,
    /// The constants `K` (`LoadConst`, and the names of `DefMacro`).
    pub consts: Vec<Value>,
    /// The functions `P` defined in this one (`Closure`'s `proto`; those capturing nothing are
    /// loaded from `consts` and listed here for the disassembler).
    pub protos: Vec<Rc<Proto>>,
    /// Where `Closure` takes each of the new closure's captures `C` from, in the creating frame.
    pub captures: Vec<CaptureSrc>,
    /// The declared result type, checked before returning (`CheckType`).
    pub ret: Option<Type>,
    /// For each `Eval` instruction: the visible names and where their cells are.
    pub eval_envs: Vec<Vec<(String, CaptureSrc)>>,
    /// The source span of the whole function.
    pub span: Span,
}

impl Proto {
    /// The function's name, or `lambda` for an anonymous one (listings, stack traces).
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or("lambda")
    }

    /// A readable listing of this function and the functions nested in it, with source lines.
    pub fn disassemble(&self, sources: &SourceMap) -> String {
        let mut out = String::new();
        self.disassemble_into(&mut out, sources);
        out
    }

    fn disassemble_into(&self, out: &mut String, sources: &SourceMap) {
        let _ = writeln!(
            out,
            "== {} (params {}{}, registers {}, {} instructions) at {}",
            self.display_name(),
            self.nparams,
            if self.variadic { " + rest" } else { "" },
            self.nregs,
            self.code.len(),
            sources.location(self.span)
        );
        let mut last_line = 0;
        for (pc, ins) in self.code.iter().enumerate() {
            let span = self.spans[pc];
            if span.line != last_line {
                last_line = span.line;
                if let Some(text) = sources.line_text(span) {
                    let _ = writeln!(out, "     ; {:>4} | {}", span.line, text.trim_end());
                }
            }
            let _ = write!(out, "{pc:>5}  {}", format_instr(ins));
            if let Some(offset) = ins.jump_offset() {
                let _ = write!(out, "    ; -> {}", pc as i64 + 1 + offset);
            }
            match ins {
                Instr::LoadConst { index, .. } => {
                    let _ = write!(out, "    ; {}", self.consts[*index as usize].repr());
                }
                Instr::GetGlobal { index, .. } | Instr::SetGlobal { index, .. } | Instr::DefGlobal { index, .. } => {
                    let _ = write!(out, "    ; global #{index}");
                }
                _ => {}
            }
            out.push('\n');
        }
        for p in &self.protos {
            out.push('\n');
            p.disassemble_into(out, sources);
        }
    }
}

fn format_instr(ins: &Instr) -> String {
    let dbg = format!("{ins:?}");
    // `Add { dst: 1, a: 2, b: 3 }` → `Add          dst=1 a=2 b=3`
    match dbg.split_once(" { ") {
        Some((name, rest)) => {
            let args = rest.trim_end_matches(" }").replace(": ", "=").replace(", ", " ");
            format!("{name:<14} {args}")
        }
        None => dbg,
    }
}

impl Instr {
    /// The register operands of an instruction and, for register ranges, the end of the range
    /// (exclusive). Used by [`Proto::verify`].
    fn register_bounds(&self) -> Vec<usize> {
        use Instr::*;
        let r = |x: Reg| x as usize + 1;
        match *self {
            LoadNil { dst } | LoadBool { dst, .. } | LoadInt { dst, .. } | LoadConst { dst, .. } => vec![r(dst)],
            GetCapture { dst, .. } | GetCaptureCell { dst, .. } | GetGlobal { dst, .. } | Closure { dst, .. } => {
                vec![r(dst)]
            }
            Move { dst, src } => vec![r(dst), r(src)],
            SetCaptureCell { src, .. }
            | SetGlobal { src, .. }
            | DefGlobal { src, .. }
            | Return { src }
            | Throw { src } => vec![r(src)],
            MatchFail { src } | DefMacro { src, .. } => vec![r(src)],
            GetCell { dst, slot } => vec![r(dst), r(slot)],
            SetCell { slot, src } => vec![r(slot), r(src)],
            MakeCell { slot } => vec![r(slot)],
            Add { dst, a, b } | Sub { dst, a, b } | Mul { dst, a, b } | Div { dst, a, b } => vec![r(dst), r(a), r(b)],
            Eq { dst, a, b } | Ne { dst, a, b } | Lt { dst, a, b } | Gt { dst, a, b } => vec![r(dst), r(a), r(b)],
            Le { dst, a, b } | Ge { dst, a, b } | Cons { dst, a, b } | Field { dst, a, b } => vec![r(dst), r(a), r(b)],
            AddInt { dst, a, .. } | SubInt { dst, a, .. } | Not { dst, a } | Neg { dst, a } => vec![r(dst), r(a)],
            Head { dst, a } | Tail { dst, a } | IsEmpty { dst, a } => vec![r(dst), r(a)],
            List { dst, start, count } | Append { dst, start, count } | AppendDotted { dst, start, count } => {
                vec![r(dst), start as usize + count as usize]
            }
            Jump { .. } | TryPop => vec![],
            JumpIfFalse { cond, .. } | JumpIfTrue { cond, .. } => vec![r(cond)],
            JumpIfNotEmpty { a, .. } => vec![r(a)],
            JumpIfNotLt { a, b, .. } | JumpIfNotLe { a, b, .. } | JumpIfNotEq { a, b, .. } => vec![r(a), r(b)],
            JumpIfNotLtInt { a, .. } | JumpIfNotLeInt { a, .. } | JumpIfNotGtInt { a, .. } => vec![r(a)],
            JumpIfNotGeInt { a, .. } | JumpIfNotEqInt { a, .. } => vec![r(a)],
            Call { base, argc } | TailCall { base, argc } => vec![base as usize + argc as usize + 1],
            CallLocal { base, argc, func } | TailCallLocal { base, argc, func } => {
                vec![base as usize + argc as usize + 1, r(func)]
            }
            CallGlobal { base, argc, .. } | TailCallGlobal { base, argc, .. } => {
                vec![base as usize + argc as usize + 1]
            }
            CheckType { reg, .. } => vec![r(reg)],
            TryPush { err, .. } => vec![r(err)],
            TestList { dst, src, .. } | Nth { dst, src, .. } | Drop { dst, src, .. } => vec![r(dst), r(src)],
            Eval { dst, form, .. } => vec![r(dst), r(form)],
            RecvStart { scan, ms } => vec![r(scan), r(ms)],
            RecvNext { scan, dst, .. } => vec![r(scan), r(dst)],
            RecvTake { scan, dst } => vec![r(scan), r(dst)],
            RecvSkip { scan } => vec![r(scan)],
        }
    }

    /// The relative target of a jump instruction.
    pub fn jump_offset(&self) -> Option<i64> {
        let mut copy = *self;
        copy.offset_mut().map(|o| match o {
            Offset::Wide(w) => *w as i64,
            Offset::Narrow(n) => *n as i64,
        })
    }

    /// Sets a jump's relative target; false if it does not fit the instruction's encoding.
    pub fn set_jump_offset(&mut self, offset: i64) -> bool {
        match self.offset_mut() {
            Some(Offset::Wide(w)) => i32::try_from(offset).map(|o| *w = o).is_ok(),
            Some(Offset::Narrow(n)) => i16::try_from(offset).map(|o| *n = o).is_ok(),
            None => false,
        }
    }

    fn offset_mut(&mut self) -> Option<Offset<'_>> {
        use Instr::*;
        match self {
            Jump { offset }
            | JumpIfFalse { offset, .. }
            | JumpIfTrue { offset, .. }
            | TryPush { offset, .. }
            | JumpIfNotEmpty { offset, .. } => Some(Offset::Wide(offset)),
            JumpIfNotLt { offset, .. }
            | JumpIfNotLe { offset, .. }
            | JumpIfNotEq { offset, .. }
            | JumpIfNotLtInt { offset, .. }
            | JumpIfNotLeInt { offset, .. }
            | JumpIfNotGtInt { offset, .. }
            | JumpIfNotGeInt { offset, .. }
            | JumpIfNotEqInt { offset, .. }
            | RecvNext { offset, .. } => Some(Offset::Narrow(offset)),
            _ => None,
        }
    }
}

enum Offset<'a> {
    Wide(&'a mut i32),
    Narrow(&'a mut i16),
}

impl Proto {
    /// Checks the invariants the VM relies on when it skips bounds checks: every register
    /// operand (and register range) lies below `nregs`, every jump lands inside the code, and
    /// the code ends in a jump or return so execution cannot run off its end.
    pub fn verify(&self) -> Result<(), String> {
        let n = self.nregs as usize;
        for (pc, ins) in self.code.iter().enumerate() {
            if let Some(end) = ins.register_bounds().into_iter().max() {
                if end > n {
                    return Err(format!(
                        "{}: instruction {pc} ({ins:?}) uses a register beyond {n}",
                        self.display_name()
                    ));
                }
            }
            if let Some(off) = ins.jump_offset() {
                let target = pc as i64 + 1 + off;
                if target < 0 || target >= self.code.len() as i64 {
                    return Err(format!("{}: instruction {pc} jumps outside the function", self.display_name()));
                }
            }
        }
        if !matches!(self.code.last(), Some(Instr::Return { .. } | Instr::Jump { .. })) {
            return Err(format!("{}: code does not end in a return", self.display_name()));
        }
        for child in &self.protos {
            child.verify()?;
        }
        let captured_regs =
            self.protos.iter().flat_map(|p| p.captures.iter()).chain(self.eval_envs.iter().flatten().map(|(_, c)| c));
        for c in captured_regs {
            if let CaptureSrc::Register(r) = c {
                if *r as usize >= n {
                    return Err(format!("{}: a capture reads register {r} beyond {n}", self.display_name()));
                }
            }
        }
        Ok(())
    }
}
