//! Unit tests of the back end: the bytecode the compiler emits for small programs (fused
//! compare-and-jump, global and local calls, tail calls, `recur` as a backwards jump, cells,
//! handlers), `Proto::verify` on hand-built prototypes (the invariant behind the VM's unchecked
//! register access), and VM behaviour through `Vm::eval` / `Vm::call`: tail calls a million deep
//! in every tail position, catchable stack overflow, error positions and Slight stack traces,
//! try/catch/finally ordering, closures, `eval` in the lexical environment, `apply`, macros,
//! callbacks from the prelude, and that a failing form keeps earlier definitions.

use slight_core::{Reader, Span, Type};
use slight_runtime::bytecode::{CaptureSrc, Instr, Proto, Reg};
use slight_runtime::{Error, Value, Vm};
use std::rc::Rc;

// ------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------

/// Compiles one form (without running it) on `vm`; the source is registered as `t.sl`.
fn compile(vm: &mut Vm, src: &str) -> Rc<Proto> {
    let file = vm.sources.add("t.sl", src.to_string());
    let mut forms = Reader::read_all(src, file).expect("test source reads");
    assert_eq!(forms.len(), 1, "one form expected");
    let form = forms.remove(0);
    vm.compile_form(&form).unwrap_or_else(|e| panic!("compiling {src:?}: {}", e.message))
}

/// The function named `name` among `p` and the functions nested in it.
fn find<'a>(p: &'a Proto, name: &str) -> &'a Proto {
    fn go<'a>(p: &'a Proto, name: &str) -> Option<&'a Proto> {
        if p.name.as_deref() == Some(name) {
            return Some(p);
        }
        p.protos.iter().find_map(|c| go(c, name))
    }
    go(p, name).unwrap_or_else(|| panic!("no function {name} in\n{p:#?}"))
}

/// Compiles `(defun name ...)` (without running it) and returns the function's prototype.
fn compile_fn(vm: &mut Vm, name: &str, src: &str) -> Rc<Proto> {
    fn go(p: &Rc<Proto>, name: &str) -> Option<Rc<Proto>> {
        if p.name.as_deref() == Some(name) {
            return Some(p.clone());
        }
        p.protos.iter().find_map(|c| go(c, name))
    }
    let top = compile(vm, src);
    go(&top, name).unwrap_or_else(|| panic!("no function {name} in {src}"))
}

fn global_index(vm: &Vm, name: &str) -> u32 {
    vm.global_names().position(|n| n == name).unwrap_or_else(|| panic!("no global {name}")) as u32
}

/// Where the jump at `pc` lands.
fn target(code: &[Instr], pc: usize) -> usize {
    let off = code[pc].jump_offset().unwrap_or_else(|| panic!("{:?} is not a jump", code[pc]));
    (pc as i64 + 1 + off) as usize
}

fn count(code: &[Instr], pred: impl Fn(&Instr) -> bool) -> usize {
    code.iter().filter(|i| pred(i)).count()
}

fn position(code: &[Instr], pred: impl Fn(&Instr) -> bool) -> usize {
    code.iter().position(pred).unwrap_or_else(|| panic!("instruction not found in {code:#?}"))
}

fn is_call(i: &Instr) -> bool {
    matches!(
        i,
        Instr::Call { .. }
            | Instr::TailCall { .. }
            | Instr::CallGlobal { .. }
            | Instr::TailCallGlobal { .. }
            | Instr::CallLocal { .. }
            | Instr::TailCallLocal { .. }
    )
}

/// Every function in `p` passes the verifier.
fn verify_all(p: &Proto) {
    p.verify().unwrap_or_else(|e| panic!("{e}"));
    p.protos.iter().for_each(|c| verify_all(c));
}

/// Evaluates `src` (as file `t.sl`) and returns the REPL form of its value.
fn run(vm: &mut Vm, src: &str) -> String {
    match vm.eval_named("t.sl", src) {
        Ok(v) => v.repr(),
        Err(e) => panic!("evaluating {src:?} failed:\n{}", e.rendered),
    }
}

/// Evaluates `src` on a fresh VM.
fn eval1(src: &str) -> String {
    run(&mut Vm::new(), src)
}

fn fail(vm: &mut Vm, src: &str) -> Error {
    match vm.eval_named("t.sl", src) {
        Ok(v) => panic!("expected {src:?} to fail, got {}", v.repr()),
        Err(e) => e,
    }
}

fn span_text(src: &str, span: Span) -> &str {
    &src[span.start as usize..span.end as usize]
}

// ------------------------------------------------------------------------------------------
// Compiler: the bytecode of small programs
// ------------------------------------------------------------------------------------------

#[test]
fn if_on_a_small_integer_comparison_is_one_fused_jump() {
    let mut vm = Vm::new();
    let fib = compile_fn(&mut vm, "fib", "(defun fib (n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))");
    assert_eq!(fib.nparams, 1);
    assert!(!fib.variadic);
    let code = &fib.code;
    // `n` is parameter register 0; the jump is taken when `n < 2` is false.
    assert!(matches!(code[0], Instr::JumpIfNotLtInt { a: 0, value: 2, .. }), "{code:#?}");
    let else_pc = target(code, 0);
    assert!(matches!(code[else_pc], Instr::SubInt { a: 0, value: 1, .. }), "else branch starts with (- n 1)");
    // The then-branch returns before the else branch.
    assert!(code[1..else_pc].iter().any(|i| matches!(i, Instr::Return { .. })));
    // No separate comparison instruction or boolean test.
    assert_eq!(count(code, |i| matches!(i, Instr::Lt { .. } | Instr::JumpIfFalse { .. })), 0);
    // Two non-tail self calls by global index, and the sum.
    let fib_index = global_index(&vm, "fib");
    assert_eq!(count(code, |i| matches!(i, Instr::CallGlobal { argc: 1, index, .. } if *index == fib_index)), 2);
    assert_eq!(count(code, |i| matches!(i, Instr::TailCallGlobal { .. })), 0);
    assert_eq!(count(code, |i| matches!(i, Instr::SubInt { a: 0, value: 2, .. })), 1);
    assert_eq!(count(code, |i| matches!(i, Instr::Add { .. })), 1);
    verify_all(&fib);
}

#[test]
fn every_comparison_has_its_fused_jump() {
    let mut vm = Vm::new();
    let first = |vm: &mut Vm, test: &str| -> Instr {
        let f = compile_fn(vm, "f", &format!("(defun f (a b) (if {test} 1 2))"));
        f.code[0]
    };
    assert!(matches!(first(&mut vm, "(< a 5)"), Instr::JumpIfNotLtInt { a: 0, value: 5, .. }));
    assert!(matches!(first(&mut vm, "(<= a 5)"), Instr::JumpIfNotLeInt { a: 0, value: 5, .. }));
    assert!(matches!(first(&mut vm, "(> a -5)"), Instr::JumpIfNotGtInt { a: 0, value: -5, .. }));
    assert!(matches!(first(&mut vm, "(>= a 5)"), Instr::JumpIfNotGeInt { a: 0, value: 5, .. }));
    assert!(matches!(first(&mut vm, "(== a 0)"), Instr::JumpIfNotEqInt { a: 0, value: 0, .. }));
    assert!(matches!(first(&mut vm, "(< a b)"), Instr::JumpIfNotLt { a: 0, b: 1, .. }));
    assert!(matches!(first(&mut vm, "(<= a b)"), Instr::JumpIfNotLe { a: 0, b: 1, .. }));
    // `>` and `>=` swap the operands.
    assert!(matches!(first(&mut vm, "(> a b)"), Instr::JumpIfNotLt { a: 1, b: 0, .. }));
    assert!(matches!(first(&mut vm, "(>= a b)"), Instr::JumpIfNotLe { a: 1, b: 0, .. }));
    assert!(matches!(first(&mut vm, "(== a b)"), Instr::JumpIfNotEq { a: 0, b: 1, .. }));
    assert!(matches!(first(&mut vm, "(empty? a)"), Instr::JumpIfNotEmpty { a: 0, .. }));
    assert!(matches!(first(&mut vm, "a"), Instr::JumpIfFalse { cond: 0, .. }));
    // A constant too big for the 16-bit immediate is loaded into a register.
    let f = compile_fn(&mut vm, "f", "(defun f (a) (if (< a 100000) 1 2))");
    assert!(matches!(f.code[0], Instr::LoadInt { value: 100000, .. }));
    assert!(matches!(f.code[1], Instr::JumpIfNotLt { a: 0, .. }));
    // `!=` has no fused form: a comparison, then a boolean test.
    let f = compile_fn(&mut vm, "f", "(defun f (a b) (if (!= a b) 1 2))");
    assert!(matches!(f.code[0], Instr::Ne { a: 0, b: 1, .. }));
    assert!(matches!(f.code[1], Instr::JumpIfFalse { .. }));
}

#[test]
fn arithmetic_with_small_constants_uses_immediates() {
    let mut vm = Vm::new();
    let f =
        compile_fn(&mut vm, "f", "(defun f (x y) (list (+ x 1) (- x 2) (+ x y) (* x y) (/ x y) (+ x 40000) (- x)))");
    let code = &f.code;
    assert_eq!(count(code, |i| matches!(i, Instr::AddInt { a: 0, value: 1, .. })), 1);
    assert_eq!(count(code, |i| matches!(i, Instr::SubInt { a: 0, value: 2, .. })), 1);
    assert_eq!(count(code, |i| matches!(i, Instr::Add { a: 0, b: 1, .. })), 1);
    assert_eq!(count(code, |i| matches!(i, Instr::Mul { a: 0, b: 1, .. })), 1);
    assert_eq!(count(code, |i| matches!(i, Instr::Div { a: 0, b: 1, .. })), 1);
    assert_eq!(count(code, |i| matches!(i, Instr::Add { a: 0, .. })), 2, "40000 does not fit an i16 immediate");
    assert_eq!(count(code, |i| matches!(i, Instr::Neg { a: 0, .. })), 1);
    assert_eq!(count(code, |i| matches!(i, Instr::List { count: 7, .. })), 1);
    assert_eq!(count(code, is_call), 0, "all inline");
}

