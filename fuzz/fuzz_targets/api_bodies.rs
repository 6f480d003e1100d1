//! The API's JSON bodies (a new unit, a patch) and the unit-name rule: any bytes give a value or
//! an error, and a name that passes the rule is trimmed, short enough and free of hidden
//! characters.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(body) = serde_json::from_slice::<api::NewOrgUnit>(data) {
        check_name(&body.name);
    }
    if let Ok(patch) = serde_json::from_slice::<api::OrgUnitPatch>(data)
        && let Some(name) = patch.name
    {
        check_name(&name);
    }
    check_name(&String::from_utf8_lossy(data));
});

fn check_name(input: &str) {
    if let Ok(name) = server::routes::input::unit_name(input) {
        assert_eq!(name, name.trim());
        assert!(!name.is_empty() && name.chars().count() <= model::MAX_UNIT_NAME_CHARS);
        assert!(!name.chars().any(model::is_forbidden_in_unit_name));
    }
}
