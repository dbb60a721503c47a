use super::*;

fn env(pairs: &[(&str, &str)]) -> ConfigSources {
    ConfigSources {
        file: None,
        file_required: false,
        env: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

#[test]
fn defaults_are_valid() {
    let s = Settings::load_from(&env(&[])).unwrap();
    assert_eq!(s.server.port, 8080);
    assert_eq!(s.storage.event_store, EventStoreKind::Embedded);
    assert_eq!(s.storage.data_dir, PathBuf::from("./data"));
    assert_eq!(s.storage.event_bus, EventBusKind::Local);
    assert!(s.auth.uses_default_secret());
    assert_eq!(s.game.point_cards_to_end, None);
    let _ = Settings::for_tests();
}

#[test]
fn the_embedded_store_refuses_the_redis_bus_and_names_both() {
    let err = Settings::load_from(&env(&[("EVENT_STORE", "embedded"), ("EVENT_BUS", "redis")]))
        .unwrap_err();
    let message = err.to_string();
    assert!(message.contains("EVENT_BUS"), "{message}");
    assert!(message.contains("EVENT_STORE=mongodb"), "{message}");
    let s = Settings::load_from(&env(&[
        ("EVENT_STORE", "embedded"),
        ("DATA_DIR", "/var/lib/caravan"),
    ]))
    .unwrap();
    assert_eq!(s.storage.event_store, EventStoreKind::Embedded);
    assert_eq!(s.storage.data_dir, PathBuf::from("/var/lib/caravan"));
}

#[test]
fn a_numeric_looking_secret_stays_text() {
    let s = Settings::load_from(&env(&[("JWT_SECRET", "12345")])).unwrap();
    assert_eq!(s.auth.jwt_secret.expose(), "12345");
}

#[test]
fn a_malformed_number_names_the_variable() {
    let err = Settings::load_from(&env(&[("SERVER_PORT", "eighty")])).unwrap_err();
    assert!(err.to_string().contains("SERVER_PORT"), "{err}");
}

#[test]
fn production_refuses_the_default_secret() {
    let err = Settings::load_from(&env(&[("APP_ENV", "production")])).unwrap_err();
    assert!(err.to_string().contains("JWT_SECRET"), "{err}");
}

#[test]
fn a_public_bind_refuses_the_default_or_a_short_secret_whatever_app_env_says() {
    for host in ["0.0.0.0", "::", "192.0.2.7"] {
        let err = Settings::load_from(&env(&[("SERVER_HOST", host)])).unwrap_err();
        assert!(err.to_string().contains("JWT_SECRET"), "{host}: {err}");
        let err = Settings::load_from(&env(&[
            ("SERVER_HOST", host),
            ("APP_ENV", "development"),
            ("JWT_SECRET", "short-secret"),
        ]))
        .unwrap_err();
        assert!(
            err.to_string().contains("at least 32 bytes"),
            "{host}: {err}"
        );
    }
    let long = "0123456789abcdef0123456789abcdef";
    let s = Settings::load_from(&env(&[("SERVER_HOST", "0.0.0.0"), ("JWT_SECRET", long)])).unwrap();
    assert_eq!(s.server.host, "0.0.0.0");
    for host in ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"] {
        Settings::load_from(&env(&[("SERVER_HOST", host)]))
            .unwrap_or_else(|e| panic!("{host}: {e}"));
    }
}

#[test]
fn trusted_proxies_are_addresses_or_cidr_blocks() {
    let s = Settings::load_from(&env(&[("TRUSTED_PROXIES", "10.0.0.0/8, ::1,192.0.2.1")])).unwrap();
    let nets = &s.limits.trusted_proxies;
    assert_eq!(nets.len(), 3);
    assert!(nets[0].contains("10.200.3.4".parse().unwrap()));
    assert!(nets[0].contains("::ffff:10.1.1.1".parse().unwrap()));
    assert!(!nets[0].contains("11.0.0.1".parse().unwrap()));
    assert!(nets[1].contains("::1".parse().unwrap()));
    assert!(!nets[2].contains("192.0.2.2".parse().unwrap()));
    let err = Settings::load_from(&env(&[("TRUSTED_PROXIES", "10.0.0.0/33")])).unwrap_err();
    assert!(err.to_string().contains("TRUSTED_PROXIES"), "{err}");
    let err = Settings::load_from(&env(&[("TRUSTED_PROXIES", "nginx")])).unwrap_err();
    assert!(err.to_string().contains("TRUSTED_PROXIES"), "{err}");
}

#[test]
fn a_zero_rate_limit_is_refused() {
    let err = Settings::load_from(&env(&[("RATE_LIMIT_JOINS_PER_MIN", "0")])).unwrap_err();
    assert!(
        err.to_string().contains("RATE_LIMIT_JOINS_PER_MIN"),
        "{err}"
    );
}

#[test]
fn a_redis_key_prefix_with_a_space_is_refused() {
    let err = Settings::load_from(&env(&[("REDIS_KEY_PREFIX", "my app")])).unwrap_err();
    assert!(err.to_string().contains("REDIS_KEY_PREFIX"), "{err}");
    let s = Settings::load_from(&env(&[("REDIS_KEY_PREFIX", "staging")])).unwrap();
    assert_eq!(s.storage.redis_key_prefix, "staging");
}

#[test]
fn secrets_do_not_print() {
    let s = Settings::load_from(&env(&[(
        "JWT_SECRET",
        "super-secret-value-1234567890abcdef",
    )]))
    .unwrap();
    assert!(!format!("{s:?}").contains("super-secret"));
}

#[test]
fn unknown_variables_are_ignored_and_empty_ones_are_unset() {
    let s = Settings::load_from(&env(&[("PATH", "/bin"), ("POINT_CARDS_TO_END", "")])).unwrap();
    assert_eq!(s.game.point_cards_to_end, None);
}

#[test]
fn each_raw_field_is_named_like_its_variable_in_lower_case() {
    for (raw, variable) in settings::RAW_NAMES {
        assert_eq!(*raw, variable.to_lowercase(), "{variable}");
    }
    let described: Vec<&str> = Settings::for_tests()
        .describe()
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    let declared: Vec<&str> = SETTINGS.iter().map(|(name, _)| *name).collect();
    assert_eq!(described, declared, "caravan config lists every setting");
}

/// The variables a document names in its settings table or `NAME=` lines, without the file's own.
fn documented(lines: impl Iterator<Item = Option<String>>) -> std::collections::BTreeSet<String> {
    lines
        .flatten()
        .filter(|name| name != CONFIG_PATH_VAR)
        .collect()
}

#[test]
fn the_readme_and_env_example_list_exactly_the_declared_settings() {
    let declared: std::collections::BTreeSet<String> =
        SETTINGS.iter().map(|(name, _)| name.to_string()).collect();
    let readme = documented(include_str!("../../README.md").lines().map(|line| {
        let name = line.strip_prefix("| `")?.split('`').next()?;
        let is_variable = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        is_variable.then(|| name.to_string())
    }));
    assert_eq!(readme, declared, "README.md's settings table");
    let env_example = documented(include_str!("../../.env.example").lines().map(|line| {
        let (name, _) = line.split_once('=')?;
        (!line.starts_with('#')).then(|| name.trim().to_string())
    }));
    assert_eq!(env_example, declared, ".env.example");
}
