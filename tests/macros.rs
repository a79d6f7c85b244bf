//! `slight!` and `include_slight!` used as a Rust program uses them: typed functions as plain
//! Rust functions, untyped ones through their wrappers, compiled functions called from eval'd
//! code, expressions over Rust variables, Slight symbols the Rust lexer splits, the raw-string
//! form, a compiled file, `include` in a block, and macros defined and used in one block.

use slight::{Value, Vm};

mod typed {
    slight::slight! {
        (defun fib:i64 (n:i64) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))
        (defun hyp2:f64 (a:f64 b:f64) (+ (* a a) (* b b)))
    }
}

#[test]
fn typed_defun_is_a_plain_rust_function() {
    let f: fn(i64) -> i64 = typed::fib;
    assert_eq!(f(25), 75025);
    assert_eq!(typed::hyp2(3.0, 4.0), 25.0);
}

mod untyped {
    slight::slight! {
        (defun make-adder (n) (fun (x) (+ x n)))
        (defun add-all (xs n) (list/map (make-adder n) xs))
        (defun greet (name) (string/concat "hello, " name))
    }
}

#[test]
fn untyped_defun_is_called_through_its_wrapper() {
    let mut vm = Vm::new();
    let v = untyped::add_all(&mut vm, &[slight::eval("(list 1 2 3)").unwrap(), Value::Int(10)]).unwrap();
    assert_eq!(v.to_string(), "(11 12 13)");
    let v = untyped::greet(&mut vm, &[Value::str("Rust")]).unwrap();
    assert_eq!(v, Value::str("hello, Rust"));
}

#[test]
fn registered_functions_are_called_from_evaluated_code() {
    let mut vm = Vm::new();
    untyped::register(&mut vm).unwrap();
    assert_eq!(vm.eval("((make-adder 40) 2)").unwrap(), Value::Int(42));
    assert_eq!(vm.eval("(list/map (make-adder 1) (add-all (list 1 2) 5))").unwrap().to_string(), "(7 8)");
    // a run-time error in compiled code points at the Slight form in this Rust file
    let err = vm.eval("((make-adder 1) \"one\")").unwrap_err();
    assert!(err.to_string().contains("expects numbers"), "{err}");
    assert!(err.rendered.contains("tests/macros.rs:24:40"), "{}", err.rendered);
    assert!(err.rendered.contains("(defun make-adder (n) (fun (x) (+ x n)))"), "{}", err.rendered);
}

#[test]
fn expressions_use_rust_variables() {
    let n = 21;
    let v: i64 = slight::slight! { (* n 2) };
    assert_eq!(v, 42);
    let words = vec!["a".to_string(), "b".to_string()];
    let joined: String = slight::slight! { (string/join words "-") };
    assert_eq!(joined, "a-b");
    let count: usize = slight::slight! { (list/length (list/map (fun (w) w) words)) };
    assert_eq!(count, 2);
}

mod symbols {
    slight::slight! {
        (def a-b 0)
        (defun empty? (xs) (== 0 (list/length xs)))
        (defun bump! () (set! a-b (+ a-b 1)) a-b)
        (defun squares (xs) (list/map (fun (x) (* x x)) xs))
        (defun <=> (a b) (cond ((< a b) -1) ((> a b) 1) (else 0)))
    }
}

#[test]
fn symbols_split_by_the_rust_lexer_are_rejoined() {
    let mut vm = Vm::new();
    symbols::register(&mut vm).unwrap();
    assert_eq!(vm.eval("(empty? ())").unwrap(), Value::Bool(true));
    assert_eq!(symbols::empty__p(&mut vm, &[slight::eval("(list 1)").unwrap()]).unwrap(), Value::Bool(false));
    symbols::bump__bang(&mut vm, &[]).unwrap();
    assert_eq!(vm.eval("(bump!)").unwrap(), Value::Int(2));
    assert_eq!(vm.eval("(squares (list 1 2 3))").unwrap().to_string(), "(1 4 9)");
    assert_eq!(vm.eval("(list (<=> 1 2) (<=> 2 2) (<=> 3 2))").unwrap().to_string(), "(-1 0 1)");
}

