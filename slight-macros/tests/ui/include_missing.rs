//! include_slight! of a file that does not exist: the error points at the path.
mod m {
    slight::include_slight!("tests/fixtures/no-such-file.sl");
}

mod n {
    slight::include_slight!(42);
}

fn main() {}
