//! Lowering of any resolved Core Form to Rust over the runtime's `Value` (the untyped part of
//! the compiled path). The generated code calls the runtime support library (`slight::__rt`,
//! `slight-runtime/src/native/rt.rs`), which shares the VM's values, globals, builtins and
//! errors, so a compiled program behaves like the same program on the VM.
//!
//! # Shape of the output
//!
//! * Every function literal becomes a Rust function
//!   `fn __n_fnK(vm: &mut Vm, env: &[Value], args: &[Value]) -> Res` plus a static `FnInfo`;
//!   a closure value is `rt::closure(&__n_INFOK, captured values)`.
//! * Every top-level form becomes `fn __n_formK(vm: &mut Vm) -> Res`; `__n_FORMS` lists them
//!   in order and `register`/`run`/`run_each` run them.
//! * Each top-level `defun` also gets a public Rust wrapper under its Slight name mapped by
//!   `names::rust_ident` (`make-adder` → `pub fn make_adder(vm, &[Value])`), and a typed
//!   `defun` that fits the typed subset ([`super::typed`]) is a plain native `pub fn` whose
//!   dynamic entry converts the arguments.
//! * A local is a Rust variable `NAME__ID` holding a `Value` (a `Value::Cell` when it is
//!   captured and assigned, or visible to `eval`); captures are `env[i]`; globals, constants
//!   and error positions are indices into the module's tables (`__n_MODULE`).
//! * Every fallible operation is `rt::at(op, vm, &__n_MODULE, SITE)?`: the error gets the
//!   position of the form, as on the VM.
//! * Control flow: `if` is `if`; `loop`/`recur` and self tail calls are Rust loops; other tail
//!   calls use the runtime's trampoline (`rt::tail_call`); `try` bodies run in an immediately
//!   called closure whose `Result` the catch/finally code inspects; `match` is a labelled loop
//!   that breaks with the first clause that matches.
//!
//! Internal names all start with `__n`, which `names::rust_ident` never produces, so they
//! cannot collide with names from Slight code.
//!
//! # Last-use moves
//!
//! Reading a local clones its `Value` (a reference-count increment for heap values). One read
//! instead *moves* the value out (`::std::mem::take(&mut acc)`, leaving `nil`), so that a
//! string built by `(recur ... (string/concat acc ...))` is the only reference to its text and
//! the runtime can append to it in place (`movable_refs` finds these reads):
//!
//! * the read is an argument list that reassigns locals right after evaluating it: a `recur`
//!   (its loop's variables) or a self tail call lowered as a `continue '__ntop` (the
//!   function's parameters, when the call has one argument per parameter);
//! * the local read is one of those reassigned locals, is neither boxed in a cell nor captured
//!   by any closure of the function ([`LocalInfo`] flags), and the
//!   argument list mentions it exactly once in all (reads, `set!`, `def`, closure captures;
//!   any `eval` in the list disables moves);
//! * that one mention is the first argument of a call of the global `string/concat` (not a
//!   Rust variable, not a function this program defines), and the call is not inside a `loop`
//!   nested in the argument list (which could evaluate it more than once); function bodies
//!   are never looked into (a lambda runs later).
//!
//! The call then becomes `rt::concat_owned(vm, &M, G, moved, &[rest...])`, which appends in
//! place when the global still holds the builtin and the string is not shared, and otherwise
//! makes the ordinary call. Why nothing can see the moved-from `nil`: arguments are evaluated
//! in order and the local is not mentioned again before it is assigned; code run by the calls
//! cannot reach it (not captured, not boxed, so not visible to `eval`); and if an argument
//! raises, the error leaves the loop or function, where the local is out of scope — `recur`
//! and self tail calls are tail positions, never inside a `try` of the same loop or function.

use super::{Rt, Signatures};
use crate::core::{
    Binding, CaptureFrom, Expr, ExprKind, FnInfo, Lambda, LocalId, LocalInfo, MatchClause, Pattern, Prim, Type, VarRef,
};
use crate::error::{Result, SlightError};
use crate::names::rust_ident;
use crate::sexp::{Sexp, SexpKind};
use crate::span::{FileId, Span};
use std::collections::{HashMap, HashSet};

/// What the lowering produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A whole program: a `(file ...)` with the module tables, the forms, `register`, `run`,
    /// `run_each` and a public wrapper per top-level function.
    Program,
    /// The items of a `slight!{}` block: like `Program`.
    Items,
    /// One expression (`slight!{ (* n 2) }`): a Rust block expression run on the thread's VM,
    /// whose free variables listed in [`Options::rust_vars`] are Rust variables.
    Expr,
}

/// Settings of the dynamic lowering.
#[derive(Clone, Debug)]
pub struct Options {
    pub mode: Mode,
    /// Path segments of the runtime support library (`["slight", "__rt"]`), used with a
    /// leading `::`.
    pub rt: Vec<String>,
    /// In [`Mode::Expr`]: names that refer to Rust variables in scope.
    pub rust_vars: HashSet<String>,
    /// Typed functions that have a native Rust version (added with
    /// [`ProgramLowering::add_typed_item`]).
    pub typed: Signatures,
}

/// Known functions with at most this many parameters get a by-value direct entry.
pub const MAX_DIRECT_PARAMS: usize = 6;

/// Names of the module API functions; a Slight function with one of these names gets no
/// public Rust wrapper.
pub const RESERVED: &[&str] = &["register", "run", "run_each"];

/// Accumulates a compiled module, form by form.
pub struct ProgramLowering {
    opts: Options,
    span0: Span,
    /// Source files: driver file id → (index in the module, name, text).
    files: Vec<(FileId, String, String)>,
    consts: Vec<String>,
    const_index: HashMap<String, u32>,
    globals: Vec<String>,
    global_index: HashMap<String, u32>,
    sites: Vec<Sexp>,
    items: Vec<Sexp>,
    forms: Vec<String>,
    /// Public wrappers: Slight name → code function and info static.
    wrappers: Vec<(String, String)>,
    typed_items: Vec<(String, Sexp)>,
    next_fn: u32,
    /// In expression mode: the single expression's body.
    expr_body: Option<Sexp>,
    /// Starts (indices into `forms`) of the included files being added, innermost last.
    groups: Vec<usize>,
    /// Top-level functions defined once and never assigned: name → (function number, arity).
    /// Calls of them with the right arity are direct (`rt::holds`, `rt::enter_direct`).
    known: HashMap<String, (u32, usize)>,
    /// The function number reserved for the next lambda lowered (a known function's).
    reserved: Option<u32>,
    /// Typed functions (their dynamic entry has no by-value variant).
    typed_names: HashSet<String>,
    /// Known functions with a specialized version ([`ProgramLowering::add_specialized`]):
    /// name → the known functions whose globals it assumes.
    specialized: HashMap<String, Vec<String>>,
    /// Known functions that are compiled copies of the VM's prelude functions
    /// ([`ProgramLowering::add_prelude_form`]): calls check `rt::prelude_holds` instead.
    prelude: HashSet<String>,
}

fn sym(s: &str) -> Sexp {
    Sexp::sym(s, Span::default())
}

fn l(items: Vec<Sexp>) -> Sexp {
    Sexp::list(items, Span::default())
}

fn kw(k: &str) -> Sexp {
    Sexp::new(SexpKind::Keyword(k.to_string()), Span::default())
}

fn lit(kind: SexpKind) -> Sexp {
    l(vec![sym("lit"), Sexp::new(kind, Span::default())])
}

fn lit_u(n: usize) -> Sexp {
    lit(SexpKind::Int(n as i64))
}

fn lit_str(s: &str) -> Sexp {
    lit(SexpKind::Str(s.to_string()))
}

fn call(f: Sexp, args: Vec<Sexp>) -> Sexp {
    let mut v = vec![sym("call"), f];
    v.extend(args);
    l(v)
}

fn r(e: Sexp) -> Sexp {
    l(vec![sym("ref"), e])
}

fn try_(e: Sexp) -> Sexp {
    l(vec![sym("try"), e])
}

fn block(stmts: Vec<Sexp>) -> Sexp {
    let mut v = vec![sym("block")];
    v.extend(stmts);
    l(v)
}

fn let_(name: &str, e: Sexp) -> Sexp {
    l(vec![sym("let"), sym(name), e])
}

fn assign(a: Sexp, b: Sexp) -> Sexp {
    l(vec![sym("assign"), a, b])
}

fn method(recv: Sexp, name: &str, args: Vec<Sexp>) -> Sexp {
    let mut v = vec![sym("method"), recv, sym(name)];
    v.extend(args);
    l(v)
}

fn clone_of(e: Sexp) -> Sexp {
    method(e, "clone", vec![])
}

fn index(e: Sexp, i: usize) -> Sexp {
    l(vec![sym("index"), e, lit_u(i)])
}

fn vec_of(items: Vec<Sexp>) -> Sexp {
    let mut arr = vec![sym("array")];
    arr.extend(items);
    call(l(vec![sym("path"), sym("Vec"), sym("from")]), vec![l(arr)])
}

fn array_ref(items: Vec<Sexp>) -> Sexp {
    let mut arr = vec![sym("array")];
    arr.extend(items);
    r(l(arr))
}

/// The attributes every generated function carries: generated code is not linted.
const ALLOW: &str = "allow(unused_mut, unused_variables, unused_assignments, unused_braces, unreachable_code, \
                     non_snake_case, non_upper_case_globals, break_with_label_and_loop, unused_parens, clippy::all)";

