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
    /// Call `r[base]` with `argc` arguments in the registers after it; result in `r[base]`.
    Call {
        base: Reg,
        argc: u16,
    },
    TailCall {
        base: Reg,
        argc: u16,
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
            match ins {
                Instr::LoadConst { index, .. } => {
                    let _ = write!(out, "    ; {}", self.consts[*index as usize].repr());
                }
                Instr::GetGlobal { index, .. }
                | Instr::SetGlobal { index, .. }
                | Instr::DefGlobal { index, .. } => {
                    let _ = write!(out, "    ; global #{index}");
                }
                Instr::Jump { offset }
                | Instr::JumpIfFalse { offset, .. }
                | Instr::JumpIfTrue { offset, .. }
                | Instr::TryPush { offset, .. } => {
                    let _ = write!(out, "    ; -> {}", pc as i64 + 1 + *offset as i64);
                }
                Instr::JumpIfNotLt { offset, .. }
                | Instr::JumpIfNotLe { offset, .. }
                | Instr::JumpIfNotEq { offset, .. } => {
                    let _ = write!(out, "    ; -> {}", pc as i64 + 1 + *offset as i64);
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
            let args = rest
                .trim_end_matches(" }")
                .replace(": ", "=")
                .replace(", ", " ");
            format!("{name:<14} {args}")
        }
        None => dbg,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn instructions_are_8_bytes() {
        assert_eq!(std::mem::size_of::<super::Instr>(), 8);
    }
}
