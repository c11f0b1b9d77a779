//! Reading `feedgen --summary json` output (shared by every test crate).

/// A count from the one-line JSON summary on stdout; panics with the output
/// when the field is missing or not a number.
pub fn field(stdout: &str, name: &str) -> u64 {
    let key = format!("\"{name}\":");
    let start = stdout
        .find(&key)
        .unwrap_or_else(|| panic!("no `{name}` in --summary json output: {stdout}"))
        + key.len();
    stdout[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or_else(|_| panic!("`{name}` is not a number in {stdout}"))
}
