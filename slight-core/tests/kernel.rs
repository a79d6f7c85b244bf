//! `defkernel` checking and WGSL generation: each kernel feature produces WGSL that naga
//! accepts, and each kind of mistake is reported at the right form with a clear message.

use slight_core::kernel::{check_kernel, wgsl, Kernel, ParamType, Scalar};
use slight_core::{Reader, SlightError, SourceMap};

fn kernel(src: &str) -> Result<Kernel, SlightError> {
    let mut sources = SourceMap::new();
    let file = sources.add("k.sl", src);
    let form = Reader::read_all(src, file).unwrap().remove(0);
    let items = form.as_list().unwrap();
    assert!(items[0].is_sym("defkernel"));
    check_kernel(&items[1..], form.span)
}

fn valid_wgsl(src: &str) -> String {
    let k = kernel(src).unwrap_or_else(|e| panic!("{src}: {}", e.message));
    let text = wgsl::to_wgsl(&k);
    let module = naga::front::wgsl::parse_str(&text).unwrap_or_else(|e| panic!("{}\n{text}", e.emit_to_string(&text)));
    naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::default())
        .validate(&module)
        .unwrap_or_else(|e| panic!("{}\n{text}", e.emit_to_string(&text)));
    text
}

fn error(src: &str) -> (String, u32, u32) {
    let e = kernel(src).expect_err("a checking error");
    (e.message, e.span.line, e.span.col)
}

#[test]
fn every_feature_generates_valid_wgsl() {
    let kernels = [
        "(defkernel saxpy ((a f32) (xs (array f32)) (ys (array f32))) (let ((i (gpu/id))) (set-at! ys i (+ (* a (at xs i)) (at ys i)))))",
        "(defkernel ints ((a (array i32)) (b (array u32))) (let ((i (gpu/id))) (set-at! a i (mod (rem (/ (at a i) 3) 5) -2)) (set-at! b i (bit-xor (bit-and (at b i) 255) (bit-or 1 (u32 i))))))",
        "(defkernel consts ((a (array i32)) (f (array f32))) (set-at! a 0 (+ 2147483647 1)) (set-at! a 1 (/ 5 0)) (set-at! a 2 (rem (at a 3) 0)) (set-at! f 0 (/ 1.0 0.0)) (set-at! a 4 (- -2147483648)) (set-at! f 1 (math/sqrt -1.0)) (set-at! a 5 (i32 3e9)))",
        "(defkernel flow ((out (array i32))) (let ((i (gpu/id)) (r 0)) (cond ((< i 1) (set! r 1)) ((< i 2) (set! r 2)) (else (set! r 3))) (when (and (> i 0) (or (< i 5) (= i 9))) (set! r (- r))) (unless (not (= i 3)) (set! r 0)) (set-at! out i r)))",
        "(defkernel loops ((out (array f32)) (n i32)) (set-at! out (gpu/id) (loop ((k 0) (acc 0.0)) (if (< k n) (recur (+ k 1) (+ acc (loop ((j 0) (s 0.0)) (if (>= j k) s (recur (+ j 1) (+ s 1.5))))) ) acc))))",
        "(defkernel unit-loop ((out (array u32))) (loop ((k:u32 0)) (when (< k 4) (set-at! out k k) (recur (+ k 1)))))",
        "(defkernel values ((out (array f32))) (let ((i (gpu/id))) (set-at! out i (+ (if (< i 2) 1.0 (let ((y 2.0)) (* y y))) (do (set-at! out 0 1.0) 2.0)))))",
        "(defkernel math ((x f32) (out (array f32))) (set-at! out 0 (+ (sqrt x) (math/abs x) (min x 1) (max 2 x) (floor x) (ceil x) (round x) (trunc x) (sin x) (cos x) (tan x) (exp x) (log x) (pow x 2))))",
        "(defkernel conv ((x f32) (out (array u32)) (ints (array i32))) (set-at! out 0 (u32 x)) (set-at! ints 0 (i32 (u32 (i32 x)))) (set-at! out 1 (u32 (len out))) (set-at! ints 1 (gpu/size)))",
        "(defkernel weird-names ((my-xs (array f32)) (loop* f32)) (let ((a->b 1.0) (x? loop*)) (set-at! my-xs 0 (+ a->b x?))))",
        "(defkernel empty ())",
    ];
    for k in kernels {
        valid_wgsl(k);
    }
}

