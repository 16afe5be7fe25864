//! Generates create-order's request validator from the contract's schema
//! (`contracts/schemas/create-order.schema.json`), so nothing compiles a
//! schema at run time: the schema with its e-mail `pattern` swapped for the
//! keyword that checks it by code, handed to jsonschema's `validator` macro
//! (`$OUT_DIR/create_order_schema.rs`, included by `lib.rs`).

#[path = "src/email_shape/swap.rs"]
mod swap;

use std::{env, fs, path::Path};

const CONTRACT: &str = "../../contracts/schemas/create-order.schema.json";

fn main() {
    println!("cargo::rerun-if-changed={CONTRACT}");
    println!("cargo::rerun-if-changed=src/email_shape/swap.rs");
    let text = fs::read_to_string(CONTRACT).expect("the create-order contract is readable");
    let mut schema: serde_json::Value =
        serde_json::from_str(&text).expect("the create-order contract is JSON");
    // A contract whose pattern no longer matches EMAIL_PATTERN keeps it as a
    // regex; `email_shape`'s tests fail for it.
    swap::swap_pattern(&mut schema);
    let json = serde_json::to_string(&schema).expect("a JSON value serializes");
    let mut hashes = String::from("#");
    while json.contains(&format!("\"{hashes}")) {
        hashes.push('#');
    }
    // The plain `regex` engine: the contract keeps its patterns free of
    // lookaround (its description says why), so fancy-regex is not linked.
    let code = format!(
        "/// The create-order schema's validator, generated when this crate is built.\n\
         #[jsonschema::validator(\n    \
             schema = r{hashes}\"{json}\"{hashes},\n    \
             draft = Draft4,\n    \
             keywords = {{ \"{keyword}\" => crate::email_shape::keyword }},\n    \
             pattern_options = {{ engine = regex }}\n\
         )]\n\
         struct CreateOrderSchema;\n",
        keyword = swap::KEYWORD,
    );
    let out =
        Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("create_order_schema.rs");
    fs::write(out, code).expect("OUT_DIR is writable");
}