impl ProgramLowering {
    pub fn new(opts: Options) -> Self {
        let typed_names = opts.typed.keys().cloned().collect();
        ProgramLowering {
            opts,
            span0: Span::default(),
            files: Vec::new(),
            consts: Vec::new(),
            const_index: HashMap::new(),
            globals: Vec::new(),
            global_index: HashMap::new(),
            sites: Vec::new(),
            items: Vec::new(),
            forms: Vec::new(),
            wrappers: Vec::new(),
            typed_items: Vec::new(),
            next_fn: 0,
            expr_body: None,
            groups: Vec::new(),
            known: HashMap::new(),
            reserved: None,
            typed_names,
            specialized: HashMap::new(),
            prelude: HashSet::new(),
        }
    }

    /// Registers a source file (the driver's file id) so sites in it can be named.
    pub fn add_file(&mut self, id: FileId, name: &str, text: &str) {
        self.files.push((id, name.to_string(), text.to_string()));
    }

    /// Declares a top-level function (defined once, never assigned, no rest parameter) before
    /// the forms are added, so calls of it anywhere — also before its definition — can be
    /// direct calls.
    pub fn declare_function(&mut self, name: &str, nparams: usize) {
        let k = self.fresh_fn();
        self.known.insert(name.to_string(), (k, nparams));
    }

    /// Declares a function of the VM's prelude (`list/map`, ...) the program calls and does
    /// not define: its definition is added with [`add_prelude_form`](Self::add_prelude_form),
    /// and direct calls of it run that compiled copy while the global still holds the
    /// prelude's function.
    pub fn declare_prelude_function(&mut self, name: &str, nparams: usize) {
        self.declare_function(name, nparams);
        self.prelude.insert(name.to_string());
    }

    /// Adds the compiled copy of a prelude function declared with
    /// [`declare_prelude_function`](Self::declare_prelude_function): its items only, no
    /// top-level form (the global keeps the VM's function) and no public wrapper.
    pub fn add_prelude_form(&mut self, expr: &Expr, info: &FnInfo) -> Result<()> {
        let ExprKind::Define { binding, var: VarRef::Global(_), value } = &expr.kind else {
            return Err(SlightError::syntax("a prelude form that is not a defun", expr.span));
        };
        if !matches!(value.kind, ExprKind::Lambda(_)) || !self.prelude.contains(&binding.name) {
            return Err(SlightError::syntax(format!("{} is not a declared prelude function", binding.name), expr.span));
        }
        self.reserved = self.known.get(&binding.name).map(|&(k, _)| k);
        let mut f = FnLower::new(self, info, None, "toplevel");
        f.body_expr(expr)?;
        Ok(())
    }

    /// The check that global `g` still holds the known function `name` (function number `k`).
    fn holds_known(&self, name: &str, g: u32, k: u32) -> Sexp {
        if self.prelude.contains(name) {
            return self.rtcall(Rt::prelude_holds, vec![sym("vm"), self.module_ref(), lit_u(g as usize)]);
        }
        let info = r(sym(&format!("__n_INFO{k}")));
        self.rtcall(Rt::holds, vec![sym("vm"), self.module_ref(), lit_u(g as usize), info])
    }

    /// Adds the native item of a typed function (from [`super::lower_typed_fn`]).
    pub fn add_typed_item(&mut self, name: &str, item: Sexp) {
        self.typed_items.push((name.to_string(), item));
    }

    /// Adds the specialized version of a known function (from
    /// [`super::lower_speculative`]): `item` is `fn __ns_NAME(vm, i64...) -> SpecRes<T>`
    /// ([`super::speculative_name`]), and `assumes` are the known functions (itself included)
    /// that it calls directly, whose globals must still hold them when it is entered.
    pub fn add_specialized(&mut self, name: &str, item: Sexp, assumes: Vec<String>) {
        self.items.push(item);
        self.specialized.insert(name.to_string(), assumes);
    }

    /// The path of runtime item `item` (and `member` of it, as in `FnInfo::new`).
    fn rt(&self, item: Rt, member: &[&str]) -> Sexp {
        super::rt_path(&self.opts.rt, item, member, self.span0)
    }

    /// `let _ = rt::tick(vm)?;`: a round of a loop counts against the process's time slice
    /// (calls count in `rt::enter_direct`), so compiled loops are preempted like the VM's.
    fn tick(&self) -> Sexp {
        l(vec![sym("let"), sym("_"), try_(self.rtcall(Rt::tick, vec![sym("vm")]))])
    }

    /// A call of runtime function `item`.
    fn rtcall(&self, item: Rt, args: Vec<Sexp>) -> Sexp {
        call(self.rt(item, &[]), args)
    }

    /// A call of `item::member` (an associated function of a runtime type).
    fn rtcall_member(&self, item: Rt, member: &str, args: Vec<Sexp>) -> Sexp {
        call(self.rt(item, &[member]), args)
    }

    fn module_ref(&self) -> Sexp {
        r(sym("__n_MODULE"))
    }

    fn site(&mut self, span: Span, function: &str) -> u32 {
        let file = self.files.iter().position(|(id, _, _)| *id == span.file).unwrap_or(0);
        let s = self.rtcall_member(
            Rt::Site,
            "new",
            vec![
                lit_u(file),
                lit_u(span.start as usize),
                lit_u(span.end as usize),
                lit_u(span.line as usize),
                lit_u(span.col as usize),
                lit_str(function),
            ],
        );
        self.sites.push(s);
        (self.sites.len() - 1) as u32
    }

    fn global(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.global_index.get(name) {
            return i;
        }
        let i = self.globals.len() as u32;
        self.globals.push(name.to_string());
        self.global_index.insert(name.to_string(), i);
        i
    }

    fn constant(&mut self, datum: &Sexp) -> u32 {
        let text = datum.to_string();
        if let Some(&i) = self.const_index.get(&text) {
            return i;
        }
        let i = self.consts.len() as u32;
        self.consts.push(text.clone());
        self.const_index.insert(text, i);
        i
    }

    fn fresh_fn(&mut self) -> u32 {
        self.next_fn += 1;
        self.next_fn
    }

    /// The forms added from here to the matching [`end_group`](Self::end_group) come from an
    /// included file: like `include` on the VM, they run as one top-level form that stops at
    /// the first error and gives the value of the last form.
    pub fn begin_group(&mut self) {
        self.groups.push(self.forms.len());
    }

    pub fn end_group(&mut self) {
        let Some(start) = self.groups.pop() else { return };
        let parts: Vec<String> = self.forms.drain(start..).collect();
        let name = format!("__n_form{}", self.fresh_fn());
        let mut stmts = Vec::new();
        let n = parts.len();
        for (i, part) in parts.iter().enumerate() {
            let c = call(sym(part), vec![sym("vm")]);
            if i + 1 == n {
                stmts.push(c);
            } else {
                stmts.push(l(vec![sym("let"), sym("_"), try_(c)]));
            }
        }
        if n == 0 {
            stmts.push(call(sym("Ok"), vec![self.rt(Rt::Value, &["Nil"])]));
        }
        let item = self.fn_item(&name, vec![(sym("vm"), l(vec![sym("ref-mut"), self.rt(Rt::Vm, &[])]))], block(stmts));
        self.items.push(item);
        self.forms.push(name);
    }

    /// Adds one resolved top-level form.
    pub fn add_form(&mut self, expr: &Expr, info: &FnInfo) -> Result<()> {
        // A typed defun with a native version: its global is the native function's dynamic entry.
        if let ExprKind::Define { binding, var: VarRef::Global(_), value } = &expr.kind {
            if let ExprKind::Lambda(lambda) = &value.kind {
                if self.opts.typed.contains_key(&binding.name) && self.opts.mode != Mode::Expr {
                    return self.add_typed_define(&binding.name, lambda, expr.span);
                }
            }
        }
        if let ExprKind::Define { binding, var: VarRef::Global(_), value } = &expr.kind {
            if let ExprKind::Lambda(_) = value.kind {
                self.reserved = self.known.get(&binding.name).map(|&(k, _)| k);
            }
        }
        let k = self.fresh_fn();
        let name = format!("__n_form{k}");
        let mut f = FnLower::new(self, info, None, "toplevel");
        let body = f.body_expr(expr)?;
        let decls = f.declarations(&[]);
        let last_lambda = f.last_lambda.clone();
        if let ExprKind::Define { binding, var: VarRef::Global(_), value } = &expr.kind {
            if let (ExprKind::Lambda(_), Some(info)) = (&value.kind, last_lambda) {
                self.wrappers.push((binding.name.clone(), info));
            }
        }
        if self.opts.mode == Mode::Expr {
            let mut stmts = vec![let_("env", self.empty_env())];
            stmts.extend(decls);
            let run = l(vec![
                sym("closure"),
                kw("ret"),
                self.rt(Rt::Res, &[]),
                l(vec![]),
                block(vec![call(sym("Ok"), vec![body])]),
            ]);
            stmts.push(let_("__n_r", call(run, vec![])));
            stmts.push(self.rtcall(Rt::expect_value, vec![sym("vm"), sym("__n_r")]));
            self.expr_body = Some(block(stmts));
            return Ok(());
        }
        let mut stmts = vec![let_("env", self.empty_env()), let_("args", self.empty_env())];
        stmts.extend(decls);
        stmts.push(call(sym("Ok"), vec![body]));
        let item = self.fn_item(&name, vec![(sym("vm"), l(vec![sym("ref-mut"), self.rt(Rt::Vm, &[])]))], block(stmts));
        self.items.push(item);
        self.forms.push(name);
        Ok(())
    }

    fn empty_env(&self) -> Sexp {
        let ty = l(vec![sym("ref"), l(vec![sym("slice"), self.rt(Rt::Value, &[])])]);
        l(vec![sym("cast"), r(l(vec![sym("array")])), ty])
    }