#[test]
fn self_tail_call_is_tail_call_global() {
    let mut vm = Vm::new();
    let f = compile_fn(&mut vm, "count", "(defun count (n acc) (if (== n 0) acc (count (- n 1) (+ acc 1))))");
    let index = global_index(&vm, "count");
    let pc = position(&f.code, |i| matches!(i, Instr::TailCallGlobal { argc: 2, index: g, .. } if *g == index));
    assert_eq!(count(&f.code, |i| matches!(i, Instr::CallGlobal { .. })), 0);
    // The arguments are computed into the registers right after the call's base.
    let Instr::TailCallGlobal { base, .. } = f.code[pc] else { unreachable!() };
    assert!(f.code[..pc].iter().any(|i| matches!(i, Instr::SubInt { dst, a: 0, value: 1 } if *dst == base + 1)));
    assert!(f.code[..pc].iter().any(|i| matches!(i, Instr::AddInt { dst, a: 1, value: 1 } if *dst == base + 2)));
    // When the callee is not a closure the VM falls through to a return of the result.
    assert!(matches!(f.code[pc + 1], Instr::Return { src } if src == base));
}

#[test]
fn calls_of_locals_and_captures() {
    let mut vm = Vm::new();
    // A callee in a plain local register is called from there.
    let f = compile_fn(&mut vm, "f", "(defun f (g x) (g x))");
    assert_eq!(count(&f.code, |i| matches!(i, Instr::TailCallLocal { argc: 1, func: 0, .. })), 1);
    let f = compile_fn(&mut vm, "f", "(defun f (g x) (+ 1 (g x)))");
    assert_eq!(count(&f.code, |i| matches!(i, Instr::CallLocal { argc: 1, func: 0, .. })), 1);
    // A captured callee is loaded into the call's base register.
    let top = compile(&mut vm, "(defun f (g) (fun (x) (g x)))");
    let inner = &find(&top, "f").protos[0];
    let pc = position(&inner.code, |i| matches!(i, Instr::TailCall { argc: 1, .. }));
    let Instr::TailCall { base, .. } = inner.code[pc] else { unreachable!() };
    assert!(inner.code[..pc].iter().any(|i| matches!(i, Instr::GetCapture { dst, index: 0 } if *dst == base)));
    // Calling the result of an expression.
    let f = compile_fn(&mut vm, "f", "(defun f (g) ((g) 1))");
    assert_eq!(count(&f.code, |i| matches!(i, Instr::CallLocal { argc: 0, func: 0, .. })), 1);
    assert_eq!(count(&f.code, |i| matches!(i, Instr::TailCall { argc: 1, .. })), 1);
}

#[test]
fn recur_is_a_backwards_jump_to_the_loop_test() {
    let mut vm = Vm::new();
    let p = compile(&mut vm, "(loop ((i 0) (s 0)) (if (< i 10) (recur (+ i 1) (+ s i)) s))");
    let code = &p.code;
    let test = position(code, |i| matches!(i, Instr::JumpIfNotLtInt { value: 10, .. }));
    let back = position(code, |i| matches!(i, Instr::Jump { offset } if *offset < 0));
    assert!(back > test);
    assert_eq!(target(code, back), test, "recur jumps back to the loop's first test");
    // Bindings are initialised once, before the loop starts.
    assert!(code[..test].iter().all(|i| matches!(i, Instr::LoadInt { value: 0, .. })));
    assert_eq!(count(code, is_call), 0, "no calls: a loop, not recursion");
    assert_eq!(count(code, |i| matches!(i, Instr::Jump { offset } if *offset < 0)), 1);
    verify_all(&p);
    assert_eq!(run(&mut vm, "(loop ((i 0) (s 0)) (if (< i 10) (recur (+ i 1) (+ s i)) s))"), "45");
}

#[test]
fn recur_values_read_the_old_bindings() {
    // Swapping needs a temporary: both new values are computed from the old ones.
    assert_eq!(eval1("(loop ((a 1) (b 2) (n 0)) (if (< n 3) (recur b a (+ n 1)) (list a b)))"), "(2 1)");
    assert_eq!(eval1("(loop ((a 1) (b 2) (n 0)) (if (< n 1) (recur b a (+ n 1)) (list a b)))"), "(2 1)");
    // The last value is computed straight into its slot: it still sees the old values.
    assert_eq!(eval1("(loop ((i 0) (j 10)) (if (< i 3) (recur (+ i 1) (+ j i)) (list i j)))"), "(3 13)");
    assert_eq!(eval1("(loop ((i 0) (l ())) (if (< i 3) (recur (+ i 1) (cons i l)) l))"), "(2 1 0)");
    assert_eq!(
        eval1("(defun id (x) x) (loop ((i 0) (j 5)) (if (< i 3) (recur (+ i 1) (id (+ j i))) (list i j)))"),
        "(3 8)"
    );
}

#[test]
fn captured_and_assigned_variables_live_in_cells() {
    let mut vm = Vm::new();
    let top = compile(&mut vm, "(defun counter () (let ((n 0) (k 5)) (list (fun () (set! n (+ n k))) (fun () n))))");
    let counter = find(&top, "counter");
    // `n` is made a cell once bound; `k` is only captured, so it stays a plain value.
    assert_eq!(count(&counter.code, |i| matches!(i, Instr::MakeCell { .. })), 1);
    let [inc, get] = [&counter.protos[0], &counter.protos[1]];
    assert!(inc.code.iter().any(|i| matches!(i, Instr::GetCaptureCell { .. })));
    assert!(inc.code.iter().any(|i| matches!(i, Instr::SetCaptureCell { .. })));
    assert!(inc.code.iter().any(|i| matches!(i, Instr::GetCapture { .. })), "k is copied");
    assert!(get.code.iter().any(|i| matches!(i, Instr::GetCaptureCell { .. })));
    assert_eq!(inc.captures.len(), 2);
    assert!(inc.captures.iter().all(|c| matches!(c, CaptureSrc::Register(_))));
    verify_all(&top);

    // A closure made inside a closure takes its capture from the enclosing closure's captures.
    let top = compile(&mut vm, "(defun f (x) (fun () (fun () x)))");
    let middle = &find(&top, "f").protos[0];
    assert!(matches!(middle.captures[..], [CaptureSrc::Register(0)]));
    assert!(matches!(middle.protos[0].captures[..], [CaptureSrc::Capture(0)]));
}

#[test]
fn try_match_eval_and_defmacro_instructions() {
    let mut vm = Vm::new();
    let p = compile(&mut vm, "(try (f) (catch e (g e)) (finally (h)))");
    // Two nested handlers: the outer `finally` one (it also gets errors `try` cannot catch)
    // around the inner `catch` one, whose handler body the outer one still guards.
    let outer = position(&p.code, |i| matches!(i, Instr::TryPush { finally: true, .. }));
    let inner = position(&p.code, |i| matches!(i, Instr::TryPush { finally: false, .. }));
    assert!(outer < inner);
    let (catch, finally) = (target(&p.code, inner), target(&p.code, outer));
    assert!(p.code[inner..catch].iter().any(|i| matches!(i, Instr::TryPop)), "the body pops its handler");
    assert!(catch < finally, "the catch body runs under the finally handler");
    assert!(p.code[finally..].iter().any(|i| matches!(i, Instr::Throw { .. })), "re-raise after finally");
    // `finally` is compiled on each of the two paths (completed, raised).
    let h = global_index(&vm, "h");
    assert_eq!(count(&p.code, |i| matches!(i, Instr::CallGlobal { index, .. } if *index == h)), 2);

    let p = compile(&mut vm, "(match v ((a . r) r) ((list 1 b) b) (_ 0))");
    assert_eq!(count(&p.code, |i| matches!(i, Instr::TestList { len: 1, exact: false, .. })), 1);
    assert_eq!(count(&p.code, |i| matches!(i, Instr::TestList { len: 2, exact: true, .. })), 1);
    assert_eq!(count(&p.code, |i| matches!(i, Instr::Drop { count: 1, .. })), 1);
    assert!(p.code.iter().any(|i| matches!(i, Instr::Nth { index: 1, .. })));
    assert_eq!(count(&p.code, |i| matches!(i, Instr::MatchFail { .. })), 1);

    let f = compile_fn(&mut vm, "f", "(defun f (x) (let ((y 1)) (eval '(+ x y))))");
    assert_eq!(count(&f.code, |i| matches!(i, Instr::Eval { env: 0, .. })), 1);
    let names: Vec<_> = f.eval_envs[0].iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["x", "y"]);
    assert!(f.eval_envs[0].iter().all(|(_, c)| matches!(c, CaptureSrc::Register(_))));
    assert_eq!(count(&f.code, |i| matches!(i, Instr::MakeCell { .. })), 2, "both locals are cells");

    let p = compile(&mut vm, "(defmacro m (x) x)");
    assert_eq!(count(&p.code, |i| matches!(i, Instr::DefMacro { .. })), 1);
    // The macro's function captures nothing: it is a constant, made once.
    assert_eq!(count(&p.code, |i| matches!(i, Instr::Closure { .. })), 0);
    assert!(p.consts.iter().any(|c| matches!(c, slight_runtime::Value::Func(_))));
}

#[test]
fn type_annotations_compile_to_checks() {
    let mut vm = Vm::new();
    let f = compile_fn(&mut vm, "f", "(defun f:str (a:i64 b) (let ((c:f64 1.5)) \"s\"))");
    assert_eq!(f.ret, Some(Type::Str));
    let checks: Vec<_> =
        f.code.iter().filter_map(|i| if let Instr::CheckType { ty, .. } = i { Some(*ty) } else { None }).collect();
    assert_eq!(checks, [Type::I64, Type::F64, Type::Str]);
    assert!(matches!(f.code[0], Instr::CheckType { reg: 0, ty: Type::I64 }));
}

#[test]
fn redefining_a_core_operator_stops_inlining_it_afterwards() {
    let mut vm = Vm::new();
    let before = compile_fn(&mut vm, "g", "(defun g (a b) (+ a b))");
    assert!(matches!(before.code[0], Instr::Add { .. }));
    run(&mut vm, "(defun + (a b) (list a b))");
    let after = compile_fn(&mut vm, "g", "(defun g (a b) (+ a b))");
    let plus = global_index(&vm, "+");
    assert_eq!(count(&after.code, |i| matches!(i, Instr::TailCallGlobal { index, .. } if *index == plus)), 1);
    assert_eq!(count(&after.code, |i| matches!(i, Instr::Add { .. })), 0);
    assert_eq!(run(&mut vm, "(+ 1 2)"), "(1 2)");
    // Code compiled before keeps the inline operator (DIVERGENCES).
    let mut vm = Vm::new();
    run(&mut vm, "(defun old (a b) (+ a b))");
    run(&mut vm, "(defun + (a b) (list a b))");
    assert_eq!(run(&mut vm, "(list (old 1 2) (+ 1 2))"), "(3 (1 2))");
}

