//! A small argument reader: `--flag`, `--opt value`, `--opt=value`, and positional arguments.

pub struct Args {
    items: Vec<String>,
    pub positional: Vec<String>,
}

impl Args {
    /// Splits `argv` into options (kept for lookup) and positionals. `-` is a positional.
    pub fn parse(argv: &[String], takes_value: &[&str]) -> Result<Args, String> {
        let mut items = Vec::new();
        let mut positional = Vec::new();
        let mut i = 0;
        while i < argv.len() {
            let a = &argv[i];
            if a == "--" {
                positional.extend(argv[i + 1..].iter().cloned());
                break;
            }
            if let Some(name) = a.strip_prefix("--") {
                if let Some((k, v)) = name.split_once('=') {
                    items.push(format!("--{k}"));
                    items.push(v.to_string());
                } else if takes_value.contains(&name) {
                    let v = argv
                        .get(i + 1)
                        .ok_or_else(|| format!("--{name} needs a value"))?;
                    items.push(a.clone());
                    items.push(v.clone());
                    i += 1;
                } else {
                    items.push(a.clone());
                }
            } else {
                positional.push(a.clone());
            }
            i += 1;
        }
        Ok(Args { items, positional })
    }

    pub fn flag(&self, name: &str) -> bool {
        self.items.iter().any(|a| a == name)
    }

    pub fn values(&self, name: &str) -> Vec<String> {
        self.items
            .windows(2)
            .filter(|w| w[0] == name)
            .map(|w| w[1].clone())
            .collect()
    }

    pub fn value(&self, name: &str) -> Option<String> {
        self.values(name).pop()
    }

    /// Options given that are not in `known`.
    pub fn unknown(&self, known: &[&str]) -> Vec<String> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.items.len() {
            let a = &self.items[i];
            if a.starts_with("--") && !known.contains(&a.as_str()) {
                out.push(a.clone());
            }
            i += 1;
        }
        out.retain(|a| a.starts_with("--"));
        out
    }
}