    fn fn_item(&self, name: &str, params: Vec<(Sexp, Sexp)>, body: Sexp) -> Sexp {
        let params: Vec<Sexp> = params.into_iter().map(|(p, t)| l(vec![p, t])).collect();
        l(vec![
            sym("fn"),
            kw("name"),
            sym(name),
            kw("attrs"),
            l(vec![Sexp::new(SexpKind::Str(ALLOW.to_string()), self.span0)]),
            kw("params"),
            l(params),
            kw("ret"),
            self.rt(Rt::Res, &[]),
            kw("body"),
            body,
        ])
    }

    fn code_params(&self) -> Vec<(Sexp, Sexp)> {
        let slice = || l(vec![sym("ref"), l(vec![sym("slice"), self.rt(Rt::Value, &[])])]);
        vec![(sym("vm"), l(vec![sym("ref-mut"), self.rt(Rt::Vm, &[])])), (sym("env"), slice()), (sym("args"), slice())]
    }

    /// A typed defun: the native function (already lowered), a dynamic entry that converts
    /// the arguments and catches overflow, and the form that defines the global.
    fn add_typed_define(&mut self, name: &str, lambda: &Lambda, span: Span) -> Result<()> {
        let sig = self.opts.typed[name].clone();
        let k = match self.known.get(name) {
            Some(&(k, _)) => k,
            None => self.fresh_fn(),
        };
        let code = format!("__n_fn{k}");
        let info = format!("__n_INFO{k}");
        let mut stmts = Vec::new();
        let mut native_args = Vec::new();
        for (i, (p, ty)) in lambda.params.iter().zip(&sig.params).enumerate() {
            let conv = match ty {
                Type::I64 => Rt::arg_i64,
                Type::F64 => Rt::arg_f64,
                _ => Rt::arg_bool,
            };
            let site = self.site(p.span, name);
            let v = self.rtcall(conv, vec![r(index(sym("args"), i))]);
            let checked = try_(self.rtcall(Rt::at, vec![v, sym("vm"), self.module_ref(), lit_u(site as usize)]));
            let a = format!("__na{i}");
            stmts.push(let_(&a, checked));
            native_args.push(sym(&a));
        }
        let native = call(sym(&rust_ident(name)), native_args);
        let closure = l(vec![sym("closure"), l(vec![]), native]);
        let site = self.site(span, name);
        let caught = try_(self.rtcall(
            Rt::at,
            vec![
                self.rtcall(Rt::catch_overflow, vec![sym("vm"), closure]),
                sym("vm"),
                self.module_ref(),
                lit_u(site as usize),
            ],
        ));
        let wrap = match sig.ret {
            Type::I64 => Rt::int,
            Type::F64 => Rt::float,
            _ => Rt::boolean,
        };
        stmts.push(call(sym("Ok"), vec![self.rtcall(wrap, vec![caught])]));
        let item = self.fn_item(&code, self.code_params(), block(stmts));
        self.items.push(item);
        self.items.push(self.info_static(&info, Some(name), lambda.params.len(), false, &code));
        // The defining form.
        let g = self.global(name);
        let form = format!("__n_form{}", self.fresh_fn());
        let value =
            self.rtcall(Rt::closure, vec![r(sym(&info)), call(l(vec![sym("path"), sym("Vec"), sym("new")]), vec![])]);
        let def = try_(self.rtcall(Rt::def_global, vec![sym("vm"), self.module_ref(), lit_u(g as usize), value]));
        let body = block(vec![call(sym("Ok"), vec![def])]);
        let item = self.fn_item(&form, vec![(sym("vm"), l(vec![sym("ref-mut"), self.rt(Rt::Vm, &[])]))], body);
        self.items.push(item);
        self.forms.push(form);
        Ok(())
    }

    /// `pub fn NAME(PARAMS) -> RET BODY`, not linted (generated).
    fn pub_fn(&self, name: &str, params: Vec<Sexp>, ret: Sexp, body: Sexp) -> Sexp {
        let allow = Sexp::new(SexpKind::Str("allow(non_snake_case, dead_code, clippy::all)".into()), self.span0);
        l(vec![
            sym("fn"),
            kw("name"),
            sym(name),
            kw("pub"),
            Sexp::new(SexpKind::Bool(true), self.span0),
            kw("attrs"),
            l(vec![allow]),
            kw("params"),
            l(params),
            kw("ret"),
            ret,
            kw("body"),
            body,
        ])
    }

    fn info_static(&self, info: &str, name: Option<&str>, nparams: usize, variadic: bool, code: &str) -> Sexp {
        let name = match name {
            Some(n) => call(sym("Some"), vec![lit_str(n)]),
            None => sym("None"),
        };
        let value =
            self.rtcall_member(Rt::FnInfo, "new", vec![name, lit_u(nparams), lit(SexpKind::Bool(variadic)), sym(code)]);
        let allow = l(vec![Sexp::new(SexpKind::Str("allow(non_upper_case_globals, clippy::all)".into()), self.span0)]);
        l(vec![sym("static"), sym(info), kw("attrs"), allow, kw("ty"), self.rt(Rt::FnInfo, &[]), value])
    }

    /// The finished module (or expression).
    pub fn finish(self) -> Result<Sexp> {
        let mut items = Vec::new();
        let files: Vec<Sexp> =
            self.files.iter().map(|(_, name, text)| l(vec![sym("tuple"), lit_str(name), lit_str(text)])).collect();
        let strs = |v: &[String]| -> Sexp {
            let mut a = vec![sym("array")];
            a.extend(v.iter().map(|s| lit_str(s)));
            r(l(a))
        };
        let mut sites = vec![sym("array")];
        sites.extend(self.sites.iter().cloned());
        let mut file_arr = vec![sym("array")];
        file_arr.extend(files);
        let module = self.rtcall_member(
            Rt::Module,
            "new",
            vec![r(l(file_arr)), strs(&self.consts), strs(&self.globals), r(l(sites))],
        );
        let allow = l(vec![Sexp::new(SexpKind::Str("allow(non_upper_case_globals, clippy::all)".into()), self.span0)]);
        items.push(l(vec![
            sym("static"),
            sym("__n_MODULE"),
            kw("attrs"),
            allow.clone(),
            kw("ty"),
            self.rt(Rt::Module, &[]),
            module,
        ]));
        for (_, item) in &self.typed_items {
            items.push(item.clone());
        }
        items.extend(self.items.iter().cloned());
        if self.opts.mode == Mode::Expr {
            let body = self.expr_body.clone().unwrap_or_else(|| block(vec![]));
            let run = l(vec![sym("closure"), l(vec![sym("vm")]), body]);
            let mut stmts = items;
            stmts.push(self.rtcall(Rt::with_thread_vm, vec![run]));
            return Ok(block(stmts));
        }
        let form_ty = self.rt(Rt::Form, &[]);
        let mut forms = vec![sym("array")];
        forms.extend(self.forms.iter().map(|f| sym(f)));
        let n = self.forms.len();
        items.push(l(vec![
            sym("static"),
            sym("__n_FORMS"),
            kw("attrs"),
            allow,
            kw("ty"),
            l(vec![sym("array"), form_ty, Sexp::new(SexpKind::Int(n as i64), self.span0)]),
            l(forms),
        ]));
        let vm_param = || l(vec![sym("vm"), l(vec![sym("ref-mut"), self.rt(Rt::Vm, &[])])]);
        let err_ty = self.rt(Rt::Error, &[]);
        let result = |ok: Sexp| l(vec![sym("generic"), sym("Result"), ok, err_ty.clone()]);
        let run_program = self.rtcall(Rt::run_program, vec![sym("vm"), self.module_ref(), r(sym("__n_FORMS"))]);
        items.push(self.pub_fn(
            "run",
            vec![vm_param()],
            result(self.rt(Rt::Value, &[])),
            block(vec![run_program.clone()]),
        ));
        let discard = l(vec![sym("closure"), l(vec![sym("_")]), l(vec![sym("tuple")])]);
        let registered = block(vec![method(run_program, "map", vec![discard])]);
        items.push(self.pub_fn("register", vec![vm_param()], result(l(vec![sym("tuple")])), registered));
        let each = l(vec![sym("each"), l(vec![sym("ref-mut"), self.rt(Rt::EachForm, &[])])]);
        let run_forms =
            self.rtcall(Rt::run_forms, vec![sym("vm"), self.module_ref(), r(sym("__n_FORMS")), sym("each")]);
        items.push(self.pub_fn("run_each", vec![vm_param(), each], l(vec![sym("tuple")]), block(vec![run_forms])));
        let mut public = HashSet::new();
        for (name, _) in &self.typed_items {
            public.insert(rust_ident(name));
        }
        for (name, info) in &self.wrappers {
            let ident = rust_ident(name);
            if RESERVED.contains(&ident.as_str()) || !public.insert(ident.clone()) {
                continue;
            }
            let slice = l(vec![sym("ref"), l(vec![sym("slice"), self.rt(Rt::Value, &[])])]);
            let body = block(vec![self.rtcall(
                Rt::call_static,
                vec![sym("vm"), self.module_ref(), r(sym("__n_FORMS")), r(sym(info)), sym("args")],
            )]);
            items.push(self.pub_fn(
                &ident,
                vec![vm_param(), l(vec![sym("args"), slice])],
                result(self.rt(Rt::Value, &[])),
                body,
            ));
        }
        let mut file = vec![sym("file")];
        file.extend(items);
        Ok(l(file))
    }
}

