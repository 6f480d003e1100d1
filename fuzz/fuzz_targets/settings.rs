//! Settings from environment overrides (`NAME=value` lines of the input): every input gives
//! settings whose derived values all work, or an error that names a setting.
#![no_main]

use libfuzzer_sys::fuzz_target;
use server::auth::Validator;
use server::settings::{Settings, SettingsError};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let overrides: Vec<(String, String)> = text
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(name, value)| (name.trim().to_ascii_uppercase(), value.to_owned()))
        .collect();
    let env = |name: &str| {
        overrides
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    match Settings::load_from(None, env) {
        Ok(settings) => {
            let resolved = settings.resolve().expect("what valid settings mean");
            let _ = Validator::new(&settings, &resolved);
        }
        Err(SettingsError::Invalid { setting, .. }) => assert!(!setting.is_empty()),
        Err(SettingsError::Load(_)) => {}
    }
});