#[test]
fn a_failed_redefinition_does_not_stop_inlining() {
    let mut vm = Vm::new();
    let e = fail(&mut vm, "(defun + (a b) (recur a b))");
    assert_eq!(e.message, "recur outside of loop");
    assert_eq!(run(&mut vm, "(+ 1 2)"), "3");
    let g = compile_fn(&mut vm, "g", "(defun g (a b) (+ a b))");
    assert!(matches!(g.code[0], Instr::Add { .. }), "{:#?}", g.code);
}

#[test]
fn long_branches_after_fused_comparisons_compile() {
    let items: Vec<String> = (0..40_000).map(|i| i.to_string()).collect();
    let big = format!("(list/length (list {}))", items.join(" "));
    let mut vm = Vm::new();
    assert_eq!(run(&mut vm, &format!("(defun g (n) (if n {big} 0)) (g 1)")), "40000");
    assert_eq!(run(&mut vm, &format!("(defun f (n) (if (< n 2) {big} 0)) (f 1)")), "40000");
}

#[test]
fn compiled_code_always_verifies() {
    let mut vm = Vm::new();
    for src in [
        "(defun fib (n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))",
        "(defun f (a . r) (let ((x 1)) (fun () (set! x (+ x a)) (apply list x r))))",
        "(loop ((i 0) (acc ())) (if (< i 3) (recur (+ i 1) (cons (fun () i) acc)) acc))",
        "(try (try (throw 1) (catch e (throw e)) (finally 2)) (catch e e.message))",
        "(match (list 1 2 3) ((a b . r) r) ((list) 0) (x :when (> x 1) x) (_ 'no))",
        "(defun g (x) (eval '(set! x 1)) (fun () (eval 'x)))",
        "`(1 ,@(list 2 3) (4 ,(+ 2 3)) . ,(list 6))",
        "(cond ((== 1 2) 1) ((== 2 3) 2) (else (and 1 (or nil 3))))",
    ] {
        verify_all(&compile(&mut vm, src));
    }
}

#[test]
fn disassembly_lists_functions_instructions_sources_and_targets() {
    let mut vm = Vm::new();
    let src = "(defun fib (n)\n  (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))";
    let top = compile(&mut vm, src);
    let text = top.disassemble(&vm.sources);
    let fib = find(&top, "fib");
    assert!(text.starts_with("== <toplevel> (params 0, registers "), "{text}");
    let header = format!("== fib (params 1, registers {}, {} instructions) at t.sl:1:1", fib.nregs, fib.code.len());
    assert!(text.contains(&header), "{text}");
    // Source lines are shown as they change.
    assert!(text.contains("     ;    1 | (defun fib (n)"), "{text}");
    assert!(text.contains("     ;    2 |   (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))"), "{text}");
    // Jumps show where they land; globals their index.
    let fib_text = &text[text.find(&header).unwrap()..];
    assert!(fib_text.contains(&format!("JumpIfNotLtInt a=0 value=2 offset={}", target(&fib.code, 0) - 1)), "{text}");
    assert!(fib_text.contains(&format!("    ; -> {}", target(&fib.code, 0))), "{text}");
    assert!(text.contains(&format!("DefGlobal      index={} src=", global_index(&vm, "fib"))), "{text}");
    assert!(text.contains(&format!("; global #{}", global_index(&vm, "fib"))), "{text}");
    // Constants are shown in REPL form.
    let text = compile(&mut vm, "(print \"hi\")").disassemble(&vm.sources);
    assert!(text.contains("LoadConst") && text.contains("; \"hi\""), "{text}");
    // One line per instruction, numbered.
    let body_lines = fib_text.lines().filter(|l| l.trim_start().starts_with(char::is_numeric)).count();
    assert_eq!(body_lines, fib.code.len());
}

// ------------------------------------------------------------------------------------------
// Proto::verify on hand-built prototypes
// ------------------------------------------------------------------------------------------

const N: u16 = 8;

fn proto(nregs: u16, code: Vec<Instr>) -> Proto {
    let spans = vec![Span::default(); code.len()];
    Proto { name: Some("hand".into()), nregs, code, spans, ..Default::default() }
}

/// One instruction of every kind, with all registers 0 and every jump landing on the next
/// instruction.
fn samples() -> Vec<Instr> {
    use Instr::*;
    let t = Type::Any;
    vec![
        LoadNil { dst: 0 },
        LoadBool { dst: 0, value: true },
        LoadInt { dst: 0, value: 1 },
        LoadConst { dst: 0, index: 0 },
        Move { dst: 0, src: 0 },
        GetCapture { dst: 0, index: 0 },
        GetCaptureCell { dst: 0, index: 0 },
        SetCaptureCell { index: 0, src: 0 },
        GetCell { dst: 0, slot: 0 },
        SetCell { slot: 0, src: 0 },
        MakeCell { slot: 0 },
        GetGlobal { dst: 0, index: 0 },
        SetGlobal { index: 0, src: 0 },
        DefGlobal { index: 0, src: 0 },
        Add { dst: 0, a: 0, b: 0 },
        Sub { dst: 0, a: 0, b: 0 },
        Mul { dst: 0, a: 0, b: 0 },
        Div { dst: 0, a: 0, b: 0 },
        AddInt { dst: 0, a: 0, value: 1 },
        SubInt { dst: 0, a: 0, value: 1 },
        Eq { dst: 0, a: 0, b: 0 },
        Ne { dst: 0, a: 0, b: 0 },
        Lt { dst: 0, a: 0, b: 0 },
        Gt { dst: 0, a: 0, b: 0 },
        Le { dst: 0, a: 0, b: 0 },
        Ge { dst: 0, a: 0, b: 0 },
        Not { dst: 0, a: 0 },
        Neg { dst: 0, a: 0 },
        Cons { dst: 0, a: 0, b: 0 },
        Head { dst: 0, a: 0 },
        Tail { dst: 0, a: 0 },
        IsEmpty { dst: 0, a: 0 },
        List { dst: 0, start: 0, count: 0 },
        Append { dst: 0, start: 0, count: 0 },
        AppendDotted { dst: 0, start: 0, count: 0 },
        Field { dst: 0, a: 0, b: 0 },
        Jump { offset: 0 },
        JumpIfFalse { cond: 0, offset: 0 },
        JumpIfTrue { cond: 0, offset: 0 },
        JumpIfNotLt { a: 0, b: 0, offset: 0 },
        JumpIfNotLe { a: 0, b: 0, offset: 0 },
        JumpIfNotEq { a: 0, b: 0, offset: 0 },
        JumpIfNotEmpty { a: 0, offset: 0 },
        JumpIfNotLtInt { a: 0, value: 0, offset: 0 },
        JumpIfNotLeInt { a: 0, value: 0, offset: 0 },
        JumpIfNotGtInt { a: 0, value: 0, offset: 0 },
        JumpIfNotGeInt { a: 0, value: 0, offset: 0 },
        JumpIfNotEqInt { a: 0, value: 0, offset: 0 },
        Call { base: 0, argc: 0 },
        TailCall { base: 0, argc: 0 },
        CallGlobal { base: 0, argc: 0, index: 0 },
        TailCallGlobal { base: 0, argc: 0, index: 0 },
        CallLocal { base: 0, argc: 0, func: 0 },
        TailCallLocal { base: 0, argc: 0, func: 0 },
        Return { src: 0 },
        Closure { dst: 0, proto: 0 },
        CheckType { reg: 0, ty: t },
        TryPush { err: 0, finally: false, offset: 0 },
        TryPop,
        Throw { src: 0 },
        MatchFail { src: 0 },
        TestList { dst: 0, src: 0, len: 0, exact: true },
        Nth { dst: 0, src: 0, index: 0 },
        Drop { dst: 0, src: 0, count: 0 },
        Eval { dst: 0, form: 0, env: 0 },
        DefMacro { name: 0, src: 0 },
        RecvStart { scan: 0, ms: 0 },
        RecvNext { scan: 0, dst: 0, offset: 0 },
        RecvTake { scan: 0, dst: 0 },
        RecvSkip { scan: 0 },
    ]
}

/// The kind of an instruction (a number per variant) and its single-register operands. The
/// match is exhaustive: a new instruction does not compile here until its operands are listed,
/// and `every_register_operand_is_checked` fails until it has a sample.
/// (`List`/`Append` ranges and call argument ranges are tested separately.)
fn operands(ins: &mut Instr) -> (usize, Vec<&mut Reg>) {
    use Instr::*;
    match ins {
        LoadNil { dst } => (0, vec![dst]),
        LoadBool { dst, .. } => (1, vec![dst]),
        LoadInt { dst, .. } => (2, vec![dst]),
        LoadConst { dst, .. } => (3, vec![dst]),
        Move { dst, src } => (4, vec![dst, src]),
        GetCapture { dst, .. } => (5, vec![dst]),
        GetCaptureCell { dst, .. } => (6, vec![dst]),
        SetCaptureCell { src, .. } => (7, vec![src]),
        GetCell { dst, slot } => (8, vec![dst, slot]),
        SetCell { slot, src } => (9, vec![slot, src]),
        MakeCell { slot } => (10, vec![slot]),
        GetGlobal { dst, .. } => (11, vec![dst]),
        SetGlobal { src, .. } => (12, vec![src]),
        DefGlobal { src, .. } => (13, vec![src]),
        Add { dst, a, b } => (14, vec![dst, a, b]),
        Sub { dst, a, b } => (15, vec![dst, a, b]),
        Mul { dst, a, b } => (16, vec![dst, a, b]),
        Div { dst, a, b } => (17, vec![dst, a, b]),
        AddInt { dst, a, .. } => (18, vec![dst, a]),
        SubInt { dst, a, .. } => (19, vec![dst, a]),
        Eq { dst, a, b } => (20, vec![dst, a, b]),
        Ne { dst, a, b } => (21, vec![dst, a, b]),
        Lt { dst, a, b } => (22, vec![dst, a, b]),
        Gt { dst, a, b } => (23, vec![dst, a, b]),
        Le { dst, a, b } => (24, vec![dst, a, b]),
        Ge { dst, a, b } => (25, vec![dst, a, b]),
        Not { dst, a } => (26, vec![dst, a]),
        Neg { dst, a } => (27, vec![dst, a]),
        Cons { dst, a, b } => (28, vec![dst, a, b]),
        Head { dst, a } => (29, vec![dst, a]),
        Tail { dst, a } => (30, vec![dst, a]),
        IsEmpty { dst, a } => (31, vec![dst, a]),
        List { dst, .. } => (32, vec![dst]),
        Append { dst, .. } => (33, vec![dst]),
        Field { dst, a, b } => (34, vec![dst, a, b]),
        Jump { .. } => (35, vec![]),
        JumpIfFalse { cond, .. } => (36, vec![cond]),
        JumpIfTrue { cond, .. } => (37, vec![cond]),
        JumpIfNotLt { a, b, .. } => (38, vec![a, b]),
        JumpIfNotLe { a, b, .. } => (39, vec![a, b]),
        JumpIfNotEq { a, b, .. } => (40, vec![a, b]),
        JumpIfNotEmpty { a, .. } => (41, vec![a]),
        JumpIfNotLtInt { a, .. } => (42, vec![a]),
        JumpIfNotLeInt { a, .. } => (43, vec![a]),
        JumpIfNotGtInt { a, .. } => (44, vec![a]),
        JumpIfNotGeInt { a, .. } => (45, vec![a]),
        JumpIfNotEqInt { a, .. } => (46, vec![a]),
        Call { base, .. } => (47, vec![base]),
        TailCall { base, .. } => (48, vec![base]),
        CallGlobal { base, .. } => (49, vec![base]),
        TailCallGlobal { base, .. } => (50, vec![base]),
        CallLocal { base, func, .. } => (51, vec![base, func]),
        TailCallLocal { base, func, .. } => (52, vec![base, func]),
        Return { src } => (53, vec![src]),
        Closure { dst, .. } => (54, vec![dst]),
        CheckType { reg, .. } => (55, vec![reg]),
        TryPush { err, .. } => (56, vec![err]),
        TryPop => (57, vec![]),
        Throw { src } => (58, vec![src]),
        MatchFail { src } => (59, vec![src]),
        TestList { dst, src, .. } => (60, vec![dst, src]),
        Nth { dst, src, .. } => (61, vec![dst, src]),
        Drop { dst, src, .. } => (62, vec![dst, src]),
        Eval { dst, form, .. } => (63, vec![dst, form]),
        DefMacro { src, .. } => (64, vec![src]),
        AppendDotted { dst, .. } => (65, vec![dst]),
        RecvStart { scan, ms } => (66, vec![scan, ms]),
        RecvNext { scan, dst, .. } => (67, vec![scan, dst]),
        RecvTake { scan, dst } => (68, vec![scan, dst]),
        RecvSkip { scan } => (69, vec![scan]),
    }
}