/// Lowers one function (or top-level form) body.
struct FnLower<'p> {
    p: &'p mut ProgramLowering,
    info: &'p FnInfo,
    /// Rust variable name of each local.
    names: Vec<String>,
    /// The global this function is bound to, with its code function (for self tail calls).
    self_call: Option<(String, String)>,
    /// Set when a self tail call was lowered as a loop.
    self_looped: bool,
    ret: Option<Type>,
    /// Enclosing `loop`s: label and loop variables.
    loops: Vec<(String, Vec<LocalId>)>,
    predeclared: HashSet<LocalId>,
    display: String,
    next_tmp: u32,
    /// The info static of the last lambda lowered at the top of this body (for wrappers).
    last_lambda: Option<String>,
    /// This function's parameters (for self tail calls): local, type, span.
    current_params: Vec<(LocalId, Option<Type>, Span)>,
    /// False in top-level forms: they are not entered through a call, so nothing would make
    /// a pending tail call.
    in_function: bool,
    /// Local reads (by address in the Core Form tree) that move the local's value instead of
    /// cloning it; see "Last-use moves" in the module comment.
    moves: HashSet<*const Expr>,
}

impl<'p> FnLower<'p> {
    fn new(p: &'p mut ProgramLowering, info: &'p FnInfo, self_call: Option<(String, String)>, display: &str) -> Self {
        let mut seen = HashSet::new();
        let names = info
            .locals
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let base = rust_ident(&l.name);
                let n = format!("{base}__{i}");
                seen.insert(n.clone());
                n
            })
            .collect();
        FnLower {
            p,
            info,
            names,
            self_call,
            self_looped: false,
            ret: None,
            loops: Vec::new(),
            predeclared: HashSet::new(),
            display: display.to_string(),
            next_tmp: 0,
            last_lambda: None,
            current_params: Vec::new(),
            in_function: false,
            moves: HashSet::new(),
        }
    }

    fn tmp(&mut self) -> String {
        self.next_tmp += 1;
        format!("__nt{}", self.next_tmp)
    }

    fn boxed(&self, id: LocalId) -> bool {
        self.info.locals[id as usize].boxed
    }

    fn local(&self, id: LocalId) -> Sexp {
        sym(&self.names[id as usize])
    }

    /// `let mut` declarations of every local except `params` (which the caller declares).
    fn declarations(&self, params: &[LocalId]) -> Vec<Sexp> {
        let nil = self.p.rt(Rt::Value, &["Nil"]);
        (0..self.info.locals.len() as LocalId)
            .filter(|id| !params.contains(id))
            .map(|id| {
                l(vec![
                    sym("let"),
                    self.local(id),
                    kw("mut"),
                    Sexp::new(SexpKind::Bool(true), Span::default()),
                    kw("ty"),
                    self.p.rt(Rt::Value, &[]),
                    nil.clone(),
                ])
            })
            .collect()
    }

    /// `rt::at(op, vm, &__n_MODULE, site)?`
    fn at(&mut self, op: Sexp, span: Span) -> Sexp {
        let site = self.p.site(span, &self.display.clone());
        try_(self.p.rtcall(Rt::at, vec![op, sym("vm"), self.p.module_ref(), lit_u(site as usize)]))
    }

    /// An error value returned from the function at `span`.
    fn raise(&mut self, err: Sexp, span: Span) -> Sexp {
        let site = self.p.site(span, &self.display.clone());
        let located =
            self.p.rtcall(Rt::locate, vec![sym("vm"), self.p.module_ref(), lit_u(site as usize), sym("__ne")]);
        block(vec![let_("__ne", err), l(vec![sym("return"), call(sym("Err"), vec![located])])])
    }

    /// A body: predeclares its local `def`s (so earlier closures can capture them), then the forms.
    fn body_expr(&mut self, e: &Expr) -> Result<Sexp> {
        let mut pre = Vec::new();
        for (id, _) in e.body_defines() {
            if self.predeclared.insert(id) {
                let init = if self.boxed(id) {
                    self.p.rtcall(Rt::new_cell, vec![self.p.rt(Rt::Value, &["Nil"])])
                } else {
                    self.p.rt(Rt::Value, &["Nil"])
                };
                pre.push(assign(self.local(id), init));
            }
        }
        let v = self.expr(e)?;
        if pre.is_empty() {
            return Ok(v);
        }
        pre.push(v);
        Ok(block(pre))
    }

    /// Stores `value` into local `b`: type check, cell.
    fn bind(&mut self, b: &Binding, value: Sexp) -> Sexp {
        let mut v = value;
        if let Some(ty) = b.ty {
            v = self.at(self.p.rtcall(Rt::check_type, vec![v, self.p.rt(Rt::Type, &[ty_variant(ty)])]), b.span);
        }
        if self.boxed(b.local) {
            v = self.p.rtcall(Rt::new_cell, vec![v]);
        }
        assign(self.local(b.local), v)
    }

    fn read_var(&mut self, var: VarRef, name: &str, span: Span) -> Sexp {
        match var {
            VarRef::Local(id) => {
                if self.boxed(id) {
                    self.p.rtcall(Rt::cell_get, vec![r(self.local(id))])
                } else {
                    clone_of(self.local(id))
                }
            }
            VarRef::Capture(i) => {
                let slot = index(sym("env"), i as usize);
                if self.info.captures[i as usize].boxed {
                    self.p.rtcall(Rt::cell_get, vec![r(slot)])
                } else {
                    clone_of(slot)
                }
            }
            VarRef::Global(_) if self.p.opts.rust_vars.contains(name) => {
                self.p.rtcall(Rt::from_rust, vec![r(sym(&rust_ident(name)))])
            }
            VarRef::Global(_) => {
                let g = self.p.global(name);
                let get = self.p.rtcall(Rt::get_global, vec![sym("vm"), self.p.module_ref(), lit_u(g as usize)]);
                self.at(get, span)
            }
            VarRef::Unresolved => self.p.rt(Rt::Value, &["Nil"]),
        }
    }

    /// Operand `i` of `args` as a reference expression, plus the statement that computes it
    /// into a temporary when needed (anything but a plain local that no later operand assigns).
    fn operand(&mut self, args: &[Expr], i: usize, stmts: &mut Vec<Sexp>) -> Result<Sexp> {
        let a = &args[i];
        if let (ExprKind::Const(datum), true) = (&a.kind, is_simple(a)) {
            return Ok(r(self.constant(datum)));
        }
        if let ExprKind::Var { var: VarRef::Local(id), .. } = a.kind {
            if !self.boxed(id) && !args[i + 1..].iter().any(|later| later.may_assign_local(id)) {
                return Ok(r(self.local(id)));
            }
        }
        let v = self.expr(a)?;
        let t = self.tmp();
        stmts.push(let_(&t, v));
        Ok(r(sym(&t)))
    }

    /// Values of `args` in order, as owned expressions (temporaries where evaluation could
    /// interfere with each other).
    fn values(&mut self, args: &[Expr], stmts: &mut Vec<Sexp>) -> Result<Vec<Sexp>> {
        let mut out = Vec::with_capacity(args.len());
        for a in args {
            let v = self.expr(a)?;
            if is_simple(a) {
                out.push(v);
            } else {
                let t = self.tmp();
                stmts.push(let_(&t, v));
                out.push(sym(&t));
            }
        }
        // Simple values read variables: if a later argument assigns one, read it first.
        Ok(out)
    }

    fn with_stmts(stmts: Vec<Sexp>, e: Sexp) -> Sexp {
        if stmts.is_empty() {
            return e;
        }
        let mut s = stmts;
        s.push(e);
        block(s)
    }

    /// A test as a Rust `bool`.
    fn condition(&mut self, c: &Expr) -> Result<Sexp> {
        if let ExprKind::Prim(p, args) = &c.kind {
            let op = match p {
                Prim::Lt => Some((Rt::lt, Rt::lt_i)),
                Prim::Le => Some((Rt::le, Rt::le_i)),
                Prim::Gt => Some((Rt::gt, Rt::gt_i)),
                Prim::Ge => Some((Rt::ge, Rt::ge_i)),
                _ => None,
            };
            if let (Some((op, op_i)), 2) = (op, args.len()) {
                let mut stmts = Vec::new();
                let a = self.operand(args, 0, &mut stmts)?;
                // Against an integer constant: no `Value` temporary for the constant.
                let test = match int_const(&args[1]) {
                    Some(k) => self.p.rtcall(op_i, vec![a, lit(SexpKind::Int(k))]),
                    None => {
                        let b = self.operand(args, 1, &mut stmts)?;
                        self.p.rtcall(op, vec![a, b])
                    }
                };
                let test = self.at(test, c.span);
                return Ok(Self::with_stmts(stmts, test));
            }
            if matches!(p, Prim::Eq | Prim::Ne) && args.len() == 2 {
                let mut stmts = Vec::new();
                let a = self.operand(args, 0, &mut stmts)?;
                let b = self.operand(args, 1, &mut stmts)?;
                let mut test = self.p.rtcall(Rt::eq, vec![a, b]);
                if *p == Prim::Ne {
                    test = l(vec![sym("unop"), sym("!"), test]);
                }
                return Ok(Self::with_stmts(stmts, test));
            }
            if *p == Prim::Not && args.len() == 1 {
                let inner = self.condition(&args[0])?;
                return Ok(l(vec![sym("unop"), sym("!"), inner]));
            }
            if *p == Prim::IsEmpty && args.len() == 1 {
                let mut stmts = Vec::new();
                let a = self.operand(args, 0, &mut stmts)?;
                let test = self.at(self.p.rtcall(Rt::is_empty, vec![a]), c.span);
                return Ok(Self::with_stmts(stmts, test));
            }
        }
        let v = self.expr(c)?;
        Ok(self.p.rtcall(Rt::truthy, vec![r(v)]))
    }

    fn expr(&mut self, e: &Expr) -> Result<Sexp> {
        let _level = crate::expander::enter(e.span)?;
        let span = e.span;
        Ok(match &e.kind {
            ExprKind::Const(datum) => self.constant(datum),
            ExprKind::Var { var: VarRef::Local(id), .. } if self.moves.remove(&(e as *const Expr)) => {
                let take = l(vec![
                    sym("path"),
                    kw("global"),
                    Sexp::new(SexpKind::Bool(true), span),
                    sym("std"),
                    sym("mem"),
                    sym("take"),
                ]);
                call(take, vec![l(vec![sym("ref-mut"), self.local(*id)])])
            }
            ExprKind::Var { var, name } => self.read_var(*var, name, span),
            ExprKind::Set { var, value, name } => {
                let v = self.expr(value)?;
                match var {
                    VarRef::Local(id) if self.boxed(*id) => self.p.rtcall(Rt::cell_set, vec![r(self.local(*id)), v]),
                    VarRef::Local(id) => {
                        let t = self.tmp();
                        block(vec![let_(&t, v), assign(self.local(*id), clone_of(sym(&t))), sym(&t)])
                    }
                    VarRef::Capture(i) => self.p.rtcall(Rt::cell_set, vec![r(index(sym("env"), *i as usize)), v]),
                    VarRef::Global(_) => {
                        let g = self.p.global(name);
                        let t = self.tmp();
                        let set = self
                            .p
                            .rtcall(Rt::set_global, vec![sym("vm"), self.p.module_ref(), lit_u(g as usize), sym(&t)]);
                        let set = self.at(set, span);
                        block(vec![let_(&t, v), set])
                    }
                    VarRef::Unresolved => v,
                }
            }
            ExprKind::Define { binding, var, value } => match var {
                VarRef::Global(_) => {
                    let mut v = self.expr(value)?;
                    if let Some(ty) = binding.ty {
                        v = self
                            .at(self.p.rtcall(Rt::check_type, vec![v, self.p.rt(Rt::Type, &[ty_variant(ty)])]), span);
                    }
                    let g = self.p.global(&binding.name);
                    let t = self.tmp();
                    let def =
                        self.p.rtcall(Rt::def_global, vec![sym("vm"), self.p.module_ref(), lit_u(g as usize), sym(&t)]);
                    block(vec![let_(&t, v), try_(def)])
                }
                VarRef::Local(id) => {
                    let v = self.expr(value)?;
                    if self.boxed(*id) && self.predeclared.contains(id) {
                        let mut v = v;
                        if let Some(ty) = binding.ty {
                            v = self.at(
                                self.p.rtcall(Rt::check_type, vec![v, self.p.rt(Rt::Type, &[ty_variant(ty)])]),
                                span,
                            );
                        }
                        self.p.rtcall(Rt::cell_set, vec![r(self.local(*id)), v])
                    } else {
                        let store = self.bind(binding, v);
                        let read = self.read_var(VarRef::Local(*id), &binding.name, span);
                        block(vec![store, read])
                    }
                }
                _ => self.p.rt(Rt::Value, &["Nil"]),
            },
            ExprKind::If(c, t, f) => {
                let c = self.condition(c)?;
                let t = self.expr(t)?;
                let f = self.expr(f)?;
                l(vec![sym("if"), c, block(vec![t]), block(vec![f])])
            }
            ExprKind::Lambda(lambda) => self.lambda(lambda)?,
            ExprKind::Call(callee, args) => self.call(e, callee, args)?,
            ExprKind::Prim(p, args) => self.prim(*p, args, span)?,
            ExprKind::Seq(items) => {
                if items.is_empty() {
                    return Ok(self.p.rt(Rt::Value, &["Nil"]));
                }
                let mut stmts = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let v = self.expr(item)?;
                    if i + 1 == items.len() {
                        stmts.push(v);
                    } else {
                        stmts.push(l(vec![sym("let"), sym("_"), v]));
                    }
                }
                block(stmts)
            }
            ExprKind::Let(bindings, body) => {
                let mut stmts = Vec::new();
                for (b, init) in bindings {
                    let v = self.expr(init)?;
                    stmts.push(self.bind(b, v));
                }
                stmts.push(self.body_expr(body)?);
                block(stmts)
            }
            ExprKind::And(items) | ExprKind::Or(items) => {
                let is_and = matches!(e.kind, ExprKind::And(_));
                if items.is_empty() {
                    return Ok(if is_and {
                        self.p.rtcall(Rt::boolean, vec![lit(SexpKind::Bool(true))])
                    } else {
                        self.p.rt(Rt::Value, &["Nil"])
                    });
                }
                // (and a b c): let t = a; if truthy(t) { let t = b; if truthy(t) { c } else { t } } else { t }
                let mut acc = self.expr(items.last().expect("non-empty"))?;
                for item in items[..items.len() - 1].iter().rev() {
                    let v = self.expr(item)?;
                    let t = self.tmp();
                    let test = self.p.rtcall(Rt::truthy, vec![r(sym(&t))]);
                    let (yes, no) = if is_and { (acc, sym(&t)) } else { (sym(&t), acc) };
                    acc = block(vec![let_(&t, v), l(vec![sym("if"), test, block(vec![yes]), block(vec![no])])]);
                }
                acc
            }
            ExprKind::Loop(bindings, body) => {
                let mut stmts = Vec::new();
                let mut vars = Vec::new();
                for (b, init) in bindings {
                    let v = self.expr(init)?;
                    stmts.push(self.bind(b, v));
                    vars.push(b.local);
                }
                let label = format!("__nl{}", self.tmp());
                self.loops.push((label.clone(), vars));
                let b = self.body_expr(body)?;
                self.loops.pop();
                stmts.push(l(vec![
                    sym("loop"),
                    kw("label"),
                    sym(&label),
                    self.p.tick(),
                    l(vec![sym("break"), kw("label"), sym(&label), b]),
                ]));
                block(stmts)
            }
            ExprKind::Recur(args) => {
                let (label, vars) = self.loops.last().cloned().expect("resolver checked recur is inside a loop");
                self.rebind(&vars, args, &label, &[])?
            }
            ExprKind::Try { body, catch, finally } => self.try_form(body, catch.as_ref(), finally.as_deref())?,
            ExprKind::Throw(v) => {
                let v = self.expr(v)?;
                let err = self.p.rtcall(Rt::throw, vec![v]);
                self.raise(err, span)
            }
            ExprKind::Match(value, clauses) => self.match_form(value, clauses, span)?,
            ExprKind::Eval(form, env) => {
                let f = self.expr(form)?;
                let mut names = Vec::new();
                let mut cells = Vec::new();
                for (name, var) in env {
                    let cell = match var {
                        VarRef::Local(id) => clone_of(self.local(*id)),
                        VarRef::Capture(i) => clone_of(index(sym("env"), *i as usize)),
                        _ => continue,
                    };
                    names.push(lit_str(name));
                    cells.push(cell);
                }
                let t = self.tmp();
                let site = self.p.site(span, &self.display.clone());
                let call = self.p.rtcall(
                    Rt::eval,
                    vec![
                        sym("vm"),
                        self.p.module_ref(),
                        lit_u(site as usize),
                        r(sym(&t)),
                        array_ref(names),
                        vec_of(cells),
                    ],
                );
                let ev = self.at(call, span);
                block(vec![let_(&t, f), ev])
            }
            ExprKind::DefMacro(name, lambda) => {
                let f = self.lambda(lambda)?;
                let t = self.tmp();
                let def = self.p.rtcall(Rt::def_macro, vec![sym("vm"), lit_str(name), sym(&t)]);
                let def = self.at(def, span);
                block(vec![let_(&t, f), def])
            }
        })
    }

    fn constant(&mut self, datum: &Sexp) -> Sexp {
        match &datum.kind {
            SexpKind::Nil => self.p.rt(Rt::Value, &["Nil"]),
            SexpKind::Bool(b) => self.p.rtcall(Rt::boolean, vec![lit(SexpKind::Bool(*b))]),
            SexpKind::Int(i) => self.p.rtcall(Rt::int, vec![lit(SexpKind::Int(*i))]),
            SexpKind::Float(f) if f.is_finite() => self.p.rtcall(Rt::float, vec![lit(SexpKind::Float(*f))]),
            _ => {
                let k = self.p.constant(datum);
                self.p.rtcall(Rt::konst, vec![sym("vm"), self.p.module_ref(), lit_u(k as usize)])
            }
        }
    }

    /// Assigns new values to `targets` (loop variables or parameters) and jumps back to `label`.
    fn rebind(&mut self, targets: &[LocalId], args: &[Expr], label: &str, bindings: &[&Binding]) -> Result<Sexp> {
        let mut stmts = Vec::new();
        let mut temps = Vec::new();
        let moves = self.movable(args, targets);
        let saved = std::mem::replace(&mut self.moves, moves);
        for a in args {
            let v = match self.expr(a) {
                Ok(v) => v,
                Err(e) => {
                    self.moves = saved;
                    return Err(e);
                }
            };
            let t = self.tmp();
            stmts.push(let_(&t, v));
            temps.push(t);
        }
        self.moves = saved;
        for (i, (&id, t)) in targets.iter().zip(&temps).enumerate() {
            let mut v = sym(t);
            if let Some(ty) = bindings.get(i).and_then(|b| b.ty) {
                v = self.at(
                    self.p.rtcall(Rt::check_type, vec![v, self.p.rt(Rt::Type, &[ty_variant(ty)])]),
                    bindings[i].span,
                );
            }
            if self.boxed(id) {
                v = self.p.rtcall(Rt::new_cell, vec![v]);
            }
            stmts.push(assign(self.local(id), v));
        }
        stmts.push(l(vec![sym("continue"), kw("label"), sym(label)]));
        Ok(block(stmts))
    }

    /// The reads in `args` (an argument list that assigns `targets` right after it is
    /// evaluated) that can move their local: see "Last-use moves" in the module comment.
    fn movable(&self, args: &[Expr], targets: &[LocalId]) -> HashSet<*const Expr> {
        if self.p.known.contains_key(CONCAT) || self.p.opts.rust_vars.contains(CONCAT) {
            return HashSet::new();
        }
        movable_refs(args, targets, &self.info.locals)
    }

    fn lambda(&mut self, lambda: &Lambda) -> Result<Sexp> {
        let k = match self.p.reserved.take() {
            Some(k) => k,
            None => self.p.fresh_fn(),
        };
        let code = format!("__n_fn{k}");
        let info_name = format!("__n_INFO{k}");
        let captures: Vec<Sexp> = lambda
            .info
            .captures
            .iter()
            .map(|c| match c.from {
                crate::core::CaptureFrom::Local(id) => clone_of(self.local(id)),
                crate::core::CaptureFrom::Capture(i) => clone_of(index(sym("env"), i as usize)),
            })
            .collect();
        let display = lambda.name.clone().unwrap_or_else(|| "lambda".to_string());
        let self_call = match (&lambda.name, lambda.info.captures.is_empty()) {
            (Some(n), true) => Some((n.clone(), info_name.clone())),
            _ => None,
        };
        // A known top-level function gets a by-value entry `__n_dK` for direct calls; its
        // generic entry just forwards the arguments.
        let direct = self.p.known.values().any(|&(kk, n)| kk == k && n <= MAX_DIRECT_PARAMS)
            && lambda.rest.is_none()
            && lambda.info.captures.is_empty();
        let body_name = if direct { format!("__n_d{k}") } else { code.clone() };
        let item = {
            let mut f = FnLower::new(self.p, &lambda.info, self_call, &display);
            f.ret = lambda.ret;
            f.in_function = true;
            f.function_item(lambda, &body_name, direct)?
        };
        self.p.items.push(item);
        if direct {
            let mut fwd = vec![sym("vm")];
            fwd.extend((0..lambda.params.len()).map(|i| clone_of(index(sym("args"), i))));
            let entry = self.p.fn_item(&code, self.p.code_params(), block(vec![call(sym(&body_name), fwd)]));
            self.p.items.push(entry);
        }
        let nparams = lambda.params.len();
        let info = self.p.info_static(&info_name, lambda.name.as_deref(), nparams, lambda.rest.is_some(), &code);
        self.p.items.push(info);
        self.last_lambda = Some(info_name.clone());
        let env = if captures.is_empty() {
            call(l(vec![sym("path"), sym("Vec"), sym("new")]), vec![])
        } else {
            vec_of(captures)
        };
        Ok(self.p.rtcall(Rt::closure, vec![r(sym(&info_name)), env]))
    }

    /// The Rust function for `lambda`. `direct`: a known top-level function's by-value entry
    /// `fn(vm, p0: Value, ...)` (arguments in registers, no slice); otherwise the generic
    /// `fn(vm, env, args: &[Value])`.
    fn function_item(&mut self, lambda: &Lambda, code: &str, direct: bool) -> Result<Sexp> {
        let params: Vec<LocalId> = lambda.params.iter().chain(lambda.rest.iter()).map(|b| b.local).collect();
        if lambda.rest.is_none() {
            self.current_params = lambda.params.iter().map(|b| (b.local, b.ty, b.span)).collect();
        }
        let mut stmts = Vec::new();
        for (i, p) in lambda.params.iter().enumerate() {
            stmts.push(l(vec![
                sym("let"),
                self.local(p.local),
                kw("mut"),
                Sexp::new(SexpKind::Bool(true), Span::default()),
                kw("ty"),
                self.p.rt(Rt::Value, &[]),
                if direct { sym(&format!("__np{i}")) } else { clone_of(index(sym("args"), i)) },
            ]));
        }
        if let Some(rest) = &lambda.rest {
            let v = self.p.rtcall(Rt::rest_args, vec![sym("args"), lit_u(lambda.params.len())]);
            stmts.push(l(vec![
                sym("let"),
                self.local(rest.local),
                kw("mut"),
                Sexp::new(SexpKind::Bool(true), Span::default()),
                kw("ty"),
                self.p.rt(Rt::Value, &[]),
                v,
            ]));
        }
        stmts.extend(self.declarations(&params));
        for p in lambda.params.iter().chain(lambda.rest.iter()) {
            if p.ty.is_some() || self.boxed(p.local) {
                let v = sym(&self.names[p.local as usize]);
                let b = self.bind(p, v);
                stmts.push(b);
            }
        }
        let body = self.body_expr(&lambda.body)?;
        let body = if self.self_looped {
            l(vec![
                sym("loop"),
                kw("label"),
                sym("__ntop"),
                self.p.tick(),
                l(vec![sym("break"), kw("label"), sym("__ntop"), body]),
            ])
        } else {
            body
        };
        let mut result = body;
        if let Some(ty) = lambda.ret {
            result = self
                .at(self.p.rtcall(Rt::check_type, vec![result, self.p.rt(Rt::Type, &[ty_variant(ty)])]), lambda.span);
        }
        stmts.push(call(sym("Ok"), vec![result]));
        if direct {
            if let Some(dispatch) = self.spec_dispatch(lambda, code) {
                stmts.insert(0, dispatch);
            }
            stmts.insert(0, let_("env", self.p.empty_env()));
            let mut params = vec![(sym("vm"), l(vec![sym("ref-mut"), self.p.rt(Rt::Vm, &[])]))];
            for i in 0..lambda.params.len() {
                params.push((sym(&format!("__np{i}")), self.p.rt(Rt::Value, &[])));
            }
            return Ok(self.p.fn_item(code, params, block(stmts)));
        }
        let params = self.p.code_params();
        Ok(self.p.fn_item(code, params, block(stmts)))
    }

    /// For a known function with a specialized version, the start of its by-value entry
    /// `code`: when every argument is an integer, and the globals it assumes hold what it
    /// assumes, run the specialized version; if that bails out, this entry again, generically:
    ///
    /// ```text
    /// match (&__np0, ...) {
    ///     (Value::Int(__ns0), ...) if rt::spec_on(vm) && rt::holds(vm, &M, G, &INFO) ... => {
    ///         let __nr = __n_s_NAME(vm, *__ns0, ...);
    ///         return rt::spec_result(vm, __nr, move |vm| CODE(vm, __np0, ...));
    ///     }
    ///     _ => {}
    /// }
    /// ```
    fn spec_dispatch(&mut self, lambda: &Lambda, code: &str) -> Option<Sexp> {
        let name = lambda.name.as_deref()?;
        let assumes = self.p.specialized.get(name).cloned()?;
        let rust_name = super::speculative_name(name);
        let n = lambda.params.len();
        let mut cond = self.p.rtcall(Rt::spec_on, vec![sym("vm")]);
        for g in &assumes {
            let &(k, _) = self.p.known.get(g)?;
            let gi = self.p.global(g);
            let holds = self.p.holds_known(g, gi, k);
            cond = l(vec![sym("binop"), sym("and"), cond, holds]);
        }
        let mut spec_args = vec![sym("vm")];
        spec_args.extend((0..n).map(|i| l(vec![sym("deref"), sym(&format!("__ns{i}"))])));
        let mut generic_args = vec![sym("vm")];
        generic_args.extend((0..n).map(|i| sym(&format!("__np{i}"))));
        let yes = Sexp::new(SexpKind::Bool(true), Span::default());
        let generic = l(vec![sym("closure"), kw("move"), yes, l(vec![sym("vm")]), call(sym(code), generic_args)]);
        let body = block(vec![
            let_("__nr", call(sym(&rust_name), spec_args)),
            l(vec![sym("return"), self.p.rtcall(Rt::spec_result, vec![sym("vm"), sym("__nr"), generic])]),
        ]);
        let mut scrutinee = vec![sym("tuple")];
        scrutinee.extend((0..n).map(|i| r(sym(&format!("__np{i}")))));
        let mut pattern = vec![sym("tuple")];
        pattern
            .extend((0..n).map(|i| l(vec![sym("variant"), self.p.rt(Rt::Value, &["Int"]), sym(&format!("__ns{i}"))])));
        Some(l(vec![sym("match"), l(scrutinee), l(vec![l(pattern), cond, body]), l(vec![sym("_"), block(vec![])])]))
    }

    fn call(&mut self, e: &Expr, callee: &Expr, args: &[Expr]) -> Result<Sexp> {
        let span = e.span;
        let global = match &callee.kind {
            ExprKind::Var { var: VarRef::Global(_), name } if !self.p.opts.rust_vars.contains(name) => {
                Some(name.clone())
            }
            _ => None,
        };
        let self_call = match (&global, &self.self_call) {
            (Some(g), Some((me, _))) => g == me,
            _ => false,
        };
        let tail = self.in_function && e.tail && (self.ret.is_none() || self_call);
        let mut stmts = Vec::new();
        let f = match &global {
            Some(_) => None,
            None => {
                let v = self.expr(callee)?;
                let t = self.tmp();
                stmts.push(let_(&t, v));
                Some(t)
            }
        };
        // `(string/concat acc ...)` whose `acc` is moved: appended to in place when possible.
        let owned_first = global.as_deref() == Some(CONCAT)
            && !tail
            && args.first().is_some_and(|a| self.moves.contains(&(a as *const Expr)));
        if owned_first {
            return self.concat_owned(args, stmts, span);
        }
        let vals = if tail && self_call && args.len() == self.current_params.len() {
            // A self tail call that loops assigns the parameters right after its arguments.
            let params: Vec<LocalId> = self.current_params.iter().map(|(id, _, _)| *id).collect();
            let moves = self.movable(args, &params);
            let saved = std::mem::replace(&mut self.moves, moves);
            let vals = self.values(args, &mut stmts);
            self.moves = saved;
            vals?
        } else {
            self.values(args, &mut stmts)?
        };
        if tail && self_call {
            // A self tail call loops when the global still holds this function.
            let (name, info) = self.self_call.clone().expect("self call");
            let g = self.p.global(&name);
            let is_me = if self.p.prelude.contains(&name) {
                self.p.rtcall(Rt::prelude_holds, vec![sym("vm"), self.p.module_ref(), lit_u(g as usize)])
            } else {
                self.p.rtcall(Rt::global_is_fn, vec![sym("vm"), self.p.module_ref(), lit_u(g as usize), r(sym(&info))])
            };
            let lambda_params = self.current_params.clone();
            let mut temps = Vec::new();
            let mut pre = Vec::new();
            for v in &vals {
                let t = self.tmp();
                pre.push(let_(&t, v.clone()));
                temps.push(t);
            }
            stmts.extend(pre);
            if temps.len() == lambda_params.len() {
                let mut assigns = Vec::new();
                for (i, (id, ty, pspan)) in lambda_params.iter().enumerate() {
                    let mut v = sym(&temps[i]);
                    if let Some(ty) = ty {
                        v = self.at(
                            self.p.rtcall(Rt::check_type, vec![v, self.p.rt(Rt::Type, &[ty_variant(*ty)])]),
                            *pspan,
                        );
                    }
                    if self.boxed(*id) {
                        v = self.p.rtcall(Rt::new_cell, vec![v]);
                    }
                    assigns.push(assign(self.local(*id), v));
                }
                assigns.push(l(vec![sym("continue"), kw("label"), sym("__ntop")]));
                self.self_looped = true;
                let args_v = vec_of(temps.iter().map(|t| sym(t)).collect());
                let fallback =
                    if self.ret.is_none() {
                        try_(self.p.rtcall(
                            Rt::tail_call_global,
                            vec![sym("vm"), self.p.module_ref(), lit_u(g as usize), args_v],
                        ))
                    } else {
                        let c = self.p.rtcall(
                            Rt::call_global,
                            vec![
                                sym("vm"),
                                self.p.module_ref(),
                                lit_u(g as usize),
                                array_ref(temps.iter().map(|t| sym(t)).collect()),
                            ],
                        );
                        self.at(c, span)
                    };
                stmts.push(l(vec![sym("if"), is_me, block(assigns), block(vec![fallback])]));
                return Ok(block(stmts));
            }
        }
        if !self.in_function && e.tail {
            // In tail position of a top-level form, a call replaces the script frame on the
            // VM: the runtime leaves the form's frame for it.
            let c = match &global {
                Some(name) => {
                    let g = self.p.global(name);
                    self.p.rtcall(
                        Rt::form_tail_call_global,
                        vec![sym("vm"), self.p.module_ref(), lit_u(g as usize), array_ref(vals)],
                    )
                }
                None => {
                    let f = f.expect("callee temp");
                    self.p.rtcall(Rt::form_tail_call, vec![sym("vm"), r(sym(&f)), array_ref(vals)])
                }
            };
            return Ok(Self::with_stmts(stmts, self.at(c, span)));
        }
        let result = match (&global, tail) {
            (Some(name), true) => {
                let g = self.p.global(name);
                let c = self.p.rtcall(
                    Rt::tail_call_global,
                    vec![sym("vm"), self.p.module_ref(), lit_u(g as usize), vec_of(vals)],
                );
                self.at(c, span)
            }
            (Some(name), false) => {
                let g = self.p.global(name);
                let c = match self.p.known.get(name.as_str()) {
                    Some(&(k, nparams))
                        if nparams == vals.len()
                            && nparams <= MAX_DIRECT_PARAMS
                            && !self.p.typed_names.contains(name) =>
                    {
                        // If the global still holds it: `__n_dK(vm, a0, ...)`, by value; else a normal call.
                        let temps: Vec<String> = (0..vals.len()).map(|_| self.tmp()).collect();
                        let mut pre: Vec<Sexp> = temps.iter().zip(vals).map(|(t, v)| let_(t, v)).collect();
                        let holds = self.p.holds_known(name, g, k);
                        let mut direct_args = vec![sym("vm")];
                        direct_args.extend(temps.iter().map(|t| sym(t)));
                        let direct = call(sym(&format!("__n_d{k}")), direct_args);
                        let yes = Sexp::new(SexpKind::Bool(true), Span::default());
                        let closure = l(vec![sym("closure"), kw("move"), yes, l(vec![sym("vm")]), direct]);
                        let enter = self.p.rtcall(Rt::enter_direct, vec![sym("vm"), closure]);
                        let all = array_ref(temps.iter().map(|t| sym(t)).collect());
                        let generic = self
                            .p
                            .rtcall(Rt::call_global, vec![sym("vm"), self.p.module_ref(), lit_u(g as usize), all]);
                        pre.push(l(vec![sym("if"), holds, block(vec![enter]), block(vec![generic])]));
                        block(pre)
                    }
                    _ => self.p.rtcall(
                        Rt::call_global,
                        vec![sym("vm"), self.p.module_ref(), lit_u(g as usize), array_ref(vals)],
                    ),
                };
                self.at(c, span)
            }
            (None, true) => {
                let f = f.expect("callee temp");
                let c = self.p.rtcall(Rt::tail_call, vec![sym("vm"), sym(&f), vec_of(vals)]);
                self.at(c, span)
            }
            (None, false) => {
                let f = f.expect("callee temp");
                let c = self.p.rtcall(Rt::call, vec![sym("vm"), r(sym(&f)), array_ref(vals)]);
                self.at(c, span)
            }
        };
        Ok(Self::with_stmts(stmts, result))
    }

    /// `(string/concat acc ...)` whose first argument moves `acc` (see "Last-use moves"):
    /// `rt::concat_owned(vm, &M, G, acc, &[rt::Part...])`. The arguments are evaluated in
    /// order, the moved one first; constants that live in the module table are passed by index
    /// (`Part::Const`), so they are read where they are instead of cloned.
    fn concat_owned(&mut self, args: &[Expr], mut stmts: Vec<Sexp>, span: Span) -> Result<Sexp> {
        let first = self.expr(&args[0])?;
        let t = self.tmp();
        stmts.push(let_(&t, first));
        let mut parts = Vec::new();
        for a in &args[1..] {
            let part = match &a.kind {
                ExprKind::Const(datum) if !is_simple(a) => {
                    let k = self.p.constant(datum);
                    call(self.p.rt(Rt::Part, &["Const"]), vec![lit_u(k as usize)])
                }
                _ => {
                    let mut v = self.expr(a)?;
                    if !is_simple(a) {
                        let t = self.tmp();
                        stmts.push(let_(&t, v));
                        v = sym(&t);
                    }
                    call(self.p.rt(Rt::Part, &["Value"]), vec![v])
                }
            };
            parts.push(part);
        }
        let g = self.p.global(CONCAT);
        let c = self.p.rtcall(
            Rt::concat_owned,
            vec![sym("vm"), self.p.module_ref(), lit_u(g as usize), sym(&t), array_ref(parts)],
        );
        let c = self.at(c, span);
        Ok(Self::with_stmts(stmts, c))
    }

    fn prim(&mut self, p: Prim, args: &[Expr], span: Span) -> Result<Sexp> {
        let mut stmts = Vec::new();
        let e = match (p, args.len()) {
            (Prim::List | Prim::Append | Prim::AppendDotted, _) => {
                let vals = self.values(args, &mut stmts)?;
                match p {
                    Prim::List => self.p.rtcall(Rt::list, vec![vec_of(vals)]),
                    Prim::Append => self.at(self.p.rtcall(Rt::append, vec![vec_of(vals)]), span),
                    _ => self.at(self.p.rtcall(Rt::append_dotted, vec![vec_of(vals)]), span),
                }
            }
            (Prim::Eq | Prim::Ne | Prim::Lt | Prim::Le | Prim::Gt | Prim::Ge | Prim::Not | Prim::IsEmpty, _) => {
                let e = Expr::new(ExprKind::Prim(p, args.to_vec()), span);
                let c = self.condition(&e)?;
                self.p.rtcall(Rt::boolean, vec![c])
            }
            (Prim::Add | Prim::Sub | Prim::Mul, 2) if int_const(&args[1]).is_some() => {
                let a = self.operand(args, 0, &mut stmts)?;
                let k = int_const(&args[1]).expect("checked");
                let name = match p {
                    Prim::Add => Rt::add_i,
                    Prim::Sub => Rt::sub_i,
                    _ => Rt::mul_i,
                };
                self.at(self.p.rtcall(name, vec![a, lit(SexpKind::Int(k))]), span)
            }
            (_, 2) => {
                let a = self.operand(args, 0, &mut stmts)?;
                let b = self.operand(args, 1, &mut stmts)?;
                let name = match p {
                    Prim::Add => Rt::add,
                    Prim::Sub => Rt::sub,
                    Prim::Mul => Rt::mul,
                    Prim::Div => Rt::div,
                    Prim::Cons => Rt::cons,
                    Prim::Field => Rt::field,
                    _ => return Err(SlightError::syntax(format!("{} called with 2 arguments", p.name()), span)),
                };
                self.at(self.p.rtcall(name, vec![a, b]), span)
            }
            (_, 1) => {
                let a = self.operand(args, 0, &mut stmts)?;
                let name = match p {
                    Prim::Neg => Rt::neg,
                    Prim::Head => Rt::head,
                    Prim::Tail => Rt::tail,
                    _ => return Err(SlightError::syntax(format!("{} called with 1 argument", p.name()), span)),
                };
                self.at(self.p.rtcall(name, vec![a]), span)
            }
            (_, n) => return Err(SlightError::syntax(format!("{} called with {n} arguments", p.name()), span)),
        };
        Ok(Self::with_stmts(stmts, e))
    }

    fn try_form(&mut self, body: &Expr, catch: Option<&(Binding, Box<Expr>)>, finally: Option<&Expr>) -> Result<Sexp> {
        let res_ty = self.p.rt(Rt::Res, &[]);
        let run = |this: &mut Self, e: &Expr| -> Result<Sexp> {
            let b = this.body_expr(e)?;
            let clo =
                l(vec![sym("closure"), kw("ret"), res_ty.clone(), l(vec![]), block(vec![call(sym("Ok"), vec![b])])]);
            Ok(call(clo, vec![]))
        };
        let t = self.tmp();
        let mut stmts = vec![l(vec![sym("let"), sym(&t), kw("ty"), res_ty.clone(), run(self, body)?])];
        if let Some((b, handler)) = catch {
            let e = self.tmp();
            let bind2 = self.bind(b, self.p.rtcall(Rt::caught, vec![sym(&e)]));
            let handler2 = run(self, handler)?;
            let bind_clo = l(vec![
                sym("closure"),
                kw("ret"),
                res_ty.clone(),
                l(vec![]),
                block(vec![bind2, call(sym("Ok"), vec![self.p.rt(Rt::Value, &["Nil"])])]),
            ]);
            let on_err = block(vec![
                l(vec![sym("let"), sym("__nb"), kw("ty"), res_ty.clone(), call(bind_clo, vec![])]),
                l(vec![
                    sym("match"),
                    sym("__nb"),
                    l(vec![l(vec![sym("variant"), sym("Ok"), sym("_")]), handler2]),
                    l(vec![sym("__nerr"), sym("__nerr")]),
                ]),
            ]);
            // A limit, an interrupt or a `kill` is not caught (`rt::catchable`): it goes on to
            // the `finally` and past it.
            let catchable = self.p.rtcall(Rt::catchable, vec![l(vec![sym("ref"), sym(&e)])]);
            let m = l(vec![
                sym("match"),
                sym(&t),
                l(vec![l(vec![sym("variant"), sym("Ok"), sym("__nv")]), call(sym("Ok"), vec![sym("__nv")])]),
                l(vec![l(vec![sym("variant"), sym("Err"), sym(&e)]), catchable, on_err]),
                l(vec![l(vec![sym("variant"), sym("Err"), sym(&e)]), call(sym("Err"), vec![sym(&e)])]),
            ]);
            stmts.push(l(vec![sym("let"), sym(&t), kw("ty"), res_ty.clone(), m]));
        }
        if let Some(f) = finally {
            let fv = self.body_expr(f)?;
            stmts.push(l(vec![sym("let"), sym("_"), fv]));
        }
        stmts.push(try_(sym(&t)));
        Ok(block(stmts))
    }

    fn match_form(&mut self, value: &Expr, clauses: &[MatchClause], span: Span) -> Result<Sexp> {
        let v = self.expr(value)?;
        let mv = self.tmp();
        let label = format!("__nm{}", self.tmp());
        let mut body = Vec::new();
        for clause in clauses {
            let b = self.body_expr(&clause.body)?;
            let mut inner = l(vec![sym("break"), kw("label"), sym(&label), b]);
            if let Some(g) = &clause.guard {
                let g = self.condition(g)?;
                inner = l(vec![sym("if"), g, block(vec![inner])]);
            }
            let test = self.pattern(&clause.pattern, sym(&mv), inner)?;
            body.push(test);
        }
        let fail = self.p.rtcall(Rt::match_fail, vec![r(sym(&mv))]);
        body.push(self.raise(fail, span));
        let mut lp = vec![sym("loop"), kw("label"), sym(&label)];
        lp.extend(body);
        Ok(block(vec![let_(&mv, v), l(lp)]))
    }

    /// Code that runs `then` (a `()` statement) if `src` matches `p`, with the bindings made.
    fn pattern(&mut self, p: &Pattern, src: Sexp, then: Sexp) -> Result<Sexp> {
        Ok(match p {
            Pattern::Wildcard => then,
            Pattern::Literal(datum) => {
                let k = self.constant(datum);
                let test = self.p.rtcall(Rt::eq, vec![r(src), r(k)]);
                l(vec![sym("if"), test, block(vec![then])])
            }
            Pattern::Bind(b) => {
                let store = self.bind(b, clone_of(src));
                block(vec![store, then])
            }
            Pattern::List(items) | Pattern::Cons(items, _) => {
                let exact = matches!(p, Pattern::List(_));
                let parts = self.tmp();
                let rest = self.tmp();
                let mut inner = then;
                if let Pattern::Cons(_, rest_pat) = p {
                    inner = self.pattern(rest_pat, sym(&rest), inner)?;
                }
                for (i, item) in items.iter().enumerate().rev() {
                    inner = self.pattern(item, index(sym(&parts), i), inner)?;
                }
                let d = self.p.rtcall(Rt::destructure, vec![r(src), lit_u(items.len()), lit(SexpKind::Bool(exact))]);
                l(vec![
                    sym("match"),
                    d,
                    l(vec![
                        l(vec![sym("variant"), sym("Some"), l(vec![sym("tuple"), sym(&parts), sym(&rest)])]),
                        block(vec![inner]),
                    ]),
                    l(vec![sym("_"), l(vec![sym("tuple")])]),
                ])
            }
        })
    }
}