#[test]
fn the_shader_interface_is_what_the_dispatcher_binds() {
    let text = valid_wgsl("(defkernel k ((a f32) (xs (array f32)) (n u32) (ys (array i32))) (set-at! ys 0 (i32 n)))");
    assert!(text.contains("@group(0) @binding(0) var<uniform> params: Params;"));
    assert!(text.contains("@group(0) @binding(1) var<storage, read_write> a1_xs: array<f32>;"));
    assert!(text.contains("@group(0) @binding(2) var<storage, read_write> a3_ys: array<i32>;"));
    assert!(text.contains("s0: f32, // a") && text.contains("s2: u32, // n"));
    assert!(text.contains(&format!("fn {}(", wgsl::ENTRY_POINT)));
    let k = kernel("(defkernel k ((a f32) (xs (array f32)) (n u32) (ys (array i32))) (set-at! ys 0 (i32 n)))").unwrap();
    assert_eq!(wgsl::params_size(&k), 32);
    assert_eq!(k.params[1].ty, ParamType::Array(Scalar::F32));
    assert_eq!(k.arrays().map(|(i, _)| i).collect::<Vec<_>>(), vec![1, 3]);
}

#[test]
fn integer_literals_take_the_type_of_the_other_operand() {
    let text = valid_wgsl(
        "(defkernel k ((x f32) (u u32) (out (array f32))) (set-at! out 0 (* 2 x)) (set-at! out 1 (f32 (+ u 1))))",
    );
    assert!(text.contains("2.0f"), "{text}");
    assert!(text.contains("1u"), "{text}");
}

#[test]
fn mistakes_are_reported_at_the_form_at_fault() {
    let cases: &[(&str, &str, u32, u32)] = &[
        (
            "(defkernel k ((xs (array f32)) (n i32))\n  (set-at! xs 0 (+ (at xs 0) n)))",
            "expected f32, found i32 (convert with (f32 x))",
            2,
            30,
        ),
        ("(defkernel k ((xs (array f32)))\n  (set-at! xs 0 (helper 1)))", "helper is not available in kernels", 2, 18),
        ("(defkernel k ((xs (array f32)))\n  (set-at! xs 0 y))", "unknown name in kernel: y", 2, 17),
        ("(defkernel k ((xs (array f32)))\n  (set-at! xs 0 xs))", "xs is an array", 2, 17),
        ("(defkernel k ((x f64)) 1)", "unknown parameter type", 1, 18),
        ("(defkernel k ((x f32) (x f32)) 1)", "parameter x appears twice", 1, 23),
        ("(defkernel k ((xs (array f32)))\n  (recur 1))", "recur must be in tail position of a loop", 2, 3),
        (
            "(defkernel k ((xs (array i32)))\n  (loop ((i 0)) (set-at! xs 0 (recur 1))))",
            "recur must be in tail position",
            2,
            31,
        ),
        ("(defkernel k ((xs (array i32)))\n  (loop ((i 0)) (recur 1 2)))", "recur expects 1 values", 2, 17),
        (
            "(defkernel k ((xs (array i32)))\n  (set-at! xs 0 (if (< 1 2) 1 2.0)))",
            "expected i32, found a float literal",
            2,
            31,
        ),
        (
            "(defkernel k ((xs (array i32)))\n  (set-at! xs 0 (if 1 2 3)))",
            "expected bool, found an integer literal",
            2,
            21,
        ),
        ("(defkernel k ((xs (array u32)))\n  (set-at! xs 0 (- (at xs 0))))", "cannot negate u32", 2, 17),
        (
            "(defkernel k ((xs (array i32)))\n  (set-at! xs 0 (sqrt (at xs 0))))",
            "sqrt does not take i32 in a kernel",
            2,
            17,
        ),
        (
            "(defkernel k ((xs (array i32)))\n  (set-at! xs 1.5 0))",
            "an array index must be i32 or u32, found f32",
            2,
            15,
        ),
        ("(defkernel k ((xs (array i32)))\n  (set-at! xs 0 (< 1 2 3)))", "< expects two operands", 2, 17),
        ("(defkernel k ((xs (array i32)))\n  (set-at! xs 0 5000000000))", "5000000000 does not fit in i32", 2, 17),
        ("(defkernel k ((xs (array i32)))\n  (set-at! xs 0 (set-at! xs 1 2)))", "this expression has no value", 2, 17),
        ("(defkernel k ((x f32))\n  (set! x 1.0))", "set!: x is not a local variable", 2, 9),
        (
            "(defkernel k ((xs (array i32)))\n  (set-at! xs 0 \"text\"))",
            "kernels compute with numbers and booleans only",
            2,
            17,
        ),
        ("(defkernel k)", "defkernel expects a name, a parameter list and a body", 1, 1),
    ];
    let mut wrong = Vec::new();
    for (src, message, line, col) in cases {
        let (m, l, c) = error(src);
        if !m.contains(message) || (l, c) != (*line, *col) {
            wrong.push(format!("{src}\n  got {m:?} at {l}:{c}, expected {message:?} at {line}:{col}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
