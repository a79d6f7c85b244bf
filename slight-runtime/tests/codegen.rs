//! The compiled path's driver (`slight_runtime::native::driver`) and its lowering, checked on the
//! generated Rust-AST and Rust text: which shape each construct takes, errors and their
//! positions, includes, and the compile-time arity check of `slight!` blocks. (That the
//! generated code *behaves* like the VM is the parity suite's job: `cargo test -p slight-parity`.)

use slight_runtime::native::driver::{compile, CompileError, Mode, Options};

fn rust(src: &str) -> String {
    compile("t.sl", src, &Options::default()).expect("compiles").pretty().expect("prints")
}

fn error(src: &str, mode: Mode) -> CompileError {
    match compile("t.sl", src, &Options { mode, ..Options::default() }) {
        Ok(_) => panic!("expected a compile error for {src}"),
        Err(e) => e,
    }
}

#[test]
fn typed_function_is_native_and_untyped_uses_values() {
    let out = rust("(defun fib:i64 (n:i64) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))\n(defun twice (x) (* 2 x))");
    assert!(out.contains("pub fn fib(n: i64) -> i64"), "{out}");
    assert!(out.contains("i64::checked_add"), "{out}");
    assert!(out.contains("pub fn twice(\n    vm: &mut ::slight::__rt::Vm"), "{out}");
    assert!(out.contains("::slight::__rt::mul("), "{out}");
    // The typed function also has a dynamic entry that converts and catches overflow.
    assert!(out.contains("::slight::__rt::catch_overflow(vm, || fib(__na0))"), "{out}");
    // It counts its calls against the time slice and the limits.
    assert!(out.contains("::slight::__rt::typed_tick();"), "{out}");
}

#[test]
fn self_tail_calls_and_loops_are_rust_loops() {
    let out = rust("(defun count (n acc) (if (== n 0) acc (count (- n 1) (+ acc 1))))");
    assert!(out.contains("'__ntop: loop"), "{out}");
    assert!(out.contains("continue '__ntop"), "{out}");
    assert!(out.contains("global_is_fn("), "a redefined global falls back to a call: {out}");
    let out = rust("(loop ((i 0)) (if (< i 3) (recur (+ i 1)) i))");
    assert!(out.contains("loop {") && out.contains("continue '__nl"), "{out}");
}

#[test]
fn other_tail_calls_use_the_trampoline() {
    let out = rust(
        "(defun even? (n) (if (== n 0) true (odd? (- n 1))))\n(defun odd? (n) (if (== n 0) false (even? (- n 1))))",
    );
    assert!(out.contains("tail_call_global("), "{out}");
    // Also from inside a `loop` (its value is the function's).
    let out = rust("(defun f (n k) (loop ((i 0)) (if (< i 2) (recur (+ i 1)) (k n))))");
    assert!(out.contains("::slight::__rt::tail_call(vm, __nt"), "{out}");
    // Top-level forms are not functions: a call there is an ordinary call, which leaves the
    // form's frame (as the VM's tail call replaces the script frame).
    let out = rust("(print 1)");
    assert!(!out.contains("::tail_call"), "{out}");
    assert!(out.contains("::slight::__rt::form_tail_call_global("), "{out}");
    let out = rust("(print (+ 1 2))\n(list (print 1))");
    assert!(out.contains("::slight::__rt::call_global(vm, &__n_MODULE, 0, &[::slight::__rt::int(1)])"), "{out}");
}

#[test]
fn closures_capture_into_env_and_cells_for_assigned_captures() {
    let out = rust("(defun counter () (let ((n 0)) (lambda () (set! n (+ n 1)) n)))");
    assert!(out.contains("::slight::__rt::new_cell("), "{out}");
    assert!(out.contains("::slight::__rt::cell_set(\n            &env[0]"), "{out}");
    assert!(out.contains("::slight::__rt::closure(&__n_INFO"), "{out}");
}