/// The builtin whose first argument a last-use move can hand over (see "Last-use moves").
const CONCAT: &str = "string/concat";

/// The local reads in `args` (an argument list that assigns `targets` right after it is
/// evaluated) that can move the local's value instead of cloning it, by address: see
/// "Last-use moves" in the module comment for the rule. `locals` are the function's.
fn movable_refs(args: &[Expr], targets: &[LocalId], locals: &[LocalInfo]) -> HashSet<*const Expr> {
    #[derive(Default)]
    struct Mentions {
        /// How often each local is mentioned (a closure capture counts as two: never movable).
        count: HashMap<LocalId, usize>,
        /// Reads that are the first argument of a `string/concat` call, outside nested loops.
        candidates: Vec<(LocalId, *const Expr)>,
        /// An `eval` was found: it could read or assign anything it sees.
        eval: bool,
    }
    fn walk(e: &Expr, in_loop: bool, m: &mut Mentions) {
        match &e.kind {
            ExprKind::Var { var: VarRef::Local(id), .. }
            | ExprKind::Set { var: VarRef::Local(id), .. }
            | ExprKind::Define { var: VarRef::Local(id), .. } => *m.count.entry(*id).or_default() += 1,
            ExprKind::Lambda(lambda) | ExprKind::DefMacro(_, lambda) => {
                for c in &lambda.info.captures {
                    if let CaptureFrom::Local(id) = c.from {
                        *m.count.entry(id).or_default() += 2;
                    }
                }
            }
            ExprKind::Eval(..) => m.eval = true,
            ExprKind::Call(callee, call_args) if !in_loop => {
                let concat = matches!(&callee.kind, ExprKind::Var { var: VarRef::Global(_), name } if name == CONCAT);
                if let (true, Some(first)) = (concat, call_args.first()) {
                    if let ExprKind::Var { var: VarRef::Local(id), .. } = first.kind {
                        m.candidates.push((id, first as *const Expr));
                    }
                }
            }
            _ => {}
        }
        let in_loop = in_loop || matches!(e.kind, ExprKind::Loop(..));
        for c in e.children() {
            walk(c, in_loop, m);
        }
    }
    let mut m = Mentions::default();
    for a in args {
        walk(a, false, &mut m);
    }
    if m.eval {
        return HashSet::new();
    }
    m.candidates
        .into_iter()
        .filter(|&(id, _)| {
            let info = &locals[id as usize];
            targets.contains(&id) && m.count.get(&id) == Some(&1) && !info.boxed && !info.captured
        })
        .map(|(_, e)| e)
        .collect()
}

/// Expressions whose evaluation cannot run code that assigns variables (constants and
/// variable reads): they can be evaluated in place inside an argument list.
fn is_simple(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Const(d) => {
            matches!(d.kind, SexpKind::Nil | SexpKind::Bool(_) | SexpKind::Int(_))
                || matches!(d.kind, SexpKind::Float(f) if f.is_finite())
        }
        _ => false,
    }
}

/// The value of an integer constant operand.
fn int_const(e: &Expr) -> Option<i64> {
    match &e.kind {
        ExprKind::Const(d) => match d.kind {
            SexpKind::Int(i) => Some(i),
            _ => None,
        },
        _ => None,
    }
}

fn ty_variant(t: Type) -> &'static str {
    match t {
        Type::I64 => "I64",
        Type::F64 => "F64",
        Type::Bool => "Bool",
        Type::Str => "Str",
        Type::List => "List",
        Type::Map => "Map",
        Type::Fn => "Fn",
        Type::Any => "Any",
    }
}
