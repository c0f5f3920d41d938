//! The words a full-text search looks for, as both stores index them:
//! runs of letters and digits, lower-cased; everything else separates
//! words. `disk full` finds events holding both words; `exit_code=137`
//! is the words `exit`, `code` and `137`.

/// Words a search may hold at most: each is one more index lookup.
pub const MAX_SEARCH_WORDS: usize = 16;
/// Characters of a search at most.
pub const MAX_SEARCH_CHARS: usize = 500;

/// Why a search cannot be run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    #[error("has no letters or digits to search for")]
    NoWords,
    #[error("is longer than {MAX_SEARCH_CHARS} characters")]
    TooLong,
    #[error("has more than {MAX_SEARCH_WORDS} words")]
    TooManyWords,
}

/// The distinct words of `query`, in their first order.
pub fn search_words(query: &str) -> Result<Vec<String>, SearchError> {
    if query.chars().count() > MAX_SEARCH_CHARS {
        return Err(SearchError::TooLong);
    }
    let mut words: Vec<String> = Vec::new();
    for word in query.split(|c: char| !c.is_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        let word = word.to_lowercase();
        if !words.contains(&word) {
            words.push(word);
        }
    }
    match words.len() {
        0 => Err(SearchError::NoWords),
        n if n > MAX_SEARCH_WORDS => Err(SearchError::TooManyWords),
        _ => Ok(words),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_at_punctuation_and_are_lower_cased() {
        assert_eq!(
            search_words("Exit_Code=137  DISK-full disk").expect("words"),
            ["exit", "code", "137", "disk", "full"]
        );
        assert_eq!(
            search_words("Ünïcode Straße").expect("words"),
            ["ünïcode", "straße"]
        );
    }

    #[test]
    fn a_search_without_words_or_too_large_is_refused() {
        assert_eq!(search_words(" -_\"*()"), Err(SearchError::NoWords));
        assert_eq!(search_words(""), Err(SearchError::NoWords));
        assert_eq!(search_words(&"a".repeat(501)), Err(SearchError::TooLong));
        let many: Vec<String> = (0..17).map(|i| format!("w{i}")).collect();
        assert_eq!(
            search_words(&many.join(" ")),
            Err(SearchError::TooManyWords)
        );
        // Repeats count once.
        assert!(search_words(&"same ".repeat(40)).is_ok());
    }
}