#[test]
fn every_fallible_operation_has_a_site() {
    let out = rust("(defun f (x)\n  (+ x 1))");
    // (+ x 1) is at line 2, column 3 of t.sl.
    assert!(out.contains("Site::new(0, 15, 22, 2, 3, \"f\")"), "{out}");
}

#[test]
fn errors_have_positions() {
    let e = error("(print 1)\n(let x)", Mode::Program);
    assert_eq!((e.file.as_str(), e.line), ("t.sl", 2), "{e}");
    let e = error("(print 1\n", Mode::Program);
    assert_eq!(e.line, 1, "{e}");
    assert!(e.rendered.contains("t.sl:1:"), "{}", e.rendered);
    let e = error("(defmacro bad (x) (throw \"no\"))\n(bad 1)", Mode::Program);
    assert!(e.message.contains("error expanding macro bad"), "{e}");
    assert_eq!(e.line, 2);
}

#[test]
fn slight_blocks_check_arity_at_compile_time_but_programs_do_not() {
    let e = error("(defun f (a b) a)\n(f 1 2 3)", Mode::Items);
    assert_eq!(e.message, "Wrong number of arguments: expected 2, got 3");
    assert_eq!((e.line, e.col), (2, 1));
    let e = error("(string/upper \"a\" \"b\")", Mode::Expr);
    assert!(e.message.contains("(calling string/upper)"), "{e}");
    // Redefined or assigned names are not checked; programs keep the run-time error.
    assert!(compile(
        "t.sl",
        "(defun f (a) a)\n(set! f (lambda (a b) a))\n(f 1 2)",
        &Options { mode: Mode::Items, ..Options::default() }
    )
    .is_ok());
    assert!(compile("t.sl", "(defun f (a b) a)\n(f 1 2 3)", &Options::default()).is_ok());
}

