//! "Did you mean" suggestions by edit distance.

/// The candidate closest to `wrong`, if it is close enough to be a plausible typo.
pub fn did_you_mean<'a>(
    wrong: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let wrong_lower = wrong.to_lowercase();
    let len = wrong.chars().count();
    // Names shorter than three characters are too short for a guess to mean anything.
    let limit = if len < 3 { 0 } else { (len / 3).max(1) };
    candidates
        .into_iter()
        .filter(|c| *c != wrong)
        .map(|c| {
            let d = distance(&wrong_lower, &c.to_lowercase());
            (d, c)
        })
        .filter(|(d, c)| {
            (*d <= limit && limit > 0) || c.to_lowercase().starts_with(&wrong_lower) && len >= 3
        })
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)))
        .map(|(_, c)| c)
}

/// A short parenthesised hint for plain-text messages: ` (did you mean `x`?)` when a near name
/// exists, otherwise ` (one of `a`, `b`)` for up to eight choices, otherwise nothing.
pub fn hint<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str> + Clone) -> String {
    if let Some(near) = did_you_mean(wrong, candidates.clone()) {
        return format!(" (did you mean `{near}`?)");
    }
    let all: Vec<&str> = candidates.into_iter().collect();
    if all.is_empty() || all.len() > 8 {
        return String::new();
    }
    let list: Vec<String> = all.iter().map(|c| format!("`{c}`")).collect();
    format!(" (one of {})", list.join(", "))
}

/// Optimal string alignment distance (Levenshtein with adjacent transpositions), on characters.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len() > 64 || b.len() > 64 {
        return usize::MAX;
    }
    let mut prev2 = vec![0usize; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0usize; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_names_only() {
        assert_eq!(
            did_you_mean("credits", ["credit", "pro_use"]),
            Some("credit")
        );
        assert_eq!(
            did_you_mean("pro_uses", ["credit", "pro_use"]),
            Some("pro_use")
        );
        assert_eq!(
            did_you_mean("blance", ["balance", "account"]),
            Some("balance")
        );
        assert_eq!(did_you_mean("xyz", ["balance", "account"]), None);
        assert_eq!(distance("ab", "ba"), 1);
    }
}