const INSTRUCTION_KINDS: usize = 70;

/// `[ins, Return r0]` with `ins`'s `k`-th register operand set to `r`.
fn with_operand(sample: Instr, k: usize, r: Reg) -> Proto {
    let mut ins = sample;
    *operands(&mut ins).1.remove(k) = r;
    proto(N, vec![ins, Instr::Return { src: 0 }])
}

#[test]
fn every_register_operand_is_checked() {
    let samples = samples();
    let mut kinds: Vec<usize> = samples.clone().iter_mut().map(|i| operands(i).0).collect();
    kinds.sort_unstable();
    kinds.dedup();
    assert_eq!(kinds, (0..INSTRUCTION_KINDS).collect::<Vec<_>>(), "one sample of every instruction");

    let mut checked = 0;
    for sample in samples {
        assert_eq!(proto(N, vec![sample, Instr::Return { src: 0 }]).verify(), Ok(()), "{sample:?}");
        let n = operands(&mut sample.clone()).1.len();
        for k in 0..n {
            // The last register is fine; one past it, or far past it, is rejected.
            let ok = with_operand(sample, k, N - 1);
            assert_eq!(ok.verify(), Ok(()), "{:?}", ok.code[0]);
            for bad in [N, N + 1, Reg::MAX] {
                let p = with_operand(sample, k, bad);
                let err = p.verify().expect_err(&format!("{:?} must be rejected", p.code[0]));
                assert!(err.contains(&format!("instruction 0 ({:?}) uses a register beyond {N}", p.code[0])), "{err}");
                assert!(err.starts_with("hand: "), "{err}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 100, "{checked} operands checked");
}

#[test]
fn a_function_with_no_registers_may_not_touch_any() {
    assert!(proto(0, vec![Instr::Return { src: 0 }]).verify().is_err());
    assert!(proto(0, vec![Instr::LoadNil { dst: 0 }, Instr::Jump { offset: -2 }]).verify().is_err());
    assert_eq!(proto(0, vec![Instr::TryPop, Instr::Jump { offset: -2 }]).verify(), Ok(()));
}

#[test]
fn register_ranges_of_lists_and_calls_are_checked() {
    use Instr::*;
    let check = |ins: Instr| proto(N, vec![ins, Return { src: 0 }]).verify();
    // `List`/`Append` read registers start..start+count.
    for make in [
        |s, c| List { dst: 0, start: s, count: c },
        |s, c| Append { dst: 0, start: s, count: c },
        |s, c| AppendDotted { dst: 0, start: s, count: c },
    ] {
        assert_eq!(check(make(0, N)), Ok(()));
        assert_eq!(check(make(N - 1, 1)), Ok(()));
        assert_eq!(check(make(3, N - 3)), Ok(()));
        assert!(check(make(0, N + 1)).is_err());
        assert!(check(make(N - 1, 2)).is_err());
        assert!(check(make(N, 1)).is_err());
        assert!(check(make(u16::MAX, u16::MAX)).is_err(), "no overflow wrap-around");
        assert!(check(make(1, u16::MAX)).is_err());
        // An empty range reads nothing.
        assert_eq!(check(make(N, 0)), Ok(()));
    }
    // A call uses the callee/result register `base` and `argc` argument registers after it.
    assert_eq!(check(Call { base: N - 1, argc: 0 }), Ok(()));
    assert_eq!(check(Call { base: 0, argc: N - 1 }), Ok(()));
    assert_eq!(check(Call { base: 2, argc: N - 3 }), Ok(()));
    assert!(check(Call { base: 0, argc: N }).is_err());
    assert!(check(Call { base: 2, argc: N - 2 }).is_err());
    assert!(check(TailCall { base: 1, argc: N - 1 }).is_err());
    assert!(check(Call { base: u16::MAX, argc: u16::MAX }).is_err());
    assert!(check(TailCall { base: 1, argc: u16::MAX }).is_err());
    assert_eq!(check(CallGlobal { base: 0, argc: (N - 1) as u8, index: 0 }), Ok(()));
    assert!(check(CallGlobal { base: 0, argc: N as u8, index: 0 }).is_err());
    assert!(check(TailCallGlobal { base: 1, argc: (N - 1) as u8, index: 0 }).is_err());
    assert!(check(CallGlobal { base: 0, argc: u8::MAX, index: 0 }).is_err());
    assert_eq!(check(CallLocal { base: 0, argc: (N - 1) as u8, func: N - 1 }), Ok(()));
    assert!(check(CallLocal { base: 0, argc: N as u8, func: 0 }).is_err());
    assert!(check(TailCallLocal { base: 3, argc: (N - 3) as u8, func: 0 }).is_err());
    // The largest frame: 65535 registers.
    let max = |ins: Instr| proto(u16::MAX, vec![ins, Return { src: 0 }]).verify();
    assert_eq!(max(Call { base: u16::MAX - 1, argc: 0 }), Ok(()));
    assert!(max(Call { base: u16::MAX - 1, argc: 1 }).is_err());
    assert_eq!(max(List { dst: u16::MAX - 1, start: 0, count: u16::MAX }), Ok(()));
    assert!(max(Return { src: u16::MAX }).is_err());
}

#[test]
fn every_jump_must_land_inside_the_code() {
    for sample in samples().into_iter().filter(|i| i.jump_offset().is_some()) {
        // [LoadNil, <jump at pc 1>, LoadNil, Return]: targets 0..=3 are inside.
        let code_with = |off: i64| {
            let mut j = sample;
            assert!(j.set_jump_offset(off), "{off} fits {sample:?}");
            proto(N, vec![Instr::LoadNil { dst: 0 }, j, Instr::LoadNil { dst: 1 }, Instr::Return { src: 0 }])
        };
        for off in -2..=1 {
            assert_eq!(code_with(off).verify(), Ok(()), "{sample:?} offset {off}");
        }
        for off in [-3, 2, 3, -100, 1000, i16::MAX as i64, i16::MIN as i64] {
            let err = code_with(off).verify().expect_err(&format!("{sample:?} offset {off}"));
            assert_eq!(err, "hand: instruction 1 jumps outside the function");
        }
    }
    // The widest offsets do not wrap around.
    for offset in [i32::MAX, i32::MIN] {
        assert!(proto(N, vec![Instr::Jump { offset }, Instr::Return { src: 0 }]).verify().is_err());
        let push = Instr::TryPush { err: 0, finally: false, offset };
        assert!(proto(N, vec![push, Instr::Return { src: 0 }]).verify().is_err());
    }
    // A narrow jump's offset that does not fit is refused when patching.
    let mut j = Instr::JumpIfNotLtInt { a: 0, value: 0, offset: 0 };
    assert!(!j.set_jump_offset(i16::MAX as i64 + 1));
    assert!(!j.set_jump_offset(i16::MIN as i64 - 1));
    assert!(!Instr::Return { src: 0 }.set_jump_offset(0), "not a jump");
    assert_eq!(Instr::Return { src: 0 }.jump_offset(), None);
}

#[test]
fn code_must_end_in_a_return_or_jump() {
    use Instr::*;
    assert_eq!(proto(N, vec![]).verify(), Err("hand: code does not end in a return".into()));
    assert!(proto(N, vec![LoadNil { dst: 0 }]).verify().is_err());
    assert!(proto(N, vec![LoadNil { dst: 0 }, JumpIfFalse { cond: 0, offset: -2 }]).verify().is_err());
    // A call in tail position is followed by a return for builtins.
    assert!(proto(N, vec![TailCall { base: 0, argc: 0 }]).verify().is_err());
    assert!(proto(N, vec![Throw { src: 0 }]).verify().is_err());
    assert!(proto(N, vec![MatchFail { src: 0 }]).verify().is_err());
    assert_eq!(proto(N, vec![Return { src: 0 }]).verify(), Ok(()));
    // Ending in a backwards jump (an endless loop) cannot run off the end either.
    assert_eq!(proto(N, vec![LoadNil { dst: 0 }, Jump { offset: -2 }]).verify(), Ok(()));
    assert_eq!(proto(N, vec![Jump { offset: -1 }]).verify(), Ok(()));
}

#[test]
fn capture_and_eval_environment_registers_are_checked() {
    let with_child = |cap: CaptureSrc| {
        let mut child = proto(1, vec![Instr::Return { src: 0 }]);
        child.captures = vec![cap];
        let mut p = proto(N, vec![Instr::Closure { dst: 0, proto: 0 }, Instr::Return { src: 0 }]);
        p.protos = vec![Rc::new(child)];
        p
    };
    assert_eq!(with_child(CaptureSrc::Register(N - 1)).verify(), Ok(()));
    let err = with_child(CaptureSrc::Register(N)).verify().unwrap_err();
    assert_eq!(err, format!("hand: a capture reads register {N} beyond {N}"));
    assert!(with_child(CaptureSrc::Register(Reg::MAX)).verify().is_err());
    // A capture of a capture reads no register of this frame.
    assert_eq!(with_child(CaptureSrc::Capture(0)).verify(), Ok(()));

    let with_env = |cap: CaptureSrc| {
        let mut p = proto(N, vec![Instr::Eval { dst: 0, form: 0, env: 0 }, Instr::Return { src: 0 }]);
        p.eval_envs = vec![vec![("x".to_string(), CaptureSrc::Register(0)), ("y".to_string(), cap)]];
        p
    };
    assert_eq!(with_env(CaptureSrc::Register(N - 1)).verify(), Ok(()));
    assert!(with_env(CaptureSrc::Register(N)).verify().is_err());
}

#[test]
fn verify_covers_nested_functions() {
    let child = proto(1, vec![Instr::Return { src: 5 }]);
    assert!(child.verify().is_err());
    let mut parent = proto(N, vec![Instr::Closure { dst: 0, proto: 0 }, Instr::Return { src: 0 }]);
    parent.protos = vec![Rc::new(child)];
    assert!(parent.verify().is_err(), "the nested function reads register 5 of 1");
}

// Running an unverified `Proto` is impossible from safe code outside the crate: `Closure`'s
// fields are crate-private, so only the VM builds closures, from verified prototypes.

// ------------------------------------------------------------------------------------------
// VM: tail calls
// ------------------------------------------------------------------------------------------

const DEEP: i64 = 1_000_000;

/// Runs `def` then `(call DEEP)` on a fresh VM and returns the result.
fn deep(def: &str, call: &str) -> String {
    let mut vm = Vm::new();
    run(&mut vm, def);
    run(&mut vm, &call.replace("DEEP", &DEEP.to_string()))
}

#[test]
fn tail_calls_in_if_and_cond_branches_run_a_million_deep() {
    assert_eq!(deep("(defun f (n) (if (== n 0) :done (f (- n 1))))", "(f DEEP)"), ":done");
    assert_eq!(deep("(defun f (n) (if (> n 0) (f (- n 1)) :done))", "(f DEEP)"), ":done");
    assert_eq!(deep("(defun f (n) (cond ((== n 0) :done) ((== n 1) (f 0)) (else (f (- n 1)))))", "(f DEEP)"), ":done");
}

#[test]
fn tail_calls_in_when_unless_and_or_run_a_million_deep() {
    assert_eq!(deep("(defun f (n) (when (> n 0) (f (- n 1))))", "(f DEEP)"), "nil");
    assert_eq!(deep("(defun f (n) (unless (== n 0) (f (- n 1))))", "(f DEEP)"), "nil");
    assert_eq!(deep("(defun f (n) (and (> n -1) (f (- n 1))))", "(f DEEP)"), "false");
    assert_eq!(deep("(defun f (n) (or (== n 0) (f (- n 1))))", "(f DEEP)"), "true");
}

#[test]
fn tail_calls_in_let_begin_match_and_loop_bodies_run_a_million_deep() {
    assert_eq!(deep("(defun f (n) (let ((m (- n 1))) (if (< m 0) :done (f m))))", "(f DEEP)"), ":done");
    assert_eq!(deep("(defun f (n) (begin 1 (if (== n 0) :done (do 2 (f (- n 1))))))", "(f DEEP)"), ":done");
    assert_eq!(deep("(defun f (n) (match n (0 :done) (_ (f (- n 1)))))", "(f DEEP)"), ":done");
    assert_eq!(deep("(defun f (n) (match n (x :when (> x 0) (f (- x 1))) (_ :done)))", "(f DEEP)"), ":done");
    assert_eq!(deep("(defun f (n) (match (list n) ((list 0) :done) ((list m) (f (- m 1)))))", "(f DEEP)"), ":done");
    assert_eq!(deep("(defun f (n) (loop ((i 0)) (if (== n 0) :done (f (- n 1)))))", "(f DEEP)"), ":done");
    // Several body forms: the last one is the tail call.
    assert_eq!(deep("(defun f (n) (def m (- n 1)) (if (< m 0) :done (f m)))", "(f DEEP)"), ":done");
}

#[test]
fn mutual_and_indirect_tail_calls_run_a_million_deep() {
    // Two globals.
    let defs = "(defun ev? (n) (if (== n 0) true (od? (- n 1)))) (defun od? (n) (if (== n 0) false (ev? (- n 1))))";
    assert_eq!(deep(defs, "(ev? DEEP)"), "true");
    // Local functions calling each other through cells.
    let local = "(defun outer (k) (defun ev? (n) (if (== n 0) true (od? (- n 1)))) \
                 (defun od? (n) (if (== n 0) false (ev? (- n 1)))) (ev? k))";
    assert_eq!(deep(local, "(outer (+ DEEP 1))"), "false");
    // A function passed as an argument (a local register callee).
    assert_eq!(deep("(defun f (g n) (if (== n 0) :done (g g (- n 1))))", "(f f DEEP)"), ":done");
    // A closure calling itself through a captured variable.
    let closure = "(def f (let ((self nil)) (set! self (fun (n) (if (== n 0) :done (self (- n 1))))) self))";
    assert_eq!(deep(closure, "(f DEEP)"), ":done");
    // An anonymous function value computed at the call.
    assert_eq!(deep("(defun f (n) (if (== n 0) :done ((if true f f) (- n 1))))", "(f DEEP)"), ":done");
    // A variadic function.
    assert_eq!(deep("(defun f (n . r) (if (== n 0) r (f (- n 1) 1 2)))", "(f DEEP)"), "(1 2)");
    // A tail call to a builtin returns its value.
    assert_eq!(deep("(defun f (n) (if (== n 0) (list/length (list 1 2 3)) (f (- n 1))))", "(f DEEP)"), "3");
}

#[test]
fn tail_calls_between_functions_of_different_sizes() {
    // The callee needs more registers than the caller's frame has: the frame grows in place.
    let defs = "(defun small (n) (if (== n 0) :done (big n 1 2 3))) \
                (defun big (n a b c) (let ((x (+ a b)) (y (+ b c)) (z (list a b c x y))) (small (- n 1))))";
    assert_eq!(deep(defs, "(small DEEP)"), ":done");
}

#[test]
fn typed_functions_make_tail_calls() {
    assert_eq!(deep("(defun f:i64 (n) (if (== n 0) 0 (f (- n 1))))", "(f DEEP)"), "0");
}

#[test]
fn apply_in_tail_position_is_a_tail_call() {
    assert_eq!(deep("(defun f (n) (if (== n 0) :done (apply f (list (- n 1)))))", "(f DEEP)"), ":done");
}

// ------------------------------------------------------------------------------------------
// VM: stack overflow
// ------------------------------------------------------------------------------------------

#[test]
fn deep_recursion_is_a_catchable_stack_overflow_and_the_vm_survives() {
    let mut vm = Vm::new();
    run(&mut vm, "(defun d (n) (if (== n 0) 0 (+ 1 (d (- n 1)))))");
    // Deep but under the frame limit: fine.
    assert_eq!(run(&mut vm, "(d 100000)"), "100000");
    assert_eq!(
        run(&mut vm, "(try (d 1000000) (catch e (list (error/type e) (error/message e) e.type)))"),
        "(\"StackOverflow\" \"stack overflow\" \"StackOverflow\")"
    );
    // The VM keeps working: old and new definitions, deep calls again.
    assert_eq!(run(&mut vm, "(d 10)"), "10");
    run(&mut vm, "(defun tw (x) (* 2 x))");
    assert_eq!(run(&mut vm, "(tw (d 21))"), "42");
    assert_eq!(run(&mut vm, "(d 100000)"), "100000");

    // Uncaught, it reaches the embedder as an error with a position and a (bounded) trace.
    let e = fail(&mut vm, "(+ 1 (d 1000000))");
    assert_eq!((e.kind.as_str(), e.message.as_str()), ("StackOverflow", "stack overflow"));
    // Raised by the innermost call.
    assert_eq!(e.location.as_deref(), Some("t.sl:1:34"), "{}", e.rendered);
    assert!(!e.trace.is_empty() && e.trace.len() <= 64, "{}", e.trace.len());
    assert!(e.trace.iter().all(|t| t.starts_with("at d (t.sl:1:")), "{:?}", &e.trace[..3]);
    assert!(e.rendered.contains("more frames"), "{}", e.rendered);
    // And again afterwards.
    assert_eq!(run(&mut vm, "(d 1000)"), "1000");
    assert_eq!(vm.call("d", &[Value::Int(5)]).unwrap(), Value::Int(5));
}

#[test]
fn stack_overflow_unwinds_through_many_handlers() {
    let mut vm = Vm::new();
    run(&mut vm, "(defun d (n) (try (+ 1 (d (+ n 1))) (catch e (throw e))))");
    assert_eq!(run(&mut vm, "(try (d 0) (catch e (error/type e)))"), "\"StackOverflow\"");
    // Every handler was popped: a later error is caught by the right handler.
    assert_eq!(run(&mut vm, "(try (throw \"x\") (catch e (list :caught e.message)))"), "(:caught \"x\")");
    let e = fail(&mut vm, "(throw \"outside\")");
    assert_eq!(e.message, "outside");
}

#[test]
fn stack_overflow_through_closures_and_prelude_callbacks() {
    let mut vm = Vm::new();
    run(&mut vm, "(defun m (n) (+ 1 (head (list/map (fun (x) (m x)) (list n)))))");
    assert_eq!(run(&mut vm, "(try (m 1) (catch e (error/type e)))"), "\"StackOverflow\"");
    run(&mut vm, "(def c (fun (n) (+ 1 ((fun (k) (c k)) n))))");
    assert_eq!(run(&mut vm, "(try (c 1) (catch e (error/type e)))"), "\"StackOverflow\"");
    assert_eq!(run(&mut vm, "(list/map (fun (x) (* x x)) (list 1 2 3))"), "(1 4 9)");
}

// ------------------------------------------------------------------------------------------
// VM: errors, positions and traces
// ------------------------------------------------------------------------------------------

#[test]
fn runtime_errors_carry_position_and_slight_stack() {
    let mut vm = Vm::new();
    let src = "(defun inner (x)\n  (+ x \"a\"))\n(defun outer (x)\n  (let ((y (inner x)))\n    y))\n(list (outer 1))";
    let e = fail(&mut vm, src);
    assert_eq!(e.kind, "TypeError");
    assert_eq!(e.message, "Type error: + expects numbers, got STRING");
    assert_eq!(e.location.as_deref(), Some("t.sl:2:3"));
    let span = e.span.expect("span");
    assert_eq!((span.line, span.col), (2, 3));
    assert_eq!(span_text(src, span), "(+ x \"a\")");
    assert_eq!(e.trace, ["at inner (t.sl:2:3)", "at outer (t.sl:4:12)", "at <toplevel> (t.sl:6:7)"]);
    // The rendering shows the line, a caret and the stack.
    assert!(e.rendered.contains("error[TypeError]: Type error: + expects numbers, got STRING"), "{}", e.rendered);
    assert!(e.rendered.contains("t.sl:2:3"), "{}", e.rendered);
    assert!(e.rendered.contains("(+ x \"a\"))"), "{}", e.rendered);
    let stack = e.rendered.find("Slight stack (innermost first):").expect("stack note");
    let (inner, outer) =
        (e.rendered.find("at inner (t.sl:2:3)").unwrap(), e.rendered.find("at outer (t.sl:4:12)").unwrap());
    assert!(stack < inner && inner < outer, "{}", e.rendered);
    assert_eq!(e.to_string(), "t.sl:2:3: TypeError: Type error: + expects numbers, got STRING");
}

#[test]
fn error_kinds_and_positions() {
    let mut vm = Vm::new();
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "(defun ar (a b) a)\n  (list (ar 1))",
            "ArityError",
            "Wrong number of arguments: expected 2, got 1",
            "t.sl:2:9",
        ),
        (
            "(defun va (a b . r) a)\n(list (va 1))",
            "ArityError",
            "Too few arguments: expected at least 2, got 1",
            "t.sl:2:7",
        ),
        ("(list 1\n   undefined-thing)", "NameError", "Undefined symbol: undefined-thing", "t.sl:2:4"),
        ("(defun cc () (list (undefined-fn 1)))\n(cc)", "NameError", "Undefined symbol: undefined-fn", "t.sl:1:20"),
        ("(set! never-defined 1)", "NameError", "Cannot set! undefined variable: never-defined", "t.sl:1:1"),
        ("(list (head 1 2))", "ArityError", "Wrong number of arguments: expected 1, got 2 (calling head)", "t.sl:1:7"),
        ("(list (match 5 (1 1)))", "MatchError", "No match for value: 5", "t.sl:1:7"),
        ("(let ((x:i64 \"s\")) x)", "TypeError", "Type error: expected i64, got STRING", "t.sl:1:8"),
        ("(list (5 1))", "TypeError", "Not a function: 5", "t.sl:1:7"),
        ("(list (math/div 1 0))", "ArithmeticError", "division by zero", "t.sl:1:7"),
        ("(list (* 9223372036854775807 2))", "ArithmeticError", "integer overflow", "t.sl:1:7"),
        ("(list (throw \"mine\"))", "Error", "mine", "t.sl:1:7"),
        (
            "\n (if)",
            "SyntaxError",
            "if expects a test, a then branch and an optional else branch, got 0 forms",
            "t.sl:2:2",
        ),
        ("(loop ((i 0)) (+ 1 (recur i)))", "SyntaxError", "recur must be in tail position of its loop", "t.sl:1:20"),
        ("(list 1 (2)", "ReadError", "unexpected end of input: unclosed '('", "t.sl:1:1"),
    ];
    for &(src, kind, message, location) in cases {
        let e = fail(&mut vm, src);
        assert_eq!(
            (e.kind.as_str(), e.message.as_str(), e.location.as_deref()),
            (kind, message, Some(location)),
            "{src}"
        );
    }
    // Front-end errors have no Slight stack.
    assert!(fail(&mut vm, "(if)").trace.is_empty());
}

#[test]
fn rethrown_errors_keep_their_origin() {
    let mut vm = Vm::new();
    let src = "(defun bad ()\n  (head 1 2))\n(defun relay ()\n  (try (bad) (catch e (throw e))))\n(list (relay))";
    let e = fail(&mut vm, src);
    assert_eq!(e.kind, "ArityError");
    assert_eq!(e.location.as_deref(), Some("t.sl:2:3"));
    assert_eq!(e.trace[0], "at bad (t.sl:2:3)");
    // Caught and inspected: the same type and message.
    assert_eq!(
        run(&mut vm, "(try (relay) (catch e (list (error/type e) e.message)))"),
        "(\"ArityError\" \"Wrong number of arguments: expected 1, got 2 (calling head)\")"
    );
    // Thrown non-error values are wrapped; the message is their print form.
    assert_eq!(run(&mut vm, "(try (throw 42) (catch e (list e.type e.message)))"), "(\"Error\" \"42\")");
    assert_eq!(run(&mut vm, "(try (throw (list 1 \"a\")) (catch e e.message))"), "\"(1 a)\"");
}

// ------------------------------------------------------------------------------------------
// VM: try / catch / finally
// ------------------------------------------------------------------------------------------

/// A VM with a global `log` and `(note x)` that appends to it; `(notes)` returns it in order.
fn logging_vm() -> Vm {
    let mut vm = Vm::new();
    run(&mut vm, "(def log ()) (defun note (x) (set! log (cons x log)) x) (defun notes () (let ((l (list/reverse log))) (set! log ()) l))");
    vm
}

#[test]
fn finally_runs_on_every_path_and_the_body_value_wins() {
    let mut vm = logging_vm();
    assert_eq!(run(&mut vm, "(try (note :body) (finally (note :fin) :ignored))"), ":body");
    assert_eq!(run(&mut vm, "(notes)"), "(:body :fin)");
    assert_eq!(run(&mut vm, "(try (throw \"x\") (catch e (note e.message)) (finally (note :fin)))"), "\"x\"");
    assert_eq!(run(&mut vm, "(notes)"), "(\"x\" :fin)");
    assert_eq!(run(&mut vm, "(try (note 1) (catch e (note :never)) (finally (note :fin)))"), "1");
    assert_eq!(run(&mut vm, "(notes)"), "(1 :fin)");
    // No catch: finally runs, then the error continues.
    let e = fail(&mut vm, "(try (throw \"out\") (finally (note :fin)))");
    assert_eq!(e.message, "out");
    assert_eq!(run(&mut vm, "(notes)"), "(:fin)");
}

#[test]
fn nested_handlers_run_inner_cleanup_first() {
    let mut vm = logging_vm();
    let src = "(try (try (try (throw \"deep\") (finally (note :f1))) (finally (note :f2))) \
               (catch e (note (list :caught e.message))) (finally (note :f3)))";
    run(&mut vm, src);
    assert_eq!(run(&mut vm, "(notes)"), "(:f1 :f2 (:caught \"deep\") :f3)");
    // The innermost matching handler catches; outer ones see nothing.
    let src = "(try (try (throw \"a\") (catch e (note :inner))) (catch e (note :outer)))";
    run(&mut vm, src);
    assert_eq!(run(&mut vm, "(notes)"), "(:inner)");
}

#[test]
fn an_error_inside_catch_runs_finally_then_propagates() {
    let mut vm = logging_vm();
    let src = "(try (try (throw \"inner\") (catch e (note :c1) (throw \"from-catch\")) (finally (note :f1))) \
               (catch e (note e.message)) (finally (note :f2)))";
    run(&mut vm, src);
    assert_eq!(run(&mut vm, "(notes)"), "(:c1 :f1 \"from-catch\" :f2)");
}

#[test]
fn an_error_inside_finally_replaces_the_result() {
    let mut vm = logging_vm();
    run(&mut vm, "(try (try (note :body) (finally (note :f1) (throw \"from-finally\"))) (catch e (note e.message)))");
    assert_eq!(run(&mut vm, "(notes)"), "(:body :f1 \"from-finally\")");
    // After a caught error, too.
    run(&mut vm, "(try (try (throw \"x\") (catch e (note :c1) 1) (finally (note :f1) (throw \"ff\"))) (catch e (note e.message)))");
    assert_eq!(run(&mut vm, "(notes)"), "(:c1 :f1 \"ff\")");
    // It also replaces an error that was on its way out.
    run(&mut vm, "(try (try (throw \"first\") (finally (throw \"second\"))) (catch e (note e.message)))");
    assert_eq!(run(&mut vm, "(notes)"), "(\"second\")");
}

#[test]
fn errors_from_deeper_frames_unwind_to_the_handler_frame_with_its_registers_intact() {
    let mut vm = Vm::new();
    run(&mut vm, "(defun thrower (n) (if (== n 0) (throw \"boom\") (+ 1 (thrower (- n 1)))))");
    run(&mut vm, "(defun keep (x) (let ((a 1) (b 2)) (list x a b (try (thrower 50) (catch e e.message)) a b x)))");
    assert_eq!(run(&mut vm, "(keep 5)"), "(5 1 2 \"boom\" 1 2 5)");
    // Handlers in a loop: each iteration's handler is popped.
    let src = "(loop ((i 0) (n 0)) (if (< i 10000) (recur (+ i 1) (+ n (try (thrower 3) (catch e 1)))) n))";
    assert_eq!(run(&mut vm, src), "10000");
    let e = fail(&mut vm, "(list (thrower 2))");
    assert_eq!(e.message, "boom");
    assert_eq!(e.trace.len(), 4, "{:?}", e.trace);
}

// ------------------------------------------------------------------------------------------
// VM: closures, eval, apply
// ------------------------------------------------------------------------------------------

#[test]
fn closures_share_captured_variables() {
    let mut vm = Vm::new();
    run(&mut vm, "(defun mk () (let ((n 0)) (list (fun () (set! n (+ n 1)) n) (fun () n))))");
    run(&mut vm, "(def p (mk)) (def q (mk)) (def inc (head p)) (def get (head (tail p)))");
    assert_eq!(run(&mut vm, "(inc) (inc) (get)"), "2");
    assert_eq!(run(&mut vm, "((head q)) ((head (tail q)))"), "1", "each call of mk has its own n");
    assert_eq!(run(&mut vm, "(get)"), "2");
    // A closure sees assignments made after it was created.
    assert_eq!(eval1("(let ((x 1)) (def g (fun () x)) (set! x 2) (g))"), "2");
    // Assigning through one closure is seen by the enclosing function.
    assert_eq!(eval1("(defun f () (let ((x 1)) ((fun () (set! x 5))) x)) (f)"), "5");
    // Three levels.
    assert_eq!(eval1("(defun f () (let ((x 0)) (((fun () (fun () (set! x (+ x 7)))))) x)) (f)"), "7");
    // A counter made by a top-level let.
    assert_eq!(eval1("(def next (let ((n 0)) (fun () (set! n (+ n 1))))) (next) (next) (next)"), "3");
    // A `def` inside a top-level let is local to it (DIVERGENCES).
    assert_eq!(eval1("(let ((n 0)) (defun bump () (set! n (+ n 1))) (bump) (bump))"), "2");
    assert!(Vm::new().eval("(let ((n 0)) (defun bump () n)) (bump)").is_err());
}

#[test]
fn loop_iterations_have_fresh_bindings() {
    assert_eq!(
        eval1("(loop ((i 0) (fs ())) (if (< i 3) (recur (+ i 1) (cons (fun () i) fs)) (list/map (fun (f) (f)) fs)))"),
        "(2 1 0)"
    );
    // Even when the closures assign the loop variable.
    assert_eq!(
        eval1("(loop ((i 0) (fs ())) (if (< i 3) (recur (+ i 1) (cons (fun () (set! i (+ i 10)) i) fs)) (list/map (fun (f) (f)) fs)))"),
        "(12 11 10)"
    );
}

#[test]
fn eval_sees_and_sets_locals() {
    let mut vm = Vm::new();
    assert_eq!(run(&mut vm, "(defun f (x) (eval '(set! x (+ x 1))) x) (f 41)"), "42");
    assert_eq!(run(&mut vm, "(defun f (x) (let ((y 10)) (eval '(+ x y)))) (f 1)"), "11");
    // A captured variable, set from eval inside a closure, is seen by the enclosing function.
    assert_eq!(run(&mut vm, "(defun f (x) (let ((g (fun (v) (eval '(set! x v))))) (g 5) x)) (f 0)"), "5");
    // And a closure made by eval captures the local.
    assert_eq!(run(&mut vm, "(defun mk (x) (eval '(fun () x))) ((mk 9))"), "9");
    assert_eq!(
        run(&mut vm, "(defun ctr () (let ((n 0)) (eval '(fun () (set! n (+ n 1)) n)))) (def c (ctr)) (c) (c)"),
        "2"
    );
    // A form built at run time.
    assert_eq!(run(&mut vm, "(defun f (x) (eval (list '* 'x 3))) (f 4)"), "12");
    // Loop variables are visible and assignable.
    assert_eq!(run(&mut vm, "(loop ((i 0)) (if (< i 5) (begin (eval '(set! i (+ i 2))) (recur (+ i 1))) i))"), "6");
    // At top level, eval defines globals.
    assert_eq!(run(&mut vm, "(eval '(def from-eval 3)) from-eval"), "3");
    // Errors inside eval are catchable.
    assert_eq!(
        run(&mut vm, "(defun f () (try (eval '(no-such-fn)) (catch e e.message))) (f)"),
        "\"Undefined symbol: no-such-fn\""
    );
}

#[test]
fn apply_spreads_arguments_into_variadic_functions() {
    let mut vm = Vm::new();
    run(&mut vm, "(defun va (a . r) (list a r))");
    assert_eq!(run(&mut vm, "(apply va 1 2 (list 3 4))"), "(1 (2 3 4))");
    assert_eq!(run(&mut vm, "(apply va (list 1))"), "(1 ())");
    assert_eq!(run(&mut vm, "(apply va 1 ())"), "(1 ())");
    assert_eq!(run(&mut vm, "(apply + 1 2 (list 3))"), "6");
    assert_eq!(run(&mut vm, "(apply (fun (. all) all) (list 1 2))"), "(1 2)");
    assert_eq!(run(&mut vm, "(apply apply (list va (list 7 8)))"), "(7 (8))");
    assert_eq!(run(&mut vm, "(list/map (fun (args) (apply va args)) (list (list 1) (list 2 3)))"), "((1 ()) (2 (3)))");
    let e = fail(&mut vm, "(list (apply va ()))");
    assert_eq!((e.kind.as_str(), e.message.as_str()), ("ArityError", "Too few arguments: expected at least 1, got 0"));
    let e = fail(&mut vm, "(list (apply + 1))");
    assert_eq!(e.message, "Type error: apply expects a list as its last argument, got NUMBER");
    let e = fail(&mut vm, "(list (apply (fun (a) a) (list 1 2)))");
    assert_eq!(e.message, "Wrong number of arguments: expected 1, got 2");
}

// ------------------------------------------------------------------------------------------
// VM: macros
// ------------------------------------------------------------------------------------------

#[test]
fn macros_defined_in_one_form_are_used_in_later_forms() {
    let mut vm = Vm::new();
    run(&mut vm, "(defun double-form (x) `(* 2 ,x))");
    run(&mut vm, "(defmacro twice (x) (double-form x))");
    assert!(vm.is_macro_name("twice"));
    assert_eq!(run(&mut vm, "(twice (+ 1 2))"), "6");
    // Used inside a function body compiled later.
    run(&mut vm, "(defun f (y) (twice y))");
    assert_eq!(run(&mut vm, "(f 21)"), "42");
    // Expansion to another macro call, repeated to a fixed point.
    run(&mut vm, "(defmacro quad (x) `(twice (twice ,x)))");
    assert_eq!(run(&mut vm, "(quad 5)"), "20");
    // A macro with gensym.
    run(&mut vm, "(defmacro swap! (a b) (let ((t (gensym))) `(let ((,t ,a)) (set! ,a ,b) (set! ,b ,t))))");
    assert_eq!(run(&mut vm, "(def s1 1) (def s2 2) (swap! s1 s2) (list s1 s2)"), "(2 1)");
    // Redefining a macro affects later forms only.
    run(&mut vm, "(defmacro twice (x) `(+ ,x ,x 1))");
    assert_eq!(run(&mut vm, "(list (f 1) (twice 1))"), "(2 3)");
    // A macro is not available inside the form that defines it (forms expand before they run).
    let e = fail(&mut vm, "(begin (defmacro later () 1) (later))");
    assert_eq!(e.message, "Undefined symbol: later");
    assert_eq!(run(&mut vm, "(later)"), "1");
}

#[test]
fn macro_errors_are_syntax_errors_at_the_call() {
    let mut vm = Vm::new();
    run(&mut vm, "(defmacro bad () (throw \"nope\"))");
    let e = fail(&mut vm, "(list 1\n  (bad))");
    assert_eq!(e.kind, "SyntaxError");
    assert_eq!(e.message, "error expanding macro bad: nope");
    assert_eq!(e.location.as_deref(), Some("t.sl:2:3"));
    run(&mut vm, "(defmacro deep (n) (if (== n 0) 42 `(deep ,(- n 1))))");
    assert_eq!(run(&mut vm, "(deep 999)"), "42");
    let e = fail(&mut vm, "(deep 1000)");
    assert_eq!(e.message, "macro expansion too deep (limit 1000) while expanding deep");
    run(&mut vm, "(defmacro loopy () '(loopy))");
    assert_eq!(fail(&mut vm, "(loopy)").message, "macro expansion too deep (limit 1000) while expanding loopy");
    // The VM is fine afterwards.
    assert_eq!(run(&mut vm, "(deep 3)"), "42");
    // Errors in expanded code point at the macro call.
    run(&mut vm, "(defmacro oops () '(+ 1 \"a\"))");
    let e = fail(&mut vm, "(list 1\n  (oops))");
    assert_eq!((e.kind.as_str(), e.location.as_deref()), ("TypeError", Some("t.sl:2:3")));
}

// ------------------------------------------------------------------------------------------
// VM: callbacks from the prelude, embedding calls
// ------------------------------------------------------------------------------------------

#[test]
fn errors_in_callbacks_propagate_with_their_position() {
    let mut vm = Vm::new();
    let src = "(defun use ()\n  (list/map (fun (x) (if (== x 3) (throw \"three\") x))\n            (list 1 2 3)))\n(list (use))";
    let e = fail(&mut vm, src);
    assert_eq!(e.message, "three");
    assert_eq!(e.location.as_deref(), Some("t.sl:2:35"));
    assert_eq!(span_text(src, e.span.unwrap()), "(throw \"three\")");
    assert_eq!(e.trace[0], "at lambda (t.sl:2:35)");
    assert!(e.trace[1].starts_with("at list/map (<prelude>:"), "{:?}", e.trace);
    assert_eq!(e.trace.last().map(String::as_str), Some("at <toplevel> (t.sl:4:7)"));
    // Catchable around the builtin call.
    assert_eq!(run(&mut vm, "(try (use) (catch e e.message))"), "\"three\"");
    assert_eq!(run(&mut vm, "(try (list/filter (fun (x) (throw \"f\")) (list 1)) (catch e e.message))"), "\"f\"");
    let e = fail(&mut vm, "(list (list/reduce (fun (acc x) (+ acc y)) 0 (list 1)))");
    assert_eq!((e.message.as_str(), e.location.as_deref()), ("Undefined symbol: y", Some("t.sl:1:40")));
    // Callbacks still work afterwards.
    assert_eq!(run(&mut vm, "(list/reduce (fun (acc x) (+ acc x)) 0 (list/map (fun (x) (* x 2)) (list 1 2 3)))"), "12");
}

#[test]
fn callback_arity_errors_point_at_user_code() {
    let mut vm = Vm::new();
    let e = fail(&mut vm, "(list\n  (list/map (fun (a b) a) (list 1)))");
    assert_eq!(e.message, "Wrong number of arguments: expected 2, got 1");
    assert_eq!(e.location.as_deref(), Some("t.sl:2:3"));
}

#[test]
fn vm_call_from_rust() {
    let mut vm = Vm::new();
    run(&mut vm, "(defun add (a b) (+ a b)) (defun va (a . r) (list a r)) (def sq (fun (x) (* x x)))");
    assert_eq!(vm.call("add", &[Value::Int(2), Value::Int(3)]).unwrap(), Value::Int(5));
    assert_eq!(vm.call("va", &[Value::Int(1), Value::Int(2)]).unwrap().repr(), "(1 (2))");
    assert_eq!(vm.call("sq", &[Value::Int(9)]).unwrap(), Value::Int(81));
    assert_eq!(vm.call("+", &[Value::Int(1), Value::Int(2), Value::Int(3)]).unwrap(), Value::Int(6));
    assert_eq!(
        vm.call("list/map", &[vm.global("sq").unwrap(), Value::list_from(vec![Value::Int(3)])]).unwrap().repr(),
        "(9)"
    );
    // Errors: arity, undefined, and an error raised inside Slight code (with position and trace).
    let e = vm.call("add", &[Value::Int(1)]).unwrap_err();
    assert_eq!(e.message, "Wrong number of arguments: expected 2, got 1");
    let e = vm.call("nope", &[]).unwrap_err();
    assert_eq!(
        (e.kind.as_str(), e.message.as_str(), e.location.as_deref()),
        ("NameError", "Undefined symbol: nope", None)
    );
    run(&mut vm, "(defun boom (x)\n  (+ x \"s\"))");
    let e = vm.call("boom", &[Value::Int(1)]).unwrap_err();
    assert_eq!(e.location.as_deref(), Some("t.sl:2:3"));
    assert_eq!(e.trace, ["at boom (t.sl:2:3)"]);
    // The VM is usable after errors, many times over.
    for i in 0..1000 {
        assert_eq!(vm.call("add", &[Value::Int(i), Value::Int(1)]).unwrap(), Value::Int(i + 1));
        assert!(vm.call("boom", &[Value::Int(i)]).is_err());
    }
    // call_value with a function value.
    let f = vm.eval("(fun (x) (list x x))").unwrap();
    assert_eq!(vm.call_value(&f, &[Value::str("a")]).unwrap().repr(), "(\"a\" \"a\")");
}

#[test]
fn vm_call_reenters_for_macros_expanded_by_eval() {
    // `eval` inside a called function compiles code that uses a macro: the macro runs on the
    // VM (a nested run) while the caller's frame is live.
    let mut vm = Vm::new();
    run(&mut vm, "(defmacro twice (x) `(* 2 ,x))");
    run(&mut vm, "(defun f (y) (let ((z 10) (w (list 1 2))) (list (+ y (eval '(twice z))) w y z)))");
    assert_eq!(vm.call("f", &[Value::Int(1)]).unwrap().repr(), "(21 (1 2) 1 10)");
    assert_eq!(run(&mut vm, "(f 2)"), "(22 (1 2) 2 10)");
    // A macro whose expander itself calls other Slight functions.
    run(&mut vm, "(defun build (n) (if (== n 0) ''done `(begin ,n ,(build (- n 1)))))");
    run(&mut vm, "(defmacro built (n) (build n))");
    run(&mut vm, "(defun g () (eval '(built 20)))");
    assert_eq!(vm.call("g", &[]).unwrap().repr(), "done");
}

// ------------------------------------------------------------------------------------------
// VM: a failing form keeps what came before
// ------------------------------------------------------------------------------------------

#[test]
fn a_failing_form_does_not_lose_earlier_definitions() {
    let mut vm = Vm::new();
    let e = fail(&mut vm, "(def a 1) (defun f () (+ a 1)) (defmacro m () 7) (undefined-fn) (def c 3)");
    assert_eq!(e.message, "Undefined symbol: undefined-fn");
    assert_eq!(run(&mut vm, "(list a (f) (m))"), "(1 2 7)");
    // Evaluation stopped at the failing form.
    assert_eq!(fail(&mut vm, "c").message, "Undefined symbol: c");
    // A syntax error in a later form.
    let e = fail(&mut vm, "(def b 2) (defun g () (if))");
    assert_eq!(e.kind, "SyntaxError");
    assert_eq!(run(&mut vm, "b"), "2");
    assert_eq!(fail(&mut vm, "(g)").message, "Undefined symbol: g");
    // A read error after complete forms.
    let e = fail(&mut vm, "(def d 4) (list 1");
    assert_eq!(e.kind, "ReadError");
    assert_eq!(run(&mut vm, "d"), "4");
    // A runtime error inside a function leaves the function (and its globals) in place.
    run(&mut vm, "(def counter 0) (defun bump () (set! counter (+ counter 1)) (throw \"after bump\"))");
    assert_eq!(fail(&mut vm, "(bump)").message, "after bump");
    assert_eq!(fail(&mut vm, "(bump)").message, "after bump");
    assert_eq!(run(&mut vm, "counter"), "2");
    // A failed redefinition keeps the old definition.
    let e = fail(&mut vm, "(def a (throw \"no\"))");
    assert_eq!(e.message, "no");
    assert_eq!(run(&mut vm, "a"), "1");
    let e = fail(&mut vm, "(defun f () (recur 1))");
    assert_eq!(e.message, "recur outside of loop");
    assert_eq!(run(&mut vm, "(f)"), "2");
}

// ------------------------------------------------------------------------------------------
// Evaluation order
// ------------------------------------------------------------------------------------------

#[test]
fn arguments_of_calls_are_evaluated_left_to_right() {
    assert_eq!(eval1("(let ((x 1)) (list x (begin (set! x 10) x)))"), "(1 10)");
    assert_eq!(eval1("(defun three (a b c) (list a b c)) (let ((x 1)) (three x (begin (set! x 2) x) x))"), "(1 2 2)");
}

#[test]
fn operands_of_inline_operators_are_evaluated_left_to_right() {
    assert_eq!(eval1("(let ((x 1)) (+ x (begin (set! x 10) x)))"), "11");
    assert_eq!(eval1("(defun f (x) (+ x (begin (set! x 10) x))) (f 1)"), "11");
    assert_eq!(eval1("(let ((x 1)) (cons x (begin (set! x 10) (list x))))"), "(1 10)");
    assert_eq!(eval1("(let ((x 5)) (if (< x (begin (set! x 100) 6)) :lt :ge))"), ":lt");
}

// ------------------------------------------------------------------------------------------
// Quasiquote at run time
// ------------------------------------------------------------------------------------------

#[test]
fn quasiquote_builds_lists() {
    assert_eq!(eval1("(def b 2) (def c (list 3 4)) `(a ,b ,@c d)"), "(a 2 3 4 d)");
    assert_eq!(eval1("`(1 `(2 ,(3 ,(+ 1 3))))"), "(1 (quasiquote (2 (unquote (3 4)))))");
    assert_eq!(eval1("`(1 ,@(list 2 3) 4 ,@(list) 5)"), "(1 2 3 4 5)");
    assert_eq!(eval1("`(a b . ,(list 1 2))"), "(a b 1 2)");
    assert_eq!(eval1("'(a . b)"), "(a . b)");
}

#[test]
fn quasiquote_builds_dotted_parameter_lists() {
    assert_eq!(eval1("`(a . b)"), "(a . b)");
    assert_eq!(eval1("(defmacro vfun () `(fun (x . rest) rest)) ((vfun) 1 2 3)"), "(2 3)");
    assert_eq!(eval1("(defmacro vfun (p) `(fun (x . ,p) ,p)) ((vfun more) 1 2 3)"), "(2 3)");
}

#[test]
fn a_function_that_captures_nothing_is_made_once() {
    let mut vm = Vm::new();
    let p = compile(&mut vm, "(defun make () (fun (x) (* x 2)))");
    let _ = p;
    let v = vm.eval("(defun make () (fun (x) (* x 2))) (list (== (make) (make)) ((make) 21))").unwrap();
    assert_eq!(v.to_string(), "(true 42)");
    // A function with captures is made at each evaluation.
    let v = vm.eval("(defun adder (n) (fun (x) (+ x n))) (list (== (adder 1) (adder 1)) ((adder 1) 41))").unwrap();
    assert_eq!(v.to_string(), "(false 42)");
}

// ------------------------------------------------------------------------------------------
// receive: inline (no predicate call) unless it has guards or `%receive` was redefined
// ------------------------------------------------------------------------------------------

#[test]
fn receive_without_guards_compiles_to_the_inline_receive_instructions() {
    let mut vm = Vm::new();
    let relay = compile_fn(
        &mut vm,
        "relay",
        "(defun relay (next) (receive (:stop (send next :stop)) (k (send next k) (relay next))))",
    );
    verify_all(&relay);
    let code = &relay.code;
    let receive = global_index(&vm, "%receive");
    assert_eq!(count(code, |i| matches!(i, Instr::RecvStart { .. })), 1);
    assert_eq!(count(code, |i| matches!(i, Instr::RecvNext { .. })), 1);
    assert_eq!(count(code, |i| matches!(i, Instr::RecvTake { .. })), 2, "one per clause");
    assert_eq!(count(code, |i| matches!(i, Instr::RecvSkip { .. })), 1);
    assert_eq!(count(code, |i| matches!(i, Instr::CallGlobal { index, .. } if *index == receive)), 0);
    assert!(relay.protos.is_empty(), "no predicate function");
    // RecvSkip goes back to RecvNext; RecvNext jumps over the jump to the (absent) after branch.
    let next = position(code, |i| matches!(i, Instr::RecvNext { .. }));
    let skip = position(code, |i| matches!(i, Instr::RecvSkip { .. }));
    assert_eq!(target(code, skip + 1), next);
    assert_eq!(target(code, next), next + 2);
    assert!(code[skip + 1].jump_offset().unwrap() < 0, "a backward jump: it counts against the slice");
}

#[test]
fn receive_with_a_guard_calls_its_predicate_as_a_vm_call() {
    let mut vm = Vm::new();
    let src = "(defun f (limit) (receive (k :when (> k limit) k) (after 0 :none)))";
    let f = compile_fn(&mut vm, "f", src);
    verify_all(&f);
    let receive = global_index(&vm, "%receive");
    assert_eq!(count(&f.code, |i| matches!(i, Instr::CallGlobal { index, .. } if *index == receive)), 0);
    assert_eq!(count(&f.code, |i| matches!(i, Instr::RecvStart { .. })), 1);
    assert_eq!(count(&f.code, |i| matches!(i, Instr::CallLocal { argc: 1, .. })), 1, "the predicate");
    assert_eq!(f.protos.len(), 1, "the predicate captures limit");
    run(&mut vm, src);
    assert_eq!(run(&mut vm, "(send (self) 1) (send (self) 5) (list (f 3) (f 3))"), "(5 :none)");
}

#[test]
fn a_redefined_percent_receive_is_called_by_receive_compiled_after_it() {
    let mut vm = Vm::new();
    run(&mut vm, "(def %receive (fun (pred ms) (list 0 (pred :probe))))");
    assert_eq!(run(&mut vm, "(receive (x (list :got x)))"), "(:got 0)");
    let top = compile(&mut vm, "(receive (x x))");
    assert_eq!(count(&top.code, |i| matches!(i, Instr::RecvStart { .. })), 0);
}

#[test]
fn inline_receive_leaves_non_matching_messages_queued_in_order() {
    let mut vm = Vm::new();
    let src = "(def me (self)) (send me 1) (send me :b) (send me 2) (send me '(:c 3))
               (list (receive ((:c n) n)) (receive (:b :b)) (receive (n n)) (receive (n n))
                     (receive (n n) (after 0 :empty)))";
    assert_eq!(run(&mut vm, src), "(3 :b 1 2 :empty)");
}

#[test]
fn inline_receive_timeout_errors_point_at_the_receive() {
    let mut vm = Vm::new();
    let src = "(receive (x x) (after :soon 1))";
    let e = fail(&mut vm, src);
    assert_eq!(e.message, "Type error: receive expects a number as argument 1, got KEYWORD");
    assert_eq!(span_text(src, e.span.expect("a position")), src);
}
