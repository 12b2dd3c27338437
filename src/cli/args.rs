//! A minimal argument reader: positionals, `--flag`, `--key value` and `--key=value`.

pub struct Args {
    items: Vec<String>,
}

impl Args {
    pub fn new(argv: Vec<String>) -> Self {
        Args { items: argv }
    }

    /// Takes the next argument that is not an option.
    pub fn next_positional(&mut self) -> Option<String> {
        let i = self
            .items
            .iter()
            .position(|a| !a.starts_with("--") || a == "--")?;
        Some(self.items.remove(i))
    }

    /// Takes every remaining positional argument.
    pub fn positionals(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(p) = self.next_positional() {
            out.push(p);
        }
        out
    }

    /// Takes `--name value` or `--name=value`.
    pub fn value(&mut self, name: &str) -> Result<Option<String>, String> {
        let flag = format!("--{name}");
        let prefix = format!("--{name}=");
        if let Some(i) = self.items.iter().position(|a| a.starts_with(&prefix)) {
            let a = self.items.remove(i);
            return Ok(Some(a[prefix.len()..].to_string()));
        }
        let Some(i) = self.items.iter().position(|a| *a == flag) else {
            return Ok(None);
        };
        self.items.remove(i);
        if i < self.items.len() {
            Ok(Some(self.items.remove(i)))
        } else {
            Err(format!("`{flag}` needs a value"))
        }
    }

    /// Takes `--name`.
    pub fn flag(&mut self, name: &str) -> bool {
        let flag = format!("--{name}");
        match self.items.iter().position(|a| *a == flag) {
            Some(i) => {
                self.items.remove(i);
                true
            }
            None => false,
        }
    }

    /// Takes `--format <text_name|json>`: whether JSON was asked for (`text_name` is the default).
    pub fn json_format(&mut self, text_name: &str) -> Result<bool, String> {
        match self.value("format")?.as_deref() {
            None => Ok(false),
            Some("json") => Ok(true),
            Some(f) if f == text_name => Ok(false),
            Some(other) => Err(format!(
                "unknown format `{other}`: use `{text_name}` or `json`"
            )),
        }
    }

    /// Fails if anything was left unread.
    pub fn finish(self) -> Result<(), String> {
        match self.items.first() {
            Some(extra) => Err(format!("unexpected argument `{extra}`")),
            None => Ok(()),
        }
    }
}