#[test]
fn includes_are_compiled_in_and_reported() {
    let dir = std::env::temp_dir().join(format!("slight-codegen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("lib.sl"), "(defun helper (x) (* x 10))\n(print \"lib\")").unwrap();
    std::fs::write(dir.join("main.sl"), "(include \"lib.sl\")\n(helper 4)").unwrap();
    let out =
        slight_runtime::native::driver::compile_file(&dir.join("main.sl"), &Options::default()).expect("compiles");
    assert_eq!(out.files, vec![dir.join("lib.sl")]);
    let text = out.pretty().unwrap();
    assert!(text.contains("pub fn helper("), "{text}");
    std::fs::write(dir.join("loop.sl"), "(include \"loop.sl\")").unwrap();
    let e = match slight_runtime::native::driver::compile_file(&dir.join("loop.sl"), &Options::default()) {
        Err(e) => e,
        Ok(_) => panic!("circular include compiled"),
    };
    assert!(e.message.contains("circular include"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn expression_mode_reads_rust_variables() {
    let out = compile("t.sl", "(* n 2)", &Options { mode: Mode::Expr, ..Options::default() }).unwrap();
    let text = out.fast().unwrap();
    assert!(text.contains("from_rust (& n)"), "{text}");
    assert!(text.contains("with_thread_vm"), "{text}");
}

#[test]
fn printed_output_parses_back() {
    let src = "(defun f (xs) (match xs ((h . t) (cons h t)) (_ nil)))\n(try (f 1) (catch e (error/message e)) (finally (print 1)))";
    let out = compile("t.sl", src, &Options::default()).unwrap();
    // The fast output parses back to Rust-AST forms that print the same text again; the
    // pretty output parses too (prettyplease may drop redundant braces, so it is not compared).
    let text = out.fast().unwrap();
    let back = slight_core::rust_ast::file_from_rust(&text).expect("fast output parses");
    let again = slight_core::rust_ast::source(&back, slight_core::rust_ast::Printer::Fast).unwrap();
    assert_eq!(again, text);
    slight_core::rust_ast::file_from_rust(&out.pretty().unwrap()).expect("pretty output parses");
}

#[test]
fn calls_of_functions_defined_once_are_direct() {
    let out = rust("(defun sq (x) (* x x))\n(defun f (y) (+ (sq y) 1))");
    // By value, through `holds` (late binding still works) and `enter_direct`.
    assert!(out.contains("::slight::__rt::holds(vm, &__n_MODULE, 0, &__n_INFO"), "{out}");
    assert!(out.contains("::slight::__rt::enter_direct(vm, move |vm| __n_d"), "{out}");
    // Assigned or redefined names, and calls with another arity, go through the global.
    let out = rust("(defun sq (x) (* x x))\n(set! sq (fun (x) x))\n(defun f (y) (+ (sq y) 1))");
    assert!(!out.contains("enter_direct"), "{out}");
    let out = rust("(defun sq (x) (* x x))\n(defun f (y) (sq y 2))");
    assert!(!out.contains("enter_direct"), "{out}");
}

#[test]
fn untyped_integer_functions_also_get_a_specialized_version() {
    let out = rust(
        "(defun fib (n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))
         (defun small? (n) (< (fib n) 10))
         (defun half (n) (/ n 2))
         (defun weird (n) (if (< n 0) 0.5 n))
         (defun shout (n) (print n))
         (defun uses-shout (n) (+ 1 (shout n)))
         (defun redefined (n) n)
         (set! redefined 1)",
    );
    let spec = |name: &str, ret: &str| {
        format!("fn __ns_{name}(__nvm: &mut ::slight::__rt::Vm, n: i64) -> ::slight::__rt::SpecRes<{ret}>")
    };
    // Return types are inferred: i64, bool, f64.
    assert!(out.contains(&spec("fib", "i64")), "{out}");
    assert!(out.contains("fn __ns_small__p(") && out.contains("::slight::__rt::SpecRes<bool>"), "{out}");
    assert!(out.contains(&spec("half", "f64")), "{out}");
    // Not in the subset (mixed branch types, a builtin call, a caller of such a function, an
    // assigned global): generic only.
    for name in ["weird", "shout", "uses_shout", "redefined"] {
        assert!(!out.contains(&format!("__ns_{name}")), "{name}: {out}");
    }
    // The generic entry tries it with integer arguments while the globals it calls hold it
    // (`small?` calls `fib`: both are checked).
    let flat: String = out.split_whitespace().collect();
    assert!(flat.contains("(::slight::__rt::Value::Int(__ns0),)if::slight::__rt::spec_on(vm)"), "{out}");
    assert!(flat.contains("&&::slight::__rt::holds(vm,&__n_MODULE,0,&__n_INFO1)&&::slight::__rt::holds(vm,&__n_MODULE,1,&__n_INFO4)=>{let__nr=__ns_small__p(vm,*__ns0);"), "{out}");
    assert!(flat.contains("::slight::__rt::spec_result(vm,__nr,move|vm|__n_d"), "{out}");
    // Calls between specialized functions are checked for depth and time slice; overflow bails out.
    assert!(flat.contains("::slight::__rt::spec_call(__nvm,move|__nvm|__ns_fib(__nvm,__nsa0))?"), "{out}");
    assert!(flat.contains("::slight::__rt::spec_checked(i64::checked_sub(n,1),)?;"), "{out}");
}

#[test]
fn closures_that_are_only_called_are_inlined_into_the_specialized_version() {
    let out = rust(
        "(defun make-adder (n) (fun (x) (+ x n)))
         (defun compose (f g) (fun (x) (f (g x))))
         (defun run (i) ((compose (make-adder i) (make-adder 1)) i))
         (defun leak (i) (make-adder i))",
    );
    let flat: String = out.split_whitespace().collect();
    // The closures are gone: integer additions, after a check that the frames the inlined
    // calls would push fit.
    assert!(flat.contains("fn__ns_run(__nvm:&mut::slight::__rt::Vm,i__x23_1:i64,)"), "{out}");
    let body = flat.split("fn__ns_run(").nth(1).and_then(|b| b.split("#[allow").next()).expect("body");
    assert!(!body.contains("closure(") && !body.contains("call"), "{body}");
    assert!(body.contains("i64::checked_add("), "{body}");
    assert!(flat.contains("let_=::slight::__rt::spec_reserve(__nvm,2usize)?;"), "{out}");
    // The entry checks that both constructors still hold what was inlined.
    let entry = flat.split("=>{let__nr=__ns_run(").next().expect("entry");
    let guards = entry.rsplit("spec_on(vm)").next().expect("guards");
    assert_eq!(guards.matches("::slight::__rt::holds(vm,&__n_MODULE,").count(), 3, "{out}");
    // A constructor itself, and a function returning a closure, stay generic.
    for name in ["make_adder", "compose", "leak"] {
        assert!(!out.contains(&format!("__ns_{name}")), "{name}: {out}");
    }
}

#[test]
fn prelude_functions_the_program_calls_get_a_compiled_copy() {
    let out = rust("(defun squares (xs) (list (list/map (fun (x) (* x x)) xs)))");
    // The copy is compiled from the prelude's source, registered as a file of the module.
    assert!(out.contains("\"<prelude>\""), "{out}");
    assert!(out.contains("Some(\"list/map\")"), "{out}");
    // A call runs it while the global holds the prelude's function.
    assert!(out.contains("::slight::__rt::prelude_holds(vm, &__n_MODULE,"), "{out}");
    // Its global is not redefined by the module, and it gets no public wrapper.
    assert!(!out.contains("pub fn list__"), "{out}");
    assert_eq!(out.matches("def_global(").count(), 1, "{out}");
    // Not copied: prelude functions the program does not call, or defines itself.
    assert!(!out.contains("Some(\"list/filter\")"), "{out}");
    let out = rust("(defun list/map (f xs) xs)\n(defun g (xs) (list (list/map 1 xs)))");
    assert!(!out.contains("\"<prelude>\"") && !out.contains("prelude_holds"), "{out}");
}

#[test]
fn every_error_of_a_program_is_reported_in_source_order() {
    let e = error("(let x)\n(defun ok () 1)\n(set! 5 1)\n(f\n", Mode::Program);
    let all: Vec<String> = e.all().map(|e| format!("{}:{}: {}", e.line, e.col, e.message)).collect();
    assert_eq!(all.len(), 3, "{all:?}");
    assert!(all[0].starts_with("1:6: let expects"), "{all:?}");
    assert!(all[1].starts_with("3:7: set! expects a name"), "{all:?}");
    assert!(all[2].starts_with("4:1: ") && all[2].contains("unexpected end of input"), "{all:?}");
}

#[test]
fn includes_share_the_vms_rules() {
    let dir = std::env::temp_dir().join(format!("slight-codegen-deep-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // A chain of 70 distinct files, each including the next: past the depth limit.
    for i in 0..70 {
        std::fs::write(dir.join(format!("f{i}.sl")), format!("(include \"f{}.sl\")", i + 1)).unwrap();
    }
    std::fs::write(dir.join("f70.sl"), "1").unwrap();
    let e = match slight_runtime::native::driver::compile_file(&dir.join("f0.sl"), &Options::default()) {
        Ok(_) => panic!("a 70-deep include chain compiled"),
        Err(e) => e,
    };
    assert!(e.message.contains("more than 64 nested includes"), "{e}");
    // At the `(include ...)` that would nest too deeply: in the 65th file, line 1, column 1.
    assert!(e.file.ends_with("f64.sl") && (e.line, e.col) == (1, 1), "{e}");
    let mut vm = slight_runtime::Vm::new();
    let err = vm.eval_named(&dir.join("f0.sl").display().to_string(), "(include \"f1.sl\")").unwrap_err();
    assert!(err.message.contains("more than 64 nested includes"), "{}", err.message);
    assert!(err.rendered.contains("f64.sl:1:1"), "{}", err.rendered);
    let _ = std::fs::remove_dir_all(&dir);
}
