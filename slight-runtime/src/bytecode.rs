//! Bytecode: the register-machine instruction set, function prototypes and the disassembler.
//!
//! Every instruction is 8 bytes. Operands named `dst`, `a`, `b`, `src`, `base` are register
//! numbers relative to the current frame; jumps are relative to the next instruction.

use crate::value::Value;
use slight_core::{SourceMap, Span, Type};
use std::fmt::Write as _;
use std::rc::Rc;

pub type Reg = u16;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Instr {
    LoadNil {
        dst: Reg,
    },
    LoadBool {
        dst: Reg,
        value: bool,
    },
    LoadInt {
        dst: Reg,
        value: i32,
    },
    LoadConst {
        dst: Reg,
        index: u32,
    },
    Move {
        dst: Reg,
        src: Reg,
    },
    /// Copy of a captured (unshared) value.
    GetCapture {
        dst: Reg,
        index: u16,
    },
    /// Read through a captured cell.
    GetCaptureCell {
        dst: Reg,
        index: u16,
    },
    SetCaptureCell {
        index: u16,
        src: Reg,
    },
    /// Read a local that lives in a cell.
    GetCell {
        dst: Reg,
        slot: Reg,
    },
    SetCell {
        slot: Reg,
        src: Reg,
    },
    /// Replace the value in `slot` by a fresh cell holding it.
    MakeCell {
        slot: Reg,
    },
    GetGlobal {
        dst: Reg,
        index: u32,
    },
    /// `set!` on a global: it must already be defined.
    SetGlobal {
        index: u32,
        src: Reg,
    },
    DefGlobal {
        index: u32,
        src: Reg,
    },
    Add {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    Sub {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    Mul {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    Div {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    AddInt {
        dst: Reg,
        a: Reg,
        value: i16,
    },
    SubInt {
        dst: Reg,
        a: Reg,
        value: i16,
    },
    Eq {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    Ne {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    Lt {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    Gt {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    Le {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    Ge {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    Not {
        dst: Reg,
        a: Reg,
    },
    Neg {
        dst: Reg,
        a: Reg,
    },
    Cons {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    Head {
        dst: Reg,
        a: Reg,
    },
    Tail {
        dst: Reg,
        a: Reg,
    },
    IsEmpty {
        dst: Reg,
        a: Reg,
    },
    /// `dst = (list r[start] .. r[start+count-1])`
    List {
        dst: Reg,
        start: Reg,
        count: u16,
    },
    Append {
        dst: Reg,
        start: Reg,
        count: u16,
    },
    /// `Append` whose last register is a dotted tail (quasiquote `(a . ,rest)`).
    AppendDotted {
        dst: Reg,
        start: Reg,
        count: u16,
    },
    Field {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    Jump {
        offset: i32,
    },
    JumpIfFalse {
        cond: Reg,
        offset: i32,
    },
    JumpIfTrue {
        cond: Reg,
        offset: i32,
    },
    /// Compare two registers and jump when the comparison is false (fused `if (< a b)`).
    JumpIfNotLt {
        a: Reg,
        b: Reg,
        offset: i16,
    },
    JumpIfNotLe {
        a: Reg,
        b: Reg,
        offset: i16,
    },
    JumpIfNotEq {
        a: Reg,
        b: Reg,
        offset: i16,
    },
    /// Jump unless `r[a]` is an empty list (fused `if (empty? x)`).
    JumpIfNotEmpty {
        a: Reg,
        offset: i32,
    },
    /// Compare a register with a small integer and jump when the comparison is false.
    JumpIfNotLtInt {
        a: Reg,
        value: i16,
        offset: i16,
    },
    JumpIfNotLeInt {
        a: Reg,
        value: i16,
        offset: i16,
    },
    JumpIfNotGtInt {
        a: Reg,
        value: i16,
        offset: i16,
    },
    JumpIfNotGeInt {
        a: Reg,
        value: i16,
        offset: i16,
    },
    JumpIfNotEqInt {
        a: Reg,
        value: i16,
        offset: i16,
    },
    /// Call `r[base]` with `argc` arguments in the registers after it; result in `r[base]`.
    Call {
        base: Reg,
        argc: u16,
    },
    TailCall {
        base: Reg,
        argc: u16,
    },
    /// `Call` of the global `index` (saves loading the callee into `r[base]`).
    CallGlobal {
        base: Reg,
        argc: u8,
        index: u32,
    },
    TailCallGlobal {
        base: Reg,
        argc: u8,
        index: u32,
    },
    /// `Call` of the function in register `func` (saves copying it to `r[base]`).
    CallLocal {
        base: Reg,
        argc: u8,
        func: Reg,
    },
    TailCallLocal {
        base: Reg,
        argc: u8,
        func: Reg,
    },
    Return {
        src: Reg,
    },
    Closure {
        dst: Reg,
        proto: u32,
    },
    CheckType {
        reg: Reg,
        ty: Type,
    },
    /// Push a handler: an error jumps to `pc + offset` with the error value in `err`.
    TryPush {
        err: Reg,
        offset: i32,
    },
    TryPop,
    Throw {
        src: Reg,
    },
    /// Raise the "No match" error for `src`.
    MatchFail {
        src: Reg,
    },
    /// `dst = src is a list with exactly (or, if !exact, at least) len elements`.
    TestList {
        dst: Reg,
        src: Reg,
        len: u16,
        exact: bool,
    },
    /// `dst = nth(src, index)` (the list shape was checked before).
    Nth {
        dst: Reg,
        src: Reg,
        index: u16,
    },
    /// `dst = src` without its first `count` elements.
    Drop {
        dst: Reg,
        src: Reg,
        count: u16,
    },
    /// `dst = eval(form)` with the environment described by `proto.eval_envs[env]`.
    Eval {
        dst: Reg,
        form: Reg,
        env: u16,
    },
    DefMacro {
        name: u32,
        src: Reg,
    },
    /// Starts an inline `receive` (see `Compiler::inline_receive`): the deadline from the
    /// timeout in `ms` (nil: none), and `scan = 0` (index of the next queued message to try).
    RecvStart {
        scan: Reg,
        ms: Reg,
    },
    /// `dst = mailbox[scan]` and jump by `offset` (to the clause patterns). With no such
    /// message: falls through (to the `after` branch) when the deadline has passed, otherwise
    /// waits for a message and runs again.
    RecvNext {
        scan: Reg,
        dst: Reg,
        offset: i16,
    },
    /// The message at `scan` matched: moves it from the mailbox to `dst`; the wait is over.
    RecvTake {
        scan: Reg,
        dst: Reg,
    },
    /// The message at `scan` matched no clause: it stays queued, `scan += 1`.
    RecvSkip {
        scan: Reg,
    },
}

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
    pub name: Option<String>,
    pub nparams: u16,
    pub variadic: bool,
    pub nregs: u16,
    pub code: Vec<Instr>,
    /// The span of each instruction (parallel to `code`).
    pub spans: Vec<Span>,
    pub consts: Vec<Value>,
    pub protos: Vec<Rc<Proto>>,
    pub captures: Vec<CaptureSrc>,
    pub ret: Option<Type>,
    /// For each `Eval` instruction: the visible names and where their cells are.
    pub eval_envs: Vec<Vec<(String, CaptureSrc)>>,
    pub span: Span,
}

impl Proto {
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

#[cfg(test)]
mod tests {
    #[test]
    fn instructions_are_8_bytes() {
        assert_eq!(std::mem::size_of::<super::Instr>(), 8);
    }
}
