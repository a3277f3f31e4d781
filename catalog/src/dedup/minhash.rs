//! MinHash signatures of titles (word shingles, accents and case folded) and their LSH bands:
//! two titles sharing a band are candidates, and the share of equal signature slots estimates
//! their Jaccard similarity.

use sha2::{Digest, Sha256};

/// Hash functions in a signature.
pub const SIGNATURE_LEN: usize = 64;
/// Signature slots per LSH band (64 = 16 bands of 4: titles about 0.6 similar or more meet).
pub const BAND_WIDTH: usize = 4;

fn fold(c: char) -> char {
    match c {
        'à' | 'â' | 'ä' | 'á' => 'a',
        'ç' => 'c',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'î' | 'ï' | 'í' => 'i',
        'ô' | 'ö' | 'ó' => 'o',
        'ù' | 'û' | 'ü' | 'ú' => 'u',
        other => other,
    }
}

/// The words of a title: lower case, accents folded, punctuation as separators.
pub fn words(title: &str) -> Vec<String> {
    title
        .to_lowercase()
        .chars()
        .map(fold)
        .collect::<String>()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Shingles of two consecutive words (single words for one-word titles).
pub fn shingles(title: &str) -> Vec<String> {
    let words = words(title);
    if words.len() < 2 {
        return words;
    }
    words.windows(2).map(|w| w.join(" ")).collect()
}

fn hash(seed: u64, text: &str) -> u64 {
    let mut hasher = Sha256::new();
    hasher.update(seed.to_le_bytes());
    hasher.update(text.as_bytes());
    let digest = hasher.finalize();
    u64::from_le_bytes(digest[..8].try_into().expect("8 bytes"))
}

/// The MinHash signature of a title; `None` for a title without words.
pub fn signature(title: &str) -> Option<[u64; SIGNATURE_LEN]> {
    let shingles = shingles(title);
    if shingles.is_empty() {
        return None;
    }
    let mut signature = [u64::MAX; SIGNATURE_LEN];
    for shingle in &shingles {
        for (seed, slot) in signature.iter_mut().enumerate() {
            *slot = (*slot).min(hash(seed as u64, shingle));
        }
    }
    Some(signature)
}

/// The LSH band keys of a signature (band index and a hash of its slots).
pub fn bands(signature: &[u64; SIGNATURE_LEN]) -> Vec<(usize, u64)> {
    signature
        .chunks(BAND_WIDTH)
        .enumerate()
        .map(|(band, slots)| {
            let text: String = slots.iter().map(|s| format!("{s:x},")).collect();
            (band, hash(band as u64, &text))
        })
        .collect()
}

/// The estimated Jaccard similarity of two signatures.
pub fn similarity(a: &[u64; SIGNATURE_LEN], b: &[u64; SIGNATURE_LEN]) -> f64 {
    a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / SIGNATURE_LEN as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_titles_share_bands_and_distant_ones_do_not() {
        let a = signature(
            "Open DAMIR : base complète sur les dépenses d'assurance maladie inter régimes",
        )
        .unwrap();
        let b = signature(
            "Open Damir - Base complete sur les depenses d'assurance maladie inter-regimes",
        )
        .unwrap();
        let c = signature("Horaires des lignes TER").unwrap();
        assert!(similarity(&a, &b) > 0.8, "{}", similarity(&a, &b));
        assert!(similarity(&a, &c) < 0.1, "{}", similarity(&a, &c));
        let shared = |x: &[u64; SIGNATURE_LEN], y: &[u64; SIGNATURE_LEN]| {
            bands(x)
                .iter()
                .filter(|band| bands(y).contains(band))
                .count()
        };
        assert!(shared(&a, &b) > 0);
        assert_eq!(shared(&a, &c), 0);
        assert!(signature("  --  ").is_none());
    }
}
