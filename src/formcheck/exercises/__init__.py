"""Exercise definitions: one TOML file per exercise (rules, thresholds, texts, advice)."""
