//! Runs the example binary and checks everything it prints.

#[test]
fn prints_the_expected_results() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_build-script-example")).output().expect("run the example");
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let expected = "\
restock-cost 120 x 250 = 29980
fib 30 = 832040
apples: 3 units
total = 16
counter -> 1
counter -> 2
from the VM: (6765 990 \"pears: 1 unit\" 1001 1002)
mapped: crate: 1 unit, crate: 2 units
error at scripts/inventory.sl:5:36: Type error: expected i64, got STRING
";
    assert_eq!(stdout, expected);
}