mod raw {
    slight::slight!(
        r#"
        ; the raw-string form takes the full syntax: comments, quote, quasiquote, #
        (defmacro swap (a b) `(list ,b ,a))
        (defun pair () (swap 1 '(x y)))
        (defun shout (s) (string/concat (string/upper s) "!"))
        "#
    );
}

#[test]
fn raw_string_form() {
    let mut vm = Vm::new();
    assert_eq!(raw::pair(&mut vm, &[]).unwrap().to_string(), "((x y) 1)");
    assert_eq!(raw::shout(&mut vm, &[Value::str("hey")]).unwrap(), Value::str("HEY!"));
    let v: String = slight::slight!(r##"(string/concat "a;b" "#c")"##);
    assert_eq!(v, "a;b#c");
}

mod geometry {
    slight::include_slight!("tests/fixtures/geometry.sl");
}

#[test]
fn include_slight_compiles_a_file_and_its_includes() {
    assert_eq!(geometry::area(6, 7), 42);
    let mut vm = Vm::new();
    assert_eq!(geometry::describe(&mut vm, &[Value::Int(3)]).unwrap(), Value::str("a 3x3 square"));
    geometry::register(&mut vm).unwrap();
    assert_eq!(vm.eval("(square-name 2)").unwrap(), Value::str("2x2 square"));
}

mod includes {
    slight::slight! {
        // found next to this Rust file
        (include "fixtures/geometry_helpers.sl")
        (defun label (n) (string/concat "[" (square-name n) "]"))
    }
}

#[test]
fn include_inside_slight_is_relative_to_the_rust_file() {
    let mut vm = Vm::new();
    assert_eq!(includes::label(&mut vm, &[Value::Int(4)]).unwrap(), Value::str("[4x4 square]"));
}

mod macros_in_block {
    slight::slight! {
        (defmacro unless-zero (x . body) (quasiquote (if (== (unquote x) 0) :zero (begin (unquote-splicing body)))))
        (defmacro twice (e) (list (quote +) e e))
        (defun safe-div (a b) (unless-zero b (/ a b)))
        (defun double (x) (twice x))
    }
}

#[test]
fn defmacro_defined_and_used_in_one_block() {
    let mut vm = Vm::new();
    assert_eq!(macros_in_block::safe_div(&mut vm, &[Value::Int(1), Value::Int(0)]).unwrap().to_string(), ":zero");
    assert_eq!(macros_in_block::safe_div(&mut vm, &[Value::Int(7), Value::Int(2)]).unwrap(), Value::Float(3.5));
    assert_eq!(macros_in_block::double(&mut vm, &[Value::Int(21)]).unwrap(), Value::Int(42));
}

mod kernels {
    slight::slight! {
        (defkernel double ((xs (array i32)))
          (set-at! xs (gpu/id) (* 2 (at xs (gpu/id)))))
        (defun doubled (items)
          (let ((a (gpu/array items :i32)))
            (gpu/run double a :grid (list/length items))
            (gpu/to-list a)))
    }
}

#[test]
fn kernels_defined_in_a_block_run_from_compiled_and_evaluated_code() {
    let mut vm = Vm::new();
    kernels::register(&mut vm).unwrap();
    let v = kernels::doubled(&mut vm, &[slight::eval("(list 1 2 3)").unwrap()]).unwrap();
    assert_eq!(v.to_string(), "(2 4 6)");
    let v = vm.eval("(let ((a (gpu/array (list 5) :i32))) (gpu/run double a :grid 1) (gpu/to-list a))").unwrap();
    assert_eq!(v.to_string(), "(10)");
    // The WGSL was generated at build time and embedded.
    let wgsl = vm.eval("(gpu/wgsl double)").unwrap().to_string();
    assert!(wgsl.contains("@compute"), "{wgsl}");
}

mod specialized {
    slight::include_slight!("tests/fixtures/specialize.sl");
}

#[test]
fn specialized_shapes_agree_with_the_vm() {
    let src = include_str!("fixtures/specialize.sl");
    let calls = [
        "(zero-params)",
        "(six 1 2 3 4 5 6)",
        "(nested-args 7)",
        "(let-in-arg 3)",
        "(shadow 4)",
        "(loops 50)",
        "(collatz 1 0)",
        "(ping? 11)",
        "(pong? 11)",
        "(mean 3 4)",
        "(both 1 2)",
        "(both 0 2)",
        "(either 2 2)",
        "(swap-loop 1 2 7)",
        "(neg-lit 2)",
        "(fact 20)",
        "(fact 21)",
        "(fact 2.0)",
        "(six 1 2 3 4 5 \"x\")",
    ];
    let mut compiled = Vm::new();
    specialized::register(&mut compiled).expect("registers");
    let mut interpreted = Vm::new();
    interpreted.eval(src).expect("loads");
    for call in calls {
        let show = |r: Result<Value, slight::Error>| match r {
            Ok(v) => v.to_string(),
            Err(e) => format!("error: {}", e.message),
        };
        let c = show(compiled.eval(call));
        let i = show(interpreted.eval(call));
        assert_eq!(c, i, "{call}");
    }
    // The specialized version really is used: it is a plain function of integers.
    let code = slight_runtime::native::driver::compile("specialize.sl", src, &Default::default()).expect("compiles");
    let text = code.pretty().expect("prints");
    for name in
        ["zero_params", "six", "nested_args", "let_in_arg", "shadow", "loops", "collatz", "ping__p", "mean", "fact"]
    {
        assert!(text.contains(&format!("fn __ns_{name}(")), "{name} is not specialized:\n{text}");
    }
}
